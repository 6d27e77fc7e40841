#!/usr/bin/env python3
"""Traffic helpers used by make-captures.sh (Python 3 stdlib only).

Subcommands (each one bounded in count and time, and stops by itself):
  dns SERVER [SERVER...]     a few DNS queries (A, AAAA, TXT, NXDOMAIN) over UDP
  noise-server ADDR          UDP sinks + TCP listeners on ADDR for the noise client
  noise-client ADDR          random UDP datagrams and random TCP byte streams
All randomness uses a fixed seed so reruns produce the same payload shapes.
"""
import random
import select
import socket
import struct
import sys
import threading
import time

SEED = 0x7D7D

UDP_NOISE_PORTS = [51820, 1194, 5000, 443, 4500, 9999]
TCP_NOISE_PORTS = [1194, 443]


# --------------------------------------------------------------------- DNS
def _dns_query(qid, name, qtype):
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return hdr + q + struct.pack("!HH", qtype, 1)


def cmd_dns(servers):
    queries = [("www.example.test", 1), ("www.example.test", 28),
               ("example.test", 16), ("nope.example.test", 1)]
    qid = 0x1000
    failures = 0
    for server in servers:
        fam = socket.AF_INET6 if ":" in server else socket.AF_INET
        for name, qtype in queries:
            qid += 1
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.settimeout(2.0)
            try:
                s.sendto(_dns_query(qid, name, qtype), (server, 53))
                data, _ = s.recvfrom(4096)
                rid, flags, _, an = struct.unpack("!HHHH", data[:8])
                print(f"dns {server} {name} type={qtype} id={rid:#x} "
                      f"rcode={flags & 0xF} answers={an}")
                if rid != qid:
                    failures += 1
            except OSError as exc:
                print(f"dns {server} {name} type={qtype}: {exc}", file=sys.stderr)
                failures += 1
            finally:
                s.close()
            time.sleep(0.05)
    return 1 if failures else 0


# ------------------------------------------------------------------- noise
def cmd_noise_server(addr, lifetime=30.0):
    """Receive (and drop) UDP datagrams, accept TCP and answer with random bytes."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(SEED + 1)
    socks = []
    for port in UDP_NOISE_PORTS:
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        socks.append(u)
    listeners = []
    for port in TCP_NOISE_PORTS:
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, port))
        t.listen(8)
        listeners.append(t)
    print("noise-server ready", flush=True)
    conns = []
    deadline = time.time() + lifetime
    while time.time() < deadline:
        r, _, _ = select.select(socks + listeners + conns, [], [], 0.5)
        for s in r:
            if s in listeners:
                c, _ = s.accept()
                conns.append(c)
            elif s in conns:
                data = s.recv(65536)
                if not data:
                    conns.remove(s)
                    s.close()
                else:
                    s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randint(20, 300))))
            else:
                s.recvfrom(65536)
    return 0


def cmd_noise_client(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(SEED)

    def rbytes(n):
        return bytes(rnd.getrandbits(8) for _ in range(n))

    u = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    # Datagrams to the WireGuard port that look "almost" like WireGuard:
    # exact handshake sizes with random content, and the right type header
    # with the wrong length.
    shapes = [
        rbytes(148),                          # handshake-initiation size, random
        rbytes(92),                           # handshake-response size, random
        rbytes(148),
        b"\x01\x00\x00\x00" + rbytes(96),     # type 1 header, wrong length (100)
        b"\x01\x00\x00\x00" + rbytes(146),    # type 1 header, wrong length (150)
        b"\x02\x00\x00\x00" + rbytes(60),     # type 2 header, wrong length (64)
        b"\x01\x00\x00\x00",                  # header only
        rbytes(64),
        rbytes(1200),
    ]
    for d in shapes:
        u.sendto(d, (addr, 51820))
        sent += 1
        time.sleep(0.02)
    # Random datagrams to other ports, a few of them with WireGuard sizes.
    for port in UDP_NOISE_PORTS[1:]:
        for n in (148, 92, rnd.randint(20, 400), rnd.randint(20, 1400)):
            u.sendto(rbytes(n), (addr, port))
            sent += 1
            time.sleep(0.02)
    u.close()
    print(f"noise-client: sent {sent} UDP datagrams", flush=True)

    # TCP: random streams to :1194 and :443.  The first connection to each
    # port opens with a 2-byte big-endian length then 0x38 (the OpenVPN
    # P_CONTROL_HARD_RESET_CLIENT_V2 opcode byte) followed by random bytes.
    for port in TCP_NOISE_PORTS:
        firsts = []
        body = rbytes(37)
        firsts.append(struct.pack("!H", 1 + len(body)) + b"\x38" + body)  # consistent length
        firsts.append(rbytes(2) + b"\x38" + rbytes(61))                   # random length
        firsts.append(rbytes(rnd.randint(40, 600)))                       # fully random
        for first in firsts:
            t = socket.create_connection((addr, port), timeout=3)
            t.sendall(first)
            time.sleep(0.05)
            try:
                t.recv(4096)
            except OSError:
                pass
            t.sendall(rbytes(rnd.randint(50, 500)))
            time.sleep(0.05)
            try:
                t.recv(4096)
            except OSError:
                pass
            t.close()
            time.sleep(0.05)
    print("noise-client: 6 TCP connections done", flush=True)
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "dns":
        return cmd_dns(args)
    if cmd == "noise-server":
        return cmd_noise_server(args[0])
    if cmd == "noise-client":
        return cmd_noise_client(args[0])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
