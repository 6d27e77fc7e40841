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
 *       stream.
 * One direction (LIKELY, the server named: the PAC):
 *   "sccrq+next-control-message-one-dir": the SCCRQ at stream offset 0,
 *       then the client's next message starting the segment at offset 156,
 *       of a type the PNS (the client) sends: Outgoing-Call-Request,
 *       Incoming-Call-Reply, Call-Clear-Request, Set-Link-Info, or a Stop /
 *       Echo message (RFC 2637 §2). "sccrp+next-control-message-one-dir":
 *       the SCCRP, then a message the PAC sends (Outgoing-Call-Reply,
 *       Incoming-Call-Request/-Connected, Call-Disconnect-Notify,
 *       WAN-Error-Notify, Stop / Echo). A message of the other role's, or
 *       anything else at offset 156, is CLS_NO.
 *   At conclude(), a lone SCCRQ / SCCRP that fills its segment exactly with
 *       every fixed field right (pptp_start_ok: error code 0..7, framing
 *       and bearer capabilities of the defined bits only, host name and
 *       vendor string printable ASCII then NUL padding):
 *       "sccrq-one-dir-fixed-fields" / "sccrp-one-dir-fixed-fields".
 * What one direction cannot show: that the peer answered (nothing echoed:
 * the call ids are in the OCRQ/OCRP, one on each side).
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
#define PPTP_START_LEN 156u
#define PPTP_MSG_CONTROL 1
#define PPTP_COOKIE 0x1a2b3c4du
#define PPTP_SCCRQ 1
#define PPTP_SCCRP 2
#define PPTP_CTRL_MAX 15
#define PPTP_VERSION 0x0100
#define PPTP_RESULT_MAX 5
#define PPTP_ERROR_MAX 7
#define PPTP_NAME_LEN 64u

static const uint16_t pptp_len[PPTP_CTRL_MAX + 1] = {
	0, 156, 156, 16, 16, 16, 20, 168, 32, 220, 24, 28, 16, 148, 40, 24,
};

/*
 * Control message types by sender (RFC 2637 §2): the PNS (the client that
 * places the call) sends OCRQ, ICRP, CCRQ and SLI; the PAC (the server)
 * OCRP, ICRQ, ICCN, CDN and WEN; the Stop and Echo messages come from
 * either. Bit n = type n.
 */
#define PPTP_EITHER ((1u << 3) | (1u << 4) | (1u << 5) | (1u << 6))
#define PPTP_FROM_PNS (PPTP_EITHER | (1u << 7) | (1u << 10) | (1u << 12) | (1u << 15))
#define PPTP_FROM_PAC (PPTP_EITHER | (1u << 8) | (1u << 9) | (1u << 11) | (1u << 13) | (1u << 14))

enum pptp_step {
	PPTP_ST_SCCRQ = 1, /* the SCCRQ seen */
	PPTP_ST_CTRL,      /* another control message seen first */
	PPTP_ST_SCCRP,     /* the SCCRP seen first (only the server's side so far) */
};

struct pptp_state {
	uint8_t step;    /* enum pptp_step */
	uint8_t lone;    /* the Start message passed pptp_start_ok() */
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

/* A 64-byte name field: printable ASCII up to its first NUL, NUL after it (RFC 2637 §2.1). */
static bool
pptp_name_ok(const uint8_t *p, uint32_t len, uint32_t off)
{
	uint32_t i = 0;

	if (!cls_has(len, off, PPTP_NAME_LEN))
		return false;
	while (i < PPTP_NAME_LEN && p[off + i] != 0) {
		if (p[off + i] < 0x20 || p[off + i] > 0x7e)
			return false;
		i++;
	}
	return i < PPTP_NAME_LEN && cls_all_zero(p, len, off + i, PPTP_NAME_LEN - i);
}

/*
 * Everything a Start-Control-Connection Request/Reply fixes, past what
 * pptp_parse() checked: error code 0..7, framing and bearer capabilities
 * of only the async/sync and analog/digital bits, and the host name and
 * vendor string NUL-terminated printable ASCII, NUL-padded.
 */
static bool
pptp_start_ok(const uint8_t *p, uint32_t len, uint16_t ctype)
{
	uint32_t framing, bearer;
	uint8_t err;

	if ((ctype != PPTP_SCCRQ && ctype != PPTP_SCCRP) || !cls_be32(p, len, 16, &framing) ||
	    !cls_be32(p, len, 20, &bearer) || (framing & ~3u) != 0 || (bearer & ~3u) != 0)
		return false;
	if (ctype == PPTP_SCCRP && (!cls_u8(p, len, 15, &err) || err > PPTP_ERROR_MAX))
		return false;
	return pptp_name_ok(p, len, 28) && pptp_name_ok(p, len, 28 + PPTP_NAME_LEN);
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
	s->step = ctype == PPTP_SCCRQ ? PPTP_ST_SCCRQ : ctype == PPTP_SCCRP ? PPTP_ST_SCCRP : PPTP_ST_CTRL;
	s->lone = pkt->len == PPTP_START_LEN && pptp_start_ok(pkt->payload, pkt->len, ctype);
	return cls_ret(CLS_MORE, ctype == PPTP_SCCRQ ? "sccrq" : ctype == PPTP_SCCRP ? "sccrp"
											: "control-message-one-side");
}

/*
 * The side that sent the Start message goes on: its next message starts the
 * segment right after it (stream offset 156), a message its role sends.
 */
static struct cls_verdict
pptp_same_side(const struct cls_pkt *pkt, struct pptp_state *s)
{
	bool client = s->step == PPTP_ST_SCCRQ;
	uint16_t ctype;

	if (s->step == PPTP_ST_CTRL)
		return cls_ret(CLS_MORE, "same-side-later-segment");
	if (pkt->tcp_offset != PPTP_START_LEN)
		return cls_ret(CLS_NO, "same-side-not-after-start-message");
	ctype = pptp_parse(pkt->payload, pkt->len);
	if (ctype == (client ? PPTP_SCCRQ : PPTP_SCCRP))
		return cls_ret(CLS_MORE, "start-message-retransmit");
	if (ctype == 0 || !((client ? PPTP_FROM_PNS : PPTP_FROM_PAC) & (1u << ctype)))
		return cls_ret(CLS_NO, "same-side-next-not-its-control-message");
	return cls_ret_server(CLS_LIKELY,
			      client ? "sccrq+next-control-message-one-dir" : "sccrp+next-control-message-one-dir",
			      client ? (uint8_t)(pkt->first_dir ^ 1u) : pkt->first_dir);
}

static struct cls_verdict
pptp_owned(const struct cls_pkt *pkt, void *st)
{
	struct pptp_state *s = st;
	uint16_t ctype;

	if (pkt->payload == NULL)
		return cls_ret(CLS_NO, "not-pptp-transport");
	if (pkt->dir == pkt->first_dir)
		return pptp_same_side(pkt, s);
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
	if (s->step == PPTP_ST_SCCRP) {
		/* The SCCRP came first: the client's SCCRQ was not seen; the rest is mid-session. */
		return cls_ret(CLS_LIKELY, "control-messages-both-dirs-magic-cookie");
	}
	if (s->step == PPTP_ST_CTRL)
		return cls_ret(CLS_LIKELY, "control-messages-both-dirs-magic-cookie");
	return cls_ret(CLS_NO, "bad-state");
}

/* A lone Start-Control-Connection Request or Reply with every fixed field right. */
static struct cls_verdict
pptp_conclude(const void *st, uint8_t first_dir, uint8_t why)
{
	const struct pptp_state *s = st;

	(void)why;
	if (!s->lone)
		return cls_ret(CLS_NO, "no-lone-start-message");
	if (s->step == PPTP_ST_SCCRQ)
		return cls_ret_server(CLS_LIKELY, "sccrq-one-dir-fixed-fields", (uint8_t)(first_dir ^ 1u));
	if (s->step == PPTP_ST_SCCRP)
		return cls_ret_server(CLS_LIKELY, "sccrp-one-dir-fixed-fields", first_dir);
	return cls_ret(CLS_NO, "no-lone-start-message");
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
	.conclude = pptp_conclude,
};

