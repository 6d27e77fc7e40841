/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE classifier (UDP): IKEv1 (RFC 2408/2409) and IKEv2 (RFC 7296), on UDP
 * 500, on UDP 4500 behind the NAT-T non-ESP marker (RFC 3948), or on any
 * other port (the structure is checked, never the port). Owns the IKE
 * patterns and the validator that matches a request with its response.
 *
 * Wire facts (RFC 7296 §3.1-3.2, RFC 2408 §3.1-3.2, RFC 3948 §2.2), checked
 * against docs/protocols.md; where the notes are loose, the RFCs win:
 *   header (28): initiator SPI (8, non-zero), responder SPI (8, zero in the
 *   first request), next payload, version (0x10 / 0x20: the minor version is
 *   0 in what every implementation sends), exchange type, flags, message id
 *   (4), length (4) = the whole IKE message (the datagram minus the marker).
 *   - exchange types: v1 1..5 (ISAKMP; 2 main/identity protection, 4
 *     aggressive, 5 informational), 6 (transaction/mode-config, draft used
 *     by every XAUTH client), 32 quick mode, 33 new group mode; v2 34..37,
 *     43 IKE_SESSION_RESUME (RFC 5723), 47 IKE_INTERMEDIATE (RFC 9242), 48
 *     IKE_FOLLOWUP_KE (RFC 9370). The notes list only a subset.
 *   - flags: v1 only E/C/A (0x01/0x02/0x04); v2 only I (0x08) and R (0x20)
 *     -- the V bit (0x10) MUST be clear in IKEv2 (RFC 7296 §3.1).
 *   - payload chain: generic payload headers (next payload, critical /
 *     reserved byte, 2-byte length >= 4) ending exactly at the message
 *     length. v2 types 33..54; the Encrypted payload (46) and Encrypted
 *     Fragment (53, RFC 7383) are last and their "next payload" is the first
 *     inner type, so the walk stops there. v1 types 0..21 (13 VID, 20/21
 *     NAT-D/NAT-OA of RFC 3947) and 128..255 (private use, e.g. the NAT-D
 *     draft's 130); a v1 message with the E flag is encrypted after the
 *     header: only its length is checked (a whole number of 8-byte blocks).
 *   - a v2 COOKIE or INVALID_KE_PAYLOAD answer to IKE_SA_INIT keeps the
 *     responder SPI zero (RFC 7296 §2.6, §1.3): the request is then retried.
 *   - the notes say IKE moves to 4500 "after NAT detection"; an IKEv2
 *     initiator may also start on 4500 (RFC 7296 §2.23), so the marker is
 *     accepted on any message, on any port.
 *
 * Decisions, both directions:
 *   CONFIRMED "ikev2-sa-init+response-spi-match": an IKE_SA_INIT request
 *       (responder SPI 0, I flag, message id 0) answered from the other side
 *       by an IKE_SA_INIT response (R flag, message id 0) carrying the same
 *       initiator SPI (64 random bits echoed) and a non-zero responder SPI.
 *   CONFIRMED "ikev1-main+response-spi-match" / "ikev1-aggressive+...":
 *       the same for an IKEv1 phase 1 exchange (the first message starts
 *       with an SA payload; IKEv1 has no response flag, so the answer is the
 *       same exchange type and message id 0 with the initiator cookie echoed).
 *   LIKELY "ikev{1,2}-spi-pair-both-dirs": the window started after the
 *       initial exchange (IKE_AUTH, INFORMATIONAL, quick mode, a rekey): a
 *       message carrying both SPIs, then one from the other side with the
 *       same 128-bit SPI pair (for v2 with the opposite I flag). LIKELY, not
 *       CONFIRMED, because the SPIs' birth was not seen.
 *
 * One direction (an asymmetric route, a tap on one link; LIKELY, each with
 * the server named: v2's I flag says which side is the original
 * initiator, v1's roles are read from the exchange):
 *   "ikev2-sa-init-request+next-request-one-dir": an IKE_SA_INIT request
 *       (retransmitted or not), then from the same side a request (I, not R)
 *       with the same initiator SPI, the responder SPI filled in and message
 *       id 1: the initiator went on with an SPI only the unseen response
 *       could have given it. "ikev1-phase1-request+next-message-one-dir":
 *       the same for v1 (main mode message 1 then 3, aggressive 1 then 3:
 *       same exchange, message id 0, the responder cookie filled in).
 *   "ikev2-{initiator,responder}-one-dir-spi-pair-mid-next": two different
 *       messages from one side with the same SPI pair and I/R flags, the
 *       second with the next message id (the initiator's IKE_AUTH then
 *       INFORMATIONAL, the responder's IKE_SA_INIT response then its
 *       IKE_AUTH response). A retransmission (same exchange, flags, id and
 *       length) is not a second message.
 *   "ikev1-phase1-response+next-message-one-dir": the responder's phase 1
 *       answer (its SA payload, the only one that carries the responder
 *       cookie) then any further message of its side with that SPI pair.
 *   "ikev1-quick-mode-initiator-one-dir-spi-pair": two different quick mode
 *       messages (encrypted, E flag) under one message id from one side: the
 *       initiator sends messages 1 and 3, the responder only 2 (RFC 2409
 *       §5.5); the quick mode initiator is taken to be the client.
 *   "ikev{1,2}-natt-message+esp-one-dir-spi-seq-consecutive": an IKE
 *       message behind the non-ESP marker, then from the same side two ESP
 *       packets of one SA (constant SPI, sequence number + 1) on the same
 *       port pair (RFC 3948 multiplexing): the IKE_AUTH or quick mode that
 *       keyed the SA, then its traffic. v1 needs the side's role: a quick
 *       mode message followed by ESP and not by a second message of that
 *       quick mode is its responder's; an encrypted main mode message
 *       followed by ESP says nothing (CLS_NO, left to esp).
 *   At conclude(), a lone initial-exchange message (and its
 *       retransmissions) checked down to its SA's attributes
 *       (ike_initial_ok): "ikev2-sa-init-request-one-dir-sa-ke-nonce" /
 *       "ikev2-sa-init-response-one-dir-sa-ke-nonce" (one SA, KE and nonce,
 *       only Notify/Vendor ID/CERTREQ besides; IKE proposals numbered from
 *       1, no SPI, ENCR+PRF+D-H, only Key Length attributes; a response
 *       with exactly one proposal, each transform type once; the KE group
 *       among the D-H transforms and its data the group's size; a nonce of
 *       16..256 bytes), "ikev1-phase1-request-one-dir-sa-proposals" /
 *       "ikev1-phase1-response-one-dir-sa-chosen" (DOI 1, situation,
 *       ISAKMP proposals of KEY_IKE transforms whose attributes parse
 *       exactly and include encryption, hash, authentication and group; an
 *       answer with one proposal of one transform). That is the NAT-T case:
 *       the client's or server's only datagram on UDP 500 before the move
 *       to 4500.
 * What one direction cannot show: that the peer exists (nothing echoed
 * was seen); an IKE_AUTH or INFORMATIONAL alone (28 bytes of header and an
 * opaque SK payload) stays CLS_MORE; who serves in an encrypted v1 flow
 * whose quick mode is not seen.
 *
 * Not here: ESP flows between the same hosts are tied to this flow on the
 * control lcore (engine/control/tie.c, rule ike+esp; by host pair, since the child
 * SA SPIs are inside the encrypted IKE_AUTH); IKE over TCP (RFC 8229,
 * "IKETCP" prefix) is not classified.
 */
#include "classifier.h"
#include "cls_util.h"

#define IKE_HDR 28u
#define IKE_SPI 8u
#define IKE_V1 0x10
#define IKE_V2 0x20
#define IKE_MAX_PAYLOADS 32     /* longer chains are not IKE as sent */

#define IKE1_F_ENC 0x01
#define IKE1_F_MASK 0x07
#define IKE2_F_I 0x08
#define IKE2_F_R 0x20
#define IKE2_F_MASK (IKE2_F_I | IKE2_F_R)

#define IKE1_NP_SA 1
#define IKE1_NP_P 2
#define IKE1_NP_T 3
#define IKE2_NP_SA 33
#define IKE2_NP_KE 34
#define IKE2_NP_CERTREQ 38
#define IKE2_NP_NONCE 40
#define IKE2_NP_N 41
#define IKE2_NP_V 43
#define IKE2_NP_SK 46
#define IKE2_NP_SKF 53

#define IKE1_MAIN 2
#define IKE1_AGGRESSIVE 4
#define IKE1_INFORMATIONAL 5
#define IKE1_QUICK 32
#define IKE2_SA_INIT 34

enum ike_step {
	IKE_ST_INIT = 1, /* an initial request (responder SPI 0) seen */
	IKE_ST_PAIR,     /* a message with both SPIs seen */
	IKE_ST_ESP,      /* PAIR behind the NAT-T marker, then an ESP packet from the same side */
};

/* What is known of the stored message and its side (ike_state.bits). */
#define IKE_B_DIR 0x01    /* direction of the stored message */
#define IKE_B_V2 0x02     /* IKEv2 (else IKEv1) */
#define IKE_B_NATT 0x04   /* it came behind the non-ESP marker */
#define IKE_B_LONE 0x08   /* an initial-exchange message that passed ike_initial_ok() */
#define IKE_B_ROLE 0x10   /* its sender's role is known ... */
#define IKE_B_SERVER 0x20 /* ... and it is the responder (the server) */

struct ike_state {
	uint8_t ispi[IKE_SPI];
	union {
		uint8_t rspi[IKE_SPI];     /* PAIR: the responder SPI; INIT: zero */
		struct {
			uint32_t spi, seq; /* ESP: the last ESP header the stored side sent */
		} esp;
	} u;
	uint16_t mid;   /* low 16 bits of the stored message's message id */
	uint16_t len;   /* its length, low 16 bits (a retransmission repeats both) */
	uint8_t step;   /* enum ike_step */
	uint8_t exch;   /* its exchange type */
	uint8_t flags;  /* its flags */
	uint8_t bits;   /* IKE_B_* */
};
CLS_STATE_FITS(struct ike_state);

struct ike_msg {
	const uint8_t *h;  /* IKE header (after the marker, if any) */
	uint32_t n;        /* message length (= the rest of the datagram) */
	uint8_t np, ver, exch, flags;
	uint32_t mid;
	bool rspi_zero;
	bool natt;         /* behind the non-ESP marker */
};

static bool
ike_exch_ok(uint8_t ver, uint8_t e)
{
	if (ver == IKE_V1)
		return (e >= 1 && e <= 6) || e == 32 || e == 33;
	return (e >= 34 && e <= 37) || e == 43 || e == 47 || e == 48;
}

static bool
ike_np_ok(uint8_t ver, uint8_t np)
{
	if (ver == IKE_V1)
		return np <= 21 || np >= 128;
	return np >= 33 && np <= 54;
}

/* The payload chain of the n-byte message p, first payload np. */
static bool
ike_payloads_ok(const uint8_t *p, uint32_t n, uint8_t ver, uint8_t np)
{
	uint32_t pos = IKE_HDR;
	unsigned int i;
	uint16_t plen;

	for (i = 0; i < IKE_MAX_PAYLOADS; i++) {
		if (np == 0)
			return pos == n && i > 0;
		if (!ike_np_ok(ver, np) || !cls_be16(p, n, pos + 2, &plen) || plen < 4 ||
		    plen > n - pos)
			return false;
		/* v1: reserved byte 0; v2: critical bit, then 7 reserved bits 0. */
		if ((p[pos + 1] & (ver == IKE_V1 ? 0xff : 0x7f)) != 0)
			return false;
		if (ver == IKE_V2 && (np == IKE2_NP_SK || np == IKE2_NP_SKF))
			return plen == n - pos;
		np = p[pos];
		pos += plen;
	}
	return false;
}

/* One IKE message filling p[0..n) exactly. */
static bool
ike_parse_at(const uint8_t *p, uint32_t n, struct ike_msg *m)
{
	uint32_t length;

	if (n < IKE_HDR || cls_all_zero(p, n, 0, IKE_SPI))
		return false;
	m->h = p;
	m->n = n;
	m->rspi_zero = cls_all_zero(p, n, IKE_SPI, IKE_SPI);
	m->np = p[16];
	m->ver = p[17];
	m->exch = p[18];
	m->flags = p[19];
	if (!cls_be32(p, n, 20, &m->mid) || !cls_be32(p, n, 24, &length) || length != n)
		return false;
	if (m->ver != IKE_V1 && m->ver != IKE_V2)
		return false;
	if (!ike_exch_ok(m->ver, m->exch))
		return false;
	if (m->flags & ~(m->ver == IKE_V1 ? IKE1_F_MASK : IKE2_F_MASK))
		return false;
	if (m->ver == IKE_V1 && (m->flags & IKE1_F_ENC))
		return n > IKE_HDR && (n - IKE_HDR) % 8 == 0 && m->np != 0 &&
		       ike_np_ok(m->ver, m->np);
	return ike_payloads_ok(p, n, m->ver, m->np);
}

/* A datagram holding one IKE message, behind the non-ESP marker or not. */
static bool
ike_parse(const struct cls_pkt *pkt, struct ike_msg *m)
{
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->len;

	if (p == NULL || pkt->l4 != CLS_UDP)
		return false;
	m->natt = true;
	if (cls_natt_marker(p, len) &&
	    ike_parse_at(p + CLS_NATT_MARKER_LEN, len - CLS_NATT_MARKER_LEN, m))
		return true;
	m->natt = false;
	return ike_parse_at(p, len, m);
}

/* ---- the deep check of a lone initial-exchange message (what conclude() decides on) ---- */

/* Key exchange data length of a D-H group (RFC 7296/3526/5903/5114/8031), 0 when not listed. */
static uint32_t
ike_group_bytes(uint16_t g)
{
	static const uint16_t len[33] = {
		[1] = 96, [2] = 128, [5] = 192, [14] = 256, [15] = 384, [16] = 512, [17] = 768,
		[18] = 1024, [19] = 64, [20] = 96, [21] = 132, [22] = 128, [23] = 256, [24] = 256,
		[25] = 48, [26] = 56, [27] = 56, [28] = 64, [29] = 96, [30] = 128, [31] = 32, [32] = 56,
	};

	return g < 33 ? len[g] : 0;
}

/*
 * v2 transforms of one proposal, b[0..n), ntr of them (RFC 7296 §3.3.2):
 * "more" 3 on all but the last (0), reserved 0, length >= 8, type, reserved
 * 0, id, then attributes: only Key Length (14, TV) exists. Types of an IKE
 * proposal: ENCR 1, PRF 2, INTEG 3, D-H 4, ADDKE 6..12 (RFC 9370); ENCR,
 * PRF and D-H required, each type once when resp (a chosen proposal).
 * *dh: set when a D-H transform has id group.
 */
static bool
ike2_transforms_ok(const uint8_t *b, uint32_t n, uint8_t ntr, bool resp, uint16_t group, bool *dh)
{
	uint32_t pos = 0, seen = 0;
	unsigned int i;
	uint16_t tlen, id, at;

	for (i = 0; i < ntr; i++) {
		if (!cls_be16(b, n, pos + 2, &tlen) || tlen < 8 || tlen > n - pos)
			return false;
		uint8_t type = b[pos + 4];
		if (b[pos] != (i + 1u == ntr ? 0 : 3) || b[pos + 1] != 0 || b[pos + 5] != 0 ||
		    type == 0 || type == 5 || type > 12)
			return false;
		if (resp && (seen & (1u << type)))
			return false;
		seen |= 1u << type;
		if (!cls_be16(b, n, pos + 6, &id))
			return false;
		if (type == 4 && id == group)
			*dh = true;
		for (uint32_t a = pos + 8; a < pos + tlen; a += 4)
			if (!cls_be16(b, pos + tlen, a, &at) || at != (0x8000u | 14u) ||
			    !cls_has(pos + tlen, a, 4))
				return false;
		pos += tlen;
	}
	return pos == n && (seen & 0x16u) == 0x16u;
}

/* The proposals of a v2 IKE_SA_INIT SA payload body b[0..n) (§3.3.1). */
static bool
ike2_sa_ok(const uint8_t *b, uint32_t n, bool resp, uint16_t group)
{
	uint32_t pos = 0;
	unsigned int np = 0;
	uint16_t plen;
	bool dh = false;

	while (pos < n) {
		if (!cls_be16(b, n, pos + 2, &plen) || plen < 8 || plen > n - pos || b[pos + 1] != 0)
			return false;
		/* "more" 2 on all but the last (0); numbered from 1 up; protocol IKE, no SPI. */
		if (b[pos] != (pos + plen == n ? 0 : 2) || b[pos + 5] != 1 || b[pos + 6] != 0 ||
		    b[pos + 7] == 0 || (resp ? b[pos + 4] == 0 : b[pos + 4] != np + 1))
			return false;
		if (!ike2_transforms_ok(b + pos + 8, plen - 8u, b[pos + 7], resp, group, &dh))
			return false;
		np++;
		pos += plen;
	}
	return np >= 1 && (!resp || np == 1) && dh;
}

/*
 * A v2 IKE_SA_INIT request or response: one SA, one KE and one Nonce, and
 * otherwise only Notify, Vendor ID and CERTREQ payloads; the KE group (its
 * data as long as the group says) among the SA's D-H transforms, a nonce of
 * 16..256 bytes (§3.4, §3.9).
 */
static bool
ike2_initial_ok(const struct ike_msg *m, bool resp)
{
	const uint8_t *p = m->h;
	uint32_t pos = IKE_HDR, sa = 0, sa_len = 0, ke = 0, ke_len = 0, nonce_len = 0;
	unsigned int n_sa = 0, n_ke = 0, n_nonce = 0, i;
	uint8_t np = m->np;
	uint16_t plen, group = 0, rsvd;

	for (i = 0; np != 0 && i < IKE_MAX_PAYLOADS; i++) {
		if (!cls_be16(p, m->n, pos + 2, &plen) || plen < 4 || plen > m->n - pos)
			return false;
		if (np == IKE2_NP_SA)
			n_sa++, sa = pos + 4, sa_len = plen - 4u;
		else if (np == IKE2_NP_KE)
			n_ke++, ke = pos + 4, ke_len = plen - 4u;
		else if (np == IKE2_NP_NONCE)
			n_nonce++, nonce_len = plen - 4u;
		else if (np != IKE2_NP_N && np != IKE2_NP_V && np != IKE2_NP_CERTREQ)
			return false;
		np = p[pos];
		pos += plen;
	}
	if (np != 0 || n_sa != 1 || n_ke != 1 || n_nonce != 1 || nonce_len < 16 || nonce_len > 256)
		return false;
	if (ke_len <= 4 || !cls_be16(p, m->n, ke, &group) || group == 0 ||
	    !cls_be16(p, m->n, ke + 2, &rsvd) || rsvd != 0 ||
	    (ike_group_bytes(group) != 0 && ke_len - 4u != ike_group_bytes(group)))
		return false;
	return ike2_sa_ok(p + sa, sa_len, resp, group);
}

/*
 * v1 SA attributes a[0..n) of a phase 1 transform (RFC 2409 App. A): TV (AF
 * set, 4 bytes) or TLV (length, value); classes 1..20 or private use
 * (32001..32767); encryption (1), hash (2), authentication method (3) and
 * a group (description 4 or type 5) all present.
 */
static bool
ike1_attrs_ok(const uint8_t *a, uint32_t n)
{
	uint32_t pos = 0, seen = 0;
	uint16_t t, l;

	while (pos < n) {
		if (!cls_be16(a, n, pos, &t) || !cls_be16(a, n, pos + 2, &l))
			return false;
		uint16_t cls = t & 0x7fffu;
		if (!((cls >= 1 && cls <= 20) || (cls >= 32001 && cls <= 32767)))
			return false;
		if (cls <= 20)
			seen |= 1u << cls;
		pos += 4;
		if (!(t & 0x8000u)) {
			if (l == 0 || l > n - pos)
				return false;
			pos += l;
		}
	}
	return pos == n && (seen & 0x0eu) == 0x0eu && (seen & 0x30u) != 0;
}

/*
 * A v1 phase 1 SA payload body b[0..n) (RFC 2408 §3.4-3.6, RFC 2407 §4.6.1):
 * DOI 1 (IPsec), situation bits of 0x07 (non-zero), then proposal payloads
 * (next 2 on all but the last, reserved 0) for ISAKMP (protocol 1, SPI of 0
 * or 16 bytes) holding their count of transform payloads (next 3 on all but
 * the last, transform id KEY_IKE, reserved 0) with their attributes. A
 * response (resp) carries the one proposal and transform the responder chose.
 */
static bool
ike1_sa_ok(const uint8_t *b, uint32_t n, bool resp)
{
	uint32_t doi, sit, pos = 8;
	unsigned int nprop = 0;
	uint16_t plen, tlen;

	if (!cls_be32(b, n, 0, &doi) || !cls_be32(b, n, 4, &sit) || doi != 1 || sit == 0 ||
	    (sit & ~7u) != 0)
		return false;
	while (pos < n) {
		if (!cls_be16(b, n, pos + 2, &plen) || plen < 8 || plen > n - pos || b[pos + 1] != 0 ||
		    b[pos] != (pos + plen == n ? 0 : IKE1_NP_P))
			return false;
		uint8_t spisz = b[pos + 6], ntr = b[pos + 7];
		uint32_t t = pos + 8u + spisz, end = pos + plen;
		if (b[pos + 4] == 0 || b[pos + 5] != 1 || (spisz != 0 && spisz != 16) || ntr == 0 ||
		    t > end || (resp && ntr != 1))
			return false;
		for (unsigned int i = 0; i < ntr; i++) {
			if (!cls_be16(b, end, t + 2, &tlen) || tlen < 8 || tlen > end - t ||
			    b[t] != (i + 1u == ntr ? 0 : IKE1_NP_T) || b[t + 1] != 0 || b[t + 5] != 1 ||
			    b[t + 6] != 0 || b[t + 7] != 0 || !ike1_attrs_ok(b + t + 8, tlen - 8u))
				return false;
			t += tlen;
		}
		if (t != end)
			return false;
		nprop++;
		pos = end;
	}
	return nprop >= 1 && (!resp || nprop == 1);
}

/*
 * The first message of an exchange from either side, checked through its
 * SA (and for v2 its KE and nonce) down to the attributes: an IKE_SA_INIT
 * request (I, message id 0, responder SPI 0) or response (R, both SPIs), a
 * v1 main/aggressive first message (SA first, no flags, message id 0;
 * responder SPI 0 in the request, set in the answer). What one datagram can
 * show that random bytes and other protocols do not.
 */
static bool
ike_initial_ok(const struct ike_msg *m)
{
	uint16_t plen;

	if (m->mid != 0)
		return false;
	if (m->ver == IKE_V2)
		return m->exch == IKE2_SA_INIT &&
		       m->flags == (m->rspi_zero ? IKE2_F_I : IKE2_F_R) &&
		       m->np == IKE2_NP_SA && ike2_initial_ok(m, !m->rspi_zero);
	return (m->exch == IKE1_MAIN || m->exch == IKE1_AGGRESSIVE) && m->flags == 0 &&
	       m->np == IKE1_NP_SA && cls_be16(m->h, m->n, IKE_HDR + 2, &plen) && plen > 4 &&
	       ike1_sa_ok(m->h + IKE_HDR + 4, plen - 4u, !m->rspi_zero);
}

/* ---- tracking ---- */

static const char *
ike_v(uint8_t ver, const char *v1, const char *v2)
{
	return ver == IKE_V1 ? v1 : v2;
}

static uint8_t
ike_sdir(const struct ike_state *s)
{
	return s->bits & IKE_B_DIR;
}

/* The stored message's version byte. */
static uint8_t
ike_sver(const struct ike_state *s)
{
	return (s->bits & IKE_B_V2) ? IKE_V2 : IKE_V1;
}

/* m repeats the stored message (a retransmission): same exchange, flags, id and length. */
static bool
ike_same_msg(const struct ike_msg *m, const struct ike_state *s)
{
	return m->exch == s->exch && m->flags == s->flags && (uint16_t)m->mid == s->mid &&
	       (uint16_t)m->n == s->len;
}

/* A verdict naming the server: the stored side when it is the responder, else the other one. */
static struct cls_verdict
ike_role_verdict(enum cls_result r, const char *check, const struct ike_state *s)
{
	uint8_t d = ike_sdir(s);

	return cls_ret_server(r, check, (s->bits & IKE_B_SERVER) ? d : (uint8_t)(d ^ 1u));
}

/* (Re)start tracking from message m. */
static struct cls_verdict
ike_take(const struct cls_pkt *pkt, const struct ike_msg *m, struct ike_state *s)
{
	enum ike_step step = IKE_ST_PAIR;
	const char *check = ike_v(m->ver, "ikev1-spi-pair-one-side", "ikev2-spi-pair-one-side");
	uint8_t bits = (uint8_t)(pkt->dir & IKE_B_DIR);

	if (m->rspi_zero) {
		if (m->mid != 0)
			return cls_ret(CLS_NO, "zero-responder-spi-not-initial");
		if (m->ver == IKE_V2 && (m->exch != IKE2_SA_INIT || m->flags != IKE2_F_I))
			return cls_ret(CLS_NO, "zero-responder-spi-not-sa-init-request");
		if (m->ver == IKE_V1 && ((m->exch != IKE1_MAIN && m->exch != IKE1_AGGRESSIVE) ||
					 m->np != IKE1_NP_SA || m->flags != 0))
			return cls_ret(CLS_NO, "zero-responder-spi-not-phase1-request");
		step = IKE_ST_INIT;
		check = ike_v(m->ver, "ikev1-phase1-request", "ikev2-sa-init-request");
		bits |= IKE_B_ROLE; /* the initiator */
	} else if (m->ver == IKE_V2) {
		/* The original initiator sets I on every message, the responder never. */
		bits |= IKE_B_ROLE | ((m->flags & IKE2_F_I) ? 0 : IKE_B_SERVER);
	} else if ((m->exch == IKE1_MAIN || m->exch == IKE1_AGGRESSIVE) && m->mid == 0 &&
		   m->np == IKE1_NP_SA && m->flags == 0) {
		/* v1 phase 1: the only SA payload with a responder SPI is the responder's answer. */
		bits |= IKE_B_ROLE | IKE_B_SERVER;
	}
	if (m->ver == IKE_V2)
		bits |= IKE_B_V2;
	if (m->natt)
		bits |= IKE_B_NATT;
	if (ike_initial_ok(m))
		bits |= IKE_B_LONE;
	memset(s, 0, sizeof(*s));
	s->step = (uint8_t)step;
	memcpy(s->ispi, m->h, IKE_SPI);
	memcpy(s->u.rspi, m->h + IKE_SPI, IKE_SPI);
	s->mid = (uint16_t)m->mid;
	s->len = (uint16_t)m->n;
	s->exch = m->exch;
	s->flags = m->flags;
	s->bits = bits;
	return cls_ret(CLS_MORE, check);
}

/* INIT: the other side's answer to the initial request (the responder is the server). */
static struct cls_verdict
ike_answer(const struct ike_msg *m, const struct ike_state *s, uint8_t dir)
{
	if (m->ver == IKE_V2) {
		if (m->exch != IKE2_SA_INIT || m->mid != 0 || m->flags != IKE2_F_R)
			return cls_ret(CLS_NO, "ikev2-not-sa-init-response");
		if (m->rspi_zero) /* COOKIE / INVALID_KE_PAYLOAD: the request is retried */
			return cls_ret(CLS_MORE, "ikev2-sa-init-notify-response");
		return cls_ret_server(CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", dir);
	}
	if (m->rspi_zero) {
		if (m->exch == IKE1_INFORMATIONAL)
			return cls_ret(CLS_MORE, "ikev1-informational-response");
		return cls_ret(CLS_NO, "ikev1-response-zero-spi");
	}
	if (m->exch != s->exch || m->mid != 0)
		return cls_ret(CLS_NO, "ikev1-not-phase1-response");
	return cls_ret_server(CLS_CONFIRMED,
			      m->exch == IKE1_MAIN ? "ikev1-main+response-spi-match" : "ikev1-aggressive+response-spi-match",
			      dir);
}

/*
 * A further message from the stored side (not a retransmission), same SPIs
 * (INIT: the initiator SPI, the responder's now filled in): what one
 * direction of an exchange in progress shows.
 */
static struct cls_verdict
ike_same_side(const struct cls_pkt *pkt, const struct ike_msg *m, struct ike_state *s)
{
	if (s->step == IKE_ST_INIT) {
		/*
		 * The initiator goes on with the responder SPI from an answer this
		 * flow did not show: v2 its next request (message id 1), v1 the next
		 * message of the same phase 1 exchange (message id 0).
		 */
		if (m->ver == IKE_V2 && m->flags == IKE2_F_I && m->mid == 1)
			return ike_role_verdict(CLS_LIKELY, "ikev2-sa-init-request+next-request-one-dir", s);
		if (m->ver == IKE_V1 && m->exch == s->exch && m->mid == 0)
			return ike_role_verdict(CLS_LIKELY, "ikev1-phase1-request+next-message-one-dir", s);
		return ike_take(pkt, m, s);
	}
	if (m->ver == IKE_V2) {
		/* The next message id of the same kind (requests, or responses) from one side. */
		if (((m->flags ^ s->flags) & IKE2_F_I) != 0)
			return cls_ret(CLS_NO, "ikev2-initiator-flag-changed");
		if (((m->flags ^ s->flags) & IKE2_F_R) == 0 && (uint16_t)m->mid == (uint16_t)(s->mid + 1u))
			return ike_role_verdict(CLS_LIKELY,
						(s->bits & IKE_B_SERVER) ? "ikev2-responder-one-dir-spi-pair-mid-next"
									 : "ikev2-initiator-one-dir-spi-pair-mid-next",
						s);
		return ike_take(pkt, m, s);
	}
	/* v1: the responder's SA answer, then any further message of its side. */
	if (s->bits & IKE_B_ROLE)
		return ike_role_verdict(CLS_LIKELY, "ikev1-phase1-response+next-message-one-dir", s);
	/*
	 * Quick mode: the initiator sends messages 1 and 3 under one message id,
	 * the responder only message 2 (RFC 2409 §5.5). A second, different
	 * message of the same quick mode from one side: that side initiated it.
	 */
	if (s->exch == IKE1_QUICK && m->exch == IKE1_QUICK && (uint16_t)m->mid == s->mid)
		return cls_ret_server(CLS_LIKELY, "ikev1-quick-mode-initiator-one-dir-spi-pair",
				      (uint8_t)(ike_sdir(s) ^ 1u));
	return ike_take(pkt, m, s);
}

/*
 * Not an IKE message: a NAT-T keepalive, or ESP. On the port pair the
 * marker shows (RFC 3948), ESP follows the exchange that keyed it; after a
 * message of known role, two consecutive ESP packets of one SA from the
 * same side decide. A v1 side whose quick mode message (one, not two) is
 * followed by ESP is the quick mode's responder.
 */
static struct cls_verdict
ike_not_ike(const struct cls_pkt *pkt, struct ike_state *s)
{
	uint32_t spi, seq;

	if (pkt->payload != NULL && cls_natt_keepalive(pkt->payload, pkt->len))
		return cls_ret(CLS_MORE, "natt-keepalive-ignored");
	if (!(s->bits & IKE_B_NATT) || s->step == IKE_ST_INIT ||
	    !cls_esp_header(pkt->payload, pkt->len, &spi, &seq))
		return cls_ret(CLS_NO, "not-ike-message");
	if (pkt->dir != ike_sdir(s))
		return cls_ret(CLS_MORE, "natt-esp-other-side-skipped");
	if (s->step == IKE_ST_ESP) {
		if (spi != s->u.esp.spi || !cls_seq_advanced(s->u.esp.seq, seq, 1))
			return cls_ret(CLS_NO, "natt-esp-not-consecutive");
		return ike_role_verdict(CLS_LIKELY,
					(s->bits & IKE_B_V2) ? "ikev2-natt-message+esp-one-dir-spi-seq-consecutive"
							     : "ikev1-natt-message+esp-one-dir-spi-seq-consecutive",
					s);
	}
	if (!(s->bits & IKE_B_ROLE)) {
		if (s->exch != IKE1_QUICK)
			return cls_ret(CLS_NO, "natt-esp-after-ike-role-unknown");
		s->bits |= IKE_B_ROLE | IKE_B_SERVER;
	}
	s->step = IKE_ST_ESP;
	s->bits &= (uint8_t)~IKE_B_LONE;
	s->u.esp.spi = spi;
	s->u.esp.seq = seq;
	return cls_ret(CLS_MORE, "natt-esp-after-ike");
}

static struct cls_verdict
ike_first(const struct cls_pkt *pkt, void *st)
{
	struct ike_msg m;

	if (!ike_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-ike-message");
	return ike_take(pkt, &m, st);
}

static struct cls_verdict
ike_owned(const struct cls_pkt *pkt, void *st)
{
	struct ike_state *s = st;
	struct ike_msg m;
	bool same_ispi, same_rspi;

	if (!ike_parse(pkt, &m))
		return ike_not_ike(pkt, s);
	if (m.ver != ike_sver(s))
		return cls_ret(CLS_NO, "version-changed");
	if (s->step == IKE_ST_ESP) /* the SPIs are no longer kept: follow the new message */
		return ike_take(pkt, &m, s);
	same_ispi = cls_bytes_eq(m.h, IKE_HDR, 0, s->ispi, IKE_SPI);
	same_rspi = cls_bytes_eq(m.h, IKE_HDR, IKE_SPI, s->u.rspi, IKE_SPI);

	if (pkt->dir == ike_sdir(s)) {
		if (!same_ispi) /* a new initiation (or a new SA): follow that one */
			return ike_take(pkt, &m, s);
		if (m.rspi_zero) {
			if (s->step == IKE_ST_INIT && ike_same_msg(&m, s))
				return cls_ret(CLS_MORE, "initial-request-retransmit");
			return ike_take(pkt, &m, s); /* retried (COOKIE, INVALID_KE) or new */
		}
		if (s->step == IKE_ST_PAIR) {
			if (!same_rspi)
				return ike_take(pkt, &m, s);
			if (ike_same_msg(&m, s))
				return cls_ret(CLS_MORE, "spi-pair-same-side");
		}
		return ike_same_side(pkt, &m, s);
	}

	if (!same_ispi)
		return cls_ret(CLS_NO, "initiator-spi-mismatch");
	if (s->step == IKE_ST_INIT)
		return ike_answer(&m, s, pkt->dir);
	if (s->step != IKE_ST_PAIR)
		return cls_ret(CLS_NO, "bad-state");
	if (!same_rspi)
		return cls_ret(CLS_NO, "responder-spi-mismatch");
	/* v2: the original initiator sets I on all its messages, the responder never. */
	if (m.ver == IKE_V2 && ((m.flags ^ s->flags) & IKE2_F_I) == 0)
		return cls_ret(CLS_NO, "ikev2-initiator-flag-both-sides");
	return cls_ret(CLS_LIKELY, ike_v(m.ver, "ikev1-spi-pair-both-dirs", "ikev2-spi-pair-both-dirs"));
}

/*
 * The flow showed all it will: a lone initial-exchange message (and its
 * retransmissions) that passed the deep check decides, its side's role
 * naming the server.
 */
static struct cls_verdict
ike_conclude(const void *st, uint8_t first_dir, uint8_t why)
{
	const struct ike_state *s = st;
	bool v2 = (s->bits & IKE_B_V2) != 0;

	(void)first_dir;
	(void)why;
	if (!(s->bits & IKE_B_LONE) || !(s->bits & IKE_B_ROLE))
		return cls_ret(CLS_NO, "no-lone-initial-message");
	if (s->step == IKE_ST_INIT)
		return ike_role_verdict(CLS_LIKELY, v2 ? "ikev2-sa-init-request-one-dir-sa-ke-nonce"
						       : "ikev1-phase1-request-one-dir-sa-proposals", s);
	if (s->step == IKE_ST_PAIR)
		return ike_role_verdict(CLS_LIKELY, v2 ? "ikev2-sa-init-response-one-dir-sa-ke-nonce"
						       : "ikev1-phase1-response-one-dir-sa-chosen", s);
	return cls_ret(CLS_NO, "no-lone-initial-message");
}

/*
 * Initial requests (responder SPI zero; v2 IKE_SA_INIT starting with SA or
 * a COOKIE notify, v1 main/aggressive starting with SA) name the match when
 * they apply; the general ones take a window that starts later (both SPIs,
 * a next payload and exchange type of the version). Each also behind the
 * 4-byte NAT-T marker.
 */
#define IKE_INIT2 ".{8}\\x00{8}[\\x21\\x29]\\x20\\x22"
#define IKE_INIT1 ".{8}\\x00{8}\\x01\\x10[\\x02\\x04]"
#define IKE_ANY2 ".{16}[\\x21-\\x36]\\x20[\\x22-\\x25\\x2b\\x2f\\x30]"
#define IKE_ANY1 ".{16}[\\x00-\\x15\\x80-\\xff]\\x10[\\x01-\\x06\\x20\\x21]"
#define IKE_MARK "\\x00{4}"

static const struct cls_pattern ike_patterns[] = {
	{ "^" IKE_INIT2, CLS_UDP, "ikev2-sa-init-request" },
	{ "^" IKE_INIT1, CLS_UDP, "ikev1-phase1-request" },
	{ "^" IKE_MARK IKE_INIT2, CLS_UDP, "ikev2-natt-sa-init-request" },
	{ "^" IKE_MARK IKE_INIT1, CLS_UDP, "ikev1-natt-phase1-request" },
	{ "^" IKE_ANY2, CLS_UDP, "ikev2-message" },
	{ "^" IKE_ANY1, CLS_UDP, "ikev1-message" },
	{ "^" IKE_MARK IKE_ANY2, CLS_UDP, "ikev2-natt-message" },
	{ "^" IKE_MARK IKE_ANY1, CLS_UDP, "ikev1-natt-message" },
};

const struct classifier cls_ike = {
	.name = "ike",
	.priority = 30,
	.patterns = ike_patterns,
	.n_patterns = sizeof(ike_patterns) / sizeof(ike_patterns[0]),
	.l4 = CLS_UDP,
	/* request + response, with a COOKIE/INVALID_KE round trip or a
	 * retransmission or two */
	.pkts_needed = 6,
	.max_owned = 8,
	.state_size = sizeof(struct ike_state),
	.first = ike_first,
	.owned = ike_owned,
	.conclude = ike_conclude,
};
