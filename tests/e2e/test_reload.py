"""Registry reload on a running engine (SIGHUP): a bad file leaves the
previous registry serving and says file:line; a good one is swapped in
without stopping traffic, and flows already judged are judged again."""
import json
import os
import signal
import subprocess
import tempfile
import time

from tundra_e2e import PCAPS, TUNDRA, Checks, reconciles

c = Checks("e2e_reload")
tmp = tempfile.mkdtemp(prefix="tundra-reload-")
reg = os.path.join(tmp, "registry.csv")
with open(os.path.join(PCAPS, "registry.csv")) as f:
    full = f.read()
without_bank = "".join(l for l in full.splitlines(True) if not l.startswith("198.18.0.0/24"))
c.check(without_bank != full, "registry without the bank's prefix differs")
with open(reg, "w") as f:
    f.write(without_bank)

flows_path = os.path.join(tmp, "flows.jsonl")
stats_path = os.path.join(tmp, "stats.json")
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
proc = subprocess.Popen([TUNDRA, "run", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
                         "--log-level=*:error", "--lcores", f"(0-1)@({cpus})",
                         "--vdev", f"net_pcap0,rx_pcap={os.path.join(PCAPS, 'wireguard-udp51820.pcap')},infinite_rx=1",
                         "--", "--registry", reg, "--flow-log", flows_path, "--stats-json", stats_path,
                         "--duration", "7"], stderr=subprocess.PIPE, text=True)
time.sleep(2.5)
with open(reg, "w") as f:
    f.write(full + "10.0.0.0/33,R-9,Broken,bank\n")
proc.send_signal(signal.SIGHUP)
time.sleep(1.5)
with open(reg, "w") as f:
    f.write(full)
proc.send_signal(signal.SIGHUP)
_, err = proc.communicate(timeout=60)
c.eq(proc.returncode, 0, f"exit status ({err[-400:]})")
nlines = len(full.splitlines()) + 1
c.check(f"{reg}:{nlines}:" in err and "reload failed, generation 1 still serving" in err,
        "bad reload: file:line reported, previous registry kept")
c.check("registry generation 2 serving" in err, "good reload: generation 2 serving")
with open(stats_path) as f:
    stats = json.load(f)
with open(flows_path) as f:
    flows = [json.loads(l) for l in f if l.strip()]
wg = [f for f in flows if f["app"] == "wireguard"]
c.check(wg, "the replayed WireGuard flow was classified")
if wg:
    c.eq(wg[-1]["verdict"], "allow", "after the reload the flow is allowed")
    c.eq(wg[-1]["registrant"], "R-0001", "after the reload the flow names the registrant")
c.check(stats["flows"]["reverdicts"] >= 1, f"flows judged again after the reload: {stats['flows']['reverdicts']}")
c.check(stats["flows"]["decided"]["block"] >= 1, "before the reload the flow was blocked")
c.check(reconciles(stats), "counters reconcile")
c.done()
