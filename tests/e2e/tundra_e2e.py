"""Helpers shared by the end-to-end tests: run the binary, read and write
pcaps (stdlib only), map packets to flows."""
import json
import os
import struct
import subprocess
import sys
import tempfile

TUNDRA = os.environ.get("TUNDRA", "build/tundra")
TUNDRA_GEN = os.environ.get("TUNDRA_GEN", os.path.join(os.path.dirname(TUNDRA), "tests", "tundra-gen"))
SRC = os.environ.get("TUNDRA_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PCAPS = os.path.join(SRC, "pcaps")
WILD = os.path.normpath(os.path.join(SRC, "..", "shared", "pcaps", "wild"))


class Checks:
    """Counts assertions; a test exits non-zero if any failed."""

    def __init__(self, name, verbose=False):
        """verbose: passing checks are printed too (ok: ...), for tests whose run is a story."""
        self.name, self.total, self.failed, self.verbose = name, 0, 0, verbose

    def check(self, cond, what):
        self.total += 1
        if not cond:
            self.failed += 1
            print(f"FAIL: {what}", file=sys.stderr)
        elif self.verbose:
            print(f"ok: {what}", file=sys.stderr)
        return cond

    def eq(self, a, b, what):
        return self.check(a == b, f"{what}: {a!r} != {b!r}" if a != b else f"{what}: {a!r}")

    def done(self):
        print(f"{self.name}: {self.total} checks, {self.failed} failed", file=sys.stderr)
        sys.exit(1 if self.failed or self.total == 0 else 0)


def classify(pcap, *args, check=True):
    """Runs tundra classify --json; returns (flows, stats, proc)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as st:
        stats_path = st.name
    try:
        p = subprocess.run([TUNDRA, "classify", pcap, "--json", "--stats-json", stats_path, *args],
                           capture_output=True, text=True, timeout=300)
        if check and p.returncode != 0:
            raise RuntimeError(f"tundra classify {pcap} exited {p.returncode}: {p.stderr}")
        flows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        stats = None
        if os.path.getsize(stats_path) > 0:
            with open(stats_path) as f:
                stats = json.load(f)
        return flows, stats, p
    finally:
        os.unlink(stats_path)


def reconciles(stats):
    rx = stats["rx_pkts"]
    return sum(stats["outcome"].values()) == rx and sum(stats["disposition"].values()) == rx


# ---- pcap files ----

def read_pcap(path):
    """Returns (linktype, [(ts_sec, ts_frac, data, wirelen)], nanosecond)."""
    with open(path, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", buf[20:24])[0] & 0xFFFF
    off, pkts = 24, []
    while off + 16 <= len(buf):
        s, frac, incl, orig = struct.unpack(e + "IIII", buf[off:off + 16])
        off += 16
        pkts.append((s, frac, buf[off:off + incl], orig))
        off += incl
    return linktype, pkts, nano


def write_pcap(path, linktype, pkts, nano=False):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for s, frac, data, orig in pkts:
            f.write(struct.pack("<IIII", s, frac, len(data), orig))
            f.write(data)


def write_pcapng(path, linktype, pkts, nano=False):
    """Section header, one interface (µs or ns resolution), enhanced packet blocks."""
    def block(btype, body):
        pad = (-len(body)) % 4
        total = 12 + len(body) + pad
        return struct.pack("<II", btype, total) + body + b"\0" * pad + struct.pack("<I", total)
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    opts = b""
    if nano:
        opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)  # if_tsresol = 10^-9
    out.append(block(1, struct.pack("<HHI", linktype, 0, 262144) + opts))
    for s, frac, data, orig in pkts:
        ts = s * (10**9 if nano else 10**6) + frac
        out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data))
    with open(path, "wb") as f:
        f.write(b"".join(out))


# ---- packets to flows ----

def five_tuple(frame):
    """(ip_version, proto, (src, sport), (dst, dport)) of an Ethernet frame, or None."""
    off = 12
    et = struct.unpack(">H", frame[off:off + 2])[0]
    off += 2
    while et in (0x8100, 0x88A8, 0x9100):
        et = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    if et == 0x0800:
        ihl = (frame[off] & 0xF) * 4
        proto = frame[off + 9]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4 = off + ihl
        ver = 4
    elif et == 0x86DD:
        proto = frame[off + 6]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4 = off + 40
        ver = 6
    else:
        return None
    sp = dp = 0
    if proto in (6, 17):
        sp, dp = struct.unpack(">HH", frame[l4:l4 + 4])
    return ver, proto, (src, sp), (dst, dp)


def ip_text(ver, raw):
    import ipaddress
    return str(ipaddress.IPv4Address(raw) if ver == 4 else ipaddress.IPv6Address(raw))


def flow_id(flow):
    """Key of a JSON flow record, both directions alike."""
    a = (flow["src_ip"], flow["src_port"])
    b = (flow["dst_ip"], flow["dst_port"])
    return (flow["l4"], tuple(sorted([a, b])))


def packet_flow_id(t):
    ver, proto, a, b = t
    l4 = {6: "tcp", 17: "udp"}.get(proto, proto)
    ea = (ip_text(ver, a[0]), a[1])
    eb = (ip_text(ver, b[0]), b[1])
    return (l4, tuple(sorted([ea, eb])))


# ---- live runs ----

EAL = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"]


def lcores(n):
    """--lcores value for n lcores (main + workers) on the CPUs this process may use."""
    cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
    return f"(0-{n - 1})@({cpus})"


def gen(out, *args):
    """Runs tundra-gen; returns its summary line."""
    p = subprocess.run([TUNDRA_GEN, "--out", out, "--pcaps", PCAPS, *args], capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"tundra-gen {args} exited {p.returncode}: {p.stderr}")
    return p.stderr.strip()


def fit_mbufs(path, limit=1514):
    """Keeps the frames of a pcap that fit one mbuf (net_pcap's infinite_rx needs that); returns their number."""
    lt, pkts, nano = read_pcap(path)
    keep = [p for p in pkts if len(p[2]) <= limit]
    write_pcap(path, lt, keep, nano)
    return len(keep)


def rss_kib(pid):
    """VmRSS of a process in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def control(sock, cmd, timeout=10):
    """One command over tundra's control socket; the reply line."""
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    return reply.decode().strip()
