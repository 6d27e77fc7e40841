"""One direction of a capture: what a box on an asymmetric route sees.

cut(pcap, rows, side) keeps the packets the client sent ("client") or the
server sent ("server"), as `tcpdump -Q out` / `-Q in` on the client's side
would have captured them. A packet belongs to the server side when its
source is a labelled server endpoint of the capture (address and, for TCP
and UDP, port), or, for packets of no labelled flow, when its source
address is a labelled server's address. The labels are those of
pcaps/labels.csv.

Run as a script it prints, per app, the recall of every labelled flow with
both directions, the client's only and the server's only, and the packet
that decided each (the table in docs/classifiers.md, "One direction"):
    python3 tests/e2e/oneway.py [build/tundra]
"""
import csv
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tundra_e2e import PCAPS, five_tuple, ip_text, read_pcap, write_pcap  # noqa: E402

SIDES = ("client", "server")


def labels(path=None):
    """The labelled captures to cut: those in encap/ are left out, their packets' outer headers
    name the tunnel's ends, not the flow's (their inner flows are the plain captures' own)."""
    out = {}
    with open(path or os.path.join(PCAPS, "labels.csv")) as f:
        for row in csv.DictReader(f):
            if not row["pcap"].startswith("encap/"):
                out.setdefault(row["pcap"], []).append(row)
    return out


def _l4(proto):
    return {6: "tcp", 17: "udp"}.get(proto, str(proto))


def from_server(t, rows):
    """True when a packet (its five_tuple) was sent by a labelled server."""
    ver, proto, (sa, sp), _ = t
    src = ip_text(ver, sa)
    l4 = _l4(proto)
    by_ip = False
    for r in rows:
        if r["server_ip"] != src:
            continue
        by_ip = True
        if r["l4"] == l4 and (l4 not in ("tcp", "udp") or int(r["server_port"]) == sp):
            return True
    # Not a labelled flow's server endpoint: the host decides (ICMP errors, DNS, ...).
    return by_ip and not any(r["l4"] == l4 and r["l4"] in ("tcp", "udp") and r["server_ip"] == src
                             for r in rows)


def cut(pcap, rows, side, out_path):
    """Writes the side's packets of pcap to out_path; returns how many were kept."""
    linktype, pkts, nano = read_pcap(pcap)
    keep = []
    for p in pkts:
        t = five_tuple(p[2]) if linktype == 1 else None
        srv = t is not None and from_server(t, rows)
        if (side == "server") == srv:
            keep.append(p)
    write_pcap(out_path, linktype, keep, nano)
    return len(keep)


def find(flows, row):
    """The records of a labelled flow, whichever end the record calls the client."""
    portless = row["l4"] not in ("tcp", "udp")
    out = []
    for f in flows:
        if str(f["l4"]) != row["l4"]:
            continue
        if f["dst_ip"] == row["server_ip"] and (portless or str(f["dst_port"]) == row["server_port"]):
            out.append(f)
        elif f["src_ip"] == row["server_ip"] and (portless or str(f["src_port"]) == row["server_port"]):
            out.append(f)
    return out


def main():
    """Recall table on stdout; with --rows FILE, also the labels-oneway.csv rows the build earns."""
    import argparse
    import tundra_e2e
    from tundra_e2e import classify
    ap = argparse.ArgumentParser()
    ap.add_argument("tundra", nargs="?", default=os.environ.get("TUNDRA", "build/tundra"))
    ap.add_argument("--rows", help="write the rows of labels-oneway.csv this build gets right")
    a = ap.parse_args()
    tundra_e2e.TUNDRA = a.tundra
    registry = os.path.join(PCAPS, "registry.csv")
    tmp = tempfile.mkdtemp(prefix="tundra-oneway-")
    table, earned = {}, []
    for pcap, rows in sorted(labels().items()):
        for side in ("both",) + SIDES:
            path = os.path.join(PCAPS, pcap)
            if side != "both":
                path = os.path.join(tmp, f"{side}-{os.path.basename(pcap)}")
                cut(os.path.join(PCAPS, pcap), rows, side, path)
            flows, _, _ = classify(path, "--registry", registry)
            for r in rows:
                if r["app"] == "unknown":
                    continue
                hits = find(flows, r)
                got = [f for f in hits if f["app"] == r["app"]]
                e = table.setdefault(r["app"], {s: [0, 0, []] for s in ("both",) + SIDES})[side]
                e[1] += 1
                if got:
                    e[0] += 1
                    e[2].append(str(got[0]["decided_at_pkt"] or "tie"))
                    if side != "both":
                        f = got[0]
                        ends = "server" if f["dst_ip"] == r["server_ip"] and f["seen"] == side else "either"
                        earned.append([pcap, side, r["l4"], r["server_ip"], r["server_port"], f["app"],
                                       f["verdict"], f["confidence"], ends])
                print(f"{side:6} {pcap:40} {r['l4']}/{r['server_port']:5} {r['app']:12} "
                      f"{' '.join(sorted(set(f['app'] + ':' + str(f['confidence']) for f in hits))) or '-'}",
                      file=sys.stderr)
    print("| app | both | client only | server only |")
    print("|---|---|---|---|")
    for app, e in sorted(table.items()):
        cells = [f"{v[0]}/{v[1]}" + (f" (pkt {', '.join(v[2])})" if v[2] else "") for v in
                 (e["both"], e["client"], e["server"])]
        print(f"| {app} | " + " | ".join(cells) + " |")
    if a.rows:
        with open(a.rows, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["pcap", "side", "l4", "server_ip", "server_port", "app", "verdict", "confidence", "ends"])
            w.writerows(earned)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
