"""The negative set (pcaps/negatives/, made by pcaps/make-negatives.sh): real
HTTPS, QUIC, DTLS, DNS, SSH, NTP, SIP/RTP and random-payload flows on VPN ports.
At least 10 000 flows, and tundra must not call a single one of them a VPN;
counters reconcile and match each capture's packet count."""
import os

from tundra_e2e import PCAPS, Checks, classify, read_pcap, reconciles

MIN_FLOWS = 10000
NEG = os.path.join(PCAPS, "negatives")

c = Checks("e2e_negatives")
files = sorted(f for f in os.listdir(NEG) if f.endswith(".pcap"))
c.check(files, f"no pcaps in {NEG}")
total = 0
offenders = []
for pcap in files:
    path = os.path.join(NEG, pcap)
    flows, stats, _ = classify(path)
    _, pkts, _ = read_pcap(path)
    c.check(flows, f"{pcap}: no flows")
    c.eq(stats["rx_pkts"], len(pkts), f"{pcap}: every packet of the capture received")
    c.check(reconciles(stats), f"{pcap}: counters reconcile {stats}")
    in_flows = sum(f["pkts_c2s"] + f["pkts_s2c"] for f in flows)
    o = stats["outcome"]
    c.eq(in_flows + o["nonip"] + o["malformed"] + o["fragment"] + o["no_flow"], stats["rx_pkts"],
         f"{pcap}: packets in flows + uninspected = received")
    c.eq(stats["records_lost"], 0, f"{pcap}: no flow records lost")
    c.eq(stats["flows"]["created"], len(flows), f"{pcap}: one record per flow created")
    c.eq(sum(stats["flows"]["evicted"].values()), 0, f"{pcap}: no flow evicted")
    c.eq(stats["flows"]["decided"]["allow"] + stats["flows"]["decided"]["block"], 0, f"{pcap}: flows with a VPN verdict")
    c.eq(o["allow"] + o["block"], 0, f"{pcap}: packets with a VPN verdict")
    bad = [f for f in flows if f["app"] != "unknown" or f["vpn"] or f["verdict"] != "pass"]
    for f in bad:
        offenders.append(f"{pcap}: {f['l4']} {f['src_ip']}:{f['src_port']} -> {f['dst_ip']}:{f['dst_port']} "
                         f"app={f['app']} confidence={f['confidence']} check={f['reason']} "
                         f"at pkt {f['decided_at_pkt']}")
    c.eq(len(bad), 0, f"{pcap}: flows called a VPN")
    print(f"{pcap}: {len(flows)} flows, {len(pkts)} packets, {len(bad)} called a VPN", flush=True)
    total += len(flows)

for line in offenders:
    print("FALSE POSITIVE " + line, flush=True)
c.check(total >= MIN_FLOWS, f"negative set: {total} flows, fewer than {MIN_FLOWS}")
print(f"negative set: {total} flows in {len(files)} files, {len(offenders)} called a VPN", flush=True)
c.done()
