/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ZeroTier One classifier (UDP, any port; 9993 by convention). Owns its
 * pattern and validator.
 *
 * Wire facts (ZeroTierOne node/Packet.hpp, Identity.hpp serialize(),
 * IncomingPacket.cpp _doHELLO, Peer.cpp sendHELLO; no capture available):
 *   header (28): packet id / IV (8, random), destination address (5),
 *   source address (5), flags/cipher/hops byte FFCCCHHH (0x40 fragmented,
 *   0x80 the deprecated "encrypted" flag set with cipher 1; cipher 0
 *   POLY1305_NONE, 1 POLY1305_SALSA2012, 2 NO_CRYPTO_TRUSTED_PATH, 3
 *   AES_GMAC_SIV in 1.6+; hops 0..7), MAC (8), then the verb byte
 *   (3 flag bits, 0x80 = LZ4-compressed, and a 5-bit verb) and the payload.
 *   A 40-bit address is never 0 and never starts with 0xff (the reserved
 *   prefix: 0xff at byte 13 marks a fragment, whose header is 16 bytes).
 *   HELLO (verb 0x01) is the one message sent in clear (cipher 0, MAC
 *   only): protocol version (1; 4..12+ in released versions), major,
 *   minor (1 each), revision (2), timestamp (8, ms since the epoch), then
 *   the sender's identity: address (5) = the header's source address,
 *   type (1) = 0 (Curve25519/Ed25519), public key (64), private key length
 *   (1) = 0; then the destination's physical address type (0, 4 or 6).
 * Where the brief/notes suggest more: OK(HELLO) is verb 0x03 with the
 * in-re verb and the HELLO's packet id, but the responder sends it ENCRYPTED
 * (armor with payload encryption, cipher 1 or 3): its verb and in-re fields
 * are not visible. What is visible is its header: destination = the
 * HELLO's source, source = the HELLO's destination (80 bits echoed across
 * directions), a non-zero cipher suite. That is what is matched.
 *
 * Decisions (never from the port):
 *   CONFIRMED "hello+encrypted-reply-addresses-swapped": a HELLO (all the
 *       checks below), then from the other side a packet whose header
 *       carries the two 40-bit addresses swapped, cipher 1..3, and at least
 *       the length of an OK(HELLO) (28 + 23).
 *   CONFIRMED "hello-both-dirs-addresses-swapped": the other side's first
 *       packet is itself a HELLO with the addresses swapped (two peers
 *       introduced by a RENDEZVOUS greet each other at the same time).
 * HELLO checks: length >= 113, both addresses valid and different, cipher
 * 0, flags 0x80 clear, verb byte exactly 0x01, protocol version 4..31,
 * major version 1..9, timestamp a plausible unix time in ms, identity
 * address = header source address (40 bits echoed inside the packet),
 * identity type 0, private key length 0, destination address type 0/4/6.
 * A lone HELLO (retransmitted or not) stays CLS_MORE.
 * False positives: a HELLO alone already needs ~100 bits of fixed or
 * echoed structure (the 40-bit address echo, verb, type, lengths, version
 * ranges, timestamp); the decision adds an 80-bit echo from the other
 * direction. Random payloads never get there; no other protocol echoes its
 * own 5-byte field 28 bytes later and then sees it swapped in the reply.
 */
#include "classifier.h"
#include "cls_util.h"

#define ZT_HDR 28u
#define ZT_ADDR 5u
#define ZT_IDX_DEST 8u
#define ZT_IDX_SRC 13u
#define ZT_IDX_FLAGS 18u
#define ZT_IDX_VERB 27u
#define ZT_VERB_HELLO 0x01
#define ZT_FLAG_ENCRYPTED 0x80
#define ZT_FLAG_FRAGMENTED 0x40
#define ZT_ADDR_RESERVED 0xff

/* HELLO payload offsets (from the packet start). */
#define ZT_H_PROTO 28u
#define ZT_H_MAJOR 29u
#define ZT_H_TIMESTAMP 33u
#define ZT_H_ID_ADDR 41u
#define ZT_H_ID_TYPE 46u
#define ZT_H_ID_PRIVLEN 111u
#define ZT_H_DEST_TYPE 112u
#define ZT_HELLO_MIN 113u
#define ZT_OK_HELLO_MIN (ZT_HDR + 23u) /* in-re 9, timestamp 8, versions 5, addr type 1 */

#define ZT_PROTO_MIN 4
#define ZT_PROTO_MAX 31

struct zt_state {
	uint8_t dest[ZT_ADDR];  /* HELLO destination address */
	uint8_t src[ZT_ADDR];   /* HELLO source address */
};
CLS_STATE_FITS(struct zt_state);

static uint8_t
zt_cipher(uint8_t flags)
{
	return (uint8_t)((flags >> 3) & 7u);
}

/* A valid 40-bit ZeroTier address at p[off]: not zero, not the reserved prefix. */
static bool
zt_addr_ok(const uint8_t *p, uint32_t n, uint32_t off)
{
	return cls_has(n, off, ZT_ADDR) && p[off] != ZT_ADDR_RESERVED && !cls_all_zero(p, n, off, ZT_ADDR);
}

/* A packet header (not a fragment) with valid, different addresses. */
static bool
zt_header_ok(const uint8_t *p, uint32_t n)
{
	return p != NULL && n >= ZT_HDR && zt_addr_ok(p, n, ZT_IDX_DEST) && zt_addr_ok(p, n, ZT_IDX_SRC) &&
	       memcmp(p + ZT_IDX_DEST, p + ZT_IDX_SRC, ZT_ADDR) != 0;
}

static bool
zt_hello(const uint8_t *p, uint32_t n)
{
	uint64_t ts;
	uint32_t need;

	if (!zt_header_ok(p, n) || n < ZT_HELLO_MIN)
		return false;
	if (zt_cipher(p[ZT_IDX_FLAGS]) != 0 || (p[ZT_IDX_FLAGS] & ZT_FLAG_ENCRYPTED) ||
	    p[ZT_IDX_VERB] != ZT_VERB_HELLO)
		return false;
	if (p[ZT_H_PROTO] < ZT_PROTO_MIN || p[ZT_H_PROTO] > ZT_PROTO_MAX || p[ZT_H_MAJOR] < 1 ||
	    p[ZT_H_MAJOR] > 9)
		return false;
	if (!cls_be64(p, n, ZT_H_TIMESTAMP, &ts) || ts / 1000u > CLS_TIME_MAX ||
	    !cls_plausible_unix_time((uint32_t)(ts / 1000u)))
		return false;
	if (memcmp(p + ZT_H_ID_ADDR, p + ZT_IDX_SRC, ZT_ADDR) != 0 || p[ZT_H_ID_TYPE] != 0 ||
	    p[ZT_H_ID_PRIVLEN] != 0)
		return false;
	switch (p[ZT_H_DEST_TYPE]) {
	case 0:
		need = 0;
		break;
	case 4:
		need = 6;
		break;
	case 6:
		need = 18;
		break;
	default:
		return false;
	}
	return cls_has(n, ZT_H_DEST_TYPE + 1, need);
}

static struct cls_verdict
zt_first(const struct cls_pkt *pkt, void *st)
{
	struct zt_state *s = st;
	const uint8_t *p = pkt->payload;

	if (pkt->l4 != CLS_UDP || p == NULL)
		return cls_ret(CLS_NO, "not-udp-payload");
	if (!zt_hello(p, pkt->len))
		return cls_ret(CLS_NO, "not-zerotier-hello");
	memcpy(s->dest, p + ZT_IDX_DEST, ZT_ADDR);
	memcpy(s->src, p + ZT_IDX_SRC, ZT_ADDR);
	return cls_ret(CLS_MORE, "hello-cleartext-identity-is-source");
}

static struct cls_verdict
zt_owned(const struct cls_pkt *pkt, void *st)
{
	const struct zt_state *s = st;
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->len;
	bool swapped;

	if (p == NULL)
		return cls_ret(CLS_NO, "not-udp-payload");
	if (pkt->dir == pkt->first_dir) {
		/* The HELLO again, or what the sender sends next on the same path. */
		if (zt_header_ok(p, n) && cls_bytes_eq(p, n, ZT_IDX_DEST, s->dest, ZT_ADDR) &&
		    cls_bytes_eq(p, n, ZT_IDX_SRC, s->src, ZT_ADDR))
			return cls_ret(CLS_MORE, "same-side-same-addresses");
		return cls_ret(CLS_NO, "same-side-other-addresses");
	}
	swapped = zt_header_ok(p, n) && cls_bytes_eq(p, n, ZT_IDX_DEST, s->src, ZT_ADDR) &&
		  cls_bytes_eq(p, n, ZT_IDX_SRC, s->dest, ZT_ADDR);
	if (!swapped)
		return cls_ret(CLS_NO, "reply-addresses-not-swapped");
	if (zt_hello(p, n))
		return cls_ret(CLS_CONFIRMED, "hello-both-dirs-addresses-swapped");
	if (zt_cipher(p[ZT_IDX_FLAGS]) == 0 || n < ZT_OK_HELLO_MIN)
		return cls_ret(CLS_NO, "reply-not-encrypted-ok");
	return cls_ret(CLS_CONFIRMED, "hello+encrypted-reply-addresses-swapped");
}

/* Header with cipher 0 (fragmented flag and hops allowed) and verb HELLO. */
static const struct cls_pattern zt_patterns[] = {
	{ "^.{18}[\\x00-\\x07\\x40-\\x47].{8}\\x01", CLS_UDP, "zerotier-hello" },
};

const struct classifier cls_zerotier = {
	.name = "zerotier",
	.priority = 150,
	.patterns = zt_patterns,
	.n_patterns = sizeof(zt_patterns) / sizeof(zt_patterns[0]),
	.l4 = CLS_UDP,
	/* HELLO (+ retransmits) + the reply */
	.pkts_needed = 4,
	.max_owned = 8,
	.state_size = sizeof(struct zt_state),
	.flags = CLS_F_PEERS,
	.first = zt_first,
	.owned = zt_owned,
};
