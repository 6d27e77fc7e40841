/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cisco AnyConnect / OpenConnect / ocserv classifier ("openconnect"; UDP
 * DTLS channel, TCP cleartext CSTP). Owns its patterns and validator; the
 * DTLS parsing is the shared classifiers/tls.c.
 *
 * Wire facts (openconnect cstp.c/dtls.c/gnutls-dtls.c, ocserv docs,
 * draft-mavrogiannopoulos-openconnect; checked against the DTLS captures in
 * ../shared/pcaps/wild/tunnel):
 *   - The TLS channel (CSTP, "CONNECT /CSCOSSLC/tunnel" + X-CSTP-* headers)
 *     is ordinary TLS to the server: ClientHello and (TLS <= 1.2) the server
 *     certificate show nothing AnyConnect-specific, so it is not claimed.
 *   - In that channel the server hands out X-DTLS-Session-ID (32 bytes, hex),
 *     X-DTLS-Master-Secret and X-DTLS-CipherSuite (one suite, e.g. AES256-SHA
 *     or, for DTLS 1.2, X-DTLS12-CipherSuite ECDHE-ECDSA-AES256-GCM-SHA384).
 *     The client then opens the DTLS channel (UDP, usually the same port,
 *     443) with a ClientHello that RESUMES that session: session id = the
 *     32 pre-agreed bytes, exactly the one agreed cipher suite, and (legacy
 *     Cisco) the pre-standard version 0x0100 that OpenSSL keeps only for
 *     AnyConnect (DTLS1_BAD_VER). The server may send a HelloVerifyRequest
 *     first, then answers with an abbreviated handshake: ServerHello
 *     echoing the session id, ChangeCipherSpec, Finished.
 *   - ocserv + openconnect's "PSK-NEGOTIATE" mode (the default between them;
 *     checked against ../pcaps/openconnect-ocserv.pcap, ocserv 1.1 and
 *     openconnect 9 on Debian 12) runs a full DTLS 1.2 handshake keyed by a
 *     PSK exported from the TLS channel: the ClientHello's session id is the
 *     32-byte X-DTLS-App-ID (a fresh flow, yet a 32-byte id), it offers only
 *     pure-PSK suites (no certificate can be involved), the server picks
 *     one (new session id, ServerHelloDone), and the client's
 *     ClientKeyExchange carries the fixed PSK identity "psk" in clear.
 * protocols.md says "the DTLS session id is agreed inside the TLS channel":
 * right; it omits that the cipher suite is pre-agreed too, which is what
 * separates AnyConnect from a generic DTLS client resuming a session.
 *
 * Decisions (never from the port):
 *   LIKELY "dtls-0x0100-clienthello-anyconnect-session-id": a DTLS
 *       ClientHello with client_version 0x0100 (Cisco-only) and a 32-byte
 *       non-zero session id.
 *   CONFIRMED "dtls-clienthello-anyconnect-session-id+serverhello-resumed":
 *       DTLS 1.0 ClientHello with a 32-byte non-zero session id, exactly
 *       one cipher suite (GREASE and the 0x00ff SCSV aside) that is one of
 *       AnyConnect's DTLS 1.0 suites (RSA/DHE-RSA, AES-CBC/3DES/DES, SHA-1)
 *       and no non-empty SessionTicket extension, then the server's
 *       ServerHello echoing the session id (abbreviated handshake on a
 *       flow that never ran a full one), with or without a
 *       HelloVerifyRequest round before it. (DTLS 1.2 resumption is left
 *       alone: see oc_client_hello().)
 *   CONFIRMED "dtls-psk-negotiate-app-id+psk-identity": a DTLS 1.2 ClientHello
 *       with a 32-byte non-zero session id offering only pure-PSK suites,
 *       a ServerHello selecting a PSK suite, then the client's
 *       ClientKeyExchange with psk_identity "psk".
 *   LIKELY "dtls-psk-negotiate-app-id+psk-identity-one-dir": the client's
 *       side alone: the same ClientHello, then the client's
 *       ClientKeyExchange with psk_identity "psk" with no ServerHello seen
 *       (the client sends it only once the server's flight reached it, so
 *       that flight went by unseen). The other side is named the server.
 *   LIKELY "cleartext-cstp-connect-cscosslc-tunnel": at TCP stream offset 0
 *       an HTTP/1.x `CONNECT /CSCOSSLC/tunnel` request with X-CSTP-
 *       headers: only visible where TLS is terminated upstream.
 * One direction, what cannot be decided: the server's side of PSK-NEGOTIATE
 * (a ServerHello choosing a pure-PSK suite, ServerHelloDone, then
 * ChangeCipherSpec) is what every DTLS-PSK server sends (CoAP/IoT gateways):
 * nothing in it is ocserv's; the server's abbreviated handshake (legacy
 * resumption) echoes a session id whose origin only the ClientHello shows.
 * The client's legacy resumption ClientHello alone is left undecided as in
 * both directions (0x0100 aside, which decides on its own).
 * Cross-flow, on the control lcore (engine/control/tie.c, rule openconnect-dtls+tls):
 * an undecided TLS flow from the same client to the same server address and
 * port as a decided DTLS channel is reported openconnect, likely.
 * Known ambiguity: the two DTLS captures in the wild corpus that nDPI labels
 * plain DTLS (dtls_old_version: 0x0100 + AES256-SHA on UDP 443;
 * dtls_session_id_and_coockie_both: DTLS 1.2 + ECDHE-ECDSA-AES256-GCM-SHA384,
 * resumed without a full handshake) have exactly this AnyConnect shape.
 * So does a generic DTLS 1.0 client configured with exactly one of
 * AnyConnect's RSA/DHE-RSA suites that resumes by session id (no ticket);
 * one with an ECDHE suite or a ticket no longer does.
 */
#include "classifier.h"
#include "cls_util.h"
#include "tls.h"

#define OC_SID_LEN 32u
#define OC_SID_KEPT 16u      /* session id bytes kept in the state */
#define OC_SCSV 0x00ffu      /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
#define OC_EXT_SESSION_TICKET 0x0023u

enum oc_step {
	OC_ST_CLIENT_HELLO = 1, /* resume-style ClientHello: wait for the echo */
	OC_ST_PSK_HELLO,        /* PSK-NEGOTIATE ClientHello: wait for a PSK ServerHello */
	OC_ST_PSK_SERVER,       /* PSK suite chosen: wait for the identity */
};

struct oc_state {
	uint8_t sid[OC_SID_KEPT];  /* first bytes of the session id */
	uint8_t step;              /* enum oc_step */
};
CLS_STATE_FITS(struct oc_state);

enum oc_hello { OC_NOT, OC_CISCO, OC_RESUME, OC_PSK };

/* Pure-PSK cipher suites (RFC 4279, 5487, 6655, 7905, 6209, 6367). */
static bool
oc_psk_suite(uint16_t c)
{
	switch (c) {
	case 0x002c: case 0x008a: case 0x008b: case 0x008c: case 0x008d: case 0x00a8:
	case 0x00a9: case 0x00ae: case 0x00af: case 0x00b0: case 0x00b1: case 0xc064:
	case 0xc065: case 0xc06a: case 0xc06b: case 0xc08e: case 0xc08f: case 0xc094:
	case 0xc095: case 0xc0a4: case 0xc0a5: case 0xc0a8: case 0xc0a9: case 0xccab:
		return true;
	default:
		return false;
	}
}

/* Every suite offered (GREASE and SCSV aside) is pure PSK, and there is one. */
static bool
oc_psk_only(const struct tls_client_hello *ch)
{
	unsigned int i, n = 0;

	for (i = 0; i + 1 < ch->ciphers.len; i += 2) {
		uint16_t c = (uint16_t)(ch->ciphers.p[i] << 8 | ch->ciphers.p[i + 1]);

		if (tls_is_grease(c) || c == OC_SCSV)
			continue;
		if (!oc_psk_suite(c))
			return false;
		n++;
	}
	return n > 0;
}

/* The one cipher suite offered (GREASE and the renegotiation SCSV left
 * out), or 0 when there are none or several. */
static uint16_t
oc_only_cipher(const struct tls_client_hello *ch)
{
	unsigned int i, n = 0;
	uint16_t one = 0;

	for (i = 0; i + 1 < ch->ciphers.len; i += 2) {
		uint16_t c = (uint16_t)(ch->ciphers.p[i] << 8 | ch->ciphers.p[i + 1]);

		if (!tls_is_grease(c) && c != OC_SCSV)
			n++, one = c;
	}
	return n == 1 ? one : 0;
}

/*
 * The DTLS 1.0 suites AnyConnect pre-agrees for its resumed channel
 * (X-DTLS-CipherSuite: openconnect's gnutls-dtls.c/openssl-dtls.c tables,
 * the ASA's "ssl cipher dtlsv1" list): RSA or DHE-RSA key exchange, AES-CBC,
 * 3DES or DES, SHA-1. No key exchange ever runs on that channel, and there
 * are no ECDHE suites for it.
 */
static bool
oc_dtls10_suite(uint16_t c)
{
	switch (c) {
	case 0x0035: /* AES256-SHA */
	case 0x002f: /* AES128-SHA */
	case 0x000a: /* DES-CBC3-SHA */
	case 0x0009: /* DES-CBC-SHA */
	case 0x0039: /* DHE-RSA-AES256-SHA */
	case 0x0033: /* DHE-RSA-AES128-SHA */
		return true;
	default:
		return false;
	}
}

/*
 * A non-empty SessionTicket extension (RFC 5077): the client holds a ticket
 * from an earlier full handshake with this server, so the session it resumes
 * was not pre-agreed in a TLS channel (AnyConnect's made-up session has no
 * ticket; OpenSSL and GnuTLS send the extension empty). Extensions not all
 * parsed count as a ticket: no claim on what was not seen.
 */
static bool
oc_has_ticket(const struct tls_client_hello *ch)
{
	const uint8_t *e = ch->extensions.p;
	uint32_t n = ch->extensions.len, off = 0;

	if (!(ch->have & TLS_HAVE_EXTENSIONS))
		return true;
	while (e != NULL && off + 4 <= n) {
		uint16_t type = (uint16_t)(e[off] << 8 | e[off + 1]);
		uint32_t len = (uint32_t)(e[off + 2] << 8 | e[off + 3]);

		if (off + 4 + len > n)
			return true;
		if (type == OC_EXT_SESSION_TICKET && len > 0)
			return true;
		off += 4 + len;
	}
	return false;
}

/* A DTLS ClientHello resuming a pre-agreed session? */
static enum oc_hello
oc_client_hello(const struct cls_pkt *pkt, struct tls_client_hello *ch)
{
	if (tls_parse_client_hello(pkt->payload, pkt->len, true, ch) == TLS_BAD ||
	    !(ch->have & TLS_HAVE_CIPHERS) || ch->session_id.len != OC_SID_LEN ||
	    cls_all_zero(ch->session_id.p, OC_SID_LEN, 0, OC_SID_LEN))
		return OC_NOT;
	if (ch->legacy_version == DTLS_V_CISCO)
		return OC_CISCO;
	if (ch->legacy_version != DTLS_V_10 && ch->legacy_version != DTLS_V_12)
		return OC_NOT;
	/*
	 * A resumed session nobody set up, with the one pre-agreed suite, is
	 * AnyConnect's shape; but DTLS 1.2 resumption with a single suite also
	 * occurs in ordinary DTLS (nDPI's dtls_session_id_and_coockie_both.pcap),
	 * and a false VPN verdict can drop legitimate traffic. Only DTLS 1.0,
	 * AnyConnect's legacy channel, is taken as evidence, and only with one
	 * of its suites and no session ticket: OpenSSL's s_client resuming a
	 * DTLS 1.0 session with one ECDHE suite (by ticket, or by session id
	 * with -no_ticket) has the same shape otherwise
	 * (pcaps/negatives/dtls.pcap).
	 */
	if (ch->legacy_version == DTLS_V_10 && oc_dtls10_suite(oc_only_cipher(ch)) && !oc_has_ticket(ch))
		return OC_RESUME;
	if (ch->legacy_version == DTLS_V_12 && oc_psk_only(ch))
		return OC_PSK;
	return OC_NOT;
}

static struct cls_verdict
oc_cstp(const struct cls_pkt *pkt)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len;

	if (pkt->tcp_offset != 0 || !cls_str_at(p, n, 0, "CONNECT /CSCOSSLC/tunnel ") ||
	    cls_http_request_line(p, n, 256) == 0 || cls_find(p, n, 0, n, "\r\nX-CSTP-") == UINT32_MAX)
		return cls_ret(CLS_NO, "not-cleartext-cstp-connect");
	return cls_ret_server(CLS_LIKELY, "cleartext-cstp-connect-cscosslc-tunnel", pkt->dir ^ 1u);
}

/* Owned, PSK-NEGOTIATE: a PSK ServerHello, then the client's identity "psk". */
static struct cls_verdict
oc_owned_psk(const struct cls_pkt *pkt, struct oc_state *s)
{
	static const uint8_t ident[] = { 0x00, 0x03, 'p', 's', 'k' };
	struct tls_client_hello ch;
	struct tls_server_flight sf;
	struct tls_bytes cke;

	if (pkt->dir == pkt->first_dir) {
		if (tls_find_handshake(pkt->payload, pkt->len, true, TLS_HS_CLIENT_KEY_EXCHANGE, &cke) == TLS_OK) {
			if (!cls_bytes_eq(cke.p, cke.len, 0, ident, sizeof(ident)) || cke.len != sizeof(ident))
				return cls_ret(CLS_NO, "dtls-psk-identity-not-openconnect");
			if (s->step == OC_ST_PSK_SERVER)
				return cls_ret_server(CLS_CONFIRMED, "dtls-psk-negotiate-app-id+psk-identity",
						      pkt->dir ^ 1u);
			/* The client went on without a ServerHello seen: its side alone. */
			return cls_ret_server(CLS_LIKELY, "dtls-psk-negotiate-app-id+psk-identity-one-dir", pkt->dir ^ 1u);
		}
		if (oc_client_hello(pkt, &ch) == OC_PSK && cls_bytes_eq(ch.session_id.p, OC_SID_LEN, 0, s->sid, OC_SID_KEPT))
			return cls_ret(CLS_MORE, "dtls-clienthello-again-same-app-id");
		return cls_ret(CLS_NO, "client-not-psk-handshake");
	}
	if (tls_parse_server_flight(pkt->payload, pkt->len, true, 0, &sf) == TLS_BAD)
		return cls_ret(CLS_NO, "server-not-dtls-handshake");
	if (sf.have & TLS_SRV_HELLO) {
		if (!oc_psk_suite(sf.cipher) || sf.version != DTLS_V_12)
			return cls_ret(CLS_NO, "dtls-serverhello-not-psk");
		s->step = OC_ST_PSK_SERVER;
		return cls_ret(CLS_MORE, "dtls-serverhello-psk-suite");
	}
	if (sf.have & TLS_SRV_HELLO_VERIFY)
		return cls_ret(CLS_MORE, "dtls-hello-verify-request");
	return cls_ret(CLS_MORE, "dtls-server-record");
}

/* Owned: the server's answer (or the client's retransmission). */
static struct cls_verdict
oc_owned(const struct cls_pkt *pkt, void *st)
{
	struct oc_state *s = st;
	struct tls_client_hello ch;
	struct tls_server_flight sf;

	if (pkt->payload == NULL || pkt->len == 0)
		return cls_ret(CLS_NO, "no-payload");
	if (s->step == OC_ST_PSK_HELLO || s->step == OC_ST_PSK_SERVER)
		return oc_owned_psk(pkt, s);
	if (s->step != OC_ST_CLIENT_HELLO)
		return cls_ret(CLS_NO, "bad-state");
	if (pkt->dir == pkt->first_dir) {
		if (oc_client_hello(pkt, &ch) == OC_RESUME && cls_bytes_eq(ch.session_id.p, OC_SID_LEN, 0, s->sid, OC_SID_KEPT))
			return cls_ret(CLS_MORE, "dtls-clienthello-again-same-session-id");
		return cls_ret(CLS_NO, "client-not-same-clienthello");
	}
	if (tls_parse_server_flight(pkt->payload, pkt->len, true, 0, &sf) == TLS_BAD)
		return cls_ret(CLS_NO, "server-not-dtls-handshake");
	if (sf.have & TLS_SRV_HELLO) {
		if (sf.session_id.len == OC_SID_LEN && cls_bytes_eq(sf.session_id.p, OC_SID_LEN, 0, s->sid, OC_SID_KEPT))
			return cls_ret_server(CLS_CONFIRMED, "dtls-clienthello-anyconnect-session-id+serverhello-resumed",
					      pkt->dir);
		return cls_ret(CLS_NO, "dtls-serverhello-full-handshake");
	}
	if (sf.have & TLS_SRV_HELLO_VERIFY)
		return cls_ret(CLS_MORE, "dtls-hello-verify-request");
	return cls_ret(CLS_NO, "server-unexpected-record");
}

static struct cls_verdict
oc_first(const struct cls_pkt *pkt, void *st)
{
	struct oc_state *s = st;
	struct tls_client_hello ch;

	if (pkt->payload == NULL || pkt->len == 0)
		return cls_ret(CLS_NO, "no-payload");
	if (pkt->l4 == CLS_TCP)
		return oc_cstp(pkt);
	if (pkt->l4 != CLS_UDP)
		return cls_ret(CLS_NO, "not-udp-or-tcp");
	switch (oc_client_hello(pkt, &ch)) {
	case OC_CISCO:
		return cls_ret_server(CLS_LIKELY, "dtls-0x0100-clienthello-anyconnect-session-id", pkt->dir ^ 1u);
	case OC_RESUME:
	case OC_PSK: {
		bool psk = oc_client_hello(pkt, &ch) == OC_PSK;

		s->step = psk ? OC_ST_PSK_HELLO : OC_ST_CLIENT_HELLO;
		memcpy(s->sid, ch.session_id.p, OC_SID_KEPT);
		return cls_ret(CLS_MORE, psk ? "dtls-clienthello-app-id-psk-suites-only" :
					       "dtls-clienthello-32-byte-session-id-one-cipher");
	}
	default:
		return cls_ret(CLS_NO, "dtls-clienthello-no-preagreed-session");
	}
}

/*
 * DTLS handshake record, epoch 0, carrying a ClientHello (record versions
 * 1.0, 1.2 and Cisco's 0x0100); TCP: the cleartext CSTP request.
 */
static const struct cls_pattern oc_patterns[] = {
	{ "^\\x16(\\xfe[\\xff\\xfd]|\\x01\\x00)\\x00\\x00.{8}\\x01", CLS_UDP,
	  "openconnect-dtls-clienthello" },
	{ "^CONNECT /CSCOSSLC/tunnel ", CLS_TCP, "openconnect-cstp-connect-cleartext" },
};

const struct classifier cls_openconnect = {
	.name = "openconnect",
	.priority = 80,
	.patterns = oc_patterns,
	.n_patterns = sizeof(oc_patterns) / sizeof(oc_patterns[0]),
	.l4 = CLS_UDP | CLS_TCP,
	/* ClientHello, HelloVerifyRequest, ClientHello + cookie, ServerHello,
	 * (PSK: ServerHelloDone, ClientKeyExchange), with room for a retransmission */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct oc_state),
	.first = oc_first,
	.owned = oc_owned,
};
