/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PPTP (RFC 2637): two descriptors in one file because they are one
 * protocol on two transports.
 *   cls_pptp: the TCP control connection (1723 by convention, any port
 *             accepted), matched on the Start-Control-Connection exchange.
 *   cls_gre:  the data channel, enhanced GRE version 1 on IP protocol 47
 *             (no pattern: CLS_IP classifiers see every payload of their
 *             protocol, and the first test is the protocol number).
 *
 * Wire facts (RFC 2637 §1.4, §2, §4.1; docs/protocols.md agrees):
 *   control header (12): length (2, the whole message), PPTP message type
 *   (2, 1 = control), magic cookie 0x1A2B3C4D (4), control message type (2),
 *   reserved0 (2, zero). Each control message type has a fixed length:
 *   1 SCCRQ 156, 2 SCCRP 156, 3/4 StopCCRQ/RP 16, 5 Echo-Request 16,
 *   6 Echo-Reply 20, 7 OCRQ 168, 8 OCRP 32, 9 ICRQ 220, 10 ICRP 24,
 *   11 ICCN 28, 12 CCRQ 16, 13 CDN 148, 14 WEN 40, 15 SLI 24.
 *   SCCRQ/SCCRP: protocol version 0x0100 (2); SCCRQ then reserved1 (2, 0),
 *   SCCRP result code (1: 1 = OK, 2..5 errors) and error code (1).
 *   enhanced GRE: byte 0 = C R K S s Recur: only K (0x20) and S (0x10,
 *   "a payload is present") may be set; byte 1 = A (0x80, ack present),
 *   4 flag bits 0, version 1; protocol 0x880B; key = payload length (2) +
 *   call id (2); then sequence number (4) when S, ack number (4) when A;
 *   then exactly payload-length bytes of PPP. The call id is the PEER's
 *   (the receiver's) call id, so the two directions carry different ones;
 *   the sequence number goes up by one per payload packet. A packet without
 *   payload (S clear) is an acknowledgement: A set, payload length 0.
 *
 * Decisions:
 *   pptp CONFIRMED "sccrq+sccrp": a 156-byte Start-Control-Connection-
 *       Request at the start of one side's stream answered by a 156-byte
 *       Reply at the start of the other side's (version 1.0, valid result).
 *   pptp LIKELY "control-messages-both-dirs-magic-cookie": the window started
 *       after the SCCRQ: a valid control message at the start of each side's
 *       stream. One side alone is CLS_MORE.
 *   gre LIKELY "enhanced-gre-v1-call-id-consistent-{one,both}-dir(s)": two
 *       well-formed packets in one direction with the same call id (and,
 *       when both carry a payload, a sequence number that went up by 1..16);
 *       a packet from the other direction in between must be well formed.
 * TCP: no reassembly; a message must start its segment and lie inside it.
 * Not here: the GRE flow is tied to the control connection between the
 * same hosts on the control lcore (engine/control/tie.c, rule pptp+gre). By host
 * pair, not call id: the control connection is decided at SCCRP, before
 * the Outgoing-Call-Request/Reply carry the call ids, and tundra keys GRE
 * by the two addresses, so a host pair has one GRE flow anyway.
 */
#include "classifier.h"
#include "cls_util.h"

/* ---- PPTP control connection (TCP) ---- */

#define PPTP_HDR 12u
#define PPTP_MIN 16u
#define PPTP_MSG_CONTROL 1
#define PPTP_COOKIE 0x1a2b3c4du
#define PPTP_SCCRQ 1
#define PPTP_SCCRP 2
#define PPTP_CTRL_MAX 15
#define PPTP_VERSION 0x0100
#define PPTP_RESULT_MAX 5
#define PPTP_MAX_OWNED 8         /* owned packets without a decision, then NO */

static const uint16_t pptp_len[PPTP_CTRL_MAX + 1] = {
	0, 156, 156, 16, 16, 16, 20, 168, 32, 220, 24, 28, 16, 148, 40, 24,
};

enum pptp_step {
	PPTP_ST_SCCRQ = 1, /* the SCCRQ seen */
	PPTP_ST_CTRL,      /* another control message seen first */
};

/* struct cls_state data[] layout. */
#define PPTP_D_DIR 0     /* direction of the first message */
#define PPTP_D_OWNED 1   /* packets handled as owner */

/* Control message type of the message starting p[0..len), 0 when not one. */
static uint16_t
pptp_parse(const uint8_t *p, uint32_t len)
{
	uint16_t length, mtype, ctype, rsvd, ver;
	uint32_t cookie;
	uint8_t result;

	if (p == NULL || len < PPTP_MIN || !cls_be16(p, len, 0, &length) || length > len ||
	    !cls_be16(p, len, 2, &mtype) || mtype != PPTP_MSG_CONTROL ||
	    !cls_be32(p, len, 4, &cookie) || cookie != PPTP_COOKIE ||
	    !cls_be16(p, len, 8, &ctype) || ctype == 0 || ctype > PPTP_CTRL_MAX ||
	    length != pptp_len[ctype] || !cls_be16(p, len, 10, &rsvd) || rsvd != 0)
		return 0;
	if (ctype == PPTP_SCCRQ || ctype == PPTP_SCCRP) {
		if (!cls_be16(p, len, PPTP_HDR, &ver) || ver != PPTP_VERSION)
			return 0;
		if (ctype == PPTP_SCCRQ && (!cls_be16(p, len, PPTP_HDR + 2, &rsvd) || rsvd != 0))
			return 0;
		if (ctype == PPTP_SCCRP && (!cls_u8(p, len, PPTP_HDR + 2, &result) || result == 0 ||
					    result > PPTP_RESULT_MAX))
			return 0;
	}
	return ctype;
}

static struct cls_verdict
pptp_validate(const struct cls_pkt *pkt, struct cls_state *st, uint8_t self_id)
{
	uint16_t ctype;

	if (st->owner != 0 && st->owner != self_id)
		return cls_ret(CLS_NO, "not-owner");
	if (pkt->l4 != CLS_TCP || pkt->dir > CLS_S2C || pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-pptp-transport");
	if (st->owner == 0) {
		if (pkt->tcp_offset != 0)
			return cls_ret(CLS_NO, "not-stream-start");
		ctype = pptp_parse(pkt->payload, pkt->len);
		if (ctype == 0)
			return cls_ret(CLS_NO, "not-pptp-control-message");
		cls_st_claim(st, ctype == PPTP_SCCRQ ? PPTP_ST_SCCRQ : PPTP_ST_CTRL);
		st->data[PPTP_D_DIR] = pkt->dir;
		return cls_ret(CLS_MORE, ctype == PPTP_SCCRQ ? "sccrq" : "control-message-one-side");
	}

	if (++st->data[PPTP_D_OWNED] > PPTP_MAX_OWNED)
		return cls_ret(CLS_NO, "no-decision-in-window");
	if (pkt->dir == st->data[PPTP_D_DIR])
		return cls_ret(CLS_MORE, "same-side-later-segment");
	/* The other side: its first segment must hold the answer. */
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "answer-start-missed");
	ctype = pptp_parse(pkt->payload, pkt->len);
	if (ctype == 0)
		return cls_ret(CLS_NO, "answer-not-pptp-control-message");
	if (st->step == PPTP_ST_SCCRQ) {
		if (ctype == PPTP_SCCRP)
			return cls_ret(CLS_CONFIRMED, "sccrq+sccrp");
		return cls_ret(CLS_NO, "answer-not-sccrp");
	}
	if (st->step == PPTP_ST_CTRL)
		return cls_ret(CLS_LIKELY, "control-messages-both-dirs-magic-cookie");
	return cls_ret(CLS_NO, "bad-state");
}

/* Start-Control-Connection Request/Reply (156 bytes), then any control message. */
static const struct cls_pattern pptp_patterns[] = {
	{ "^\\x00\\x9c\\x00\\x01\\x1a\\x2b\\x3c\\x4d\\x00[\\x01\\x02]\\x00\\x00\\x01\\x00", CLS_TCP,
	  "pptp-start-control-connection" },
	{ "^\\x00[\\x10-\\xdc]\\x00\\x01\\x1a\\x2b\\x3c\\x4d\\x00[\\x03-\\x0f]\\x00\\x00", CLS_TCP,
	  "pptp-control-message" },
};

extern const struct classifier cls_pptp; /* listed in classifiers.c */

const struct classifier cls_pptp = {
	.name = "pptp",
	.patterns = pptp_patterns,
	.n_patterns = sizeof(pptp_patterns) / sizeof(pptp_patterns[0]),
	.l4 = CLS_TCP,
	/* SYN, SYN-ACK, ACK, SCCRQ, its ACK, SCCRP + slack */
	.pkts_needed = 8,
	.validate = pptp_validate,
};

/* ---- enhanced GRE (IP protocol 47) ---- */

#define GRE_IP_PROTO 47u
#define GRE_HDR 8u
#define GRE_B0_K 0x20
#define GRE_B0_S 0x10
#define GRE_B1_A 0x80
#define GRE_B1_VER1 0x01
#define GRE_PROTO_PPP 0x880b
#define GRE_SEQ_MAX_STEP 16u     /* payload packets lost between two seen */
#define GRE_PKTS 2               /* consistent packets in one direction */
#define GRE_MAX_OWNED 12         /* owned packets without a decision, then NO */

enum gre_step { GRE_ST_TRACK = 1 };

/* struct cls_state data[] layout. */
#define GRE_D_CALL(d) (2u * (d))       /* call id per direction (2 + 2) */
#define GRE_D_SEQ(d) (4u + 4u * (d))   /* last sequence number per direction (4 + 4) */
#define GRE_D_CNT(d) (12u + (d))       /* consistent packets per direction, 0 = unseen */
#define GRE_D_HAS_SEQ(d) (14u + (d))   /* GRE_D_SEQ(d) is set */
#define GRE_D_OWNED 16                 /* packets handled as owner */

struct gre_msg {
	uint16_t call;
	bool has_seq;
	uint32_t seq;
};

static bool
gre_parse(const struct cls_pkt *pkt, struct gre_msg *m)
{
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->len, hdr = GRE_HDR;
	uint16_t proto, plen;

	if (p == NULL || len < GRE_HDR || (p[0] & ~GRE_B0_S) != GRE_B0_K ||
	    (p[1] & ~GRE_B1_A) != GRE_B1_VER1 || !cls_be16(p, len, 2, &proto) ||
	    proto != GRE_PROTO_PPP || !cls_be16(p, len, 4, &plen) || !cls_be16(p, len, 6, &m->call))
		return false;
	m->has_seq = (p[0] & GRE_B0_S) != 0;
	m->seq = 0;
	if (m->has_seq) {
		if (!cls_be32(p, len, hdr, &m->seq) || plen == 0)
			return false;
		hdr += 4;
	} else if (!(p[1] & GRE_B1_A) || plen != 0) {
		return false; /* no payload: an acknowledgement, nothing else */
	}
	if (p[1] & GRE_B1_A)
		hdr += 4;
	return cls_has(len, hdr, 0) && len - hdr == plen;
}

static struct cls_verdict
gre_validate(const struct cls_pkt *pkt, struct cls_state *st, uint8_t self_id)
{
	unsigned int d = pkt->dir & 1u;
	struct gre_msg m;

	if (st->owner != 0 && st->owner != self_id)
		return cls_ret(CLS_NO, "not-owner");
	if (pkt->l4 != CLS_IP || pkt->ip_proto != GRE_IP_PROTO || pkt->dir > CLS_S2C)
		return cls_ret(CLS_NO, "not-gre-transport");
	if (!gre_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-enhanced-gre-v1");
	if (st->owner == 0) {
		cls_st_claim(st, GRE_ST_TRACK);
	} else {
		if (++st->data[GRE_D_OWNED] > GRE_MAX_OWNED)
			return cls_ret(CLS_NO, "no-decision-in-window");
		if (st->data[GRE_D_CNT(d)] != 0 && m.call != cls_st_get16(st, GRE_D_CALL(d)))
			return cls_ret(CLS_NO, "call-id-changed");
		if (m.has_seq && st->data[GRE_D_HAS_SEQ(d)] &&
		    !cls_seq_advanced(cls_st_get32(st, GRE_D_SEQ(d)), m.seq, GRE_SEQ_MAX_STEP))
			return cls_ret(CLS_NO, "seq-not-advancing");
	}
	cls_st_put16(st, GRE_D_CALL(d), m.call);
	if (m.has_seq) {
		cls_st_put32(st, GRE_D_SEQ(d), m.seq);
		st->data[GRE_D_HAS_SEQ(d)] = 1;
	}
	if (++st->data[GRE_D_CNT(d)] < GRE_PKTS)
		return cls_ret(CLS_MORE, "enhanced-gre-v1-tracking");
	return cls_ret(CLS_LIKELY, st->data[GRE_D_CNT(d ^ 1u)] != 0 ?
					   "enhanced-gre-v1-call-id-consistent-both-dirs" :
					   "enhanced-gre-v1-call-id-consistent-one-dir");
}

extern const struct classifier cls_gre; /* listed in classifiers.c */

const struct classifier cls_gre = {
	.name = "gre",
	.patterns = NULL,
	.n_patterns = 0,
	.l4 = CLS_IP,
	/* two packets one way, or three over both directions */
	.pkts_needed = 4,
	.validate = gre_validate,
};
