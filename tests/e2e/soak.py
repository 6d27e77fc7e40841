"""The soak run (docs/reliability.md), shared by tests/e2e/test_soak.py (CI, under a minute)
and scripts/soak.sh (an hour): a churning traffic mix from tundra-gen replayed live without
end into a flow table smaller than the mix (new flows, flows idling out on short timeouts,
flows evicted), the registry reloaded over the control socket every second (two files in
turn, so verdicts change), and the engine's resident memory (VmRSS) and counters sampled
every second into a CSV. At the end: the RSS curve after warm-up (min, max, least-squares
slope), every reload's answer, and the final counters.

    python3 tests/e2e/soak.py DURATION_S [--csv FILE] [--warmup S]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tundra_e2e import EAL, PCAPS, TUNDRA, control, fit_mbufs, gen, lcores, reconciles, rss_kib  # noqa: E402

HDR = "prefix,port,protocol,registrant_id,registrant_name,sector\n"


def slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def soak(duration, csv_path=None, warmup=10, log=sys.stderr):
    tmp = tempfile.mkdtemp(prefix="tundra-soak-")
    mix = os.path.join(tmp, "mix.pcap")
    print(gen(mix, "--flows", "2500", "--pkts", "8", "--rate", "20000", "--concurrent", "1500", "--sizes", "imix",
              "--seed", "7"), file=log)
    n_frames = fit_mbufs(mix)
    with open(os.path.join(PCAPS, "registry.csv")) as f:
        base = f.read()
    # Two files in turn, A and A plus 40 more prefixes: every reload is a new generation.
    a_text = base
    b_text = base + "".join(f"198.51.{i}.0/24,,,R-S{i:03d},Soak {i},other\n" for i in range(100, 140))
    reg = os.path.join(tmp, "registry.csv")
    with open(reg, "w") as f:
        f.write(a_text)
    sock = os.path.join(tmp, "control.sock")
    stats_path = os.path.join(tmp, "stats.json")
    cmd = [TUNDRA, "run", *EAL, "--lcores", lcores(2),
           "--vdev", f"net_pcap0,rx_pcap={mix},infinite_rx=1", "--vdev", "net_null0", "--",
           "--port", "0", "--tx-port", "1", "--registry", reg, "--max-shrink", "100", "--control", sock,
           "--flows", "2048", "--udp-timeout", "2", "--tcp-timeout", "2", "--tcp-syn-timeout", "1",
           "--tcp-fin-timeout", "1", "--mbufs", str(n_frames + 8192), "--stats-interval", "0",
           # Slower than the port, so that one replay of the mix outlasts the (crowded) timeouts.
           "--test-packet-delay", "3000",
           "--events", os.path.join(tmp, "events.jsonl"), "--flow-log", os.path.join(tmp, "flows.jsonl"),
           "--stats-json", stats_path]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if os.path.exists(sock) or proc.poll() is not None:
            break
        time.sleep(0.05)
    rows, replies = [], []
    t0 = time.monotonic()
    k = 0
    csv = open(csv_path, "w") if csv_path else None
    if csv:
        csv.write("t_s,rss_kib,rx_pkts,flows_created,flows_expired,flows_evicted,flows_active,reloads\n")
    while proc.poll() is None:
        k += 1
        target = t0 + k
        while time.monotonic() < target:
            time.sleep(max(0.0, min(0.2, target - time.monotonic())))
        with open(reg, "w") as f:
            f.write(b_text if k % 2 else a_text)
        replies.append(control(sock, "reload"))
        s = json.loads(control(sock, "stats"))
        rss = rss_kib(proc.pid)
        fl = s["flows"]
        row = (round(time.monotonic() - t0, 2), rss, s["rx_pkts"], fl["created"], fl["expired"],
               sum(fl["evicted"].values()), fl["active"], s["control"]["reloads"])
        rows.append(row)
        if csv:
            csv.write(",".join(map(str, row)) + "\n")
            csv.flush()
        if k % 60 == 0:
            print(f"soak: {row[0]:.0f} s, RSS {rss} KiB, {s['rx_pkts']} packets, {fl['created']} flows", file=log,
                  flush=True)
        if time.monotonic() - t0 >= duration:
            break
    proc.terminate()
    _, err = proc.communicate(timeout=120)
    if not os.path.exists(stats_path):
        raise RuntimeError(f"tundra run exited {proc.returncode} without its stats: {err[-1500:]}")
    if csv:
        csv.close()
    with open(stats_path) as f:
        st = json.load(f)
    after = [(t, r) for t, r, *_ in rows if t >= warmup and r is not None]
    rss_vals = [r for _, r in after]
    res = {
        "exit": proc.returncode, "stderr_tail": err[-600:], "stats": st, "replies": replies, "rows": rows,
        "seconds": rows[-1][0] if rows else 0, "frames_in_mix": n_frames,
        "rss_min_kib": min(rss_vals) if rss_vals else None, "rss_max_kib": max(rss_vals) if rss_vals else None,
        "rss_first_kib": rss_vals[0] if rss_vals else None, "rss_last_kib": rss_vals[-1] if rss_vals else None,
        # KiB/s to MiB per hour
        "slope_mib_per_h": slope(after) * 3600 / 1024,
        "reconciles": reconciles(st),
    }
    return res


def summary(r):
    st, fl = r["stats"], r["stats"]["flows"]
    ok = sum(1 for x in r["replies"] if x.startswith("ok:"))
    return (f"soak: {r['seconds']:.0f} s, {st['rx_pkts']} packets, flows created {fl['created']} expired "
            f"{fl['expired']} evicted {fl['evicted']}; reloads {ok}/{len(r['replies'])} ok "
            f"(engine counted {st['control']['reloads']}, failed {st['control']['reload_failures']}); "
            f"RSS after warm-up min {r['rss_min_kib']} KiB max {r['rss_max_kib']} KiB "
            f"(first {r['rss_first_kib']}, last {r['rss_last_kib']}), slope {r['slope_mib_per_h']:.2f} MiB/h; "
            f"counters reconcile: {'yes' if r['reconciles'] else 'NO'}; mbufs in use "
            f"{st['control']['mbufs_in_use']} (start {st['control']['mbufs_in_use_start']}); "
            f"records lost {st['records_lost']}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("duration", type=float)
    ap.add_argument("--csv")
    ap.add_argument("--warmup", type=float, default=60)
    a = ap.parse_args()
    r = soak(a.duration, a.csv, a.warmup)
    print(summary(r))
    bad = (r["exit"] != 0 or not r["reconciles"] or any(not x.startswith("ok:") for x in r["replies"])
           or r["stats"]["control"]["reload_failures"] != 0)
    sys.exit(1 if bad else 0)
