"""Flow table floods, live (docs/reliability.md): a WireGuard and an OpenVPN session, replayed
without end on one port of a bump in the wire, keep their verdicts while the other port
replays a flood of single-packet flows (tundra-gen --flood syn, then --flood random) five
times the size of the flow table. The table stays full and bounded; it makes room by
evicting flows still inspecting (the flood's), never a decided VPN flow: each VPN flow is
judged once, with the verdict offline classify gives it, and never made again."""
import json
import os
import subprocess
import tempfile
import time

from tundra_e2e import (EAL, PCAPS, TUNDRA, Checks, classify, flow_id, gen, lcores, read_pcap, reconciles,
                        rss_kib, write_pcap)

c = Checks("e2e_flood", verbose=True)
tmp = tempfile.mkdtemp(prefix="tundra-flood-")
registry = os.path.join(PCAPS, "registry.csv")
TABLE = 4096
SECONDS = 4

# The established sessions: two captures, one after the other, replayed in a loop.
vpn = os.path.join(tmp, "vpn.pcap")
pkts = []
for name in ("wireguard-udp51820.pcap", "openvpn-udp1194.pcap"):
    lt, p, nano = read_pcap(os.path.join(PCAPS, name))
    pkts += p
write_pcap(vpn, lt, pkts, nano)
offline, _, _ = classify(vpn, "--registry", registry)
expect = {flow_id(f): (f["app"], f["verdict"]) for f in offline if f["vpn"]}
c.eq(sorted(a for a, _ in expect.values()), ["openvpn", "wireguard"], "offline: both sessions are VPN flows")

results = {}
for kind in ("syn", "random"):
    flood = os.path.join(tmp, f"flood-{kind}.pcap")
    gen(flood, "--flood", kind, "--flows", str(5 * TABLE))
    stats_path = os.path.join(tmp, f"stats-{kind}.json")
    events = os.path.join(tmp, f"events-{kind}.jsonl")
    proc = subprocess.Popen([TUNDRA, "run", *EAL, "--lcores", lcores(2),
                             "--vdev", f"net_pcap0,rx_pcap={flood},infinite_rx=1",
                             "--vdev", f"net_pcap1,rx_pcap={vpn},infinite_rx=1", "--",
                             "--port", "0", "--pair", "1", "--registry", registry, "--flows", str(TABLE),
                             "--duration", str(SECONDS), "--events", events, "--flow-log", os.devnull,
                             "--stats-json", stats_path, "--mbufs", str(5 * TABLE + 8192 + len(pkts))],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    rss_early = rss_kib(proc.pid)
    time.sleep(SECONDS - 2)
    rss_late = rss_kib(proc.pid)
    _, err = proc.communicate(timeout=120)
    c.eq(proc.returncode, 0, f"{kind}: exit status ({err[-400:]})")
    with open(stats_path) as f:
        st = json.load(f)
    fl = st["flows"]
    with open(events) as f:
        ev = [json.loads(line) for line in f if line.strip()]
    c.check(reconciles(st), f"{kind}: counters reconcile")
    c.eq(fl["table_slots"] >= TABLE, True, f"{kind}: table of {fl['table_slots']} slots")
    c.check(fl["created"] > 4 * fl["table_slots"], f"{kind}: the flood overran the table ({fl['created']} flows created)")
    c.check(fl["evicted"]["inspecting"] > 0, f"{kind}: evictions took flows still inspecting: {fl['evicted']}")
    c.eq(fl["evicted"]["vpn"], 0, f"{kind}: no decided VPN flow evicted")
    c.check(rss_early is not None and rss_late is not None and rss_late - rss_early < 4096,
            f"{kind}: memory bounded while the table is full (RSS {rss_early} -> {rss_late} KiB)")
    vpn_ev = [e for e in ev if flow_id(e) in expect]
    c.eq(sorted(flow_id(e) for e in vpn_ev), sorted(expect), f"{kind}: each VPN flow judged exactly once")
    c.check(all((e["app"], e["verdict"]) == expect[flow_id(e)] for e in vpn_ev),
            f"{kind}: live verdicts = offline verdicts {[(e['app'], e['verdict']) for e in vpn_ev]}")
    # The flood's own records (millions) are not kept: a VPN flow evicted or idled out and made
    # again would have been judged again, so one verdict event each means it lasted the run.
    vpn_pkts = st["outcome"]["allow"] + st["outcome"]["block"]
    c.check(vpn_pkts > 1000, f"{kind}: the sessions kept sending through the flood ({vpn_pkts} VPN packets)")
    results[kind] = (fl["created"] / SECONDS, fl["evicted"], fl["expired"], rss_early, rss_late)

for kind, (rate, ev, exp, r0, r1) in results.items():
    print(f"{kind} flood: {rate:.0f} new flows/s offered and taken, evicted {ev}, expired {exp}, "
          f"RSS {r0} -> {r1} KiB; VPN verdicts kept", flush=True)
c.done()
