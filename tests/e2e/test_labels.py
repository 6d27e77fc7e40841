"""Every ground-truth capture in pcaps/ gives every flow the app and verdict
its labels say, and ties (tied_to) exactly the flows its labels tie; flows
not in the labels are unknown, pass and untied; counters reconcile and match
the capture's packet count."""
import csv
import os

import subprocess

import tempfile

from tundra_e2e import PCAPS, TUNDRA, Checks, classify, read_pcap, reconciles, write_pcap

c = Checks("e2e_labels")
# Apps this build can name. A label for an app still to come is held to a weaker
# rule: the flow must not be called any *other* VPN (it may be unknown for now).
known = set(subprocess.run([TUNDRA, "apps"], capture_output=True, text=True, check=True).stdout.split())
pending = {}
# Flows a capture really holds but that nothing visible outside encryption identifies
# (pcaps/known-misses.csv says why): the same weaker rule, listed as misses.
misses = {}
with open(os.path.join(PCAPS, "known-misses.csv")) as f:
    for row in csv.DictReader(f):
        misses[(row["pcap"], row["l4"], row["server_ip"], row["server_port"])] = row["why"]
missed = []
registry = os.path.join(PCAPS, "registry.csv")
labels = {}
with open(os.path.join(PCAPS, "labels.csv")) as f:
    for row in csv.DictReader(f):
        labels.setdefault(row["pcap"], []).append(row)

for pcap, rows in sorted(labels.items()):
    path = os.path.join(PCAPS, pcap)
    flows, stats, _ = classify(path, "--registry", registry)
    _, pkts, _ = read_pcap(path)
    c.eq(stats["rx_pkts"], len(pkts), f"{pcap}: every packet of the capture received")
    c.check(reconciles(stats), f"{pcap}: counters reconcile {stats}")
    in_flows = sum(f["pkts_c2s"] + f["pkts_s2c"] for f in flows)
    o = stats["outcome"]
    c.eq(in_flows + o["nonip"] + o["malformed"] + o["fragment"] + o["no_flow"], stats["rx_pkts"],
         f"{pcap}: packets in flows + uninspected = received")
    matched = set()
    for row in rows:
        # A flow's client is its first sender. An IP-protocol flow (GRE, ESP, ICMP: no ports) may
        # start with a packet from the server (an ICMP port unreachable answering an earlier
        # probe), so for those the labelled server may be either end.
        portless = row["l4"] not in ("tcp", "udp")
        hits = [f for f in flows if str(f["l4"]) == row["l4"] and str(f["dst_port"]) == row["server_port"]
                and (f["dst_ip"] == row["server_ip"] or (portless and f["src_ip"] == row["server_ip"]))]
        if not c.check(hits, f"{pcap}: no flow to {row['l4']} {row['server_ip']}:{row['server_port']}"):
            continue
        mkey = (pcap, row["l4"], row["server_ip"], row["server_port"])
        if mkey in misses:
            for f in hits:
                matched.add(id(f))
                c.check(f["app"] in ("unknown", row["app"]),
                        f"{pcap}: known-miss {row['app']} flow to {row['server_ip']}:{row['server_port']} called {f['app']}")
            missed.append(f"{pcap} {row['l4']}/{row['server_port']} {row['app']}")
            continue
        if row["app"] != "unknown" and row["app"] not in known:
            for f in hits:
                matched.add(id(f))
                c.check(f["app"] in ("unknown", row["app"]),
                        f"{pcap}: {row['app']} flow to {row['server_ip']}:{row['server_port']} called {f['app']}")
            pending[row["app"]] = pending.get(row["app"], 0) + len(hits)
            continue
        for f in hits:
            matched.add(id(f))
            what = f"{pcap}: {f['src_ip']}:{f['src_port']} -> {f['dst_ip']}:{f['dst_port']}"
            c.eq(f["app"], row["app"], what + " app")
            c.eq(f["verdict"], row["verdict"], what + " verdict")
            c.eq(f["vpn"], row["app"] != "unknown", what + " vpn")
            tie = f["tied_to"]
            if row["tied_to"]:
                # The partner: the labelled flow L4/PORT on the same server, naming this one back.
                want_l4, want_port = row["tied_to"].split("/")
                if c.check(tie is not None, what + f" tied to {row['tied_to']}"):
                    c.eq((str(tie["l4"]), str(tie["dst_port"]), tie["dst_ip"]), (want_l4, want_port, row["server_ip"]),
                         what + " tied_to partner")
                    # A child has one parent; a parent may carry several children (SoftEther's TLS reconnects).
                    if tie["role"] == "child":
                        c.eq(tie["flows"], 1, what + " tied_to flows")
                    else:
                        c.check(tie["flows"] >= 1, what + " tied_to flows")
                    partner = [g for g in flows if str(g["l4"]) == want_l4 and str(g["dst_port"]) == want_port
                               and g["dst_ip"] == row["server_ip"]]
                    # The partner names this flow back; a parent of several names one of them and counts all.
                    c.check(any(g["tied_to"] and g["tied_to"]["rule"] == tie["rule"] and str(g["tied_to"]["l4"]) ==
                                row["l4"] and (g["tied_to"]["src_port"] == f["src_port"] or g["tied_to"]["flows"] > 1)
                                for g in partner),
                            what + " partner names it back")
            else:
                c.eq(tie, None, what + " tied_to")
            relabelled = tie is not None and tie["relabelled"]
            if row["app"] != "unknown" and relabelled:
                # A label a tie gave: likely, no deciding packet of its own, check tie:<rule>.
                c.eq(f["decided_at_pkt"], None, what + " decided_at_pkt of a tie label")
                c.eq(f["confidence"], "likely", what + " confidence of a tie label")
                c.eq(f["reason"], f"{row['app']}/-/tie:{tie['rule']}/likely", what + " reason")
                c.eq(f["dropped"], False, what + " a tie never drops")
            elif row["app"] != "unknown":
                c.check(isinstance(f["decided_at_pkt"], int) and f["decided_at_pkt"] >= 1, what + " decided_at_pkt")
                c.check(f["reason"].startswith(row["app"] + "/"), what + f" reason {f['reason']!r}")
            if row["verdict"] == "allow":
                c.eq(f["registrant"], "R-0001", what + " registrant")
                c.eq(f["sector"], "bank", what + " sector")
            else:
                c.eq(f["registrant"], None, what + " registrant")
    for f in flows:
        if id(f) not in matched:
            c.check(f["app"] == "unknown" and f["verdict"] == "pass" and f["tied_to"] is None,
                    f"{pcap}: unlabelled flow {f['l4']} {f['src_ip']}:{f['src_port']} -> "
                    f"{f['dst_ip']}:{f['dst_port']} is {f['app']}/{f['verdict']}, tied_to {f['tied_to']}")

# Without a registry every VPN flow is unregistered. Enforce then fails safe: nothing is
# dropped and the alarm is raised, unless an empty registry is explicitly allowed.
flows, stats, p = classify(os.path.join(PCAPS, "demo.pcap"), "--mode", "enforce")
vpn = [f for f in flows if f["vpn"]]
c.check(len(vpn) >= 3, f"demo: VPN flows found without registry: {len(vpn)}")
for f in vpn:
    c.eq(f["verdict"], "block", f"demo no registry: {f['dst_ip']}:{f['dst_port']} verdict")
    c.eq(f["dropped"], False, f"demo enforce without registry: {f['dst_ip']}:{f['dst_port']} not dropped")
c.eq(stats["disposition"]["dropped"], 0, "demo enforce without registry: nothing dropped")
c.eq(stats["control"]["registry_alarm"], 1, "demo enforce without registry: alarm raised")
c.check("ALARM" in p.stderr, "demo enforce without registry: alarm on stderr")
flows, stats, _ = classify(os.path.join(PCAPS, "demo.pcap"), "--mode", "enforce", "--allow-empty-registry")
for f in [f for f in flows if f["vpn"]]:
    c.eq(f["dropped"], True, f"demo enforce, empty registry allowed: {f['dst_ip']}:{f['dst_port']} dropped")
c.check(stats["disposition"]["dropped"] > 0, "demo enforce, empty registry allowed: packets dropped")
c.eq(stats["control"]["registry_alarm"], 0, "demo enforce, empty registry allowed: no alarm")
c.check(reconciles(stats), "demo enforce: counters reconcile")

# Same result with several workers: the symmetric hash keeps both directions together,
# large (chained) frames included.
def key(fl):
    return sorted((str(f["l4"]), f["src_ip"], f["src_port"], f["dst_ip"], f["dst_port"], f["app"], f["verdict"],
                   f["pkts_c2s"], f["pkts_s2c"], f["bytes_c2s"], f["bytes_s2c"], f["reason"]) for f in fl)


one, _, _ = classify(os.path.join(PCAPS, "demo.pcap"), "--registry", registry)
for n in ("2", "3", "4"):
    many, stats_n, _ = classify(os.path.join(PCAPS, "demo.pcap"), "--registry", registry, "--workers", n)
    c.eq(key(many), key(one), f"demo: {n} workers give the same flows as 1")
    c.check(reconciles(stats_n), f"demo {n} workers: counters reconcile")

# Every flow record carries the client's ClientHello fingerprint (JA4) and SNI when it has one.
for pcap, prefix in (("https-tls13.pcap", "t13d"), ("https-tls12.pcap", "t12d")):
    fl, _, _ = classify(os.path.join(PCAPS, pcap))
    tls = [f for f in fl if f["l4"] == "tcp" and f["dst_port"] == 443]
    c.check(tls and all(f["ja4"] and f["ja4"].startswith(prefix) and len(f["ja4"]) == 36 for f in tls),
            f"{pcap}: JA4 {[f['ja4'] for f in tls]}")
    c.check(tls and all(f["sni"] == "www.example.test" for f in tls), f"{pcap}: SNI")

# A ClientHello split over TCP segments gets the JA4 and SNI the unsplit one gets
# (tls-split-hello.pcap: the same curl and openssl clients, whole in one segment
# to 198.19.0.1 and cut into 200-byte segments to 198.18.0.1). The expected JA4 is
# computed here, independently, from the client's stream put together by sequence
# number.
def client_hellos(path):
    """{(server_ip, port): the client's first TLS record} of the IPv4 TCP flows, in sequence order."""
    _, pkts, _ = read_pcap(path)
    streams = {}
    for _, _, d, _ in pkts:
        if len(d) < 34 or d[12:14] != b"\x08\x00" or d[23] != 6:
            continue
        ihl = (d[14] & 15) * 4
        t = 14 + ihl
        tot = int.from_bytes(d[16:18], "big")
        sp, dp = int.from_bytes(d[t:t + 2], "big"), int.from_bytes(d[t + 2:t + 4], "big")
        seq = int.from_bytes(d[t + 4:t + 8], "big")
        flags = d[t + 13]
        payload = d[t + (d[t + 12] >> 4) * 4:14 + tot]
        key = (d[26:30], sp, d[30:34], dp)
        if flags & 0x02 and not flags & 0x10:  # SYN: the client, and its initial sequence number
            streams[key] = {"next": seq + 1, "data": b""}
        elif key in streams and payload:
            s = streams[key]
            if seq == s["next"]:
                s["data"] += payload
                s["next"] += len(payload)
    out = {}
    for (_, _, dst, dp), s in streams.items():
        data = s["data"]
        if data[:1] == b"\x16" and len(data) >= 5:
            n = 5 + int.from_bytes(data[3:5], "big")
            out[(".".join(str(b) for b in dst), dp)] = data[:n]
    return out


def ja4_of(rec):
    """FoxIO JA4 (TCP) and SNI of a whole ClientHello record."""
    import hashlib
    grease = lambda v: (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)
    u16 = lambda b, o: int.from_bytes(b[o:o + 2], "big")
    body = rec[9:]
    legacy = u16(body, 0)
    o = 34
    o += 1 + body[o]
    nc = u16(body, o)
    ciphers = [u16(body, o + 2 + i) for i in range(0, nc, 2)]
    o += 2 + nc
    o += 1 + body[o]
    ext_end = o + 2 + u16(body, o)
    o += 2
    exts, sni, alpn, sigs, version = [], None, None, [], legacy
    while o < ext_end:
        t, n = u16(body, o), u16(body, o + 2)
        e = body[o + 4:o + 4 + n]
        exts.append(t)
        if t == 0:
            sni = e[5:5 + u16(e, 3)].decode()
        elif t == 0x10:
            alpn = e[3:3 + e[2]]
        elif t == 0x0D:
            sigs = [u16(e, 2 + i) for i in range(0, u16(e, 0), 2)]
        elif t == 0x2B:
            vs = [u16(e, 1 + i) for i in range(0, e[0], 2) if not grease(u16(e, 1 + i))]
            version = max(vs)
        o += 4 + n
    ciphers = [c for c in ciphers if not grease(c)]
    exts = [x for x in exts if not grease(x)]
    sigs = [x for x in sigs if not grease(x)]
    ver = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}.get(version, "00")
    if alpn:
        a, z = chr(alpn[0]), chr(alpn[-1])
        al = a + z if a.isalnum() and z.isalnum() and a.isascii() and z.isascii() else \
            f"{alpn[0]:02x}"[0] + f"{alpn[-1]:02x}"[1]
    else:
        al = "00"
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
    part_a = f"t{ver}{'d' if 0 in exts else 'i'}{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{al}"
    part_b = h(",".join(sorted(f"{c:04x}" for c in ciphers))) if ciphers else "0" * 12
    rest = sorted(f"{x:04x}" for x in exts if x not in (0, 0x10))
    part_c = h(",".join(rest) + ("_" + ",".join(f"{x:04x}" for x in sigs) if sigs else "")) if rest else "0" * 12
    return f"{part_a}_{part_b}_{part_c}", sni


split_pcap = os.path.join(PCAPS, "tls-split-hello.pcap")
hellos = client_hellos(split_pcap)
fl, st, _ = classify(split_pcap)
c.eq(len(hellos), 4, "tls-split-hello: four ClientHellos in the capture")
for (ip, port), rec in sorted(hellos.items()):
    want_ja4, want_sni = ja4_of(rec)
    got = [f for f in fl if f["dst_ip"] == ip and f["dst_port"] == port]
    what = f"tls-split-hello {ip}:{port} ({len(rec)}-byte ClientHello)"
    if c.check(len(got) == 1, what + ": one flow"):
        c.eq(got[0]["ja4"], want_ja4, what + " JA4")
        c.eq(got[0]["sni"], want_sni, what + " SNI")
for port in (443, 8443):
    c.eq(ja4_of(hellos[("198.18.0.1", port)]), ja4_of(hellos[("198.19.0.1", port)]),
         f"tls-split-hello :{port}: the split client is the unsplit one")
c.check(len(hellos[("198.18.0.1", 8443)]) > 4096, "tls-split-hello: the large ClientHello is over 4 KiB")
c.eq((st["reasm_done"], st["reasm_gave_up"], st["reasm_no_buffer"]), (2, 0, 0),
     "tls-split-hello: two ClientHellos reassembled, none given up or refused")
# TCP Fast Open: the ClientHello's first segment rides on the SYN, whose data starts
# one past its sequence number. Rewritten from the split curl flow: its first data
# segment becomes the SYN (flag set, the SYN's sequence number), the original SYN goes.
linktype, pkts, nano = read_pcap(split_pcap)
syn = first = None
for i, (_, _, d, _) in enumerate(pkts):
    if d[12:14] == b"\x08\x00" and d[30:34] == bytes([198, 18, 0, 1]) and d[23] == 6:
        t = 14 + (d[14] & 15) * 4
        if int.from_bytes(d[t + 2:t + 4], "big") != 443:
            continue
        if d[t + 13] & 0x02 and syn is None:
            syn, isn = i, d[t + 4:t + 8]
        elif syn is not None and first is None and 14 + int.from_bytes(d[16:18], "big") > t + (d[t + 12] >> 4) * 4:
            first = i
            d = bytearray(d)
            d[t + 4:t + 8] = isn
            d[t + 13] |= 0x02
            tfo = (pkts[i][0], pkts[i][1], bytes(d), pkts[i][3])
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "tfo.pcap")
    write_pcap(path, linktype, [tfo if i == syn else p for i, p in enumerate(pkts) if i != first], nano)
    fl, st, _ = classify(path)
    got = [f for f in fl if f["dst_ip"] == "198.18.0.1" and f["dst_port"] == 443]
    c.check(len(got) == 1 and got[0]["ja4"] == ja4_of(hellos[("198.18.0.1", 443)])[0],
            f"TCP Fast Open: split ClientHello starting on the SYN reassembled: {got}")

# Captures without split ClientHellos never reassemble.
_, st, _ = classify(os.path.join(PCAPS, "demo.pcap"))
c.eq((st["reasm_done"], st["reasm_gave_up"], st["reasm_no_buffer"]), (0, 0, 0), "demo: nothing reassembled")

fl, _, _ = classify(os.path.join(PCAPS, "openconnect-ocserv.pcap"))
dtls = [f for f in fl if f["l4"] == "udp" and f["dst_port"] == 443]
c.check(dtls and dtls[0]["ja4"] and dtls[0]["ja4"].startswith("dd"), "DTLS ClientHello: JA4 starts with d")
fl, _, _ = classify(os.path.join(PCAPS, "dns.pcap"))
c.check(fl and all(f["ja4"] is None and f["sni"] is None for f in fl), "no TLS: no JA4, no SNI")

if missed:
    print("known misses (pcaps/known-misses.csv): " + "; ".join(missed), flush=True)
if pending:
    print("labelled flows of apps this build does not classify yet: " +
          ", ".join(f"{a} {n}" for a, n in sorted(pending.items())), flush=True)
c.done()
