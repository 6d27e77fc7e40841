#!/usr/bin/env python3
"""Small pcap utility for the ground-truth captures (Python 3 stdlib only).

  pcaptool.py merge OUT IN...            merge classic pcap files by timestamp
  pcaptool.py check LABELS DIR           verify labels.csv against the pcaps
  pcaptool.py summary LABELS DIR [PCAP]  first payloads of every labelled flow
  pcaptool.py unencap OUT IN             IKE and ESP of IN's UDP 4500 as without NAT-T:
                                         IKE on UDP 500 (marker removed), ESP on IP 50

A "server endpoint" is an (l4, ip, port) on one of the server-side addresses
(SERVER_IPS); every TCP/UDP packet in a capture belongs to one of them.  ICMP
(IP protocol 1), GRE (47) and ESP (50) packets count as flows too, with l4
"1"/"47"/"50" and port 0.

IPv4 and IPv6 fragments are put together again (per source, destination,
protocol and identification), and the whole datagram counts where its last
fragment was; VXLAN (UDP 4789) is looked into, its inner frames count as
packets of their own.
"""
import csv
import ipaddress
import os
import struct
import sys

SERVER_IPS = {"198.18.0.1", "198.19.0.1", "fd00:7d::1"}
LINKTYPE_ETHERNET = 1
IP_PROTO_FLOWS = (1, 47, 50)  # ICMP, GRE, ESP: flows keyed by (proto, server_ip, 0)
VPN_APPS = ("wireguard", "openvpn", "ike", "esp", "l2tp", "pptp", "gre",
            "openconnect", "tinc", "softether", "fortinet")
VXLAN_PORT = 4789


def read_pcap(path):
    """Return (global_header_fields, [(ts_sec, ts_frac, orig_len, data)])."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24:
        raise ValueError(f"{path}: too short for a pcap header")
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file (pcapng?)")
    _, vmaj, vmin, tz, sig, snap, link = struct.unpack(e + "IHHiIII", raw[:24])
    recs = []
    off = 24
    while off + 16 <= len(raw):
        ts, frac, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        off += 16
        recs.append((ts, frac, orig, raw[off:off + incl]))
        off += incl
    hdr = dict(endian=e, magic=struct.unpack(e + "I", magic)[0], vmaj=vmaj,
               vmin=vmin, snaplen=snap, linktype=link)
    return hdr, recs


def _ip(frame):
    """Ethernet frame -> (proto, src, dst, l4_bytes, frag) or None, where frag is
    None or (key, offset, more) for an IPv4/IPv6 fragment (l4_bytes: its data)."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
        etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    if etype == 0x0800:
        ip = frame[off:]
        if len(ip) < 20:
            return None
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        src = str(ipaddress.IPv4Address(ip[12:16]))
        dst = str(ipaddress.IPv4Address(ip[16:20]))
        fo = struct.unpack("!H", ip[6:8])[0]
        frag = None
        if fo & 0x3FFF:
            frag = ((4, src, dst, proto, ip[4:6]), (fo & 0x1FFF) * 8, bool(fo & 0x2000))
        return proto, src, dst, ip[ihl:total], frag
    if etype == 0x86DD:
        ip = frame[off:]
        if len(ip) < 40:
            return None
        plen = struct.unpack("!H", ip[4:6])[0]
        proto = ip[6]
        src = str(ipaddress.IPv6Address(ip[8:24]))
        dst = str(ipaddress.IPv6Address(ip[24:40]))
        l4 = ip[40:40 + plen]
        while proto in (0, 43, 60) and len(l4) >= 8:
            proto, hlen = l4[0], (l4[1] + 1) * 8
            l4 = l4[hlen:]
        frag = None
        if proto == 44 and len(l4) >= 8:
            fo = struct.unpack("!H", l4[2:4])[0]
            if fo & 0xFFF9:  # not an atomic fragment
                frag = ((6, src, dst, l4[0], l4[4:8]), fo & 0xFFF8, bool(fo & 1))
            proto, l4 = l4[0], l4[8:]
        return proto, src, dst, l4, frag
    return None


def _transport(proto, src, dst, l4):
    """(l4, src, sport, dst, dport, payload) or None."""
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[:4])
        return ("udp", src, sport, dst, dport, l4[8:])
    if proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack("!HH", l4[:4])
        doff = (l4[12] >> 4) * 4
        return ("tcp", src, sport, dst, dport, l4[doff:])
    if proto in IP_PROTO_FLOWS:
        return (str(proto), src, 0, dst, 0, l4)
    return None


def parse(frame):
    """Ethernet frame -> (l4, src, sport, dst, dport, payload) or None (fragments: None)."""
    ip = _ip(frame)
    if not ip or ip[4]:
        return None
    return _transport(*ip[:4])


def _decode(frame, frags, depth=0):
    """[(parsed, fragmented)] for one frame: reassembles fragments in frags (a
    dict kept across frames) and looks into VXLAN."""
    ip = _ip(frame)
    if not ip:
        return []
    proto, src, dst, l4, frag = ip
    fragmented = False
    if frag:
        key, offset, more = frag
        parts = frags.setdefault(key, {})
        parts[offset] = l4
        if not more:
            parts["end"] = offset + len(l4)
        end = parts.get("end")
        if end is None:
            return []
        data, pos = b"", 0
        while pos < end:
            piece = parts.get(pos)
            if piece is None:
                return []  # a fragment still missing
            data += piece
            pos += len(piece)
        del frags[key]
        l4, fragmented = data, True
    t = _transport(proto, src, dst, l4)
    if not t:
        return []
    out = [(t, fragmented)]
    # VXLAN: flags with the I bit, then the inner Ethernet frame
    if (t[0] == "udp" and t[4] == VXLAN_PORT and len(t[5]) >= 8 + 14 and t[5][0] & 0x08
            and depth < 2):
        out += _decode(t[5][8:], frags, depth + 1)
    return out


def packets_ex(path):
    """Yield ((ts, frac, l4, src, sport, dst, dport, payload), fragmented)."""
    hdr, recs = read_pcap(path)
    if hdr["linktype"] != LINKTYPE_ETHERNET:
        raise ValueError(f"{path}: linktype {hdr['linktype']} is not Ethernet")
    frags = {}
    for ts, frac, _, data in recs:
        for p, fragmented in _decode(data, frags):
            yield (ts, frac) + p, fragmented


def packets(path):
    for p, _ in packets_ex(path):
        yield p


def server_side(p):
    """Return (l4, server_ip, server_port, direction) for a parsed packet."""
    l4, src, sport, dst, dport, _ = p[2:]
    if dst in SERVER_IPS:
        return l4, dst, dport, "c2s"
    if src in SERVER_IPS:
        return l4, src, sport, "s2c"
    return None


def load_labels(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def cmd_merge(out, inputs):
    allrecs = []
    first = None
    snap = 0
    for i, path in enumerate(inputs):
        hdr, recs = read_pcap(path)
        if first is None:
            first = hdr
        elif (hdr["linktype"], hdr["magic"]) != (first["linktype"], first["magic"]):
            raise ValueError(f"{path}: linktype/timestamp precision differs from {inputs[0]}")
        snap = max(snap, hdr["snaplen"])
        for j, r in enumerate(recs):
            allrecs.append((r[0], r[1], i, j, r))
    allrecs.sort(key=lambda x: x[:4])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", first["magic"], 2, 4, 0, 0, snap, first["linktype"]))
        for *_, (ts, frac, orig, data) in allrecs:
            f.write(struct.pack("<IIII", ts, frac, len(data), orig))
            f.write(data)
    print(f"merged {len(allrecs)} packets from {len(inputs)} files into {out}")
    return 0


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cmd_unencap(out, inp):
    """Rewrites IPv4 UDP 4500<->4500 packets: IKE (behind the 4-byte zero
    marker) goes to UDP 500<->500 without the marker, ESP becomes IP protocol
    50 with the same bytes (RFC 3948 encapsulation undone), NAT-keepalives are
    left out. Everything else is copied as it is."""
    hdr, recs = read_pcap(inp)
    if hdr["linktype"] != LINKTYPE_ETHERNET:
        raise ValueError(f"{inp}: linktype {hdr['linktype']} is not Ethernet")
    n_ike = n_esp = n_drop = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", hdr["magic"], 2, 4, 0, 0, hdr["snaplen"], hdr["linktype"]))
        for ts, frac, orig, data in recs:
            eth = data[:14]
            ip = data[14:]
            if (len(data) >= 14 + 28 and eth[12:14] == b"\x08\x00" and ip[0] >> 4 == 4 and ip[9] == 17
                    and struct.unpack("!H", ip[6:8])[0] & 0x3FFF == 0):
                ihl = (ip[0] & 15) * 4
                sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
                pay = ip[ihl + 8:struct.unpack("!H", ip[2:4])[0]]
                if sport == 4500 and dport == 4500:
                    iph = bytearray(ip[:ihl])
                    if pay == b"\xff":
                        n_drop += 1
                        continue
                    if pay[:4] == b"\0\0\0\0":
                        pay = pay[4:]
                        l4 = struct.pack("!HHHH", 500, 500, 8 + len(pay), 0) + pay
                        pseudo = bytes(iph[12:20]) + struct.pack("!BBH", 0, 17, len(l4))
                        c = _csum(pseudo + l4) or 0xFFFF
                        l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
                        n_ike += 1
                    else:
                        iph[9] = 50
                        l4 = pay
                        n_esp += 1
                    iph[2:4] = struct.pack("!H", ihl + len(l4))
                    iph[10:12] = b"\0\0"
                    iph[10:12] = struct.pack("!H", _csum(bytes(iph)))
                    data = eth + bytes(iph) + l4
                    orig = len(data)
            f.write(struct.pack("<IIII", ts, frac, len(data), orig))
            f.write(data)
    print(f"{out}: {n_ike} IKE messages moved to UDP 500, {n_esp} ESP packets on IP 50, "
          f"{n_drop} keepalives left out")
    return 0


def _flows(path):
    """{(l4, server_ip, port): {'c2s': [payloads], 's2c': [payloads]}} (non-empty payloads)."""
    flows = {}
    for p, fragmented in packets_ex(path):
        s = server_side(p)
        if not s:
            continue
        l4, ip, port, d = s
        f = flows.setdefault((l4, ip, port), {"c2s": [], "s2c": [], "pkts": 0, "port": port, "frags": 0})
        f["pkts"] += 1
        f["frags"] += fragmented
        if p[7]:
            f[d].append(p[7])
    return flows


def _ike_ok(d, marker):
    """True if d is an IKE message (after a 4-byte non-ESP marker when
    marker is set) whose version byte is 1.0 or 2.0 and whose length field
    is the datagram length."""
    if marker:
        if d[:4] != b"\x00\x00\x00\x00":
            return False
        d = d[4:]
    if len(d) < 28 or d[17] not in (0x10, 0x20):
        return False
    return struct.unpack("!I", d[24:28])[0] == len(d)


def _l2tp_ctrl_type(d):
    """Message type of an L2TPv2 control message (T, L and S bits set,
    version 2, Message Type AVP first), or None."""
    if len(d) < 12 or (d[0] & 0xC8) != 0xC8 or (d[1] & 0x0F) != 2:
        return None
    if struct.unpack("!H", d[2:4])[0] != len(d):
        return None
    if len(d) == 12:
        return 0  # ZLB ack
    if len(d) < 20 or struct.unpack("!HH", d[14:18]) != (0, 0):
        return None
    return struct.unpack("!H", d[18:20])[0]


def _pptp_ctrl_type(d):
    """PPTP control message type (1=SCCRQ, 2=SCCRP, 7=OCRQ, 8=OCRP...), or None."""
    if len(d) < 12 or struct.unpack("!I", d[4:8])[0] != 0x1A2B3C4D:
        return None
    length, mtype = struct.unpack("!HH", d[:4])
    if mtype != 1 or length > len(d):
        return None
    return struct.unpack("!H", d[8:10])[0]


def _ovpn_op(d, l4):
    """OpenVPN opcode of a UDP datagram or of the packet at the start of a TCP segment."""
    if l4 == "tcp":
        return d[2] >> 3 if len(d) >= 3 else None
    return d[0] >> 3 if d else None


def _ovpn_v3_ok(d):
    """A P_CONTROL_HARD_RESET_CLIENT_V3 (tls-crypt-v2): key id 0, and the wrapped
    client key at its end, whose last 2 bytes are the key's own length."""
    if len(d) < 14 or d[0] != 10 << 3:
        return False
    wkc = struct.unpack("!H", d[-2:])[0]
    return 16 + 2 <= wkc <= len(d) - 9


def _midsession_ok(app, l4, flow):
    """Captures started mid-session (named *-midsession*): only data packets, both ways."""
    c2s, s2c = flow["c2s"], flow["s2c"]
    if not c2s or not s2c:
        return "no payload in one direction"
    if app == "wireguard":
        bad = [d for d in c2s + s2c if d[:4] != b"\x04\x00\x00\x00" or len(d) < 32 or len(d) % 16]
        return f"{len(bad)} packets are not transport data" if bad else None
    if app == "openvpn":
        bad = [d for d in c2s + s2c if _ovpn_op(d, l4) != 9]
        return f"{len(bad)} packets are not P_DATA_V2" if bad else None
    if app == "esp":
        bad = [d for d in c2s + s2c if len(d) < 8 or d[:4] == b"\0\0\0\0" or d == b"\xff"]
        return f"{len(bad)} packets are not ESP" if bad else None
    return f"no mid-session check for {app}"


def _vpn_signature_ok(app, l4, flow, pcap=""):
    c2s, s2c = flow["c2s"], flow["s2c"]
    if app not in VPN_APPS:
        return None if c2s else "no client payload"
    if "-frag" in pcap and not flow["frags"]:
        return "no fragmented datagram in the flow"
    if "-midsession" in pcap:
        return _midsession_ok(app, l4, flow)
    if app == "gre":
        if l4 != "47":
            return "gre over non-GRE"
        # enhanced GRE (RFC 2637): K bit, version 1, protocol 0x880b (PPP)
        eg = [d for d in c2s + s2c if len(d) >= 8 and d[0] & 0x20 and (d[1] & 0x07) == 1
              and d[2:4] == b"\x88\x0b"]
        return None if eg else "no enhanced GRE (version 1, PPP) packet"
    if app == "esp":
        if l4 != "50":
            return "esp over non-ESP"  # ESP-in-UDP: mid-session captures only
        return None if any(len(d) >= 8 and d[:4] != b"\0\0\0\0" for d in c2s + s2c) else "no ESP packet"
    if app == "softether" and l4 in ("udp", "1"):
        # the SoftEther client's one-way probes (DNS to :53, NetBIOS to :137, ICMP)
        return None if c2s else "no client payload"
    if not c2s or not s2c:
        return "no payload in one direction"
    if app == "wireguard":
        if l4 != "udp":
            return "wireguard over non-UDP"
        init = [d for d in c2s if len(d) == 148 and d[:4] == b"\x01\x00\x00\x00"]
        resp = [d for d in s2c if len(d) == 92 and d[:4] == b"\x02\x00\x00\x00"]
        data = [d for d in c2s + s2c if d[:4] == b"\x04\x00\x00\x00"]
        if not (init and resp and data):
            return f"handshake/data missing (init={len(init)} resp={len(resp)} data={len(data)})"
        return None
    if app == "openvpn":
        a, b = c2s[0], s2c[0]
        if l4 == "tcp":
            if len(a) < 3 or len(b) < 3:
                return "short first segment"
            a, b = a[2:2 + struct.unpack("!H", a[:2])[0]], b[2:]
        if a[0] >> 3 == 10:
            if not _ovpn_v3_ok(a):
                return "HARD_RESET_CLIENT_V3 without a wrapped client key (WKc) at its end"
        elif a[0] >> 3 != 7:
            return f"first client opcode {a[0] >> 3}, expected 7 (HARD_RESET_CLIENT_V2) or 10 (V3)"
        if b[0] >> 3 != 8:
            return f"first server opcode {b[0] >> 3}, expected 8 (HARD_RESET_SERVER_V2)"
        data = [d for d in c2s + s2c if (d[2] if l4 == "tcp" else d[0]) >> 3 == 9]
        if not data:
            return "no P_DATA_V2 packet (tunnel never carried data)"
        return None
    if app == "ike":
        if l4 != "udp":
            return "ike over non-UDP"
        # The non-ESP marker is on UDP 4500, and strongSwan puts it on every
        # message where neither port is 500 (e.g. 7500/7501). An IKE header
        # starts with the non-zero initiator SPI, so 4 zero bytes are the marker.
        a, b = c2s[0], s2c[0]
        marker = a[:4] == b"\0\0\0\0"
        if flow.get("port") == 4500 and not marker:
            return "no non-ESP marker on 4500"
        if not (_ike_ok(a, marker) and _ike_ok(b, marker)):
            return "first payloads are not IKE (version byte 0x10/0x20, length field)"
        if not marker:
            exch = {0x20: 34, 0x10: 2}[a[17]]  # IKE_SA_INIT / Identity Protection
            if a[18] != exch or b[18] != exch or a[8:16] != b"\0" * 8:
                return f"first exchange types {a[18]}/{b[18]}, expected {exch} with responder SPI 0"
        return None
    if app == "l2tp":
        if l4 != "udp":
            return "l2tp over non-UDP"
        ta, tb = _l2tp_ctrl_type(c2s[0]), _l2tp_ctrl_type(s2c[0])
        if (ta, tb) != (1, 2):
            return f"first control messages {ta}/{tb}, expected 1 (SCCRQ) / 2 (SCCRP)"
        return None
    if app == "pptp":
        if l4 != "tcp":
            return "pptp over non-TCP"
        ta, tb = _pptp_ctrl_type(c2s[0]), _pptp_ctrl_type(s2c[0])
        if (ta, tb) != (1, 2):
            return f"first control messages {ta}/{tb}, expected 1 (SCCRQ) / 2 (SCCRP), magic 0x1a2b3c4d"
        return None
    if app in ("openconnect", "softether"):
        a, b = c2s[0], s2c[0]
        if l4 == "tcp":
            if a[:2] != b"\x16\x03" or b[:2] != b"\x16\x03":
                return "first segments are not TLS handshake records"
        elif a[0] != 0x16 or a[1:3] not in (b"\xfe\xff", b"\xfe\xfd") or b[0] != 0x16:
            return "first datagrams are not DTLS handshake records"
        return None
    if app == "fortinet":
        # TLS, and (TLS <= 1.2) the FortiGate factory issuer name in the server's flight
        if l4 != "tcp" or c2s[0][:2] != b"\x16\x03" or s2c[0][:2] != b"\x16\x03":
            return "first segments are not TLS handshake records"
        return None if b"FortiGate CA" in b"".join(s2c[:8]) else "no FortiGate CA certificate in the clear"
    if app == "tinc":
        if l4 == "tcp" and not (c2s[0][:2] == b"0 " and s2c[0][:2] == b"0 "):
            return "meta connection does not start with ID requests ('0 name version')"
        return None
    return None


def cmd_check(labels_path, pdir):
    labels = load_labels(labels_path)
    errors = 0
    by_pcap = {}
    for row in labels:
        by_pcap.setdefault(row["pcap"], []).append(row)
        want = "allow" if (row["app"] != "unknown" and ipaddress.ip_address(row["server_ip"])
                           in ipaddress.ip_network("198.18.0.0/24")) else \
               ("block" if row["app"] != "unknown" else "pass")
        if row["verdict"] != want:
            print(f"ERROR {row}: verdict should be {want}")
            errors += 1
    for pcap in sorted(set(f for f in os.listdir(pdir) if f.endswith(".pcap")) - set(by_pcap)):
        print(f"ERROR {pcap}: no labels")
        errors += 1
    for pcap, rows in sorted(by_pcap.items()):
        path = os.path.join(pdir, pcap)
        if not os.path.exists(path):
            print(f"ERROR {pcap}: missing")
            errors += 1
            continue
        flows = _flows(path)
        labelled = set()
        for row in rows:
            key = (row["l4"], norm_ip(row["server_ip"]), int(row["server_port"]))
            labelled.add(key)
            f = flows.get(key)
            if not f:
                print(f"ERROR {pcap}: labelled flow {key} not in capture")
                errors += 1
                continue
            bad = _vpn_signature_ok(row["app"], row["l4"], f, pcap)
            if bad:
                print(f"ERROR {pcap}: {key} {row['app']}: {bad}")
                errors += 1
        for row in rows:
            # tied_to: the partner flow of the same session, as L4/SERVER_PORT on the same server
            tie = row.get("tied_to") or ""
            if tie and not any(r["server_ip"] == row["server_ip"] and f"{r['l4']}/{r['server_port']}" == tie
                               and (r.get("tied_to") or "") == f"{row['l4']}/{row['server_port']}"
                               for r in rows):
                print(f"ERROR {pcap}: {row['l4']}/{row['server_port']} tied_to {tie}: no such labelled flow "
                      f"tied back to it")
                errors += 1
        for key in sorted(set(flows) - labelled):
            print(f"ERROR {pcap}: flow {key} ({flows[key]['pkts']} pkts) has no label")
            errors += 1
        size = os.path.getsize(path)
        if size >= 200 * 1024:
            print(f"ERROR {pcap}: {size} bytes, over 200 KB")
            errors += 1
        print(f"ok {pcap}: {len(flows)} flows, {size} bytes")
    print("labels check:", "FAILED" if errors else "passed", f"({errors} errors)")
    return 1 if errors else 0


def cmd_summary(labels_path, pdir, only=None):
    for row in load_labels(labels_path):
        if only and row["pcap"] != only:
            continue
        key = (row["l4"], norm_ip(row["server_ip"]), int(row["server_port"]))
        f = _flows(os.path.join(pdir, row["pcap"])).get(key)
        print(f"{row['pcap']} {row['l4']} [{row['server_ip']}]:{row['server_port']} "
              f"app={row['app']} verdict={row['verdict']} packets={f['pkts'] if f else 0}")
        if not f:
            continue
        for d in ("c2s", "s2c"):
            if f[d]:
                p = f[d][0]
                print(f"  first {d} payload len={len(p)}: {p[:48].hex()}")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "merge":
        return cmd_merge(argv[2], argv[3:])
    if len(argv) == 4 and argv[1] == "unencap":
        return cmd_unencap(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "check":
        return cmd_check(argv[2], argv[3])
    if len(argv) in (4, 5) and argv[1] == "summary":
        return cmd_summary(argv[2], argv[3], argv[4] if len(argv) == 5 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
