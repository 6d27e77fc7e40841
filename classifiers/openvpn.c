/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenVPN classifier (UDP and TCP). Owns the OpenVPN patterns and the
 * validator that matches the client's hard reset with the server's.
 *
 * Wire facts (openvpn src/openvpn/ssl_pkt.[ch], reliable.c, tls_crypt.c;
 * checked against the capture ../shared/pcaps/wild/vpn/443-opvn.pcap, a
 * TCP tls-auth SHA1 session):
 *   byte 0 = opcode << 3 | key id; a hard reset has key id 0.
 *   bytes 1..8 = the sender's session id (random, non-zero).
 *   plain:     ack array (count, count x 4-byte packet id, then the acked
 *              peer session id when count > 0), 4-byte message packet id.
 *   tls-auth:  HMAC (20/32/64 for SHA1/256/512), replay packet id (4),
 *              time (4), then the plain part; all of it in clear text, so
 *              the server's ack of the client session is visible too.
 *   tls-crypt: replay packet id (4), time (4), 32-byte tag, then the plain
 *              part AES-CTR encrypted (same length); v3 (tls-crypt-v2)
 *              appends the wrapped client key WKc whose last 2 bytes are
 *              its own length (290..1024).
 *   TCP: each packet is preceded by its 2-byte big-endian length.
 * Where the shared protocol notes are incomplete, the source wins:
 *   - the replay packet id of the first packet is 1, except for tls-crypt-v2
 *     peers that announce early negotiation: they start at 0x0f000000, so
 *     their first packet carries 0x0f000001 (ssl_pkt.h EARLY_NEG_START,
 *     ssl.c tls_session_init); both values are accepted as "first".
 *   - the client's first reset has an empty ack array and message packet id
 *     0; the server's reset acks it (count >= 1, the client's session id)
 *     and has message packet id 0 (ssl_pkt.c tls_reset_standalone); a few
 *     bytes of early-negotiation TLV may follow (OVPN_EXTRA tolerates 16).
 *
 * Decisions (all need key id 0 and non-zero, distinct session ids):
 *   CONFIRMED "hard-reset-client+server-ack-session-match": plain framing,
 *       client reset (acks 0, packet id 0) answered by a server reset whose
 *       ack carries the client's 64-bit session id.
 *   CONFIRMED "hard-reset-exchange-tls-auth-sha{1,256,512}+ack-session-match":
 *       same, with tls-auth: HMAC of that size, first replay packet id and a
 *       plausible time on both sides, the server acking the client session.
 *   CONFIRMED "hard-reset-exchange-tls-crypt" / "...-tls-crypt-v2": the
 *       client's reset (v2, or v3 with a consistent WKc) and the server's
 *       reset both show first replay packet id, plausible time and lengths
 *       that fit the encrypted reset (the ack itself is encrypted).
 *   LIKELY "hard-reset-server+client-{ack,reset}-session-match": the capture
 *       started after the client's reset. The server's reset alone is only
 *       CLS_MORE (its structure is a few fixed bytes); it is decided only when
 *       the client's next packet carries the session id the server acked and
 *       (for an ack/control packet) acks the server's session id -- 64-bit
 *       random values echoed across directions. LIKELY rather than CONFIRMED
 *       because the client's hard reset itself was not seen. With tls-crypt
 *       nothing of that is visible, so a lone tls-crypt server reset is NO.
 * TCP: only a segment at stream offset 0 of a direction is parsed (no
 * reassembly); its first packet must lie wholly inside the segment (a
 * client that splits its reset across segments is not recognised). Later
 * segments of the client are ignored while waiting for the server; the
 * server's first segment must then hold its reset, or the flow is NO.
 */
#include "classifier.h"
#include "cls_util.h"

#define OVPN_OP_CONTROL 4
#define OVPN_OP_ACK 5
#define OVPN_OP_RESET_CLIENT_V2 7
#define OVPN_OP_RESET_SERVER_V2 8
#define OVPN_OP_RESET_CLIENT_V3 10
#define OVPN_OP_FIRST 3          /* legal opcodes: P_FIRST_OPCODE.. */
#define OVPN_OP_LAST 11          /* ..P_LAST_OPCODE */

#define OVPN_SID 8u              /* session id */
#define OVPN_HDR 9u              /* opcode byte + session id */
#define OVPN_REPLAY 8u           /* tls-auth/tls-crypt packet id + time */
#define OVPN_TAG 32u             /* tls-crypt tag */
#define OVPN_MAX_ACKS 8u         /* RELIABLE_ACK_SIZE */
#define OVPN_EXTRA 16u           /* bytes tolerated after a reset */
#define OVPN_WKC_MIN 290u        /* tag 32 + client key 256 + length 2 */
#define OVPN_WKC_MAX 1024u       /* TLS_CRYPT_V2_MAX_WKC_LEN */
#define OVPN_EARLY_NEG_START 0x0f000000u

/* Encrypted part of a tls-crypt reset: client acks nothing, server 1..8. */
#define OVPN_CLIENT_REL 5u                            /* count + msg pid */
#define OVPN_SERVER_REL_MIN (1u + 4u + OVPN_SID + 4u)
#define OVPN_SERVER_REL_MAX (1u + 4u * OVPN_MAX_ACKS + OVPN_SID + 4u)
#define OVPN_CRYPT_HDR (OVPN_HDR + OVPN_REPLAY + OVPN_TAG)

/* Control channel framings ("wraps"), a bit each in the state. */
enum ovpn_wrap { OW_PLAIN, OW_CRYPT, OW_AUTH_SHA1, OW_AUTH_SHA256, OW_AUTH_SHA512, OW_N };
static const uint8_t ovpn_hmac_len[OW_N] = { 0, 0, 20, 32, 64 };
static const char *const ovpn_confirm_check[OW_N] = {
	"hard-reset-client+server-ack-session-match",
	"hard-reset-exchange-tls-crypt",
	"hard-reset-exchange-tls-auth-sha1+ack-session-match",
	"hard-reset-exchange-tls-auth-sha256+ack-session-match",
	"hard-reset-exchange-tls-auth-sha512+ack-session-match",
};
#define OVPN_WRAPS_VISIBLE_ACK \
	(1u << OW_PLAIN | 1u << OW_AUTH_SHA1 | 1u << OW_AUTH_SHA256 | 1u << OW_AUTH_SHA512)

enum ovpn_step {
	OVPN_ST_CLIENT = 1,   /* client's hard reset seen */
	OVPN_ST_SERVER_FIRST, /* server's hard reset seen first (late capture) */
};

struct ovpn_state {
	uint8_t step;            /* enum ovpn_step */
	uint8_t wraps;           /* bit per enum ovpn_wrap that fits */
	uint8_t dir;             /* direction of the first reset seen */
	uint8_t op;              /* CLIENT: opcode of the client's reset */
	uint8_t sid[OVPN_SID];   /* client session id: own (CLIENT) or acked (SERVER_FIRST) */
	uint8_t ssid[OVPN_SID];  /* SERVER_FIRST: server session id */
};
CLS_STATE_FITS(struct ovpn_state);

/* Where the plain (reliable) part starts for wrap w, 0 for tls-crypt. */
static uint32_t
ovpn_rel_off(unsigned int w)
{
	if (w == OW_CRYPT)
		return 0;
	if (w == OW_PLAIN)
		return OVPN_HDR;
	return OVPN_HDR + ovpn_hmac_len[w] + OVPN_REPLAY;
}

/*
 * tls-auth/tls-crypt replay header at off: plausible time and, for a
 * peer's first packet, replay packet id 1 (or EARLY_NEG_START + 1); for a
 * later packet, a small count in either numbering.
 */
static bool
ovpn_replay_ok(const uint8_t *p, uint32_t n, uint32_t off, bool first)
{
	uint32_t pid, t, count;

	if (!cls_be32(p, n, off, &pid) || !cls_be32(p, n, off + 4, &t) ||
	    !cls_plausible_unix_time(t))
		return false;
	if ((pid & 0xff000000u) != 0 && (pid & 0xff000000u) != OVPN_EARLY_NEG_START)
		return false;
	count = pid & 0x00ffffffu;
	return first ? count == 1 : count >= 1 && count <= 64;
}

/* The reliable part: ack array, acked peer session id, message packet id. */
struct ovpn_rel {
	uint8_t n_acks;
	uint32_t peer_sid_off;  /* valid when n_acks > 0 */
	uint32_t msg_pid;       /* when with_msg_pid */
	uint32_t end;           /* offset just past it */
};

static bool
ovpn_rel_parse(const uint8_t *p, uint32_t n, uint32_t off, bool with_msg_pid, struct ovpn_rel *r)
{
	uint32_t pos;

	if (!cls_u8(p, n, off, &r->n_acks) || r->n_acks > OVPN_MAX_ACKS)
		return false;
	pos = off + 1 + 4u * r->n_acks;
	r->peer_sid_off = pos;
	if (r->n_acks > 0)
		pos += OVPN_SID;
	r->msg_pid = 0;
	if (with_msg_pid) {
		if (!cls_be32(p, n, pos, &r->msg_pid))
			return false;
		pos += 4;
	}
	if (pos > n)
		return false;
	r->end = pos;
	return true;
}

/*
 * Does the hard reset p[0..n) (opcode and session id already checked) fit
 * wrap w? server: it must ack a session id, want when given, else any
 * non-zero one other than its own, whose offset goes to *acked_off.
 */
static bool
ovpn_reset_fits(const uint8_t *p, uint32_t n, unsigned int w, bool server, const uint8_t *want,
		uint32_t *acked_off)
{
	struct ovpn_rel r;
	uint32_t off = ovpn_rel_off(w);

	if (w != OW_PLAIN && !ovpn_replay_ok(p, n, off ? off - OVPN_REPLAY : OVPN_HDR, true))
		return false;
	if (w == OW_CRYPT) {
		if (server)
			return n >= OVPN_CRYPT_HDR + OVPN_SERVER_REL_MIN &&
			       n <= OVPN_CRYPT_HDR + OVPN_SERVER_REL_MAX + OVPN_EXTRA;
		return n >= OVPN_CRYPT_HDR + OVPN_CLIENT_REL &&
		       n <= OVPN_CRYPT_HDR + OVPN_CLIENT_REL + OVPN_EXTRA;
	}
	if (!ovpn_rel_parse(p, n, off, true, &r) || r.msg_pid != 0 || n - r.end > OVPN_EXTRA)
		return false;
	if (!server)
		return r.n_acks == 0;
	if (r.n_acks == 0 || cls_all_zero(p, n, r.peer_sid_off, OVPN_SID) ||
	    cls_bytes_eq(p, n, r.peer_sid_off, p + 1, OVPN_SID))
		return false;
	if (want != NULL && !cls_bytes_eq(p, n, r.peer_sid_off, want, OVPN_SID))
		return false;
	if (acked_off != NULL)
		*acked_off = r.peer_sid_off;
	return true;
}

/* Wraps a client hard reset (v2 or v3) fits; 0 when it is not one. */
static unsigned int
ovpn_client_reset_wraps(const uint8_t *p, uint32_t n)
{
	unsigned int w, wraps = 0;
	uint16_t wkc;

	if (n < OVPN_HDR || (p[0] & 7) != 0 || cls_all_zero(p, n, 1, OVPN_SID))
		return 0;
	switch (p[0] >> 3) {
	case OVPN_OP_RESET_CLIENT_V3:
		/* tls-crypt-v2: tls-crypt wrapped reset, then WKc ending in its length. */
		if (!cls_be16(p, n, n - 2, &wkc) || wkc < OVPN_WKC_MIN || wkc > OVPN_WKC_MAX ||
		    wkc > n)
			return 0;
		return ovpn_reset_fits(p, n - wkc, OW_CRYPT, false, NULL, NULL) ? 1u << OW_CRYPT : 0;
	case OVPN_OP_RESET_CLIENT_V2:
		for (w = 0; w < OW_N; w++)
			if (ovpn_reset_fits(p, n, w, false, NULL, NULL))
				wraps |= 1u << w;
		return wraps;
	default:
		return 0;
	}
}

/* A server hard reset: opcode 8, key id 0, own session id non-zero. */
static bool
ovpn_is_server_reset(const uint8_t *p, uint32_t n)
{
	return n >= OVPN_HDR && p[0] == OVPN_OP_RESET_SERVER_V2 << 3 &&
	       !cls_all_zero(p, n, 1, OVPN_SID);
}

enum ovpn_seg {
	OVPN_SEG_PACKET, /* p, n: one whole OpenVPN packet */
	OVPN_SEG_LATER,  /* TCP segment past stream offset 0: not parsed */
	OVPN_SEG_BAD,    /* framing that cannot be OpenVPN */
};

/* Locate the first OpenVPN packet of a payload. */
static enum ovpn_seg
ovpn_packet(const struct cls_pkt *pkt, const uint8_t **p, uint32_t *n)
{
	uint16_t plen;
	uint32_t rest;

	if (pkt->l4 == CLS_UDP) {
		*p = pkt->payload;
		*n = pkt->len;
		return OVPN_SEG_PACKET;
	}
	if (pkt->tcp_offset != 0)
		return OVPN_SEG_LATER;
	/* The first packet must lie inside the segment; others may follow it. */
	if (!cls_be16(pkt->payload, pkt->len, 0, &plen) || plen < OVPN_HDR ||
	    (uint32_t)plen > pkt->len - 2)
		return OVPN_SEG_BAD;
	rest = pkt->len - 2 - plen;
	/* A following packet's opcode, when its header is here, must be legal. */
	if (rest >= 3) {
		uint8_t op = pkt->payload[2 + plen + 2] >> 3;

		if (op < OVPN_OP_FIRST || op > OVPN_OP_LAST)
			return OVPN_SEG_BAD;
	}
	*p = pkt->payload + 2;
	*n = plen;
	return OVPN_SEG_PACKET;
}

/* Claim (or re-claim) the flow for a client reset. */
static struct cls_verdict
ovpn_take_client(const struct cls_pkt *pkt, const uint8_t *p, unsigned int wraps, struct ovpn_state *s)
{
	memset(s, 0, sizeof(*s));
	s->step = OVPN_ST_CLIENT;
	memcpy(s->sid, p + 1, OVPN_SID);
	s->wraps = (uint8_t)wraps;
	s->dir = pkt->dir;
	s->op = p[0] >> 3;
	return cls_ret(CLS_MORE, "hard-reset-client");
}

/* A client reset, or a server reset with a visible ack. */
static struct cls_verdict
ovpn_first(const struct cls_pkt *pkt, void *st)
{
	struct ovpn_state *s = st;
	const uint8_t *p;
	uint32_t n, acked = 0;
	unsigned int w, wraps;

	if ((pkt->l4 != CLS_UDP && pkt->l4 != CLS_TCP) || pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-openvpn-transport");
	if (ovpn_packet(pkt, &p, &n) != OVPN_SEG_PACKET)
		return cls_ret(CLS_NO, "not-openvpn-framing");
	wraps = ovpn_client_reset_wraps(p, n);
	if (wraps != 0)
		return ovpn_take_client(pkt, p, wraps, s);
	if (!ovpn_is_server_reset(p, n))
		return cls_ret(CLS_NO, "not-openvpn-hard-reset");
	for (w = 0; w < OW_N; w++) {
		if (!(OVPN_WRAPS_VISIBLE_ACK & 1u << w) ||
		    !ovpn_reset_fits(p, n, w, true, NULL, &acked))
			continue;
		s->step = OVPN_ST_SERVER_FIRST;
		memcpy(s->sid, p + acked, OVPN_SID);
		memcpy(s->ssid, p + 1, OVPN_SID);
		s->wraps = (uint8_t)(1u << w);
		s->dir = pkt->dir;
		return cls_ret(CLS_MORE, "hard-reset-server-without-client");
	}
	return cls_ret(CLS_NO, "hard-reset-server-no-visible-ack");
}

static unsigned int
ovpn_wrap_of(uint8_t wraps)
{
	unsigned int w;

	for (w = 0; w < OW_N; w++)
		if (wraps & 1u << w)
			return w;
	return OW_N;
}

/* SERVER_FIRST: the client's next packet must echo both session ids. */
static struct cls_verdict
ovpn_client_after_server(const uint8_t *p, uint32_t n, const struct ovpn_state *s)
{
	unsigned int w = ovpn_wrap_of(s->wraps);
	uint32_t off;
	struct ovpn_rel r;
	uint8_t op;

	if (w >= OW_N || w == OW_CRYPT || n < OVPN_HDR || (p[0] & 7) != 0 ||
	    !cls_bytes_eq(p, n, 1, s->sid, OVPN_SID))
		return cls_ret(CLS_NO, "client-session-mismatch");
	op = p[0] >> 3;
	if (op == OVPN_OP_RESET_CLIENT_V2) {
		if (ovpn_reset_fits(p, n, w, false, NULL, NULL))
			return cls_ret_server(CLS_LIKELY, "hard-reset-server+client-reset-session-match", s->dir);
		return cls_ret(CLS_NO, "client-reset-bad-framing");
	}
	if (op != OVPN_OP_ACK && op != OVPN_OP_CONTROL)
		return cls_ret(CLS_NO, "client-unexpected-opcode");
	off = ovpn_rel_off(w);
	if (w != OW_PLAIN && !ovpn_replay_ok(p, n, off - OVPN_REPLAY, false))
		return cls_ret(CLS_NO, "client-bad-replay-header");
	if (!ovpn_rel_parse(p, n, off, op == OVPN_OP_CONTROL, &r) || r.n_acks == 0 ||
	    (op == OVPN_OP_ACK && r.end != n) ||
	    !cls_bytes_eq(p, n, r.peer_sid_off, s->ssid, OVPN_SID))
		return cls_ret(CLS_NO, "client-ack-session-mismatch");
	return cls_ret_server(CLS_LIKELY, "hard-reset-server+client-ack-session-match", s->dir);
}

/* CLIENT: the server's answer to the client's reset. */
static struct cls_verdict
ovpn_server_after_client(const uint8_t *p, uint32_t n, const struct ovpn_state *s)
{
	unsigned int w;

	if (!ovpn_is_server_reset(p, n) || cls_bytes_eq(p, n, 1, s->sid, OVPN_SID))
		return cls_ret(CLS_NO, "server-not-hard-reset");
	for (w = 0; w < OW_N; w++) {
		if (!(s->wraps & 1u << w) || !ovpn_reset_fits(p, n, w, true, s->sid, NULL))
			continue;
		if (w == OW_CRYPT && s->op == OVPN_OP_RESET_CLIENT_V3)
			return cls_ret_server(CLS_CONFIRMED, "hard-reset-exchange-tls-crypt-v2", s->dir ^ 1u);
		return cls_ret_server(CLS_CONFIRMED, ovpn_confirm_check[w], s->dir ^ 1u);
	}
	return cls_ret(CLS_NO, "server-reset-mismatch");
}

static struct cls_verdict
ovpn_owned(const struct cls_pkt *pkt, void *st)
{
	struct ovpn_state *s = st;
	const uint8_t *p = NULL;
	uint32_t n = 0;
	enum ovpn_seg seg;
	unsigned int wraps;

	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-openvpn-transport");
	seg = ovpn_packet(pkt, &p, &n);
	if (seg == OVPN_SEG_BAD)
		return cls_ret(CLS_NO, "not-openvpn-framing");
	if (pkt->dir == s->dir) {
		/* The side that sent the first reset: only its resets again. */
		if (seg == OVPN_SEG_LATER)
			return cls_ret(CLS_MORE, "tcp-later-segment-ignored");
		if (s->step == OVPN_ST_SERVER_FIRST) {
			if (ovpn_is_server_reset(p, n) && cls_bytes_eq(p, n, 1, s->ssid, OVPN_SID))
				return cls_ret(CLS_MORE, "hard-reset-server-retransmit");
			return cls_ret(CLS_NO, "server-unexpected-packet");
		}
		wraps = ovpn_client_reset_wraps(p, n);
		if (wraps == 0)
			return cls_ret(CLS_NO, "client-unexpected-packet");
		if (cls_bytes_eq(p, n, 1, s->sid, OVPN_SID))
			return cls_ret(CLS_MORE, "hard-reset-client-retransmit");
		/* The client restarted with a new session: follow that one. */
		return ovpn_take_client(pkt, p, wraps, s);
	}
	/* The other side: its first packet must be the answer. */
	if (seg != OVPN_SEG_PACKET)
		return cls_ret(CLS_NO, "tcp-answer-start-missed");
	if (s->step == OVPN_ST_CLIENT)
		return ovpn_server_after_client(p, n, s);
	if (s->step == OVPN_ST_SERVER_FIRST)
		return ovpn_client_after_server(p, n, s);
	return cls_ret(CLS_NO, "bad-state");
}

/*
 * Hard reset client v2 (0x38) and v3 (0x50), and server v2 (0x40) for a
 * capture that missed the client's; at least the 14 bytes of the shortest
 * reset. TCP: after the 2-byte length.
 */
static const struct cls_pattern ovpn_patterns[] = {
	{ "^\\x38.{13}", CLS_UDP, "openvpn-udp-hard-reset-client-v2" },
	{ "^\\x50.{13}", CLS_UDP, "openvpn-udp-hard-reset-client-v3" },
	{ "^\\x40.{13}", CLS_UDP, "openvpn-udp-hard-reset-server-v2" },
	{ "^..\\x38.{13}", CLS_TCP, "openvpn-tcp-hard-reset-client-v2" },
	{ "^..\\x50.{13}", CLS_TCP, "openvpn-tcp-hard-reset-client-v3" },
	{ "^..\\x40.{13}", CLS_TCP, "openvpn-tcp-hard-reset-server-v2" },
};

const struct classifier cls_openvpn = {
	.name = "openvpn",
	.priority = 20,
	.patterns = ovpn_patterns,
	.n_patterns = sizeof(ovpn_patterns) / sizeof(ovpn_patterns[0]),
	.l4 = CLS_UDP | CLS_TCP,
	/* UDP: 2 resets (+ retransmissions); TCP: SYN, SYN-ACK, ACK, client
	 * reset, server's ACK, server reset (443-opvn.pcap decides at 6) + slack */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct ovpn_state),
	.first = ovpn_first,
	.owned = ovpn_owned,
};
