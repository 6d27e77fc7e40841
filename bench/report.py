#!/usr/bin/env python3
"""Assembles bench/run's raw outputs (WORK) into OUT/results.json, OUT/report.md
and gnuplot PNGs. Every figure is null when its step did not run or failed."""
import json
import os
import re
import shutil
import subprocess
import sys

W, OUT = sys.argv[1], sys.argv[2]


def rd(name):
    p = os.path.join(W, name)
    return open(p, errors="replace").read() if os.path.exists(p) else ""


def rjson(name):
    try:
        return json.loads(rd(name))
    except ValueError:
        return None


def kv(name):
    d = {}
    for line in rd(name).splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            d[k] = v
    return d


def tundra_run(prefix):
    """Parses a tundra classify/run stderr + stats JSON + timing."""
    txt = rd(prefix + ".txt")
    m = re.search(r"tundra: (\d+) packets, (\d+) flows in ([\d.]+) s \((\d+) packets/s\)", txt)
    c = re.search(r"workers: (\d+) cycles/packet busy", txt)
    if not m:
        return None
    r = {"packets": int(m[1]), "flows": int(m[2]), "seconds": float(m[3]), "pps": int(m[4]),
         "mpps": round(int(m[4]) / 1e6, 3), "cycles_per_packet": int(c[1]) if c else None,
         "reconciles": "counters reconcile: yes" in txt}
    t = rd(prefix + ".time").split()
    if t:
        r["wall_s"], r["max_rss_kib"] = float(t[0]), int(t[1])
    st = rjson(prefix + ".json")
    if st:
        fl = st.get("flows", {})
        r["flows_created"] = fl.get("created")
        ev = fl.get("evicted")
        r["evicted"] = sum(ev.values()) if isinstance(ev, dict) else ev
        r["outcome"] = st.get("outcome")
        if st.get("rx_bytes") and r["seconds"]:
            # Frame bytes as the port counted them (no preamble or inter-frame gap).
            r["gbps"] = round(st["rx_bytes"] * 8 / r["seconds"] / 1e9, 2)
        if fl.get("table_slots"):
            r["table_slots"], r["table_bytes"] = fl["table_slots"], fl.get("table_bytes")
            r["table_bytes_per_slot"] = round(fl.get("table_bytes", 0) / fl["table_slots"], 1)
        cy = st.get("cycles") or {}
        n = cy.get("sampled_pkts")
        if n:
            stage = cy.get("stage") or cy  # reports of earlier builds kept the stages in "cycles" itself
            r["stage_cycles_per_packet"] = {k: round(stage[k] / n, 1) for k in STAGES if k in stage}
            r["stage_sampled_pkts"] = n
            r["stage_fast_share"] = round(cy.get("sampled_fast_pkts", 0) / n, 3)
    return r


STAGES = ("io", "parse", "flow", "classify", "verdict")


def testpmd(mode):
    txt = rd(f"testpmd-{mode}.txt")
    if not txt:
        return None
    key = "Rx-pps" if mode == "rxonly" else "Tx-pps"
    # per-period samples of port 0 (rx) / the null port (tx); drop the first (warm-up) and zeros
    vals = [int(v) for v in re.findall(key + r":\s+(\d+)", txt)]
    vals = [v for v in vals if v > 0]
    if len(vals) > 2:
        vals = vals[1:]
    if not vals:
        return {"error": txt.strip().splitlines()[-1] if txt.strip() else "no output"}
    tot = re.findall(r"RX-total: (\d+)", txt)
    return {"pps_samples": vals, "pps": max(vals), "mpps": round(max(vals) / 1e6, 3),
            "mpps_median": round(sorted(vals)[len(vals) // 2] / 1e6, 3),
            "rx_total": int(tot[-1]) if tot else None}


machine = kv("machine.env")
config = kv("config.env")
res = {"machine": machine, "config": config}
gen = re.search(r"(\d+) packets, (\d+) bytes, (\d+) sessions \((\d+) VPN\), at most (\d+) open, ([\d.]+) s",
                rd("gen.log"))
gt = rd("gen.time").split()
if gen:
    res["traffic"] = {"packets": int(gen[1]), "bytes": int(gen[2]), "sessions": int(gen[3]),
                      "vpn_sessions": int(gen[4]), "max_open_sessions": int(gen[5]),
                      "traffic_seconds": float(gen[6]),
                      "avg_frame_bytes": round(int(gen[2]) / max(1, int(gen[1])), 1),
                      "gen_seconds": float(gt[0]) if gt else None,
                      "gen_max_rss_kib": int(gt[1]) if gt else None}
    if gt:
        res["traffic"]["gen_pps"] = round(int(gen[1]) / max(1e-9, float(gt[0])))
lg = re.search(r"(\d+) packets, (\d+) bytes", rd("gen-live.log"))
res["live_source"] = {"packets": int(lg[1]), "bytes": int(lg[2])} if lg else None

res["testpmd"] = {"rxonly": testpmd("rxonly"), "io": testpmd("io")}
WORKERS = sorted({int(m[1]) for m in (re.fullmatch(r"(?:live|classify)-(\d+)\.txt", x) for x in os.listdir(W)) if m})
CPUS = int(machine.get("cpus") or 1)
res["tundra_live"] = {str(n): tundra_run(f"live-{n}") for n in WORKERS}
res["tundra_classify"] = {str(n): tundra_run(f"classify-{n}") for n in WORKERS}
for runs, extra in ((res["tundra_live"], 0), (res["tundra_classify"], 1)):
    for n, r in runs.items():
        if r:
            # Polling workers (plus classify's reader) beyond the CPUs share them: not a scaling figure.
            r["oversubscribed"] = int(n) + extra > CPUS

# flow table
ft = []
for f in sorted(os.listdir(W)):
    m = re.fullmatch(r"ft-(\d+)\.txt", f)
    if m:
        r = tundra_run(f"ft-{m[1]}")
        if r:
            r["target_flows"] = int(m[1])
            r["new_flows_per_s"] = round(r["flows"] / r["seconds"]) if r["seconds"] else None
            ft.append(r)
ft.sort(key=lambda r: r["target_flows"])
fts = {"runs": ft}
if ft and ft[-1].get("table_bytes_per_slot"):
    fts["bytes_per_flow"] = round(ft[-1]["table_bytes_per_slot"])
    fts["method"] = ("DPDK heap memory the flow table took (hash, key store, flow structs) / its slots, "
                     "as tundra reports it (--stats-json flows.table_bytes)")
if len(ft) >= 2 and all("max_rss_kib" in r for r in ft):
    a, b = ft[0], ft[-1]
    rss = round((b["max_rss_kib"] - a["max_rss_kib"]) * 1024 / max(1, b["flows"] - a["flows"]))
    # Tables in hugepages (--hugepages) are not in RSS: then RSS says nothing about flows.
    fts["rss_bytes_per_flow"] = rss if rss > 0 else None
for r in ft:
    if r["flows"] >= 10_000_000 and r.get("table_bytes"):
        fts["table_gib_at_10m"] = round(r["table_bytes"] / 2**30, 2)
res["flow_table"] = fts

# baseline: the same runs with an earlier revision's tundra, measured in this run
def ft_runs(prefix):
    out = []
    for fn in sorted(os.listdir(W)):
        m = re.fullmatch(prefix + r"-(\d+)\.txt", fn)
        if m:
            r = tundra_run(fn[:-4])
            if r:
                r["target_flows"] = int(m[1])
                r["new_flows_per_s"] = round(r["flows"] / r["seconds"]) if r["seconds"] else None
                out.append(r)
    return sorted(out, key=lambda r: r["target_flows"])


res["baseline"] = None
if machine.get("baseline"):
    res["baseline"] = {"revision": machine.get("baseline"), "tundra": machine.get("baseline_tundra"),
                       "classify_1w": tundra_run("base-classify-1"), "flow_table": ft_runs("base-ft"),
                       "scale": ft_runs("base-scale")}
res["scale"] = ft_runs("scale")

# the live fast path with millions of active flows (tundra-flowload)
fl = []
for fn in sorted(os.listdir(W)):
    m = re.fullmatch(r"flowload-(\d+)-(\d+)\.json", fn)
    if m:
        d = rjson(fn)
        if not d:
            fl.append({"workers": int(m[1]), "flows": int(m[2]), "error": rd(fn[:-5] + ".txt").strip()[-300:]})
            continue
        pw = d["per_worker"]
        d["mpps_total"] = round(sum(x["mpps"] for x in pw), 3)
        d["mpps_per_worker"] = round(d["mpps_total"] / len(pw), 3)
        cyc = {st: round(sum(x["stage_cycles_per_packet"][st] for x in pw) / len(pw), 1) for st in STAGES}
        d["stage_cycles_per_packet"] = cyc
        d["beyond_io_cycles_per_packet"] = round(sum(v for k, v in cyc.items() if k != "io"), 1)
        d["busy_cycles_per_packet"] = round(sum(x["busy_cycles_per_packet"] for x in pw) / len(pw), 1)
        slots = sum(x["table_slots"] for x in pw)
        tbytes = sum(x["table_bytes"] for x in pw)
        active = sum(x["flows_active"] for x in pw)
        d["table_bytes_per_slot"] = round(tbytes / slots, 1) if slots else None
        d["table_bytes_per_active_flow"] = round(tbytes / active, 1) if active else None
        d["fast_share"] = round(sum(x["sampled_fast"] for x in pw) / max(1, sum(x["sampled"] for x in pw)), 4)
        llc = [x.get("llc_misses_per_packet") for x in pw]
        d["llc_misses_per_packet"] = round(sum(llc) / len(llc), 2) if llc and None not in llc else None
        fl.append(d)
fl.sort(key=lambda d: (d["workers"], d["flows"]))
res["flowload"] = fl

# registry
reg = []
for f in sorted(os.listdir(W)):
    m = re.fullmatch(r"reg-(\d+)\.json", f)
    if m:
        r = rjson(f) or {"prefixes": int(m[1]), "error": rd(f"reg-{m[1]}.err").strip()[-300:]}
        c = re.search(r"loaded in ([\d.]+) s", rd(f"regcheck-{m[1]}.txt"))
        r["tundra_registry_check_load_s"] = float(c[1]) if c else None
        reg.append(r)
reg.sort(key=lambda r: r["prefixes"])
res["registry"] = reg

# nDPI
nd = rd("ndpi.txt")
m = re.search(r"ndpi: (\d+) packets, (\d+) flows in ([\d.]+) s \((\d+) packets/s\)", nd)
res["ndpi"] = None
if m:
    res["ndpi"] = {"packets": int(m[1]), "flows": int(m[2]), "seconds": float(m[3]), "pps": int(m[4]),
                   "mpps": round(int(m[4]) / 1e6, 3)}
    x = re.search(r"flows unknown, nDPI ([^,]+), flow struct (\d+) bytes", nd)
    if x:
        res["ndpi"]["version"], res["ndpi"]["flow_struct_bytes"] = x[1], int(x[2])
res["labels"] = rjson("agree.json")


def g(d, *ks):
    for k in ks:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def ratio(a, b):
    return round(a / b, 3) if a and b else None


tp_rx = g(res, "testpmd", "rxonly", "pps")
tp_io = g(res, "testpmd", "io", "pps")
live1 = g(res, "tundra_live", "1", "pps")
cls1 = g(res, "tundra_classify", "1", "pps")
ndpps = g(res, "ndpi", "pps")
res["ratios"] = {
    "tundra_live_1w / testpmd_rxonly": ratio(live1, tp_rx),
    "tundra_live_1w / testpmd_io": ratio(live1, tp_io),
    "tundra_classify_1w / ndpi": ratio(cls1, ndpps),
    "tundra_classify_1w / tundra_live_1w": ratio(cls1, live1),
}
res["headline"] = {
    "testpmd_rxonly_mpps": g(res, "testpmd", "rxonly", "mpps"),
    "testpmd_io_mpps": g(res, "testpmd", "io", "mpps"),
    "tundra_live_1w_mpps": g(res, "tundra_live", "1", "mpps"),
    "tundra_live_1w_gbps": g(res, "tundra_live", "1", "gbps"),
    "tundra_live_1w_cycles_per_packet": g(res, "tundra_live", "1", "cycles_per_packet"),
    "tundra_classify_1w_mpps": g(res, "tundra_classify", "1", "mpps"),
    "tundra_classify_1w_cycles_per_packet": g(res, "tundra_classify", "1", "cycles_per_packet"),
    "ndpi_mpps": g(res, "ndpi", "mpps"),
    "tundra_vpn_agreement_excluding_known_misses": g(res, "labels", "tundra_agreement_excluding_known_misses"),
    "tundra_vs_ndpi_vpn_label_agreement": g(res, "labels", "tundra_vs_ndpi", "agreement"),
    "tundra_live_1w_stage_cycles_per_packet": g(res, "tundra_live", "1", "stage_cycles_per_packet"),
    "tundra_classify_1w_stage_cycles_per_packet": g(res, "tundra_classify", "1", "stage_cycles_per_packet"),
    "flow_table_bytes_per_flow": g(res, "flow_table", "bytes_per_flow"),
    "flow_table_gib_at_10m_flows": g(res, "flow_table", "table_gib_at_10m"),
    "new_flows_per_s": ft[-1]["new_flows_per_s"] if ft else None,
    "registry_lookups_per_s": {str(r["prefixes"]): r.get("lookups_per_s") for r in reg},
    "fast_path_beyond_io_cycles": {f"{d['workers']}w_{d['flows']}": d.get("beyond_io_cycles_per_packet")
                                   for d in fl if not d.get("error")},
    "baseline_classify_1w_mpps": g(res, "baseline", "classify_1w", "mpps"),
}
if os.path.exists(os.path.join(OUT, "perf-top.txt")):
    top = [re.sub(r"(\s+-)+\s*$", "", ln).rstrip()[:120]
           for ln in open(os.path.join(OUT, "perf-top.txt")).read().splitlines()]
    with open(os.path.join(OUT, "perf-top.txt"), "w") as fh:
        fh.write("\n".join(top) + "\n")
    res["perf_top"] = top[:15]

with open(os.path.join(OUT, "results.json"), "w") as f:
    json.dump(res, f, indent=1)

# ---- plots ----------------------------------------------------------------------
plots = []
gp = shutil.which("gnuplot")


def plot(name, script, data):
    if not gp:
        return
    dp = os.path.join(W, name + ".dat")
    with open(dp, "w") as f:
        f.write(data)
    png = os.path.join(OUT, name + ".png")
    s = f'set terminal pngcairo size 900,500 noenhanced\nset output "{png}"\n' + script.replace("DATA", dp)
    try:
        subprocess.run([gp], input=s, text=True, check=True, capture_output=True)
        plots.append(name + ".png")
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"report: gnuplot {name}: {getattr(e, 'stderr', e)}", file=sys.stderr)


def star(r):
    return "*" if r and r.get("oversubscribed") else ""


bars = [("testpmd rxonly", tp_rx), ("testpmd io", tp_io)]
bars += [(f"live {n}w{star(r)}", g(r, "pps")) for n, r in res["tundra_live"].items()]
bars += [(f"classify {n}w{star(r)}", g(r, "pps")) for n, r in res["tundra_classify"].items()]
bars += [("nDPI (1 thread)", ndpps)]
data = "".join(f'"{n}" {v / 1e6:.3f}\n' for n, v in bars if v)
bar_style = ("set style fill solid 0.6\nset boxwidth 0.6\nset grid ytics\nset yrange [0:*]\n"
             "set xtics rotate by -20\n")
plot("throughput", bar_style + 'set title "Throughput by mode and workers (* = oversubscribed on 2 CPUs)"\n'
     'set ylabel "Mpps"\nplot "DATA" using 0:2:xtic(1) with boxes notitle, '
     '"" using 0:2:(sprintf("%.2f",$2)) with labels offset 0,1 notitle\n', data)
stage_rows = [("live 1w", g(res, "tundra_live", "1")), ("classify 1w", g(res, "tundra_classify", "1"))]
stage_rows += [(f"new flows {r['target_flows'] // 1000}k", r) for r in ft]
stage_rows = [(n, r) for n, r in stage_rows if r and r.get("stage_cycles_per_packet")]
if stage_rows:
    plot("cycles", "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.7\n"
         "set boxwidth 0.6\nset grid ytics\nset yrange [0:*]\nset key outside right\nset xtics rotate by -20\n"
         'set title "tundra worker cycles per packet by stage (1 burst in 64 timed)"\nset ylabel "cycles/packet"\n'
         "plot " + ", ".join(f'"DATA" using {i + 2}{":xtic(1)" if i == 0 else ""} title "{st}"'
                             for i, st in enumerate(STAGES)) + "\n",
         "".join(f'"{n}" ' + " ".join(str(r["stage_cycles_per_packet"].get(st, 0)) for st in STAGES) + "\n"
                 for n, r in stage_rows))
if ft and all(r.get("table_bytes") for r in ft):
    plot("memory", 'set title "flow table memory vs flows (capacity 1.25x flows, 1 worker)"\n'
         'set xlabel "flows"\nset ylabel "MiB"\nset logscale xy\nset grid\nset key left\n'
         'plot "DATA" using 1:2 with linespoints pt 7 title "flow table (DPDK heap)", '
         '"" using 1:3 with linespoints pt 5 title "process max RSS (without hugepages)"\n',
         "".join(f"{r['flows']} {r['table_bytes'] / 2**20:.1f} {r.get('max_rss_kib', 0) / 1024:.1f}\n" for r in ft))
fl1 = [d for d in fl if d["workers"] == 1 and not d.get("error")]
if len(fl1) >= 2:
    plot("scale", 'set title "live fast path: cycles per packet vs active flows (1 worker)"\n'
         'set xlabel "active flows"\nset ylabel "cycles/packet"\nset logscale x\nset grid\nset key left\n'
         "set yrange [0:*]\n"
         "plot " + ", ".join(f'"DATA" using 1:{i + 2} with linespoints title "{st}"' for i, st in enumerate(STAGES)) +
         f', "DATA" using 1:{len(STAGES) + 2} with linespoints lw 2 title "beyond I/O"\n',
         "".join(f"{d['flows']} " + " ".join(str(d["stage_cycles_per_packet"][st]) for st in STAGES) +
                 f" {d['beyond_io_cycles_per_packet']}\n" for d in fl1))
if reg and all(r.get("lookups_per_s") for r in reg):
    plot("registry", 'set title "registry: lookups/s and load time vs prefixes"\nset logscale x\n'
         'set xlabel "prefixes"\nset ylabel "M lookups/s"\nset y2label "seconds"\nset y2tics\nset ytics nomirror\n'
         'set grid\nplot "DATA" using 1:2 with linespoints pt 7 title "lookups/s (1 thread)", '
         '"" using 1:3 axes x1y2 with linespoints pt 5 title "load", "" using 1:4 axes x1y2 with linespoints title "reload"\n',
         "".join(f"{r['prefixes']} {r['lookups_per_s'] / 1e6:.3f} {r['load_s']} {r['reload_s']}\n" for r in reg))


# ---- report.md --------------------------------------------------------------------
def f(v, d=2):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{d}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


L = []
L.append(f"# tundra benchmark: {machine.get('host', '?')}{' (smoke)' if machine.get('smoke') == '1' else ''}\n")
L.append("## Machine\n")
L.append("| | |\n|---|---|")
for k in ("cpu_model", "cpus", "mem_gib", "kernel", "dpdk", "hyperscan", "ndpi", "testpmd", "tundra",
          "tundra_commit", "hugepages"):
    L.append(f"| {k} | {machine.get(k, '')} |")
L.append("\nConfiguration: " + (", ".join(f"`{k}={v}`" for k, v in sorted(config.items())) or "defaults") + "\n")
t = res.get("traffic") or {}
L.append("## Traffic\n")
L.append(f"`tundra-gen`: {f(t.get('sessions'))} sessions ({f(t.get('vpn_sessions'))} VPN), "
         f"{f(t.get('packets'))} packets, {f(t.get('avg_frame_bytes'), 1)} B average frame, at most "
         f"{f(t.get('max_open_sessions'))} sessions open, {f(t.get('traffic_seconds'), 1)} s of capture time; "
         f"written in {f(t.get('gen_seconds'))} s ({f(t.get('gen_pps'))} packets/s). Live source: "
         f"{f(g(res, 'live_source', 'packets'))} packets replayed from memory (net_pcap `infinite_rx`).\n")
L.append("## Throughput\n")
L.append("| run | Mpps | Gbit/s | cycles/packet | ratio |\n|---|---:|---:|---:|---:|")
L.append(f"| testpmd rxonly (ceiling) | {f(g(res, 'testpmd', 'rxonly', 'mpps'), 3)} | | | 1.00 |")
L.append(f"| testpmd io (pcap -> null) | {f(g(res, 'testpmd', 'io', 'mpps'), 3)} | | | {f(ratio(tp_io, tp_rx))} |")
for k, r in res["tundra_live"].items():
    n = f"tundra live, {k} worker{'s' if k != '1' else ''}{' (oversubscribed)' if star(r) else ''}"
    L.append(f"| {n} | {f(g(r, 'mpps'), 3)} | {f(g(r, 'gbps'))} | {f(g(r, 'cycles_per_packet'))} | "
             f"{f(ratio(g(r, 'pps'), tp_rx))} |")
for k, r in res["tundra_classify"].items():
    n = f"tundra classify, {k} worker{'s' if k != '1' else ''}{' (oversubscribed)' if star(r) else ''}"
    L.append(f"| {n} | {f(g(r, 'mpps'), 3)} | {f(g(r, 'gbps'))} | {f(g(r, 'cycles_per_packet'))} | "
             f"{f(ratio(g(r, 'pps'), ndpps))} x nDPI |")
L.append(f"| nDPI 4.2 (ndpi_bench, 1 thread) | {f(g(res, 'ndpi', 'mpps'), 3)} | | | 1.00 |")
L.append(f"\nLive ratios are against testpmd rxonly on the same source; classify ratios against nDPI "
         f"on the same pcap. Oversubscribed: more polling threads than the {CPUS} CPUs, so those rows show "
         "contention, not scaling. Per-worker Mpps = the 1-worker figure.\n")
if stage_rows:
    L.append("## Cycles per packet by stage\n")
    L.append("One burst in 64 is timed stage by stage inside the worker (`rte_rdtsc`); `io` is the non-empty "
             "`rx_burst` plus TX/free. Live replays decided flows (the fast path); classify runs the whole "
             "mix, classification window included.\n")
    L.append("| run | " + " | ".join(STAGES) + " | sum | beyond I/O | decided-flow share |\n|---|" +
             "---:|" * (len(STAGES) + 3))
    for n, r in stage_rows:
        c = r["stage_cycles_per_packet"]
        tot = sum(c.values())
        L.append(f"| {n} | " + " | ".join(f(c.get(st), 1) for st in STAGES) +
                 f" | {tot:.1f} | {tot - c.get('io', 0):.1f} | {f(r.get('stage_fast_share'), 3)} |")
    L.append("")
lab = res.get("labels") or {}
L.append("## VPN labels\n")
L.append(f"- generated VPN flows: {f(lab.get('vpn_flows_generated'))}; tundra agrees on "
         f"{f(lab.get('tundra_agree'))} ({f(lab.get('tundra_agreement'), 4)}); "
         f"{f(lab.get('known_misses'))} are pcaps/known-misses.csv flows; excluding them: "
         f"**{f(lab.get('tundra_agreement_excluding_known_misses'), 4)}**")
L.append(f"- tundra VPN verdicts on flows not generated as VPN: {f(lab.get('tundra_vpn_flows_not_generated_as_vpn'))}")
L.append(f"- nDPI agrees with the generated label on {f(lab.get('ndpi_agree_with_truth'))} "
         f"({f(lab.get('ndpi_agreement_with_truth'), 4)})")
tv = lab.get("tundra_vs_ndpi") or {}
L.append(f"- tundra vs nDPI, flows either calls a VPN: {f(tv.get('vpn_flows_either'))}, same family: "
         f"{f(tv.get('same_label'))} ({f(tv.get('agreement'), 4)})\n")
if tv.get("confusion"):
    L.append("| tundra / nDPI | flows |\n|---|---:|")
    for k, v in tv["confusion"].items():
        L.append(f"| {k} | {v:,} |")
    L.append("")
if lab.get("per_template_flow"):
    L.append("| template flow | flows | tundra agrees | nDPI agrees | known miss |\n|---|---:|---:|---:|---:|")
    for k, v in lab["per_template_flow"].items():
        L.append(f"| {k} | {v.get('flows', 0)} | {v.get('tundra_agree', 0)} | {v.get('ndpi_agree', 'n/a')} | "
                 f"{v.get('known_miss', 0)} |")
    L.append("")
L.append("## Flow table\n")
L.append("| flows (2 packets each) | classify Mpps | new flows/s | cycles/packet | table MiB | bytes/slot | "
         "max RSS MiB | evicted |\n|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in ft:
    L.append(f"| {r['flows']:,} | {r['mpps']} | {f(r['new_flows_per_s'])} | {f(r['cycles_per_packet'])} | "
             f"{f((r.get('table_bytes') or 0) / 2**20, 1)} | {f(r.get('table_bytes_per_slot'), 1)} | "
             f"{f(r.get('max_rss_kib', 0) / 1024, 1)} | {f(r.get('evicted'))} |")
L.append(f"\nMemory per flow: **{f(fts.get('bytes_per_flow'))} bytes** ({fts.get('method', 'not measured')}); "
         + (f"by process RSS: {f(fts.get('rss_bytes_per_flow'))} bytes per flow. " if fts.get('rss_bytes_per_flow')
            else "process RSS does not show it (the tables were in hugepages). ") +
         f"Flow table at 10 M flows: {f(fts.get('table_gib_at_10m'))} GiB.\n")
bl = res.get("baseline")
if bl:
    L.append("## Before and after, measured in this run\n")
    L.append(f"Baseline: tundra at `{bl['revision']}` ({bl.get('tundra') or '?'}), built by the bench from the "
             "repository and run on the same inputs right after the current build.\n")
    cb, ca = bl.get("classify_1w") or {}, g(res, "tundra_classify", "1") or {}
    L.append("| figure | baseline | now | ratio |\n|---|---:|---:|---:|")
    L.append(f"| classify, 1 worker, the mix: Mpps | {f(cb.get('mpps'), 3)} | {f(ca.get('mpps'), 3)} | "
             f"{f(ratio(ca.get('pps'), cb.get('pps')))} |")
    L.append(f"| classify, 1 worker: x nDPI | {f(ratio(cb.get('pps'), ndpps))} | {f(ratio(ca.get('pps'), ndpps))} | |")
    L.append(f"| classify, 1 worker: busy cycles/packet | {f(cb.get('cycles_per_packet'))} | "
             f"{f(ca.get('cycles_per_packet'))} | |")
    for r0 in bl.get("flow_table") or []:
        r1 = next((r for r in ft if r["target_flows"] == r0["target_flows"]), None) or {}
        n = f"{r0['target_flows']:,}"
        L.append(f"| flow table, {n} flows: bytes/slot | {f(r0.get('table_bytes_per_slot'), 1)} | "
                 f"{f(r1.get('table_bytes_per_slot'), 1)} | {f(ratio(r1.get('table_bytes_per_slot'), r0.get('table_bytes_per_slot')))} |")
        L.append(f"| flow table, {n} flows: table MiB | {f((r0.get('table_bytes') or 0) / 2**20, 1)} | "
                 f"{f((r1.get('table_bytes') or 0) / 2**20, 1)} | |")
        L.append(f"| flow table, {n} flows: new flows/s | {f(r0.get('new_flows_per_s'))} | "
                 f"{f(r1.get('new_flows_per_s'))} | {f(ratio(r1.get('new_flows_per_s'), r0.get('new_flows_per_s')))} |")
        L.append(f"| flow table, {n} flows: flow stage cycles/packet | {f(g(r0, 'stage_cycles_per_packet', 'flow'), 1)} | "
                 f"{f(g(r1, 'stage_cycles_per_packet', 'flow'), 1)} | |")
    for r0 in bl.get("scale") or []:
        r1 = next((r for r in res["scale"] if r["target_flows"] == r0["target_flows"]), None) or {}
        c0, c1 = r0.get("stage_cycles_per_packet") or {}, r1.get("stage_cycles_per_packet") or {}
        b0 = sum(v for k, v in c0.items() if k != "io") if c0 else None
        b1 = sum(v for k, v in c1.items() if k != "io") if c1 else None
        L.append(f"| {r0['target_flows']:,} flows open, offline: cycles/packet beyond I/O "
                 f"({f(r1.get('stage_fast_share'), 2)} decided) | {f(b0, 1)} | {f(b1, 1)} | {f(ratio(b1, b0))} |")
        L.append(f"| {r0['target_flows']:,} flows open, offline: flow stage cycles/packet | {f(c0.get('flow'), 1)} | "
                 f"{f(c1.get('flow'), 1)} | |")
    L.append("")
if fl:
    L.append("## The fast path with millions of active flows (live)\n")
    L.append("`tundra-flowload` runs tundra's live workers on rings each worker feeds itself (an RX callback "
             "rewrites each frame to the worker's next flow, 64-byte UDP frames, both directions); every flow "
             "is judged on its first packet and the figures are taken over later passes, when all flows are in "
             "the table and every packet is a decided flow's. One burst in 64 timed by stage; `io` includes the "
             "ring and the rewrite.\n")
    L.append("| workers | active flows | Mpps per worker | Mpps total | " + " | ".join(STAGES) +
             " | beyond I/O | busy | table B/flow | LLC misses/packet |\n|---:|---:|---:|---:|" + "---:|" * (len(STAGES) + 4))
    for d in fl:
        if d.get("error"):
            L.append(f"| {d['workers']} | {d['flows']:,} | error: {d['error'][:80]} |")
            continue
        c = d["stage_cycles_per_packet"]
        L.append(f"| {d['workers']} | {d['flows']:,} | {f(d['mpps_per_worker'], 3)} | {f(d['mpps_total'], 3)} | " +
                 " | ".join(f(c.get(st), 1) for st in STAGES) +
                 f" | **{f(d['beyond_io_cycles_per_packet'], 1)}** | {f(d['busy_cycles_per_packet'], 1)} | "
                 f"{f(d.get('table_bytes_per_active_flow'), 1)} | {f(d.get('llc_misses_per_packet'), 2)} |")
    why = next((d.get("llc_misses") for d in fl if d.get("llc_misses")), None)
    if why:
        L.append(f"\nLLC misses: {why}.")
    one = [d for d in fl if d["workers"] == 1 and not d.get("error")]
    if one:
        big = one[-1]
        hz = big.get("tsc_hz") or 0
        L.append(f"\nModel for N workers at {big['flows']:,} flows: a worker spends "
                 f"{f(big['busy_cycles_per_packet'], 1)} cycles per packet (of which "
                 f"{f(big['beyond_io_cycles_per_packet'], 1)} beyond I/O), so one core at {hz / 1e9:.2f} GHz moves "
                 f"{f(hz / big['busy_cycles_per_packet'] / 1e6 if big['busy_cycles_per_packet'] else None, 2)} Mpps "
                 "and N cores N times that, as long as the NIC spreads flows evenly (symmetric RSS) and memory "
                 "bandwidth holds (each packet reads about two lines of the table: a bucket and the flow). The "
                 "2-worker rows measure the second core; more needs a bigger machine.\n")
    L.append("")
L.append("## Registry\n")
L.append("| prefixes | load s | reload s | `tundra registry check` load s | tables MiB | lookups/s | ns/lookup |\n"
         "|---:|---:|---:|---:|---:|---:|---:|")
for r in reg:
    L.append(f"| {r['prefixes']:,} | {f(r.get('load_s'), 3)} | {f(r.get('reload_s'), 3)} | "
             f"{f(r.get('tundra_registry_check_load_s'), 3)} | {f((r.get('memory_bytes') or 0) / 2**20, 1)} | "
             f"{f(round(r['lookups_per_s']) if r.get('lookups_per_s') else None)} | {f(r.get('ns_per_lookup'), 1)} |")
L.append("")
if res.get("perf_top"):
    L.append("## Profile (perf record -g, tundra classify, 1 worker; self time)\n\n```")
    L += res["perf_top"]
    L.append("```\n")
if plots:
    L.append("## Plots\n")
    L += [f"![{p}]({p})" for p in plots]
with open(os.path.join(OUT, "report.md"), "w") as fh:
    fh.write("\n".join(L) + "\n")
print(json.dumps(res["headline"], indent=1))
print(json.dumps(res["ratios"], indent=1))
