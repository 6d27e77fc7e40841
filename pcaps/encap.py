#!/usr/bin/python3
"""Wraps every packet of real captures in one encapsulation (Debian's python3-scapy).

    /usr/bin/python3 pcaps/encap.py           # writes pcaps/encap/*.pcap and encap/labels.csv
    /usr/bin/python3 pcaps/encap.py --check   # only checks the files there against their inputs

The kernel here cannot make GRE, IPIP, SIT, MPLS, 802.1Q or GTP-U, so these
files are made from the real captures in pcaps/ (the inner captures, `base`
in encap/labels.csv): each packet of the inner capture becomes one packet of
the output with the same timestamp, its bytes unchanged inside new outer
headers built with scapy. Layer-2 encapsulations (802.1Q, QinQ, MPLS
pseudowire, GRE transparent Ethernet bridging) carry the whole Ethernet
frame; layer-3 ones (MPLS, GRE, GTP-U, IPIP, 6in4, Teredo) carry the IP
packet after the frame's Ethernet header, so the frames they cannot carry
(ARP; IPv6 in IPIP, IPv4 in 6in4 and Teredo) are left out and counted.
Nothing is random: the same inputs give the same bytes.

Outer addresses: 203.0.113.2 (the client's tunnel end) and 203.0.113.1 (the
server's), 2001:db8::2 and 2001:db8::1 for an IPv6 outer; MACs
02:7d:00:00:00:02 and 02:7d:00:00:00:01. A packet goes client -> server
when its Ethernet source is the client's (learned from the inner capture's
first IP packet from a client address).
"""
import csv
import os
import struct
import sys

from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
from scapy.contrib.mpls import MPLS
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import GRE, Dot1AD, Dot1Q, Ether
from scapy.packet import Raw

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "encap")
SERVER_IPS = {bytes([198, 18, 0, 1]), bytes([198, 19, 0, 1]),
              bytes.fromhex("fd00007d000000000000000000000001")}
MAC = {"c2s": ("02:7d:00:00:00:02", "02:7d:00:00:00:01"), "s2c": ("02:7d:00:00:00:01", "02:7d:00:00:00:02")}
OUTER4 = {"c2s": ("203.0.113.2", "203.0.113.1"), "s2c": ("203.0.113.1", "203.0.113.2")}
OUTER6 = {"c2s": ("2001:db8::2", "2001:db8::1"), "s2c": ("2001:db8::1", "2001:db8::2")}
ETH_IP4, ETH_IP6, ETH_MPLS = 0x0800, 0x86DD, 0x8847
TEREDO_CLIENT_PORT = 51413

# The kernel's VXLAN captures (make-captures.sh vxlan_capture): not made here,
# listed in encap/labels.csv with their inner flows labelled in pcaps/labels*.csv.
KERNEL = [
    ("vxlan-wireguard.pcap", "", "vxlan", "vni=4242;tun_src=203.0.113.2;tun_dst=203.0.113.1;tun_dport=4789"),
    ("vxlan-openvpn.pcap", "", "vxlan", "vni=4242;tun_src=203.0.113.2;tun_dst=203.0.113.1;tun_dport=4789"),
]


# ------------------------------------------------------------------ pcap i/o
def read_pcap(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        raise ValueError(f"{path}: not a little-endian classic pcap")
    snap, link = struct.unpack("<II", raw[16:24])
    if link != 1:
        raise ValueError(f"{path}: linktype {link} is not Ethernet")
    recs, off = [], 24
    while off + 16 <= len(raw):
        ts, frac, incl, orig = struct.unpack("<IIII", raw[off:off + 16])
        off += 16
        if incl != orig:
            raise ValueError(f"{path}: a truncated frame")
        recs.append((ts, frac, raw[off:off + incl]))
        off += incl
    return raw[:4], snap, recs


def write_pcap(path, magic, snap, recs):
    with open(path, "wb") as f:
        f.write(magic + struct.pack("<HHiIII", 2, 4, 0, 0, max(snap, 65535), 1))
        for ts, frac, data in recs:
            f.write(struct.pack("<IIII", ts, frac, len(data), len(data)) + data)


# ------------------------------------------------------------ inner frames
def ethertype(frame):
    return struct.unpack("!H", frame[12:14])[0]


def ip_src(frame):
    t = ethertype(frame)
    if t == ETH_IP4:
        return frame[26:30]
    if t == ETH_IP6:
        return frame[22:38]
    return None


def ip_packet(frame):
    """The IP packet of the frame, checked to end where the frame does (no padding)."""
    t, ip = ethertype(frame), frame[14:]
    n = struct.unpack("!H", ip[2:4])[0] if t == ETH_IP4 else 40 + struct.unpack("!H", ip[4:6])[0]
    if n != len(ip):
        raise ValueError("frame with trailing bytes after the IP packet")
    return ip


def directions(recs):
    """'c2s'/'s2c' per frame, by Ethernet source (the server's MAC is the source of
    the first frame from a server address)."""
    server_mac = None
    for _, _, fr in recs:
        if ip_src(fr) in SERVER_IPS:
            server_mac = fr[6:12]
            break
    if server_mac is None:
        raise ValueError("no frame from a server address")
    return ["s2c" if fr[6:12] == server_mac else "c2s" for _, _, fr in recs]


# ------------------------------------------------------------ encapsulations
class Ctx:
    """Per-file state: IPv4 identification and GTP-U sequence numbers per direction."""

    def __init__(self):
        self.ip_id = {"c2s": 0x1000, "s2c": 0x2000}
        self.gtp_seq = {"c2s": 1, "s2c": 1}

    def next_id(self, d):
        self.ip_id[d] = (self.ip_id[d] + 1) & 0xFFFF
        return self.ip_id[d]


def outer_eth(d, etype):
    src, dst = MAC[d]
    return Ether(src=src, dst=dst, type=etype)


def outer_ip4(ctx, d, proto):
    src, dst = OUTER4[d]
    return outer_eth(d, ETH_IP4) / IP(src=src, dst=dst, id=ctx.next_id(d), ttl=64, flags=0, proto=proto)


def l3_type(frame):
    return {ETH_IP4: 0x0800, ETH_IP6: 0x86DD}.get(ethertype(frame))


def vlan(tags):
    """802.1Q (one tag) or QinQ (0x88a8 S-tag, then 0x8100 C-tag): the tags go in
    after the MAC addresses, the frame's own ethertype after them."""
    def wrap(ctx, d, fr):
        e = Ether(dst=fr[0:6], src=fr[6:12], type=0x88A8 if len(tags) == 2 else 0x8100)
        if len(tags) == 2:
            p = e / Dot1AD(vlan=tags[0], type=0x8100) / Dot1Q(vlan=tags[1], type=ethertype(fr))
        else:
            p = e / Dot1Q(vlan=tags[0], type=ethertype(fr))
        return p / Raw(fr[14:])
    return wrap, lambda fr: fr[14:]


def mpls(labels, pw=False):
    """An MPLS label stack (ethertype 0x8847, TTL 64, S on the bottom label), then the
    IP packet; pw: a pseudowire, the control word (4 zero bytes) then the whole frame."""
    def wrap(ctx, d, fr):
        p = outer_eth(d, ETH_MPLS)
        for i, label in enumerate(labels):
            p = p / MPLS(label=label, cos=0, s=int(i == len(labels) - 1), ttl=64)
        return p / Raw((b"\0\0\0\0" + fr) if pw else ip_packet(fr))
    return wrap, (lambda fr: fr) if pw else ip_packet


def gre(key=None, teb=False, outer6=False):
    """GRE version 0 (RFC 2784/2890) on IPv4 (or IPv6) protocol 47: protocol 0x0800/0x86DD
    and the IP packet, or 0x6558 (transparent Ethernet bridging) and the whole frame;
    with the K bit and a 4-byte key when key is given."""
    def wrap(ctx, d, fr):
        proto = 0x6558 if teb else l3_type(fr)
        g = GRE(proto=proto, key_present=int(key is not None), key=key)
        if outer6:
            src, dst = OUTER6[d]
            p = outer_eth(d, ETH_IP6) / IPv6(src=src, dst=dst, nh=47, hlim=64, fl=0)
        else:
            p = outer_ip4(ctx, d, 47)
        return p / g / Raw(fr if teb else ip_packet(fr))
    return wrap, (lambda fr: fr) if teb else ip_packet


def gtpu(teid, seq=False, ext=False):
    """GTP-U (3GPP TS 29.281) on UDP 2152 <-> 2152: version 1, PT 1, G-PDU (type 255), a
    TEID per direction; seq: the S flag with a sequence number per direction; ext: the E flag
    and a PDU Session Container (0x85, TS 38.415: UL PDU SESSION INFORMATION client ->
    server, DL server -> client, QFI 9)."""
    def wrap(ctx, d, fr):
        ip = ip_packet(fr)
        if ext:
            h = GTP_U_Header(E=1, S=0, PN=0, gtp_type=255, teid=teid[d], seq=0, npdu=0, next_ex=0x85)
            h = h / GTPPDUSessionContainer(ExtHdrLen=1, type=1 if d == "c2s" else 0, QFI=9, NextExtHdr=0)
            h.length = 4 + 4 + len(ip)
        elif seq:
            h = GTP_U_Header(E=0, S=1, PN=0, gtp_type=255, teid=teid[d], seq=ctx.gtp_seq[d], npdu=0, next_ex=0)
            ctx.gtp_seq[d] += 1
            h.length = 4 + len(ip)
        else:
            h = GTP_U_Header(E=0, S=0, PN=0, gtp_type=255, teid=teid[d])
            h.length = len(ip)
        return outer_ip4(ctx, d, 17) / UDP(sport=2152, dport=2152) / h / Raw(ip)
    return wrap, ip_packet


def ip_in_ip(version):
    """IPv4 protocol 4 (IPIP, IPv4 inside) or 41 (6in4, IPv6 inside)."""
    def wrap(ctx, d, fr):
        return outer_ip4(ctx, d, 4 if version == 4 else 41) / Raw(ip_packet(fr))
    return wrap, ip_packet


def teredo():
    """Teredo (RFC 4380): the IPv6 packet directly in IPv4 UDP, client port 51413 <-> the
    relay's 3544 (no authentication or origin indication header)."""
    def wrap(ctx, d, fr):
        sp, dp = (TEREDO_CLIENT_PORT, 3544) if d == "c2s" else (3544, TEREDO_CLIENT_PORT)
        return outer_ip4(ctx, d, 17) / UDP(sport=sp, dport=dp) / Raw(ip_packet(fr))
    return wrap, ip_packet


def carries(kind, fr):
    """Whether an encapsulation of this kind can carry the frame."""
    t = ethertype(fr)
    if kind == "l2":
        return True
    if kind == "ip4":
        return t == ETH_IP4
    if kind == "ip6":
        return t == ETH_IP6
    return t in (ETH_IP4, ETH_IP6)


T = {"c2s": 0x1234, "s2c": 0x5678}
TS = {"c2s": 0x00A1B2C3, "s2c": 0x00D4E5F6}
TE = {"c2s": 0x0000AB01, "s2c": 0x0000CD02}
TUN4 = "tun_src=203.0.113.2;tun_dst=203.0.113.1"
TUN6 = "tun_src=2001:db8::2;tun_dst=2001:db8::1"

# (output, base, encap name, outer identifiers, wrapper, what it carries)
FILES = [
    ("vlan-wireguard.pcap", "wireguard-udp51820.pcap", "vlan", "vlan=100", vlan([100]), "l2"),
    ("vlan-https.pcap", "https-tls13.pcap", "vlan", "vlan=100", vlan([100]), "l2"),
    ("qinq-openvpn-tcp.pcap", "openvpn-tcp443.pcap", "qinq", "vlan=300;vlan=100", vlan([300, 100]), "l2"),
    ("mpls1-openvpn-udp.pcap", "openvpn-udp1194.pcap", "mpls1", "mpls=1001", mpls([1001]), "ip"),
    ("mpls1-wireguard-v6.pcap", "wireguard-udp443-v6.pcap", "mpls1", "mpls=1001", mpls([1001]), "ip"),
    ("mpls2-ikev2.pcap", "ikev2-udp500.pcap", "mpls2", "mpls=1001;mpls=1002", mpls([1001, 1002]), "ip"),
    ("mpls2-https.pcap", "https-tls13.pcap", "mpls2", "mpls=1001;mpls=1002", mpls([1001, 1002]), "ip"),
    ("mpls-pw-wireguard.pcap", "wireguard-udp51820.pcap", "mpls-pw", "mpls=1001;mpls=2001",
     mpls([1001, 2001], pw=True), "l2"),
    ("mpls-pw-dns.pcap", "dns.pcap", "mpls-pw", "mpls=1001;mpls=2001", mpls([1001, 2001], pw=True), "l2"),
    ("gre-ip-openvpn-udp.pcap", "openvpn-udp1194.pcap", "gre-ip", TUN4, gre(), "ip"),
    ("gre-ip-wireguard-v6.pcap", "wireguard-udp443-v6.pcap", "gre-ip", TUN4, gre(), "ip"),
    ("gre-ip-ikev2-v6outer.pcap", "ikev2-udp500.pcap", "gre-ip", TUN6, gre(outer6=True), "ip"),
    ("gre-key-wireguard.pcap", "wireguard-udp51820.pcap", "gre-key", "gre_key=0x2a;" + TUN4, gre(key=0x2A), "ip"),
    ("gre-key-https.pcap", "https-tls13.pcap", "gre-key", "gre_key=0x2a;" + TUN4, gre(key=0x2A), "ip"),
    ("gre-teb-openvpn-tcp.pcap", "openvpn-tcp443.pcap", "gre-teb", TUN4, gre(teb=True), "l2"),
    ("gre-teb-key-ikev2.pcap", "ikev2-udp500.pcap", "gre-teb", "gre_key=0x2b;" + TUN4,
     gre(key=0x2B, teb=True), "l2"),
    ("gtpu-openvpn-udp.pcap", "openvpn-udp1194.pcap", "gtpu",
     "teid=0x1234/0x5678;" + TUN4 + ";tun_sport=2152;tun_dport=2152", gtpu(T), "ip"),
    ("gtpu-seq-wireguard.pcap", "wireguard-udp51820.pcap", "gtpu-seq",
     "teid=0xa1b2c3/0xd4e5f6;" + TUN4 + ";tun_sport=2152;tun_dport=2152", gtpu(TS, seq=True), "ip"),
    ("gtpu-ext-ikev2.pcap", "ikev2-udp500.pcap", "gtpu-ext",
     "teid=0xab01/0xcd02;qfi=9;" + TUN4 + ";tun_sport=2152;tun_dport=2152", gtpu(TE, ext=True), "ip"),
    ("gtpu-ext-wireguard-v6.pcap", "wireguard-udp443-v6.pcap", "gtpu-ext",
     "teid=0xab01/0xcd02;qfi=9;" + TUN4 + ";tun_sport=2152;tun_dport=2152", gtpu(TE, ext=True), "ip"),
    ("gtpu-dns.pcap", "dns.pcap", "gtpu",
     "teid=0x1234/0x5678;" + TUN4 + ";tun_sport=2152;tun_dport=2152", gtpu(T), "ip"),
    ("ipip-wireguard.pcap", "wireguard-udp51820.pcap", "ipip", TUN4, ip_in_ip(4), "ip4"),
    ("ipip-https.pcap", "https-tls13.pcap", "ipip", TUN4, ip_in_ip(4), "ip4"),
    ("6in4-wireguard-v6.pcap", "wireguard-udp443-v6.pcap", "6in4", TUN4, ip_in_ip(6), "ip6"),
    ("6in4-https-v6.pcap", "https-tls13-v6.pcap", "6in4", TUN4, ip_in_ip(6), "ip6"),
    ("teredo-wireguard-v6.pcap", "wireguard-udp443-v6.pcap", "teredo",
     TUN4 + ";tun_sport=51413;tun_dport=3544", teredo(), "ip6"),
    ("teredo-https-v6.pcap", "https-tls13-v6.pcap", "teredo",
     TUN4 + ";tun_sport=51413;tun_dport=3544", teredo(), "ip6"),
]


def build(base, wrapper, kind):
    """(magic, snaplen, [(ts, frac, outer bytes)], [(inner bytes carried)], left out)."""
    magic, snap, recs = read_pcap(os.path.join(HERE, base))
    wrap, carried = wrapper
    ctx = Ctx()
    out, inner, left = [], [], 0
    for (ts, frac, fr), d in zip(recs, directions(recs)):
        if not carries(kind, fr):
            left += 1
            continue
        out.append((ts, frac, bytes(wrap(ctx, d, fr))))
        inner.append(carried(fr))
    return magic, snap, out, inner, left, len(recs)


def check(name, out_recs, inner):
    """Every output packet ends in the inner bytes it carries, unchanged (the outer
    headers all come in front of them; 802.1Q keeps the frame's MAC addresses in front
    of its tags)."""
    if len(out_recs) != len(inner):
        raise SystemExit(f"{name}: {len(out_recs)} packets, {len(inner)} expected")
    for (_, _, data), want in zip(out_recs, inner):
        if not data.endswith(want) or len(data) <= len(want):
            raise SystemExit(f"{name}: a packet does not end in its inner bytes")


def main(argv):
    only_check = "--check" in argv
    os.makedirs(OUT, exist_ok=True)
    rows = []
    for name, base, encap, outer, wrapper, kind in FILES:
        magic, snap, out, inner, left, total = build(base, wrapper, kind)
        check(name, out, inner)
        path = os.path.join(OUT, name)
        if only_check:
            _, _, have = read_pcap(path)
            if have != out:
                raise SystemExit(f"{name}: differs from what {base} gives now")
        else:
            write_pcap(path, magic, snap, out)
        rows.append((name, base, encap, outer))
        note = f", {left} non-carried frame(s) of {total} left out" if left else ""
        print(f"{'checked' if only_check else 'wrote'} encap/{name}: {len(out)} packets from {base}{note}, "
              f"{os.path.getsize(path)} bytes")
    rows += KERNEL
    if not only_check:
        with open(os.path.join(OUT, "labels.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("pcap", "base", "encap", "outer"))
            w.writerows(sorted(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
