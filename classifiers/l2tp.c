/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2TP classifier (UDP, 1701 by convention, any port accepted): the
 * control channel of L2TPv2 (RFC 2661) and of L2TPv3 over UDP (RFC 3931
 * §4.1.2.1). Owns the L2TP patterns and the validator that matches a
 * client's SCCRQ with the server's SCCRP.
 *
 * Wire facts (RFC 2661 §3.1, §4.1, §4.4; RFC 3931 §3.2, §4.1.2.1, §5.4):
 *   flags/version (2): T 0x8000 (control), L 0x4000 (length present),
 *   S 0x0800 (Ns/Nr present), O 0x0200, P 0x0100, version in the low 4
 *   bits. A control message has T, L and S set and every other flag and
 *   reserved bit clear: 0xC802 (v2) / 0xC803 (v3). Then length (2) = the
 *   whole message = the datagram.
 *   v2: tunnel id (2), session id (2), Ns (2), Nr (2).
 *   v3: control connection id (4), Ns (2), Nr (2). docs/protocols.md gives
 *       the v2 layout for both versions; v3 has one 32-bit id there instead
 *       (same 12-byte header), and its assigned-id AVP is Assigned Control
 *       Connection ID (61, 4-byte value), not Assigned Tunnel ID (9).
 *   AVPs: M 0x8000, H 0x4000 (hidden), 4 reserved bits (0), 10-bit length
 *   (>= 6, header included), vendor id (2), attribute type (2), value. The
 *   first AVP is Message Type (vendor 0, type 0, length 8, never hidden):
 *   1 SCCRQ, 2 SCCRP, 3 SCCCN, 4 StopCCN, 6 HELLO, 7..16 call messages;
 *   v3 adds 20 ACK and the failover/status types up to 27. A message with
 *   no AVP (length 12) is a ZLB acknowledgement.
 *   SCCRQ: header id 0 (the peer's id is not known yet), Ns 0, Nr 0, and an
 *   Assigned Tunnel / Control Connection ID AVP; the SCCRP is addressed to
 *   that id (header id = the client's assigned id), Ns 0, Nr 1, and
 *   carries the server's own assigned id. Each side's messages carry the
 *   PEER's id; Nr acknowledges the peer's Ns (next expected = Ns + 1).
 *
 * Decisions:
 *   CONFIRMED "l2tpv2-sccrq+sccrp-tunnel-id-match" (v3: "...-ccid-match"):
 *       a well-formed SCCRQ (AVP chain ending exactly at the length, a
 *       visible non-zero assigned id) answered from the other side by an
 *       SCCRP addressed to that id, Ns 0, Nr 1, with its own assigned id.
 *   LIKELY "l2tpv{2,3}-control-both-dirs-ns-nr-match": the window started
 *       after the SCCRQ: a control message (any type) from one side, then
 *       a control message or ZLB from the other whose Nr acknowledges the
 *       first side's Ns (and, after an SCCRP, whose id is the SCCRP's
 *       assigned id). One side alone is at most CLS_MORE.
 * An SCCRQ whose assigned id is hidden (H bit) is not recognised. Data
 * messages (T clear) are never candidates; while this classifier owns the
 * flow they are skipped. Tying the PPP session to anything else is not
 * done here.
 */
#include "classifier.h"
#include "cls_util.h"

#define L2TP_HDR 12u
#define L2TP_T 0x8000u
#define L2TP_CTRL 0xc800u       /* T | L | S, nothing else */
#define L2TP_CTRL_MASK 0xfff0u
#define L2TP_VER_MASK 0x000fu
#define L2TP_V2 2
#define L2TP_V3 3

#define L2TP_AVP_HDR 6u
#define L2TP_AVP_H 0x4000u
#define L2TP_AVP_RSVD 0x3c00u
#define L2TP_AVP_LEN 0x03ffu
#define L2TP_MAX_AVPS 64

#define L2TP_ATTR_MSG_TYPE 0
#define L2TP_ATTR_TUNNEL_ID 9    /* v2 Assigned Tunnel ID, 2-byte value */
#define L2TP_ATTR_CCID 61        /* v3 Assigned Control Connection ID, 4-byte value */
#define L2TP_MSG_ZLB 0           /* no Message Type AVP */
#define L2TP_MSG_SCCRQ 1
#define L2TP_MSG_SCCRP 2
#define L2TP_MSG_MAX 27

enum l2tp_step {
	L2TP_ST_SCCRQ = 1, /* a client's SCCRQ seen */
	L2TP_ST_CTRL,      /* some other control message seen first */
};

struct l2tp_state {
	uint8_t step;       /* enum l2tp_step */
	uint8_t ver;        /* version (2 or 3) */
	uint8_t dir;        /* direction of the stored message(s) */
	uint32_t assigned;  /* assigned id the stored message carried, 0 = none */
	uint16_t ns_lo;     /* CTRL: Ns of the first stored message */
	uint16_t ns_hi;     /* CTRL: Ns of the last one */
};
CLS_STATE_FITS(struct l2tp_state);

struct l2tp_msg {
	uint8_t ver;
	uint16_t type;      /* Message Type, L2TP_MSG_ZLB when no AVP */
	uint32_t id;        /* v2 tunnel id, v3 control connection id */
	uint16_t session;   /* v2 only */
	uint16_t ns, nr;
	uint32_t assigned;  /* visible assigned id AVP, 0 = none */
};

/* The AVP chain from L2TP_HDR to len: Message Type first, assigned id found. */
static bool
l2tp_avps(const uint8_t *p, uint32_t len, struct l2tp_msg *m)
{
	uint32_t pos = L2TP_HDR;
	unsigned int i;
	uint16_t hdr, vendor, attr, v16;
	uint32_t alen, v32;

	for (i = 0; pos < len; i++) {
		if (i >= L2TP_MAX_AVPS || !cls_be16(p, len, pos, &hdr) ||
		    !cls_be16(p, len, pos + 2, &vendor) || !cls_be16(p, len, pos + 4, &attr))
			return false;
		alen = hdr & L2TP_AVP_LEN;
		if ((hdr & L2TP_AVP_RSVD) != 0 || alen < L2TP_AVP_HDR || alen > len - pos)
			return false;
		if (i == 0) {
			if (vendor != 0 || attr != L2TP_ATTR_MSG_TYPE || alen != 8 ||
			    (hdr & L2TP_AVP_H) || !cls_be16(p, len, pos + 6, &m->type) ||
			    m->type == L2TP_MSG_ZLB || m->type > L2TP_MSG_MAX)
				return false;
		} else if (vendor == 0 && !(hdr & L2TP_AVP_H)) {
			if (m->ver == L2TP_V2 && attr == L2TP_ATTR_TUNNEL_ID && alen == 8 &&
			    cls_be16(p, len, pos + 6, &v16))
				m->assigned = v16;
			else if (m->ver == L2TP_V3 && attr == L2TP_ATTR_CCID && alen == 10 &&
				 cls_be32(p, len, pos + 6, &v32))
				m->assigned = v32;
		}
		pos += alen;
	}
	return true;
}

/* A datagram holding exactly one L2TP control message. */
static bool
l2tp_parse(const struct cls_pkt *pkt, struct l2tp_msg *m)
{
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->len;
	uint16_t w, length, v16;

	if (p == NULL || pkt->l4 != CLS_UDP || !cls_be16(p, len, 0, &w) ||
	    (w & L2TP_CTRL_MASK) != L2TP_CTRL || !cls_be16(p, len, 2, &length) || length != len ||
	    len < L2TP_HDR)
		return false;
	m->ver = (uint8_t)(w & L2TP_VER_MASK);
	m->type = L2TP_MSG_ZLB;
	m->session = 0;
	m->assigned = 0;
	if (m->ver == L2TP_V2) {
		if (!cls_be16(p, len, 4, &v16) || !cls_be16(p, len, 6, &m->session))
			return false;
		m->id = v16;
	} else if (m->ver == L2TP_V3) {
		if (!cls_be32(p, len, 4, &m->id))
			return false;
	} else {
		return false;
	}
	if (!cls_be16(p, len, 8, &m->ns) || !cls_be16(p, len, 10, &m->nr))
		return false;
	return l2tp_avps(p, len, m);
}

/* A data message of version ver (skipped while owning the flow). */
static bool
l2tp_is_data(const struct cls_pkt *pkt, uint8_t ver)
{
	uint16_t w;

	return pkt->payload != NULL && cls_be16(pkt->payload, pkt->len, 0, &w) &&
	       (w & L2TP_T) == 0 && (w & L2TP_VER_MASK) == ver;
}

/* (Re)start tracking from control message m. */
static struct cls_verdict
l2tp_take(const struct cls_pkt *pkt, const struct l2tp_msg *m, struct l2tp_state *s)
{
	enum l2tp_step step;

	if (m->type == L2TP_MSG_ZLB)
		return cls_ret(CLS_NO, "zlb-alone");
	if (m->type == L2TP_MSG_SCCRQ) {
		if (m->id != 0 || m->session != 0 || m->ns != 0 || m->nr != 0 || m->assigned == 0)
			return cls_ret(CLS_NO, "sccrq-bad-header");
		step = L2TP_ST_SCCRQ;
	} else {
		if (m->id == 0)
			return cls_ret(CLS_NO, "control-message-zero-id");
		step = L2TP_ST_CTRL;
	}
	memset(s, 0, sizeof(*s));
	s->step = (uint8_t)step;
	s->ver = m->ver;
	s->dir = pkt->dir;
	s->assigned = m->type == L2TP_MSG_SCCRQ || m->type == L2TP_MSG_SCCRP ? m->assigned : 0;
	s->ns_lo = s->ns_hi = m->ns;
	return cls_ret(CLS_MORE, step == L2TP_ST_SCCRQ ? "sccrq" : "control-message-one-side");
}

/* SCCRQ: the server's answer. */
static struct cls_verdict
l2tp_sccrp(const struct l2tp_msg *m, const struct l2tp_state *s, uint8_t dir)
{
	if (m->id != s->assigned)
		return cls_ret(CLS_NO, "answer-not-to-assigned-id");
	if (m->type == L2TP_MSG_ZLB)
		return cls_ret(CLS_MORE, "zlb-ack-to-assigned-id");
	if (m->type != L2TP_MSG_SCCRP || m->session != 0 || m->ns != 0 || m->nr != 1 ||
	    m->assigned == 0)
		return cls_ret(CLS_NO, "sccrp-bad-header");
	return cls_ret_server(CLS_CONFIRMED,
			      m->ver == L2TP_V2 ? "l2tpv2-sccrq+sccrp-tunnel-id-match" : "l2tpv3-sccrq+sccrp-ccid-match",
			      dir);
}

/* CTRL: the other side's message must acknowledge what was stored. */
static struct cls_verdict
l2tp_reply(const struct l2tp_msg *m, const struct l2tp_state *s)
{
	uint16_t acked = (uint16_t)(m->nr - 1u - s->ns_lo);

	if (m->id == 0 || (s->assigned != 0 && m->id != s->assigned))
		return cls_ret(CLS_NO, "reply-id-mismatch");
	if (acked > (uint16_t)(s->ns_hi - s->ns_lo))
		return cls_ret(CLS_NO, "reply-nr-mismatch");
	return cls_ret(CLS_LIKELY, m->ver == L2TP_V2 ? "l2tpv2-control-both-dirs-ns-nr-match" :
						       "l2tpv3-control-both-dirs-ns-nr-match");
}

static struct cls_verdict
l2tp_first(const struct cls_pkt *pkt, void *st)
{
	struct l2tp_msg m;

	if (!l2tp_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-l2tp-control-message");
	return l2tp_take(pkt, &m, st);
}

static struct cls_verdict
l2tp_owned(const struct cls_pkt *pkt, void *st)
{
	struct l2tp_state *s = st;
	struct l2tp_msg m;

	if (!l2tp_parse(pkt, &m)) {
		if (l2tp_is_data(pkt, s->ver))
			return cls_ret(CLS_MORE, "data-message-skipped");
		return cls_ret(CLS_NO, "not-l2tp-control-message");
	}
	if (m.ver != s->ver)
		return cls_ret(CLS_NO, "version-changed");
	if (pkt->dir != s->dir) {
		if (s->step == L2TP_ST_SCCRQ)
			return l2tp_sccrp(&m, s, pkt->dir);
		if (s->step == L2TP_ST_CTRL)
			return l2tp_reply(&m, s);
		return cls_ret(CLS_NO, "bad-state");
	}
	/* The same side again, before the other answered. */
	if (s->step == L2TP_ST_SCCRQ) {
		if (m.type == L2TP_MSG_SCCRQ && m.assigned == s->assigned)
			return cls_ret(CLS_MORE, "sccrq-retransmit");
		return l2tp_take(pkt, &m, s);
	}
	if (m.type == L2TP_MSG_ZLB)
		return cls_ret(CLS_MORE, "zlb-same-side");
	if (m.type == L2TP_MSG_SCCRQ)
		return l2tp_take(pkt, &m, s);
	/* Ns goes up by one per message (a retransmission repeats one). */
	if ((uint16_t)(m.ns - s->ns_hi) > 1)
		return cls_ret(CLS_NO, "ns-jump");
	s->ns_hi = m.ns;
	return cls_ret(CLS_MORE, "control-message-same-side");
}

/*
 * Control messages whose first AVP is Message Type (M bit either way,
 * vendor 0, type 0, value 1..27); the SCCRQ ones (header id, Ns, Nr all 0)
 * first, to name the match.
 */
#define L2TP_MT_AVP "[\\x00\\x80]\\x08\\x00{5}"

static const struct cls_pattern l2tp_patterns[] = {
	{ "^\\xc8\\x02..\\x00{8}" L2TP_MT_AVP "\\x01", CLS_UDP, "l2tpv2-sccrq" },
	{ "^\\xc8\\x03..\\x00{8}" L2TP_MT_AVP "\\x01", CLS_UDP, "l2tpv3-sccrq" },
	{ "^\\xc8[\\x02\\x03].{10}" L2TP_MT_AVP "[\\x01-\\x1b]", CLS_UDP, "l2tp-control-message" },
};

const struct classifier cls_l2tp = {
	.name = "l2tp",
	.priority = 40,
	.patterns = l2tp_patterns,
	.n_patterns = sizeof(l2tp_patterns) / sizeof(l2tp_patterns[0]),
	.l4 = CLS_UDP,
	/* SCCRQ + SCCRP, with a retransmission or a ZLB between */
	.pkts_needed = 5,
	.max_owned = 10,
	.state_size = sizeof(struct l2tp_state),
	.first = l2tp_first,
	.owned = l2tp_owned,
};
