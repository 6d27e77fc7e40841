#!/usr/bin/env bash
# Regenerate tundra's ground-truth captures: real WireGuard (wireguard-go),
# real OpenVPN and a few non-VPN protocols, run between two network
# namespaces joined by a veth pair.  All traffic stays inside the namespaces.
#
#   sudo pcaps/make-captures.sh            # writes pcaps/*.pcap, labels.csv, registry.csv
#   NO_INSTALL=1 sudo pcaps/make-captures.sh   # skip apt-get
#
# Idempotent: it removes namespaces/processes left by an earlier run, builds
# everything in a temp dir and only replaces the files in pcaps/ at the end.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NS_C=tdr-cli
NS_S=tdr-srv
VETH_C=tdr-c0
VETH_S=tdr-s0
PY="${PYTHON:-python3}"

log() { printf '[make-captures] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"

WORK=""
PIDS=()

kill_ns_procs() {
    local ns=$1 pid
    ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill "$pid" 2>/dev/null || true
    done
    sleep 0.3
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null || true
    done
}

teardown_net() {
    kill_ns_procs "$NS_C"
    kill_ns_procs "$NS_S"
    ip netns del "$NS_C" 2>/dev/null || true
    ip netns del "$NS_S" 2>/dev/null || true
    rm -f /var/run/wireguard/tdrw*.sock
}

cleanup() {
    local rc=$?
    set +e
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    teardown_net
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
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
                dnsmasq-base openssh-server openssh-client iproute2 iputils-ping procps)
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

# run CMD... in a namespace in the background; sets BG_PID
bg() {
    local ns=$1 logf=$2
    shift 2
    ip netns exec "$ns" "$@" >"$logf" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
}

stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
    local secs=$1 what=$2 i
    shift 2
    for i in $(seq 1 $((secs * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for $what"
}

CAP_PID=""
CAP_NAME=""
cap_start() {
    CAP_NAME=$1
    # -Z root: write directly as root (Debian's tcpdump otherwise drops to user tcpdump)
    bg "$NS_C" "$WORK/log/tcpdump-$CAP_NAME.log" tcpdump -n -i "$VETH_C" --immediate-mode -U -Z root -w "$WORK/out/$CAP_NAME"
    CAP_PID=$BG_PID
    wait_for 10 "tcpdump on $CAP_NAME" grep -q "listening on" "$WORK/log/tcpdump-$CAP_NAME.log"
    log "capturing $CAP_NAME"
}

cap_stop() {
    sleep 1
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    grep -E "packets (captured|received|dropped)" "$WORK/log/tcpdump-$CAP_NAME.log" | tr '\n' ' ' >&2 || true
    echo >&2
    CAP_PID=""
}

cping() { ip netns exec "$NS_C" ping -c "${2:-3}" -i 0.2 -W 2 "$1"; }

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
    chmod 600 ./*.key
    cd - >/dev/null
}

# --------------------------------------------------------------- WireGuard
# wg_capture PCAP IFSUFFIX SERVER_ADDR LISTEN_PORT ENDPOINT
wg_capture() {
    local pcap=$1 n=$2 addr=$3 port=$4 endpoint=$5
    local d=$WORK/wg$n sif=tdrws$n cif=tdrwc$n
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
    bg "$NS_S" "$WORK/log/dnsmasq.log" dnsmasq --keep-in-foreground --log-queries --log-facility=- \
        --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root --group=root \
        --pid-file="$WORK/dnsmasq.pid" --bind-interfaces \
        --listen-address=198.18.0.1 --listen-address=fd00:7d::1 \
        --local=/test/ --host-record=www.example.test,198.18.0.80,fd00:7d::80 \
        --txt-record=example.test,"tundra ground truth"
    local spid=$BG_PID
    wait_for 10 dnsmasq grep -q "started" "$WORK/log/dnsmasq.log"
    sleep 0.3
    cap_start dns.pcap
    ip netns exec "$NS_C" "$PY" "$HERE/traffic.py" dns 198.18.0.1 fd00:7d::1 >&2
    cap_stop
    stop_pid "$spid"
}

# tls_capture PCAP SERVER_IP TLSVER(1.3|1.2)
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
    local d=$WORK/ssh
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
    cap_start ssh.pcap
    ip netns exec "$NS_C" ssh -F /dev/null -i "$d/id" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@198.19.0.1 \
        'echo hello from tdr-srv; uname -sr' >&2
    cap_stop
    stop_pid "$spid"
}

noise_capture() {
    bg "$NS_S" "$WORK/log/noise-srv.log" "$PY" -u "$HERE/traffic.py" noise-server 198.19.0.1
    local spid=$BG_PID
    wait_for 10 "noise server" grep -q ready "$WORK/log/noise-srv.log"
    cap_start udp-random.pcap
    ip netns exec "$NS_C" "$PY" -u "$HERE/traffic.py" noise-client 198.19.0.1 >&2
    cap_stop
    stop_pid "$spid"
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
pcap,l4,server_ip,server_port,app,verdict
wireguard-udp51820.pcap,udp,198.18.0.1,51820,wireguard,allow
wireguard-udp443-v6.pcap,udp,fd00:7d::1,443,wireguard,block
openvpn-udp1194.pcap,udp,198.18.0.1,1194,openvpn,allow
openvpn-udp-tlscrypt.pcap,udp,198.19.0.1,5000,openvpn,block
openvpn-udp-tlsauth.pcap,udp,198.19.0.1,1194,openvpn,block
openvpn-tcp443.pcap,tcp,198.19.0.1,443,openvpn,block
openvpn-tcp-tlscrypt.pcap,tcp,198.18.0.1,1194,openvpn,allow
dns.pcap,udp,198.18.0.1,53,unknown,pass
dns.pcap,udp,fd00:7d::1,53,unknown,pass
https-tls13.pcap,tcp,198.18.0.1,443,unknown,pass
https-tls12.pcap,tcp,198.19.0.1,443,unknown,pass
ssh.pcap,tcp,198.19.0.1,22,unknown,pass
udp-random.pcap,udp,198.19.0.1,51820,unknown,pass
udp-random.pcap,udp,198.19.0.1,1194,unknown,pass
udp-random.pcap,udp,198.19.0.1,5000,unknown,pass
udp-random.pcap,udp,198.19.0.1,443,unknown,pass
udp-random.pcap,udp,198.19.0.1,4500,unknown,pass
udp-random.pcap,udp,198.19.0.1,9999,unknown,pass
udp-random.pcap,tcp,198.19.0.1,1194,unknown,pass
udp-random.pcap,tcp,198.19.0.1,443,unknown,pass
demo.pcap,udp,198.18.0.1,51820,wireguard,allow
demo.pcap,udp,198.18.0.1,1194,openvpn,allow
demo.pcap,tcp,198.19.0.1,443,openvpn,block
demo.pcap,udp,198.18.0.1,53,unknown,pass
demo.pcap,udp,fd00:7d::1,53,unknown,pass
demo.pcap,tcp,198.18.0.1,443,unknown,pass
EOF
}

# -------------------------------------------------------------------- main
main() {
    [[ ${NO_INSTALL:-0} == 1 ]] || install_deps
    WORK=$(mktemp -d /tmp/tdr-captures.XXXXXX)
    mkdir -p "$WORK/out" "$WORK/log"
    print_versions
    setup_net
    make_pki

    wg_capture wireguard-udp51820.pcap 1 198.18.0.1 51820 198.18.0.1:51820
    wg_capture wireguard-udp443-v6.pcap 2 fd00:7d::1 443 "[fd00:7d::1]:443"

    ovpn_capture openvpn-udp1194.pcap      udp 198.18.0.1 1194 none
    ovpn_capture openvpn-udp-tlscrypt.pcap udp 198.19.0.1 5000 tls-crypt
    ovpn_capture openvpn-udp-tlsauth.pcap  udp 198.19.0.1 1194 tls-auth
    ovpn_capture openvpn-tcp443.pcap       tcp 198.19.0.1 443  none
    ovpn_capture openvpn-tcp-tlscrypt.pcap tcp 198.18.0.1 1194 tls-crypt

    dns_capture
    tls_capture https-tls13.pcap 198.18.0.1 1.3
    tls_capture https-tls12.pcap 198.19.0.1 1.2
    ssh_capture
    noise_capture

    # demo.pcap: every merged flow has its own server endpoint (https-tls13 is on
    # 198.18.0.1:443, openvpn-tcp443 on 198.19.0.1:443), so labels stay unambiguous.
    "$PY" "$HERE/pcaptool.py" merge "$WORK/out/demo.pcap" \
        "$WORK/out/wireguard-udp51820.pcap" "$WORK/out/openvpn-udp1194.pcap" \
        "$WORK/out/openvpn-tcp443.pcap" "$WORK/out/dns.pcap" "$WORK/out/https-tls13.pcap" >&2

    write_registry
    write_labels
    "$PY" "$HERE/pcaptool.py" check "$WORK/out/labels.csv" "$WORK/out" >&2 ||
        die "labels.csv does not match the captures (files left untouched)"

    cp "$WORK/out/"*.pcap "$WORK/out/labels.csv" "$WORK/out/registry.csv" "$WORK/out/versions.txt" "$HERE/"
    chmod 644 "$HERE/"*.pcap "$HERE/labels.csv" "$HERE/registry.csv" "$HERE/versions.txt"
    log "done:"
    (cd "$HERE" && ls -l ./*.pcap labels.csv registry.csv versions.txt) >&2
}

main "$@"
