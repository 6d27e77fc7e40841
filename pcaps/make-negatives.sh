#!/usr/bin/env bash
# Regenerate tundra's negative set, pcaps/negatives/: real clients and servers
# of ordinary protocols (HTTPS over TLS 1.2 and 1.3, QUIC, DTLS, DNS over UDP
# and TCP, SSH, NTP, SIP with RTP) and random-payload UDP/TCP flows on VPN ports,
# run between two network namespaces joined by a veth pair.  None of it is a
# VPN; tests/e2e/test_negatives.py checks that tundra says so.
#
#   sudo pcaps/make-negatives.sh              # installs its Debian packages, then captures
#   sudo NO_INSTALL=1 pcaps/make-negatives.sh # skip apt-get
#   sudo KEEP_WORK=1 pcaps/make-negatives.sh  # keep the temp dir (logs, raw captures)
#
# Idempotent: it removes namespaces/processes left by an earlier run, works in
# a temp dir and only replaces pcaps/negatives/*.pcap at the end.  All traffic
# stays inside the namespaces tdn-cli and tdn-srv.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=make-negatives
# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"
DEST="$HERE/negatives"
NS_C=tdn-cli
NS_S=tdn-srv
VETH_C=tdn-c0
VETH_S=tdn-s0
SRV4=198.51.100.1      # every server
SRV4_H2=198.51.100.3   # nginx with HTTP/2
CLI4=198.51.100.2
SRV6=fd00:51::1
CLI6=fd00:51::2
PY="${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"
NEG="$HERE/negatives.py"

# Flows per protocol.  The committed set must stay >= 10000 flows and <= 12 MB.
N_CURL=200        # per TLS version
N_PYTLS=180       # per TLS version
N_SCLIENT=100     # per TLS version
N_GNUTLS=80       # per TLS version
N_WGET=40         # per TLS version
N_BUSYBOX=60      # TLS 1.3 file only
N_QUIC4=215
N_QUIC6=35
N_DTLS_ROUNDS=2   # x 7 OpenSSL variants x 5 connections
N_DTLS_GNUTLS=20
N_DIG_UDP4=3600
N_DIG_UDP6=400
N_KDIG_UDP=300
N_NSLOOKUP=100
N_DIG_TCP4=250
N_DIG_TCP6=50
N_KDIG_TCP=60
N_SSH=80
N_KEYSCAN=40
N_NTPDIG4=530
N_NTPDIG6=80
N_CHRONY=30
N_SIP_UDP=120
N_SIP_TCP=20
N_RAND_UDP4=2500
N_RAND_UDP6=200
N_RAND_TCP4=620
N_RAND_TCP6=80
SEED=5100


[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"

WORK=""
PIDS=()

teardown_net() {
    kill_ns_procs "$NS_C"
    kill_ns_procs "$NS_S"
    ip netns del "$NS_C" 2>/dev/null || true
    ip netns del "$NS_S" 2>/dev/null || true
    rm -rf "/etc/netns/$NS_C" "/etc/netns/$NS_S"
}

cleanup() {
    local rc=$?
    set +e
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    teardown_net
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ ${KEEP_WORK:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
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
    local pkgs=(openssl tcpdump iproute2 iputils-ping procps
                nginx-light curl wget gnutls-bin busybox
                ngtcp2-client ngtcp2-server
                dnsmasq-base bind9-dnsutils knot-dnsutils
                openssh-server openssh-client
                chrony ntpsec-ntpdate
                sip-tester)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    command -v "$PY" >/dev/null || die "python3 is required"
    if ((${#missing[@]})); then
        log "installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

print_versions() {
    {
        echo "# software versions used for the last negative-set run ($(date -u +%Y-%m-%dT%H:%MZ))"
        echo "debian $(cat /etc/debian_version), kernel $(uname -r)"
        echo "$(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p)"
        openssl version
        echo "$($PY --version 2>&1) ($($PY -c 'import ssl; print(ssl.OPENSSL_VERSION)'))"
        local p
        for p in nginx-light curl wget gnutls-bin busybox ngtcp2-client ngtcp2-server \
                 dnsmasq-base bind9-dnsutils knot-dnsutils openssh-server openssh-client \
                 chrony ntpsec-ntpdate sip-tester; do
            echo "$p $(dpkg-query -W -f='${Version}' "$p")"
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
    ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
    ip -n "$NS_S" addr add "$SRV4_H2/24" dev "$VETH_S"
    ip -n "$NS_S" addr add "$SRV6/64" dev "$VETH_S" nodad
    ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
    ip -n "$NS_C" addr add "$CLI6/64" dev "$VETH_C" nodad
    ip netns exec "$NS_S" sysctl -qw "net.ipv6.conf.$VETH_S.router_solicitations=0" "net.ipv6.conf.$VETH_S.accept_dad=0"
    ip netns exec "$NS_C" sysctl -qw "net.ipv6.conf.$VETH_C.router_solicitations=0" "net.ipv6.conf.$VETH_C.accept_dad=0"
    ip -n "$NS_S" link set "$VETH_S" up
    ip -n "$NS_C" link set "$VETH_C" up
    # `ip netns exec` bind-mounts /etc/netns/NS/* over /etc: the client resolves
    # the test names from this hosts file, and any other lookup goes to
    # 127.0.0.1 inside the namespace (nothing on the veth)
    mkdir -p "/etc/netns/$NS_C"
    {
        echo "127.0.0.1 localhost"
        local n
        for n in www api static mail login cdn1 img shop; do
            echo "$SRV4 $n.example.test"
        done
        echo "$SRV4_H2 h2.example.test"
        echo "$SRV6 v6.example.test"
    } >"/etc/netns/$NS_C/hosts"
    echo "nameserver 127.0.0.1" >"/etc/netns/$NS_C/resolv.conf"
    local i
    for i in $(seq 1 50); do
        ip netns exec "$NS_C" ping -c1 -W1 -q "$SRV4" >/dev/null 2>&1 &&
            ip netns exec "$NS_C" ping -c1 -W1 -q "$SRV6" >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip netns exec "$NS_C" ping -c1 -W1 -q "$SRV4_H2" >/dev/null || die "veth link not working"
    sleep 2  # link-local setup noise (MLD reports) before the first capture
}

listening() {  # listening NS PROTO(t|u) ADDR:PORT
    ip netns exec "$1" ss -ln"$2" | grep -qF " $3 "
}

CAP_PID=""
CAP_NAME=""
cap_start() {
    CAP_NAME=$1
    bg "$NS_C" "$WORK/log/tcpdump-$CAP_NAME.log" tcpdump -n -i "$VETH_C" --immediate-mode -U -B 32768 \
        -Z root -w "$WORK/raw/$CAP_NAME"
    CAP_PID=$BG_PID
    wait_for 10 "tcpdump on $CAP_NAME" grep -q "listening on" "$WORK/log/tcpdump-$CAP_NAME.log"
    log "capturing $CAP_NAME"
}

cap_stop() {
    sleep 1
    kill -INT "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    local l=$WORK/log/tcpdump-$CAP_NAME.log
    grep -E "packets (captured|received|dropped)" "$l" | tr '\n' ' ' >&2 || true
    echo >&2
    grep -q "^0 packets dropped by kernel" "$l" || die "tcpdump dropped packets in $CAP_NAME"
    "$PY" "$NEG" trim "$WORK/raw/$CAP_NAME" "$WORK/out/$CAP_NAME" >&2
    CAP_PID=""
}

cli() { ip netns exec "$NS_C" "$@"; }

# --------------------------------------------------------------------- PKI
make_pki() {
    local d=$WORK/pki
    mkdir -p "$d"
    # a small ECDSA P-256 certificate keeps every TLS handshake short
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$d/srv.key" -out "$d/srv.crt" -days 30 -subj "/CN=www.example.test" \
        -addext "subjectAltName=DNS:*.example.test,DNS:example.test,IP:$SRV4,IP:$SRV4_H2,IP:$SRV6" 2>/dev/null
    chmod 600 "$d/srv.key"
}

# -------------------------------------------------------------------- HTTPS
start_nginx() {
    local d=$WORK/nginx
    mkdir -p "$d/tmp"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $d/tmp;
    proxy_temp_path $d/tmp;
    fastcgi_temp_path $d/tmp;
    uwsgi_temp_path $d/tmp;
    scgi_temp_path $d/tmp;
    ssl_certificate $WORK/pki/srv.crt;
    ssl_certificate_key $WORK/pki/srv.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    # one request per connection, no session tickets: short flows
    ssl_session_tickets off;
    ssl_conf_command NumTickets 0;
    keepalive_timeout 0;
    server {
        listen $SRV4:443 ssl;
        listen [$SRV6]:443 ssl;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
    server {
        listen $SRV4_H2:443 ssl http2;
        location / { default_type text/plain; return 200 "ok h2\n"; }
    }
}
EOF
    bg "$NS_S" "$WORK/log/nginx.log" nginx -c "$d/nginx.conf"
    NGINX_PID=$BG_PID
    wait_for 10 nginx listening "$NS_S" t "$SRV4_H2:443"
}

GET_REQ='GET / HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n'
NAMES=(www api static mail login cdn1 img shop)

# https_capture PCAP VERSION(1.3|1.2)
https_capture() {
    local pcap=$1 v=$2 i host n fails=0
    local curlv sclientv gnutlsv
    if [[ $v == 1.3 ]]; then
        curlv=(--tlsv1.3); sclientv=-tls1_3; gnutlsv=+VERS-TLS1.3
    else
        curlv=(--tlsv1.2 --tls-max 1.2); sclientv=-tls1_2; gnutlsv=+VERS-TLS1.2
    fi
    cap_start "$pcap"
    # curl (OpenSSL): HTTP/1.1 and HTTP/2 (h2.example.test), IPv4 and IPv6
    for ((i = 0; i < N_CURL; i++)); do
        local extra=()
        case $((i % 10)) in
            0) host=h2.example.test ;;
            1) host=v6.example.test ;;
            2) host=${NAMES[i % 8]}.example.test; extra=(--http1.1) ;;
            3) host=${NAMES[i % 8]}.example.test
               if [[ $v == 1.3 ]]; then extra=(--curves X25519); else extra=(--ciphers ECDHE-ECDSA-AES256-GCM-SHA384); fi ;;
            *) host=${NAMES[i % 8]}.example.test ;;
        esac
        cli curl -sS -k "${curlv[@]}" "${extra[@]}" -o /dev/null "https://$host/?q=$i" || fails=$((fails + 1))
    done
    # Python's ssl module (OpenSSL, other options and ALPN)
    cli "$PY" "$NEG" tls-client "$SRV4" 443 "$N_PYTLS" "$((SEED + ${v/./}))" "$v" >&2 || fails=$((fails + 1))
    # openssl s_client
    for ((i = 0; i < N_SCLIENT; i++)); do
        local extra=(-servername "${NAMES[i % 8]}.example.test")
        case $((i % 4)) in
            1) extra+=(-alpn http/1.1) ;;
            2) extra+=(-groups P-256) ;;
            3) extra=(-noservername) ;;
        esac
        printf '%b' "$GET_REQ" | cli openssl s_client -quiet "$sclientv" "${extra[@]}" \
            -connect "$SRV4:443" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    # gnutls-cli (GnuTLS)
    for ((i = 0; i < N_GNUTLS; i++)); do
        n=${NAMES[i % 8]}.example.test
        local prio="NORMAL:-VERS-ALL:$gnutlsv"
        ((i % 3 == 1)) && prio+=":-CURVE-ALL:+CURVE-SECP256R1"
        printf '%b' "$GET_REQ" | cli gnutls-cli --insecure --priority "$prio" --sni-hostname "$n" \
            "$SRV4:443" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    # wget (GnuTLS; with GnuTLS, --ciphers is the priority string, and it is
    # the only way to pin the version: --secure-protocol=TLSv1_2 still offers 1.3)
    for ((i = 0; i < N_WGET; i++)); do
        cli wget -q --no-check-certificate --ciphers "NORMAL:-VERS-ALL:$gnutlsv" -O /dev/null \
            "https://${NAMES[i % 8]}.example.test/w$i" || fails=$((fails + 1))
    done
    # busybox wget: Debian's busybox runs `openssl s_client` as its TLS helper,
    # with its own options (no ALPN); it cannot be held to TLS 1.2
    if [[ $v == 1.3 ]]; then
        for ((i = 0; i < N_BUSYBOX; i++)); do
            cli busybox wget -q --no-check-certificate -O /dev/null \
                "https://${NAMES[i % 8]}.example.test/b$i" || fails=$((fails + 1))
        done
    fi
    cap_stop
    log "$pcap: $fails failed client runs"
    ((fails <= 5)) || die "too many failed HTTPS requests in $pcap"
}

# --------------------------------------------------------------------- QUIC
quic_capture() {
    local d=$WORK/quic i fails=0
    mkdir -p "$d/htdocs"
    echo ok >"$d/htdocs/index.html"
    echo "a slightly longer page for the QUIC client" >"$d/htdocs/page.html"
    bg "$NS_S" "$WORK/log/quic-srv4.log" gtlsserver -q --no-pmtud -d "$d/htdocs" "$SRV4" 443 \
        "$WORK/pki/srv.key" "$WORK/pki/srv.crt"
    local s4=$BG_PID
    bg "$NS_S" "$WORK/log/quic-srv6.log" gtlsserver -q --no-pmtud -d "$d/htdocs" "$SRV6" 443 \
        "$WORK/pki/srv.key" "$WORK/pki/srv.crt"
    local s6=$BG_PID
    wait_for 10 "gtlsserver" listening "$NS_S" u "$SRV4:443"
    wait_for 10 "gtlsserver (IPv6)" listening "$NS_S" u "[$SRV6]:443"
    cap_start quic.pcap
    for ((i = 0; i < N_QUIC4 + N_QUIC6; i++)); do
        local host=${NAMES[i % 8]}.example.test extra=()
        ((i >= N_QUIC4)) && host=v6.example.test  # resolves to $SRV6
        case $((i % 6)) in
            1) extra=(--ciphers "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305") ;;
            2) extra=(--groups "-GROUP-ALL:+GROUP-SECP256R1") ;;
            3) extra=(-v v2draft) ;;
            4) extra=(-n 2) ;;
        esac
        cli gtlsclient -q --no-pmtud --exit-on-all-streams-close "${extra[@]}" "$host" 443 \
            "https://$host/index.html" "https://$host/page.html" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    cap_stop
    stop_pid "$s4"
    stop_pid "$s6"
    log "quic.pcap: $fails failed client runs"
    ((fails <= 5)) || die "too many failed QUIC connections"
}

# --------------------------------------------------------------------- DTLS
# s_client ARGS...: one DTLS connection to the s_server, stdin closed so it
# stops after the handshake
dtls_client() {
    cli openssl s_client -connect "$SRV4:443" "$@" </dev/null >>"$WORK/log/dtls-cli.log" 2>&1
}

dtls_capture() {
    local d=$WORK/dtls i k v fails=0
    mkdir -p "$d"
    # OpenSSL 3 allows DTLS 1.0 (SHA-1 suites and signatures) only at security level 0
    bg "$NS_S" "$WORK/log/dtls-srv.log" openssl s_server -dtls -accept "$SRV4:443" -quiet \
        -cert "$WORK/pki/srv.crt" -key "$WORK/pki/srv.key" -cipher 'ALL:@SECLEVEL=0'
    local spid=$BG_PID
    wait_for 10 "openssl s_server -dtls" listening "$NS_S" u "$SRV4:443"
    # each variant: a full handshake that saves the session, then resumptions
    # of it on new sockets (by ticket, or by session id with -no_ticket); one
    # suite only is the shape of AnyConnect's resumed DTLS channel
    local variants=(
        "-dtls1_2"
        "-dtls1_2 -no_ticket"
        "-dtls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384"
        "-dtls1 -cipher DEFAULT:@SECLEVEL=0"
        "-dtls1 -cipher ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"
        "-dtls1 -no_ticket -cipher ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"
        "-dtls1 -no_ticket -cipher ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"
    )
    cap_start dtls.pcap
    for ((k = 0; k < N_DTLS_ROUNDS; k++)); do
        for v in "${variants[@]}"; do
            # shellcheck disable=SC2086  # $v is a list of options
            dtls_client $v -sess_out "$d/sess" || fails=$((fails + 1))
            for ((i = 0; i < 4; i++)); do
                # shellcheck disable=SC2086
                dtls_client $v -sess_in "$d/sess" || fails=$((fails + 1))
            done
        done
    done
    # GnuTLS: full DTLS 1.2 and 1.0 handshakes, and --resume (a second connection)
    for ((i = 0; i < N_DTLS_GNUTLS; i++)); do
        local prio=NORMAL:-VERS-ALL:+VERS-DTLS1.2 extra=()
        ((i % 4 == 1)) && prio=NORMAL:-VERS-ALL:+VERS-DTLS1.0
        ((i % 2 == 0)) && extra=(--resume)
        cli gnutls-cli --udp --insecure --priority "$prio" "${extra[@]}" "$SRV4:443" </dev/null \
            >>"$WORK/log/dtls-gnutls.log" 2>&1 || fails=$((fails + 1))
    done
    cap_stop
    stop_pid "$spid"
    grep -c "^Reused" "$WORK/log/dtls-cli.log" >&2 || true
    log "dtls.pcap: $fails failed client runs"
    ((fails <= 3)) || die "too many failed DTLS connections"
}

# ---------------------------------------------------------------------- DNS
start_dnsmasq() {
    local recs=() n
    for n in www api static mail login cdn1 img shop; do
        recs+=("--host-record=$n.example.test,198.51.100.80,fd00:51::80")
    done
    bg "$NS_S" "$WORK/log/dnsmasq.log" dnsmasq --keep-in-foreground --log-facility=- \
        --conf-file=/dev/null --no-resolv --no-hosts --no-poll --user=root --group=root \
        --pid-file="$WORK/dnsmasq.pid" --bind-interfaces \
        --listen-address="$SRV4" --listen-address="$SRV6" \
        --local=/test/ "${recs[@]}" \
        --txt-record=example.test,"v=spf1 -all" --txt-record=info.example.test,"negative set" \
        --mx-host=example.test,mail.example.test,10 \
        --srv-host=_sip._udp.example.test,www.example.test,5060 \
        --cname=alias.example.test,www.example.test
    DNSMASQ_PID=$BG_PID
    wait_for 10 dnsmasq listening "$NS_S" u "$SRV4:53"
}

# dig_batch SERVER COUNT SEED: query lines for `dig -f`
dig_batch() {
    "$PY" - "$@" <<'EOF'
import random, sys
server, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
names = ["www", "api", "static", "mail", "login", "cdn1", "img", "shop", "alias", "info", ""]
types = ["A", "A", "A", "AAAA", "AAAA", "TXT", "MX", "SRV", "SOA", "NS", "CNAME", "CAA"]
opts = [[], [], ["+noedns"], ["+nocookie"], ["+dnssec"], ["+bufsize=1232"], ["+norecurse"],
        ["+subnet=192.0.2.0/24"], ["+nsid"]]
for i in range(count):
    r = rnd.random()
    if r < 0.65:
        n = rnd.choice(names)
        name = (n + "." if n else "") + "example.test"
    elif r < 0.9:
        name = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                       for _ in range(rnd.randint(3, 20))) + ".example.test"
    else:
        name = rnd.choice(["example.org", "host%d.corp.test" % i, "_sip._udp.example.test"])
    t = "SRV" if name.startswith("_sip") else rnd.choice(types)
    print(" ".join(["@" + server, name, t] + rnd.choice(opts)))
EOF
}

dns_capture() {
    local i
    dig_batch "$SRV4" "$N_DIG_UDP4" $((SEED + 1)) >"$WORK/dig-udp4.txt"
    dig_batch "$SRV6" "$N_DIG_UDP6" $((SEED + 2)) >"$WORK/dig-udp6.txt"
    dig_batch "$SRV4" "$N_DIG_TCP4" $((SEED + 3)) >"$WORK/dig-tcp4.txt"
    dig_batch "$SRV6" "$N_DIG_TCP6" $((SEED + 4)) >"$WORK/dig-tcp6.txt"

    cap_start dns-udp.pcap
    cli dig +tries=1 +time=2 -f "$WORK/dig-udp4.txt" >"$WORK/log/dig-udp4.out"
    cli dig +tries=1 +time=2 -f "$WORK/dig-udp6.txt" >"$WORK/log/dig-udp6.out"
    # kdig (Knot): one socket per name given
    local names=()
    for ((i = 0; i < N_KDIG_UDP; i++)); do
        names+=("k$i.${NAMES[i % 8]}.example.test")
        if ((${#names[@]} == 20)); then
            cli kdig "@$SRV4" +retry=0 +timeout=2 "${names[@]}" >>"$WORK/log/kdig.out" 2>&1 || true
            names=()
        fi
    done
    ((${#names[@]})) && cli kdig "@$SRV4" +retry=0 "${names[@]}" >>"$WORK/log/kdig.out" 2>&1
    # busybox nslookup (A and AAAA on one socket)
    for ((i = 0; i < N_NSLOOKUP; i++)); do
        cli busybox nslookup "${NAMES[i % 8]}.example.test" "$SRV4" >>"$WORK/log/nslookup.out" 2>&1 || true
    done
    cap_stop
    grep -c "status: NOERROR" "$WORK/log/dig-udp4.out" >/dev/null || die "dig got no answers"

    cap_start dns-tcp.pcap
    # +tcp only works before -f (dig ignores it on the batch lines)
    cli dig +tcp +tries=1 +time=2 -f "$WORK/dig-tcp4.txt" >"$WORK/log/dig-tcp4.out"
    cli dig +tcp +tries=1 +time=2 -f "$WORK/dig-tcp6.txt" >"$WORK/log/dig-tcp6.out"
    names=()
    for ((i = 0; i < N_KDIG_TCP; i++)); do
        names+=("t$i.${NAMES[i % 8]}.example.test")
        if ((${#names[@]} == 10)); then
            cli kdig "@$SRV4" +tcp +retry=0 +timeout=2 "${names[@]}" >>"$WORK/log/kdig-tcp.out" 2>&1 || true
            names=()
        fi
    done
    cap_stop
    grep -q "(TCP)" "$WORK/log/dig-tcp4.out" || die "dig did not query over TCP"
}

# ---------------------------------------------------------------------- SSH
start_sshd() {
    local d=$WORK/ssh
    mkdir -p "$d" /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" -C tundra-host
    ssh-keygen -q -t ecdsa -N '' -f "$d/host_ecdsa" -C tundra-host
    ssh-keygen -q -t rsa -b 2048 -N '' -f "$d/host_rsa" -C tundra-host
    ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" -C tundra-client
    ssh-keygen -q -t ecdsa -N '' -f "$d/id_ecdsa" -C tundra-client
    cat "$d/id_ed25519.pub" "$d/id_ecdsa.pub" >"$d/authorized_keys"
    cat >"$d/sshd_config" <<EOF
ListenAddress $SRV4:22
ListenAddress [$SRV6]:22
HostKey $d/host_ed25519
HostKey $d/host_ecdsa
HostKey $d/host_rsa
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
MaxStartups 64
EOF
    bg "$NS_S" "$WORK/log/sshd.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
    SSHD_PID=$BG_PID
    wait_for 10 sshd grep -q "Server listening" "$WORK/log/sshd.log"
}

ssh_one() {  # ssh_one I
    local i=$1 d=$WORK/ssh host=$SRV4 opts=()
    ((i % 7 == 0)) && host=$SRV6
    case $((i % 5)) in
        1) opts=(-o Ciphers=aes128-ctr -o MACs=hmac-sha2-256) ;;
        2) opts=(-o KexAlgorithms=ecdh-sha2-nistp256 -o HostKeyAlgorithms=ecdsa-sha2-nistp256) ;;
        3) opts=(-o KexAlgorithms=diffie-hellman-group14-sha256 -o HostKeyAlgorithms=rsa-sha2-512) ;;
        4) opts=(-o Ciphers=aes256-gcm@openssh.com -o Compression=yes) ;;
    esac
    local key=$d/id_ed25519
    ((i % 2)) && key=$d/id_ecdsa
    local cmds=(true "uname -sr" "echo hello; id -u" "ls / >/dev/null")
    ip netns exec "$NS_C" ssh -F /dev/null -i "$key" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 "${opts[@]}" \
        "root@$host" "${cmds[i % 4]}" >/dev/null
}

ssh_capture() {
    local i fails=0 pids=()
    cap_start ssh.pcap
    for ((i = 0; i < N_SSH; i++)); do
        ssh_one "$i" &
        pids+=($!)
        if ((${#pids[@]} == 3)); then
            for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
            pids=()
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    local types=(ed25519 ecdsa rsa)
    for ((i = 0; i < N_KEYSCAN; i++)); do
        cli ssh-keyscan -T 3 -t "${types[i % 3]}" "$SRV4" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    cap_stop
    log "ssh.pcap: $fails failed client runs"
    ((fails <= 3)) || die "too many failed SSH connections"
}

# ---------------------------------------------------------------------- NTP
start_chronyd() {
    local d=$WORK/chrony
    mkdir -p "$d"
    cat >"$d/server.conf" <<EOF
local stratum 8
allow all
bindaddress $SRV4
bindaddress $SRV6
port 123
cmdport 0
pidfile $d/server.pid
driftfile $d/server.drift
EOF
    # -x: serve time without touching the clock
    bg "$NS_S" "$WORK/log/chronyd-srv.log" chronyd -d -x -u root -f "$d/server.conf"
    CHRONY_PID=$BG_PID
    wait_for 10 chronyd listening "$NS_S" u "$SRV4:123"
}

ntp_capture() {
    local d=$WORK/chrony i fails=0 pids=()
    cap_start ntp.pcap
    for ((i = 0; i < N_NTPDIG4 + N_NTPDIG6; i++)); do
        local host=$SRV4
        ((i >= N_NTPDIG4)) && host=$SRV6
        cli ntpdig -t 2 -p $((1 + i % 3)) "$host" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    # chronyd as a client (-Q: measure the offset, set nothing), 10 at a time
    for ((i = 0; i < N_CHRONY; i++)); do
        printf 'server %s iburst maxsamples 4\npidfile %s/q%d.pid\ncmdport 0\n' \
            "$([[ $((i % 5)) == 0 ]] && echo "$SRV6" || echo "$SRV4")" "$d" "$i" >"$d/q$i.conf"
        ip netns exec "$NS_C" chronyd -Q -u root -t 15 -f "$d/q$i.conf" >>"$WORK/log/chronyd-q.log" 2>&1 &
        pids+=($!)
        if ((${#pids[@]} == 10)); then
            for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
            pids=()
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    cap_stop
    log "ntp.pcap: $fails failed client runs"
    ((fails <= 5)) || die "too many failed NTP queries"
}

# ---------------------------------------------------------------------- SIP
sip_capture() {
    local d=$WORK/sip
    mkdir -p "$d"
    # sipp's own uac_pcap scenario: INVITE with SDP, 100/180/200, ACK, RTP
    # played from sipp's g711a.pcap (to the uas, which echoes it), BYE.
    # Changed: the pcap path, and 1.5 s of audio instead of 8 s.
    sipp -sd uac_pcap >"$d/uac.xml" 2>/dev/null || true  # exits 99 after the dump
    sed -i -e 's#"pcap/g711a.pcap"#"/usr/share/sip-tester/g711a.pcap"#' \
        -e 's#"pcap/dtmf_2833_1.pcap"#"/usr/share/sip-tester/dtmf_2833_1.pcap"#' \
        -e 's#milliseconds="8000"#milliseconds="1500"#' "$d/uac.xml"
    grep -q /usr/share/sip-tester/g711a.pcap "$d/uac.xml" || die "uac_pcap scenario not as expected"
    # -t u1/t1: one server socket; -t un/tn: one client socket (port) per call
    bg "$NS_S" "$WORK/log/sipp-uas-udp.log" sipp -sn uas -t u1 -i "$SRV4" -p 5060 -mi "$SRV4" -mp 6000 \
        -rtp_echo -nostdin -max_socket 2048 -trace_err -error_file "$d/uas-udp-errors.log"
    local su=$BG_PID
    bg "$NS_S" "$WORK/log/sipp-uas-tcp.log" sipp -sn uas -t t1 -i "$SRV4" -p 5060 -mi "$SRV4" -mp 6100 \
        -rtp_echo -nostdin -max_socket 2048 -trace_err -error_file "$d/uas-tcp-errors.log"
    local st=$BG_PID
    wait_for 10 "sipp uas (udp)" listening "$NS_S" u "$SRV4:5060"
    wait_for 10 "sipp uas (tcp)" listening "$NS_S" t "$SRV4:5060"
    cap_start sip-rtp.pcap
    cli sipp -sf "$d/uac.xml" -t un -i "$CLI4" -mi "$CLI4" -mp 20000 -r 10 -l 40 -m "$N_SIP_UDP" \
        -max_socket 2048 -nostdin -timeout 120 -trace_err -error_file "$d/uac-udp-errors.log" \
        -trace_stat -stf "$d/uac-udp.csv" "$SRV4:5060" >"$WORK/log/sipp-uac-udp.log" 2>&1 ||
        die "sipp uac (udp) failed, see $WORK/log/sipp-uac-udp.log"
    cli sipp -sf "$d/uac.xml" -t tn -i "$CLI4" -mi "$CLI4" -mp 30000 -r 10 -l 20 -m "$N_SIP_TCP" \
        -max_socket 2048 -nostdin -timeout 120 -trace_err -error_file "$d/uac-tcp-errors.log" \
        "$SRV4:5060" >"$WORK/log/sipp-uac-tcp.log" 2>&1 ||
        die "sipp uac (tcp) failed, see $WORK/log/sipp-uac-tcp.log"
    cap_stop
    stop_pid "$su"
    stop_pid "$st"
}

# ------------------------------------------------------------------- random
random_capture() {
    bg "$NS_S" "$WORK/log/random-srv4.log" "$PY" -u "$NEG" random-server "$SRV4" $((SEED + 10)) 600
    local s4=$BG_PID
    bg "$NS_S" "$WORK/log/random-srv6.log" "$PY" -u "$NEG" random-server "$SRV6" $((SEED + 11)) 600
    local s6=$BG_PID
    wait_for 10 "random server" grep -q ready "$WORK/log/random-srv4.log"
    wait_for 10 "random server (IPv6)" grep -q ready "$WORK/log/random-srv6.log"
    cap_start random-udp.pcap
    cli "$PY" -u "$NEG" random-client "$SRV4" udp "$N_RAND_UDP4" $((SEED + 20)) >&2
    cli "$PY" -u "$NEG" random-client "$SRV6" udp "$N_RAND_UDP6" $((SEED + 21)) >&2
    cap_stop
    cap_start random-tcp.pcap
    cli "$PY" -u "$NEG" random-client "$SRV4" tcp "$N_RAND_TCP4" $((SEED + 22)) >&2
    cli "$PY" -u "$NEG" random-client "$SRV6" tcp "$N_RAND_TCP6" $((SEED + 23)) >&2
    cap_stop
    stop_pid "$s4"
    stop_pid "$s6"
}

# --------------------------------------------------------------------- main
main() {
    [[ ${NO_INSTALL:-0} == 1 ]] || install_deps
    WORK=$(mktemp -d /tmp/tdn-negatives.XXXXXX)
    mkdir -p "$WORK/raw" "$WORK/out" "$WORK/log"
    local t0=$SECONDS
    print_versions
    setup_net
    make_pki

    start_nginx
    https_capture https-tls13.pcap 1.3
    https_capture https-tls12.pcap 1.2
    stop_pid "$NGINX_PID"
    quic_capture
    dtls_capture
    start_dnsmasq
    dns_capture
    stop_pid "$DNSMASQ_PID"
    start_sshd
    ssh_capture
    stop_pid "$SSHD_PID"
    start_chronyd
    ntp_capture
    stop_pid "$CHRONY_PID"
    sip_capture
    random_capture

    local total
    total=$(cat "$WORK/out/"*.pcap | wc -c)
    ((total <= 12000000)) || die "the set is $total bytes, over 12 MB (files left untouched)"
    mkdir -p "$DEST"
    rm -f "$DEST/"*.pcap
    cp "$WORK/out/"*.pcap "$WORK/out/versions.txt" "$DEST/"
    chmod 644 "$DEST/"*.pcap "$DEST/versions.txt"
    log "done in $((SECONDS - t0)) s, $total bytes:"
    (cd "$DEST" && ls -l ./*.pcap) >&2
    # flows per file, if a build is there
    local tundra=${TUNDRA:-$HERE/../build/tundra} f
    if [[ -x $tundra ]]; then
        for f in "$DEST/"*.pcap; do
            printf '  %-18s %6d flows\n' "$(basename "$f")" \
                "$("$tundra" classify "$f" --json 2>/dev/null | wc -l)" >&2
        done
    fi
}

main "$@"
