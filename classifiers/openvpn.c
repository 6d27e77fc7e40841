/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenVPN classifier (UDP and TCP). Owns the OpenVPN patterns and the
 * validator that matches the client's hard reset with the server's, follows
 * one side's control channel when the other is not seen, and reads a data
 * channel picked up without its handshake.
 *
 * Wire facts (openvpn src/openvpn/ssl_pkt.[ch], reliable.c, tls_crypt.c,
 * crypto.c; checked against the capture ../shared/pcaps/wild/vpn/443-opvn.pcap,
 * a TCP tls-auth SHA1 session, and every pcaps/openvpn-*.pcap, OpenVPN 2.6):
 *   byte 0 = opcode << 3 | key id; a hard reset has key id 0, and so has
 *   every control packet until the first renegotiation (an hour by default).
 *   Opcodes: 4 P_CONTROL_V1, 5 P_ACK_V1, 6 P_DATA_V1, 7 hard reset client
 *   v2, 8 hard reset server v2, 9 P_DATA_V2, 10 hard reset client v3
 *   (tls-crypt-v2), 11 P_CONTROL_WKC_V1 (a control packet + the client's WKc).
 *   Control packets (3..5, 7, 8, 10, 11):
 *   bytes 1..8 = the sender's session id (random, non-zero).
 *   plain:     ack array (count, count x 4-byte packet id, then the acked
 *              peer session id when count > 0), 4-byte message packet id
 *              (not in P_ACK_V1, which is only the ack array), payload.
 *   tls-auth:  HMAC (20/32/64 for SHA1/256/512), replay packet id (4),
 *              time (4), then the plain part; all of it in clear text, so
 *              the server's ack of the client session is visible too.
 *   tls-crypt: replay packet id (4), time (4), 32-byte tag, then the plain
 *              part AES-CTR encrypted (same length); v3 (tls-crypt-v2)
 *              appends the wrapped client key WKc whose last 2 bytes are
 *              its own length (290..1024), and so does P_CONTROL_WKC_V1.
 *   Every control packet a side sends (retransmissions and acks too) takes
 *   the next replay packet id; its time stays the session's start (the
 *   captures show one value per side). Message packet ids count the
 *   side's control messages: 0 for the reset, then 1, 2, ... (a
 *   retransmission repeats its own).
 *   P_DATA_V2 with an AEAD cipher (GCM, ChaCha20-Poly1305; 2.6 negotiates
 *   one by default): opcode/key id, 3-byte peer id (the server's index of
 *   the client: the same both ways, below the server's max-clients), packet
 *   id (4, clear, from 1 up by one per packet per direction), tag (16),
 *   ciphertext. With a CBC cipher the packet id is inside the ciphertext:
 *   only the opcode, the peer id, the HMAC and the IV are clear.
 *   TCP: each packet is preceded by its 2-byte big-endian length; several
 *   may share a segment and one may span segments.
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
 * Decisions, both directions (all need key id 0 and non-zero, distinct
 * session ids):
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
 *       nothing of that is visible: a client packet after a tls-crypt server
 *       reset is NO.
 * One direction (an asymmetric route, a tap on one side). The reset's opcode
 * says which side it is, so these name the server:
 *   LIKELY "hard-reset-client+control-one-dir-{plain,tls-crypt,
 *       tls-auth-sha1,tls-auth-sha256,tls-auth-sha512}" and
 *       "hard-reset-client-v3+control-one-dir-tls-crypt-v2": the client's
 *       reset, then OVPN_ONE_DIR_PKTS - 1 more of its control packets
 *       (P_CONTROL_V1, P_ACK_V1, after a v3 reset P_CONTROL_WKC_V1), each:
 *       key id 0, the reset's session id (64 bits repeated), a framing that
 *       fits the reset's: tls-auth/tls-crypt replay packet id up by 1..
 *       OVPN_PID_STEP from the last and the same time (its low byte is
 *       kept); plain: message packet id 1.., never back, at most
 *       OVPN_MSG_STEP ahead; plain/tls-auth: an ack array whose acked
 *       session id is one and the same (the server's), never the client's
 *       own, a P_ACK_V1 ending with it, a P_CONTROL_V1 with payload;
 *       tls-crypt: lengths the encrypted part can have (an ack of 1..8 ids:
 *       58 + 4n bytes; a WKc packet ending in a WKc length that fits).
 *   LIKELY "hard-reset-server+control-one-dir-{plain,tls-crypt,
 *       tls-auth-sha1,tls-auth-sha256,tls-auth-sha512}": the server's reset,
 *       then its own control packets held to the same rules, their acks
 *       carrying the client session id its reset acked (plain/tls-auth; with
 *       tls-crypt the server's acks are encrypted). The server cannot show
 *       tls-crypt-v2 apart from tls-crypt.
 *   LIKELY "data-v2-one-dir-peer-id-packet-id-rising" (OVPN_DATA_ONE_DIR
 *       packets) and "data-v2-both-dirs-peer-id-packet-id-rising"
 *       (OVPN_DATA_BOTH each way): a data channel without its handshake
 *       (mid-session): P_DATA_V2 of at least OVPN_DATA_MIN bytes, one
 *       opcode/key-id byte and one peer id for the flow (both ways), the
 *       peer id below OVPN_PEER_ID_LIMIT (or 0xffffff, unset), per direction
 *       a non-zero packet id rising by 1..OVPN_DATA_MAX_STEP, and a tag as
 *       random as a MAC is (at most OVPN_TAG_MAX_ZEROS zero bytes of 16).
 *       Nothing in it says which end serves: these name no server, and the
 *       registry is asked about both ends (peer_checks).
 * What one direction cannot prove: that the other side answered (LIKELY,
 * never CONFIRMED), and, for the data channel alone, which end serves.
 * Not decided alone: a client's resets with nothing after them (the same
 * 14 plain bytes again, or with rising replay ids), a server reset with
 * fewer than OVPN_ONE_DIR_PKTS - 1 packets after it, control packets
 * without their reset (a capture joined mid-handshake), P_DATA_V1 (one fixed
 * byte, then the packet id: an ASN.1 SEQUENCE -- LDAP, SNMP -- starts the
 * same way), and CBC data channels (four fixed bytes, then an HMAC and an
 * IV: nothing that rises or is echoed). An ESP header (SPI, sequence number
 * from 1) has the shape of an AEAD P_DATA_V2 when the SPI's first byte is
 * 0x48..0x4f and its second 0: ESP-in-UDP's and IKE's ports (500, 4500,
 * 4501, 10000) are left to those classifiers, and anywhere else one such
 * SA in 8192 would read as a one-direction data channel (its two SPIs
 * differ, so never both directions; strongSwan's SPIs start 0xc...).
 * TCP: a direction's first segment (stream offset 0) must start with a
 * packet wholly inside it (the reset, or for a data channel a P_DATA_V2);
 * from there the packets of that side are followed across segments, a
 * packet spanning segments skipped (not checked). A segment that cannot be
 * followed (a length field split across segments, a packet that fails)
 * ends the one-direction count but not the wait for the other side's reset.
 * The other side's first segment must then hold its reset, or the flow is NO.
 */
#include "classifier.h"
#include "cls_util.h"

#define OVPN_OP_CONTROL 4
#define OVPN_OP_ACK 5
#define OVPN_OP_RESET_CLIENT_V2 7
#define OVPN_OP_RESET_SERVER_V2 8
#define OVPN_OP_DATA_V2 9
#define OVPN_OP_RESET_CLIENT_V3 10
#define OVPN_OP_CONTROL_WKC 11
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

/* One side's control channel. */
#define OVPN_ONE_DIR_PKTS 3      /* the reset and two more control packets */
#define OVPN_PID_STEP 4u         /* replay packet id step between two packets (a few lost before the tap) */
#define OVPN_MSG_STEP 8u         /* message packet id ahead of the highest seen (the reliable window) */
#define OVPN_MSG_PID_MAX 255u    /* message packet ids inside the window are small */

/* The data channel. */
#define OVPN_AEAD_TAG 16u
#define OVPN_DATA_MIN (4u + 4u + OVPN_AEAD_TAG + 16u) /* a keepalive: 16-byte ping payload */
#define OVPN_PEER_ID_LIMIT 0x10000u /* the server's instance index, below its max-clients */
#define OVPN_PEER_ID_UNSET 0xffffffu
#define OVPN_DATA_MAX_STEP 64u
#define OVPN_TAG_MAX_ZEROS 3u
#define OVPN_DATA_ONE_DIR 4
#define OVPN_DATA_BOTH 2

#define OVPN_NX_LOST 0xffffu     /* TCP: the side's packets can no longer be followed */
#define OVPN_V3 0x80u            /* wraps: the client's reset was v3 (tls-crypt-v2) */

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
static const char *const ovpn_client_one_dir_check[OW_N] = {
	"hard-reset-client+control-one-dir-plain",
	"hard-reset-client+control-one-dir-tls-crypt",
	"hard-reset-client+control-one-dir-tls-auth-sha1",
	"hard-reset-client+control-one-dir-tls-auth-sha256",
	"hard-reset-client+control-one-dir-tls-auth-sha512",
};
#define OVPN_CHECK_CLIENT_V3_ONE_DIR "hard-reset-client-v3+control-one-dir-tls-crypt-v2"
static const char *const ovpn_server_one_dir_check[OW_N] = {
	"hard-reset-server+control-one-dir-plain",
	"hard-reset-server+control-one-dir-tls-crypt",
	"hard-reset-server+control-one-dir-tls-auth-sha1",
	"hard-reset-server+control-one-dir-tls-auth-sha256",
	"hard-reset-server+control-one-dir-tls-auth-sha512",
};
static const char ovpn_check_data_one[] = "data-v2-one-dir-peer-id-packet-id-rising";
static const char ovpn_check_data_both[] = "data-v2-both-dirs-peer-id-packet-id-rising";
/* After these the ends are peers: the data channel does not say which serves. */
static const char *const ovpn_peer_checks[] = { ovpn_check_data_one, ovpn_check_data_both, NULL };

#define OVPN_WRAPS_VISIBLE_ACK \
	(1u << OW_PLAIN | 1u << OW_AUTH_SHA1 | 1u << OW_AUTH_SHA256 | 1u << OW_AUTH_SHA512)
#define OVPN_WRAPS_ALL ((1u << OW_N) - 1u)

enum ovpn_step {
	OVPN_ST_CLIENT = 1,   /* client's hard reset seen */
	OVPN_ST_SERVER_FIRST, /* server's hard reset seen first (late capture, or the server's side only) */
	OVPN_ST_DATA,         /* a data channel without its handshake */
};

struct ovpn_state {
	uint8_t step;            /* enum ovpn_step */
	uint8_t wraps;           /* CLIENT, SERVER_FIRST: bit per enum ovpn_wrap that fits, OVPN_V3 */
	uint8_t dir;             /* direction of the first packet claimed */
	uint8_t n;               /* CLIENT, SERVER_FIRST: consistent control packets from dir, the reset included */
	union {
		struct {                 /* CLIENT, SERVER_FIRST */
			uint8_t ctr;     /* dir's last replay packet id (tls-auth/crypt) or highest
					    message packet id (plain), low byte */
			uint8_t time_lo; /* low byte of dir's replay time */
			uint16_t nx;     /* TCP: stream offset of dir's next packet, or OVPN_NX_LOST */
			uint8_t sid[OVPN_SID];  /* client session id: own (CLIENT) or acked (SERVER_FIRST; 0: hidden) */
			uint8_t ssid[OVPN_SID]; /* server session id: own (SERVER_FIRST) or the one the
						   client acks (CLIENT; 0 until seen) */
		} c;
		struct {                 /* DATA */
			uint8_t op;      /* opcode/key-id byte */
			uint8_t peer[3]; /* peer id */
			uint16_t nx[2];  /* TCP: stream offset of each direction's next packet */
			uint8_t n[2];    /* packets per direction */
			uint32_t pid[2]; /* last packet id per direction */
		} d;
	};
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

static unsigned int
ovpn_wrap_of(uint8_t wraps)
{
	unsigned int w;

	for (w = 0; w < OW_N; w++)
		if (wraps & 1u << w)
			return w;
	return OW_N;
}

/* The lowest wrap of wraps with a replay header (tls-auth/tls-crypt), OW_N when none. */
static unsigned int
ovpn_replay_wrap_of(uint8_t wraps)
{
	return ovpn_wrap_of((uint8_t)(wraps & OVPN_WRAPS_ALL & ~(1u << OW_PLAIN)));
}

/* Offset of the replay header (packet id, time) for wrap w (not plain). */
static uint32_t
ovpn_replay_off(unsigned int w)
{
	return w == OW_CRYPT ? OVPN_HDR : OVPN_HDR + ovpn_hmac_len[w];
}

/* The session id a one-direction packet of this state must carry: its sender's own. */
static const uint8_t *
ovpn_own_sid(const struct ovpn_state *s)
{
	return s->step == OVPN_ST_CLIENT ? s->c.sid : s->c.ssid;
}

/* The first byte of the reset that claimed the flow (key id 0). */
static uint8_t
ovpn_reset_byte(const struct ovpn_state *s)
{
	if (s->step == OVPN_ST_SERVER_FIRST)
		return OVPN_OP_RESET_SERVER_V2 << 3;
	return (s->wraps & OVPN_V3 ? OVPN_OP_RESET_CLIENT_V3 : OVPN_OP_RESET_CLIENT_V2) << 3;
}

/* Claim the flow for a reset from dir; sid: the client's, ssid: the server's (either may be NULL). */
static void
ovpn_claim(struct ovpn_state *s, uint8_t step, uint8_t dir, unsigned int wraps, const uint8_t *sid,
	   const uint8_t *ssid, const uint8_t *p, uint32_t n)
{
	unsigned int rw = ovpn_replay_wrap_of((uint8_t)wraps);
	uint8_t t = 0;

	memset(s, 0, sizeof(*s));
	s->step = step;
	s->wraps = (uint8_t)wraps;
	s->dir = dir;
	s->n = 1;
	if (sid != NULL)
		memcpy(s->c.sid, sid, OVPN_SID);
	if (ssid != NULL)
		memcpy(s->c.ssid, ssid, OVPN_SID);
	if (rw < OW_N)
		cls_u8(p, n, ovpn_replay_off(rw) + 7, &t);
	s->c.time_lo = t;
	s->c.ctr = rw < OW_N; /* the reset's replay packet id is 1 (or 0x0f000001): low byte 1 */
}

/* Claim (or re-claim) the flow for a client reset. */
static struct cls_verdict
ovpn_take_client(const struct cls_pkt *pkt, const uint8_t *p, uint32_t n, unsigned int wraps,
		 struct ovpn_state *s)
{
	if ((p[0] >> 3) == OVPN_OP_RESET_CLIENT_V3)
		wraps |= OVPN_V3;
	ovpn_claim(s, OVPN_ST_CLIENT, pkt->dir, wraps, p + 1, NULL, p, n);
	return cls_ret(CLS_MORE, "hard-reset-client");
}

/* ------------------------------------------------ one side's control channel */

/* What a later control packet showed, before it is taken. */
struct ovpn_follow {
	uint8_t ctr;            /* its replay packet id, or the highest message packet id, low byte */
	uint8_t time_lo;
	uint32_t peer_off;      /* offset of the peer session id it acks, 0: none visible */
};

/* tls-crypt: lengths the encrypted part of a later packet of opcode op can have. */
static bool
ovpn_crypt_len_fits(const uint8_t *p, uint32_t n, uint8_t op)
{
	uint16_t wkc;

	switch (op) {
	case OVPN_OP_ACK: /* count, 1..8 packet ids, the peer's session id */
		return n >= OVPN_CRYPT_HDR + 1u + 4u + OVPN_SID &&
		       n <= OVPN_CRYPT_HDR + 1u + 4u * OVPN_MAX_ACKS + OVPN_SID &&
		       (n - OVPN_CRYPT_HDR - 1u - OVPN_SID) % 4u == 0;
	case OVPN_OP_CONTROL: /* count, message packet id, payload */
		return n > OVPN_CRYPT_HDR + OVPN_CLIENT_REL;
	case OVPN_OP_CONTROL_WKC: /* the same, then the WKc ending in its length */
		return cls_be16(p, n, n - 2, &wkc) && wkc >= OVPN_WKC_MIN && wkc <= OVPN_WKC_MAX && wkc < n &&
		       n - wkc > OVPN_CRYPT_HDR + OVPN_CLIENT_REL;
	default:
		return false;
	}
}

/*
 * Does p[0..n), a later control packet of opcode op from the side the state
 * follows, fit wrap w after a last packet with counter ctr (and, when
 * time_lo >= 0, that time)? Fills *f; the state is not changed.
 */
static bool
ovpn_follow_fits(const uint8_t *p, uint32_t n, uint8_t op, unsigned int w, uint8_t ctr, int time_lo,
		 struct ovpn_follow *f)
{
	uint32_t off = ovpn_rel_off(w), pid, t;
	struct ovpn_rel r;
	uint8_t step;

	f->peer_off = 0;
	f->ctr = ctr;
	f->time_lo = 0;
	if (w != OW_PLAIN) {
		uint32_t ro = ovpn_replay_off(w);

		if (!ovpn_replay_ok(p, n, ro, false) || !cls_be32(p, n, ro, &pid) || !cls_be32(p, n, ro + 4, &t))
			return false;
		step = (uint8_t)((uint8_t)pid - ctr);
		if (step == 0 || step > OVPN_PID_STEP || (time_lo >= 0 && (uint8_t)t != (uint8_t)time_lo))
			return false;
		f->ctr = (uint8_t)pid;
		f->time_lo = (uint8_t)t;
	}
	if (w == OW_CRYPT)
		return ovpn_crypt_len_fits(p, n, op);
	if (op == OVPN_OP_CONTROL_WKC || !ovpn_rel_parse(p, n, off, op != OVPN_OP_ACK, &r))
		return false;
	if (op == OVPN_OP_ACK ? r.n_acks == 0 || r.end != n : r.end >= n)
		return false;
	if (op != OVPN_OP_ACK) {
		if (r.msg_pid == 0 || r.msg_pid > OVPN_MSG_PID_MAX)
			return false;
		if (w == OW_PLAIN) {
			if (r.msg_pid + OVPN_MSG_STEP < ctr || r.msg_pid > ctr + OVPN_MSG_STEP)
				return false;
			if (r.msg_pid > ctr)
				f->ctr = (uint8_t)r.msg_pid;
		}
	}
	if (r.n_acks > 0) {
		if (cls_all_zero(p, n, r.peer_sid_off, OVPN_SID) || cls_bytes_eq(p, n, r.peer_sid_off, p + 1, OVPN_SID))
			return false;
		f->peer_off = r.peer_sid_off;
	}
	return true;
}

/*
 * A later control packet p[0..n) from the side that sent the first reset:
 * consistent (counted, and decided at OVPN_ONE_DIR_PKTS), its reset again
 * (not counted), or NO (anything else, a data packet too).
 */
static struct cls_verdict
ovpn_side_packet(const uint8_t *p, uint32_t n, uint8_t dir, struct ovpn_state *s)
{
	bool client = s->step == OVPN_ST_CLIENT;
	const uint8_t *own = ovpn_own_sid(s);
	uint8_t *peer = client ? s->c.ssid : s->c.sid;
	struct ovpn_follow f;
	unsigned int w;
	uint8_t op;

	(void)dir;
	if (n < OVPN_HDR || !cls_bytes_eq(p, n, 1, own, OVPN_SID))
		return cls_ret(CLS_NO, "one-dir-session-id-mismatch");
	op = p[0] >> 3;
	if (p[0] == ovpn_reset_byte(s)) {
		/* Its reset again (not counted); with tls-auth/tls-crypt it took the next replay id. */
		unsigned int rw = ovpn_replay_wrap_of(s->wraps);
		uint32_t pid;

		if (rw < OW_N && ovpn_replay_ok(p, n, ovpn_replay_off(rw), false) &&
		    cls_be32(p, n, ovpn_replay_off(rw), &pid) &&
		    (uint8_t)((uint8_t)pid - s->c.ctr) >= 1 && (uint8_t)((uint8_t)pid - s->c.ctr) <= OVPN_PID_STEP)
			s->c.ctr = (uint8_t)pid;
		return cls_ret(CLS_MORE, client ? "hard-reset-client-retransmit" : "hard-reset-server-retransmit");
	}
	if ((p[0] & 7) != 0 ||
	    (op != OVPN_OP_CONTROL && op != OVPN_OP_ACK && !(op == OVPN_OP_CONTROL_WKC && (s->wraps & OVPN_V3))))
		return cls_ret(CLS_NO, "one-dir-unexpected-opcode");
	if (s->n == 1) {
		/* The first packet after the reset settles which framing it is. */
		unsigned int rw = ovpn_replay_wrap_of(s->wraps);

		for (w = 0; w < OW_N; w++)
			if ((s->wraps & 1u << w) &&
			    ovpn_follow_fits(p, n, op, w, w == OW_PLAIN ? 0 : w == rw ? s->c.ctr : 1,
					     w == rw ? s->c.time_lo : -1, &f))
				break;
		if (w == OW_N)
			return cls_ret(CLS_NO, "one-dir-control-framing-mismatch");
		s->wraps = (uint8_t)((s->wraps & OVPN_V3) | 1u << w);
	} else {
		w = ovpn_wrap_of(s->wraps);
		if (w >= OW_N || !ovpn_follow_fits(p, n, op, w, s->c.ctr, w == OW_PLAIN ? -1 : s->c.time_lo, &f))
			return cls_ret(CLS_NO, "one-dir-control-inconsistent");
	}
	if (f.peer_off != 0) {
		/* Every ack names the same peer session; the client learns the server's from its first. */
		if (cls_all_zero(peer, OVPN_SID, 0, OVPN_SID))
			memcpy(peer, p + f.peer_off, OVPN_SID);
		else if (!cls_bytes_eq(p, n, f.peer_off, peer, OVPN_SID))
			return cls_ret(CLS_NO, "one-dir-acks-another-session");
	}
	s->c.ctr = f.ctr;
	s->c.time_lo = f.time_lo;
	if (++s->n < OVPN_ONE_DIR_PKTS)
		return cls_ret(CLS_MORE, "one-dir-control-consistent");
	if (!client)
		return cls_ret_server(CLS_LIKELY, ovpn_server_one_dir_check[w], s->dir);
	return cls_ret_server(CLS_LIKELY,
			      w == OW_CRYPT && (s->wraps & OVPN_V3) ? OVPN_CHECK_CLIENT_V3_ONE_DIR
								     : ovpn_client_one_dir_check[w],
			      s->dir ^ 1u);
}

/* ------------------------------------------------------------- data channel */

/* A P_DATA_V2 packet with an AEAD cipher: its packet id in *pid. */
static bool
ovpn_data_shape(const uint8_t *p, uint32_t n, uint32_t *pid)
{
	uint32_t head, peer;

	if (n < OVPN_DATA_MIN || !cls_be32(p, n, 0, &head) || !cls_be32(p, n, 4, pid))
		return false;
	peer = head & 0xffffffu;
	return (head >> 27) == OVPN_OP_DATA_V2 && (peer < OVPN_PEER_ID_LIMIT || peer == OVPN_PEER_ID_UNSET) &&
	       *pid != 0 && cls_zero_count(p, n, 8, OVPN_AEAD_TAG) <= OVPN_TAG_MAX_ZEROS;
}

static struct cls_verdict
ovpn_data_verdict(const struct ovpn_state *s)
{
	uint8_t a = s->d.n[0], b = s->d.n[1];

	if (a >= OVPN_DATA_BOTH && b >= OVPN_DATA_BOTH)
		return cls_ret(CLS_LIKELY, ovpn_check_data_both);
	if ((a >= OVPN_DATA_ONE_DIR && b == 0) || (b >= OVPN_DATA_ONE_DIR && a == 0))
		return cls_ret(CLS_LIKELY, ovpn_check_data_one);
	return cls_ret(CLS_MORE, "data-v2-tracking");
}

/* One data packet of direction dir. */
static struct cls_verdict
ovpn_data_packet(const uint8_t *p, uint32_t n, uint8_t dir, struct ovpn_state *s)
{
	unsigned int d = dir & 1u;
	uint32_t pid;

	if (!ovpn_data_shape(p, n, &pid) || p[0] != s->d.op || !cls_bytes_eq(p, n, 1, s->d.peer, 3))
		return cls_ret(CLS_NO, "data-v2-inconsistent");
	if (s->d.n[d] != 0 && !cls_seq_advanced(s->d.pid[d], pid, OVPN_DATA_MAX_STEP))
		return cls_ret(CLS_NO, "data-v2-packet-id-not-rising");
	s->d.pid[d] = pid;
	if (s->d.n[d] < UINT8_MAX)
		s->d.n[d]++;
	return ovpn_data_verdict(s);
}

/* ------------------------------------------------------------- TCP streams */

typedef struct cls_verdict (*ovpn_one_fn)(const uint8_t *p, uint32_t n, uint8_t dir, struct ovpn_state *s);

/*
 * TCP: the packets of a segment from the direction's stream offset *nx on,
 * each whole one given to one() until it decides or says NO; a packet that
 * goes on past the segment is skipped. NO also when the stream cannot be
 * followed (*nx is then left as it was).
 */
static struct cls_verdict
ovpn_walk(const struct cls_pkt *pkt, uint16_t *nx, ovpn_one_fn one, struct ovpn_state *s)
{
	struct cls_verdict v = cls_ret(CLS_MORE, "tcp-packet-continues");
	uint32_t off = pkt->tcp_offset, pos, next;
	uint16_t plen;

	if (*nx == OVPN_NX_LOST || off > *nx)
		return cls_ret(CLS_NO, "tcp-stream-not-followed");
	for (pos = *nx - off; pos < pkt->len; pos = next) {
		if (!cls_be16(pkt->payload, pkt->len, pos, &plen) || plen < OVPN_HDR)
			return cls_ret(CLS_NO, "tcp-stream-not-followed");
		next = pos + 2 + plen;
		if (next > pkt->len) {
			/* Its start is here: its opcode must be a legal one. */
			if (pos + 2 < pkt->len && ((pkt->payload[pos + 2] >> 3) < OVPN_OP_FIRST ||
						   (pkt->payload[pos + 2] >> 3) > OVPN_OP_LAST))
				return cls_ret(CLS_NO, "tcp-stream-not-followed");
			pos = next;
			break;
		}
		v = one(pkt->payload + pos + 2, plen, pkt->dir, s);
		if (v.result != CLS_MORE)
			return v;
	}
	if (off + pos >= OVPN_NX_LOST)
		return cls_ret(CLS_NO, "tcp-stream-not-followed");
	*nx = (uint16_t)(off + pos);
	return v;
}

/* The first sender's later packets: UDP one by one; TCP followed through its stream. */
static struct cls_verdict
ovpn_side(const struct cls_pkt *pkt, struct ovpn_state *s)
{
	struct cls_verdict v;
	unsigned int wraps;

	if (pkt->l4 == CLS_UDP) {
		/* A client that restarts with a new session: follow that one. */
		wraps = s->step == OVPN_ST_CLIENT ? ovpn_client_reset_wraps(pkt->payload, pkt->len) : 0;
		if (wraps != 0 && !cls_bytes_eq(pkt->payload, pkt->len, 1, s->c.sid, OVPN_SID))
			return ovpn_take_client(pkt, pkt->payload, pkt->len, wraps, s);
		return ovpn_side_packet(pkt->payload, pkt->len, pkt->dir, s);
	}
	if (s->c.nx == OVPN_NX_LOST)
		return cls_ret(CLS_MORE, "tcp-later-segment-ignored");
	v = ovpn_walk(pkt, &s->c.nx, ovpn_side_packet, s);
	if (v.result == CLS_NO) {
		/* No more counting on this side; the other side's reset may still come. */
		s->c.nx = OVPN_NX_LOST;
		return cls_ret(CLS_MORE, "tcp-later-segment-ignored");
	}
	return v;
}

/* ---------------------------------------------------------------- first() */

/* A data packet that starts a flow (mid-session). */
static struct cls_verdict
ovpn_take_data(const struct cls_pkt *pkt, const uint8_t *p, uint32_t n, struct ovpn_state *s)
{
	unsigned int d = pkt->dir & 1u;
	uint32_t pid;

	if (cls_port_either(pkt, 500) || cls_port_either(pkt, CLS_NATT_PORT) || cls_port_either(pkt, 4501) ||
	    cls_port_either(pkt, 10000))
		return cls_ret(CLS_NO, "data-v2-on-ipsec-port");
	if (!ovpn_data_shape(p, n, &pid))
		return cls_ret(CLS_NO, "not-openvpn-data-v2-aead");
	memset(s, 0, sizeof(*s));
	s->step = OVPN_ST_DATA;
	s->dir = pkt->dir;
	s->d.op = p[0];
	memcpy(s->d.peer, p + 1, 3);
	s->d.pid[d] = pid;
	s->d.n[d] = 1;
	if (pkt->l4 == CLS_TCP) {
		s->d.nx[d] = (uint16_t)(n + 2);
		if (n + 2 < pkt->len)
			return ovpn_walk(pkt, &s->d.nx[d], ovpn_data_packet, s);
	}
	return cls_ret(CLS_MORE, "data-v2-aead-packet-id");
}

/* TCP: a reset that claimed the flow may share its segment with the side's next packets. */
static struct cls_verdict
ovpn_claimed(const struct cls_pkt *pkt, uint32_t n, struct ovpn_state *s, struct cls_verdict v)
{
	struct cls_verdict w;

	if (pkt->l4 != CLS_TCP)
		return v;
	s->c.nx = (uint16_t)(n + 2);
	if (n + 2 >= pkt->len)
		return v;
	w = ovpn_side(pkt, s);
	return w.result >= CLS_LIKELY ? w : v;
}

/* A client reset, a server reset, or a data packet. */
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
	if ((p[0] >> 3) == OVPN_OP_DATA_V2)
		return ovpn_take_data(pkt, p, n, s);
	wraps = ovpn_client_reset_wraps(p, n);
	if (wraps != 0)
		return ovpn_claimed(pkt, n, s, ovpn_take_client(pkt, p, n, wraps, s));
	if (!ovpn_is_server_reset(p, n))
		return cls_ret(CLS_NO, "not-openvpn-hard-reset");
	for (w = 0; w < OW_N; w++) {
		if (!(OVPN_WRAPS_VISIBLE_ACK & 1u << w) ||
		    !ovpn_reset_fits(p, n, w, true, NULL, &acked))
			continue;
		ovpn_claim(s, OVPN_ST_SERVER_FIRST, pkt->dir, 1u << w, p + acked, p + 1, p, n);
		return ovpn_claimed(pkt, n, s, cls_ret(CLS_MORE, "hard-reset-server-without-client"));
	}
	/* tls-crypt: the ack is hidden; only the server's own later packets can say more. */
	if (ovpn_reset_fits(p, n, OW_CRYPT, true, NULL, NULL)) {
		ovpn_claim(s, OVPN_ST_SERVER_FIRST, pkt->dir, 1u << OW_CRYPT, NULL, p + 1, p, n);
		return ovpn_claimed(pkt, n, s, cls_ret(CLS_MORE, "hard-reset-server-tls-crypt-without-client"));
	}
	return cls_ret(CLS_NO, "hard-reset-server-unknown-framing");
}

/* ---------------------------------------------------------------- owned() */

/* SERVER_FIRST: the client's next packet must echo both session ids. */
static struct cls_verdict
ovpn_client_after_server(const uint8_t *p, uint32_t n, const struct ovpn_state *s)
{
	unsigned int w = ovpn_wrap_of(s->wraps);
	uint32_t off;
	struct ovpn_rel r;
	uint8_t op;

	if (w >= OW_N || w == OW_CRYPT || n < OVPN_HDR || (p[0] & 7) != 0 ||
	    !cls_bytes_eq(p, n, 1, s->c.sid, OVPN_SID))
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
	    !cls_bytes_eq(p, n, r.peer_sid_off, s->c.ssid, OVPN_SID))
		return cls_ret(CLS_NO, "client-ack-session-mismatch");
	return cls_ret_server(CLS_LIKELY, "hard-reset-server+client-ack-session-match", s->dir);
}

/* CLIENT: the server's answer to the client's reset. */
static struct cls_verdict
ovpn_server_after_client(const uint8_t *p, uint32_t n, const struct ovpn_state *s)
{
	unsigned int w;

	if (!ovpn_is_server_reset(p, n) || cls_bytes_eq(p, n, 1, s->c.sid, OVPN_SID))
		return cls_ret(CLS_NO, "server-not-hard-reset");
	for (w = 0; w < OW_N; w++) {
		if (!(s->wraps & 1u << w) || !ovpn_reset_fits(p, n, w, true, s->c.sid, NULL))
			continue;
		if (w == OW_CRYPT && (s->wraps & OVPN_V3))
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

	if (pkt->payload == NULL || (pkt->l4 != CLS_UDP && pkt->l4 != CLS_TCP))
		return cls_ret(CLS_NO, "not-openvpn-transport");
	if (s->step == OVPN_ST_DATA) {
		if (pkt->l4 == CLS_UDP)
			return ovpn_data_packet(pkt->payload, pkt->len, pkt->dir, s);
		return ovpn_walk(pkt, &s->d.nx[pkt->dir & 1u], ovpn_data_packet, s);
	}
	/* The side that sent the first reset: its control channel. */
	if (pkt->dir == s->dir)
		return ovpn_side(pkt, s);
	/* The other side: its first packet must be the answer. */
	seg = ovpn_packet(pkt, &p, &n);
	if (seg == OVPN_SEG_BAD)
		return cls_ret(CLS_NO, "not-openvpn-framing");
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
 * reset. P_DATA_V2 (0x48..0x4f, any key id) and its shortest AEAD packet,
 * for a data channel without its handshake. TCP: after the 2-byte length.
 */
static const struct cls_pattern ovpn_patterns[] = {
	{ "^\\x38.{13}", CLS_UDP, "openvpn-udp-hard-reset-client-v2" },
	{ "^\\x50.{13}", CLS_UDP, "openvpn-udp-hard-reset-client-v3" },
	{ "^\\x40.{13}", CLS_UDP, "openvpn-udp-hard-reset-server-v2" },
	{ "^[\\x48-\\x4f].{39}", CLS_UDP, "openvpn-udp-data-v2" },
	{ "^..\\x38.{13}", CLS_TCP, "openvpn-tcp-hard-reset-client-v2" },
	{ "^..\\x50.{13}", CLS_TCP, "openvpn-tcp-hard-reset-client-v3" },
	{ "^..\\x40.{13}", CLS_TCP, "openvpn-tcp-hard-reset-server-v2" },
	{ "^..[\\x48-\\x4f].{39}", CLS_TCP, "openvpn-tcp-data-v2" },
};

const struct classifier cls_openvpn = {
	.name = "openvpn",
	.priority = 20,
	.patterns = ovpn_patterns,
	.n_patterns = sizeof(ovpn_patterns) / sizeof(ovpn_patterns[0]),
	.l4 = CLS_UDP | CLS_TCP,
	/* UDP: 2 resets (+ retransmissions), or 3 packets of one side, or 4 data
	 * packets; TCP: SYN, SYN-ACK, ACK, client reset, server's ACK, server
	 * reset (443-opvn.pcap decides at 6) + slack */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct ovpn_state),
	.peer_checks = ovpn_peer_checks,
	.first = ovpn_first,
	.owned = ovpn_owned,
};
