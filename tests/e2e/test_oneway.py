"""Asymmetric routing: every ground-truth capture of pcaps/labels.csv cut into
the client's packets only and the server's packets only (tests/e2e/oneway.py),
each classified with the registry.

pcaps/labels-oneway.csv says what each cut must give a labelled VPN flow: its
app, verdict and confidence. A flow listed there must be decided so, and
its record must say one side was seen; with ends=server the record must name
the server as the server (the engine turns a flow round when only the server
spoke), with ends=either the protocol's one side does not show which end
serves (its ends are peers: the registry is asked about both). A labelled VPN flow not
listed must stay unknown, and so must every flow the labels call unknown and
every flow they do not name: one direction is less evidence, never a reason
to call something else a VPN. Counters reconcile in every cut."""
import csv
import os
import shutil
import tempfile

from oneway import SIDES, cut, find, labels
from tundra_e2e import PCAPS, Checks, classify, reconciles

c = Checks("e2e_oneway")
registry = os.path.join(PCAPS, "registry.csv")
tmp = tempfile.mkdtemp(prefix="tundra-oneway-")
expect = {}
with open(os.path.join(PCAPS, "labels-oneway.csv")) as f:
    for row in csv.DictReader(f):
        key = (row["pcap"], row["side"], row["l4"], row["server_ip"], row["server_port"])
        c.check(key not in expect, f"labels-oneway.csv: {key} listed twice")
        expect[key] = row

used = set()
for pcap, rows in sorted(labels().items()):
    for side in SIDES:
        path = os.path.join(tmp, f"{side}-{os.path.basename(pcap)}")
        n = cut(os.path.join(PCAPS, pcap), rows, side, path)
        flows, stats, _ = classify(path, "--registry", registry)
        c.eq(stats["rx_pkts"], n, f"{side}-only {pcap}: every packet received")
        c.check(reconciles(stats), f"{side}-only {pcap}: counters reconcile")
        named = set()
        for r in rows:
            hits = find(flows, r)
            named.update(id(f) for f in hits)
            key = (pcap, side, r["l4"], r["server_ip"], r["server_port"])
            what = f"{side}-only {pcap} {r['l4']} {r['server_ip']}:{r['server_port']}"
            e = expect.get(key)
            if e is not None:
                used.add(key)
                if not c.check(hits, f"{what}: no flow"):
                    continue
                for f in hits:
                    c.eq((f["app"], f["verdict"], f["confidence"]), (e["app"], e["verdict"], e["confidence"]),
                         f"{what}: app, verdict, confidence ({f['reason']})")
                    if e["ends"] == "server":
                        c.eq((f["dst_ip"], str(f["dst_port"]) if r["l4"] in ("tcp", "udp") else r["server_port"]),
                             (r["server_ip"], r["server_port"]), f"{what}: the record's server is the server")
                        c.eq(f["seen"], side, f"{what}: the record says which side it saw")
                    else:
                        # What one side of a peer protocol shows does not say which end serves:
                        # the registry is asked about both, and the record only says one side spoke.
                        c.eq(e["ends"], "either", f"{what}: ends is server or either")
                        c.check(f["seen"] in SIDES, f"{what}: the record says one side was seen")
                continue
            for f in hits:
                c.eq(f["app"], "unknown",
                     f"{what}: labelled {r['app']}, not in labels-oneway.csv, must stay unknown ({f['reason']})")
        for f in flows:
            if id(f) not in named:
                c.eq(f["app"], "unknown", f"{side}-only {pcap}: unlabelled flow {f['src_ip']}:{f['src_port']} > "
                     f"{f['dst_ip']}:{f['dst_port']} ({f['reason']})")
for key in sorted(set(expect) - used):
    c.check(False, f"labels-oneway.csv: {key} names no labelled flow of labels.csv")
shutil.rmtree(tmp)
c.done()
