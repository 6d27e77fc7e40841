#!/usr/bin/env python3
"""Helpers for make-negatives.sh (Python 3 stdlib only).

  negatives.py tls-client HOST PORT COUNT SEED VERSION(1.2|1.3)
        COUNT HTTPS requests with Python's ssl module (OpenSSL), each on its
        own TCP connection: ClientHello options, SNI and ALPN vary per
        connection (seeded), one small GET, then close.
  negatives.py random-server ADDR SEED LIFETIME
        UDP sockets and TCP listeners on ADDR for every port in RANDOM_PORTS;
        answers datagrams and segments with random bytes (seeded).
  negatives.py random-client ADDR udp|tcp COUNT SEED
        COUNT flows of random bytes to the ports in RANDOM_PORTS, each on its
        own socket: 1-4 datagrams or segments of random lengths.
  negatives.py trim IN OUT
        keeps, of every TCP/UDP flow, the first 16 packets, plus later
        packets that carry payload while their direction has had fewer than
        8 payload packets (tundra's default window); drops everything that
        is not TCP/UDP over IPv4/IPv6 (ARP, neighbour discovery, ICMP).  A
        flow is a 5-tuple; a TCP SYN after a FIN or RST on the same 5-tuple
        (a reused client port) starts a new one.

Every random choice comes from random.Random(SEED), so a rerun sends the same
payload shapes and bytes in the same order (the kernel picks the client ports,
and TLS/QUIC/SSH keys are fresh every run).
"""
import os
import random
import select
import socket
import ssl
import struct
import sys
import time

# VPN ports from the issue, then the other ports tundra's classifiers know,
# then five fixed "random" ports.
VPN_PORTS = [500, 1194, 1701, 4500, 51820, 443]
OTHER_VPN_PORTS = [4501, 10000, 655, 1723, 9993, 41641]
PLAIN_PORTS = [2049, 7777, 23456, 31337, 48000]
RANDOM_PORTS = VPN_PORTS + OTHER_VPN_PORTS + PLAIN_PORTS

SNI_NAMES = ["www.example.test", "api.example.test", "static.example.test",
             "mail.example.test", "login.example.test", "cdn1.example.test",
             "img.example.test", "shop.example.test"]


# ---------------------------------------------------------------- TLS client
def cmd_tls_client(host, port, count, seed, version):
    rnd = random.Random(seed)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    ok = 0
    for i in range(count):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if version == "1.3":
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(rnd.choice([
                "ECDHE+AESGCM", "ECDHE+CHACHA20", "ECDHE-ECDSA-AES128-GCM-SHA256",
                "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA", "DEFAULT"]))
        alpn = rnd.choice([None, ["http/1.1"], ["h2", "http/1.1"]])
        if alpn:
            ctx.set_alpn_protocols(alpn)
        if rnd.random() < 0.3:
            ctx.options |= ssl.OP_NO_TICKET
        sni = rnd.choice(SNI_NAMES + [None])
        try:
            with socket.socket(fam, socket.SOCK_STREAM) as raw:
                raw.settimeout(5)
                raw.connect((host, port))
                with ctx.wrap_socket(raw, server_hostname=sni) as s:
                    path = rnd.choice(["/", "/index.html", f"/item/{rnd.randint(1, 99999)}", "/favicon.ico"])
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {sni or host}\r\n"
                              f"User-Agent: python-ssl/{i}\r\nConnection: close\r\n\r\n".encode())
                    while s.recv(4096):
                        pass
            ok += 1
        except OSError as exc:
            print(f"tls-client {host}:{port} #{i}: {exc}", file=sys.stderr)
    print(f"tls-client {host}:{port} TLS {version}: {ok}/{count} requests done", flush=True)
    return 0 if ok == count else 1


# ------------------------------------------------------------- random flows
def _rand_len(rnd):
    """Mostly short payloads (keeps the capture small), some up to 1400 bytes."""
    r = rnd.random()
    if r < 0.70:
        return rnd.randint(1, 120)
    if r < 0.96:
        return rnd.randint(121, 400)
    return rnd.randint(401, 1400)


def _rbytes(rnd, n):
    return rnd.getrandbits(8 * n).to_bytes(n, "big")


def cmd_random_server(addr, seed, lifetime):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(seed)
    udp, listeners, conns = [], [], []
    for port in RANDOM_PORTS:
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        udp.append(u)
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, port))
        t.listen(128)
        listeners.append(t)
    print(f"random-server ready on {addr}", flush=True)
    deadline = time.time() + lifetime
    while time.time() < deadline:
        r, _, _ = select.select(udp + listeners + conns, [], [], 0.5)
        for s in r:
            if s in listeners:
                c, _ = s.accept()
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conns.append(c)
            elif s in conns:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    conns.remove(s)
                    s.close()
                elif rnd.random() < 0.8:
                    try:
                        s.sendall(_rbytes(rnd, _rand_len(rnd)))
                    except OSError:
                        pass
            else:
                data, peer = s.recvfrom(65536)
                if rnd.random() < 0.5:
                    for _ in range(rnd.choice([1, 1, 1, 2])):
                        s.sendto(_rbytes(rnd, _rand_len(rnd)), peer)
    return 0


def cmd_random_client(addr, l4, count, seed):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(seed)
    done = 0
    for i in range(count):
        # 60 % of the flows go to the six VPN ports of the issue
        port = rnd.choice(VPN_PORTS) if rnd.random() < 0.6 else rnd.choice(RANDOM_PORTS)
        n = rnd.choice([1, 1, 1, 2, 2, 3, 4])
        try:
            if l4 == "udp":
                with socket.socket(fam, socket.SOCK_DGRAM) as s:
                    s.connect((addr, port))
                    for _ in range(n):
                        s.send(_rbytes(rnd, _rand_len(rnd)))
                        if select.select([s], [], [], 0.01)[0]:
                            while select.select([s], [], [], 0.002)[0]:
                                s.recv(65536)
            else:
                with socket.create_connection((addr, port), timeout=3) as s:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    for _ in range(n):
                        s.sendall(_rbytes(rnd, _rand_len(rnd)))
                        if select.select([s], [], [], 0.02)[0]:
                            s.recv(65536)
            done += 1
        except OSError as exc:
            print(f"random-client {l4} :{port} #{i}: {exc}", file=sys.stderr)
    print(f"random-client {addr} {l4}: {done}/{count} flows", flush=True)
    return 0 if done == count else 1


# --------------------------------------------------------------------- trim
FIRST_PKTS = 16   # every flow keeps its first 16 packets ...
WINDOW = 8        # ... and payload packets while its direction has had < 8


def _flow_of(frame):
    """(key, direction, has_payload, tcp_flags) of a TCP/UDP packet in an
    Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    off = 12
    et = struct.unpack("!H", frame[off:off + 2])[0]
    off += 2
    while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
        et = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    if et == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        total = struct.unpack("!H", frame[off + 2:off + 4])[0]
        if struct.unpack("!H", frame[off + 6:off + 8])[0] & 0x1FFF:
            return None
        proto = frame[off + 9]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4, end = off + ihl, off + total
    elif et == 0x86DD and len(frame) >= off + 40:
        proto = frame[off + 6]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4, end = off + 40, off + 40 + struct.unpack("!H", frame[off + 4:off + 6])[0]
    else:
        return None
    flags = 0
    if proto == 17 and end - l4 >= 8:
        plen = end - l4 - 8
    elif proto == 6 and end - l4 >= 20:
        plen = end - l4 - (frame[l4 + 12] >> 4) * 4
        flags = frame[l4 + 13]
    else:
        return None
    sp, dp = struct.unpack("!HH", frame[l4:l4 + 4])
    a, b = (src, sp), (dst, dp)
    return (proto,) + ((a, b) if a <= b else (b, a)), int(a > b), plen > 0, flags


def cmd_trim(src, dst):
    with open(src, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{src}: not a classic pcap")
    out = [buf[:24]]
    state = {}
    off, kept, total, conns = 24, 0, 0, 0
    while off + 16 <= len(buf):
        incl = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
        rec = buf[off:off + 16 + incl]
        off += 16 + incl
        total += 1
        fl = _flow_of(rec[16:])
        if fl is None:
            continue
        key, d, payload, flags = fl
        st = state.get(key)
        # a SYN after a FIN or RST on the same 5-tuple: the client reused
        # its port for a new connection, which counts from zero again
        if st is None or (flags & 0x12 == 0x02 and st[3]):
            st = state[key] = [0, 0, 0, False]  # packets, payload per direction, FIN/RST seen
            conns += 1
        if flags & 0x05:
            st[3] = True
        keep = st[0] < FIRST_PKTS or (payload and st[1 + d] < WINDOW)
        st[0] += 1
        if payload:
            st[1 + d] += 1
        if keep:
            out.append(rec)
            kept += 1
    with open(dst, "wb") as f:
        f.write(b"".join(out))
    print(f"trim {os.path.basename(src)}: kept {kept} of {total} packets, {conns} flows", flush=True)
    return 0


def main(argv):
    if len(argv) == 7 and argv[1] == "tls-client":
        return cmd_tls_client(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
    if len(argv) == 5 and argv[1] == "random-server":
        return cmd_random_server(argv[2], int(argv[3]), float(argv[4]))
    if len(argv) == 6 and argv[1] == "random-client":
        return cmd_random_client(argv[2], argv[3], int(argv[4]), int(argv[5]))
    if len(argv) == 4 and argv[1] == "trim":
        return cmd_trim(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
