#!/usr/bin/env bash
# Capture real TLS clients whose ClientHello is split over TCP segments, with
# the same clients unsplit for reference: tls-split-hello.pcap.
#
#   sudo pcaps/make-split-hello.sh          # writes pcaps/tls-split-hello.pcap
#   sudo pcaps/make-split-hello.sh DIR      # writes DIR/tls-split-hello.pcap (make-captures.sh does this)
#
# Two network namespaces of its own (tdr-shc, tdr-shs), so it never meets
# make-captures.sh's.  The veth has a 9000-byte MTU; the server's route back
# to 198.18.0.2 advertises an MSS of 200, so a client talking to 198.18.0.1
# sends at most 200 bytes per segment while one talking to 198.19.0.1 sends
# its ClientHello whole.  Offloads are off, so every segment is captured as
# it is sent.  Flows (all ordinary TLS 1.3, labelled unknown/pass):
#   198.19.0.1:443   curl, ClientHello in one segment (the reference)
#   198.18.0.1:443   the same curl, ClientHello in 3 segments
#   198.19.0.1:8443  openssl s_client with a 60-name ALPN list (a ~6 KB
#                    ClientHello) in one jumbo segment (the reference)
#   198.18.0.1:8443  the same, in about 30 segments
# The script checks the splits before it replaces the file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=make-split-hello
# shellcheck source=netns-lib.sh
. "$HERE/netns-lib.sh"
OUT="${1:-$HERE}"
NS_C=tdr-shc
NS_S=tdr-shs
VETH_C=tdr-shc0
VETH_S=tdr-shs0
PCAP=tls-split-hello.pcap
MSS=200
PY="${PYTHON:-python3}"


[[ $(id -u) -eq 0 ]] || die "run as root (sudo $0)"
for t in ip tcpdump openssl curl ethtool "$PY"; do
    command -v "$t" >/dev/null || die "$t is required (make-captures.sh installs it)"
done

WORK=""
PIDS=()

teardown_net() {
    local ns pid
    for ns in "$NS_C" "$NS_S"; do
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        sleep 0.3
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

cleanup() {
    local rc=$? pid
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    teardown_net
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    [[ $rc -ne 0 ]] && log "failed (exit $rc); namespaces and processes cleaned up"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_net() {
    teardown_net
    ip netns add "$NS_C"
    ip netns add "$NS_S"
    ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
    local ns dev
    for ns in "$NS_C" "$NS_S"; do
        # IPv4 only: no link-local chatter in the capture
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$NS_S" addr add 198.18.0.1/24 dev "$VETH_S"
    ip -n "$NS_S" addr add 198.19.0.1/24 dev "$VETH_S"
    ip -n "$NS_C" addr add 198.18.0.2/24 dev "$VETH_C"
    ip -n "$NS_C" addr add 198.19.0.2/24 dev "$VETH_C"
    for dev in "$NS_C:$VETH_C" "$NS_S:$VETH_S"; do
        ip -n "${dev%%:*}" link set "${dev#*:}" mtu 9000 up
        # no TSO/GSO/GRO: one captured packet = one TCP segment on the wire
        ip netns exec "${dev%%:*}" ethtool -K "${dev#*:}" tso off gso off gro off >/dev/null 2>&1 || true
    done
    # The MSS the server advertises in its SYN-ACK comes from its route back to the client.
    ip -n "$NS_S" route replace 198.18.0.0/24 dev "$VETH_S" proto kernel scope link src 198.18.0.1 advmss "$MSS"
    wait_for 10 "veth link" ip netns exec "$NS_C" ping -c1 -W1 -q 198.19.0.1
    ip netns exec "$NS_C" ping -c1 -W1 -q 198.18.0.1 >/dev/null || die "veth link not working"
}

make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
        -subj "/CN=tundra-split-hello" -addext "subjectAltName=DNS:www.example.test,DNS:big.example.test" \
        2>/dev/null
}

# 60 protocol names of 90 bytes after h2 and http/1.1: ALPN alone is about 5.5 KB.
long_alpn() {
    local i list="h2,http/1.1"
    for i in $(seq -w 1 60); do
        list+=",x-tundra-split-hello-$i-$(printf '%068d' 0)"
    done
    printf '%s' "$list"
}

capture() {
    local p
    for p in 443 8443; do
        bg "$NS_S" "$WORK/srv-$p.log" openssl s_server -accept "$p" -www -tls1_3 \
            -cert "$WORK/cert.pem" -key "$WORK/key.pem"
        wait_for 10 "openssl s_server :$p" grep -q ACCEPT "$WORK/srv-$p.log"
    done
    bg "$NS_C" "$WORK/tcpdump.log" tcpdump -n -i "$VETH_C" --immediate-mode -U -Z root -w "$WORK/$PCAP"
    local cap=$BG_PID ip
    wait_for 10 tcpdump grep -q "listening on" "$WORK/tcpdump.log"
    log "capturing $PCAP"
    for ip in 198.19.0.1 198.18.0.1; do
        ip netns exec "$NS_C" curl -sS -k --tlsv1.3 -o /dev/null \
            -w "curl https://$ip/ -> %{http_code}, %{size_download} bytes\n" \
            --resolve "www.example.test:443:$ip" "https://www.example.test/" >&2
        sleep 0.3
    done
    for ip in 198.19.0.1 198.18.0.1; do
        ip netns exec "$NS_C" openssl s_client -connect "$ip:8443" -servername big.example.test \
            -alpn "$(long_alpn)" -brief </dev/null 2>&1 | sed "s/^/    s_client $ip: /" | head -3 >&2
        sleep 0.3
    done
    sleep 1
    kill -INT "$cap" 2>/dev/null || true
    wait "$cap" 2>/dev/null || true
    grep -E "packets (captured|dropped)" "$WORK/tcpdump.log" | tr '\n' ' ' >&2 || true
    echo >&2
}

# Every flow is where the header says, and split (or not) as intended.
check() {
    "$PY" - "$HERE" "$WORK/$PCAP" "$MSS" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import pcaptool

path, mss = sys.argv[2], int(sys.argv[3])
segs = {}
for p in pcaptool.packets(path):
    s = pcaptool.server_side(p)
    if not s or s[0] != "tcp" or s[3] != "c2s" or not p[7]:
        continue
    segs.setdefault((s[1], s[2]), []).append(p[7])
bad = 0
for (ip, port) in [("198.19.0.1", 443), ("198.18.0.1", 443), ("198.19.0.1", 8443), ("198.18.0.1", 8443)]:
    c = segs.get((ip, port))
    if not c or c[0][:1] != b"\x16" or c[0][5:6] != b"\x01":
        print(f"ERROR {ip}:{port}: no ClientHello from the client"); bad += 1; continue
    rec = 5 + int.from_bytes(c[0][3:5], "big")
    n, k = 0, 0
    while n < rec and k < len(c):
        n += len(c[k]); k += 1
    split = ip == "198.18.0.1"
    print(f"{ip}:{port}: ClientHello record {rec} bytes in {k} segment(s), largest {max(len(x) for x in c[:k])}")
    if (k > 1) != split or (split and max(len(x) for x in c[:k]) > mss) or (port == 8443 and rec < 4096):
        print(f"ERROR {ip}:{port}: not split as intended"); bad += 1
sys.exit(1 if bad else 0)
EOF
    local labels=$WORK/labels.csv
    {
        echo "pcap,l4,server_ip,server_port,app,verdict"
        echo "$PCAP,tcp,198.19.0.1,443,unknown,pass"
        echo "$PCAP,tcp,198.18.0.1,443,unknown,pass"
        echo "$PCAP,tcp,198.19.0.1,8443,unknown,pass"
        echo "$PCAP,tcp,198.18.0.1,8443,unknown,pass"
    } >"$labels"
    "$PY" "$HERE/pcaptool.py" check "$labels" "$WORK" >&2
}

main() {
    WORK=$(mktemp -d /tmp/tdr-split-hello.XXXXXX)
    setup_net
    make_cert
    capture
    check >&2 || die "$PCAP is not what it should be (files left untouched)"
    mkdir -p "$OUT"
    cp "$WORK/$PCAP" "$OUT/"
    chmod 644 "$OUT/$PCAP"
    log "done: $OUT/$PCAP ($(stat -c %s "$OUT/$PCAP") bytes)"
}

main "$@"
