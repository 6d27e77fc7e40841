"""XDP enforcement and AF_XDP ingest on a Linux routing box, in network
namespaces. A real WireGuard tunnel (wireguard-go) runs from tx-cli to
tx-srv through tx-rtr, which routes:

    tx-cli [tx-c0] ---- [tx-rc] tx-rtr [tx-rs] ---- [tx-s0] tx-srv
                                  | tc mirred (ingress of both)
                               [tx-m0]-[tx-m1] <- tundra, net_af_xdp

tundra runs in tx-rtr: it reads copies of what the router receives through
DPDK's net_af_xdp on a veth pair, and enforces with --xdp-enforce on the
router's own two interfaces. The mirror is taken behind XDP (tc runs after
it), so tundra sees nothing of a flow once XDP drops it: the hardest case
for keeping and lifting blocks.

Checks: the unregistered WireGuard server is blocked in enforce mode and the
tunnel's pings stop at XDP (its drop counter rises) while a plain ping and a
long-lived TCP connection between the same hosts keep working throughout;
after the endpoint is added to the registry and `reload` is sent on the
control socket the tunnel works again; blocked again (reload force without
it), a SIGSTOPped tundra's entries stop matching within the TTL and a
SIGCONTed one blocks again; a clean exit detaches the program and its
counters reconcile; a SIGKILLed tundra's program is gone and the tunnel
works. Native mode on the veths, generic where native is missing (lo) or
asked for (tundra B). Exits 77 (meson: SKIP) where the kernel refuses BPF
or XDP, or without root; the namespace prefix is TUNDRA_NETNS_PREFIX."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from tundra_e2e import TUNDRA, Checks, reconciles

SKIP = 77
P = os.environ.get("TUNDRA_NETNS_PREFIX", "tx-")
NS_C, NS_R, NS_S = P + "cli", P + "rtr", P + "srv"
WG_C, WG_S = P + "wgc", P + "wgs"
CLI, SRV = "198.51.100.2", "203.0.113.2"
TUN_SRV = "10.99.0.1"
WG_PORT, WG_CPORT, TCP_PORT = 51820, 40000, 8080
TTL = 3
EAL = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"]

c = Checks("e2e_xdp", verbose=True)
tmp = None  # made once the preconditions hold
procs = []


def log(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def skip(why):
    print(f"SKIP: {why}", file=sys.stderr)
    teardown()
    sys.exit(SKIP)


def ns(name, *cmd, check=True, timeout=30):
    p = subprocess.run(["ip", "netns", "exec", name, *cmd], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{name}: {' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def bg(name, *cmd, **kw):
    p = subprocess.Popen(["ip", "netns", "exec", name, *cmd], **kw)
    procs.append(p)
    return p


def teardown():
    for p in procs:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    for n in (NS_C, NS_R, NS_S):
        pids = subprocess.run(["ip", "netns", "pids", n], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", n], capture_output=True)
    for w in (WG_C, WG_S):
        for suffix in (".sock", ".name"):
            try:
                os.unlink(f"/var/run/wireguard/{w}{suffix}")
            except OSError:
                pass


def ping(name, dst, wait="1"):
    return ns(name, "ping", "-c", "1", "-W", wait, "-q", dst, check=False).returncode == 0


def tunnel_up():
    """One quick probe: waits for the tunnel to come back are measured in tenths of seconds."""
    return ping(NS_C, TUN_SRV, wait="0.3")


def wait_for(pred, secs, step=0.2):
    """Seconds until pred() held, or None after secs."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        if pred():
            return time.monotonic() - t0
        time.sleep(step)
    return None


def tunnel_stopped(n=3):
    """The tunnel carries nothing: n pings in a row unanswered."""
    return not any(ping(NS_C, TUN_SRV) for _ in range(n))


def ctl(sock, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    for attempt in range(20):  # the socket file appears a moment before it listens
        try:
            s.connect(sock)
            break
        except (ConnectionRefusedError, FileNotFoundError):
            if attempt == 19:
                raise
            time.sleep(0.1)
    s.sendall(cmd.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode().strip()


def xdp_stats(sock):
    return json.loads(ctl(sock, "stats"))["control"]


def xdp_on(iface):
    return "prog/xdp" in ns(NS_R, "ip", "-d", "link", "show", "dev", iface).stdout


# ---- a TCP connection between the two hosts, outside the tunnel, kept open throughout ----

ECHO_SERVER = f"""
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{SRV}", {TCP_PORT})); s.listen(4)
def serve(c):
    while True:
        d = c.recv(4096)
        if not d: return
        c.sendall(d)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
"""
ECHO_CLIENT = f"""
import socket, sys
s = socket.create_connection(("{SRV}", {TCP_PORT}), timeout=3)
for line in sys.stdin:
    try:
        s.sendall(line.encode()); got = s.recv(4096).decode()
    except OSError as e:
        got = f"error {{e}}\\n"
    sys.stdout.write(got); sys.stdout.flush()
"""


class Echo:
    def __init__(self):
        self.p = bg(NS_C, sys.executable, "-u", "-c", ECHO_CLIENT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, text=True)
        self.n = 0

    def ok(self):
        self.n += 1
        msg = f"echo {self.n}\n"
        try:
            self.p.stdin.write(msg)
            self.p.stdin.flush()
            return self.p.stdout.readline() == msg
        except OSError:
            return False


def non_vpn_ok(echo, when):
    c.check(ping(NS_C, SRV), f"{when}: plain ping {CLI} -> {SRV} answered")
    c.check(echo.ok(), f"{when}: the long-lived TCP connection to {SRV}:{TCP_PORT} still echoes")


# ---- set-up ----

if os.geteuid() != 0:
    print("SKIP: needs root (network namespaces, XDP)", file=sys.stderr)
    sys.exit(SKIP)
for tool in ("ip", "tc", "ping", "wg", "wireguard-go"):
    if shutil.which(tool) is None:
        c.check(False, f"{tool} is installed (scripts/install-deps.sh)")
        c.done()
if not os.path.exists("/dev/net/tun"):
    print("SKIP: no /dev/net/tun: wireguard-go cannot make its interface", file=sys.stderr)
    sys.exit(SKIP)

teardown()  # what an interrupted earlier run left
tmp = tempfile.mkdtemp(prefix="tundra-xdp-")
try:
    log("namespaces: client, router, server; mirror veth pair on the router")
    for n in (NS_C, NS_R, NS_S):
        subprocess.run(["ip", "netns", "add", n], check=True)
        ns(n, "ip", "link", "set", "lo", "up")
        ns(n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    subprocess.run(["ip", "link", "add", "tx-c0", "netns", NS_C, "type", "veth", "peer", "name", "tx-rc",
                    "netns", NS_R], check=True)
    subprocess.run(["ip", "link", "add", "tx-s0", "netns", NS_S, "type", "veth", "peer", "name", "tx-rs",
                    "netns", NS_R], check=True)
    subprocess.run(["ip", "link", "add", "tx-m0", "netns", NS_R, "type", "veth", "peer", "name", "tx-m1",
                    "netns", NS_R], check=True)
    ns(NS_C, "ip", "addr", "add", f"{CLI}/24", "dev", "tx-c0")
    ns(NS_S, "ip", "addr", "add", f"{SRV}/24", "dev", "tx-s0")
    ns(NS_R, "ip", "addr", "add", "198.51.100.1/24", "dev", "tx-rc")
    ns(NS_R, "ip", "addr", "add", "203.0.113.1/24", "dev", "tx-rs")
    for n, dev in ((NS_C, "tx-c0"), (NS_S, "tx-s0"), (NS_R, "tx-rc"), (NS_R, "tx-rs"), (NS_R, "tx-m0"),
                   (NS_R, "tx-m1")):
        ns(n, "ip", "link", "set", dev, "up")
    ns(NS_C, "ip", "route", "add", "default", "via", "198.51.100.1")
    ns(NS_S, "ip", "route", "add", "default", "via", "203.0.113.1")
    ns(NS_R, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    # The router's received traffic, both directions, copied onto the veth pair tundra reads.
    for dev in ("tx-rc", "tx-rs"):
        ns(NS_R, "tc", "qdisc", "add", "dev", dev, "clsact")
        ns(NS_R, "tc", "filter", "add", "dev", dev, "ingress", "protocol", "all", "u32", "match", "u32", "0", "0",
           "action", "mirred", "egress", "mirror", "dev", "tx-m0")
    c.check(wait_for(lambda: ping(NS_C, SRV), 10) is not None, f"the router routes: {CLI} reaches {SRV}")

    bg(NS_S, sys.executable, "-c", ECHO_SERVER, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    echo = Echo()
    c.check(echo.ok(), "a TCP connection between the hosts, outside any tunnel, is open")

    log("wireguard-go on client and server (keys made, peers configured once tundra watches)")
    keys = {}
    for side in ("c", "s"):
        priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout
        pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True, text=True, check=True).stdout
        keys[side] = (os.path.join(tmp, f"{side}.key"), pub.strip())
        with open(keys[side][0], "w") as f:
            f.write(priv)
        os.chmod(keys[side][0], 0o600)
    for n, w in ((NS_S, WG_S), (NS_C, WG_C)):
        bg(n, "wireguard-go", "-f", w, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for w in (WG_S, WG_C):
        c.check(wait_for(lambda: os.path.exists(f"/var/run/wireguard/{w}.sock"), 10) is not None,
                f"wireguard-go {w} is up")
    ns(NS_S, "wg", "set", WG_S, "private-key", keys["s"][0], "listen-port", str(WG_PORT))
    ns(NS_S, "ip", "addr", "add", f"{TUN_SRV}/24", "dev", WG_S)
    ns(NS_S, "ip", "link", "set", WG_S, "up")
    ns(NS_S, "wg", "set", WG_S, "peer", keys["c"][1], "allowed-ips", "10.99.0.2/32")
    ns(NS_C, "wg", "set", WG_C, "private-key", keys["c"][0], "listen-port", str(WG_CPORT))
    ns(NS_C, "ip", "addr", "add", "10.99.0.2/24", "dev", WG_C)
    ns(NS_C, "ip", "link", "set", WG_C, "up")

    def client_peer():
        """(Re)makes the client's peer: its first packet is a fresh handshake, whoever watches."""
        ns(NS_C, "wg", "set", WG_C, "peer", keys["s"][1], "remove")
        ns(NS_C, "wg", "set", WG_C, "peer", keys["s"][1], "allowed-ips", "10.99.0.0/24",
           "endpoint", f"{SRV}:{WG_PORT}")

    # ---- tundra on the router ----

    reg = os.path.join(tmp, "registry.csv")
    header = "prefix,port,protocol,registrant_id,registrant_name,sector\n"
    other = "192.0.2.0/24,,,R-OTHER,Somebody else,it\n"
    ours = f"{SRV}/32,{WG_PORT},wireguard,R-XDP,XDP test server,it\n"
    with open(reg, "w") as f:
        f.write(header + other)
    cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))

    def start(tag, xdp_args):
        sock = os.path.join(tmp, f"ctl-{tag}.sock")
        err = open(os.path.join(tmp, f"tundra-{tag}.err"), "w+")
        args = [TUNDRA, "run", *EAL, "--lcores", f"(0-1)@({cpus})", "--vdev", "net_af_xdp0,iface=tx-m1", "--",
                "--mode", "enforce", "--registry", reg, "--control", sock, *xdp_args, "--xdp-ttl", str(TTL),
                "--flow-log", os.path.join(tmp, f"flows-{tag}.jsonl"),
                "--events", os.path.join(tmp, f"events-{tag}.jsonl"),
                "--stats-json", os.path.join(tmp, f"stats-{tag}.json"), "--stats-interval", "0"]
        p = bg(NS_R, *args, stdout=subprocess.DEVNULL, stderr=err)

        def text():
            err.seek(0)
            return err.read()
        ready = wait_for(lambda: ("worker(s), mode" in text() and os.path.exists(sock)) or p.poll() is not None, 60)
        out = text()
        if p.poll() is not None:
            if "cannot load the XDP program" in out or (
                    "cannot attach XDP" in out and ("not permitted" in out or "not supported" in out)):
                skip(f"the kernel refuses BPF/XDP here: {out.strip().splitlines()[-1]}")
            c.check(False, f"tundra {tag} started (exit {p.returncode}): {out[-600:]}")
            c.done()
        c.check(ready is not None, f"tundra {tag} runs, reading net_af_xdp on tx-m1")
        return p, sock, text

    log("tundra A: enforce, registry without the server, XDP on tx-rc and tx-rs (and lo), TTL 3 s")
    # lo has no native XDP: it shows the fall-back to generic mode (nothing is routed over it).
    a, sock, a_err = start("a", ["--xdp-enforce", "tx-rc", "--xdp-enforce", "tx-rs", "--xdp-enforce", "lo"])
    c.check(xdp_on("tx-rc") and xdp_on("tx-rs"), "the XDP program is attached to tx-rc and tx-rs")
    st = xdp_stats(sock)
    c.check(st["xdp_native"] == 2 and st["xdp_generic"] == 1,
            f"veths in native mode, lo in generic ({st['xdp_native']} native, {st['xdp_generic']} generic)")
    c.check("--xdp-enforce lo: native XDP refused" in a_err() and "attached in generic (SKB) mode" in a_err(),
            "the fall-back to generic mode is said")
    c.check("XDP enforcer on 3 interface(s)" in a_err(), "tundra says where it enforces")
    non_vpn_ok(echo, "before the tunnel")

    log("the tunnel's first handshake, seen by tundra through AF_XDP: unregistered endpoint, enforce")
    client_peer()
    wait_for(lambda: ping(NS_C, TUN_SRV), 5)  # the handshake; its first pings may beat the verdict
    blocked = wait_for(lambda: xdp_stats(sock)["xdp_flows"] == 1, 5)
    c.check(blocked is not None, "the WireGuard flow is in the XDP block map")
    time.sleep(0.3)
    d0 = xdp_stats(sock)["xdp_dropped"]
    c.check(tunnel_stopped(), "blocked: the tunnel's pings stop")
    st = xdp_stats(sock)
    c.check(st["xdp_dropped"] > d0, f"blocked: the XDP drop counter rises ({d0} -> {st['xdp_dropped']})")
    c.eq(st["enforce_active"], 1, "blocked: enforcement is active")
    non_vpn_ok(echo, "blocked")
    with open(os.path.join(tmp, "events-a.jsonl")) as f:
        evs = [json.loads(line) for line in f if line.strip()]
    wg_block = [e for e in evs if e.get("app") == "wireguard" and e.get("verdict") == "block"]
    c.check(any(e.get("dst_ip") == SRV and e.get("dst_port") == WG_PORT and e.get("dropped") for e in wg_block),
            f"the verdict event names the flow to {SRV}:{WG_PORT} as blocked and dropped")

    log("the server's endpoint registered; reload on the control socket")
    with open(reg, "w") as f:
        f.write(header + other + ours)
    reply = ctl(sock, "reload")
    c.check(reply.startswith("ok: registry generation 2 serving"), f"reload: {reply}")
    st = xdp_stats(sock)
    c.eq(st["xdp_flows"], 0, "reloaded: the flow left the XDP map")
    c.check(st["xdp_unblocks"] >= 1, f"reloaded: counted as unblocked ({st['xdp_unblocks']})")
    c.check("no longer drop under generation 2: unblocked" in a_err(), "reloaded: tundra says why it unblocked")
    back = wait_for(tunnel_up, 20, step=0.05)
    c.check(back is not None, f"reloaded: the tunnel works again (after {back or 0:.1f} s)")
    non_vpn_ok(echo, "after the reload")

    log("blocked again (reload force without the entry), then tundra A stopped with SIGSTOP")
    with open(reg, "w") as f:
        f.write(header + other)
    reply = ctl(sock, "reload force")
    c.check(reply.startswith("ok: registry generation 3 serving"), f"reload force: {reply}")
    # The worker judges the flow again on its next packet, which the mirror shows it.
    c.check(wait_for(lambda: not ping(NS_C, TUN_SRV) and xdp_stats(sock)["xdp_flows"] == 1, 10) is not None,
            "re-blocked: the flow is back in the map")
    c.check(tunnel_stopped(), "re-blocked: the tunnel's pings stop")
    e0 = xdp_stats(sock)["xdp_expired"]
    a.send_signal(signal.SIGSTOP)
    t_stop = time.monotonic()
    freed = wait_for(tunnel_up, TTL + 6, step=0.05)
    since = time.monotonic() - t_stop
    c.check(freed is not None and since <= TTL + 2,
            f"stopped tundra: its block stops matching within the TTL ({since:.1f} s, TTL {TTL} s)")
    c.check(xdp_on("tx-rc"), "stopped tundra: the program is still attached (the expiry, not a detach, freed it)")
    non_vpn_ok(echo, "tundra stopped")
    a.send_signal(signal.SIGCONT)
    time.sleep(1.5)
    c.check(tunnel_stopped(), "resumed tundra: the live flow is blocked again")
    st = xdp_stats(sock)
    c.check(st["xdp_expired"] > e0, f"the expired-entry counter counted the stop ({e0} -> {st['xdp_expired']})")

    log("tundra A ends cleanly (SIGTERM)")
    a.send_signal(signal.SIGTERM)
    try:
        a.wait(timeout=30)
    except subprocess.TimeoutExpired:
        a.kill()
    c.eq(a.returncode, 0, "clean exit: exit status")
    c.check(not any(xdp_on(i) for i in ("tx-rc", "tx-rs", "lo")), "clean exit: the program is detached from all three")
    c.check(wait_for(lambda: ping(NS_C, TUN_SRV), 10) is not None, "clean exit: the tunnel works")
    with open(os.path.join(tmp, "stats-a.json")) as f:
        sa = json.load(f)
    c.check(reconciles(sa), "clean exit: every packet received over AF_XDP is accounted for")
    c.check(sa["rx_pkts"] > 0 and sa["control"]["xdp_dropped"] > 0,
            f"clean exit: --stats-json has the XDP counters (dropped {sa['control']['xdp_dropped']}, "
            f"expired {sa['control']['xdp_expired']}, passed {sa['control']['xdp_passed']})")
    with open(os.path.join(tmp, "flows-a.jsonl")) as f:
        flows = [json.loads(line) for line in f if line.strip()]
    wg = [x for x in flows if x["app"] == "wireguard" and x["dst_ip"] == SRV and x["dst_port"] == WG_PORT]
    c.check(wg and "confirmed" in wg[0]["reason"], "AF_XDP ingest: the WireGuard flow was classified, confirmed")
    tcp = [x for x in flows if x["l4"] == "tcp" and TCP_PORT in (x["src_port"], x["dst_port"])]
    c.check(tcp and all(x["verdict"] == "pass" and not x["dropped"] for x in tcp),
            "AF_XDP ingest: the TCP connection was seen and passed")
    non_vpn_ok(echo, "after tundra A")

    log("tundra B: the same in generic (SKB) mode, killed with SIGKILL while it blocks")
    b, sock, b_err = start("b", ["--xdp-enforce", "tx-rc", "--xdp-enforce", "tx-rs", "--xdp-generic"])
    st = xdp_stats(sock)
    c.check(st["xdp_native"] == 0 and st["xdp_generic"] == 2, "B: both veths in generic mode (--xdp-generic)")
    client_peer()
    wait_for(lambda: ping(NS_C, TUN_SRV), 5)
    c.check(wait_for(lambda: xdp_stats(sock)["xdp_flows"] == 1, 5) is not None, "B: the tunnel's flow is blocked")
    c.check(tunnel_stopped(), "B: the tunnel's pings stop")
    c.check(xdp_stats(sock)["xdp_dropped"] > 0, "B: dropped in generic mode, counted")
    b.kill()
    b.wait(timeout=10)
    t_kill = time.monotonic()
    freed = wait_for(tunnel_up, TTL + 6, step=0.05)
    since = time.monotonic() - t_kill
    c.check(freed is not None and since <= TTL + 2, f"killed tundra: the tunnel works again ({since:.1f} s)")
    c.check(not xdp_on("tx-rc") and not xdp_on("tx-rs"), "killed tundra: the kernel detached its program")
    non_vpn_ok(echo, "after tundra B was killed")
except Exception as ex:  # a broken set-up is a failure, with its reason
    c.check(False, f"test aborted: {type(ex).__name__}: {ex}")
finally:
    teardown()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
