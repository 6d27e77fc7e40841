#!/usr/bin/env python3
"""Flow-by-flow label agreement for bench/run.

    agree.py TRUTH.csv TUNDRA.jsonl [NDPI.csv] [--known-misses pcaps/known-misses.csv]

TRUTH.csv is tundra-gen's --truth (the VPN flows it generated and what they
are), TUNDRA.jsonl is `tundra classify --json`, NDPI.csv is ndpi_bench's
--flows-out. Flows are matched on (l4, client ip, client port, server ip,
server port). Labels are compared as VPN families (ike and esp are "ipsec",
pptp and its gre are "pptp"). Prints one JSON object.
"""
import csv
import json
import sys
from collections import Counter, defaultdict

FAMILY = {
    # tundra apps
    "wireguard": "wireguard", "openvpn": "openvpn", "ike": "ipsec", "esp": "ipsec",
    "l2tp": "l2tp", "pptp": "pptp", "gre": "pptp", "openconnect": "openconnect",
    "softether": "softether", "tinc": "tinc", "sstp": "sstp", "fortinet": "fortinet",
    "globalprotect": "globalprotect",
    # nDPI 4.2 names (master.app: either part may say it)
    "WireGuard": "wireguard", "OpenVPN": "openvpn", "IPsec": "ipsec", "L2TP": "l2tp",
    "PPTP": "pptp", "GRE": "pptp", "Softether": "softether", "TINC": "tinc",
    "CiscoVPN": "ciscovpn", "FortiClient": "fortinet", "HotspotShield": "hotspotshield",
    "OpenConnect": "openconnect",
}


def fam(name):
    if not name:
        return "none"
    for part in name.split("."):
        if part in FAMILY:
            return FAMILY[part]
    return "none"


def l4n(x):
    return {"gre": "47", "esp": "50"}.get(str(x), str(x))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    km_path = None
    if "--known-misses" in sys.argv:
        km_path = sys.argv[sys.argv.index("--known-misses") + 1]
        args.remove(km_path)
    truth_p, tundra_p = args[0], args[1]
    ndpi_p = args[2] if len(args) > 2 else None
    known = set()
    if km_path:
        for r in csv.DictReader(open(km_path)):
            known.add((r["pcap"], r["l4"], r["server_ip"], r["server_port"]))

    tundra = {}
    for line in open(tundra_p):
        d = json.loads(line)
        k = (l4n(d["l4"]), d["src_ip"], str(d["src_port"]), d["dst_ip"], str(d["dst_port"]))
        tundra[k] = d["app"]
    ndpi = {}
    if ndpi_p:
        for r in csv.DictReader(open(ndpi_p)):
            ndpi[(l4n(r["l4"]), r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])] = r["ndpi"]

    per = defaultdict(Counter)
    tot = Counter()
    truth_keys = set()
    for r in csv.DictReader(open(truth_p)):
        k = (l4n(r["l4"]), r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])
        truth_keys.add(k)
        # The same flow as a record that starts at the server: the session's packets after its
        # flow left the table (evicted, or idle past the timeout) make a new flow from the server.
        truth_keys.add((k[0], k[3], k[4], k[1], k[2]))
        want = fam(r["app"])
        miss_ok = (r["template"], r["l4"], r["server_ip"], r["server_port"]) in known
        c = per[r["template"] + ":" + r["l4"] + "/" + r["server_port"]]
        c["flows"] += 1
        got = fam(tundra.get(k))
        if k not in tundra:
            c["tundra_missing"] += 1
        ok = got == want
        c["tundra_agree"] += ok
        tot["flows"] += 1
        tot["tundra_agree"] += ok
        if miss_ok:
            c["known_miss"] += 1
            tot["known_miss"] += 1
        else:
            tot["expected"] += 1
            tot["tundra_agree_expected"] += ok
        if ndpi_p:
            n = fam(ndpi.get(k))
            c["ndpi_agree"] += n == want
            tot["ndpi_agree"] += n == want
    out = {
        "vpn_flows_generated": tot["flows"],
        "tundra_agree": tot["tundra_agree"],
        "tundra_agreement": round(tot["tundra_agree"] / max(1, tot["flows"]), 4),
        "known_misses": tot["known_miss"],
        "tundra_agreement_excluding_known_misses": round(tot["tundra_agree_expected"] / max(1, tot["expected"]), 4),
        "tundra_vpn_flows_not_generated_as_vpn": sum(1 for k, a in tundra.items()
                                                     if fam(a) != "none" and k not in truth_keys),
        "per_template_flow": {k: dict(v) for k, v in sorted(per.items())},
    }
    if ndpi_p:
        out["ndpi_agree_with_truth"] = tot["ndpi_agree"]
        out["ndpi_agreement_with_truth"] = round(tot["ndpi_agree"] / max(1, tot["flows"]), 4)
        # tundra vs nDPI on every flow either calls a VPN
        both = Counter()
        conf = Counter()
        for k in set(tundra) | set(ndpi):
            a, b = fam(tundra.get(k)), fam(ndpi.get(k))
            if a == "none" and b == "none":
                continue
            both["vpn_flows_either"] += 1
            both["same_label"] += a == b
            conf[f"tundra={a} ndpi={b}"] += 1
        out["tundra_vs_ndpi"] = {
            "vpn_flows_either": both["vpn_flows_either"],
            "same_label": both["same_label"],
            "agreement": round(both["same_label"] / max(1, both["vpn_flows_either"]), 4),
            "confusion": dict(conf.most_common()),
        }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
