"""DPDK telemetry and the Prometheus endpoint during a live run:
/tundra/stats, /tundra/workers, /tundra/registry, /tundra/flows and
/tundra/ports answer over the telemetry socket (the protocol
dpdk-telemetry.py speaks), and curl scrapes /metrics, with counters that
move and reconcile."""
import json
import os
import socket
import subprocess
import time
import re

from tundra_e2e import PCAPS, TUNDRA, Checks

c = Checks("e2e_telemetry")
if os.geteuid() != 0:
    print("needs root for /var/run/dpdk; skipped")
    raise SystemExit(77)
prefix = f"tundra-tel-{os.getpid()}"
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
mport = sock.getsockname()[1]
sock.close()
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
proc = subprocess.Popen([TUNDRA, "run", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--file-prefix", prefix,
                         "--log-level=*:error", "--lcores", f"(0-1)@({cpus})",
                         "--vdev", f"net_pcap0,rx_pcap={os.path.join(PCAPS, 'wireguard-udp51820.pcap')},infinite_rx=1",
                         "--vdev", "net_null0", "--", "--port", "0", "--tx-port", "1",
                         "--registry", os.path.join(PCAPS, "registry.csv"), "--duration", "5", "--flow-log", "/dev/null",
                         "--metrics", f"127.0.0.1:{mport}"],
                        stderr=subprocess.PIPE, text=True)
path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
for _ in range(100):
    if os.path.exists(path):
        break
    time.sleep(0.05)
time.sleep(1.0)


def query(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    json.loads(s.recv(16384))  # greeting: version, pid, max_output_len
    s.send(cmd.encode())
    reply = json.loads(s.recv(1 << 20))
    s.close()
    return reply[cmd.split(",")[0]]


try:
    # tundra registers its commands once its ports are up, which a sanitized build on a busy
    # machine reaches well after the EAL opened the socket: wait for them, not a fixed time.
    for _ in range(100):
        cmds = query("/")
        if "/tundra/stats" in cmds:
            break
        time.sleep(0.1)
    for name in ("/tundra/stats", "/tundra/workers", "/tundra/registry", "/tundra/flows"):
        c.check(name in cmds, f"{name} listed")
    s1 = query("/tundra/stats")
    time.sleep(0.5)
    s2 = query("/tundra/stats")
    c.check(s2["rx_pkts"] > s1["rx_pkts"] > 0, f"rx_pkts moves: {s1['rx_pkts']} -> {s2['rx_pkts']}")
    c.check(s2["outcome_allow"] > 0, "the registered WireGuard flow's packets are allowed")
    c.eq([s2.get(k) for k in ("reasm_done", "reasm_gave_up", "reasm_no_buffer")], [0, 0, 0],
         "ClientHello reassembly counters (no TLS here)")
    w = query("/tundra/workers")
    c.eq(sorted(w), ["worker0"], "one worker (net_pcap has one queue)")
    c.check(w["worker0"]["rx_pkts"] > 0 and w["worker0"]["cycles_busy"] > 0, "worker counters")
    reg = query("/tundra/registry")
    c.eq(reg["registry_generation"], 1, "registry generation")
    c.eq(reg["registry_entries"], 5, "registry entries")
    c.eq(reg["mode"], "monitor", "mode")
    fl = query("/tundra/flows")
    c.check(fl["active"] >= 1 and fl["decided_allow"] >= 1, f"flows: {fl}")
    help_ = query("/help,/tundra/stats")
    c.check("counters" in json.dumps(help_), "help text")
    ports = query("/tundra/ports")
    c.check(ports.get("port0", {}).get("rx_packets", 0) > 0, f"port counters: {ports}")

    def scrape():
        p = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{mport}/metrics"], capture_output=True, text=True)
        c.eq(p.returncode, 0, "curl /metrics")
        vals = {}
        for line in p.stdout.splitlines():
            m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) (\d+)$", line)
            if m:
                vals[m.group(1)] = int(m.group(2))
        return p.stdout, vals
    text, m1 = scrape()
    c.check("# TYPE tundra_packets_total counter" in text, "exposition format with TYPE lines")
    rx = m1.get("tundra_received_packets_total", 0)
    outs = sum(v for k, v in m1.items() if k.startswith("tundra_packets_total{"))
    c.check(rx > 0, "metrics: packets received")
    c.check(abs(outs - rx) <= rx // 10 + 64, f"metrics: outcomes track received ({outs} vs {rx}, read live)")
    c.eq(m1.get("tundra_registry_generation"), 1, "metrics: registry generation")
    c.eq(m1.get('tundra_worker_stuck{worker="0"}'), 0, "metrics: worker not stuck")
    c.check(m1.get('tundra_port_packets_total{port="0",counter="rx"}', 0) > 0, "metrics: port rx")
    c.eq([m1.get(f'tundra_clienthello_reassembly_total{{result="{r}"}}') for r in ("done", "gave_up", "no_buffer")],
         [0, 0, 0], "metrics: ClientHello reassembly counters")
    time.sleep(0.3)
    _, m2 = scrape()
    c.check(m2.get("tundra_received_packets_total", 0) > rx, "metrics: counters move")
    p404 = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{mport}/other"],
                          capture_output=True, text=True)
    c.eq(p404.stdout, "404", "other paths: 404")
finally:
    _, err = proc.communicate(timeout=60)
c.eq(proc.returncode, 0, f"exit status ({err[-300:]})")
c.check("counters reconcile: yes" in err, "final counters reconcile")
# Heartbeat: a worker made to stop polling for 1.5 s raises the stuck alarm, then recovers.
stall_stats = os.path.join("/tmp", f"tundra-stall-{os.getpid()}.json")
p = subprocess.run([TUNDRA, "run", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
                    "--log-level=*:error", "--lcores", f"(0-1)@({cpus})",
                    "--vdev", f"net_pcap0,rx_pcap={os.path.join(PCAPS, 'wireguard-udp51820.pcap')},infinite_rx=1",
                    "--vdev", "net_null0", "--", "--port", "0", "--tx-port", "1", "--duration", "4",
                    "--stuck-ms", "300", "--test-stall-worker", "0:1500", "--flow-log", "/dev/null",
                    "--stats-json", stall_stats], capture_output=True, text=True, timeout=60)
c.eq(p.returncode, 0, f"stall run: exit status ({p.stderr[-300:]})")
c.check("ALARM: worker 0" in p.stderr and "has not polled" in p.stderr, "stalled worker reported")
with open(stall_stats) as f:
    c.eq(json.load(f)["control"]["stuck_workers"], 1, "one stuck episode counted")
os.unlink(stall_stats)
c.done()
