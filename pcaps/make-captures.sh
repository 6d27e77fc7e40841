#!/usr/bin/env bash
# Regenerate tundra's ground-truth captures: real WireGuard (wireguard-go),
# real OpenVPN and a few non-VPN protocols, run between two network
# namespaces joined by a veth pair.  All traffic stays inside the namespaces.
#
#   sudo pcaps/make-captures.sh            # writes pcaps/*.pcap, labels.csv, registry.csv
#   NO_INSTALL=1 sudo pcaps/make-captures.sh   # skip apt-get
#   KEEP_WORK=1 sudo pcaps/make-captures.sh    # keep the temp dir (logs, captures)
#   sudo pcaps/make-captures.sh tinc-7655.pcap l2tp-11701.pcap   # only these captures
#   sudo pcaps/make-captures.sh ports      # a group: stage1, stage2, ports or stage3
#   sudo TDR_PREFIX=tdrx pcaps/make-captures.sh   # namespaces tdrx-cli/tdrx-srv ...
#
# Idempotent: it removes namespaces/processes left by an earlier run, builds
# everything in a temp dir and only replaces the files in pcaps/ at the end.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=make-captures
# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"
# Names of the namespaces, the veth pair and wireguard-go's interfaces (whose
# UAPI sockets in /var/run/wireguard are shared by all namespaces). Another
# prefix, or each name on its own, lets two runs go on at the same time.
TDR_PREFIX="${TDR_PREFIX:-tdr}"
NS_C="${TDR_NS_CLI:-$TDR_PREFIX-cli}"
NS_S="${TDR_NS_SRV:-$TDR_PREFIX-srv}"
VETH_C="${TDR_VETH_CLI:-$TDR_PREFIX-c0}"
VETH_S="${TDR_VETH_SRV:-$TDR_PREFIX-s0}"
WG_IF="${TDR_WG_IF:-${TDR_PREFIX}w}"
# Stage 3's VXLAN captures run in a pair of their own (see vxlan_capture).
NS_XC="$TDR_PREFIX-vxc"
NS_XS="$TDR_PREFIX-vxs"
VETH_XC="$TDR_PREFIX-xc0"
VETH_XS="$TDR_PREFIX-xs0"
PY="${PYTHON:-python3}"
# Captures to make: pcap names or the groups stage1, stage2, ports, stage3; none = all.
SELECT=("$@")


[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"

WORK=""
PIDS=()
# Stage 3 switches, set for one capture by its wrapper (midsession_capture,
# frag_capture) and read by the capture functions: MIDSESSION=1 starts the
# capture only after the tunnel is up and has carried pings; IKE_FRAGMENTATION
# is strongSwan's `fragmentation` (unset: its default).
MIDSESSION=0
IKE_FRAGMENTATION=""
PING_SIZE=""  # ping's -s in ovpn26_capture (frag_capture)

teardown_net() {
    local ns
    for ns in "$NS_C" "$NS_S" "$NS_XC" "$NS_XS"; do
        kill_ns_procs "$ns"
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -f "/var/run/wireguard/$WG_IF"*.sock
}

cleanup() {
    local rc=$?
    set +e
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    teardown_net
    if [[ ${KEEP_WORK:-0} == 1 ]]; then
        log "temp dir kept: $WORK"
    elif [[ -n $WORK && -d $WORK ]]; then
        rm -rf "$WORK"
    fi
    if [[ $rc -ne 0 ]]; then
        log "failed (exit $rc); namespaces and processes cleaned up"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------------- install
install_deps() {
    local pkgs=(wireguard-tools wireguard-go openvpn openssl tcpdump curl
                dnsmasq-base openssh-server openssh-client iproute2 iputils-ping procps
                ethtool  # make-split-hello.sh
                # stage 2
                strongswan-charon strongswan-swanctl libcharon-extra-plugins
                xl2tpd pptpd pptp-linux ppp ocserv openconnect tinc
                softether-vpnserver softether-vpnclient softether-vpncmd util-linux
                nftables  # pptp-11723.pcap
                # stage 3
                openfortivpn python3-scapy)  # python3-scapy: encap.py
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v "$PY" >/dev/null || die "python3 is required"
    if ((${#missing[@]})); then
        log "installing: ${missing[*]}"
        apt-get update -qq
        # --no-install-recommends: wireguard-tools would otherwise pull a kernel
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

print_versions() {
    {
        echo "# software versions used for the last capture run ($(date -u +%Y-%m-%dT%H:%MZ))"
        echo "debian $(cat /etc/debian_version), kernel $(uname -r)"
        echo "wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go) ($(wireguard-go --version 2>&1 | head -1))"
        echo "wireguard-tools $(dpkg-query -W -f='${Version}' wireguard-tools)"
        echo "$(openvpn --version | head -1)"
        echo "$(openssl version)"
        echo "$(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p)"
        echo "$(curl --version | head -1 | cut -d' ' -f1-2)"
        echo "$(dnsmasq --version | head -1)"
        echo "$(ssh -V 2>&1)"
        echo "$($PY --version 2>&1)"
        local p
        for p in strongswan-charon libcharon-extra-plugins xl2tpd pptpd pptp-linux ppp ocserv \
                 openconnect tinc softether-vpnserver softether-vpnclient nftables \
                 openfortivpn python3-scapy; do
            echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo "(not installed)")"
        done
    } | tee "$WORK/out/versions.txt" >&2
}

# ----------------------------------------------------------------- network
setup_net() {
    teardown_net
    ip netns add "$NS_C"
    ip netns add "$NS_S"
    ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
    local ns
    for ns in "$NS_C" "$NS_S"; do
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
    done
    ip -n "$NS_S" addr add 198.18.0.1/24 dev "$VETH_S"
    ip -n "$NS_S" addr add 198.19.0.1/24 dev "$VETH_S"
    ip -n "$NS_S" addr add fd00:7d::1/64 dev "$VETH_S" nodad
    ip -n "$NS_C" addr add 198.18.0.2/24 dev "$VETH_C"
    ip -n "$NS_C" addr add 198.19.0.2/24 dev "$VETH_C"
    ip -n "$NS_C" addr add fd00:7d::2/64 dev "$VETH_C" nodad
    # keep link-local chatter (router solicitations, DAD) out of the captures
    ip netns exec "$NS_S" sysctl -qw "net.ipv6.conf.$VETH_S.router_solicitations=0" "net.ipv6.conf.$VETH_S.accept_dad=0"
    ip netns exec "$NS_C" sysctl -qw "net.ipv6.conf.$VETH_C.router_solicitations=0" "net.ipv6.conf.$VETH_C.accept_dad=0"
    ip -n "$NS_S" link set "$VETH_S" up
    ip -n "$NS_C" link set "$VETH_C" up
    local i
    for i in $(seq 1 50); do
        ip netns exec "$NS_C" ping -c1 -W1 -q 198.18.0.1 >/dev/null 2>&1 &&
            ip netns exec "$NS_C" ping -c1 -W1 -q fd00:7d::1 >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip netns exec "$NS_C" ping -c1 -W1 -q 198.19.0.1 >/dev/null || die "veth link not working"
    sleep 2  # let link-local setup noise (MLD reports) happen before the first capture
}

CAP_PID=""
CAP_NAME=""
cap_start() {
    CAP_NAME=$1
    # -Z root: write directly as root (Debian's tcpdump otherwise drops to user tcpdump)
    bg "$NS_C" "$WORK/log/tcpdump-${CAP_NAME//\//-}.log" tcpdump -n -i "$VETH_C" --immediate-mode -U -Z root -w "$WORK/out/$CAP_NAME"
    CAP_PID=$BG_PID
    wait_for 10 "tcpdump on $CAP_NAME" grep -q "listening on" "$WORK/log/tcpdump-${CAP_NAME//\//-}.log"
    log "capturing $CAP_NAME"
}

cap_stop() {
    sleep 1
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    grep -E "packets (captured|received|dropped)" "$WORK/log/tcpdump-${CAP_NAME//\//-}.log" | tr '\n' ' ' >&2 || true
    echo >&2
    CAP_PID=""
}

cping() { ip netns exec "$NS_C" ping -c "${2:-3}" -i 0.2 -W 2 ${3:+-s "$3"} "$1"; }  # ADDR [COUNT [SIZE]]

# want GROUPS PCAP: true when this run makes PCAP, i.e. no names were given,
# or PCAP or one of its (space-separated) GROUPS was
want() {
    local groups=$1 pcap=$2 s g
    ((${#SELECT[@]})) || return 0
    for s in "${SELECT[@]}"; do
        [[ $s == "$pcap" ]] && return 0
        for g in $groups; do
            [[ $s == "$g" ]] && return 0
        done
    done
    return 1
}

# cap GROUPS FUNC PCAP [ARGS...]: FUNC PCAP ARGS..., if this run makes PCAP
ASKED=()
cap() {
    local groups=$1
    shift
    want "$groups" "$2" || return 0
    ASKED+=("$2")
    "$@"
    # nothing of this capture may run on into the next one
    local i ns left=""
    for i in $(seq 1 50); do
        left=$(ip netns pids "$NS_C"; ip netns pids "$NS_S")
        [[ -z $left ]] && return 0
        sleep 0.1
    done
    for ns in "$NS_C" "$NS_S"; do
        left=$(ip netns pids "$ns" | xargs -r ps -o pid=,args= -p)
        [[ -z $left ]] || log "WARNING: left running in $ns after $2, stopped now:"$'\n'"$left"
        kill_ns_procs "$ns"
    done
}

# --------------------------------------------------------------------- PKI
make_pki() {
    local d=$WORK/pki
    mkdir -p "$d"
    cd "$d"
    cat >ext.cnf <<'EOF'
[server]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:vpn.example.test, DNS:www.example.test, IP:198.18.0.1, IP:198.19.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
        -subj "/CN=tundra throwaway CA" -addext "basicConstraints=critical,CA:true" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    local who
    for who in server client; do
        openssl req -newkey rsa:2048 -nodes -keyout "$who.key" -out "$who.csr" \
            -subj "/CN=tundra-$who" 2>/dev/null
        openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out "$who.crt" -days 30 -extfile ext.cnf -extensions "$who" 2>/dev/null
    done
    openvpn --genkey tls-crypt tc.key
    openvpn --genkey secret ta.key
    # tls-crypt-v2 (stage 3): the server key, and a client key wrapped with it
    openvpn --genkey tls-crypt-v2-server tcv2-server.key
    openvpn --tls-crypt-v2 tcv2-server.key --genkey tls-crypt-v2-client tcv2-client.key
    chmod 600 ./*.key
    cd - >/dev/null
}

# --------------------------------------------------------------- WireGuard
# wg_capture PCAP IFSUFFIX SERVER_ADDR LISTEN_PORT ENDPOINT
wg_capture() {
    local pcap=$1 n=$2 addr=$3 port=$4 endpoint=$5
    local d=$WORK/wg$n sif=${WG_IF}s$n cif=${WG_IF}c$n
    mkdir -p "$d"
    wg genkey >"$d/s.key"; wg pubkey <"$d/s.key" >"$d/s.pub"
    wg genkey >"$d/c.key"; wg pubkey <"$d/c.key" >"$d/c.pub"

    bg "$NS_S" "$WORK/log/wg-$n-srv.log" env LOG_LEVEL=verbose wireguard-go -f "$sif"
    local spid=$BG_PID
    bg "$NS_C" "$WORK/log/wg-$n-cli.log" env LOG_LEVEL=verbose wireguard-go -f "$cif"
    local cpid=$BG_PID
    wait_for 10 "wireguard-go $sif" test -S "/var/run/wireguard/$sif.sock"
    wait_for 10 "wireguard-go $cif" test -S "/var/run/wireguard/$cif.sock"

    ip netns exec "$NS_S" wg set "$sif" private-key "$d/s.key" listen-port "$port" \
        peer "$(cat "$d/c.pub")" allowed-ips "10.77.$n.2/32"
    ip -n "$NS_S" addr add "10.77.$n.1/24" dev "$sif"
    ip -n "$NS_S" link set "$sif" up
    ip netns exec "$NS_C" wg set "$cif" private-key "$d/c.key" \
        peer "$(cat "$d/s.pub")" allowed-ips "10.77.$n.0/24" endpoint "$endpoint"
    ip -n "$NS_C" addr add "10.77.$n.2/24" dev "$cif"
    ip -n "$NS_C" link set "$cif" up
    # sanity: wireguard-go listens where we think (server side)
    ip netns exec "$NS_S" wg show "$sif" listen-port | grep -qx "$port" || die "$sif not on port $port"

    if ((MIDSESSION)); then  # stage 3: handshake and first pings before the capture
        cping "10.77.$n.1" 2 >&2
        sleep 1
    fi
    cap_start "$pcap"
    cping "10.77.$n.1" 4 >&2
    cap_stop
    ip netns exec "$NS_C" wg show "$cif" >&2
    stop_pid "$cpid"
    stop_pid "$spid"
}

# ----------------------------------------------------------------- OpenVPN
# ovpn_capture PCAP PROTO(udp|tcp) SERVER_IP PORT KEYMODE(none|tls-crypt|tls-auth)
ovpn_capture() {
    local pcap=$1 proto=$2 ip=$3 port=$4 keymode=$5
    local p=$WORK/pki sproto cproto
    if [[ $proto == tcp ]]; then sproto=tcp-server; cproto=tcp-client
    else sproto=udp; cproto=udp; fi
    local common="dev tun
disable-dco
ca $p/ca.crt
verb 3
"
    case $keymode in
        tls-crypt) common+="tls-crypt $p/tc.key
" ;;
        tls-auth)  common+="auth SHA512
key-direction KEYDIR
tls-auth $p/ta.key
" ;;
    esac
    local sc=$WORK/ovpn-srv.conf cc=$WORK/ovpn-cli.conf
    {
        echo "mode server"
        echo "tls-server"
        echo "proto $sproto"
        echo "local $ip"
        echo "port $port"
        echo "topology subnet"
        echo "server 10.8.0.0 255.255.255.0"
        echo "cert $p/server.crt"
        echo "key $p/server.key"
        echo "dh none"
        echo "keepalive 10 60"
        printf '%s' "${common/KEYDIR/0}"
    } >"$sc"
    {
        echo "client"
        echo "proto $cproto"
        echo "remote $ip $port"
        echo "nobind"
        echo "remote-cert-tls server"
        echo "cert $p/client.crt"
        echo "key $p/client.key"
        echo "connect-retry 1"
        printf '%s' "${common/KEYDIR/1}"
    } >"$cc"

    bg "$NS_S" "$WORK/log/$pcap-srv.log" openvpn --config "$sc"
    local spid=$BG_PID
    wait_for 15 "openvpn server ($pcap)" grep -q "Initialization Sequence Completed" "$WORK/log/$pcap-srv.log"

    cap_start "$pcap"
    bg "$NS_C" "$WORK/log/$pcap-cli.log" openvpn --config "$cc"
    local cpid=$BG_PID
    wait_for 30 "openvpn client ($pcap)" grep -q "Initialization Sequence Completed" "$WORK/log/$pcap-cli.log"
    cping 10.8.0.1 4 >&2
    stop_pid "$cpid"
    cap_stop
    stop_pid "$spid"
    grep -E "Control Channel:|Data Channel:|Peer Connection Initiated" "$WORK/log/$pcap-cli.log" | sed 's/^/    /' >&2 || true
}

# ----------------------------------------------------------------- non-VPN
dns_capture() {
    local pcap=$1
    bg "$NS_S" "$WORK/log/dnsmasq.log" dnsmasq --keep-in-foreground --log-queries --log-facility=- \
        --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root --group=root \
        --pid-file="$WORK/dnsmasq.pid" --bind-interfaces \
        --listen-address=198.18.0.1 --listen-address=fd00:7d::1 \
        --local=/test/ --host-record=www.example.test,198.18.0.80,fd00:7d::80 \
        --txt-record=example.test,"tundra ground truth"
    local spid=$BG_PID
    wait_for 10 dnsmasq grep -q "started" "$WORK/log/dnsmasq.log"
    sleep 0.3
    cap_start "$pcap"
    ip netns exec "$NS_C" "$PY" "$HERE/traffic.py" dns 198.18.0.1 fd00:7d::1 >&2
    cap_stop
    stop_pid "$spid"
}

# tls_capture PCAP SERVER_IP TLSVER(1.3|1.2); an IPv6 SERVER_IP in brackets
tls_capture() {
    local pcap=$1 ip=$2 ver=$3 sflag cflags
    if [[ $ver == 1.3 ]]; then sflag=-tls1_3; cflags=(--tlsv1.3)
    else sflag=-tls1_2; cflags=(--tlsv1.2 --tls-max 1.2); fi
    bg "$NS_S" "$WORK/log/$pcap-srv.log" openssl s_server -accept "$ip:443" -www "$sflag" \
        -cert "$WORK/pki/server.crt" -key "$WORK/pki/server.key"
    local spid=$BG_PID
    wait_for 10 "openssl s_server" grep -q "ACCEPT" "$WORK/log/$pcap-srv.log"
    cap_start "$pcap"
    local i
    for i in 1 2; do
        ip netns exec "$NS_C" curl -sS -k "${cflags[@]}" -o /dev/null \
            -w "curl https://$ip/ -> %{http_code}, %{size_download} bytes\n" \
            --resolve "www.example.test:443:$ip" "https://www.example.test/" >&2
    done
    cap_stop
    stop_pid "$spid"
}

ssh_capture() {
    local pcap=$1 d=$WORK/ssh
    mkdir -p "$d" /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$d/host" -C tundra-host
    ssh-keygen -q -t ed25519 -N '' -f "$d/id" -C tundra-client
    cp "$d/id.pub" "$d/authorized_keys"
    cat >"$d/sshd_config" <<EOF
ListenAddress 198.19.0.1:22
HostKey $d/host
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
EOF
    bg "$NS_S" "$WORK/log/sshd.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
    local spid=$BG_PID
    wait_for 10 sshd grep -q "Server listening" "$WORK/log/sshd.log"
    cap_start "$pcap"
    ip netns exec "$NS_C" ssh -F /dev/null -i "$d/id" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@198.19.0.1 \
        'echo hello from tdr-srv; uname -sr' >&2
    cap_stop
    stop_pid "$spid"
}

noise_capture() {
    local pcap=$1
    bg "$NS_S" "$WORK/log/noise-srv.log" "$PY" -u "$HERE/traffic.py" noise-server 198.19.0.1
    local spid=$BG_PID
    wait_for 10 "noise server" grep -q ready "$WORK/log/noise-srv.log"
    cap_start "$pcap"
    ip netns exec "$NS_C" "$PY" -u "$HERE/traffic.py" noise-client 198.19.0.1 >&2
    cap_stop
    stop_pid "$spid"
}

stage1() {
    cap stage1 wg_capture wireguard-udp51820.pcap 1 198.18.0.1 51820 198.18.0.1:51820
    cap stage1 wg_capture wireguard-udp443-v6.pcap 2 fd00:7d::1 443 "[fd00:7d::1]:443"

    cap stage1 ovpn_capture openvpn-udp1194.pcap      udp 198.18.0.1 1194 none
    cap stage1 ovpn_capture openvpn-udp-tlscrypt.pcap udp 198.19.0.1 5000 tls-crypt
    cap stage1 ovpn_capture openvpn-udp-tlsauth.pcap  udp 198.19.0.1 1194 tls-auth
    cap stage1 ovpn_capture openvpn-tcp443.pcap       tcp 198.19.0.1 443  none
    cap stage1 ovpn_capture openvpn-tcp-tlscrypt.pcap tcp 198.18.0.1 1194 tls-crypt

    cap stage1 dns_capture dns.pcap
    cap stage1 tls_capture https-tls13.pcap 198.18.0.1 1.3
    cap stage1 tls_capture https-tls12.pcap 198.19.0.1 1.2
    cap stage1 ssh_capture ssh.pcap
    cap stage1 noise_capture udp-random.pcap
}

# ======================================================================
# Stage 2: IPsec (strongSwan), L2TP, PPTP, OpenConnect, tinc, SoftEther
# and their decoys.  Same namespaces, same capture helpers.
# ======================================================================

# Run CMD in a namespace with private tmpfs over /run (and, for SoftEther,
# /var/lib and /var/log), so that two daemons of the same kind (client and
# server) do not fight over pid files and state dirs.  `ip netns exec` already
# gives every command its own mount namespace (slave), so nothing leaks out.
# bg_priv NS LOG BIND_DIR|- CMD...
bg_priv() {
    local ns=$1 logf=$2 state=$3
    shift 3
    local pre="mount -t tmpfs tdr-run /run"
    if [[ $state != - ]]; then
        pre+=" && mount -t tmpfs tdr-varlib /var/lib && mount -t tmpfs tdr-varlog /var/log"
        pre+=" && mkdir -p /run/softether /var/lib/softether /var/log/softether"
        pre+=" && mount --bind '$state' /var/lib/softether"
    fi
    bg "$ns" "$logf" sh -c "$pre && exec \"\$@\"" sh "$@"
}

# ------------------------------------------------------------- strongSwan
# ike_capture PCAP N SERVER_IP VERSION(1|2) KERNEL(libipsec|netlink) ENCAP(yes|no) MOBIKE(yes|no) \
#             [PORT NATT_PORT]
# PORT and NATT_PORT (default 500 and 4500) are charon's port and port_nat_t on
# both sides; the client's remote_port is the server's PORT.
# With kernel-libipsec, ESP is done in userspace by charon; strongSwan 5.9.8's
# libipsec can only send ESP inside UDP (port 4500), so it enforces UDP
# encapsulation.  With kernel-netlink only, the IKE exchanges are real but the
# kernel (no CONFIG_INET_ESP) refuses the CHILD_SA, so there is no ESP at all.
ike_capture() {
    local pcap=$1 n=$2 ip=$3 ver=$4 kern=$5 encap=$6 mobike=$7 port=${8:-500} natt=${9:-4500}
    local d=$WORK/ike$n side plugins
    mkdir -p "$d"
    plugins="random nonce aes sha1 sha2 hmac gmp x509 pubkey pem pkcs1 kdf"
    [[ $kern == libipsec ]] && plugins+=" kernel-libipsec"
    plugins+=" kernel-netlink socket-default vici"
    for side in srv cli; do
        cat >"$d/strongswan-$side.conf" <<EOF
charon {
    load_modular = no
    load = $plugins
    port = $port
    port_nat_t = $natt
    install_virtual_ip = no
    filelog {
        log {
            path = $WORK/log/$pcap-charon-$side.log
            time_format = %H:%M:%S
            default = 1
            flush_line = yes
        }
    }
    plugins {
        vici { socket = unix://$d/$side.vici }
    }
}
swanctl { load = random nonce aes sha1 sha2 hmac gmp x509 pubkey pem pkcs1 }
EOF
        local addrs lid rid lts rts
        if [[ $side == srv ]]; then
            addrs="local_addrs = $ip"; lid=srv; rid=cli; lts=10.66.$n.1; rts=10.66.$n.2
        else
            addrs="remote_addrs = $ip
        remote_port = $port"; lid=cli; rid=srv; lts=10.66.$n.2; rts=10.66.$n.1
        fi
        cat >"$d/swanctl-$side.conf" <<EOF
connections {
    tdr {
        version = $ver
        $addrs
        encap = $encap
        mobike = $mobike${IKE_FRAGMENTATION:+
        fragmentation = $IKE_FRAGMENTATION}
        proposals = aes128-sha256-modp2048
        local { auth = psk
                id = $lid@vpn.example.test }
        remote { auth = psk
                 id = $rid@vpn.example.test }
        children {
            tdr {
                local_ts = $lts/32
                remote_ts = $rts/32
                esp_proposals = aes128-sha256
            }
        }
    }
}
secrets {
    ike-tdr {
        id-1 = srv@vpn.example.test
        id-2 = cli@vpn.example.test
        secret = "tundra throwaway psk $n"
    }
}
EOF
    done
    ip -n "$NS_S" addr add "10.66.$n.1/32" dev lo
    ip -n "$NS_C" addr add "10.66.$n.2/32" dev lo
    bg_priv "$NS_S" "$WORK/log/$pcap-charon-srv.out" - env STRONGSWAN_CONF="$d/strongswan-srv.conf" /usr/lib/ipsec/charon
    local spid=$BG_PID
    bg_priv "$NS_C" "$WORK/log/$pcap-charon-cli.out" - env STRONGSWAN_CONF="$d/strongswan-cli.conf" /usr/lib/ipsec/charon
    local cpid=$BG_PID
    wait_for 10 "charon (server, $pcap)" test -S "$d/srv.vici"
    wait_for 10 "charon (client, $pcap)" test -S "$d/cli.vici"
    for side in srv cli; do
        STRONGSWAN_CONF="$d/strongswan-$side.conf" swanctl --load-all --file "$d/swanctl-$side.conf" \
            --uri "unix://$d/$side.vici" >>"$WORK/log/$pcap-swanctl.log" 2>&1 ||
            die "swanctl --load-all ($side, $pcap)"
    done
    # swanctl COMMAND [OPTIONS] against the client's charon (the command must come first)
    sw() { STRONGSWAN_CONF="$d/strongswan-cli.conf" swanctl "$@" --uri "unix://$d/cli.vici"; }

    ((MIDSESSION)) || cap_start "$pcap"
    if [[ $kern == libipsec ]]; then
        sw --initiate --child tdr --timeout 20 >>"$WORK/log/$pcap-swanctl.log" 2>&1 ||
            die "IKE/CHILD_SA not established ($pcap), see $pcap-charon-*.log"
        wait_for 10 "ipsec0 route ($pcap)" ip netns exec "$NS_C" ip route get "10.66.$n.1"
        if ((MIDSESSION)); then  # stage 3: SAs up and first pings before the capture
            cping "10.66.$n.1" 2 >&2
            sleep 1
            cap_start "$pcap"
        fi
        cping "10.66.$n.1" 4 >&2
    else
        # the CHILD_SA cannot be installed (no ESP in this kernel): keep the IKE_SA
        sw --initiate --child tdr --timeout 20 >>"$WORK/log/$pcap-swanctl.log" 2>&1 || true
        sw --list-sas 2>/dev/null | grep -q ESTABLISHED || die "IKE_SA not established ($pcap)"
    fi
    sw --list-sas 2>/dev/null | sed 's/^/    /' >&2 || true
    if ((MIDSESSION)); then  # stage 3: ESP only, the capture ends before the delete
        cap_stop
    fi
    sw --terminate --ike tdr --timeout 10 >>"$WORK/log/$pcap-swanctl.log" 2>&1 || true
    ((MIDSESSION)) || cap_stop
    grep -hE "established|selected proposal|NAT|failed to establish|unable to install" \
        "$WORK/log/$pcap-charon-cli.log" "$WORK/log/$pcap-charon-srv.log" | sed 's/^/    /' >&2 || true
    stop_pid "$cpid"
    stop_pid "$spid"
}

# -------------------------------------------------------------- xl2tpd
# l2tp_capture PCAP PORT: LNS and LAC both on UDP PORT ([global] port), the
# LAC dialling the LNS's PORT
l2tp_capture() {
    local pcap=$1 port=$2 d=$WORK/l2tp-$2
    mkdir -p "$d"
    cat >"$d/lns.conf" <<EOF
[global]
listen-addr = 198.19.0.1
port = $port
[lns default]
ip range = 10.67.0.10-10.67.0.20
local ip = 10.67.0.1
require authentication = no
hostname = tdr-lns
length bit = yes
EOF
    cat >"$d/lac.conf" <<EOF
[global]
listen-addr = 198.19.0.2
port = $port
[lac tdr]
lns = 198.19.0.1:$port
autodial = yes
redial = no
hostname = tdr-lac
length bit = yes
EOF
    bg "$NS_S" "$WORK/log/$pcap-lns.log" xl2tpd -D -c "$d/lns.conf" -p "$d/lns.pid" -C "$d/lns.ctl"
    local spid=$BG_PID
    wait_for 10 "xl2tpd (lns)" sh -c "ip netns exec $NS_S ss -lun | grep -q '198.19.0.1:$port '"
    cap_start "$pcap"
    bg "$NS_C" "$WORK/log/$pcap-lac.log" xl2tpd -D -c "$d/lac.conf" -p "$d/lac.pid" -C "$d/lac.ctl"
    local cpid=$BG_PID
    # tunnel and session come up; pppd then fails (no /dev/ppp) and the LNS
    # sends CDN for the session
    wait_for 15 "L2TP call (lac)" grep -q "Call established" "$WORK/log/$pcap-lac.log"
    sleep 2
    stop_pid "$cpid"
    cap_stop
    stop_pid "$spid"
    grep -hE "Connection established|Call established|disconnect|pppd" "$WORK/log/$pcap-lac.log" \
        "$WORK/log/$pcap-lns.log" | head -8 | sed 's/^/    /' >&2 || true
}

# ---------------------------------------------------------------- PPTP
# pptp_capture PCAP PORT
# pptpd and pptp-linux have no port setting: both have TCP 1723 compiled in.
# For another PORT, nftables NAT moves the control connection on the wire
# between the namespaces: the client namespace sends what pptp addresses to
# 198.18.0.1:1723 to PORT instead, and the server namespace hands PORT to
# pptpd's 1723. The bytes are pptp's and pptpd's own; GRE is not touched.
pptp_capture() {
    local pcap=$1 port=$2 d=$WORK/pptp-$2
    mkdir -p "$d"
    # pptpd runs this instead of pppd (there is no /dev/ppp): the real
    # pptpctrl then wraps the stub's LCP frames in enhanced GRE
    cat >"$d/ppp-stub" <<EOF
#!/bin/sh
exec "$PY" "$HERE/traffic.py" ppp-stub 0x7d7d0002
EOF
    chmod 755 "$d/ppp-stub"
    cat >"$d/pptpd.conf" <<EOF
ppp $d/ppp-stub
option $d/pptpd-options
localip 10.68.0.1
remoteip 10.68.0.10-20
EOF
    printf 'name tdr-pptpd\nnoauth\n' >"$d/pptpd-options"
    bg "$NS_S" "$WORK/log/$pcap-pptpd.log" pptpd -f -c "$d/pptpd.conf" -l 198.18.0.1 -p "$d/pptpd.pid"
    local spid=$BG_PID
    wait_for 10 pptpd sh -c "ip netns exec $NS_S ss -ltn | grep -q '198.18.0.1:1723'"
    if [[ $port != 1723 ]]; then
        ip netns exec "$NS_C" nft -f - <<EOF
table ip tdr-pptp {
    chain out { type nat hook output priority -100; ip daddr 198.18.0.1 tcp dport 1723 dnat to 198.18.0.1:$port; }
}
EOF
        ip netns exec "$NS_S" nft -f - <<EOF
table ip tdr-pptp {
    chain pre { type nat hook prerouting priority -100; ip daddr 198.18.0.1 tcp dport $port dnat to 198.18.0.1:1723; }
}
EOF
    fi
    cap_start "$pcap"
    # the real pptp client; --nolaunchpppd: PPP frames come from the stub on stdin
    ip netns exec "$NS_C" sh -c "'$PY' '$HERE/traffic.py' ppp-stub 0x7d7d0001 </dev/null |
        timeout 10 pptp 198.18.0.1 --nolaunchpppd --loglevel 2" >"$WORK/log/$pcap-cli.log" 2>&1 || true
    sleep 1
    cap_stop
    stop_pid "$spid"
    if [[ $port != 1723 ]]; then
        ip netns exec "$NS_C" nft delete table ip tdr-pptp
        ip netns exec "$NS_S" nft delete table ip tdr-pptp
    fi
}

# ----------------------------------------------------------- OpenConnect
# openconnect_capture PCAP PORT: ocserv's tcp-port and udp-port; openconnect
# is given https://198.19.0.1:PORT/ and learns the DTLS port from ocserv
openconnect_capture() {
    local pcap=$1 port=$2 d=$WORK/ocserv-$2 p=$WORK/pki url=https://198.19.0.1/
    [[ $port == 443 ]] || url=https://198.19.0.1:$port/
    mkdir -p "$d"
    echo "tdr:*:$(openssl passwd -6 -salt tundra7d tundra-throwaway-pw)" >"$d/ocpasswd"
    cat >"$d/ocserv.conf" <<EOF
auth = "plain[passwd=$d/ocpasswd]"
listen-host = 198.19.0.1
tcp-port = $port
udp-port = $port
run-as-user = nobody
run-as-group = nogroup
socket-file = /run/ocserv-tdr.sock
pid-file = $d/ocserv.pid
server-cert = $p/server.crt
server-key = $p/server.key
isolate-workers = false
max-clients = 4
keepalive = 300
dpd = 60
mobile-dpd = 300
try-mtu-discovery = false
device = tdroc
ipv4-network = 10.69.0.0
ipv4-netmask = 255.255.255.0
route = 10.69.0.0/255.255.255.0
predictable-ips = true
cisco-client-compat = true
use-occtl = false
EOF
    # openconnect calls this instead of vpnc-script
    cat >"$d/vpnc-script" <<'EOF'
#!/bin/sh
if [ "$reason" = connect ]; then
    ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1400}"
    ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
    ip route add 10.69.0.0/24 dev "$TUNDEV"
fi
exit 0
EOF
    chmod 755 "$d/vpnc-script"
    local pin
    pin=$(openssl x509 -in "$p/server.crt" -pubkey -noout | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)
    # private /run: the socket must be reachable by the workers (user nobody),
    # and $WORK is mode 0700
    bg_priv "$NS_S" "$WORK/log/$pcap-ocserv.log" - ocserv -f -d 2 -c "$d/ocserv.conf"
    local spid=$BG_PID
    wait_for 10 ocserv sh -c "ip netns exec $NS_S ss -ltn | grep -q '198.19.0.1:$port '"
    cap_start "$pcap"
    # openconnect itself is the background process (no shell in between), so that
    # stop_pid stops it: a client left running reconnects when ocserv stops, into
    # the next capture
    ip netns exec "$NS_C" openconnect --protocol=anyconnect --user tdr --passwd-on-stdin --non-inter \
        --servercert "pin-sha256:$pin" --script "$d/vpnc-script" --interface tdrocc "$url" \
        <<<"tundra-throwaway-pw" >"$WORK/log/$pcap-cli.log" 2>&1 &
    local cpid=$!
    PIDS+=("$cpid")
    wait_for 20 "openconnect (DTLS up)" grep -q "Established DTLS" "$WORK/log/$pcap-cli.log"
    cping 10.69.0.1 4 >&2
    stop_pid "$cpid"
    cap_stop
    stop_pid "$spid"
    grep -E "CSTP connected|Established DTLS|Configured as" "$WORK/log/$pcap-cli.log" | sed 's/^/    /' >&2 || true
}

# ---------------------------------------------------------------- tinc
# tinc_capture PCAP PORT: both nodes' Port (tinc.conf and the host files)
tinc_capture() {
    local pcap=$1 port=$2 d=$WORK/tinc-$2 name n
    for name in srv cli; do
        mkdir -p "$d/$name/hosts"
        if [[ $name == srv ]]; then n=1; else n=2; fi
        cat >"$d/$name/tinc.conf" <<EOF
Name = $name
Interface = tdrt$name
Device = /dev/net/tun
Mode = router
AddressFamily = ipv4
PingInterval = 60
EOF
        printf '#!/bin/sh\nip addr add 10.70.0.%s/24 dev "$INTERFACE"\nip link set "$INTERFACE" up\n' "$n" \
            >"$d/$name/tinc-up"
        chmod 755 "$d/$name/tinc-up"
        echo "Subnet = 10.70.0.$n/32" >"$d/$name/hosts/$name"
    done
    printf 'BindToAddress = 198.18.0.1\nPort = %s\n' "$port" >>"$d/srv/tinc.conf"
    echo "ConnectTo = srv" >>"$d/cli/tinc.conf"
    printf 'Address = 198.18.0.1\nPort = %s\n' "$port" >>"$d/srv/hosts/srv"
    echo "Port = $port" >>"$d/cli/hosts/cli"
    for name in srv cli; do
        tincd -c "$d/$name" -K 2048 </dev/null >>"$WORK/log/tinc-keys.log" 2>&1
    done
    cp "$d/srv/hosts/srv" "$d/cli/hosts/"
    cp "$d/cli/hosts/cli" "$d/srv/hosts/"
    local lg=$WORK/log/$pcap-tincd
    bg "$NS_S" "$lg-srv.out" tincd -c "$d/srv" -D -d 1 --pidfile "$d/srv.pid" --logfile="$lg-srv.log"
    local spid=$BG_PID
    wait_for 10 "tincd (server)" sh -c "ip netns exec $NS_S ss -ltn | grep -q '198.18.0.1:$port '"
    cap_start "$pcap"
    bg "$NS_C" "$lg-cli.out" tincd -c "$d/cli" -D -d 1 --pidfile "$d/cli.pid" --logfile="$lg-cli.log"
    local cpid=$BG_PID
    wait_for 15 "tinc meta connection" grep -q "Connection with srv .* activated" "$lg-cli.log"
    local i
    for i in $(seq 1 30); do  # the first pings go while the UDP path is being probed
        ip netns exec "$NS_C" ping -c1 -W1 -q 10.70.0.1 >/dev/null 2>&1 && break
        sleep 0.2
    done
    cping 10.70.0.1 4 >&2
    stop_pid "$cpid"
    cap_stop
    stop_pid "$spid"
}

# ------------------------------------------------------------ SoftEther
# softether_capture PCAP PORT [MODE]: the client connects to 198.19.0.1:PORT (a
# listener is added on the server when PORT is not one of its defaults).
# Without MODE: UDP acceleration off (/DISABLEUDP:yes), and the client tries
# its other transports (R-UDP over DNS and ICMP) beside TCP, as it does by
# default. MODE (stage 3): the server's host name carries the hint "/tcp"
# (198.19.0.1/tcp), with which the client connects by TCP alone and sends no
# DNS or ICMP (Mayaqua/Network.c ConnectEx3: "/tcp", "/disable", "/no" turn its
# parallel NAT-T, over-ICMP and over-DNS attempts off); tcponly: nothing else;
# udpaccel: the client's UDP acceleration left on (/DISABLEUDP:no), and the
# pings wait until the session's data has moved to UDP.
softether_capture() {
    local pcap=$1 port=$2 mode=${3:-} d=$WORK/softether-$2${3:+-$3}
    local noudp=yes host=198.19.0.1
    [[ $mode == udpaccel ]] && noudp=no
    [[ -z $mode ]] || host=198.19.0.1/tcp
    mkdir -p "$d/srv" "$d/cli"
    local srvcmd=(ip netns exec "$NS_S" vpncmd 127.0.0.1:5555 /SERVER)
    local clicmd=(ip netns exec "$NS_C" vpncmd localhost /CLIENT /CMD)
    local selog=$WORK/log/$pcap-vpncmd.log
    bg_priv "$NS_S" "$WORK/log/$pcap-vpnserver-1.log" "$d/srv" /usr/libexec/softether/vpnserver/vpnserver execsvc
    local spid=$BG_PID
    wait_for 20 "vpnserver" sh -c "ip netns exec $NS_S ss -ltn | grep -q ':5555 '"
    sleep 1
    {
        "${srvcmd[@]}" /HUB:DEFAULT /CMD UserCreate tdr /GROUP:none /REALNAME:none /NOTE:none
        "${srvcmd[@]}" /HUB:DEFAULT /CMD UserPasswordSet tdr /PASSWORD:tundra-throwaway-pw
        "${srvcmd[@]}" /HUB:DEFAULT /CMD SecureNatEnable
        "${srvcmd[@]}" /HUB:DEFAULT /CMD DhcpDisable
        # a listener besides the default ones (443, 992, 1194, 5555)
        case $port in 443 | 992 | 1194 | 5555) ;; *) "${srvcmd[@]}" /CMD ListenerCreate "$port" ;; esac
        "${srvcmd[@]}" /CMD Flush
    } >>"$selog" 2>&1 || die "vpncmd (server) failed, see $selog"
    # no NetBIOS/DNS look-ups of the client's name, no NAT-T: restart with an edited config
    stop_pid "$spid"
    sed -i -e 's/bool DisableGetHostNameWhenAcceptTcp false/bool DisableGetHostNameWhenAcceptTcp true/' \
        -e 's/bool DisableNatTraversal false/bool DisableNatTraversal true/' \
        -e 's/bool DisableKernelModeSecureNAT false/bool DisableKernelModeSecureNAT true/' \
        -e 's/bool DisableIpRawModeSecureNAT false/bool DisableIpRawModeSecureNAT true/' "$d/srv/vpn_server.config"
    # vpnserver still asks the client's NetBIOS name (UDP to 198.19.0.2:137 from a
    # random port) when a TCP connection comes in; that lookup is not part of the
    # VPN and would be a flow with a random server-side port, so refuse it locally
    ip -n "$NS_S" rule add ipproto udp dport 137 prohibit
    grep -q "DisableGetHostNameWhenAcceptTcp true" "$d/srv/vpn_server.config" &&
        grep -q 'declare tdr' "$d/srv/vpn_server.config" || die "vpn_server.config not as expected"
    bg_priv "$NS_S" "$WORK/log/$pcap-vpnserver-2.log" "$d/srv" /usr/libexec/softether/vpnserver/vpnserver execsvc
    spid=$BG_PID
    wait_for 20 "vpnserver (restarted)" sh -c "ip netns exec $NS_S ss -ltn | grep -q ':$port '"

    bg_priv "$NS_C" "$WORK/log/$pcap-vpnclient.log" "$d/cli" /usr/libexec/softether/vpnclient/vpnclient execsvc
    local cpid=$BG_PID
    wait_for 20 "vpnclient" sh -c "ip netns exec $NS_C ss -ltn | grep -qE ':993[0-9] '"
    sleep 1
    {
        "${clicmd[@]}" NicCreate se0
        "${clicmd[@]}" AccountCreate tdr /SERVER:$host:$port /HUB:DEFAULT /USERNAME:tdr /NICNAME:se0
        "${clicmd[@]}" AccountPasswordSet tdr /PASSWORD:tundra-throwaway-pw /TYPE:standard
        "${clicmd[@]}" AccountDetailSet tdr /MAXTCP:1 /INTERVAL:1 /TTL:0 /HALF:no /BRIDGE:no \
            /MONITOR:no /NOTRACK:no /NOQOS:no /DISABLEUDP:$noudp
    } >>"$selog" 2>&1 || die "vpncmd (client) failed, see $selog"
    cap_start "$pcap"
    "${clicmd[@]}" AccountConnect tdr >>"$selog" 2>&1 || die "AccountConnect failed"
    wait_for 20 "SoftEther session" sh -c "$(printf '%q ' "${clicmd[@]}") AccountStatusGet tdr | grep -q 'Session Established'"
    ip -n "$NS_C" addr add 192.168.30.10/24 dev vpn_se0
    ip -n "$NS_C" link set vpn_se0 up
    if [[ $mode == udpaccel ]]; then
        # the session's data moves to UDP once UDP has been received steadily for a while
        wait_for 40 "SoftEther UDP acceleration active" sh -c \
            "$(printf '%q ' "${clicmd[@]}") AccountStatusGet tdr | grep -qE 'UDP Acceleration is Active +\|Yes'"
    fi
    cping 192.168.30.1 4 >&2   # SecureNAT's virtual host
    "${clicmd[@]}" AccountStatusGet tdr 2>/dev/null | grep -E "Session Status|Encryption|Underlay|UDP Accel" |
        sed 's/^/    /' >&2 || true
    "${clicmd[@]}" AccountDisconnect tdr >>"$selog" 2>&1 || true
    sleep 1
    cap_stop
    stop_pid "$cpid"
    stop_pid "$spid"
    ip -n "$NS_S" rule del ipproto udp dport 137 prohibit
}

# --------------------------------------------------------------- decoys
# decoy_capture PCAP TRANSPORT(udp|tcp)
decoy_capture() {
    local pcap=$1 l4=$2
    bg "$NS_S" "$WORK/log/decoy-srv-$l4.log" "$PY" -u "$HERE/traffic.py" decoy-server 198.19.0.1
    local spid=$BG_PID
    wait_for 10 "decoy server" grep -q ready "$WORK/log/decoy-srv-$l4.log"
    cap_start "$pcap"
    ip netns exec "$NS_C" "$PY" -u "$HERE/traffic.py" decoy-client 198.19.0.1 "$l4" >&2
    cap_stop
    stop_pid "$spid"
}

stage2() {
    cap stage2 ike_capture ikev2-udp500.pcap     1 198.18.0.1 2 netlink  no  no
    cap stage2 ike_capture ikev2-natt-4500.pcap  2 198.19.0.1 2 libipsec yes yes
    cap stage2 ike_capture ikev2-libipsec.pcap   3 198.18.0.1 2 libipsec no  yes
    cap stage2 ike_capture ikev1-main.pcap       4 198.19.0.1 1 libipsec no  no
    cap stage2 l2tp_capture l2tp-1701.pcap 1701
    cap stage2 pptp_capture pptp-1723.pcap 1723
    cap stage2 openconnect_capture openconnect-ocserv.pcap 443
    cap stage2 tinc_capture tinc.pcap 655
    cap stage2 softether_capture softether.pcap 443
    cap stage2 decoy_capture decoy-udp.pcap udp
    cap stage2 decoy_capture decoy-tcp.pcap tcp
}

# The stage-2 protocols again, each on a port that is not its usual one (same
# functions, same addresses as their standard-port captures):
# - strongSwan with port/port_nat_t 7500/7501 on both sides. As neither port
#   is 500, charon puts the non-ESP marker on every message, IKE_SA_INIT
#   included (7500 <-> 7500); after NAT detection the client floats to its
#   7501 and the server stays on 7500, so IKE_AUTH and ESP-in-UDP go
#   7501 -> 7500, a second flow to the same server port.
# - xl2tpd, ocserv, tinc: their own port settings; SoftEther: an extra listener.
# - PPTP: through NAT, see pptp_capture.
stage2_ports() {
    cap "stage2 ports" ike_capture ikev2-natt-7500.pcap 5 198.19.0.1 2 libipsec yes yes 7500 7501
    cap "stage2 ports" l2tp_capture l2tp-11701.pcap 11701
    cap "stage2 ports" pptp_capture pptp-11723.pcap 11723
    cap "stage2 ports" openconnect_capture openconnect-ocserv-8443.pcap 8443
    cap "stage2 ports" tinc_capture tinc-7655.pcap 7655
    cap "stage2 ports" softether_capture softether-8888.pcap 8888
}

# ======================================================================
# Stage 3: OpenVPN 2.6 variants, captures that start mid-session, IP
# fragments made by the kernel, FortiGate-named TLS with openfortivpn,
# SoftEther's UDP acceleration, VXLAN made by the kernel. Same namespaces
# and helpers (VXLAN: a pair of its own).
# ======================================================================

# ovpn26_capture PCAP PROTO(udp|tcp|udp6|tcp6) SERVER_IP PORT KEYMODE AUTH CIPHER
#   KEYMODE: none, tls-auth (key-direction 0 on the server, 1 on the client),
#            tls-auth-bidir (no key-direction), tls-crypt, tls-crypt-v2
#   AUTH:    --auth (tls-auth HMAC, and the data channel's HMAC with CBC), - for the default
#   CIPHER:  --data-ciphers on both sides; a CBC cipher is also --data-ciphers-fallback
# With MIDSESSION=1 the capture starts after the tunnel has carried pings and
# ends before the client stops: data channel (P_DATA_V2) only.
ovpn26_capture() {
    local pcap=$1 proto=$2 ip=$3 port=$4 keymode=$5 auth=$6 cipher=$7
    local p=$WORK/pki sproto cproto skey ckey
    case $proto in
        udp | udp6) sproto=$proto; cproto=$proto ;;
        tcp | tcp6) sproto=$proto-server; cproto=$proto-client ;;
        *) die "ovpn26_capture: transport $proto" ;;
    esac
    local common="dev tun
disable-dco
ca $p/ca.crt
verb 3
data-ciphers $cipher
"
    [[ $cipher == *-CBC ]] && common+="data-ciphers-fallback $cipher
"
    [[ $auth == - ]] || common+="auth $auth
"
    case $keymode in
        none) skey=""; ckey="" ;;
        tls-auth) skey="key-direction 0
tls-auth $p/ta.key"; ckey="key-direction 1
tls-auth $p/ta.key" ;;
        tls-auth-bidir) skey="tls-auth $p/ta.key"; ckey=$skey ;;
        tls-crypt) skey="tls-crypt $p/tc.key"; ckey=$skey ;;
        tls-crypt-v2) skey="tls-crypt-v2 $p/tcv2-server.key"; ckey="tls-crypt-v2 $p/tcv2-client.key" ;;
        *) die "ovpn26_capture: key mode $keymode" ;;
    esac
    local sc=$WORK/ovpn26-srv.conf cc=$WORK/ovpn26-cli.conf lg=$WORK/log/$pcap
    {
        echo "mode server"
        echo "tls-server"
        echo "proto $sproto"
        echo "local $ip"
        echo "port $port"
        echo "topology subnet"
        echo "server 10.8.0.0 255.255.255.0"
        echo "cert $p/server.crt"
        echo "key $p/server.key"
        echo "dh none"
        echo "keepalive 10 60"
        printf '%s' "$common"
        [[ -z $skey ]] || echo "$skey"
    } >"$sc"
    {
        echo "client"
        echo "proto $cproto"
        echo "remote $ip $port"
        echo "nobind"
        echo "remote-cert-tls server"
        echo "cert $p/client.crt"
        echo "key $p/client.key"
        echo "connect-retry 1"
        printf '%s' "$common"
        [[ -z $ckey ]] || echo "$ckey"
    } >"$cc"

    bg "$NS_S" "$lg-srv.log" openvpn --config "$sc"
    local spid=$BG_PID
    wait_for 15 "openvpn server ($pcap)" grep -q "Initialization Sequence Completed" "$lg-srv.log"
    ((MIDSESSION)) || cap_start "$pcap"
    bg "$NS_C" "$lg-cli.log" openvpn --config "$cc"
    local cpid=$BG_PID
    wait_for 30 "openvpn client ($pcap)" grep -q "Initialization Sequence Completed" "$lg-cli.log"
    if ((MIDSESSION)); then
        cping 10.8.0.1 2 >&2
        sleep 1
        cap_start "$pcap"
    fi
    cping 10.8.0.1 4 "$PING_SIZE" >&2
    if ((MIDSESSION)); then
        cap_stop
        stop_pid "$cpid"
    else
        stop_pid "$cpid"
        cap_stop
    fi
    stop_pid "$spid"
    grep -E "Control Channel:|Data Channel:|Outgoing Data Channel|Peer Connection Initiated" "$lg-cli.log" |
        sed 's/^/    /' >&2 || true
    grep -q "Data Channel: cipher '$cipher'" "$lg-cli.log" || die "$pcap: data channel is not $cipher"
}

# midsession_capture PCAP FUNC ARGS...: FUNC PCAP ARGS... with MIDSESSION=1 (the
# handshake is missed: the capture starts once the tunnel has carried pings)
midsession_capture() {
    local pcap=$1 func=$2
    shift 2
    local MIDSESSION=1
    "$func" "$pcap" "$@"
}

# frag_capture PCAP MTU PING_SIZE FUNC ARGS...: FUNC PCAP ARGS... with both
# veths' MTU at MTU, so that the kernel fragments the datagrams the software
# sends (which leave DF clear once they exceed the path MTU: IP_PMTUDISC_WANT,
# the Linux default). strongSwan's own IKE fragmentation is off
# (IKE_FRAGMENTATION=no), so the kernel is the one that fragments. PING_SIZE
# (- for ping's default) is the size of the pings through an OpenVPN tunnel
# (ovpn26_capture): OpenVPN 2.6 keeps its control packets within 1250 bytes
# with the IP header, under IPv6's minimum MTU of 1280, so over IPv6 it is the
# data channel's big packets that get fragmented. An MTU under 1280 takes IPv6
# off the veths, so the network is set up afresh afterwards.
frag_capture() {
    local pcap=$1 mtu=$2 size=$3 func=$4
    shift 4
    local IKE_FRAGMENTATION=no PING_SIZE=${size#-}
    ip -n "$NS_C" link set "$VETH_C" mtu "$mtu"
    ip -n "$NS_S" link set "$VETH_S" mtu "$mtu"
    sleep 1  # MLD reports after the MTU change, before the capture
    "$func" "$pcap" "$@"
    setup_net
}

# forti_capture PCAP SERVER_IP PORT TLSVER(1.2|1.3)
# No FortiGate runs here: the server is traffic.py's forti-server (Python ssl,
# TLS at most TLSVER) presenting a certificate chain named the way a FortiGate's
# factory default "Fortinet_SSL" is (issuer CN "FortiGate CA", O Fortinet;
# subject CN a serial number, O Fortinet, OU FortiGate). The client is the real
# openfortivpn: it logs in (POST /remote/logincheck), reads its configuration and
# asks for the tunnel (GET /remote/sslvpn-tunnel); pppd cannot run here (no
# /dev/ppp), so the client stops there.
forti_capture() {
    local pcap=$1 ip=$2 port=$3 ver=$4 d=$WORK/forti
    mkdir -p "$d"
    if [[ ! -f $d/chain.pem ]]; then
        (
            cd "$d"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
                -subj "/C=US/ST=California/L=Sunnyvale/O=Fortinet/OU=Certificate Authority/CN=FortiGate CA/emailAddress=support@fortinet.com" \
                -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
                -subj "/C=US/ST=California/L=Sunnyvale/O=Fortinet/OU=FortiGate/CN=FGT60F0000000000/emailAddress=support@fortinet.com" 2>/dev/null
            printf 'basicConstraints = CA:false\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n' >ext.cnf
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
                -days 30 -extfile ext.cnf 2>/dev/null
            cat server.crt ca.crt >chain.pem
            chmod 600 ./*.key
        )
    fi
    local pin lg=$WORK/log/$pcap
    pin=$(openssl x509 -in "$d/server.crt" -outform der | openssl dgst -sha256 -r | cut -d' ' -f1)
    bg "$NS_S" "$lg-srv.log" "$PY" -u "$HERE/traffic.py" forti-server "$ip" "$port" "$d/chain.pem" "$d/server.key" "$ver"
    local spid=$BG_PID
    wait_for 10 "forti-server ($pcap)" grep -q ready "$lg-srv.log"
    cap_start "$pcap"
    ip netns exec "$NS_C" timeout 20 openfortivpn "$ip:$port" -u tdr -p tundra-throwaway-pw \
        --trusted-cert "$pin" --no-routes --no-dns --pppd-no-peerdns -v >"$lg-cli.log" 2>&1 || true
    sleep 0.5
    cap_stop
    stop_pid "$spid"
    grep -E "GET|POST|tunnel|pppd|ERROR" "$lg-cli.log" | head -8 | sed 's/^/    /' >&2 || true
    grep -q "sslvpn-tunnel" "$lg-srv.log" || die "$pcap: openfortivpn did not ask for the tunnel"
}

# vxlan_capture PCAP KIND(wireguard|openvpn)
# In a namespace pair of its own (NS_XC/NS_XS, veth VETH_XC/VETH_XS: the
# underlay, IPv4 only, 203.0.113.2 client and 203.0.113.1 server), each side
# has a kernel vxlan device vx0 (VNI 4242, UDP 4789, unicast to the other
# side over the veth) holding the addresses the other captures have on their
# veth (198.18.0.1/.2, 198.19.0.1/.2, fd00:7d::1/::2). The VPN runs between the
# vx0 addresses, and tcpdump captures the underlay veth: Ethernet, IPv4, UDP
# 4789, VXLAN, inner Ethernet, then the VPN's own packets.
vxlan_capture() {
    local pcap=$1 kind=$2
    # the capture functions and helpers work in these namespaces, on this veth
    local NS_C=$NS_XC NS_S=$NS_XS VETH_C=$VETH_XC VETH_S=$VETH_XS
    local ns side dev self peer
    for ns in "$NS_XC" "$NS_XS"; do
        kill_ns_procs "$ns"
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_dad=0
    done
    ip link add "$VETH_XC" netns "$NS_XC" type veth peer name "$VETH_XS" netns "$NS_XS"
    for side in s c; do
        if [[ $side == s ]]; then ns=$NS_XS; dev=$VETH_XS; self=1; peer=2
        else ns=$NS_XC; dev=$VETH_XC; self=2; peer=1; fi
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"  # the underlay is IPv4 only
        ip -n "$ns" addr add "203.0.113.$self/24" dev "$dev"
        ip -n "$ns" link set "$dev" up
        ip -n "$ns" link add vx0 type vxlan id 4242 local "203.0.113.$self" remote "203.0.113.$peer" \
            dstport 4789 dev "$dev"
        ip -n "$ns" addr add "198.18.0.$self/24" dev vx0
        ip -n "$ns" addr add "198.19.0.$self/24" dev vx0
        ip -n "$ns" addr add "fd00:7d::$self/64" dev vx0 nodad
        ip -n "$ns" link set vx0 up
    done
    local i
    for i in $(seq 1 50); do
        ip netns exec "$NS_XC" ping -c1 -W1 -q 198.18.0.1 >/dev/null 2>&1 &&
            ip netns exec "$NS_XC" ping -c1 -W1 -q 198.19.0.1 >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip netns exec "$NS_XC" ping -c1 -W1 -q 198.18.0.1 >/dev/null || die "vxlan link not working"
    sleep 2  # link-local set-up noise before the capture
    case $kind in
        wireguard) wg_capture "$pcap" 9 198.18.0.1 51820 198.18.0.1:51820 ;;
        openvpn) ovpn_capture "$pcap" udp 198.19.0.1 1194 none ;;
        *) die "vxlan_capture: $kind" ;;
    esac
    for ns in "$NS_XC" "$NS_XS"; do
        kill_ns_procs "$ns"
        ip netns del "$ns"
    done
}

stage3() {
    # OpenVPN 2.6 variants: key modes, HMACs, data-channel ciphers, IPv6
    cap stage3 ovpn26_capture openvpn-udp-tlscryptv2.pcap             udp  198.18.0.1 1194 tls-crypt-v2   -      AES-256-GCM
    cap stage3 ovpn26_capture openvpn-tcp-tlscryptv2.pcap             tcp  198.19.0.1 443  tls-crypt-v2   -      AES-128-GCM
    cap stage3 ovpn26_capture openvpn-udp6-tlscryptv2.pcap            udp6 fd00:7d::1 1194 tls-crypt-v2   -      CHACHA20-POLY1305
    cap stage3 ovpn26_capture openvpn-tcp6-tlscryptv2.pcap            tcp6 fd00:7d::1 443  tls-crypt-v2   -      AES-256-GCM
    cap stage3 ovpn26_capture openvpn-udp-tlsauth-sha1-keydir.pcap    udp  198.18.0.1 1194 tls-auth       SHA1   AES-128-GCM
    cap stage3 ovpn26_capture openvpn-udp-tlsauth-sha256-bidir.pcap   udp  198.19.0.1 1194 tls-auth-bidir SHA256 CHACHA20-POLY1305
    cap stage3 ovpn26_capture openvpn-tcp-tlsauth-sha512-bidir.pcap   tcp  198.18.0.1 443  tls-auth-bidir SHA512 AES-256-GCM
    cap stage3 ovpn26_capture openvpn-tcp-tlsauth-sha256-keydir.pcap  tcp  198.19.0.1 1194 tls-auth       SHA256 AES-128-GCM
    cap stage3 ovpn26_capture openvpn-udp-cbc-sha256.pcap             udp  198.19.0.1 1194 none           SHA256 AES-256-CBC
    cap stage3 ovpn26_capture openvpn-tcp-tlsauth-sha1-cbc.pcap       tcp  198.18.0.1 1194 tls-auth       SHA1   AES-128-CBC
    cap stage3 ovpn26_capture openvpn-udp-chacha20.pcap               udp  198.18.0.1 1194 none           -      CHACHA20-POLY1305
    cap stage3 ovpn26_capture openvpn-udp6-plain.pcap                 udp6 fd00:7d::1 1194 none           -      AES-256-GCM
    cap stage3 ovpn26_capture openvpn-tcp6-plain.pcap                 tcp6 fd00:7d::1 443  none           -      CHACHA20-POLY1305
    cap stage3 ovpn26_capture openvpn-udp6-tlsauth-sha512-keydir.pcap udp6 fd00:7d::1 1194 tls-auth       SHA512 AES-128-GCM
    cap stage3 ovpn26_capture openvpn-tcp6-tlscrypt.pcap             tcp6 fd00:7d::1 443  tls-crypt      -      AES-256-GCM

    # The handshake missed: data packets only
    cap stage3 midsession_capture wireguard-midsession.pcap wg_capture 3 198.19.0.1 51820 198.19.0.1:51820
    cap stage3 midsession_capture openvpn-udp-midsession.pcap ovpn26_capture udp 198.18.0.1 1194 none - AES-256-GCM
    cap stage3 midsession_capture ikev2-esp-midsession.pcap ike_capture 6 198.18.0.1 2 libipsec no yes

    # IP fragments made by the kernel (MTU of both veths lowered)
    cap stage3 frag_capture ikev2-frag.pcap         280  - ike_capture 7 198.19.0.1 2 libipsec no yes
    cap stage3 frag_capture openvpn-udp-frag.pcap   576  - ovpn26_capture udp 198.18.0.1 1194 none - AES-256-GCM
    cap stage3 frag_capture wireguard-frag.pcap     128  - wg_capture 4 198.18.0.1 51820 198.18.0.1:51820
    cap stage3 frag_capture openvpn-udp6-frag.pcap  1280 1200 ovpn26_capture udp6 fd00:7d::1 1194 tls-crypt - AES-256-GCM

    # FortiGate-named certificate chain (TLS 1.2: visible; TLS 1.3: encrypted)
    cap stage3 forti_capture fortinet-tls12.pcap 198.19.0.1 10443 1.2
    cap stage3 forti_capture fortinet-tls13.pcap 198.18.0.1 443 1.3

    # SoftEther: UDP acceleration; a TCP session without the DNS/ICMP transports
    cap stage3 softether_capture softether-udpaccel.pcap 443 udpaccel
    cap stage3 softether_capture softether-tcp.pcap 443 tcponly

    # Non-VPN over IPv6 only: the inner capture of encap.py's 6in4 and Teredo files
    cap stage3 tls_capture https-tls13-v6.pcap "[fd00:7d::1]" 1.3

    # VXLAN made by the kernel (files in encap/, labelled by their inner flows)
    cap stage3 vxlan_capture encap/vxlan-wireguard.pcap wireguard
    cap stage3 vxlan_capture encap/vxlan-openvpn.pcap openvpn
}

# pcaps/encap/: the wrapped files made again from the captures in pcaps/ by
# encap.py (deterministic: the same captures give the same bytes). It needs
# Debian's python3-scapy, for /usr/bin/python3.
make_encap() {
    [[ -f $HERE/encap.py ]] || return 0
    if ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
        log "WARNING: python3-scapy is missing: pcaps/encap/ not made again"
        return 0
    fi
    /usr/bin/python3 "$HERE/encap.py" >&2 || die "encap.py failed"
}

# ------------------------------------------------------------------- files
write_registry() {
    cat >"$WORK/out/registry.csv" <<'EOF'
prefix,port,protocol,registrant_id,registrant_name,sector
198.18.0.0/24,,,R-0001,Example Bank,bank
203.0.113.0/24,443,openvpn,R-0002,Example University,university
2001:db8:10::/48,,wireguard,R-0003,"Mission, Example",mission
192.0.2.77/32,1194,openvpn,R-0004,Jane Doe (freelancer),freelancer
2001:db8:ffff::1/128,51820,wireguard,R-0005,Example Newsroom,other
EOF
}

write_labels() {
    cat >"$WORK/out/labels.csv" <<'EOF'
pcap,l4,server_ip,server_port,app,verdict,tied_to
wireguard-udp51820.pcap,udp,198.18.0.1,51820,wireguard,allow,
wireguard-udp443-v6.pcap,udp,fd00:7d::1,443,wireguard,block,
openvpn-udp1194.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-udp-tlscrypt.pcap,udp,198.19.0.1,5000,openvpn,block,
openvpn-udp-tlsauth.pcap,udp,198.19.0.1,1194,openvpn,block,
openvpn-tcp443.pcap,tcp,198.19.0.1,443,openvpn,block,
openvpn-tcp-tlscrypt.pcap,tcp,198.18.0.1,1194,openvpn,allow,
dns.pcap,udp,198.18.0.1,53,unknown,pass,
dns.pcap,udp,fd00:7d::1,53,unknown,pass,
https-tls13.pcap,tcp,198.18.0.1,443,unknown,pass,
https-tls12.pcap,tcp,198.19.0.1,443,unknown,pass,
ssh.pcap,tcp,198.19.0.1,22,unknown,pass,
udp-random.pcap,udp,198.19.0.1,51820,unknown,pass,
udp-random.pcap,udp,198.19.0.1,1194,unknown,pass,
udp-random.pcap,udp,198.19.0.1,5000,unknown,pass,
udp-random.pcap,udp,198.19.0.1,443,unknown,pass,
udp-random.pcap,udp,198.19.0.1,4500,unknown,pass,
udp-random.pcap,udp,198.19.0.1,9999,unknown,pass,
udp-random.pcap,tcp,198.19.0.1,1194,unknown,pass,
udp-random.pcap,tcp,198.19.0.1,443,unknown,pass,
demo.pcap,udp,198.18.0.1,51820,wireguard,allow,
demo.pcap,udp,198.18.0.1,1194,openvpn,allow,
demo.pcap,tcp,198.19.0.1,443,openvpn,block,
demo.pcap,udp,198.18.0.1,53,unknown,pass,
demo.pcap,udp,fd00:7d::1,53,unknown,pass,
demo.pcap,tcp,198.18.0.1,443,unknown,pass,
ikev2-udp500.pcap,udp,198.18.0.1,500,ike,allow,
ikev2-natt-4500.pcap,udp,198.19.0.1,500,ike,block,
ikev2-natt-4500.pcap,udp,198.19.0.1,4500,ike,block,
ikev2-libipsec.pcap,udp,198.18.0.1,500,ike,allow,
ikev2-libipsec.pcap,udp,198.18.0.1,4500,ike,allow,
ikev2-esp.pcap,udp,198.18.0.1,500,ike,allow,50/0
ikev2-esp.pcap,50,198.18.0.1,0,esp,allow,udp/500
ikev1-main.pcap,udp,198.19.0.1,500,ike,block,
ikev1-main.pcap,udp,198.19.0.1,4500,ike,block,
l2tp-1701.pcap,udp,198.19.0.1,1701,l2tp,block,
pptp-1723.pcap,tcp,198.18.0.1,1723,pptp,allow,47/0
pptp-1723.pcap,47,198.18.0.1,0,gre,allow,tcp/1723
openconnect-ocserv.pcap,tcp,198.19.0.1,443,openconnect,block,udp/443
openconnect-ocserv.pcap,udp,198.19.0.1,443,openconnect,block,tcp/443
tinc.pcap,tcp,198.18.0.1,655,tinc,allow,udp/655
tinc.pcap,udp,198.18.0.1,655,tinc,allow,tcp/655
softether.pcap,tcp,198.19.0.1,443,softether,block,udp/53
softether.pcap,udp,198.19.0.1,53,softether,block,tcp/443
softether.pcap,udp,198.19.0.1,137,unknown,pass,
softether.pcap,1,198.19.0.1,0,softether,block,
decoy-udp.pcap,udp,198.19.0.1,500,unknown,pass,
decoy-udp.pcap,udp,198.19.0.1,4500,unknown,pass,
decoy-udp.pcap,udp,198.19.0.1,1701,unknown,pass,
decoy-udp.pcap,udp,198.19.0.1,655,unknown,pass,
decoy-tcp.pcap,tcp,198.19.0.1,1723,unknown,pass,
decoy-tcp.pcap,tcp,198.19.0.1,655,unknown,pass,
tls-split-hello.pcap,tcp,198.19.0.1,443,unknown,pass,
tls-split-hello.pcap,tcp,198.18.0.1,443,unknown,pass,
tls-split-hello.pcap,tcp,198.19.0.1,8443,unknown,pass,
tls-split-hello.pcap,tcp,198.18.0.1,8443,unknown,pass,
ikev2-natt-7500.pcap,udp,198.19.0.1,7500,ike,block,
l2tp-11701.pcap,udp,198.19.0.1,11701,l2tp,block,
pptp-11723.pcap,tcp,198.18.0.1,11723,pptp,allow,47/0
pptp-11723.pcap,47,198.18.0.1,0,gre,allow,tcp/11723
openconnect-ocserv-8443.pcap,tcp,198.19.0.1,8443,openconnect,block,udp/8443
openconnect-ocserv-8443.pcap,udp,198.19.0.1,8443,openconnect,block,tcp/8443
tinc-7655.pcap,tcp,198.18.0.1,7655,tinc,allow,udp/7655
tinc-7655.pcap,udp,198.18.0.1,7655,tinc,allow,tcp/7655
softether-8888.pcap,tcp,198.19.0.1,8888,softether,block,udp/53
softether-8888.pcap,udp,198.19.0.1,53,softether,block,tcp/8888
softether-8888.pcap,udp,198.19.0.1,137,unknown,pass,
softether-8888.pcap,1,198.19.0.1,0,softether,block,
openvpn-udp-tlscryptv2.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-tcp-tlscryptv2.pcap,tcp,198.19.0.1,443,openvpn,block,
openvpn-udp6-tlscryptv2.pcap,udp,fd00:7d::1,1194,openvpn,block,
openvpn-tcp6-tlscryptv2.pcap,tcp,fd00:7d::1,443,openvpn,block,
openvpn-udp-tlsauth-sha1-keydir.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-udp-tlsauth-sha256-bidir.pcap,udp,198.19.0.1,1194,openvpn,block,
openvpn-tcp-tlsauth-sha512-bidir.pcap,tcp,198.18.0.1,443,openvpn,allow,
openvpn-tcp-tlsauth-sha256-keydir.pcap,tcp,198.19.0.1,1194,openvpn,block,
openvpn-udp-cbc-sha256.pcap,udp,198.19.0.1,1194,openvpn,block,
openvpn-tcp-tlsauth-sha1-cbc.pcap,tcp,198.18.0.1,1194,openvpn,allow,
openvpn-udp-chacha20.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-udp6-plain.pcap,udp,fd00:7d::1,1194,openvpn,block,
openvpn-tcp6-plain.pcap,tcp,fd00:7d::1,443,openvpn,block,
openvpn-udp6-tlsauth-sha512-keydir.pcap,udp,fd00:7d::1,1194,openvpn,block,
openvpn-tcp6-tlscrypt.pcap,tcp,fd00:7d::1,443,openvpn,block,
wireguard-midsession.pcap,udp,198.19.0.1,51820,wireguard,block,
ikev2-esp-midsession.pcap,udp,198.18.0.1,4500,esp,allow,
openvpn-udp-midsession.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-udp-frag.pcap,udp,198.18.0.1,1194,openvpn,allow,
openvpn-udp6-frag.pcap,udp,fd00:7d::1,1194,openvpn,block,
fortinet-tls12.pcap,tcp,198.19.0.1,10443,fortinet,block,
fortinet-tls13.pcap,tcp,198.18.0.1,443,unknown,pass,
https-tls13-v6.pcap,tcp,fd00:7d::1,443,unknown,pass,
EOF
    # Stage 3 captures that tundra does not decide right yet: the truth all the
    # same, kept out of labels.csv (which tests/e2e/test_labels.py holds tundra to)
    # until the parser and classifiers catch up.
    cat >"$WORK/out/labels-next.csv" <<'EOF'
pcap,l4,server_ip,server_port,app,verdict,tied_to
ikev2-frag.pcap,udp,198.19.0.1,500,ike,block,
ikev2-frag.pcap,udp,198.19.0.1,4500,ike,block,
wireguard-frag.pcap,udp,198.18.0.1,51820,wireguard,allow,
softether-udpaccel.pcap,tcp,198.19.0.1,443,softether,block,
softether-udpaccel.pcap,udp,198.19.0.1,40000,softether,block,
softether-udpaccel.pcap,1,198.19.0.1,0,unknown,pass,
softether-tcp.pcap,tcp,198.19.0.1,443,softether,block,
encap/vxlan-wireguard.pcap,udp,198.18.0.1,51820,wireguard,allow,
encap/vxlan-openvpn.pcap,udp,198.19.0.1,1194,openvpn,block,
EOF
}

# -------------------------------------------------------------------- main
main() {
    [[ ${NO_INSTALL:-0} == 1 ]] || install_deps
    WORK=$(mktemp -d "/tmp/$TDR_PREFIX-captures.XXXXXX")
    mkdir -p "$WORK/out/encap" "$WORK/log/encap"
    write_labels  # every capture has labels: the names that may be asked for
    local s
    for s in "${SELECT[@]}"; do
        case $s in
            stage1 | stage2 | ports | stage3) ;;
            *) grep -q "^$s," "$WORK/out/labels.csv" "$WORK/out/labels-next.csv" ||
                   die "no capture named $s (pcap names: labels.csv, labels-next.csv; groups: stage1, stage2, ports, stage3)" ;;
        esac
    done
    print_versions
    setup_net
    make_pki

    stage1
    stage2
    # ClientHellos split over TCP segments: its own namespaces, its own checks.
    if want stage2 tls-split-hello.pcap; then
        "$HERE/make-split-hello.sh" "$WORK/out"
    fi
    stage2_ports
    stage3

    local o=$WORK/out
    # demo.pcap: every merged flow has its own server endpoint (https-tls13 is on
    # 198.18.0.1:443, openvpn-tcp443 on 198.19.0.1:443), so labels stay unambiguous.
    local demo_in=("$o/wireguard-udp51820.pcap" "$o/openvpn-udp1194.pcap" "$o/openvpn-tcp443.pcap"
                   "$o/dns.pcap" "$o/https-tls13.pcap")
    if ls "${demo_in[@]}" >/dev/null 2>&1; then
        "$PY" "$HERE/pcaptool.py" merge "$o/demo.pcap" "${demo_in[@]}" >&2
    fi

    # ikev2-esp.pcap: the ikev2-libipsec session as it looks without NAT-T (IKE stays on
    # UDP 500, ESP on IP protocol 50). Derived, because strongSwan's libipsec only sends
    # ESP in UDP and the capture kernel has no ESP (see ike_capture).
    if [[ -f $o/ikev2-libipsec.pcap ]]; then
        "$PY" "$HERE/pcaptool.py" unencap "$o/ikev2-esp.pcap" "$o/ikev2-libipsec.pcap" >&2
    fi

    write_registry
    write_labels
    # labels-next.csv: labels of captures that tundra does not decide right yet
    # (stage 3); checked here like labels.csv
    tail -n +2 "$o/labels-next.csv" | cat "$o/labels.csv" - >"$WORK/labels-all.csv"
    local made=() f
    for f in "$o/"*.pcap "$o/encap/"*.pcap; do
        [[ -e $f ]] && made+=("${f#"$o/"}")
    done
    if ((${#SELECT[@]} == 0)); then
        "$PY" "$HERE/pcaptool.py" check "$WORK/labels-all.csv" "$o" >&2 ||
            die "labels.csv does not match the captures (files left untouched)"
        mkdir -p "$HERE/encap"
        for f in "${made[@]}"; do
            cp "$o/$f" "$HERE/$f"
            chmod 644 "$HERE/$f"
        done
        cp "$o/labels.csv" "$o/labels-next.csv" "$o/registry.csv" "$o/versions.txt" "$HERE/"
        chmod 644 "$HERE/labels.csv" "$HERE/labels-next.csv" "$HERE/registry.csv" "$HERE/versions.txt"
        log "done:"
        (cd "$HERE" && ls -l "${made[@]}" labels.csv labels-next.csv registry.csv versions.txt) >&2
        make_encap
        return
    fi
    # Only some captures: every name asked for must have been made, only their labels
    # are checked, and only they are replaced (labels.csv and registry.csv are
    # written in full; versions.txt stays that of the last full run).
    for s in "${SELECT[@]}"; do
        case $s in
            stage1 | stage2 | ports | stage3) ;;
            *) [[ -f $o/$s ]] || die "$s was not made" ;;
        esac
    done
    ((${#made[@]})) || die "nothing captured"
    for f in "${made[@]}"; do  # a capture function must write only the file it is given
        [[ " ${ASKED[*]} " == *" $f "* ]] || die "$f was written, but not asked for (files left untouched)"
    done
    awk -F, 'NR == FNR { m[$1] = 1; next } FNR == 1 || ($1 in m)' <(printf '%s\n' "${made[@]}") \
        "$WORK/labels-all.csv" >"$WORK/labels-made.csv"
    "$PY" "$HERE/pcaptool.py" check "$WORK/labels-made.csv" "$o" >&2 ||
        die "labels.csv does not match the captures (files left untouched)"
    mkdir -p "$HERE/encap"
    for f in "${made[@]}"; do
        cp "$o/$f" "$HERE/$f"
        chmod 644 "$HERE/$f"
    done
    (cd "$o" && cp labels.csv labels-next.csv registry.csv "$HERE/")
    (cd "$HERE" && chmod 644 labels.csv labels-next.csv registry.csv && ls -l "${made[@]}") >&2
    if want stage3 -; then  # stage 3's software versions beside the last full run's
        sed '1s/last capture run/last stage 3 run/' "$o/versions.txt" >"$HERE/versions-stage3.txt"
        chmod 644 "$HERE/versions-stage3.txt"
    fi
    log "done: ${made[*]}"
    make_encap
}

main "$@"
