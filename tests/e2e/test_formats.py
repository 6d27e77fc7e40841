"""Captures as users have them: pcap (µs and ns), pcapng, Ethernet, Linux
cooked SLL and SLL2, raw IP, BSD loopback give the same flows; other link
types, damaged files and malformed packets get clear errors and lose nothing."""
import os
import struct
import subprocess
import tempfile

from tundra_e2e import PCAPS, TUNDRA, Checks, classify, read_pcap, reconciles, write_pcap, write_pcapng

c = Checks("e2e_formats")
tmp = tempfile.mkdtemp(prefix="tundra-formats-")
registry = os.path.join(PCAPS, "registry.csv")
src = os.path.join(PCAPS, "demo.pcap")
linktype, pkts, nano = read_pcap(src)
c.eq(linktype, 1, "demo.pcap is Ethernet")


def summary(flows):
    return sorted((str(f["l4"]), f["src_ip"], f["src_port"], f["dst_ip"], f["dst_port"], f["pkts_c2s"],
                   f["pkts_s2c"], f["bytes_c2s"], f["bytes_s2c"], f["app"], f["verdict"], f["reason"])
                  for f in flows)


base, base_stats, _ = classify(src, "--registry", registry)
want = summary(base)
c.check(any(f["app"] == "wireguard" for f in base), "baseline finds wireguard")


def ip_packets():
    """(ts, frac, ip bytes, ethertype) for the IP packets of the capture."""
    for s, frac, data, orig in pkts:
        et = struct.unpack(">H", data[12:14])[0]
        if et in (0x0800, 0x86DD):
            yield s, frac, data[14:], et, orig - 14


def variant(name, lt, make, writer=write_pcap, ip_only=True):
    path = os.path.join(tmp, name)
    if ip_only:
        recs = [(s, f, make(ip, et), o - 14 + len(make(ip, et)) - len(ip)) for s, f, ip, et, o in ip_packets()]
    else:
        recs = [(s, f, make(d), o) for s, f, d, o in pkts]
    writer(path, lt, recs)
    flows, stats, p = classify(path, "--registry", registry, check=False)
    c.eq(p.returncode, 0, f"{name}: exit status ({p.stderr.strip()[-300:]})")
    if stats:
        c.check(reconciles(stats), f"{name}: counters reconcile")
        c.eq(stats["rx_pkts"], len(recs), f"{name}: all packets received")
    c.eq(summary(flows), want, f"{name}: same flows as Ethernet")
    return flows


c.eq(sum(1 for _ in ip_packets()), len(pkts), "demo.pcap holds only IP packets")

# pcapng, microsecond and nanosecond resolution
variant("demo.pcapng", 1, lambda d: d, write_pcapng, ip_only=False)
ns = os.path.join(tmp, "demo-ns.pcapng")
write_pcapng(ns, 1, [(s, f * 1000, d, o) for s, f, d, o in pkts], nano=True)
flows, _, p = classify(ns, "--registry", registry)
c.eq(summary(flows), want, "pcapng with ns resolution: same flows")
c.eq([f["ts_first"] for f in flows], [f["ts_first"] for f in base], "pcapng ns: same timestamps")
nsp = os.path.join(tmp, "demo-ns.pcap")
write_pcap(nsp, 1, [(s, f * 1000, d, o) for s, f, d, o in pkts], nano=True)
flows, _, _ = classify(nsp, "--registry", registry)
c.eq([f["ts_first"] for f in flows], [f["ts_first"] for f in base], "pcap ns magic: same timestamps")

# Linux cooked v1: packet type, ARPHRD, addr len, addr[8], protocol
variant("demo-sll.pcap", 113, lambda ip, et: struct.pack(">HHH8sH", 0, 1, 6, b"\x02" * 6 + b"\0\0", et) + ip)
# Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr[8]
variant("demo-sll2.pcap", 276, lambda ip, et: struct.pack(">HHIHBB8s", et, 0, 3, 1, 0, 6, b"\x02" * 8) + ip)
# Raw IP (LINKTYPE_RAW 101)
variant("demo-raw.pcap", 101, lambda ip, et: ip)
# BSD loopback: 4-byte family in host byte order (2 = IPv4, 30 = IPv6 on macOS)
variant("demo-null.pcap", 0, lambda ip, et: struct.pack("<I", 2 if et == 0x0800 else 30) + ip)
# OpenBSD loopback: family in network byte order
variant("demo-loop.pcap", 108, lambda ip, et: struct.pack(">I", 2 if et == 0x0800 else 24) + ip)

# VLAN and QinQ tags in front of every packet change nothing but the vlan field.
def tag(d, tpids):
    hdr = d[:12]
    for tpid, vid in tpids:
        hdr += struct.pack(">HH", tpid, vid)
    return hdr + d[12:]


fl = variant("demo-vlan.pcap", 1, lambda d: tag(d, [(0x8100, 42)]), ip_only=False)
c.check(all(f["vlan"] == 42 and f["zone"] == 42 for f in fl), "802.1Q: vlan 42 (the zone) on every flow")
# Both tags name the tenant: the zone is a marked hash of the two (docs/architecture.md), no single vlan.
fl = variant("demo-qinq.pcap", 1, lambda d: tag(d, [(0x88A8, 100), (0x8100, 43)]), ip_only=False)
c.check(all(f["vlan"] is None and f["zone"] >= 1 << 20 for f in fl), "QinQ: a marked zone, no vlan, on every flow")
c.check(len({f["zone"] for f in fl}) == 1, "QinQ: one zone for every flow")

# Unsupported link type (IEEE 802.11 = 105): refused, naming the file and the type.
bad = os.path.join(tmp, "wifi.pcap")
write_pcap(bad, 105, [(1, 0, b"\0" * 40, 40)])
p = subprocess.run([TUNDRA, "classify", bad], capture_output=True, text=True)
c.eq(p.returncode, 2, "802.11 capture: exit status")
c.check(bad in p.stderr and "link type" in p.stderr and "IEEE802_11" in p.stderr,
        f"802.11 capture: message names file and link type: {p.stderr!r}")

# Not a capture, and a missing file.
junk = os.path.join(tmp, "junk.pcap")
with open(junk, "wb") as f:
    f.write(b"this is not a capture file at all\n" * 4)
p = subprocess.run([TUNDRA, "classify", junk], capture_output=True, text=True)
c.check(p.returncode == 2 and junk in p.stderr, f"junk file: clear error: {p.stderr!r}")
p = subprocess.run([TUNDRA, "classify", os.path.join(tmp, "missing.pcap")], capture_output=True, text=True)
c.check(p.returncode == 2 and "missing.pcap" in p.stderr, f"missing file: clear error: {p.stderr!r}")

# A capture cut in the middle of a record: what came before is classified and
# reported, then the error names the file and the packet; exit status 2.
with open(src, "rb") as f:
    whole = f.read()
cut = os.path.join(tmp, "cut.pcap")
with open(cut, "wb") as f:
    f.write(whole[: len(whole) - 30])
flows, stats, p = classify(cut, "--registry", registry, check=False)
c.eq(p.returncode, 2, "cut capture: exit status")
c.check(cut in p.stderr and f"packet {len(pkts)}" in p.stderr, f"cut capture: names file and packet: {p.stderr[-300:]!r}")
c.eq(stats["rx_pkts"], len(pkts) - 1, "cut capture: every whole packet classified")
c.check(reconciles(stats), "cut capture: counters reconcile")
c.check(any(f["app"] == "wireguard" for f in flows), "cut capture: flows before the damage reported")

# Malformed and odd packets: counted, passed, never fatal.
eth = b"\x02" * 12
ipv4_udp = bytes.fromhex("4500001c000140004011") + b"\0\0" + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + bytes.fromhex("d431ca6c00080000")
odd = [
    eth + b"\x08\x00" + ipv4_udp,                       # fine
    eth + b"\x08\x00" + ipv4_udp[:10],                  # truncated IPv4 header
    eth + b"\x08\x00" + b"\x46" + ipv4_udp[1:],         # IHL past the packet
    eth + b"\x08\x00" + ipv4_udp[:2] + b"\xff\xff" + ipv4_udp[4:],  # total length past the packet
    eth + b"\x08\x00" + ipv4_udp[:20] + b"\xd4\x31",    # truncated UDP header
    eth + b"\x86\xdd" + b"\x60" + b"\0" * 10,           # truncated IPv6
    eth + b"\x08\x06" + b"\0" * 28,                     # ARP
    eth[:8],                                            # runt
    eth + b"\x08\x00" + ipv4_udp[:6] + b"\x20\x00" + ipv4_udp[8:],  # IPv4 more-fragments
]
oddp = os.path.join(tmp, "odd.pcap")
write_pcap(oddp, 1, [(100 + i, 0, d, len(d)) for i, d in enumerate(odd)])
flows, stats, p = classify(oddp)
c.eq(p.returncode, 0, "malformed packets: exit status 0")
c.eq(stats["rx_pkts"], len(odd), "malformed packets: all received")
c.eq(stats["outcome"]["malformed"], 6, "malformed packets: counted")
c.eq(stats["outcome"]["nonip"], 1, "ARP: counted as not IP")
c.eq(stats["outcome"]["fragment"], 1, "fragment: counted")
c.eq(len(flows), 1, "one well-formed flow")
c.check(reconciles(stats), "malformed packets: counters reconcile")

# --explain: the decision path of each flow, in JSON and in the table.
flows, stats, p = classify(src, "--registry", registry, "--explain")
wg = [f for f in flows if f["app"] == "wireguard"]
c.check(len(wg) == 1 and "path" in wg[0], "--explain: the wireguard flow has a path")
if wg:
    path = wg[0]["path"]
    c.eq([(s["pkt"], s["classifier"], s["signature"], s["result"]) for s in path],
         [(1, "wireguard", "wireguard-handshake-init", "more"), (2, "wireguard", None, "confirmed")],
         "--explain: wireguard path = initiation nominated by its signature, then confirmed by the response")
    c.eq(path[-1]["pkt"], wg[0]["decided_at_pkt"], "--explain: the last step is the deciding packet")
c.check(all(f["path"] and f["path"][-1]["result"] in ("likely", "confirmed")
            for f in flows if f["vpn"]), "--explain: every VPN flow's path ends in its decision")
c.check(all(f["path_steps"] >= len(f["path"]) for f in flows), "--explain: path_steps counts every step")
plain, _, _ = classify(src, "--registry", registry)
c.check(all("path" not in f for f in plain), "without --explain no path field")
c.eq(summary(flows), want, "--explain changes no decision")
t = subprocess.run([TUNDRA, "classify", src, "--registry", registry, "--explain"], capture_output=True, text=True)
c.check("signature wireguard-handshake-init -> consistent, needs more packets" in t.stdout and
        "decided: confirmed (check handshake-init+response-index-match)" in t.stdout,
        "--explain table: path lines under the flow row")

# --summary: totals only, the same counters.
sflows, sstats, sp = classify(src, "--registry", registry, "--summary")
c.eq(sflows, [], "--summary: no flow lines")
c.eq(sstats["flows"]["created"], stats["flows"]["created"], "--summary: the same flows counted")
c.eq(sstats["outcome"], stats["outcome"], "--summary: the same packet outcomes")
c.check("wireguard" in sp.stderr, "--summary: the per-app summary is printed")

c.done()
