#!/usr/bin/env python3
"""Traffic helpers used by make-captures.sh (Python 3 stdlib only).

Subcommands (each one bounded in count and time, and stops by itself):
  dns SERVER [SERVER...]     a few DNS queries (A, AAAA, TXT, NXDOMAIN) over UDP
  noise-server ADDR          UDP sinks + TCP listeners on ADDR for the noise client
  noise-client ADDR          random UDP datagrams and random TCP byte streams
  decoy-server ADDR          UDP sinks + TCP listeners for the decoy client
  decoy-client ADDR          random / near-miss datagrams to the IKE, L2TP and
                             tinc ports, random TCP streams to :1723 and :655
  ppp-stub [MAGIC]           stands in for pppd under pptp/pptpd: writes three
                             HDLC-framed LCP Configure-Requests to the pty/pipe
  forti-server ADDR PORT CHAIN KEY TLSMAX
                             HTTPS server answering openfortivpn's requests the way a
                             FortiGate's SSL VPN portal does (login cookie, tunnel
                             configuration, tunnel request), TLS 1.2 up to TLSMAX
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
    return _sink_server(addr, UDP_NOISE_PORTS, TCP_NOISE_PORTS, SEED + 1, lifetime, "noise-server")


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


# ------------------------------------------------------------------ decoys
DECOY_UDP_PORTS = [500, 4500, 1701, 655]
DECOY_TCP_PORTS = [1723, 655]


def cmd_decoy_server(addr):
    return _sink_server(addr, DECOY_UDP_PORTS, DECOY_TCP_PORTS, SEED + 3, name="decoy-server")


def _sink_server(addr, udp_ports, tcp_ports, seed, lifetime=30.0, name="sink-server"):
    """Drops UDP datagrams, accepts TCP and answers each segment with random bytes, for lifetime s."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(seed)
    socks, listeners, conns = [], [], []
    for port in udp_ports:
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        socks.append(u)
    for port in tcp_ports:
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((addr, port))
        t.listen(8)
        listeners.append(t)
    print(f"{name} ready", flush=True)
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


def cmd_decoy_client(addr, mode="both"):
    """Datagrams that must not be taken for IKE, L2TP or tinc (mode udp), and
    TCP streams that must not be taken for PPTP or tinc (mode tcp)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    rnd = random.Random(SEED + 2)

    def rbytes(n):
        return bytes(rnd.getrandbits(8) for _ in range(n))

    def ike_hdr(version, exch, length_field, body_len):
        # initiator SPI (random), responder SPI 0, next payload SA (33),
        # version, exchange type, flags (initiator), message id 0, length
        return (rbytes(8) + b"\x00" * 8 + bytes([33, version, exch, 0x08]) +
                b"\x00\x00\x00\x00" + struct.pack("!I", length_field) + rbytes(body_len))

    u = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    shapes = {
        500: [
            rbytes(28), rbytes(300), rbytes(rnd.randint(20, 800)),
            ike_hdr(0x20, 34, 1000, 200),   # IKEv2 IKE_SA_INIT header, length says 1000, is 228
            ike_hdr(0x20, 34, 16, 300),     # length field smaller than the header
            ike_hdr(0x10, 2, 0xFFFFFFFF, 100),  # IKEv1 main mode header, absurd length
            rbytes(17) + b"\x20" + rbytes(200),  # version byte 0x20 at offset 17, rest random
        ],
        4500: [
            rbytes(100), b"\x00\x00\x00\x00" + rbytes(200),  # non-ESP marker + random
            b"\x00\x00\x00\x00" + ike_hdr(0x20, 35, 400, 100),  # marker + IKE_AUTH hdr, wrong length
            b"\xff", rbytes(rnd.randint(20, 1400)),  # a lone NAT-keepalive byte, then random
        ],
        1701: [
            rbytes(12), rbytes(rnd.randint(20, 600)),
            b"\xc8\x02" + struct.pack("!H", 500) + rbytes(60),  # L2TP control flags, wrong length
            b"\x02\x02" + rbytes(40),                           # data-message flags, random body
        ],
        655: [rbytes(100), rbytes(1156), rbytes(rnd.randint(20, 1400)), rbytes(12)],
    }
    for port in DECOY_UDP_PORTS:
        for d in shapes[port]:
            if mode != "tcp":
                u.sendto(d, (addr, port))
                sent += 1
                time.sleep(0.02)
    u.close()
    if mode == "udp":
        print(f"decoy-client: sent {sent} UDP datagrams", flush=True)
        return 0

    nconn = 0
    for port in DECOY_TCP_PORTS:
        firsts = [rbytes(156), rbytes(rnd.randint(10, 600))]
        if port == 1723:
            # length 156, message type 1, magic cookie, but control type 99
            firsts.append(struct.pack("!HHIHH", 156, 1, 0x1A2B3C4D, 99, 0) + rbytes(144))
        else:
            firsts.append(b"0 " + rbytes(30))  # starts like a tinc ID request, then random
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
            nconn += 1
            time.sleep(0.05)
    print(f"decoy-client: {nconn} TCP connections done", flush=True)
    return 0


# ---------------------------------------------------------------- ppp stub
def _fcs16(data):
    fcs = 0xFFFF
    for b in data:
        fcs ^= b
        for _ in range(8):
            fcs = (fcs >> 1) ^ 0x8408 if fcs & 1 else fcs >> 1
    return fcs ^ 0xFFFF


def _hdlc(frame):
    """RFC 1662 async HDLC framing with the default ACCM (escape 0x00-0x1f)."""
    f = frame + struct.pack("<H", _fcs16(frame))
    out = bytearray(b"\x7e")
    for b in f:
        if b in (0x7E, 0x7D) or b < 0x20:
            out += bytes([0x7D, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out + b"\x7e")


def cmd_ppp_stub(args):
    """Stand-in for pppd (there is no /dev/ppp here): writes three LCP
    Configure-Requests (magic number, MRU 1500), one a second, to the pty
    (pptpd) or to stdout (pptp --nolaunchpppd), and drains what comes back."""
    import os
    magic = int(args[0], 16) if args else 0x7D7D0001
    out = 1
    if os.isatty(0):
        import tty
        tty.setraw(0)
        out = 0
    eof = False
    for ident in (1, 2, 3):
        opts = b"\x05\x06" + struct.pack("!I", magic) + b"\x01\x04\x05\xdc"
        lcp = struct.pack("!BBH", 1, ident, 4 + len(opts)) + opts
        frame = _hdlc(b"\xff\x03\xc0\x21" + lcp)
        for _ in range(30):  # the pty may not be ready at once
            try:
                os.write(out, frame)
                break
            except OSError:
                time.sleep(0.1)
        end = time.time() + 1.0
        while time.time() < end:
            if eof:
                time.sleep(end - time.time())
                break
            r, _, _ = select.select([0], [], [], max(0.0, end - time.time()))
            if r:
                try:
                    eof = not os.read(0, 4096)
                except OSError:
                    eof = True
    time.sleep(1.0)
    return 0


# ------------------------------------------------------------ FortiGate
FORTI_XML = (b"<?xml version='1.0' encoding='utf-8'?><sslvpn-tunnel ver='2' dtls='0' patch='1'>"
             b"<tunnel-method value='ppp'/><fos platform='FG60F' major='7' minor='0' patch='12'/>"
             b"<client-config save-password='off' keep-alive='off' auto-connect='off'/>"
             b"<ipv4><assigned-addr ipv4='10.71.0.10'/><split-tunnel-info>"
             b"<addr ip='10.71.0.0' mask='255.255.255.0'/></split-tunnel-info></ipv4>"
             b"<idle-timeout val='300'/><auth-timeout val='28800'/></sslvpn-tunnel>")


def _forti_conn(conn, log):
    """One TLS connection: HTTP/1.1 requests until the client closes or asks for the tunnel."""
    buf = b""
    conn.settimeout(10.0)
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            clen = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    clen = int(line.split(":", 1)[1])
            while len(buf) < clen:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
            buf = buf[clen:]
            log(f"{method} {target}")
            path = target.split("?")[0]
            extra = b""
            body = b"<html><body></body></html>"
            if path == "/remote/logincheck":
                extra = b"Set-Cookie: SVPNCOOKIE=" + b"7d" * 32 + b"; path=/; secure; httponly\r\n"
                body = b"ret=1,redir=/remote/fortisslvpn_xml"
            elif path == "/remote/fortisslvpn_xml":
                body = FORTI_XML
            elif path == "/remote/sslvpn-tunnel":
                # a FortiGate answers no HTTP here: PPP follows on this connection
                while conn.recv(4096):
                    pass
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nServer: xxxxxxxx-xxxxx\r\n" + extra +
                         b"Content-Type: text/html; charset=utf-8\r\nContent-Length: " +
                         str(len(body)).encode() + b"\r\n\r\n" + body)
    except (OSError, ValueError) as e:
        log(f"connection: {e}")
    finally:
        conn.close()


def cmd_forti_server(addr, port, chain, key, tlsmax, lifetime=30.0):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tlsmax]
    ctx.load_cert_chain(chain, key)
    lock = threading.Lock()

    def log(msg):
        with lock:
            print(msg, flush=True)

    srv = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(8)
    srv.settimeout(0.5)
    print("ready", flush=True)
    end = time.time() + lifetime
    while time.time() < end:
        try:
            raw, peer = srv.accept()
        except socket.timeout:
            continue
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log(f"TLS handshake with {peer}: {e}")
            raw.close()
            continue
        log(f"TLS {conn.version()} {conn.cipher()[0]} from {peer[0]}")
        threading.Thread(target=_forti_conn, args=(conn, log), daemon=True).start()
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
    if cmd == "decoy-server":
        return cmd_decoy_server(args[0])
    if cmd == "decoy-client":
        return cmd_decoy_client(*args[:2])
    if cmd == "ppp-stub":
        return cmd_ppp_stub(args)
    if cmd == "forti-server":
        return cmd_forti_server(*args[:5])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
