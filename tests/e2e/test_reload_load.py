"""Registry reload under load: traffic replayed from memory through a live
engine in enforce mode while the registry is reloaded 100 times over the
control socket, alternating a file that registers the WireGuard server and
one that does not. No packet may be lost or unaccounted, and every verdict
event must match the registry generation it names. The shrink guard refuses
a file that drops most entries until forced."""
import json
import os
import socket
import subprocess
import tempfile
import time

from tundra_e2e import PCAPS, TUNDRA, Checks, reconciles

c = Checks("e2e_reload_load")
tmp = tempfile.mkdtemp(prefix="tundra-reloadload-")
HDR = "prefix,port,protocol,registrant_id,registrant_name,sector\n"
filler = "".join(f"203.0.{i}.0/24,,,R-F{i:03d},Filler {i},other\n" for i in range(40))
bank = "198.18.0.0/24,,,R-0001,Example Bank,bank\n"
reg = os.path.join(tmp, "registry.csv")
a_text, b_text = HDR + bank + filler, HDR + filler          # A registers the server, B does not
with open(reg, "w") as f:
    f.write(a_text)
sock = os.path.join(tmp, "control.sock")
events = os.path.join(tmp, "events.jsonl")
stats_path = os.path.join(tmp, "stats.json")
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
wg = os.path.join(PCAPS, "wireguard-udp51820.pcap")
proc = subprocess.Popen([TUNDRA, "run", "--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry",
                         "--log-level=*:error", "--lcores", f"(0-1)@({cpus})",
                         "--vdev", f"net_pcap0,rx_pcap={wg},infinite_rx=1", "--vdev", "net_null0", "--",
                         "--port", "0", "--tx-port", "1", "--mode", "enforce", "--registry", reg,
                         "--control", sock, "--events", events, "--flow-log", os.path.join(tmp, "flows.jsonl"),
                         "--stats-json", stats_path], stderr=subprocess.PIPE, text=True)


def command(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    s.close()
    return reply.decode().strip()


for _ in range(100):
    if os.path.exists(sock):
        break
    time.sleep(0.05)
time.sleep(1.0)

# Shrink guard: a file that keeps 1 of 41 entries is refused, then forced in, then A again.
with open(reg, "w") as f:
    f.write(HDR + "192.0.2.1,,,R-X,X,other\n")
r = command("reload")
c.check(r.startswith("error: reload refused") and "--max-shrink" in r, f"shrink guard refuses: {r}")
r = command("reload force")
c.check(r.startswith("ok: registry generation 2"), f"reload force accepted: {r}")
with open(reg, "w") as f:
    f.write(a_text)
r = command("reload force")
c.check(r.startswith("ok: registry generation 3"), f"back to A: {r}")
time.sleep(0.2)

# 100 reloads alternating B and A; generation g serves A when g is odd, B when even.
times = []
for k in range(100):
    with open(reg, "w") as f:
        f.write(b_text if k % 2 == 0 else a_text)
    t0 = time.monotonic()
    r = command("reload")
    times.append(time.monotonic() - t0)
    c.check(r.startswith(f"ok: registry generation {4 + k} "), f"reload {k}: {r}")
    time.sleep(0.02)
final_gen = 103
stats_reply = json.loads(command("stats"))
c.eq(stats_reply["control"]["registry_generation"], final_gen, "stats command: generation")
proc.send_signal(15)
_, err = proc.communicate(timeout=60)
c.eq(proc.returncode, 0, f"exit status ({err[-300:]})")

with open(stats_path) as f:
    st = json.load(f)
c.check(reconciles(st), "counters reconcile")
c.eq(st["disposition"]["tx_failed"], 0, "no packet lost on TX")
c.eq(st["rx_pkts"], st["disposition"]["tx"] + st["disposition"]["dropped"], "received = forwarded + dropped")
c.check(st["rx_pkts"] > 100000, f"traffic flowed during the reloads: {st['rx_pkts']} packets")
c.check(st["disposition"]["dropped"] > 0 and st["disposition"]["tx"] > 0, "both verdicts applied to packets")
c.eq(st["control"]["reloads"], 102, "reloads counted")
c.eq(st["control"]["reload_refusals"], 1, "refusal counted")
c.eq(st["records_lost"], 0, "no flow record or event lost")

with open(events) as f:
    ev = [json.loads(line) for line in f if line.strip()]
wg_ev = [e for e in ev if e["app"] == "wireguard"]
bad = [e for e in wg_ev if e["generation"] >= 3 and (e["verdict"] == "allow") != (e["generation"] % 2 == 1)]
c.eq(bad, [], "every verdict event matches its generation's file")
c.check(all(e["dropped"] == (e["verdict"] == "block") for e in wg_ev), "enforce: blocked means dropped")
gens = {e["generation"] for e in wg_ev}
c.check(len(gens) >= 95, f"the flow was judged again under almost every generation: {len(gens)} of 103")
times.sort()
print(f"reload round trip over the control socket: median {times[50]*1000:.1f} ms, max {times[-1]*1000:.1f} ms; "
      f"{st['rx_pkts']} packets, {len(wg_ev)} verdict events", flush=True)
c.done()
