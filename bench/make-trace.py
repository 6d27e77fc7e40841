#!/usr/bin/env python3
"""Builds a large benchmark trace from the ground-truth captures: each copy
replays their flows from another client address and port, a little later, so
the trace holds many concurrent flows with the real handshakes and data
packets. Servers stay the same, so registry verdicts do not change.

    bench/make-trace.py --copies 4000 --out /tmp/trace.pcap
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from tundra_e2e import PCAPS, read_pcap, write_pcap  # noqa: E402

SOURCES = ["wireguard-udp51820.pcap", "wireguard-udp443-v6.pcap", "openvpn-udp1194.pcap",
           "openvpn-udp-tlscrypt.pcap", "openvpn-tcp443.pcap", "dns.pcap", "https-tls13.pcap",
           "ssh.pcap", "udp-random.pcap"]
CLIENT4 = bytes([198, 18, 0, 2]), bytes([198, 19, 0, 2])
CLIENT6 = bytes.fromhex("fd00007d000000000000000000000002")


def ip4_csum(h):
    s = sum(struct.unpack(">10H", h[:10] + b"\0\0" + h[12:20]))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def rewrite(frame, k):
    """Moves the client side of a frame to copy k's address and port."""
    f = bytearray(frame)
    et = struct.unpack(">H", f[12:14])[0]
    if et == 0x0800:
        o = 14
        ihl = (f[o] & 0xF) * 4
        new = bytes([10, (k >> 8) & 0xFF, k & 0xFF, 2 + (k >> 16)])
        side = None
        if bytes(f[o + 12:o + 16]) in CLIENT4:
            side = 0
            f[o + 12:o + 16] = new
        elif bytes(f[o + 16:o + 20]) in CLIENT4:
            side = 1
            f[o + 16:o + 20] = new
        f[o + 10:o + 12] = struct.pack(">H", ip4_csum(bytes(f[o:o + 20])))
        l4, proto = o + ihl, f[o + 9]
    elif et == 0x86DD:
        o = 14
        new = CLIENT6[:12] + struct.pack(">I", 0x10000 + k)
        side = None
        if bytes(f[o + 8:o + 24]) == CLIENT6:
            side = 0
            f[o + 8:o + 24] = new
        elif bytes(f[o + 24:o + 40]) == CLIENT6:
            side = 1
            f[o + 24:o + 40] = new
        l4, proto = o + 40, f[o + 6]
    else:
        return bytes(f)
    if side is not None and proto in (6, 17):
        p = l4 + 2 * side
        port = struct.unpack(">H", f[p:p + 2])[0]
        f[p:p + 2] = struct.pack(">H", 1024 + (port + 7 * k) % 64000)
    return bytes(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=2000)
    ap.add_argument("--spacing-us", type=int, default=2000, help="start offset between copies")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    base = []
    for name in SOURCES:
        _, pkts, _ = read_pcap(os.path.join(PCAPS, name))
        t0 = pkts[0][0] * 10**6 + pkts[0][1]
        base += [((s * 10**6 + fr) - t0, d, o) for s, fr, d, o in pkts]
    out = []
    for k in range(a.copies):
        off = k * a.spacing_us
        for t, d, o in base:
            out.append((t + off, rewrite(d, k), o))
    out.sort(key=lambda r: r[0])
    t_base = 1_700_000_000 * 10**6
    write_pcap(a.out, 1, [((t + t_base) // 10**6, (t + t_base) % 10**6, d, o) for t, d, o in out])
    print(f"{a.out}: {len(out)} packets, {a.copies} copies of {len(base)}", file=sys.stderr)


if __name__ == "__main__":
    main()
