/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PPTP (RFC 2637) control connection: TCP (1723 by convention, any port
 * accepted), matched on the Start-Control-Connection exchange. Its data
 * channel, enhanced GRE, is gre.c.
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
 *
 * Decisions:
 *   pptp CONFIRMED "sccrq+sccrp": a 156-byte Start-Control-Connection-
 *       Request at the start of one side's stream answered by a 156-byte
 *       Reply at the start of the other side's (version 1.0, valid result).
 *   pptp LIKELY "control-messages-both-dirs-magic-cookie": the window started
 *       after the SCCRQ: a valid control message at the start of each side's
 *       stream. One side alone is CLS_MORE.
 * TCP: no reassembly; a message must start its segment and lie inside it.
 * Not here: the GRE flow is tied to the control connection between the
 * same hosts on the control lcore (engine/control/tie.c, rule pptp+gre). By host
 * pair, not call id: the control connection is decided at SCCRP, before
 * the Outgoing-Call-Request/Reply carry the call ids, and tundra keys GRE
 * by the two addresses, so a host pair has one GRE flow anyway.
 */
#include "classifier.h"
#include "cls_util.h"

#define PPTP_HDR 12u
#define PPTP_MIN 16u
#define PPTP_MSG_CONTROL 1
#define PPTP_COOKIE 0x1a2b3c4du
#define PPTP_SCCRQ 1
#define PPTP_SCCRP 2
#define PPTP_CTRL_MAX 15
#define PPTP_VERSION 0x0100
#define PPTP_RESULT_MAX 5

static const uint16_t pptp_len[PPTP_CTRL_MAX + 1] = {
	0, 156, 156, 16, 16, 16, 20, 168, 32, 220, 24, 28, 16, 148, 40, 24,
};

enum pptp_step {
	PPTP_ST_SCCRQ = 1, /* the SCCRQ seen */
	PPTP_ST_CTRL,      /* another control message seen first */
};

struct pptp_state {
	uint8_t step;    /* enum pptp_step */
};
CLS_STATE_FITS(struct pptp_state);

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
pptp_first(const struct cls_pkt *pkt, void *st)
{
	struct pptp_state *s = st;
	uint16_t ctype;

	if (pkt->l4 != CLS_TCP || pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-pptp-transport");
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "not-stream-start");
	ctype = pptp_parse(pkt->payload, pkt->len);
	if (ctype == 0)
		return cls_ret(CLS_NO, "not-pptp-control-message");
	s->step = ctype == PPTP_SCCRQ ? PPTP_ST_SCCRQ : PPTP_ST_CTRL;
	return cls_ret(CLS_MORE, ctype == PPTP_SCCRQ ? "sccrq" : "control-message-one-side");
}

static struct cls_verdict
pptp_owned(const struct cls_pkt *pkt, void *st)
{
	const struct pptp_state *s = st;
	uint16_t ctype;

	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-pptp-transport");
	if (pkt->dir == pkt->first_dir)
		return cls_ret(CLS_MORE, "same-side-later-segment");
	/* The other side: its first segment must hold the answer. */
	if (pkt->tcp_offset != 0)
		return cls_ret(CLS_NO, "answer-start-missed");
	ctype = pptp_parse(pkt->payload, pkt->len);
	if (ctype == 0)
		return cls_ret(CLS_NO, "answer-not-pptp-control-message");
	if (s->step == PPTP_ST_SCCRQ) {
		if (ctype == PPTP_SCCRP)
			return cls_ret_server(CLS_CONFIRMED, "sccrq+sccrp", pkt->dir);
		return cls_ret(CLS_NO, "answer-not-sccrp");
	}
	if (s->step == PPTP_ST_CTRL)
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

const struct classifier cls_pptp = {
	.name = "pptp",
	.priority = 50,
	.patterns = pptp_patterns,
	.n_patterns = sizeof(pptp_patterns) / sizeof(pptp_patterns[0]),
	.l4 = CLS_TCP,
	/* SYN, SYN-ACK, ACK, SCCRQ, its ACK, SCCRP + slack */
	.pkts_needed = 8,
	.max_owned = 8,
	.state_size = sizeof(struct pptp_state),
	.first = pptp_first,
	.owned = pptp_owned,
};

