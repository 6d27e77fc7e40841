"""Enforcement inline between two ports, both directions: port 0 faces the
clients, port 1 the servers (two net_pcap ports). Allowed and passed traffic
crosses to the other port, blocked flows' packets are dropped from the
packet that decided them on. The output of each port must be exactly the
expected packets, in order."""
import json
import os
import subprocess
import tempfile

from tundra_e2e import PCAPS, TUNDRA, Checks, five_tuple, packet_flow_id, flow_id, read_pcap, write_pcap, reconciles

c = Checks("e2e_inline")
tmp = tempfile.mkdtemp(prefix="tundra-inline-")
registry = os.path.join(PCAPS, "registry.csv")
_, pkts, _ = read_pcap(os.path.join(PCAPS, "demo.pcap"))
CLIENTS = {bytes([198, 18, 0, 2]), bytes([198, 19, 0, 2]), bytes.fromhex("fd00007d000000000000000000000002")}

# The worker polls port 0 then port 1, a burst of up to 32 from each. A replay has no
# causality (a client would wait for the server's answer), so each port's input is cut
# into bursts of exactly 32 whose interleaving is the capture's own order: runs of one
# side padded with non-IP filler frames (LLDP) that simply cross to the other port.
def filler(n):
    return b"\x01\x80\xc2\x00\x00\x0e" + b"\x02" * 6 + b"\x88\xcc" + n.to_bytes(4, "big") + b"\0" * 42


def side(d):
    return 0 if five_tuple(d)[2][0] in CLIENTS else 1


runs = []
for _, _, d, _ in pkts:
    if runs and runs[-1][0] == side(d) and len(runs[-1][1]) < 32:
        runs[-1][1].append(d)
    else:
        runs.append((side(d), [d]))
port_in, order, nfill = ([], []), [], 0
expect_port = 0
for s_, chunk in runs:
    while expect_port != s_:  # the other port's burst slot: all filler
        burst = [filler(nfill + k) for k in range(32)]
        nfill += 32
        port_in[expect_port].extend(burst)
        order += [(expect_port, d) for d in burst]
        expect_port ^= 1
    burst = chunk + [filler(nfill + k) for k in range(32 - len(chunk))]
    nfill += 32 - len(chunk)
    port_in[s_].extend(burst)
    order += [(s_, d) for d in burst]
    expect_port ^= 1
c.check(sum(1 for p_, d in order if d[12:14] != b"\x88\xcc") == len(pkts), "every capture packet placed once")
cin, sin = os.path.join(tmp, "clients.pcap"), os.path.join(tmp, "servers.pcap")
write_pcap(cin, 1, [(1, i, d, len(d)) for i, d in enumerate(port_in[0])])
write_pcap(sin, 1, [(1, i, d, len(d)) for i, d in enumerate(port_in[1])])
out0, out1 = os.path.join(tmp, "out0.pcap"), os.path.join(tmp, "out1.pcap")
flows_path, stats_path = os.path.join(tmp, "flows.jsonl"), os.path.join(tmp, "stats.json")
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
p = subprocess.run([TUNDRA, "run", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
                    "--log-level=*:error", "--lcores", f"(0-1)@({cpus})",
                    "--vdev", f"net_pcap0,rx_pcap={cin},tx_pcap={out0}",
                    "--vdev", f"net_pcap1,rx_pcap={sin},tx_pcap={out1}", "--",
                    "--port", "0", "--pair", "1", "--mode", "enforce", "--registry", registry,
                    "--idle-exit", "2", "--flow-log", flows_path, "--stats-json", stats_path],
                   capture_output=True, text=True, timeout=120)
c.eq(p.returncode, 0, f"exit status ({p.stderr[-400:]})")
with open(flows_path) as f:
    flows = {flow_id(json.loads(l)): json.loads(l) for l in f if l.strip()}
with open(stats_path) as f:
    st = json.load(f)
c.check(reconciles(st), "counters reconcile")
c.check(any(f["verdict"] == "block" for f in flows.values()), "a flow is blocked")
c.check(any(f["verdict"] == "allow" for f in flows.values()), "a flow is allowed")

seen, want0, want1 = {}, [], []
for port, d in order:
    if d[12:14] == b"\x88\xcc":
        (want1 if port == 0 else want0).append(d)
        continue
    fid = packet_flow_id(five_tuple(d))
    seen[fid] = seen.get(fid, 0) + 1
    f = flows.get(fid)
    if f and f["verdict"] == "block" and seen[fid] >= f["decided_at_pkt"]:
        continue
    (want1 if port == 0 else want0).append(d)
_, got0, _ = read_pcap(out0)
_, got1, _ = read_pcap(out1)
c.check([d for _, _, d, _ in got1] == want1, f"port 1 (towards servers) holds exactly the expected {len(want1)} packets")
c.check([d for _, _, d, _ in got0] == want0, f"port 0 (towards clients) holds exactly the expected {len(want0)} packets")
dropped = len(order) - len(want0) - len(want1)
c.check(dropped > 0, "packets of the blocked flow were dropped in both directions" if dropped else "nothing dropped")
c.eq(st["disposition"]["dropped"], dropped, "dropped counter")
c.eq(st["disposition"]["tx"], len(want0) + len(want1), "tx counter")
blocked_dirs = set()
for port, d in order:
    if d[12:14] == b"\x88\xcc":
        continue
    f = flows.get(packet_flow_id(five_tuple(d)))
    if f and f["verdict"] == "block":
        blocked_dirs.add(port)
c.eq(blocked_dirs, {0, 1}, "the blocked flow had packets on both ports")
c.done()
