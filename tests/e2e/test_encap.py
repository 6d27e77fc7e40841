"""Encapsulations and fragments end to end.

1. The real tunnel captures beside the checkout (nDPI's corpus): tundra reports
   the INNER flows (the addresses and ports below were read with tshark, not
   with tundra's parser), counts the outer headers per kind, calls nothing a
   VPN, and its counters reconcile.
2. The bundled demo capture wrapped in every encapsulation the parser peels,
   with per-direction identifiers where the protocol has them (GTP-U TEIDs,
   MPLS labels), and cut into IPv4/IPv6 fragments (also inside a tunnel, and
   of the tunnel's own outer header): every variant must give the flows,
   apps, verdicts, decision packets and packet counts of the plain capture,
   in enforce mode, with the blocked flow dropped from the same datagram on.
3. The captures in pcaps/encap/ (real captures wrapped by pcaps/encap.py, and
   the kernel's own VXLAN between namespaces; pcaps/encap/labels.csv): each
   inner flow gets its base capture's label (pcaps/labels.csv; flows of a
   base with no labels are not VPNs), and the record's `outer` names the
   encapsulation and its identifiers per direction as the wrapping set them.
"""
import csv
import os
import struct
import sys
import tempfile

from tundra_e2e import PCAPS, WILD, Checks, classify, five_tuple, flow_id, ip_text, read_pcap, reconciles, write_pcap

c = Checks("e2e_encap")
registry = os.path.join(PCAPS, "registry.csv")
tmp = tempfile.mkdtemp(prefix="tundra-encap-")


def fid(l4, a, ap, b, bp):
    return (l4, tuple(sorted([(a, ap), (b, bp)])))


def encap_counts(stats):
    return {k: v for k, v in stats["encap"].items() if v}


# ---- 1. the wild tunnel captures ----
WILD_EXPECT = {
    "4in4tunnel.pcap": ({fid("udp", "10.10.100.25", 62367, "10.10.101.2", 17000)}, {"qinq": 5, "ipip": 5}),
    "4in6tunnel.pcap": ({fid("tcp", "192.168.0.1", 64455, "10.10.10.1", 443)}, {"ipip": 4}),
    "6in4tunnel.pcap": ({
        fid(58, "2001:470:1f17:13f:3e97:eff:fe73:4dec", 0, "2604:a880:1:20::224:b001", 0),
        fid(58, "2001:470:1f16:13f::2", 0, "2604:a880:1:20::224:b001", 0),
        fid(58, "2a03:2880:1010:6f03:face:b00c:0:2", 0, "2001:470:1f17:13f:3e97:eff:fe73:4dec", 0),
        fid("tcp", "2001:470:1f17:13f:3e97:eff:fe73:4dec", 53234, "2a03:2880:1010:6f03:face:b00c:0:2", 443),
        fid("tcp", "2001:470:1f17:13f:3e97:eff:fe73:4dec", 60205, "2604:a880:1:20::224:b001", 443),
        fid("tcp", "2001:470:1f17:13f:3e97:eff:fe73:4dec", 41538, "2604:a880:1:20::224:b001", 80),
        fid("tcp", "2604:a880:1:20::224:b001", 993, "2001:470:1f17:13f:6d69:c72:7313:616f", 56381),
        fid("tcp", "2604:a880:1:20::224:b001", 993, "2001:470:1f17:13f:6d69:c72:7313:616f", 35610),
        fid("udp", "2001:470:1f16:13f::2", 53959, "2a03:2880:fffe:b:face:b00c:0:99", 53),
        fid("udp", "2001:470:1f16:13f::2", 6404, "2a03:2880:fffe:b:face:b00c:0:99", 53),
    }, {"6in4": 127}),
    "6in6tunnel.pcap": ({fid("udp", "dead::beef", 30000, "cafe::babe", 13000)}, {"6in6": 2}),
    # Teredo has no tenant identifier: the router solicitations of the five clients (link-local,
    # the same inner addresses) are one inner flow; the qualification and the echo flows are theirs.
    "teredo.pcap": ({
        fid(58, "fe80::ffff:ffff:fffe", 0, "ff02::2", 0),
        fid(58, "fe80::8000:f227:3d77:e3b3", 0, "fe80::ffff:ffff:fffe", 0),
        fid(58, "2001:0:c288:1c4c:20f3:359b:46f9:3f46", 0, "2002:c288:1c4c::c288:1c4d", 0),
        fid(58, "2001:0:c288:1c4c:20f3:359b:46f9:3f46", 0, "2002:c288:1c4c::c288:1c4c", 0),
        fid(59, "fe80::8000:f227:3d77:e3b3", 0, "2001:0:c288:1c4c:20f3:359b:46f9:3f46", 0),
    }, {"teredo": 24}),
    "vxlan.pcap": ({
        fid("tcp", "10.10.20.4", 45228, "157.240.224.35", 443),
        fid("tcp", "10.10.20.4", 45226, "157.240.224.35", 443),
        fid("udp", "10.10.20.4", 32860, "8.8.8.8", 53),
        fid("udp", "10.10.20.4", 44437, "8.8.8.8", 53),
    }, {"vlan": 127, "vxlan": 127}),
}
# Packets per inner flow where nDPI's result lists them (both directions).
WILD_PKTS = {
    fid("tcp", "10.10.20.4", 45228, "157.240.224.35", 443): (35, 56),
    fid("udp", "10.10.20.4", 32860, "8.8.8.8", 53): (2, 2),
    fid("tcp", "192.168.0.1", 64455, "10.10.10.1", 443): (2, 2),
    fid("udp", "dead::beef", 30000, "cafe::babe", 13000): (2, 0),
    fid("tcp", "2001:470:1f17:13f:3e97:eff:fe73:4dec", 53234, "2a03:2880:1010:6f03:face:b00c:0:2", 443): (18, 15),
}

tunnel_dir = os.path.join(WILD, "tunnel")
if os.path.isdir(tunnel_dir):
    for name, (want_flows, want_encap) in WILD_EXPECT.items():
        flows, stats, p = classify(os.path.join(tunnel_dir, name), "--registry", registry)
        c.check(stats is not None and reconciles(stats), f"{name}: counters reconcile")
        got = {flow_id(f) for f in flows}
        c.eq(got, want_flows, f"{name}: the inner flows")
        c.eq(encap_counts(stats), want_encap, f"{name}: encap counters")
        c.check(not any(f["vpn"] for f in flows), f"{name}: no VPN flow")
        c.eq(stats["outcome"]["malformed"], 0, f"{name}: nothing malformed")
        # Every packet in its own flow's record: 4in4tunnel's flow times out and comes back within
        # one read burst, which once left the earlier records with no packets.
        o = stats["outcome"]
        c.eq(sum(f["pkts_c2s"] + f["pkts_s2c"] for f in flows) + o["nonip"] + o["malformed"] + o["fragment"]
             + o["no_flow"], stats["rx_pkts"], f"{name}: packets in records + uninspected = received")
        c.check(all(f["pkts_c2s"] + f["pkts_s2c"] > 0 for f in flows), f"{name}: every record has its packets")
        for f in flows:
            w = WILD_PKTS.get(flow_id(f))
            if w:
                c.eq(tuple(sorted((f["pkts_c2s"], f["pkts_s2c"]), reverse=True)), tuple(sorted(w, reverse=True)),
                     f"{name}: packets of {flow_id(f)}")
        if name == "vxlan.pcap":
            zones = {f["zone"] for f in flows}
            c.check(len(zones) == 1 and min(zones) >= 1 << 20 and all(f["vlan"] is None for f in flows),
                    f"vxlan: one marked zone (VLAN 5 + VNI 1111) for every flow: {zones}")
else:
    print(f"{tunnel_dir} not present: the wild tunnel captures are skipped", file=sys.stderr)

# ---- 2. the demo capture in every encapsulation, and in fragments ----
_, demo, _ = read_pcap(os.path.join(PCAPS, "demo.pcap"))


def ipv4(proto, payload, src, dst, ident=1, frag=0):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, frag, 64, proto, 0, src, dst) + payload


def ipv6(nh, payload, src, dst):
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, 64) + src + dst + payload


def udp(sp, dp, payload):
    return struct.pack(">HHHH", sp, dp, 8 + len(payload), 0) + payload


MACS = bytes.fromhex("02aabbccdd0102aabbccdd02")


def eth(etype, payload, vlans=()):
    hdr = MACS
    for tpid, vid in vlans:
        hdr += struct.pack(">HH", tpid, vid)
    return hdr + struct.pack(">H", etype) + payload


def split(frame):
    """(ethertype, ip bytes) of an untagged demo frame, Ethernet padding dropped."""
    et = struct.unpack(">H", frame[12:14])[0]
    ip = frame[14:]
    if et == 0x0800:
        ip = ip[:struct.unpack(">H", ip[2:4])[0]]
    elif et == 0x86DD:
        ip = ip[:40 + struct.unpack(">H", ip[4:6])[0]]
    return et, ip


# Direction of each packet: the flow's first sender is the client (uplink).
first_src = {}


def uplink(frame):
    t = five_tuple(frame)
    if t is None:
        return True
    key = tuple(sorted([t[2], t[3]]))
    first_src.setdefault(key, t[2])
    return first_src[key] == t[2]


V4A, V4B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
V6A, V6B = bytes.fromhex("20010db8000000000000000000000a01"), bytes.fromhex("20010db8000000000000000000000a02")


def outer4(proto, payload, up, ident=1, frag=0):
    return ipv4(proto, payload, V4A if up else V4B, V4B if up else V4A, ident, frag)


def outer6(nh, payload, up):
    return ipv6(nh, payload, V6A if up else V6B, V6B if up else V6A)


def w_vxlan(frame, up, i):
    vx = struct.pack(">II", 0x08000000, 42 << 8) + frame
    return [eth(0x0800, outer4(17, udp(49152 + i % 1000, 4789, vx), up), [(0x8100, 5)])]


def w_gtpu(frame, up, i):
    et, ip = split(frame)
    teid = 0x1000 if up else 0x2000  # one TEID per direction, as the core network gives them
    if up:  # uplink with a PDU Session Container (5G), downlink without options
        body = struct.pack(">HBB", 0, 0, 0x85) + bytes([1, 0x10, 9, 0]) + ip
        g = struct.pack(">BBHI", 0x34, 255, len(body), teid) + body
    else:
        g = struct.pack(">BBHI", 0x30, 255, len(ip), teid) + ip
    return [eth(0x0800, outer4(17, udp(2152, 2152, g), up))]


def w_mpls(frame, up, i):
    et, ip = split(frame)
    labels = (100, 200) if up else (300, 400)  # LSPs are per direction
    stack = struct.pack(">II", labels[0] << 12 | 64, labels[1] << 12 | 0x100 | 64)
    return [eth(0x8847, stack + ip)]


def w_mpls_pw(frame, up, i):
    stack = struct.pack(">I", (500 if up else 600) << 12 | 0x100 | 64)
    return [eth(0x8847, stack + b"\0\0\0\0" + frame)]


def w_gre(frame, up, i):
    et, ip = split(frame)
    g = struct.pack(">HHI", 0x2000, et, 77) + ip
    return [eth(0x86DD, outer6(47, g, up))]


def w_gre_teb(frame, up, i):
    g = struct.pack(">HHI", 0x2000, 0x6558, 0x00ABCD00 | (i & 0xFF)) + frame  # NVGRE: VSID + FlowID entropy
    return [eth(0x0800, outer4(47, g, up))]


def w_ipip(frame, up, i):
    et, ip = split(frame)
    if et == 0x0800:
        return [eth(0x0800, outer4(4, ip, up))]
    return [eth(0x0800, outer4(41, ip, up))]


def w_in6(frame, up, i):
    et, ip = split(frame)
    return [eth(0x86DD, outer6(4 if et == 0x0800 else 41, ip, up))]


def w_qinq_teredo(frame, up, i):
    et, ip = split(frame)
    if et != 0x86DD:
        return [eth(0x0800, ip, [(0x88A8, 100), (0x8100, 200)])]
    origin = b"" if up else struct.pack(">HHI", 0, 0xFFFF ^ 40000, 0xFFFFFFFF ^ 0xC6120002)
    return [eth(0x0800, outer4(17, udp(40000 if up else 3544, 3544 if up else 40000, origin + ip), up),
                [(0x88A8, 100), (0x8100, 200)])]


def frag4(ip, size, reverse):
    """IPv4 datagram ip as fragments of size bytes of payload (a multiple of 8)."""
    hl = (ip[0] & 0xF) * 4
    hdr, data = ip[:hl], ip[hl:]
    ident = struct.unpack(">H", ip[4:6])[0]
    parts = []
    for off in range(0, len(data), size):
        chunk = data[off:off + size]
        more = off + size < len(data)
        h = bytearray(hdr)
        h[2:4] = struct.pack(">H", hl + len(chunk))
        h[6:8] = struct.pack(">H", (0x2000 if more else 0) | off // 8)
        parts.append(bytes(h) + chunk)
    return parts[::-1] if reverse else parts


frag6_id = [0x5000]


def frag6(ip, size, reverse):
    nh, body = ip[6], ip[40:]
    frag6_id[0] += 1
    parts = []
    for off in range(0, len(body), size):
        chunk = body[off:off + size]
        more = off + size < len(body)
        fh = struct.pack(">BBHI", nh, 0, off | (1 if more else 0), frag6_id[0])
        h = bytearray(ip[:40])
        h[4:6] = struct.pack(">H", 8 + len(chunk))
        h[6] = 44
        parts.append(bytes(h) + fh + chunk)
    return parts[::-1] if reverse else parts


def w_frag(frame, up, i):
    """Big packets cut into fragments, every third datagram's fragments in reverse order."""
    et, ip = split(frame)
    if et == 0x0800 and len(ip) > 200:
        return [eth(0x0800, f) for f in frag4(ip, 96, i % 3 == 0)]
    if et == 0x86DD and len(ip) > 100:
        return [eth(0x86DD, f) for f in frag6(ip, 48, i % 3 == 0)]
    return [frame]


def w_gtpu_inner_frag(frame, up, i):
    """The subscriber's packets fragmented inside the tunnel: every fragment behind its own GTP-U header."""
    out = []
    for f in w_frag(frame, up, i):
        out += w_gtpu(f, up, i)
    return out


outer_id = [0x100]


def w_vxlan_outer_frag(frame, up, i):
    """VXLAN whose outer IPv4 header is fragmented (a VTEP link with a small MTU)."""
    (whole,) = w_vxlan(frame, up, i)
    ip = whole[18:]
    if len(ip) <= 256:
        return [whole]
    outer_id[0] += 1
    ip = ip[:4] + struct.pack(">H", outer_id[0]) + ip[6:]
    return [eth(0x0800, f, [(0x8100, 5)]) for f in frag4(ip, 128, i % 2 == 0)]


def summary(flows):
    return sorted(((flow_id(f), f["app"], f["verdict"], f["dropped"], f["decided_at_pkt"], f["pkts_c2s"],
                    f["pkts_s2c"]) for f in flows), key=repr)


base_flows, base_stats, _ = classify(os.path.join(PCAPS, "demo.pcap"), "--registry", registry, "--mode", "enforce")
base = summary(base_flows)
c.check(any(f["verdict"] == "block" and f["dropped"] for f in base_flows), "demo: a blocked flow to drop")
c.check(base_stats["disposition"]["dropped"] > 0, "demo: enforce drops packets")

VARIANTS = {
    # name: (wrap, encap counters expected per wrapped frame, workers)
    "vxlan": (w_vxlan, {"vlan", "vxlan"}, 2),
    "gtpu": (w_gtpu, {"gtpu"}, 2),
    "mpls": (w_mpls, {"mpls"}, 2),
    "mpls_pw": (w_mpls_pw, {"mpls"}, 1),
    "gre_key_in6": (w_gre, {"gre"}, 1),
    "nvgre": (w_gre_teb, {"gre_teb"}, 1),
    "ipip_6in4": (w_ipip, None, 1),
    "4in6_6in6": (w_in6, None, 1),
    "qinq_teredo": (w_qinq_teredo, None, 1),
    "fragments": (w_frag, set(), 2),
    "gtpu_inner_fragments": (w_gtpu_inner_frag, {"gtpu"}, 2),
    "vxlan_outer_fragments": (w_vxlan_outer_frag, None, 1),
}
for name, (wrap, kinds, workers) in VARIANTS.items():
    first_src.clear()
    out, n_frag_dgrams = [], 0
    for i, (s, frac, frame, _) in enumerate(demo):
        frames = wrap(frame, uplink(frame), i)
        n_frag_dgrams += len(frames) > 1
        out += [(s, frac, f, len(f)) for f in frames]
    path = os.path.join(tmp, f"demo-{name}.pcap")
    write_pcap(path, 1, out)
    flows, stats, p = classify(path, "--registry", registry, "--mode", "enforce", "--workers", str(workers))
    c.check(stats is not None and reconciles(stats), f"{name}: counters reconcile")
    if stats is None:
        continue
    c.eq(summary(flows), base, f"{name}: the plain capture's flows, apps, verdicts and packet counts")
    c.eq(stats["outcome"]["malformed"], 0, f"{name}: nothing malformed")
    # One drop per dropped datagram, whatever it came in: only the completing fragment is dropped.
    c.eq(stats["disposition"]["dropped"], base_stats["disposition"]["dropped"], f"{name}: same drops")
    enc = encap_counts(stats)
    if kinds is not None:
        c.eq(enc, {k: len(out) for k in kinds}, f"{name}: every frame counted once per kind it carries")
    if name in ("vxlan", "gtpu", "mpls", "nvgre"):
        zones = {f["zone"] for f in flows}
        c.check(len(zones) == 1, f"{name}: one zone for both directions of every flow: {zones}")
    if "frag" in name:
        fr = stats["frag"]
        c.eq(fr["reassembled"], n_frag_dgrams, f"{name}: every fragmented datagram reassembled")
        c.eq(fr["overlap"] + fr["tiny"] + fr["invalid"] + fr["timed_out"] + fr["evicted"], 0,
             f"{name}: nothing refused")
        c.eq(stats["outcome"]["fragment"], len(out) - len(demo), f"{name}: the other fragments: outcome fragment")

# ---- 3. pcaps/encap/: the record's outer identifiers ----
ENCAP_NAME = {"gre-ip": "gre", "gre-key": "gre", "gre-teb": "gre_teb", "gtpu-ext": "gtpu", "gtpu-seq": "gtpu",
              "mpls-pw": "mpls", "mpls1": "mpls", "mpls2": "mpls"}
labels = {}
with open(os.path.join(PCAPS, "labels.csv")) as f:
    for row in csv.DictReader(f):
        labels.setdefault(row["pcap"], []).append(row)


def expected_outer(kind, spec):
    """The outer object each direction's records must carry, from labels.csv's outer column."""
    one = {"encap": [ENCAP_NAME.get(kind, kind)]}
    teid = None
    for item in spec.split(";"):
        k, _, v = item.partition("=")
        if k == "vlan":
            one.setdefault("vlan", []).append(int(v))
        elif k == "mpls":
            m = one.setdefault("mpls", {})
            m["bottom"] = int(v)
            m.setdefault("top", int(v))
        elif k == "gre_key":
            one["gre_key"] = int(v, 0)
        elif k == "vni":
            one["vni"] = int(v)
        elif k == "teid":
            teid = [int(t, 0) for t in v.split("/")]
    cli, srv = dict(one), dict(one)
    if teid:
        cli["teid"], srv["teid"] = teid
    return {"client": cli, "server": srv}


with open(os.path.join(PCAPS, "encap", "labels.csv")) as f:
    rows = list(csv.DictReader(f))
c.check(len(rows) >= 25, "pcaps/encap/labels.csv lists the wrapped captures")
for row in rows:
    name = row["pcap"]
    flows, stats, _ = classify(os.path.join(PCAPS, "encap", name), "--registry", registry)
    c.check(reconciles(stats), f"encap/{name}: counters reconcile")
    kind = ENCAP_NAME.get(row["encap"], row["encap"])
    c.check(stats["encap"].get(kind, 0) > 0, f"encap/{name}: the {kind} counter counts its frames")
    want = {}
    for r in labels.get(row["base"] or os.path.join("encap", name), []):
        want[(r["l4"], r["server_ip"], r["server_port"])] = (r["app"], r["verdict"])
    outer = expected_outer(row["encap"], row["outer"])
    for fl in flows:
        key = (str(fl["l4"]), fl["dst_ip"], str(fl["dst_port"]) if fl["l4"] in ("tcp", "udp") else "0")
        app, verdict = want.get(key, ("unknown", "pass"))
        c.eq((fl["app"], fl["verdict"]), (app, verdict), f"encap/{name}: flow to {key}: the base capture's label")
        if fl["outer"] is None:
            continue
        # The wrapping's uplink is the capture's client host, which a labelled flow's client is;
        # another flow (a neighbour solicitation from the server, say) may have begun downlink.
        got = [fl["outer"]["client"], fl["outer"]["server"]]
        if key in want:
            for side, g in zip(("client", "server"), got):
                if g:
                    c.eq(g, outer[side], f"encap/{name}: flow to {key}: {side} side's outer identifiers")
        else:
            c.check(all(g in (outer["client"], outer["server"]) for g in got if g),
                    f"encap/{name}: flow to {key}: outer identifiers {got} are the wrapping's {outer}")
    c.check(any(fl["outer"] for fl in flows), f"encap/{name}: the records carry the outer identifiers")
c.done()
