/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard classifier (UDP only). Owns the WireGuard patterns and the
 * validator that turns a pattern hit into a decision.
 *
 * Wire facts (wireguard.com/protocol, whitepaper §5.4): byte 0 is the
 * message type 1..4 and bytes 1..3 are zero; indexes are 32-bit values the
 * sender picked at random, the counter is 64-bit little-endian.
 *   1 handshake initiation  148 bytes  sender index @4, ephemeral @8,
 *                                      mac1 @116, mac2 @132 (zero without a cookie)
 *   2 handshake response     92 bytes  sender index @4, receiver index @8 =
 *                                      the initiation's sender index
 *   3 cookie reply           64 bytes  receiver index @4
 *   4 transport data   >= 32, len % 16 == 0  receiver index @4, counter @8
 * A new keypair's counter starts at 0 on each side; the responder sends no
 * data before the initiator's first (whitepaper §5.4.7). An initiation that
 * gets no answer is sent again every 5 s (REKEY_TIMEOUT) for 90 s, each time
 * a new one: new ephemeral key, new random sender index (wireguard-go
 * CreateMessageInitiation deletes the old index and draws a new one; Linux
 * wg_index_hashtable_insert likewise), mac2 zero unless a cookie came.
 *
 * Decisions, both directions:
 *   CONFIRMED "handshake-init+response-index-match": a 148-byte initiation,
 *       then from the other side a 92-byte response whose receiver index is
 *       the initiation's sender index (a 32-bit random value echoed).
 *   CONFIRMED "handshake-response+transport-index-match": the capture
 *       started after the initiation: a response, then from the other side
 *       (the initiator) a transport packet addressed to the response's sender
 *       index -- again a random 32-bit value echoed across directions, so a
 *       response without a stored initiation is CLS_MORE, not CLS_NO.
 *   LIKELY "transport-data-both-dirs-index-counter-consistent": the flow
 *       was picked up mid-session: WG_DATA_PKTS transport packets with a
 *       constant receiver index per direction, counters strictly increasing
 *       by a sane step, different indexes per direction (each peer picks its
 *       own).
 * One direction (an asymmetric route, a tap on one side). The message type
 * says which side initiated, so these name the server (the responder):
 *   LIKELY "handshake-init+transport-one-dir-index-counter-from-zero": the
 *       initiator's side: an initiation, then WG_HS_DATA_PKTS of its own
 *       transport packets with one receiver index (not its own sender index)
 *       and counters from at most WG_FIRST_CTR_MAX, rising.
 *   LIKELY "handshake-response+transport-one-dir-index-echo-counter-from-zero":
 *       the responder's side: a response, then WG_HS_DATA_PKTS of its own
 *       transport packets addressed to the response's receiver index (the
 *       32-bit value echoed within the direction), counters as above.
 *   LIKELY "handshake-init-retransmits-one-dir-new-index-each": a client
 *       nobody answers (a blocked client sends exactly this):
 *       WG_INIT_RETRANSMITS initiations in a row, each with a new sender
 *       index and a new ephemeral key, mac1 non-zero, mac2 zero, and bytes
 *       8..131 (ephemeral, sealed static and timestamp, mac1) as random as
 *       key material is (at most WG_INIT_MAX_ZEROS zero bytes). The same
 *       initiation sent twice (a duplicate, a replay) is not counted: real
 *       retransmissions never repeat the sender index, so "index constant
 *       across retransmits" would describe a replayed capture, not WireGuard.
 *   LIKELY "transport-data-one-dir-index-counter-consistent": data alone
 *       (mid-session): the ends are peers, neither is named (CLS_F_PEERS).
 * What one direction cannot prove: which product runs it, and, from data
 * alone, which end serves. A lone initiation (one packet) is never decided.
 *
 * "From the client" in the brief is implemented as "from the other side than
 * the initiation": either peer may initiate (rekeys every 2 minutes come
 * from whichever side needs one), so only the relative direction is used.
 * Anything malformed (wrong length, non-zero reserved bytes, unknown type)
 * or inconsistent with what is stored is CLS_NO.
 */
#include <string.h>

#include "classifier.h"
#include "cls_util.h"

#define WG_INIT_LEN 148u
#define WG_RESP_LEN 92u
#define WG_COOKIE_LEN 64u
#define WG_DATA_MIN 32u
#define WG_INIT_EPH 8u          /* ephemeral key: first byte of the random part */
#define WG_INIT_MAC1 116u
#define WG_INIT_MAC2 132u
#define WG_MAC_LEN 16u

#define WG_DATA_PKTS 3          /* consistent transport packets for LIKELY */
#define WG_CTR_MAX_STEP 65536u  /* counter jump tolerated between two packets */
#define WG_HS_DATA_PKTS 2       /* one side's own transport packets after its handshake message */
#define WG_FIRST_CTR_MAX 3u     /* first counter after a handshake (a few lost before the tap) */
#define WG_HS_CTR_MAX_STEP 64u  /* counter step right after a handshake */
#define WG_INIT_RETRANSMITS 3   /* unanswered initiations, each a new one */
#define WG_INIT_MAX_ZEROS 8u    /* zero bytes in 124 random ones: more happens once in 500 million */

enum wg_step {
	WG_ST_IDLE = 1,  /* owned, nothing to match yet (a cookie reply came first) */
	WG_ST_INIT,      /* initiation(s) seen: the latest one's sender index and direction */
	WG_ST_INIT_DATA, /* initiation, then the initiator's own transport data */
	WG_ST_RESP,      /* response seen without initiation (and maybe the responder's data) */
	WG_ST_DATA,      /* tracking transport data */
};

struct wg_state {
	uint8_t step;            /* enum wg_step */
	uint8_t dir;             /* INIT*, RESP: direction of the initiation / response */
	uint8_t seen;            /* DATA: bit per direction seen */
	uint8_t npkts;           /* DATA: consistent transport packets; INIT: initiations counted;
				    INIT_DATA, RESP: the handshake sender's own transport packets */
	union {
		struct {
			uint32_t idx_a;  /* INIT*: initiator's sender index; RESP: responder's sender index */
			uint32_t idx_b;  /* INIT: its ephemeral's first 4 bytes; INIT_DATA: the data's
					    receiver index; RESP: the response's receiver index */
			uint32_t hctr;   /* INIT_DATA, RESP: low 32 bits of the sender's last counter */
		};
		struct {
			uint32_t idx[2]; /* DATA: receiver index per direction */
			uint32_t ctr[2]; /* DATA: low 32 bits of the last counter per direction */
		};
	};
};
CLS_STATE_FITS(struct wg_state);

struct wg_msg {
	uint8_t type;
	uint32_t idx_a;   /* sender (1, 2) or receiver (3, 4) index */
	uint32_t idx_b;   /* receiver index (2); first 4 bytes of the ephemeral (1) */
	uint32_t ctr_lo;  /* counter, low 32 bits (4) */
	uint64_t ctr;     /* counter (4) */
	bool fresh_init;  /* 1: mac1 set, mac2 zero, the random part looks random */
};

/* Parse one datagram; false when it is not a well-formed WireGuard message. */
static bool
wg_parse(const struct cls_pkt *pkt, struct wg_msg *m)
{
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->len;

	if (p == NULL || pkt->l4 != CLS_UDP || len < WG_DATA_MIN || !cls_all_zero(p, len, 1, 3))
		return false;
	m->type = p[0];
	m->idx_b = 0;
	m->ctr_lo = 0;
	m->ctr = 0;
	m->fresh_init = false;
	switch (m->type) {
	case 1:
		if (len != WG_INIT_LEN || !cls_le32(p, len, WG_INIT_EPH, &m->idx_b))
			return false;
		m->fresh_init = !cls_all_zero(p, len, WG_INIT_MAC1, WG_MAC_LEN) &&
				cls_all_zero(p, len, WG_INIT_MAC2, WG_MAC_LEN) &&
				cls_zero_count(p, len, WG_INIT_EPH, WG_INIT_MAC2 - WG_INIT_EPH) <= WG_INIT_MAX_ZEROS;
		break;
	case 2:
		if (len != WG_RESP_LEN || !cls_le32(p, len, 8, &m->idx_b))
			return false;
		break;
	case 3:
		if (len != WG_COOKIE_LEN)
			return false;
		break;
	case 4:
		if (len % 16 != 0 || !cls_le64(p, len, 8, &m->ctr))
			return false;
		m->ctr_lo = (uint32_t)m->ctr;
		break;
	default:
		return false;
	}
	return cls_le32(p, len, 4, &m->idx_a);
}

static struct cls_verdict
wg_data(const struct cls_pkt *pkt, const struct wg_msg *m, struct wg_state *s)
{
	unsigned int d = pkt->dir & 1u, bit = 1u << d;

	if (s->seen & bit) {
		uint32_t step = m->ctr_lo - s->ctr[d];

		if (m->idx_a != s->idx[d] || step == 0 || step > WG_CTR_MAX_STEP)
			return cls_ret(CLS_NO, "transport-data-inconsistent");
	} else {
		/* Each peer picks its own index: equal ones are not WireGuard. */
		if ((s->seen & (bit ^ 3u)) && m->idx_a == s->idx[d ^ 1u])
			return cls_ret(CLS_NO, "transport-data-same-index-both-dirs");
		s->idx[d] = m->idx_a;
		s->seen = (uint8_t)(s->seen | bit);
	}
	s->ctr[d] = m->ctr_lo;
	if (++s->npkts < WG_DATA_PKTS)
		return cls_ret(CLS_MORE, "transport-data-tracking");
	return cls_ret(CLS_LIKELY, s->seen == 3u ? "transport-data-both-dirs-index-counter-consistent" :
						   "transport-data-one-dir-index-counter-consistent");
}

/*
 * The handshake sender's own transport packet after its initiation
 * (INIT_DATA) or response (RESP), addressed to s->idx_b: the first with a
 * counter of at most WG_FIRST_CTR_MAX (a new keypair), then rising.
 */
static bool
wg_own_data(const struct wg_msg *m, struct wg_state *s)
{
	if (m->idx_a != s->idx_b)
		return false;
	if (s->npkts == 0 ? m->ctr > WG_FIRST_CTR_MAX : !cls_seq_advanced(s->hctr, m->ctr_lo, WG_HS_CTR_MAX_STEP))
		return false;
	s->hctr = m->ctr_lo;
	s->npkts++;
	return true;
}

/* A message that (re)starts tracking: the state is started afresh. */
static struct cls_verdict
wg_start(const struct cls_pkt *pkt, const struct wg_msg *m, struct wg_state *s)
{
	memset(s, 0, sizeof(*s));
	switch (m->type) {
	case 1:
		s->step = WG_ST_INIT;
		s->idx_a = m->idx_a;
		s->idx_b = m->idx_b;
		s->dir = pkt->dir;
		s->npkts = m->fresh_init;
		return cls_ret(CLS_MORE, "handshake-init-148");
	case 2:
		s->step = WG_ST_RESP;
		s->idx_a = m->idx_a;
		s->idx_b = m->idx_b;
		s->dir = pkt->dir;
		return cls_ret(CLS_MORE, "handshake-response-92-without-init");
	case 3:
		s->step = WG_ST_IDLE;
		return cls_ret(CLS_MORE, "cookie-reply-64");
	default:
		s->step = WG_ST_DATA;
		return wg_data(pkt, m, s);
	}
}

static struct cls_verdict
wg_first(const struct cls_pkt *pkt, void *st)
{
	struct wg_msg m;

	if (!wg_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-wireguard-message");
	/* Every message starts tracking (CLS_MORE). */
	return wg_start(pkt, &m, st);
}

/* INIT: another initiation from the same side. */
static struct cls_verdict
wg_init_again(const struct cls_pkt *pkt, const struct wg_msg *m, struct wg_state *s)
{
	if (m->idx_a == s->idx_a && m->idx_b == s->idx_b)
		return cls_ret(CLS_MORE, "handshake-init-duplicate"); /* the same message again: not counted */
	if (!m->fresh_init || s->npkts == 0 || m->idx_a == s->idx_a || m->idx_b == s->idx_b)
		return wg_start(pkt, m, s); /* counting starts again from this one */
	s->idx_a = m->idx_a;
	s->idx_b = m->idx_b;
	if (++s->npkts < WG_INIT_RETRANSMITS)
		return cls_ret(CLS_MORE, "handshake-init-retransmit-new-index");
	/* The initiator is the client: the server is the side that never answered. */
	return cls_ret_server(CLS_LIKELY, "handshake-init-retransmits-one-dir-new-index-each", s->dir ^ 1u);
}

/* INIT: the initiator's own transport data (the response went another way). */
static struct cls_verdict
wg_init_then_data(const struct wg_msg *m, struct wg_state *s)
{
	if (s->step == WG_ST_INIT) {
		if (m->idx_a == s->idx_a)
			return cls_ret(CLS_NO, "initiator-data-to-own-index");
		s->step = WG_ST_INIT_DATA;
		s->idx_b = m->idx_a;
		s->npkts = 0;
	}
	if (!wg_own_data(m, s))
		return cls_ret(CLS_NO, "initiator-transport-inconsistent");
	if (s->npkts < WG_HS_DATA_PKTS)
		return cls_ret(CLS_MORE, "initiator-transport-tracking");
	return cls_ret_server(CLS_LIKELY, "handshake-init+transport-one-dir-index-counter-from-zero", s->dir ^ 1u);
}

static struct cls_verdict
wg_owned(const struct cls_pkt *pkt, void *st)
{
	struct wg_state *s = st;
	struct wg_msg m;

	if (!wg_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-wireguard-message");
	switch (s->step) {
	case WG_ST_INIT:
	case WG_ST_INIT_DATA:
		if (m.type == 2) {
			/* The responder is the server (whichever peer started: the registry is asked about both). */
			if (pkt->dir != s->dir && m.idx_b == s->idx_a)
				return cls_ret_server(CLS_CONFIRMED, "handshake-init+response-index-match", pkt->dir);
			return cls_ret(CLS_NO, "handshake-response-index-mismatch");
		}
		if (m.type == 3) {
			if (pkt->dir != s->dir && m.idx_a == s->idx_a) {
				s->npkts = s->step == WG_ST_INIT ? 0 : s->npkts; /* answered: no longer unanswered */
				return cls_ret(CLS_MORE, "cookie-reply-index-match");
			}
			return cls_ret(CLS_NO, "cookie-reply-index-mismatch");
		}
		if (pkt->dir == s->dir && m.type == 4)
			return wg_init_then_data(&m, s);
		if (pkt->dir == s->dir && s->step == WG_ST_INIT)
			return wg_init_again(pkt, &m, s);
		/* A new initiation replaces it; data from the other side means the response was missed. */
		return wg_start(pkt, &m, s);
	case WG_ST_RESP:
		if (m.type == 4) {
			if (pkt->dir != s->dir && m.idx_a == s->idx_a)
				return cls_ret_server(CLS_CONFIRMED, "handshake-response+transport-index-match", s->dir);
			if (pkt->dir == s->dir && wg_own_data(&m, s)) {
				if (s->npkts < WG_HS_DATA_PKTS)
					return cls_ret(CLS_MORE, "responder-transport-index-match");
				return cls_ret_server(CLS_LIKELY,
						      "handshake-response+transport-one-dir-index-echo-counter-from-zero",
						      s->dir);
			}
			return cls_ret(CLS_NO, "transport-index-mismatch");
		}
		if (m.type == 3)
			return cls_ret(CLS_MORE, "cookie-reply-64");
		return wg_start(pkt, &m, s);
	case WG_ST_DATA:
		if (m.type == 4)
			return wg_data(pkt, &m, s);
		if (m.type == 3)
			return cls_ret(CLS_MORE, "cookie-reply-64");
		return wg_start(pkt, &m, s); /* a rekey handshake: match it instead */
	case WG_ST_IDLE:
		return wg_start(pkt, &m, s);
	default:
		return cls_ret(CLS_NO, "bad-state");
	}
}

static const struct cls_pattern wg_patterns[] = {
	{ "^\\x01\\x00\\x00\\x00", CLS_UDP, "wireguard-handshake-init" },
	{ "^\\x02\\x00\\x00\\x00", CLS_UDP, "wireguard-handshake-response" },
	{ "^\\x03\\x00\\x00\\x00", CLS_UDP, "wireguard-cookie-reply" },
	{ "^\\x04\\x00\\x00\\x00", CLS_UDP, "wireguard-transport-data" },
};

const struct classifier cls_wireguard = {
	.name = "wireguard",
	.priority = 10,
	.patterns = wg_patterns,
	.n_patterns = sizeof(wg_patterns) / sizeof(wg_patterns[0]),
	.l4 = CLS_UDP,
	/* init + response (+ a retransmitted init or a cookie reply); one side:
	 * its handshake message + WG_HS_DATA_PKTS, or WG_INIT_RETRANSMITS
	 * initiations; mid-session: WG_DATA_PKTS transport packets, with slack
	 * for the other direction's */
	.pkts_needed = 6,
	.max_owned = 16,
	.state_size = sizeof(struct wg_state),
	/* Either peer may initiate (rekeys come from whichever needs one). */
	.flags = CLS_F_PEERS,
	.first = wg_first,
	.owned = wg_owned,
};
