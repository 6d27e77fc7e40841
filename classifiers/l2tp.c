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
 *       assigned id).
 *
 * One direction (LIKELY, the server named: the LNS; RFC 2661's LAC is the
 * remote-access client):
 *   "l2tpv{2,3}-sccrq+next-control-one-dir-ns-nr": the client's SCCRQ
 *       (retransmitted or not), then its next message (SCCCN, or a ZLB)
 *       addressed to a non-zero tunnel id with Ns 1 and Nr 1: it took the
 *       id and acknowledged the Ns 0 of an SCCRP this flow did not show.
 *   "l2tpv{2,3}-sccrp+next-control-one-dir-ns-nr": the server's SCCRP, then
 *       its next message to the same tunnel, in sequence (below).
 *   "l2tpv{2,3}-control-one-dir-ns-nr-in-sequence": control messages of
 *       one side to one tunnel id, each the next of its sequence (Ns + 1
 *       after a message, the same Ns after a ZLB, which takes none; Nr never
 *       back), once the side's role is known: from a v2 message type only
 *       one role sends (LAC: SCCRQ, SCCCN, ICRQ, ICCN, WEN; LNS: SCCRP,
 *       ICRP, SLI; a side sending both is CLS_NO), else from the port (1701
 *       on one side only names it the LNS). HELLO and ZLB between two 1701
 *       ports say nothing of who serves and stay CLS_MORE; v3 ends are
 *       peers (LCCEs) and have no role by type.
 *   At conclude(), a lone SCCRQ or SCCRP (and its retransmissions) with
 *       each mandatory AVP once and well formed (v2: Protocol Version 1.0,
 *       Framing Capabilities, Host Name, Assigned Tunnel ID; v3: Host Name,
 *       Router ID, Assigned Control Connection ID, Pseudowire Capabilities)
 *       and its header right (SCCRQ all zero; SCCRP to a tunnel, Ns 0, Nr
 *       1): "l2tpv{2,3}-sccrq-one-dir-mandatory-avps" /
 *       "l2tpv{2,3}-sccrp-one-dir-mandatory-avps".
 * What one direction cannot show: that the peer took the ids (nothing
 * echoed was seen), and mid-session, without a role-telling message type
 * or port, which end is the LNS.
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
#define L2TP_PORT 1701u

#define L2TP_AVP_HDR 6u
#define L2TP_AVP_H 0x4000u
#define L2TP_AVP_RSVD 0x3c00u
#define L2TP_AVP_LEN 0x03ffu
#define L2TP_MAX_AVPS 64

#define L2TP_ATTR_MSG_TYPE 0
#define L2TP_ATTR_PROTO_VER 2    /* v2 Protocol Version: 1.0 */
#define L2TP_ATTR_FRAMING 3      /* v2 Framing Capabilities, 4-byte value */
#define L2TP_ATTR_HOST_NAME 7
#define L2TP_ATTR_TUNNEL_ID 9    /* v2 Assigned Tunnel ID, 2-byte value */
#define L2TP_ATTR_ROUTER_ID 60   /* v3 Router ID, 4-byte value */
#define L2TP_ATTR_CCID 61        /* v3 Assigned Control Connection ID, 4-byte value */
#define L2TP_ATTR_PW_CAPS 62     /* v3 Pseudowire Capabilities List, 2 bytes per type */
#define L2TP_MSG_ZLB 0           /* no Message Type AVP */
#define L2TP_MSG_SCCRQ 1
#define L2TP_MSG_SCCRP 2
#define L2TP_MSG_MAX 27

/* Mandatory AVPs of an SCCRQ/SCCRP seen well-formed, once each (l2tp_msg.mand). */
#define L2TP_M_PROTO_VER 0x01
#define L2TP_M_FRAMING 0x02
#define L2TP_M_HOST_NAME 0x04
#define L2TP_M_ASSIGNED 0x08
#define L2TP_M_ROUTER_ID 0x10
#define L2TP_M_PW_CAPS 0x20
#define L2TP_M_DUP 0x80          /* one of them twice */
#define L2TP_M_V2 (L2TP_M_PROTO_VER | L2TP_M_FRAMING | L2TP_M_HOST_NAME | L2TP_M_ASSIGNED)
#define L2TP_M_V3 (L2TP_M_HOST_NAME | L2TP_M_ASSIGNED | L2TP_M_ROUTER_ID | L2TP_M_PW_CAPS)

enum l2tp_step {
	L2TP_ST_SCCRQ = 1, /* a client's SCCRQ seen */
	L2TP_ST_CTRL,      /* some other control message seen first */
};

/* Who the stored side is (l2tp_state.role). */
enum l2tp_role { L2TP_ROLE_UNKNOWN = 0, L2TP_ROLE_LAC, L2TP_ROLE_LNS };

/* l2tp_state.bits */
#define L2TP_B_LONE 0x01         /* the stored message is an SCCRQ/SCCRP with its mandatory AVPs */
#define L2TP_B_LAST_ZLB 0x02     /* the stored side's last message was a ZLB */
#define L2TP_B_PORT_SAYS 0x04    /* 1701 on one side only ... */
#define L2TP_B_PORT_S2C 0x08     /* ... the side sending S2C (else C2S) */

struct l2tp_state {
	uint32_t assigned;  /* assigned id the stored message carried, 0 = none */
	uint32_t id;        /* CTRL: the header id the stored side's messages carry */
	uint16_t ns_lo;     /* CTRL: Ns of the first stored message */
	uint16_t ns_hi;     /* CTRL: Ns of the last one */
	uint16_t nr;        /* Nr of the stored side's last message */
	uint8_t step;       /* enum l2tp_step */
	uint8_t ver;        /* version (2 or 3) */
	uint8_t dir;        /* direction of the stored message(s) */
	uint8_t role;       /* enum l2tp_role of that side */
	uint8_t bits;       /* L2TP_B_* */
};
CLS_STATE_FITS(struct l2tp_state);

struct l2tp_msg {
	uint8_t ver;
	uint8_t mand;       /* L2TP_M_* */
	uint16_t type;      /* Message Type, L2TP_MSG_ZLB when no AVP */
	uint32_t id;        /* v2 tunnel id, v3 control connection id */
	uint16_t session;   /* v2 only */
	uint16_t ns, nr;
	uint32_t assigned;  /* visible assigned id AVP, 0 = none */
};

/* One mandatory SCCRQ/SCCRP AVP seen: its bit, or the duplicate mark. */
static void
l2tp_mand(struct l2tp_msg *m, uint8_t bit)
{
	m->mand |= (m->mand & bit) ? L2TP_M_DUP : bit;
}

/*
 * The AVP chain from L2TP_HDR to len: Message Type first, assigned id
 * found, and the Start-Control-Connection AVPs (RFC 2661 §6.1-6.2, RFC 3931
 * §6.1-6.2) noted when they are well formed: v2 Protocol Version 1.0,
 * Framing Capabilities, Host Name, Assigned Tunnel ID; v3 Host Name, Router
 * ID, Assigned Control Connection ID, Pseudowire Capabilities List.
 */
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
			    cls_be16(p, len, pos + 6, &v16)) {
				m->assigned = v16;
				if (v16 != 0)
					l2tp_mand(m, L2TP_M_ASSIGNED);
			} else if (m->ver == L2TP_V3 && attr == L2TP_ATTR_CCID && alen == 10 &&
				   cls_be32(p, len, pos + 6, &v32)) {
				m->assigned = v32;
				if (v32 != 0)
					l2tp_mand(m, L2TP_M_ASSIGNED);
			} else if (m->ver == L2TP_V2 && attr == L2TP_ATTR_PROTO_VER && alen == 8 &&
				   cls_be16(p, len, pos + 6, &v16) && v16 == 0x0100) {
				l2tp_mand(m, L2TP_M_PROTO_VER);
			} else if (m->ver == L2TP_V2 && attr == L2TP_ATTR_FRAMING && alen == 10) {
				l2tp_mand(m, L2TP_M_FRAMING);
			} else if (attr == L2TP_ATTR_HOST_NAME && alen > L2TP_AVP_HDR) {
				l2tp_mand(m, L2TP_M_HOST_NAME);
			} else if (m->ver == L2TP_V3 && attr == L2TP_ATTR_ROUTER_ID && alen == 10) {
				l2tp_mand(m, L2TP_M_ROUTER_ID);
			} else if (m->ver == L2TP_V3 && attr == L2TP_ATTR_PW_CAPS && alen > L2TP_AVP_HDR &&
				   (alen - L2TP_AVP_HDR) % 2 == 0) {
				l2tp_mand(m, L2TP_M_PW_CAPS);
			}
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
	m->mand = 0;
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

/*
 * The role a v2 message type is sent from (RFC 2661 §6): the LAC (the
 * remote-access client) starts the tunnel and the incoming call (SCCRQ,
 * SCCCN, ICRQ, ICCN) and reports WAN errors; the LNS answers (SCCRP,
 * ICRP) and sets link info. HELLO, StopCCN, CDN and the outgoing-call
 * messages come from either. v3 ends are peers (LCCEs): no role.
 */
static enum l2tp_role
l2tp_type_role(const struct l2tp_msg *m)
{
	if (m->ver != L2TP_V2)
		return L2TP_ROLE_UNKNOWN;
	switch (m->type) {
	case 1: case 3: case 10: case 12: case 14:
		return L2TP_ROLE_LAC;
	case 2: case 11: case 16:
		return L2TP_ROLE_LNS;
	default:
		return L2TP_ROLE_UNKNOWN;
	}
}

/* An SCCRQ (header all zero) or SCCRP (to a tunnel, Ns 0, Nr 1) with all its mandatory AVPs. */
static bool
l2tp_start_ok(const struct l2tp_msg *m)
{
	uint8_t want = m->ver == L2TP_V2 ? L2TP_M_V2 : L2TP_M_V3;

	if ((m->mand & (want | L2TP_M_DUP)) != want || m->session != 0 || m->ns != 0)
		return false;
	if (m->type == L2TP_MSG_SCCRQ)
		return m->id == 0 && m->nr == 0;
	return m->type == L2TP_MSG_SCCRP && m->id != 0 && m->nr == 1;
}

/* (Re)start tracking from control message m. */
static struct cls_verdict
l2tp_take(const struct cls_pkt *pkt, const struct l2tp_msg *m, struct l2tp_state *s)
{
	enum l2tp_step step;
	uint8_t port_bits = s->bits & (L2TP_B_PORT_SAYS | L2TP_B_PORT_S2C);

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
	s->role = (uint8_t)l2tp_type_role(m);
	s->assigned = m->type == L2TP_MSG_SCCRQ || m->type == L2TP_MSG_SCCRP ? m->assigned : 0;
	s->id = m->id;
	s->ns_lo = s->ns_hi = m->ns;
	s->nr = m->nr;
	s->bits = (uint8_t)(port_bits | (l2tp_start_ok(m) ? L2TP_B_LONE : 0));
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

/* A verdict naming the server: the stored side when it is the LNS, else the other one. */
static struct cls_verdict
l2tp_role_verdict(const struct l2tp_state *s, enum l2tp_role role, const char *check)
{
	return cls_ret_server(CLS_LIKELY, check, role == L2TP_ROLE_LNS ? s->dir : (uint8_t)(s->dir ^ 1u));
}

/*
 * CTRL, the same side again: the next message of its sequence (RFC 2661
 * §5.8: Ns + 1 after a message, the same Ns after a ZLB, which takes none;
 * Nr never going back), to the same tunnel. Decided once the side's role
 * is known: from a message type only one role sends, else from the port
 * (1701 on one side only).
 */
static struct cls_verdict
l2tp_same_side(const struct cls_pkt *pkt, const struct l2tp_msg *m, struct l2tp_state *s)
{
	uint16_t next = (uint16_t)(s->ns_hi + ((s->bits & L2TP_B_LAST_ZLB) ? 0u : 1u));
	enum l2tp_role role = (enum l2tp_role)s->role, r2 = l2tp_type_role(m);

	if (m->type == L2TP_MSG_SCCRQ)
		return l2tp_take(pkt, m, s);
	if (m->id != s->id)
		return cls_ret(CLS_NO, "same-side-id-changed");
	if (m->ns != next) {
		/* A retransmission repeats an earlier Ns; anything else is not this sequence. */
		if (m->type != L2TP_MSG_ZLB && (uint16_t)(m->ns - s->ns_lo) <= (uint16_t)(s->ns_hi - s->ns_lo))
			return cls_ret(CLS_MORE, "control-message-retransmit");
		return cls_ret(CLS_NO, "ns-jump");
	}
	if ((uint16_t)(m->nr - s->nr) >= 0x8000u)
		return cls_ret(CLS_NO, "nr-went-back");
	if (role != L2TP_ROLE_UNKNOWN && r2 != L2TP_ROLE_UNKNOWN && role != r2)
		return cls_ret(CLS_NO, "same-side-both-roles");
	s->ns_hi = m->ns;
	s->nr = m->nr;
	s->bits = (uint8_t)((s->bits & ~(L2TP_B_LONE | L2TP_B_LAST_ZLB)) |
			    (m->type == L2TP_MSG_ZLB ? L2TP_B_LAST_ZLB : 0));
	if (role == L2TP_ROLE_UNKNOWN)
		s->role = (uint8_t)(role = r2);
	if (role == L2TP_ROLE_UNKNOWN && (s->bits & L2TP_B_PORT_SAYS))
		role = ((s->bits & L2TP_B_PORT_S2C) ? CLS_S2C : CLS_C2S) == s->dir ? L2TP_ROLE_LNS
										 : L2TP_ROLE_LAC;
	if (role == L2TP_ROLE_UNKNOWN)
		return cls_ret(CLS_MORE, "control-message-same-side");
	if (s->assigned != 0) /* the stored message was an SCCRP */
		return l2tp_role_verdict(s, role, m->ver == L2TP_V2 ? "l2tpv2-sccrp+next-control-one-dir-ns-nr"
								    : "l2tpv3-sccrp+next-control-one-dir-ns-nr");
	return l2tp_role_verdict(s, role, m->ver == L2TP_V2 ? "l2tpv2-control-one-dir-ns-nr-in-sequence"
							    : "l2tpv3-control-one-dir-ns-nr-in-sequence");
}

static struct cls_verdict
l2tp_first(const struct cls_pkt *pkt, void *st)
{
	struct l2tp_state *s = st;
	struct l2tp_msg m;
	int sd;

	if (!l2tp_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-l2tp-control-message");
	sd = cls_port_server_dir(pkt, L2TP_PORT);
	if (sd >= 0)
		s->bits = (uint8_t)(L2TP_B_PORT_SAYS | (sd == CLS_S2C ? L2TP_B_PORT_S2C : 0));
	return l2tp_take(pkt, &m, s);
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
		/*
		 * The client's next message (SCCCN, or a ZLB acknowledging the
		 * SCCRP) goes to the tunnel id the unseen SCCRP assigned, with
		 * Ns 1 and Nr 1: it acknowledged the server's Ns 0.
		 */
		if (m.type != L2TP_MSG_SCCRQ && m.id != 0 && m.ns == 1 && m.nr == 1 &&
		    l2tp_type_role(&m) != L2TP_ROLE_LNS)
			return l2tp_role_verdict(s, L2TP_ROLE_LAC,
						 m.ver == L2TP_V2 ? "l2tpv2-sccrq+next-control-one-dir-ns-nr"
								  : "l2tpv3-sccrq+next-control-one-dir-ns-nr");
		return l2tp_take(pkt, &m, s);
	}
	return l2tp_same_side(pkt, &m, s);
}

/* A lone SCCRQ or SCCRP (retransmitted or not) with its mandatory AVPs. */
static struct cls_verdict
l2tp_conclude(const void *st, uint8_t first_dir, uint8_t why)
{
	const struct l2tp_state *s = st;

	(void)first_dir;
	(void)why;
	if (!(s->bits & L2TP_B_LONE))
		return cls_ret(CLS_NO, "no-lone-start-message");
	if (s->step == L2TP_ST_SCCRQ)
		return l2tp_role_verdict(s, L2TP_ROLE_LAC, s->ver == L2TP_V2 ? "l2tpv2-sccrq-one-dir-mandatory-avps"
									  : "l2tpv3-sccrq-one-dir-mandatory-avps");
	return l2tp_role_verdict(s, L2TP_ROLE_LNS, s->ver == L2TP_V2 ? "l2tpv2-sccrp-one-dir-mandatory-avps"
								  : "l2tpv3-sccrp-one-dir-mandatory-avps");
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
	.conclude = l2tp_conclude,
};
