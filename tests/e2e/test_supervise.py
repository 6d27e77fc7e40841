"""The supervisor contract of tundra run (docs/deploy.md, "When tundra fails"): sd_notify
over $NOTIFY_SOCKET, READY=1 once forwarding, WATCHDOG=1 only while every worker's
heartbeat is fresh; and a dead worker (--test-fault worker-panic): alarm naming it,
watchdog pings stopped for good, its queue forwarded uninspected by the control lcore
(outcome bypassed), on a port's own queue and behind the software distributor, with
counters that reconcile."""
import json
import os
import socket
import statistics
import struct
import subprocess
import tempfile
import time

from tundra_e2e import PCAPS, SRC, TUNDRA, Checks, reconciles, write_pcap

c = Checks("e2e_supervise", verbose=True)
tmp = tempfile.mkdtemp(prefix="tundra-supervise-")
EAL = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"]
CPUS = ",".join(map(str, sorted(os.sched_getaffinity(0))))
WG = os.path.join(PCAPS, "wireguard-udp51820.pcap")
WATCHDOG_USEC = 400000  # pings every 200 ms


def supervised(name, args, lcores="0-1"):
    """Runs tundra with a notify socket this test listens on; returns (messages, stderr, rc, stats)."""
    path = os.path.join(tmp, f"{name}.notify")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind(path)
    srv.settimeout(0.02)
    stats_path = os.path.join(tmp, f"{name}.json")
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(WATCHDOG_USEC))
    t0 = time.monotonic()
    p = subprocess.Popen([TUNDRA, "run", *EAL, "--lcores", f"({lcores})@({CPUS})", *args,
                          "--flow-log", "/dev/null", "--stats-json", stats_path, "--stats-interval", "0"],
                         env=env, stderr=subprocess.PIPE, text=True)
    msgs = []
    while p.poll() is None or msgs[-1:] != [None]:
        try:
            msgs.append((time.monotonic() - t0, srv.recv(4096).decode()))
        except socket.timeout:
            if p.poll() is not None:
                msgs.append(None)
    msgs.pop()
    err = p.stderr.read()
    srv.close()
    stats = None
    if os.path.getsize(stats_path) > 0:
        with open(stats_path) as f:
            stats = json.load(f)
    return msgs, err, p.returncode, stats


def times(msgs, what):
    return [t for t, m in msgs if what in m.split("\n")]


# 0. The unit file holds up its side: notify type, a watchdog, restarts, and options tundra has.
unit = {}
with open(os.path.join(SRC, "deploy", "tundra.service")) as f:
    text = f.read().replace("\\\n", " ")
for line in text.splitlines():
    if "=" in line and not line.startswith("#"):
        k, v = line.split("=", 1)
        unit[k.strip()] = v.strip()
c.eq(unit.get("Type"), "notify", "unit: Type=notify")
c.eq(unit.get("Restart"), "always", "unit: Restart=always")
c.check(unit.get("WatchdogSec", "0") not in ("0", ""), "unit: WatchdogSec set")
helptext = subprocess.run([TUNDRA, "--help"], capture_output=True, text=True).stdout
opts = [w for w in unit.get("ExecStart", "").split(" -- ", 1)[-1].split() if w.startswith("--")]
c.check(opts and all(o in helptext for o in opts), f"unit: ExecStart's options are tundra's {opts}")

# 1. READY, periodic pings, and a stalled worker stops them until it beats again.
msgs, err, rc, st = supervised("stall", ["--vdev", f"net_pcap0,rx_pcap={WG},infinite_rx=1", "--vdev", "net_null0",
                                          "--", "--port", "0", "--tx-port", "1", "--duration", "4", "--stuck-ms", "300",
                                          "--test-stall-worker", "0:1500"])
c.eq(rc, 0, f"stall: exit status ({err[-300:]})")
ready = times(msgs, "READY=1")
c.eq(len(ready), 1, "READY=1 sent once")
if ready:
    print(f"start-up to READY=1: {ready[0]:.3f} s (process start to forwarding, as the supervisor sees it)")
c.check(any("MAINPID=" in m for _, m in msgs), "READY names MAINPID")
pings = times(msgs, "WATCHDOG=1")
gaps = [b - a for a, b in zip(pings, pings[1:])]
c.check(len(pings) >= 8, f"WATCHDOG=1 sent periodically ({len(pings)} in 4 s)")
c.check(ready and pings and pings[0] >= ready[0], "no ping before READY")
c.check(gaps and max(gaps) >= 0.9, f"pings stop while worker 0 is stalled (longest gap {max(gaps or [0]):.2f} s)")
regular = [g for g in gaps if g < 0.9]
c.check(regular and 0.15 <= statistics.median(regular) <= 0.35,
        f"pings every WATCHDOG_USEC/2 otherwise (median {statistics.median(regular or [0]):.3f} s)")
big = gaps.index(max(gaps)) if gaps else 0
c.check(len(pings) - big - 1 >= 5, "pings resume once the worker beats again")
c.check(any("STATUS=worker 0 (lcore 1) has no heartbeat" in m for _, m in msgs), "STATUS names the stalled worker")
c.check("ALARM: worker 0 (lcore 1) has not polled" in err and "watchdog pings withheld" in err,
        "alarm on stderr names the worker and says pings are withheld")
c.check("watchdog pings resumed" in err, "resumption reported")
c.check(any(m == "STOPPING=1" for _, m in msgs), "STOPPING=1 at the end")
c.check(st and st["control"]["watchdog_pings"] == len(pings), "watchdog_pings counter = pings received")
c.check(st and reconciles(st), "stall: counters reconcile")

# 2. A dead worker on a port's own queue: the control lcore takes the queue over.
msgs, err, rc, st = supervised("panic", ["--vdev", f"net_pcap0,rx_pcap={WG},infinite_rx=1", "--vdev", "net_null0",
                                          "--", "--port", "0", "--tx-port", "1", "--duration", "3", "--stuck-ms", "300",
                                          "--test-fault", "worker-panic:0:1000"])
c.eq(rc, 1, "panic: exit status 1 (a worker died)")
c.check("ALARM: worker 0 (lcore 1) is dead" in err and "bypassed" in err, f"panic: alarm names the dead worker {err[-600:]!r}")
dead = [t for t, m in msgs if "STATUS=worker 0 (lcore 1) is dead" in m]
pings = times(msgs, "WATCHDOG=1")
c.eq(len(dead), 1, "panic: STATUS says worker 0 is dead")
c.check(len(pings) >= 3, f"panic: pings while the worker lived ({len(pings)})")
c.check(dead and all(t < dead[0] for t in pings), "panic: no ping once the worker is dead")
c.check(dead and dead[0] - ready[0] < 2.0 if ready and dead else False, "panic: death detected within a second of it")
if st:
    c.check(reconciles(st), f"panic: counters reconcile (received = outcomes = dispositions) {st['outcome']}")
    c.check(st["outcome"]["bypassed"] > 0, f"panic: packets forwarded uninspected after the death ({st['outcome']['bypassed']})")
    c.eq(st["disposition"]["tx"] + st["disposition"]["tx_failed"], st["rx_pkts"], "panic: every packet went to TX (monitor)")
    c.check(st["disposition"]["tx"] > st["workers"][0]["rx_pkts"], "panic: packets kept flowing out after the death")
    c.eq(st["workers"][0]["dead"], True, "panic: the worker is reported dead")
    c.eq(st["control"]["dead_workers"], 1, "panic: dead_workers gauge")
    c.check(st["workers"][0]["rx_pkts"] > 0, "panic: the worker inspected before it died")
else:
    c.check(False, "panic: stats written")

# 3. The same behind the software distributor: the dead worker's ring is drained by the control lcore.
# 64 host pairs, so that every worker has flows (the distributor hashes addresses).
def udp_frame(i):
    payload = bytes(32)
    udp = struct.pack(">HHHH", 40000 + i, 53, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, bytes([10, 1, 0, i]), bytes([10, 2, 0, i]))
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp


many = os.path.join(tmp, "many-hosts.pcap")
write_pcap(many, 1, [(1, i, f, len(f)) for i, f in enumerate(udp_frame(i) for i in range(64))])
msgs, err, rc, st = supervised("panic-dist", ["--vdev", f"net_pcap0,rx_pcap={many},infinite_rx=1",
                                               "--vdev", "net_null0", "--", "--port", "0", "--tx-port", "1", "--duration", "3",
                                               "--stuck-ms", "300", "--flows", "65536", "--test-fault", "worker-panic:1:800"],
                                lcores="0-5")
c.eq(rc, 1, "distributor panic: exit status 1")
c.check("behind a software distributor" in err and "ALARM: worker 1 (lcore 2) is dead" in err,
        f"distributor panic: alarm names worker 1 {err[-400:]!r}")
if st:
    c.check(reconciles(st), "distributor panic: counters reconcile")
    c.check(st["outcome"]["bypassed"] > 0, f"distributor panic: bypassed {st['outcome']['bypassed']}")
    c.eq([w["dead"] for w in st["workers"]], [False, True, False, False], "distributor panic: worker 1 alone dead")
    c.check(all(w["rx_pkts"] > 0 for w in st["workers"]), "distributor panic: every worker had traffic")
else:
    c.check(False, "distributor panic: stats written")

# 4. The fault is checked like any option.
for bad, want in ((["--test-fault", "worker-panic:3"], "there is no worker 3"),
                  (["--test-fault", "worker-exit:0"], "expected worker-panic:WORKER[:MS]"),
                  (["--test-fault", "worker-panic:0:"], "expected worker-panic:WORKER[:MS]")):
    p = subprocess.run([TUNDRA, "run", *EAL, "--lcores", f"(0-1)@({CPUS})", "--vdev", "net_null0", "--", *bad],
                       capture_output=True, text=True, timeout=60)
    c.check(p.returncode == 2 and want in p.stderr, f"{' '.join(bad)}: refused ({p.returncode}, {p.stderr[-200:]!r})")
c.done()
