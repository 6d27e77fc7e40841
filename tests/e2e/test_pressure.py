"""Buffer pressure and overload, live (docs/reliability.md):

1. TX full: the TX port is a net_ring nobody drains. Once its ring is full every further
   frame is refused, freed and counted tx_failed; RX goes on undisturbed; at the end the
   only buffers still out of the pool are the frames the ring holds.
2. Pool exhausted: a pool of 512 buffers, and the only worker stalls for 300 ms behind
   the software distributor, whose ring to it holds every buffer. The port cannot allocate:
   each frame it could not receive is counted rx_nombuf (received + rx_nombuf = the
   capture, exactly). When the worker moves again the buffers come back and frames flow
   again, and at the end every buffer is back in the pool.
3. Overload: the worker spends 5 us more on each packet (--test-packet-delay) while the
   distributor replays a capture without end. The worker fails open: what it cannot take
   passes uninspected (outcome shed), nothing is dropped in monitor mode, every frame is
   forwarded, and no buffer leaks.
"""
import json
import os
import subprocess
import tempfile

from tundra_e2e import EAL, PCAPS, TUNDRA, Checks, gen, lcores, read_pcap, reconciles

c = Checks("e2e_pressure", verbose=True)
tmp = tempfile.mkdtemp(prefix="tundra-pressure-")
plain = os.path.join(tmp, "plain.pcap")
gen(plain, "--flows", "2000", "--pkts", "10", "--mix", "plain", "--sizes", "64", "--rate", "100000",
    "--concurrent", "1000")
N = len(read_pcap(plain)[1])


def run(name, n_lcores, vdevs, args, timeout=120):
    stats_path = os.path.join(tmp, f"stats-{name}.json")
    cmd = [TUNDRA, "run", *EAL, "--lcores", lcores(n_lcores)]
    for v in vdevs:
        cmd += ["--vdev", v]
    cmd += ["--", *args, "--flow-log", os.path.join(tmp, f"flows-{name}.jsonl"), "--stats-json", stats_path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    c.eq(p.returncode, 0, f"{name}: exit status ({p.stderr[-400:]})")
    with open(stats_path) as f:
        return json.load(f)


# 1. TX full.
st = run("txfull", 2, [f"net_pcap0,rx_pcap={plain}", "net_ring0"], ["--port", "0", "--tx-port", "1", "--idle-exit", "1"])
ctl, ring = st["control"], st["ports"][1]
c.check(reconciles(st), "tx full: counters reconcile")
c.eq(st["rx_pkts"], N, "tx full: every frame received (RX undisturbed by the full TX ring)")
c.eq(st["disposition"]["tx"], ring["tx"], "tx full: frames sent = what the ring port took")
c.check(0 < st["disposition"]["tx"] < N, f"tx full: the ring filled ({st['disposition']['tx']} frames)")
c.eq(st["disposition"]["tx_failed"], N - st["disposition"]["tx"], "tx full: every refused frame counted tx_failed")
c.eq(ctl["port_rx_nombuf"], 0, "tx full: the pool never ran dry")
c.eq(ctl["mbufs_in_use"] - ctl["mbufs_in_use_start"], ring["tx"] - ring["rx"],
     "tx full: buffers still out of the pool = frames the undrained ring holds (no leak)")
print(f"tx full: {N} frames, {st['disposition']['tx']} sent, {st['disposition']['tx_failed']} tx_failed", flush=True)

# 2. Pool exhausted while the worker stalls, then recovery.
st = run("nombuf", 3, [f"net_pcap0,rx_pcap={plain}", "net_null0"],
         ["--port", "0", "--tx-port", "1", "--distributor", "--mbufs", "512", "--test-stall-worker", "0:300",
          "--idle-exit", "1"])
ctl = st["control"]
c.check(reconciles(st), "pool exhausted: counters reconcile")
c.eq(ctl["mbufs"], 512, "pool exhausted: the pool has 512 buffers")
c.check(ctl["port_rx_nombuf"] > 0, f"pool exhausted: frames the port could not receive counted ({ctl['port_rx_nombuf']})")
c.eq(st["rx_pkts"] + ctl["port_rx_nombuf"], N, "pool exhausted: received + rx_nombuf = the capture, exactly")
c.eq(st["ports"][0]["rx"], st["rx_pkts"], "pool exhausted: the port's count = the pipeline's")
c.check(st["rx_pkts"] > ctl["mbufs"],
        f"pool exhausted: frames flowed again after the stall ({st['rx_pkts']} received with 512 buffers)")
c.eq(st["disposition"]["tx"], st["rx_pkts"], "pool exhausted: every received frame forwarded")
c.eq(ctl["mbufs_in_use"], ctl["mbufs_in_use_start"], "pool exhausted: every buffer back in the pool at the end")
print(f"pool exhausted: {N} frames, {st['rx_pkts']} received, {ctl['port_rx_nombuf']} rx_nombuf", flush=True)

# 3. Overload: a slowed worker behind the distributor fails open.
noise = os.path.join(PCAPS, "udp-random.pcap")
st = run("overload", 3, [f"net_pcap0,rx_pcap={noise},infinite_rx=1", "net_null0"],
         ["--port", "0", "--tx-port", "1", "--distributor", "--test-packet-delay", "5000", "--shed-after", "4",
          "--registry", os.path.join(PCAPS, "registry.csv"), "--duration", "2"])
ctl, out, disp = st["control"], st["outcome"], st["disposition"]
c.check(reconciles(st), "overload: counters reconcile")
c.check(out["shed"] > 0, f"overload: packets passed uninspected ({out['shed']} shed)")
c.check(st["distributor"]["passed_uninspected"] > 0, "overload: the distributor passed what the worker's ring could not take")
c.check(st["workers"][0]["rx_pkts"] < st["rx_pkts"] // 2, "overload: the worker saw only part of the traffic")
c.eq(disp["dropped"], 0, "overload: monitor mode drops nothing")
c.eq(disp["tx"], st["rx_pkts"], "overload: every frame forwarded")
c.eq(ctl["mbufs_in_use"], ctl["mbufs_in_use_start"], "overload: no buffer leaked")
print(f"overload: {st['rx_pkts']} frames in 2 s, {out['shed']} shed, worker inspected {st['workers'][0]['rx_pkts']}",
      flush=True)
c.done()
