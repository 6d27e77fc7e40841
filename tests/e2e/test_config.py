"""Configuration file: YAML keys are the long options, eal: the EAL
arguments; flags on the command line win; a bad file says file:line."""
import json
import os
import subprocess
import tempfile

from tundra_e2e import PCAPS, TUNDRA, Checks, classify, reconciles

c = Checks("e2e_config")
tmp = tempfile.mkdtemp(prefix="tundra-config-")
demo = os.path.join(PCAPS, "demo.pcap")
registry = os.path.join(PCAPS, "registry.csv")


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


cfg = write("classify.yaml", f"""# offline settings
registry: {registry}
mode: enforce
policy:
  - app=wireguard:monitor
workers: 2
""")
flows, stats, p = classify(demo, "--config", cfg)
blocked = [f for f in flows if f["verdict"] == "block"]
c.check(blocked and all(f["dropped"] for f in blocked if f["app"] == "openvpn"), "config: registry and enforce applied")
c.eq(len(stats["workers"]), 2, "config: workers applied")
c.check(any(f["registrant"] == "R-0001" for f in flows), "config: registry file used")
flows, stats, p = classify(demo, "--config", cfg, "--mode", "monitor")
c.eq(stats["disposition"]["dropped"], 0, "command line wins over the file (--mode monitor)")

bad = write("bad.yaml", "registry: x\nwindow-pkts: 4\nnot-an-option: 1\n")
p = subprocess.run([TUNDRA, "classify", demo, "--config", bad], capture_output=True, text=True)
c.check(p.returncode == 2 and f"{bad}:3:" in p.stderr and "not-an-option" in p.stderr, f"unknown key: {p.stderr!r}")
bad2 = write("bad2.yaml", "registry: [unclosed\n")
p = subprocess.run([TUNDRA, "classify", demo, "--config", bad2], capture_output=True, text=True)
c.check(p.returncode == 2 and bad2 in p.stderr, f"YAML syntax error: {p.stderr!r}")

# A flag takes true or false; any other value is refused with file:line (once it became a
# stray argument). An option with an argument takes "yes" as its value, never as a bare flag
# that would swallow the next option (found by fuzz_config).
bad3 = write("bad3.yaml", "json: somefile\n")
p = subprocess.run([TUNDRA, "classify", demo, "--config", bad3], capture_output=True, text=True)
c.check(p.returncode == 2 and f"{bad3}:1: json is a flag" in p.stderr, f"flag with a value: {p.stderr!r}")
yes = write("yes.yaml", f"registry: yes\nmode: enforce\n")
p = subprocess.run([TUNDRA, "classify", demo, "--config", yes], capture_output=True, text=True)
c.check(p.returncode == 2 and "yes" in p.stderr and "--mode" not in p.stderr,
        f"registry: yes is the file 'yes', not a bare --registry: {p.stderr[-200:]!r}")

# run: EAL arguments from the file too.
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
stats_path = os.path.join(tmp, "stats.json")
run_cfg = write("run.yaml", f"""eal: [--no-huge, -m, "512", --no-pci, --no-shconf, --no-telemetry, "--log-level=*:error",
      --lcores, "(0-1)@({cpus})", --vdev, "net_pcap0,rx_pcap={demo}"]
port: 0
registry: {registry}
idle-exit: 1
flow-log: /dev/null
stats-json: {stats_path}
""")
p = subprocess.run([TUNDRA, "run", "--config", run_cfg], capture_output=True, text=True, timeout=60)
c.eq(p.returncode, 0, f"run from a config file ({p.stderr[-300:]})")
with open(stats_path) as f:
    st = json.load(f)
c.check(st["rx_pkts"] > 0 and reconciles(st), "run from a config file: traffic classified, counters reconcile")
c.done()
