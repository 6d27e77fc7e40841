/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PPTP's data channel: enhanced GRE version 1 on IP protocol 47 (RFC 2637
 * §4.1). No pattern: a CLS_IP classifier sees every payload of the IP
 * protocols it reads, and its first test is the protocol number.
 *
 * Wire facts: byte 0 = C R K S s Recur: only K (0x20) and S (0x10, "a
 * payload is present") may be set; byte 1 = A (0x80, ack present), 4 flag
 * bits 0, version 1; protocol 0x880B; key = payload length (2) + call id
 * (2); then sequence number (4) when S, ack number (4) when A; then exactly
 * payload-length bytes of PPP. The call id is the PEER's (the receiver's)
 * call id, so the two directions carry different ones; the sequence number
 * goes up by one per payload packet. A packet without payload (S clear) is
 * an acknowledgement: A set, payload length 0.
 *
 * Decision: LIKELY "enhanced-gre-v1-call-id-consistent-{one,both}-dir(s)":
 * two well-formed packets in one direction with the same call id (and, when
 * both carry a payload, a sequence number that went up by 1..16); a packet
 * from the other direction in between must be well formed. So one direction
 * decides either side's flow once it has sent two packets.
 * At conclude(), when the flow ended or went quiet after one packet, its
 * first: LIKELY "enhanced-gre-v1-lone-ppp-lcp-configure-request" when that
 * packet carries an LCP Configure-Request (gre_lcp_ok: address/control and
 * protocol uncompressed, length = the rest, an exact option chain), the
 * first frame each end of a PPP link sends; any other lone packet is
 * CLS_NO. Both ends send the same frames, so which one serves is not
 * visible: the classifier is CLS_F_PEERS (the registry is asked about both
 * ends) and names no server. Plain GRE (version 0) is not claimed: the
 * parser takes it apart as an encapsulation.
 * The flow is tied to its control connection between the same hosts on the
 * control lcore (engine/control/tie.c, rule pptp+gre).
 */
#include "classifier.h"
#include "cls_util.h"

#define GRE_IP_PROTO 47u
#define GRE_HDR 8u
#define GRE_B0_K 0x20
#define GRE_B0_S 0x10
#define GRE_B1_A 0x80
#define GRE_B1_VER1 0x01
#define GRE_PROTO_PPP 0x880b
#define GRE_SEQ_MAX_STEP 16u     /* payload packets lost between two seen */
#define GRE_PKTS 2               /* consistent packets in one direction */

#define GRE_PPP_LCP 0xc021
#define GRE_LCP_CONF_REQ 1
#define GRE_LCP_OPT_MAX 30       /* IANA's LCP option types end there */

struct gre_state {
	uint32_t seq[2];         /* last sequence number per direction */
	uint16_t call[2];        /* call id per direction */
	uint8_t count[2];        /* consistent packets per direction, 0 = unseen */
	uint8_t has_seq[2];      /* seq[d] is set */
	uint8_t lcp;             /* the first packet carried an LCP Configure-Request (gre_lcp_ok) */
};
CLS_STATE_FITS(struct gre_state);

struct gre_msg {
	uint16_t call;
	bool has_seq;
	uint32_t seq;
	uint32_t ppp;            /* offset of the PPP frame (payload length bytes to the end) */
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
	m->ppp = hdr;
	return cls_has(len, hdr, 0) && len - hdr == plen;
}

/*
 * The PPP frame p[0..n) is an LCP Configure-Request (RFC 1661 §5.1, §6):
 * address and control 0xff 0x03 and protocol 0xc021 uncompressed (LCP is
 * never sent compressed, §6.5-6.6), length = the rest, options of types
 * 0..30 each at least 2 bytes, MRU 4, magic number 6, PFC and ACFC 2, the
 * chain ending exactly at the length. The first frame each side of a PPP
 * link sends.
 */
static bool
gre_lcp_ok(const uint8_t *p, uint32_t n)
{
	uint16_t proto, length;
	uint32_t pos = 8;

	if (!cls_be16(p, n, 2, &proto) || p[0] != 0xff || p[1] != 0x03 || proto != GRE_PPP_LCP ||
	    !cls_be16(p, n, 6, &length) || p[4] != GRE_LCP_CONF_REQ || length < 4 || length != n - 4u)
		return false;
	while (pos < n) {
		if (!cls_has(n, pos, 2) || p[pos] > GRE_LCP_OPT_MAX || p[pos + 1] < 2 || p[pos + 1] > n - pos)
			return false;
		uint8_t t = p[pos], l = p[pos + 1];
		if ((t == 1 && l != 4) || (t == 5 && l != 6) || ((t == 7 || t == 8) && l != 2))
			return false;
		pos += l;
	}
	return pos == n;
}

/* One packet of direction d counted in; owned: the flow's packets before it were ours. */
static struct cls_verdict
gre_track(const struct cls_pkt *pkt, struct gre_state *s, bool owned)
{
	unsigned int d = pkt->dir & 1u;
	struct gre_msg m;

	if (pkt->l4 != CLS_IP || pkt->ip_proto != GRE_IP_PROTO)
		return cls_ret(CLS_NO, "not-gre-transport");
	if (!gre_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-enhanced-gre-v1");
	if (owned) {
		if (s->count[d] != 0 && m.call != s->call[d])
			return cls_ret(CLS_NO, "call-id-changed");
		if (m.has_seq && s->has_seq[d] && !cls_seq_advanced(s->seq[d], m.seq, GRE_SEQ_MAX_STEP))
			return cls_ret(CLS_NO, "seq-not-advancing");
	}
	s->call[d] = m.call;
	if (m.has_seq) {
		s->seq[d] = m.seq;
		s->has_seq[d] = 1;
	}
	if (++s->count[d] < GRE_PKTS)
		return cls_ret(CLS_MORE, "enhanced-gre-v1-tracking");
	return cls_ret(CLS_LIKELY, s->count[d ^ 1u] != 0 ? "enhanced-gre-v1-call-id-consistent-both-dirs" :
							   "enhanced-gre-v1-call-id-consistent-one-dir");
}

static struct cls_verdict
gre_first(const struct cls_pkt *pkt, void *st)
{
	struct gre_state *s = st;
	struct cls_verdict v = gre_track(pkt, s, false);
	struct gre_msg m;

	if (v.result == CLS_MORE && pkt->pkt_no == 1 && gre_parse(pkt, &m))
		s->lcp = gre_lcp_ok(pkt->payload + m.ppp, pkt->len - m.ppp);
	return v;
}

static struct cls_verdict
gre_owned(const struct cls_pkt *pkt, void *st)
{
	return gre_track(pkt, st, true);
}

/*
 * The flow ended or went quiet after its one packet: decided when that
 * packet opened a PPP link (its LCP Configure-Request).
 */
static struct cls_verdict
gre_conclude(const void *st, uint8_t first_dir, uint8_t why)
{
	const struct gre_state *s = st;

	(void)first_dir;
	if (why == CLS_END_WINDOW || !s->lcp || s->count[0] + s->count[1] != 1)
		return cls_ret(CLS_NO, "no-lone-lcp-configure-request");
	return cls_ret(CLS_LIKELY, "enhanced-gre-v1-lone-ppp-lcp-configure-request");
}

const struct classifier cls_gre = {
	.name = "gre",
	.priority = 70,
	.patterns = NULL,
	.n_patterns = 0,
	.l4 = CLS_IP,
	/* two packets one way, or three over both directions */
	.pkts_needed = 4,
	.max_owned = 12,
	.state_size = sizeof(struct gre_state),
	/* Both ends send the same frames: which one serves is not visible. */
	.flags = CLS_F_PEERS,
	.first = gre_first,
	.owned = gre_owned,
	.conclude = gre_conclude,
};
