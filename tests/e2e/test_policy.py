"""Policy overrides: per app (allow, monitor, enforce) and per sector
(monitor, enforce) on top of the mode, and never a drop without a registry."""
import os
import subprocess
import tempfile

from tundra_e2e import PCAPS, TUNDRA, Checks, classify, reconciles

c = Checks("e2e_policy")
tmp = tempfile.mkdtemp(prefix="tundra-policy-")
demo = os.path.join(PCAPS, "demo.pcap")
with open(os.path.join(PCAPS, "registry.csv")) as f:
    base = f.read()
# 198.19.0.0/24 belongs to a mission, but only for port 9999: the OpenVPN server on 443 is unregistered.
reg = os.path.join(tmp, "registry.csv")
with open(reg, "w") as f:
    f.write(base + "198.19.0.0/24,9999,,R-0100,Mission Nine,mission\n")


def ovpn_tcp(flows):
    return [f for f in flows if f["app"] == "openvpn" and f["l4"] == "tcp"]


def run(*args):
    flows, stats, p = classify(demo, "--registry", reg, *args)
    c.check(reconciles(stats), f"{args}: counters reconcile")
    return flows, stats


flows, stats = run("--mode", "enforce")
blocked = ovpn_tcp(flows)
c.check(blocked and all(f["verdict"] == "block" and f["dropped"] and f["policy"] is None for f in blocked),
        "enforce, no policy: unregistered OpenVPN dropped")
wg = [f for f in flows if f["app"] == "wireguard"]
c.check(wg and wg[0]["verdict"] == "allow", "registered WireGuard allowed")

flows, _ = run("--mode", "enforce", "--policy", "app=openvpn:allow")
c.check(all(f["verdict"] == "allow" and f["policy"] == "app" and not f["dropped"]
            for f in flows if f["app"] == "openvpn"), "app=openvpn:allow: every OpenVPN flow allowed by policy")

flows, stats = run("--mode", "enforce", "--policy", "app=openvpn:monitor")
c.check(all(f["verdict"] == "block" and not f["dropped"] and f["policy"] == "app" for f in ovpn_tcp(flows)),
        "app=openvpn:monitor: blocked but not dropped")
c.eq(stats["disposition"]["dropped"], 0, "app=openvpn:monitor: nothing dropped")

flows, stats = run("--policy", "app=openvpn:enforce")
c.check(all(f["verdict"] == "block" and f["dropped"] for f in ovpn_tcp(flows)), "monitor + app=openvpn:enforce: dropped")
c.check(stats["disposition"]["dropped"] > 0, "monitor + app=openvpn:enforce: packets dropped")

flows, stats = run("--mode", "enforce", "--policy", "sector=mission:monitor")
c.check(all(f["verdict"] == "block" and not f["dropped"] and f["policy"] == "sector" for f in ovpn_tcp(flows)),
        "sector=mission:monitor: the mission's unregistered port is reported, not dropped")
c.eq(stats["disposition"]["dropped"], 0, "sector=mission:monitor: nothing dropped")

flows, stats = run("--policy", "sector=mission:enforce")
c.check(all(f["dropped"] and f["policy"] == "sector" for f in ovpn_tcp(flows)), "sector=mission:enforce: dropped")

# No registry: a policy cannot make tundra drop; the alarm is raised.
flows, stats, p = classify(demo, "--policy", "app=openvpn:enforce")
c.eq(stats["disposition"]["dropped"], 0, "no registry: app enforce rule drops nothing")
c.eq(stats["control"]["registry_alarm"], 1, "no registry: alarm")

# Confidence: enforce drops confirmed VPN flows only, unless --enforce-likely. In the NAT-T
# capture the UDP 500 exchange is confirmed; the UDP 4500 flow, begun after the SA_INIT,
# is only likely (both SPIs seen, no request/response pairing).
natt = os.path.join(PCAPS, "ikev2-natt-4500.pcap")
flows, stats, _ = classify(natt, "--registry", reg, "--mode", "enforce")
by_port = {f["dst_port"]: f for f in flows if f["app"] == "ike"}
c.check(500 in by_port and 4500 in by_port, "NAT-T capture: IKE on 500 and 4500")
if 500 in by_port and 4500 in by_port:
    c.eq(by_port[500]["confidence"], "confirmed", "IKE 500 confirmed")
    c.eq(by_port[4500]["confidence"], "likely", "IKE 4500 likely")
    c.check(by_port[500]["verdict"] == "block" and by_port[500]["dropped"], "confirmed block is dropped")
    c.check(by_port[4500]["verdict"] == "block" and not by_port[4500]["dropped"], "likely block is reported, not dropped")
flows, stats, _ = classify(natt, "--registry", reg, "--mode", "enforce", "--enforce-likely")
c.check(all(f["dropped"] for f in flows if f["app"] == "ike"), "--enforce-likely: likely blocks dropped too")
c.check(all(f["confidence"] is None for f in flows if f["app"] == "unknown"), "undecided flows have no confidence")

# Bad rules are refused clearly.
for rule, word in [("app=nosuch:allow", "unknown app"), ("sector=mission:allow", "not allow"),
                   ("app=openvpn:drop", "not allow, monitor or enforce"), ("bogus", "expected app=")]:
    p = subprocess.run([TUNDRA, "classify", demo, "--policy", rule], capture_output=True, text=True)
    c.check(p.returncode == 2 and word in p.stderr, f"--policy {rule}: refused with '{word}': {p.stderr.strip()[-200:]}")
c.done()
