/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SoftEther VPN classifier: the cleartext HTTP signature upload (TCP), the
 * "VPN over DNS" transport (UDP), the "VPN over ICMP" transport (IP
 * protocol 1) and the UDP acceleration channel (UDP). Owns its patterns and
 * validator.
 *
 * 1. TCP, cleartext HTTP (SoftEther VPN source, Cedar/Protocol.c
 * ClientUploadSignature/ServerDownloadSignature, Cedar/Connection.h): the
 * native protocol starts TLS first (ports 443/992/1194/5555), then the
 * client sends
 *   POST /vpnsvc/connect.cgi HTTP/1.1, Content-Type: image/jpeg,
 *   body = the fixed "watermark" (a GIF89a image) + random padding,
 * and the server answers with a PACK (SoftEther's key/value serialisation)
 * holding "hello" random bytes -- all inside TLS. The ClientHello comes from
 * SoftEther's OpenSSL (in ../pcaps/softether.pcap: TLS 1.3, OpenSSL's
 * default JA4 t13d310900_..., SNI = the server's IP literal) and the server
 * certificate is self-signed with an administrator-chosen name, encrypted
 * under TLS 1.3: nothing SoftEther-specific outside TLS (known miss). What
 * is recognised: the signature upload in clear, i.e. where TLS is
 * terminated upstream of the server. The protocols SoftEther also serves
 * (OpenVPN, L2TP/IPsec, SSTP) are decided by their own classifiers.
 *
 * 2. UDP, "VPN over DNS" (R-UDP with RUDP_PROTOCOL_DNS; SoftEther source
 * Mayaqua/Network.c RUDPMainThread, RUDPSendSegmentNow, RUDPInterruptProc,
 * RUDPRecvProc; Network.h). The client sends every R-UDP message to the
 * server's UDP port 53 wrapped in a DNS query. Seen in softether.pcap
 * (SoftEther 5.01.9674, Debian 12): six datagrams 198.19.0.2:60038 ->
 * 198.19.0.1:53, 0.25 ms apart, every one answered by an ICMP port
 * unreachable (the server did not serve VPN over DNS). All six have, at
 * these UDP payload offsets:
 *     0  ID (2): b0cb 1636 2ecf 8cab 2f60 5c44 (source: Rand16() % 65535 + 1,
 *        a fresh one per datagram, never 0)
 *     2  flags 01 00 (RD only), QDCOUNT 00 01, ANCOUNT 00 00, NSCOUNT
 *        00 00, ARCOUNT 00 01
 *    12  QNAME: one label, length 08, 8 lower-case hex digits, then the
 *        root 00: "aa407808" "56a2e905" "9ff8b724" "b8af9cef" "a7a99bc7"
 *        "4d2899b9" (source: 4 random bytes through BinToStr + StrLower;
 *        no dots, no zone)
 *    22  QTYPE 00 30 (DNSKEY), 24: QCLASS 00 01 (IN)
 *    26  one OPT record: owner 00 (root), 27: TYPE 00 29, 29: CLASS 10 00
 *        (UDP size 4096), 31: TTL 00 00 80 00 (extended RCODE 0, version
 *        0, DO set, other flags 0), 35: RDLENGTH
 *    37  RDATA = the R-UDP message; RDLENGTH = datagram length - 37
 *        exactly: 170, 243, 77, 298, 135, 39.
 *   Bytes 2..34 except the name are the source's two constant arrays
 *   dns_query_header_1/_2 (25 fixed bytes). Contrary to what one might
 *   expect (tunnel bytes "beyond the records the counts declare"), no byte
 *   lies outside the declared records: the tunnel data IS the OPT RDATA, and the
 *   OPT record ends exactly at the end of the datagram. What no DNS
 *   implementation sends is that RDATA: RFC 6891 §6.1.2 makes it a list of
 *   {code(2), length(2), data} options that ends exactly at RDLENGTH, and
 *   here the first "option length" already runs past it (40155, 30491,
 *   19131, 48032, 40628, 35194 against RDLENGTH 170..39).
 *   The R-UDP message itself (RUDPSendSegmentNow): SHA-1 signature XORed
 *   with the hash of the service name (20), IV (20), then encrypted ticks,
 *   acks, sequence number, data and 1..255 padding bytes: 77 bytes at the
 *   least; the connection request (RUDPInterruptProc, resent every
 *   RUDP_RESEND_TIMER = 200 ms until the server answers) is Key_Init (20)
 *   + 19 random bytes = 39 bytes; RUDP_MAX_PACKET_SIZE is 1355. So the
 *   RDATA is 39..1355 bytes. Also observed, not used: each data message's
 *   IV (RDATA[20..40)) is 20 bytes copied from the previous message at a
 *   random offset (found at offsets 40, 18, 33, 212 of the previous RDATA),
 *   as the source's "Next IV" says; losses and the connection requests
 *   (which have no IV) break that chain, so it is not required.
 *   The server (source only; no capture has one answering) replies with a
 *   DNS response: ID = the ID of the query that opened the R-UDP session
 *   (the connection request; se->Dns_TranId), 81 80 00 01 00 01 00 00 00
 *   00 08, 8 lower-case hex digits (its own random name, NOT the query's),
 *   00 00 30 00 01, an answer c0 0c 00 30 00 01 with TTL 43200..86399
 *   (Rand16() % 43200 + 43200) and RDLENGTH = 4 + message, DNSKEY RDATA
 *   flags 01 00, protocol 03, algorithm 08, then the R-UDP message (offset
 *   42).
 *
 * 3. ICMP, "VPN over ICMP" (R-UDP with RUDP_PROTOCOL_ICMP; same source
 * functions). The engine hands IP protocols other than TCP/UDP to the
 * classifiers as CLS_IP with the bytes after the IP header, so an ICMP
 * flow (all ICMP between two hosts, no ports) is inspected like ESP/GRE.
 * Every R-UDP message goes in one ICMP message: the client's are echo
 * replies (type 0), now and then an echo request with 64..127 random bytes
 * (type 8) and, for the connection request, the same bytes as an echo
 * reply and an information request (type 15); the server answers with the
 * client's type, or 16 for 15. Seen in softether.pcap: nine
 * messages 198.19.0.2 -> 198.19.0.1 and the server kernel's echo reply to
 * the echo request, at these ICMP offsets:
 *     0  type 0 (x6, and the kernel's reply), 8 (x1), 15 (x1); code 0
 *     2  checksum
 *     4  identifier 18 ac, sequence number d7 cb: the same in all ten
 *        (source: the client's fixed Client_IcmpId = SHA-1(its pid)[0..2)
 *        and Client_IcmpSeqNo, random once; the server copies them back)
 *     8  SHA-1 of bytes 28..end -- it holds in all ten
 *    28  the R-UDP message: 77, 207, 291, 290, 151 bytes (data), 114 (the
 *        echo request's random bytes), 39 and 39 (the connection request,
 *        identical bytes as type 0 and type 15).
 *   The message IVs chain as on DNS (found at offsets 24, 124, 218, 103 of
 *   the previous message); not used, for the same reasons.
 *
 * 4. UDP, UDP acceleration (Cedar/UdpAccel.c UdpAccelSend,
 * UdpAccelProcessRecvPacket; the keys, cookies and ports are exchanged in
 * the TLS session). Each side sends its datagrams from its own UDP socket
 * (the server's port from vpnserver's range 40000.., the first free one;
 * the client's random) to the other's; every datagram is encrypted, with no
 * fixed byte: no pattern can find it, so the classifier is a candidate for
 * every UDP payload no pattern matched (any_l4), offered last (priority
 * 170, after every other classifier). What is visible is how each side
 * chains its IVs:
 *   version 2 (ChaCha20-Poly1305, SoftEther 5.x): nonce (12) + ciphertext
 *       of {cookie 4, my tick 8, your tick 8, size 2, flag 1, data,
 *       padding} + tag (16), >= 51 bytes; the next datagram's nonce is the
 *       first 12 bytes of this one's ciphertext (`Copy(a->NextIv_V2, inner,
 *       12)`): datagram N+1 bytes 0..11 = datagram N bytes 12..23;
 *   version 1 (RC4 + SHA-1, SoftEther 4.x): IV (20) + RC4 of {the same
 *       fields, padding, 20 zero bytes}, >= 63 bytes; the next IV is the
 *       last 20 bytes (the encrypted zeros): datagram N+1 bytes 0..19 =
 *       datagram N's last 20 bytes.
 *   Seen in softether-udpaccel.pcap (5.01.9674, version 2): all 35
 *   datagrams chain in their own direction, 53..172 bytes; the keepalives
 *   come from both sides about once a second, so each side chains within
 *   its first two datagrams. The chain is a property of one side's stream:
 *   either side alone shows it, and neither shows which end serves (both
 *   send first, to ports the TLS session named): the ends are peers
 *   (peer_checks), no server named.
 *
 * Decisions (never from the port: port 53 is not required, nor enough):
 *   LIKELY "cleartext-post-vpnsvc-connect-cgi-image-jpeg": at stream offset
 *       0 an HTTP/1.x `POST /vpnsvc/connect.cgi` (or /vpnsvc/vpn.cgi) with
 *       a Content-Type: image/jpeg header in the same segment.
 *   LIKELY "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata": two
 *       SoftEther queries (every byte above: the 25 fixed bytes, the 8-hex
 *       single label, ID != 0, RDLENGTH = the rest of the datagram and
 *       39..1355, RDATA not a well-formed option list) from the same side,
 *       the second with a different name (SoftEther draws a new one per
 *       message; a resolver's retransmission repeats its name). One query
 *       is CLS_MORE.
 *   CONFIRMED "over-dns-dnskey-query+dnskey-reply-tranid-echo": a query,
 *       then from the other side the SoftEther response above whose ID is
 *       that query's ID (the server echoes the transaction id).
 *   While owning a DNS flow, the other side's other datagrams (a real DNS
 *   server's error answer) are ignored; a datagram of the querying side
 *   that is not a SoftEther query, or repeats the first query's name, is NO.
 *   LIKELY "over-icmp-two-messages-sha1-of-payload-fixed-id-seq": two ICMP
 *       messages from the same side, each of type 0, 8, 15 or 16, code 0,
 *       39..1355 bytes after the digest, with the SHA-1 of those bytes at
 *       offset 8, and the same identifier and sequence number. One is
 *       CLS_MORE; while owned, other ICMP (port unreachables, ordinary
 *       pings between the same hosts, the other side) is ignored. Not
 *       CONFIRMED from the other side: the kernel's echo reply to the
 *       client's echo request copies its valid digest, so a valid digest
 *       coming back does not show that a SoftEther server answered.
 *
 *   LIKELY "udp-accel-v2-one-dir-nonce-chain", "udp-accel-v1-one-dir-iv-chain":
 *       a datagram of 51..1472 bytes (version 1: >= 63), then the same
 *       side's next datagram starting with its predicted nonce (v2: the 12
 *       bytes, v1: the first 8 of the 20, all the state has room for). Both
 *       the predicted bytes and the datagram's own head must be varied
 *       (cls_bytes_varied: no byte value more than twice) and differ from
 *       each other. The other side's datagrams are ignored while waiting;
 *       a next datagram that does not chain gives the flow up (CLS_NO; the
 *       next one starts again).
 *
 * False positives (UDP acceleration). Random datagrams chain with
 * probability 2^-96 (v2) or 2^-64 (v1) per pair; structured traffic that
 * repeats (zero fill, a constant byte, text, identical keepalives) fails
 * the varied/differ tests before it is compared: a stream of identical
 * datagrams would need its own head equal to its bytes 12..23 (or its
 * tail), which those tests refuse. What would pass: a sender whose every
 * datagram starts with random-looking bytes copied from its previous
 * datagram at offset 12 (or from its end), which no protocol seen in the
 * negative set or the wild corpus does. Cost: every UDP flow no other
 * classifier claims is owned for its first datagrams (until the first
 * sender's second one), which hides nothing from the others: they were
 * offered those datagrams first.
 *
 * False positives (DNS). Random payloads: the pattern alone fixes 25 bytes
 * and 8 characters to 16 of 256 values: 2^-232 per datagram, and a decision
 * needs two (or a reply with 26 fixed bytes and the echoed ID): far below
 * 1e-9 per flow. Real DNS never passes, on four independent grounds: (1) the name is
 * a single label of exactly 8 hex digits -- a DNSKEY query is for a zone,
 * and no TLD is 8 hex digits (the root's DNSKEY is asked with QNAME ".",
 * any other zone has a dot); (2) the OPT RDATA is not an option list,
 * which every RFC 6891 sender emits; (3) it is 39 bytes or more with the
 * record ending at the datagram end (dig's COOKIE is 12 bytes, a resolver's
 * query usually has none); (4) two such queries with different names in one
 * flow. The header is also unusual for resolvers and tools: RD alone (dig
 * sets AD, validating resolvers ask authorities with RD clear), UDP size
 * 4096 (dig and BIND/Unbound now send 1232). pcaps/dns.pcap and the DNS of
 * nDPI's wild corpus (suite wild) decide nothing; its DNSKEY queries (e.g.
 * Google's resolvers asking "weberlab.de", RD clear, CD set) already fail
 * on the name and the flags.
 *
 * False positives (ICMP). A message passes only if 20 bytes equal the
 * SHA-1 of the rest: 2^-160 for random bytes, so two are < 2^-320 per
 * flow. Ordinary pings never carry it (Linux: a timestamp then bytes 0x10,
 * 0x11, ...; Windows: "abcdefghijklmnopqrstuvwabcdefghi"), and their
 * sequence number grows per request. A fixed identifier/sequence number
 * alone is not enough: ICMP tunnels such as the one in the wild corpus's
 * icmp-tunnel.pcap (id 65279, seq 0, IP packets inside) keep them fixed
 * too, and stay unknown because they carry no digest. The pattern makes
 * every echo/information message of 67 bytes or more a candidate, so the
 * digest is computed only on those, at most 1355 bytes, within the window.
 */
#include "classifier.h"
#include "cls_sha1.h"
#include "cls_util.h"

/* R-UDP message sizes (Network.h): the 39-byte connection request .. RUDP_MAX_PACKET_SIZE. */
#define SE_RUDP_MIN 39u
#define SE_RUDP_MAX 1355u

/* VPN over DNS: the client's query, the server's response (see above). */
#define SE_DNSQ_ID 0u
#define SE_DNSQ_HDR1 2u      /* flags, counts, label length: 11 fixed bytes */
#define SE_DNS_NAME 13u      /* 8 lower-case hex digits, both directions */
#define SE_DNS_NAME_LEN 8u
#define SE_DNSQ_HDR2 21u     /* root, QTYPE, QCLASS, OPT owner/type/class/TTL: 14 fixed bytes */
#define SE_DNSQ_RDLEN 35u
#define SE_DNSQ_DATA 37u
#define SE_DNSR_HDR2 21u     /* root, QTYPE, QCLASS, answer ptr/type/class: 11 fixed bytes */
#define SE_DNSR_TTL 32u
#define SE_DNSR_RDLEN 36u
#define SE_DNSR_KEY 38u      /* DNSKEY flags, protocol, algorithm: 4 fixed bytes */
#define SE_DNSR_DATA 42u
#define SE_DNSR_TTL_MIN 43200u
#define SE_DNSR_TTL_MAX 86399u

/* VPN over ICMP: type, code, checksum, identifier + sequence number, SHA-1 of the message, message. */
#define SE_ICMP_PROTO 1u
#define SE_ICMP_IDSEQ 4u
#define SE_ICMP_DIGEST 8u
#define SE_ICMP_DATA (SE_ICMP_DIGEST + CLS_SHA1_LEN)

static const uint8_t se_dnsq_hdr1[] = { 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08 };
static const uint8_t se_dnsq_hdr2[] = { 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00,
					0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00 };
static const uint8_t se_dnsr_hdr1[] = { 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08 };
static const uint8_t se_dnsr_hdr2[] = { 0x00, 0x00, 0x30, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x30, 0x00, 0x01 };
static const uint8_t se_dnsr_key[] = { 0x01, 0x00, 0x03, 0x08 };

/* UDP acceleration (see the header): sizes and the chained bytes. */
#define SE_UA_MIN_V2 51u     /* nonce 12 + cookie, ticks, size, flag 23 + tag 16 */
#define SE_UA_MIN_V1 63u     /* IV 20 + 23 + 20 zero bytes */
#define SE_UA_MAX 1472u      /* a 1500-byte IPv4 packet */
#define SE_UA_NONCE_V2 12u   /* v2: next nonce = bytes 12..23 */
#define SE_UA_IV_V1 20u      /* v1: next IV = the last 20 bytes */
#define SE_UA_KEPT_V1 8u     /* v1: of those, the first 8 are kept */

enum se_step { SE_ST_DNS = 1, SE_ST_ICMP = 2, SE_ST_UDP_ACCEL = 3 };

struct se_state {
	uint8_t step;        /* enum se_step */
	uint8_t id[2];       /* DNS: first query's ID, as sent */
	uint8_t ua;          /* UDP acceleration: which predictions hold (SE_UA_HAVE_*) */
	union {
		struct {
			uint32_t name;   /* DNS: first query's name, as a 32-bit value */
			uint32_t idseq;  /* ICMP: first message's identifier + sequence number */
		} d;
		/* UDP acceleration: the v2 nonce, then the v1 IV's first bytes, the next datagram must start with */
		uint8_t next[SE_UA_NONCE_V2 + SE_UA_KEPT_V1];
	} u;
};
#define SE_UA_HAVE_V2 0x1u
#define SE_UA_HAVE_V1 0x2u
CLS_STATE_FITS(struct se_state);

static struct cls_verdict
se_http(const struct cls_pkt *pkt)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, eol;

	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-tcp-stream-start");
	if (!cls_str_at(p, n, 0, "POST /vpnsvc/connect.cgi ") &&
	    !cls_str_at(p, n, 0, "POST /vpnsvc/vpn.cgi "))
		return cls_ret(CLS_NO, "not-vpnsvc-post");
	eol = cls_http_request_line(p, n, 128);
	if (eol == 0)
		return cls_ret(CLS_NO, "vpnsvc-request-line-malformed");
	if (cls_find(p, n, eol, n, "\r\nContent-Type: image/jpeg\r\n") == UINT32_MAX)
		return cls_ret(CLS_NO, "vpnsvc-post-without-image-jpeg");
	return cls_ret_server(CLS_LIKELY, "cleartext-post-vpnsvc-connect-cgi-image-jpeg", pkt->dir ^ 1u);
}

/* The 8 lower-case hex digits at SE_DNS_NAME as a 32-bit value; false when not. */
static bool
se_hex_label(const uint8_t *p, uint32_t n, uint32_t *v)
{
	uint32_t i, x = 0;

	if (!cls_has(n, SE_DNS_NAME, SE_DNS_NAME_LEN))
		return false;
	for (i = 0; i < SE_DNS_NAME_LEN; i++) {
		uint8_t c = p[SE_DNS_NAME + i];

		if (c >= '0' && c <= '9')
			x = x << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = x << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	*v = x;
	return true;
}

/* True when p[off..end) is a well-formed EDNS option list (RFC 6891 §6.1.2). */
static bool
se_edns_options_ok(const uint8_t *p, uint32_t off, uint32_t end)
{
	uint16_t olen;

	while (off < end) {
		if (!cls_be16(p, end, off + 2, &olen))
			return false;
		off += 4u + olen;
	}
	return off == end;
}

/* A SoftEther VPN-over-DNS query (see the header); *name = its label's value. */
static bool
se_dns_query(const uint8_t *p, uint32_t n, uint32_t *name)
{
	uint16_t rdlen;

	return cls_bytes_eq(p, n, SE_DNSQ_HDR1, se_dnsq_hdr1, sizeof(se_dnsq_hdr1)) &&
	       se_hex_label(p, n, name) &&
	       cls_bytes_eq(p, n, SE_DNSQ_HDR2, se_dnsq_hdr2, sizeof(se_dnsq_hdr2)) &&
	       cls_be16(p, n, SE_DNSQ_RDLEN, &rdlen) && (p[0] | p[1]) != 0 &&
	       rdlen == n - SE_DNSQ_DATA && rdlen >= SE_RUDP_MIN && rdlen <= SE_RUDP_MAX &&
	       !se_edns_options_ok(p, SE_DNSQ_DATA, n);
}

/* A SoftEther VPN-over-DNS response (see the header). */
static bool
se_dns_reply(const uint8_t *p, uint32_t n)
{
	uint32_t name, ttl;
	uint16_t rdlen;

	return cls_bytes_eq(p, n, SE_DNSQ_HDR1, se_dnsr_hdr1, sizeof(se_dnsr_hdr1)) &&
	       se_hex_label(p, n, &name) &&
	       cls_bytes_eq(p, n, SE_DNSR_HDR2, se_dnsr_hdr2, sizeof(se_dnsr_hdr2)) &&
	       cls_be32(p, n, SE_DNSR_TTL, &ttl) && ttl >= SE_DNSR_TTL_MIN && ttl <= SE_DNSR_TTL_MAX &&
	       cls_be16(p, n, SE_DNSR_RDLEN, &rdlen) && rdlen == n - SE_DNSR_KEY &&
	       cls_bytes_eq(p, n, SE_DNSR_KEY, se_dnsr_key, sizeof(se_dnsr_key)) &&
	       n - SE_DNSR_DATA >= SE_RUDP_MIN && n - SE_DNSR_DATA <= SE_RUDP_MAX;
}

static const char se_ua_v2[] = "udp-accel-v2-one-dir-nonce-chain";
static const char se_ua_v1[] = "udp-accel-v1-one-dir-iv-chain";

/*
 * UDP acceleration (see the header): the first datagram says what the same
 * side's next must start with; the next one chains, or the flow is given up.
 */
static struct cls_verdict
se_udp_accel(const struct cls_pkt *pkt, struct se_state *s, bool owned)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len;
	uint8_t have = 0;

	if (owned && pkt->dir != pkt->first_dir)
		return cls_ret(CLS_MORE, "udp-accel-other-side-ignored");
	if (n < SE_UA_MIN_V2 || n > SE_UA_MAX)
		return cls_ret(CLS_NO, owned ? "udp-accel-next-datagram-size" : "not-softether-udp-datagram");
	if (owned) {
		if ((s->ua & SE_UA_HAVE_V2) && cls_bytes_eq(p, n, 0, s->u.next, SE_UA_NONCE_V2) &&
		    !cls_bytes_eq(p, n, SE_UA_NONCE_V2, p, SE_UA_NONCE_V2))
			return cls_ret(CLS_LIKELY, se_ua_v2);
		if ((s->ua & SE_UA_HAVE_V1) && n >= SE_UA_MIN_V1 &&
		    cls_bytes_eq(p, n, 0, s->u.next + SE_UA_NONCE_V2, SE_UA_KEPT_V1) &&
		    !cls_bytes_eq(p, n, n - SE_UA_IV_V1, p, SE_UA_KEPT_V1))
			return cls_ret(CLS_LIKELY, se_ua_v1);
		return cls_ret(CLS_NO, "udp-accel-next-datagram-not-chained");
	}
	/* The predictions: varied bytes, different from the datagram's own head. */
	if (cls_bytes_varied(p, n, 0, SE_UA_NONCE_V2) && cls_bytes_varied(p, n, SE_UA_NONCE_V2, SE_UA_NONCE_V2) &&
	    !cls_bytes_eq(p, n, SE_UA_NONCE_V2, p, SE_UA_NONCE_V2)) {
		memcpy(s->u.next, p + SE_UA_NONCE_V2, SE_UA_NONCE_V2);
		have |= SE_UA_HAVE_V2;
	}
	if (n >= SE_UA_MIN_V1 && cls_bytes_varied(p, n, 0, SE_UA_KEPT_V1) &&
	    cls_bytes_varied(p, n, n - SE_UA_IV_V1, SE_UA_KEPT_V1) &&
	    !cls_bytes_eq(p, n, n - SE_UA_IV_V1, p, SE_UA_KEPT_V1)) {
		memcpy(s->u.next + SE_UA_NONCE_V2, p + n - SE_UA_IV_V1, SE_UA_KEPT_V1);
		have |= SE_UA_HAVE_V1;
	}
	if (have == 0)
		return cls_ret(CLS_NO, "not-softether-udp-datagram-not-random");
	s->step = SE_ST_UDP_ACCEL;
	s->ua = have;
	return cls_ret(CLS_MORE, "udp-accel-datagram-await-chained-next");
}

/* The client's VPN-over-DNS query (first), or what follows it (owned). */
static struct cls_verdict
se_dns(const struct cls_pkt *pkt, struct se_state *s, bool owned)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, name;
	bool query = se_dns_query(p, n, &name);

	if (!owned) {
		if (!query)
			return se_udp_accel(pkt, s, false);
		s->step = SE_ST_DNS;
		memcpy(s->id, p + SE_DNSQ_ID, 2);
		s->u.d.name = name;
		return cls_ret(CLS_MORE, "over-dns-dnskey-query");
	}
	if (s->step == SE_ST_UDP_ACCEL)
		return se_udp_accel(pkt, s, true);
	if (s->step != SE_ST_DNS)
		return cls_ret(CLS_NO, "bad-state");
	if (pkt->dir != pkt->first_dir) {
		if (se_dns_reply(p, n) && memcmp(p, s->id, 2) == 0)
			return cls_ret_server(CLS_CONFIRMED, "over-dns-dnskey-query+dnskey-reply-tranid-echo", pkt->dir);
		return cls_ret(CLS_MORE, "over-dns-other-side-ignored");
	}
	if (!query)
		return cls_ret(CLS_NO, "not-softether-dns-query");
	if (name == s->u.d.name)
		return cls_ret(CLS_NO, "over-dns-query-name-repeated");
	return cls_ret_server(CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", pkt->dir ^ 1u);
}

/* A SoftEther VPN-over-ICMP message (see the header). */
static bool
se_icmp_msg(const uint8_t *p, uint32_t n)
{
	uint8_t digest[CLS_SHA1_LEN];

	if (n < SE_ICMP_DATA + SE_RUDP_MIN || n - SE_ICMP_DATA > SE_RUDP_MAX)
		return false;
	if ((p[0] != 0 && p[0] != 8 && p[0] != 15 && p[0] != 16) || p[1] != 0)
		return false;
	cls_sha1(p + SE_ICMP_DATA, n - SE_ICMP_DATA, digest);
	return memcmp(digest, p + SE_ICMP_DIGEST, CLS_SHA1_LEN) == 0;
}

static struct cls_verdict
se_icmp(const struct cls_pkt *pkt, struct se_state *s, bool owned)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, idseq;
	bool msg;

	if (pkt->ip_proto != SE_ICMP_PROTO)
		return cls_ret(CLS_NO, "not-icmp");
	msg = se_icmp_msg(p, n) && cls_be32(p, n, SE_ICMP_IDSEQ, &idseq);
	if (!owned) {
		if (!msg)
			return cls_ret(CLS_NO, "not-softether-icmp-message");
		s->step = SE_ST_ICMP;
		s->u.d.idseq = idseq;
		return cls_ret(CLS_MORE, "over-icmp-message-sha1-of-payload");
	}
	if (s->step != SE_ST_ICMP)
		return cls_ret(CLS_NO, "bad-state");
	if (msg && pkt->dir == pkt->first_dir && idseq == s->u.d.idseq)
		return cls_ret(CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq");
	return cls_ret(CLS_MORE, "over-icmp-other-packet-ignored");
}

static struct cls_verdict
se_payload(const struct cls_pkt *pkt, void *st, bool owned)
{
	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "no-payload");
	if (pkt->l4 == CLS_TCP)
		return se_http(pkt);
	if (pkt->l4 == CLS_UDP)
		return se_dns(pkt, st, owned);
	if (pkt->l4 == CLS_IP)
		return se_icmp(pkt, st, owned);
	return cls_ret(CLS_NO, "not-softether-transport");
}

static struct cls_verdict
se_first(const struct cls_pkt *pkt, void *st)
{
	return se_payload(pkt, st, false);
}

static struct cls_verdict
se_owned(const struct cls_pkt *pkt, void *st)
{
	return se_payload(pkt, st, true);
}

/* Decisions of UDP acceleration: its chains do not show which end serves. */
static const char *const se_peer_checks[] = { se_ua_v2, se_ua_v1, NULL };

static const struct cls_pattern se_patterns[] = {
	{ "^POST /vpnsvc/(connect|vpn)\\.cgi ", CLS_TCP, "softether-vpnsvc-cleartext" },
	/* ID, flags/counts, 8-hex label, DNSKEY IN, OPT 4096 DO: 35 bytes, 33 of them fixed or hex */
	{ "^..\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x01\\x08[0-9a-f]{8}"
	  "\\x00\\x00\\x30\\x00\\x01\\x00\\x00\\x29\\x10\\x00\\x00\\x00\\x80\\x00",
	  CLS_UDP, "softether-over-dns-dnskey-query" },
	/* ICMP echo reply/request, information request/reply, code 0, >= 8 + 20 + 39 bytes */
	{ "^[\\x00\\x08\\x0f\\x10]\\x00.{65}", CLS_IP, "softether-over-icmp-message" },
};

const struct classifier cls_softether = {
	.name = "softether",
	/* Last of all: its UDP acceleration makes it a candidate for any datagram (any_l4). */
	.priority = 170,
	.patterns = se_patterns,
	.n_patterns = sizeof(se_patterns) / sizeof(se_patterns[0]),
	.l4 = CLS_TCP | CLS_UDP | CLS_IP,
	/* TCP: SYN, SYN-ACK, ACK, request; DNS: two queries, or a query and the reply; ICMP: two messages;
	 * UDP acceleration: two of one side's datagrams */
	.pkts_needed = 4,
	.max_owned = 12,
	.state_size = sizeof(struct se_state),
	.any_l4 = CLS_UDP,
	.peer_checks = se_peer_checks,
	.first = se_first,
	.owned = se_owned,
};
