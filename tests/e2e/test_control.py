"""The control plane of tundra run: the control socket is 0600 (0660 and the group's with
--control-group); every request is checked and a bad one (unknown, oversized, binary, two
lines, wrong arguments) gets one error line while the engine runs on; /metrics listens on
loopback unless told otherwise; --user drops root after start-up and tundra still
classifies."""
import grp
import json
import os
import pwd
import socket
import stat
import subprocess
import tempfile
import time

from tundra_e2e import PCAPS, TUNDRA, Checks, reconciles

c = Checks("e2e_control")
if os.geteuid() != 0:
    print("needs root (socket ownership, --user); skipped")
    raise SystemExit(77)
tmp = tempfile.mkdtemp(prefix="tundra-control-")
EAL = ["--no-huge", "-m", "512", "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"]
CPUS = ",".join(map(str, sorted(os.sched_getaffinity(0))))
WG = os.path.join(PCAPS, "wireguard-udp51820.pcap")
REG = os.path.join(PCAPS, "registry.csv")


def start(name, extra):
    sock = os.path.join(tmp, f"{name}.sock")
    stats = os.path.join(tmp, f"{name}.json")
    flows = os.path.join(tmp, f"{name}.jsonl")
    p = subprocess.Popen([TUNDRA, "run", *EAL, "--lcores", f"(0-1)@({CPUS})",
                          "--vdev", f"net_pcap0,rx_pcap={WG},infinite_rx=1", "--vdev", "net_null0", "--",
                          "--port", "0", "--tx-port", "1", "--registry", REG, "--duration", "4", "--control", sock,
                          "--flow-log", flows, "--stats-json", stats, "--stats-interval", "0", *extra],
                         stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.02)
    time.sleep(0.3)
    return p, sock, stats, flows


def ask(sock, data, shut=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the engine answered before taking all of it
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    s.close()
    return out.decode(errors="replace")


# 1. Mode 0600, commands checked, /metrics on loopback by default.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
mport = probe.getsockname()[1]
probe.close()
p, sock, stats_path, _ = start("root", ["--metrics", str(mport)])
try:
    st = os.stat(sock)
    c.check(stat.S_ISSOCK(st.st_mode), "control socket made")
    c.eq(oct(stat.S_IMODE(st.st_mode)), "0o600", "control socket is 0600 by default")
    c.eq(st.st_uid, 0, "control socket is root's")
    r = ask(sock, b"stats\n")
    c.check(r.endswith("\n") and json.loads(r)["rx_pkts"] > 0, "stats answers the counters")
    c.check(ask(sock, b"help\n").startswith("ok: commands: reload, reload force, stats"), "help lists the commands")
    cases = [
        (b"bogus\n", "error: unknown command 'bogus'"),
        (b"A" * 5000 + b"\n", "error: command longer than 4096 bytes"),
        (b"B" * (1 << 20), "error: command longer than 4096 bytes"),
        (b"stats\x00\n", "error: byte 0x00 at offset 5 is not printable ASCII"),
        (b"\xff\xfe\n", "error: byte 0xff at offset 0"),
        (b"\n", "error: empty command"),
        (b"", "error: empty command"),
        (b"stats\nreload\n", "error: one command per connection"),
        (b"reload now\n", "error: reload takes nothing or 'force'"),
        (b"stats please\n", "error: stats takes no argument"),
        (b"x " * 10 + b"\n", "error: too many words"),
    ]
    for data, want in cases:
        r = ask(sock, data)
        c.check(r.startswith(want) and r.count("\n") == 1, f"{data[:20]!r}...({len(data)} bytes): {r[:90]!r}")
    r = ask(sock, b"stat", shut=False)  # a client that never ends its line is cut off, not waited for
    c.check(r.startswith("error: unknown command 'stat'"), f"unterminated request answered after the read timeout: {r!r}")
    r = ask(sock, b"  stats \r\n")
    c.check(r.startswith("{"), "spaces and CR LF around a command are accepted")
    c.check(p.poll() is None, "the engine runs on after every bad request")
    listen = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.split(":")[1], 16) == mport:
                listen.append(local.split(":")[0])
    c.eq(listen, ["0100007F"], "/metrics given only a port listens on 127.0.0.1 alone")
    m = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{mport}/metrics"], capture_output=True, text=True)
    c.check("tundra_received_packets_total" in m.stdout, "/metrics answers on loopback")
finally:
    _, err = p.communicate(timeout=60)
c.eq(p.returncode, 0, f"root run: exit status ({err[-300:]})")
with open(stats_path) as f:
    c.check(reconciles(json.load(f)), "root run: counters reconcile")

# 2. --control-group and --user: 0660 with that group, root given up, traffic still classified.
nobody = pwd.getpwnam("nobody")
group = grp.getgrgid(nobody.pw_gid).gr_name
p, sock, stats_path, flows_path = start("user", ["--control-group", group, "--user", "nobody"])
try:
    st = os.stat(sock)
    c.eq(oct(stat.S_IMODE(st.st_mode)), "0o660", "--control-group: socket is 0660")
    c.eq(st.st_gid, nobody.pw_gid, f"--control-group: socket's group is {group}")
    with open(f"/proc/{p.pid}/status") as f:
        status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    c.eq(status["Uid"].split(), [str(nobody.pw_uid)] * 4, "--user nobody: real, effective, saved, fs uid")
    c.eq(status["Gid"].split(), [str(nobody.pw_gid)] * 4, "--user nobody: every gid is nobody's group")
    c.eq(status.get("CapEff"), "0000000000000000", "--user nobody: no capabilities left")
    r = ask(sock, b"stats\n")
    c.check(r.startswith("{") and json.loads(r)["outcome"]["allow"] > 0,
            "--user nobody: the control socket still answers, the WireGuard flow is classified")
finally:
    _, err = p.communicate(timeout=60)
c.eq(p.returncode, 0, f"--user run: exit status ({err[-300:]})")
c.check("running as nobody" in err, "--user: reported")
with open(stats_path) as f:
    us = json.load(f)
c.check(reconciles(us) and us["flows"]["decided"]["allow"] >= 1, "--user run: classified, counters reconcile")
with open(flows_path) as f:
    fl = [json.loads(line) for line in f if line.strip()]
c.check(any(x["app"] == "wireguard" and x["verdict"] == "allow" for x in fl), "--user run: the flow log has the flow")

p = subprocess.run([TUNDRA, "run", *EAL, "--lcores", f"(0-1)@({CPUS})", "--vdev", "net_null0", "--",
                    "--control", os.path.join(tmp, "g.sock"), "--control-group", "no-such-group-here"],
                   capture_output=True, text=True, timeout=60)
c.check(p.returncode == 2 and "no such group" in p.stderr, f"unknown group refused ({p.stderr[-200:]!r})")
p = subprocess.run([TUNDRA, "run", *EAL, "--lcores", f"(0-1)@({CPUS})", "--vdev", "net_null0", "--",
                    "--user", "no-such-user-here"], capture_output=True, text=True, timeout=60)
c.check(p.returncode == 2 and "no such user" in p.stderr, f"unknown user refused ({p.stderr[-200:]!r})")
c.done()
