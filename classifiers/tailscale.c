/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tailscale classifier (UDP disco, TCP cleartext upgrades, TLS SNI). Owns
 * its patterns and validator; the TLS parsing is the shared classifiers/tls.c.
 *
 * Tailscale's data plane is WireGuard (wireguard-go inside tailscaled,
 * "magicsock", UDP 41641 by default or any port). Those packets are plain
 * WireGuard messages and are left to the wireguard classifier (earlier in
 * the table, pattern-matched first): nothing here claims bytes that start
 * with a WireGuard type. What is Tailscale's own and visible:
 *   - disco (tailscale disco/disco.go): NAT-traversal ping/pong sent on the
 *     same UDP 5-tuple as the WireGuard packets: magic "TS" + U+1F4AC
 *     (54 53 f0 9f 92 ac), the sender's disco public key (32), a NaCl nonce
 *     (24), then a secretbox (16-byte Poly1305 tag + message type 1 +
 *     version 1 + body: ping 12 [+32], pong 30). The smallest box is 18
 *     bytes, so a disco datagram is >= 80 bytes. (CallMeMaybe travels only
 *     inside DERP, i.e. inside TLS.)
 *   - DERP relay (derp/derphttp): "GET /derp HTTP/1.1" with "Upgrade: DERP"
 *     and "Connection: Upgrade" -- in clear only where the DERP server is
 *     reached over plain HTTP (custom/headscale DERP on an http URL, or TLS
 *     terminated upstream); Tailscale's own DERP servers are HTTPS.
 *   - control plane (control/controlhttp): "POST /ts2021 HTTP/1.1" with
 *     "Upgrade: tailscale-control-protocol" and an X-Tailscale-Handshake
 *     header (the Noise IK initiation, base64). The client races port 80
 *     (plain HTTP: this request in clear) against 443 (TLS).
 *   - TLS to Tailscale's servers: the ClientHello's SNI names
 *     derp<N...>.tailscale.com or controlplane.tailscale.com. (TLS 1.3:
 *     nothing after the ClientHello is readable.)
 * protocols.md is right on the disco magic and DERP; it does not mention
 * the ts2021 control upgrade.
 *
 * Decisions (never from the port):
 *   LIKELY "disco-magic+sender-key+nonce+box-length": a UDP datagram of
 *       >= 80 bytes starting with the 6-byte magic, with a non-zero sender
 *       key. One packet decides: the 48-bit magic (it contains a UTF-8
 *       emoji no binary protocol starts with) plus the length is the
 *       structure; the rest is random by design.
 *   LIKELY "cleartext-get-derp-upgrade-derp": at TCP stream offset 0 an
 *       HTTP/1.x request line "GET /derp " and a "\r\nUpgrade: DERP\r\n"
 *       header in the same segment.
 *   LIKELY "cleartext-post-ts2021-upgrade-tailscale-control-protocol": at
 *       offset 0 "POST /ts2021 " + HTTP/1.x and a
 *       "\r\nUpgrade: tailscale-control-protocol\r\n" header.
 *   LIKELY "tls-sni-derp-tailscale-com" / "tls-sni-controlplane-tailscale-com":
 *       a TLS ClientHello at offset 0 whose SNI is "derp" + [a-z0-9-]* +
 *       ".tailscale.com" or exactly "controlplane.tailscale.com" (ASCII
 *       case-insensitive). Not login.tailscale.com or tailscale.com (a
 *       browser on the admin console or the web site is not the VPN).
 *       NOTE: fortinet.c claims every TLS ClientHello it is offered (it
 *       waits for the certificate) and the engine offers a payload to the
 *       candidates in table order, so this check only ever runs when
 *       cls_tailscale is listed BEFORE cls_fortinet in classifiers.c.
 * False positives: the TCP checks need fixed request lines plus a fixed
 * header value in clear (tens of fixed bytes); the SNI check needs a
 * well-formed ClientHello naming Tailscale's own hosts (a fingerprint of the
 * destination, hence LIKELY). The disco check is 48 fixed bits: random
 * traffic matches once in 2^48 datagrams.
 */
#include <strings.h>

#include "classifier.h"
#include "cls_util.h"
#include "tls.h"

#define TS_DISCO_MAGIC "TS\xf0\x9f\x92\xac"
#define TS_MAGIC_LEN 6u
#define TS_KEY_LEN 32u
#define TS_NONCE_LEN 24u
#define TS_BOX_MIN (16u + 2u)   /* Poly1305 tag + type + version */
#define TS_DISCO_MIN (TS_MAGIC_LEN + TS_KEY_LEN + TS_NONCE_LEN + TS_BOX_MIN)
#define TS_MAX_LINE 256u
#define TS_SUFFIX ".tailscale.com"

static bool
ts_derp_host(const struct tls_bytes *sni)
{
	uint32_t slen = (uint32_t)strlen(TS_SUFFIX), i;

	if (sni->p == NULL || sni->len < 4 + slen || sni->len > 253 ||
	    strncasecmp((const char *)sni->p, "derp", 4) != 0 ||
	    strncasecmp((const char *)sni->p + sni->len - slen, TS_SUFFIX, slen) != 0)
		return false;
	for (i = 4; i < sni->len - slen; i++) {
		uint8_t c = sni->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

static struct cls_verdict
ts_tls(const struct cls_pkt *pkt)
{
	struct tls_client_hello ch;
	static const char cp[] = "controlplane.tailscale.com";

	if (tls_parse_client_hello(pkt->payload, pkt->len, false, &ch) == TLS_BAD ||
	    !(ch.have & TLS_HAVE_SNI))
		return cls_ret(CLS_NO, "not-tls-clienthello-with-sni");
	if (ts_derp_host(&ch.sni))
		return cls_ret_server(CLS_LIKELY, "tls-sni-derp-tailscale-com", pkt->dir ^ 1u);
	if (ch.sni.len == sizeof(cp) - 1 && strncasecmp((const char *)ch.sni.p, cp, sizeof(cp) - 1) == 0)
		return cls_ret_server(CLS_LIKELY, "tls-sni-controlplane-tailscale-com", pkt->dir ^ 1u);
	return cls_ret(CLS_NO, "tls-sni-not-tailscale");
}

static struct cls_verdict
ts_tcp(const struct cls_pkt *pkt)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len, eol;

	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-stream-start");
	if (n > 0 && p[0] == 0x16)
		return ts_tls(pkt);
	eol = cls_http_request_line(p, n, TS_MAX_LINE);
	if (eol == 0)
		return cls_ret(CLS_NO, "not-http-request");
	if (cls_str_at(p, n, 0, "GET /derp ")) {
		if (cls_find(p, n, eol, n, "\r\nUpgrade: DERP\r\n") != UINT32_MAX)
			return cls_ret_server(CLS_LIKELY, "cleartext-get-derp-upgrade-derp", pkt->dir ^ 1u);
		return cls_ret(CLS_NO, "get-derp-without-upgrade-derp");
	}
	if (cls_str_at(p, n, 0, "POST /ts2021 ")) {
		if (cls_find(p, n, eol, n, "\r\nUpgrade: tailscale-control-protocol\r\n") != UINT32_MAX)
			return cls_ret_server(CLS_LIKELY, "cleartext-post-ts2021-upgrade-tailscale-control-protocol",
					      pkt->dir ^ 1u);
		return cls_ret(CLS_NO, "post-ts2021-without-upgrade");
	}
	return cls_ret(CLS_NO, "not-tailscale-request");
}

static struct cls_verdict
ts_first(const struct cls_pkt *pkt, void *st)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len;

	(void)st;
	if (p == NULL)
		return cls_ret(CLS_NO, "no-payload");
	if (pkt->l4 == CLS_TCP)
		return ts_tcp(pkt);
	if (pkt->l4 != CLS_UDP)
		return cls_ret(CLS_NO, "not-udp-or-tcp");
	if (n < TS_DISCO_MIN || !cls_str_at(p, n, 0, TS_DISCO_MAGIC))
		return cls_ret(CLS_NO, "not-disco-magic-or-too-short");
	if (cls_all_zero(p, n, TS_MAGIC_LEN, TS_KEY_LEN))
		return cls_ret(CLS_NO, "disco-zero-sender-key");
	return cls_ret(CLS_LIKELY, "disco-magic+sender-key+nonce+box-length");
}

static const struct cls_pattern ts_patterns[] = {
	{ "^TS\\xf0\\x9f\\x92\\xac", CLS_UDP, "tailscale-disco" },
	{ "^GET /derp ", CLS_TCP, "tailscale-derp-upgrade-cleartext" },
	{ "^POST /ts2021 ", CLS_TCP, "tailscale-ts2021-upgrade-cleartext" },
	{ "^\\x16\\x03[\\x01-\\x03]..\\x01.*\\.tailscale\\.com", CLS_TCP, "tailscale-tls-sni" },
};

const struct classifier cls_tailscale = {
	.name = "tailscale",
	.priority = 100,
	.patterns = ts_patterns,
	.n_patterns = sizeof(ts_patterns) / sizeof(ts_patterns[0]),
	.l4 = CLS_UDP | CLS_TCP,
	.pkts_needed = 4, /* SYN, SYN-ACK, ACK, request / ClientHello; 1 for disco */
	/* Its SNI check needs the ClientHello before fortinet takes it. */
	.flags = CLS_F_READS_CLIENTHELLO | CLS_F_PEERS,
	/* It decides on one payload: it never owns a flow. */
	.first = ts_first,
};
