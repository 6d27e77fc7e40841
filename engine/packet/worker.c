/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's loop: a burst through the stages one stage at a time
 * (parse, flow, classify, verdict, out), the flow table's hooks (a flow's
 * end, its window going idle), and the records it hands the control lcore.
 * The live and offline loops differ only in where time comes from.
 */
#include "worker.h"
#include "ipproto.h"

#include <sched.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "frag.h"
#include "parse.h"
#include "verdict.h"

#define PREFETCH_OFFSET 4

static inline void hand_over(struct worker *w, struct flow_record *r)
{
	if (w->offline) {
		/*
		 * Offline nothing may be lost: wait for the control lcore, which
		 * drains records even while it waits to hand out packets.
		 */
		while (rte_ring_enqueue_elem(w->records, r, sizeof(*r)) != 0)
			rte_pause();
		return;
	}
	/* Live a worker never blocks: a full ring costs the record, counted. */
	if (rte_ring_enqueue_elem(w->records, r, sizeof(*r)) != 0)
		w->stats.records_lost++;
}

/* The flow's inspection slot, while it is inside its window and has one. */
static inline struct flow_insp *insp_of(const struct worker *w, const struct flow *f)
{
	return f->phase == FLOW_INSPECTING && f->aux != 0 ? classify_insp(&w->cls, f->aux) : NULL;
}

/*
 * A flow's parts copied into one record, with the inspection part when in
 * is given. ts: the time the record stands for (the deciding packet's,
 * exactly), 0 = the flow's last packet.
 */
static void record_fill(const struct worker *w, uint32_t slot, const struct flow_insp *in, uint64_t ts,
			struct flow_record *r)
{
	const struct flow *f = flow_table_flow(w->flows, slot);
	const struct flow_cold *c = flow_table_cold(w->flows, slot);
	memset(r, 0, sizeof(*r));
	r->key = f->key;
	r->ts_first = c->ts_first;
	r->ts_last = ts ? ts : flow_last_ns(f, w->now);
	for (unsigned int d = 0; d < 2; d++) {
		r->pkts[d] = flow_pkts(f, c, d);
		r->bytes[d] = flow_bytes(f, c, d);
	}
	r->reg_generation = f->phase == FLOW_INSPECTING ? 0 : f->aux;
	r->check = c->check;
	r->registrant = c->registrant;
	r->reg_line = c->reg_line;
	r->pattern = c->pattern;
	r->decided_at_pkt = c->decided_at_pkt;
	r->client_is_lo = f->client_is_lo;
	r->phase = f->phase;
	r->verdict = f->verdict;
	r->drop = f->drop;
	r->app = c->app;
	r->result = c->result;
	r->sector = c->sector;
	r->policy = c->policy;
	r->tcp_fin = f->tcp_fin;
	r->closed = c->closed;
	if (in) {
		r->has_insp = 1;
		r->n_steps = in->n_steps;
		memcpy(r->trail, in->trail, sizeof(r->trail));
		memcpy(r->win_pkts, in->win_pkts, sizeof(r->win_pkts));
		memcpy(r->win_bytes, in->win_bytes, sizeof(r->win_bytes));
		r->facts = in->facts;
		r->outer[0] = in->outer[0];
		r->outer[1] = in->outer[1];
	}
}

/* The judgement a record got, kept in the flow. */
static inline void judgement_store(struct flow *f, struct flow_cold *c, const struct flow_record *r)
{
	f->verdict = r->verdict & 3u;
	f->drop = r->drop & 1u;
	f->aux = (uint32_t)r->reg_generation & FLOW_GEN_MASK;
	c->registrant = r->registrant;
	c->reg_line = r->reg_line;
	c->sector = r->sector;
	c->policy = r->policy;
}

/*
 * The flow's window ended (a classifier decided, or it closed): the
 * decision moves from the inspection slot into the flow, the verdict is
 * taken, the event carries the inspection part away and the slot goes back.
 * Until then the flow stays FLOW_INSPECTING, so aux names its slot.
 */
static void conclude(struct worker *w, uint32_t slot, uint64_t now, const struct registry *reg)
{
	struct flow *f = flow_table_flow(w->flows, slot);
	struct flow_cold *c = flow_table_cold(w->flows, slot);
	struct flow_insp *in = insp_of(w, f);
	uint8_t phase = FLOW_UNDECIDED;
	if (in != NULL) {
		/* The decision found the first sender to be the server: it is the flow's server from now on. */
		if (in->phase == FLOW_DECIDED && in->server == CLS_SERVER_C2S_SENDER) {
			flow_swap_sides(f, c);
			struct pkt_outer o = in->outer[0];
			in->outer[0] = in->outer[1];
			in->outer[1] = o;
		}
		c->app = in->app;
		c->result = in->result;
		c->check = in->check;
		c->pattern = in->pattern;
		c->decided_at_pkt = in->decided_at_pkt;
		c->closed = in->closed;
		if (in->phase == FLOW_DECIDED)
			phase = FLOW_DECIDED;
	}
	struct flow_record r;
	record_fill(w, slot, in, now, &r);
	r.phase = phase;
	r.kind = RECORD_VERDICT;
	r.prev_verdict = VERDICT_COUNT;
	verdict_decide(&r, reg, &w->shared->policy, w->shared->can_enforce, now);
	if (in != NULL)
		classify_insp_put(&w->cls, f->aux);
	f->phase = phase;
	f->vpn = phase == FLOW_DECIDED && c->app != 0;
	judgement_store(f, c, &r);
	w->stats.flows_decided[f->verdict]++;
	w->stats.verdict_events++;
	hand_over(w, &r);
}

/* Closes the window of an inspecting flow without a decision, for why (enum window_close). */
static void close_window(struct worker *w, uint32_t slot, uint8_t why, uint64_t now, const struct registry *reg)
{
	struct flow *f = flow_table_flow(w->flows, slot);
	if (f->phase != FLOW_INSPECTING)
		return;
	struct flow_insp *in = insp_of(w, f);
	if (in != NULL)
		classify_close_window(w->cls.cdb, in, flow_pkt_no(f), why);
	else
		flow_table_cold(w->flows, slot)->closed = why;
	conclude(w, slot, now, reg);
}

static void on_flow_end(void *arg, uint32_t slot, enum flow_end why)
{
	struct worker *w = arg;
	struct flow *f = flow_table_flow(w->flows, slot);
	struct flow_insp *in = insp_of(w, f);
	/* A flow that ends inside its window is decided on what it showed, when its owner can. */
	if (in != NULL && classify_flow_ends(w->cls.cdb, in, flow_pkt_no(f))) {
		conclude(w, slot, flow_last_ns(f, w->now), __atomic_load_n(&w->shared->registry, __ATOMIC_ACQUIRE));
		in = NULL;
	}
	struct flow_record r;
	record_fill(w, slot, in, 0, &r);
	r.kind = RECORD_FLOW_END;
	r.end = (uint8_t)why;
	if (in != NULL) {
		/* Whatever an unfinished inspection found is part of the story. */
		r.app = 0;
		r.pattern = in->pattern;
		classify_insp_put(&w->cls, f->aux);
		f->aux = 0;
	}
	hand_over(w, &r);
}

static void on_window_idle(void *arg, uint32_t slot)
{
	struct worker *w = arg;
	/* As of the moment it became idle, not when it was noticed: the same on every path and worker. */
	uint64_t at = flow_last_ns(flow_table_flow(w->flows, slot), w->now) + WORKER_WINDOW_IDLE_NS;
	close_window(w, slot, WINDOW_IDLE, at, __atomic_load_n(&w->shared->registry, __ATOMIC_ACQUIRE));
}

const struct flow_table_hooks worker_flow_hooks = {
	.export_fn = on_flow_end,
	.window_fn = on_window_idle,
};

static __rte_always_inline uint64_t live_now(const struct engine_shared *sh)
{
	return sh->unix_ns0 + (uint64_t)((double)(rte_rdtsc() - sh->tsc0) * sh->ns_per_tsc);
}

/* What the stages of one burst hand each other, on the worker's stack. */
struct burst {
	struct pkt_info pi[WORKER_BURST];
	const uint8_t *data[WORKER_BURST];
	uint32_t len[WORKER_BURST];            /* bytes at data: the frame, or a reassembled datagram */
	struct flow *flow[WORKER_BURST];
	uint32_t slot[WORKER_BURST];
	uint64_t now[WORKER_BURST];            /* ns: capture time offline, the burst's time live */
	uint16_t pkt_no[WORKER_BURST];         /* the packet's number within its flow */
	uint8_t dir[WORKER_BURST];
	uint8_t out[WORKER_BURST];             /* enum outcome, final once set below OUT_COUNT */
	uint8_t decided[WORKER_BURST];         /* classify stage decided the flow on this packet */
	/*
	 * The flow was still inside its window after this packet: a later
	 * packet of the same burst may decide it, and this one must not take
	 * that verdict (or its drop) early.
	 */
	uint8_t inspecting[WORKER_BURST];
	uint8_t drop[WORKER_BURST];
	/* The packets that parsed, as the flow stage's bulk lookup wants them. */
	struct flow_key key[WORKER_BURST];
	const struct flow_key *keyp[WORKER_BURST];
	uint64_t hash[WORKER_BURST];
	bool src_is_lo[WORKER_BURST];
	uint8_t idx[WORKER_BURST];
	uint64_t key_now[WORKER_BURST];
	struct flow *found[WORKER_BURST];
	uint32_t found_slot[WORKER_BURST];
	uint8_t found_dir[WORKER_BURST];
};

/* Every outer header kind a packet carried, once each. */
static inline void count_encaps(struct worker *w, uint16_t kinds)
{
	while (kinds) {
		w->stats.encap[__builtin_ctz(kinds)]++;
		kinds &= (uint16_t)(kinds - 1);
	}
}

/*
 * A fragment: into reassembly. When it completes its datagram, the packet
 * becomes that datagram (reparsed behind the fragment's own outer headers)
 * for the later stages, and so takes the datagram's flow, outcome and drop;
 * any other fragment keeps the outcome fragment and is forwarded. A
 * fragment inside a reassembled datagram is not reassembled again.
 */
static __rte_noinline bool frag_stage(struct worker *w, struct burst *b, uint16_t i, const uint8_t **data,
				     uint32_t *len, enum parse_result *r)
{
	const uint8_t *dg;
	uint32_t dg_len;
	if (w->frag == NULL) {
		w->stats.frag[FRAG_NO_SLOT]++;
		return false;
	}
	if (!frag_input(w->frag, *data, &b->pi[i], b->now[i], &dg, &dg_len))
		return false;
	*r = parse_resume(dg, dg_len, &b->pi[i]);
	*data = dg;
	*len = dg_len;
	return true;
}

/*
 * Stage 1: headers, flow key and symmetric hash of each packet. Takes the
 * packets up to and including the first chained one or the first that
 * completes a fragmented datagram (the linear copy, or the datagram, lives
 * in one buffer of the worker's until the later stages are done with it):
 * returns how many it took, *nk how many parsed.
 */
static __rte_always_inline uint16_t stage_parse(struct worker *w, struct rte_mbuf **pkts, uint16_t n,
						struct burst *b, uint32_t *n_keys, const bool offline)
{
	uint32_t nk = 0;
	/* The mbuf headers first (reading a packet's address needs its header), then the data a few ahead. */
	for (uint16_t i = PREFETCH_OFFSET; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (uint16_t i = 0; i < PREFETCH_OFFSET && i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		struct rte_mbuf *m = pkts[i];
		const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m);
		bool chained = m->nb_segs > 1;
		if (unlikely(chained)) {
			/* Jumbo or GRO frames arrive chained: the parser wants one buffer. */
			len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)FLOW_LINEAR_MAX);
			data = rte_pktmbuf_read(m, 0, len, w->linear);
		}
		if (offline) {
			uint64_t ts = *RTE_MBUF_DYNFIELD(m, w->shared->ts_offset, uint64_t *);
			/*
			 * The stages take a burst's packets as happening at once: a
			 * capture whose next packet comes after a flow could have timed
			 * out must not share its sub-burst (the lookup would end a flow
			 * an earlier packet has not been counted into yet). Live, a
			 * burst spans microseconds.
			 */
			if (i > 0 && ts > b->now[0] + WORKER_BURST_SPAN_NS) {
				*n_keys = nk;
				return i;
			}
			/* Capture time never runs backwards for the flow table. */
			if (ts > w->now)
				w->now = ts;
		}
		b->now[i] = w->now;
		b->flow[i] = NULL;
		b->decided[i] = 0;
		b->inspecting[i] = 0;
		b->drop[i] = 0;
		enum parse_result r = parse_packet(data, len, &b->pi[i]);
		bool whole = false;
		if (unlikely(r == PARSE_FRAGMENT))
			whole = frag_stage(w, b, i, &data, &len, &r);
		b->data[i] = data;
		b->len[i] = len;
		if (unlikely(b->pi[i].outer.kinds != 0))
			count_encaps(w, b->pi[i].outer.kinds);
		if (unlikely(r != PARSE_OK)) {
			b->out[i] = r == PARSE_NOT_IP ? OUT_NONIP : r == PARSE_FRAGMENT ? OUT_FRAGMENT : OUT_MALFORMED;
		} else {
			b->out[i] = OUT_COUNT;
			b->hash[nk] = flow_key_make(&b->pi[i], &b->key[nk], &b->src_is_lo[nk]);
			flow_table_prefetch(w->flows, b->hash[nk]);
			b->keyp[nk] = &b->key[nk];
			b->key_now[nk] = w->now;
			b->idx[nk] = (uint8_t)i;
			nk++;
		}
		if (unlikely(chained || whole)) {
			*n_keys = nk;
			return (uint16_t)(i + 1);
		}
	}
	*n_keys = nk;
	return n;
}

/* Stage 2: find or make each packet's flow (one bulk probe), count it in. */
static __rte_always_inline void stage_flow(struct worker *w, uint32_t nk, struct burst *b)
{
	flow_lookup_or_add_bulk(w->flows, b->keyp, b->hash, b->src_is_lo, nk, b->key_now, b->found, b->found_dir,
				b->found_slot);
	for (uint32_t k = 0; k < nk; k++) {
		uint8_t i = b->idx[k];
		struct flow *f = b->found[k];
		if (unlikely(f == NULL)) {
			b->out[i] = OUT_NO_FLOW;
			continue;
		}
		uint8_t dir = b->found_dir[k];
		const struct pkt_info *pi = &b->pi[i];
		b->flow[i] = f;
		b->slot[i] = b->found_slot[k];
		b->dir[i] = dir;
		/* The classify stage runs after the whole burst's lookups: start loading its inspection slot now. */
		if (f->phase == FLOW_INSPECTING && f->aux != 0) {
			const struct flow_insp *in = classify_insp(&w->cls, f->aux);
			rte_prefetch0(in);
			rte_prefetch0((const char *)in + RTE_CACHE_LINE_SIZE);
		}
		flow_count(f, flow_table_cold(w->flows, b->slot[i]), dir, b->len[i] - pi->l3_off);
		b->pkt_no[i] = flow_pkt_no(f);
		if (pi->l4_proto == IPPROTO_TCP && (pi->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
			f->tcp_fin = 1;
	}
}

/*
 * An inspection slot for a flow that needs one. With the pool empty, the
 * slot of a flow idle a second or more is taken back (its window closes
 * undecided); failing that, this packet goes uninspected (fail open).
 */
static inline uint32_t insp_for(struct worker *w, struct flow *f, uint32_t slot, uint64_t now,
				const struct registry *reg)
{
	if (f->aux != 0)
		return f->aux;
	uint32_t ix = classify_insp_get(&w->cls, slot);
	if (unlikely(ix == 0)) {
		uint32_t victim = classify_insp_reclaimable(&w->cls, now, CLASSIFY_INSP_RECLAIM_NS);
		if (victim != 0 && victim != slot) {
			close_window(w, victim, WINDOW_RECLAIMED, now, reg);
			w->stats.insp_reclaimed++;
			ix = classify_insp_get(&w->cls, slot);
		}
	}
	f->aux = ix;
	return ix;
}

/* Stage 3: the classification window, and the verdict of a flow it decides. Decided flows skip it entirely. */
static __rte_always_inline void stage_classify(struct worker *w, uint16_t n, struct burst *b, const bool shedding,
					       const struct registry *reg)
{
	for (uint16_t i = 0; i < n; i++) {
		struct flow *f = b->flow[i];
		if (f == NULL || likely(f->phase != FLOW_INSPECTING))
			continue;
		if (shedding) {
			b->out[i] = OUT_SHED;
			continue;
		}
		const struct pkt_info *pi = &b->pi[i];
		uint8_t l4 = pi->l4_proto == IPPROTO_TCP ? CLS_TCP : pi->l4_proto == IPPROTO_UDP ? CLS_UDP : CLS_IP;
		if (l4 == CLS_IP && !w->cls.cdb->any_ip) {
			/* No classifier reads this protocol: judge at once. */
			b->decided[i] = 1;
			conclude(w, b->slot[i], b->now[i], reg);
			continue;
		}
		b->inspecting[i] = 1;
		if (pi->payload_len == 0)
			continue;
		uint32_t ix = insp_for(w, f, b->slot[i], b->now[i], reg);
		if (unlikely(ix == 0)) {
			b->inspecting[i] = 0;
			b->out[i] = OUT_SHED;
			w->stats.insp_no_slot++;
			continue;
		}
		struct flow_insp *in = classify_insp(&w->cls, ix);
		in->ts_last = b->now[i];
		if (unlikely(pi->outer.kinds != 0) && in->outer[b->dir[i]].kinds == 0)
			in->outer[b->dir[i]] = pi->outer;
		b->decided[i] = classify_packet(&w->cls, in, b->data[i] + pi->payload_off, pi->payload_len, l4,
						pi->l4_proto, b->dir[i], b->pkt_no[i], pi->src_port, pi->dst_port,
						/* A SYN's data starts one past its sequence number (TCP Fast Open). */
						pi->tcp_seq + !!(pi->tcp_flags & TCP_FLAG_SYN));
		if (b->decided[i]) {
			/*
			 * At once, so the burst's later packets of this flow take its
			 * verdict and this one too (the registry lookup is counted here).
			 */
			b->inspecting[i] = 0;
			conclude(w, b->slot[i], b->now[i], reg);
		}
	}
}

/* A decided VPN flow judged against an older registry: judged again, an event when that changed anything. */
static void rejudge(struct worker *w, uint32_t slot, uint64_t now, const struct registry *reg)
{
	struct flow *f = flow_table_flow(w->flows, slot);
	struct flow_cold *c = flow_table_cold(w->flows, slot);
	struct flow_record r;
	record_fill(w, slot, NULL, now, &r);
	uint8_t prev = f->verdict, prev_drop = f->drop;
	verdict_decide(&r, reg, &w->shared->policy, w->shared->can_enforce, now);
	judgement_store(f, c, &r);
	w->stats.reverdicts++;
	if (f->verdict != prev || f->drop != prev_drop) {
		r.kind = RECORD_VERDICT;
		r.prev_verdict = prev;
		w->stats.verdict_events++;
		hand_over(w, &r);
	}
}

/* Stage 4: verdict of each packet's flow; the registry is consulted only on decision or reload. */
static __rte_always_inline void stage_verdict(struct worker *w, uint16_t n, struct burst *b,
					      const struct registry *reg, uint32_t reg_gen)
{
	for (uint16_t i = 0; i < n; i++) {
		struct flow *f = b->flow[i];
		if (f == NULL || b->out[i] == OUT_SHED)
			continue;
		if (b->inspecting[i]) {
			b->out[i] = OUT_INSPECTING;
			continue;
		} else if (unlikely(f->vpn && f->aux != reg_gen)) {
			/* The registry changed since this flow was judged. */
			rejudge(w, b->slot[i], b->now[i], reg);
		}
		b->out[i] = (uint8_t)(OUT_PASS + f->verdict);
		b->drop[i] = f->drop;
	}
}

/*
 * One burst through the stages, each over the whole burst before the next
 * (as VPP's graph nodes do): every stage's loop stays small and hot, and the
 * flow stage can probe all its buckets at once. Compiled timed and untimed;
 * the caller picks per burst.
 */
static __rte_always_inline void process_burst(struct worker *w, const struct worker_rxq *q,
					      struct rte_mbuf **pkts, uint16_t n, const bool offline,
					      const bool timed)
{
	struct engine_shared *sh = w->shared;
	const struct registry *reg = __atomic_load_n(&sh->registry, __ATOMIC_ACQUIRE);
	uint32_t reg_gen = reg ? (uint32_t)registry_generation(reg) & FLOW_GEN_MASK : 0;
	struct burst b;
	struct rte_mbuf *fwd[WORKER_BURST];
	struct rte_mbuf *drop_list[WORKER_BURST];
	uint16_t n_fwd = 0, n_drop = 0;
	uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;

	if (!offline)
		w->now = live_now(sh);
	/* Sub-bursts only where a chained frame needs the scratch buffer to itself. */
	for (uint16_t off = 0; off < n;) {
		struct rte_mbuf **p = pkts + off;
		uint32_t nk;
		if (timed)
			t0 = rte_rdtsc();
		uint16_t m = stage_parse(w, p, (uint16_t)(n - off), &b, &nk, offline);
		if (timed)
			t1 = rte_rdtsc();
		stage_flow(w, nk, &b);
		if (timed)
			t2 = rte_rdtsc();
		stage_classify(w, m, &b, !offline && w->shedding, reg);
		if (timed)
			t3 = rte_rdtsc();
		stage_verdict(w, m, &b, reg, reg_gen);
		for (uint16_t i = 0; i < m; i++) {
			w->stats.outcome[b.out[i]]++;
			w->stats.rx_bytes += rte_pktmbuf_pkt_len(p[i]);
			if (b.drop[i])
				drop_list[n_drop++] = p[i];
			else
				fwd[n_fwd++] = p[i];
		}
		if (timed) {
			t4 = rte_rdtsc();
			w->stats.stage_cycles[STAGE_PARSE] += t1 - t0;
			w->stats.stage_cycles[STAGE_FLOW] += t2 - t1;
			w->stats.stage_cycles[STAGE_CLASSIFY] += t3 - t2;
			w->stats.stage_cycles[STAGE_VERDICT] += t4 - t3;
			for (uint16_t i = 0; i < m; i++)
				w->stats.stage_fast_pkts += b.out[i] >= OUT_PASS && b.out[i] <= OUT_BLOCK &&
							    !b.decided[i];
		}
		off = (uint16_t)(off + m);
	}
	w->stats.rx_pkts += n;
	if (n_drop) {
		rte_pktmbuf_free_bulk(drop_list, n_drop);
		w->stats.disp[DISP_DROPPED] += n_drop;
	}
	if (q->tx_port < 0) {
		rte_pktmbuf_free_bulk(fwd, n_fwd);
		w->stats.disp[DISP_CONSUMED] += n_fwd;
	} else {
		uint16_t sent = rte_eth_tx_burst((uint16_t)q->tx_port, q->tx_queue, fwd, n_fwd);
		w->stats.disp[DISP_TX] += sent;
		if (unlikely(sent < n_fwd)) {
			rte_pktmbuf_free_bulk(fwd + sent, n_fwd - sent);
			w->stats.disp[DISP_TX_FAILED] += n_fwd - sent;
		}
	}
	if (timed) {
		w->stats.stage_cycles[STAGE_IO] += rte_rdtsc() - t4;
		w->stats.stage_pkts += n;
	}
	if (unlikely(w->delay_cycles != 0)) {
		/* Tests only: a slower worker, by busy waiting (no system call). */
		uint64_t until = rte_rdtsc() + w->delay_cycles * n;
		while (rte_rdtsc() < until)
			rte_pause();
	}
}

static inline void publish_gauges(struct worker *w)
{
	w->stats.insp_in_use = w->cls.insp_n - w->cls.insp_n_free;
}

/* Decides whether the worker is falling behind; cheap, and sampled. */
static inline void watch_backlog(struct worker *w, const struct worker_rxq *q, uint16_t n)
{
	bool behind;
	if (q->has_qcount) {
		if ((++w->polls & 15) != 0)
			return;
		int cnt = rte_eth_rx_queue_count(q->port, q->queue);
		behind = cnt >= 0 && (uint32_t)cnt >= w->shed_backlog;
	} else {
		w->full_streak = n == WORKER_BURST ? w->full_streak + 1 : 0;
		behind = w->shed_after != 0 && w->full_streak >= w->shed_after;
	}
	if (behind && !w->shedding)
		w->stats.shed_episodes++;
	w->shedding = behind;
}

/* Returns true when the loop ended by the injected fault, with nothing cleaned up (a dead worker). */
static __rte_always_inline bool worker_loop(struct worker *w, const bool offline)
{
	struct engine_shared *sh = w->shared;
	struct rte_mbuf *pkts[WORKER_BURST];

	rte_rcu_qsbr_thread_register(sh->qsbr, w->id);
	rte_rcu_qsbr_thread_online(sh->qsbr, w->id);
	for (;;) {
		uint32_t got = 0;
		for (uint16_t k = 0; k < w->n_rxq; k++) {
			const struct worker_rxq *q = &w->rxq[k];
			/* The next non-empty burst is a sampled one: time its RX too. */
			const bool timed = (w->stats.bursts & STAGE_SAMPLE_MASK) == 0;
			uint64_t t_rx = timed ? rte_rdtsc() : 0;
			uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, WORKER_BURST);
			if (!offline)
				watch_backlog(w, q, n);
			if (n == 0)
				continue;
			uint64_t t0 = rte_rdtsc();
			if (unlikely(timed)) {
				w->stats.stage_cycles[STAGE_IO] += t0 - t_rx;
				process_burst(w, q, pkts, n, offline, true);
			} else {
				process_burst(w, q, pkts, n, offline, false);
			}
			w->stats.busy_cycles += rte_rdtsc() - t0;
			w->stats.bursts++;
			got += n;
		}
		if (got == 0) {
			if (offline) {
				/* Done only once the reader is done and the ring is empty. */
				if (__atomic_load_n(&sh->input_done, __ATOMIC_ACQUIRE)) {
					uint16_t n = rte_eth_rx_burst(w->rxq[0].port, w->rxq[0].queue, pkts,
								      WORKER_BURST);
					if (n == 0)
						break;
					process_burst(w, &w->rxq[0], pkts, n, offline, false);
				} else {
					/*
					 * Offline runs may have more lcores than CPUs: an idle
					 * worker gives its CPU to the reader instead of spinning.
					 */
					sched_yield();
				}
			} else {
				w->now = live_now(sh);
			}
		}
		/* Checked every poll, not only when idle: a saturated port must stop too. */
		if (!offline && unlikely(sh->quit) && (got == 0 || !w->drain_on_quit))
			break;
		flow_table_age_paced(w->flows, w->now);
		publish_gauges(w);
		w->stats.polls++;
		if (unlikely(w->stall_ms != 0) &&
		    (w->stats.polls == w->stall_at_poll || (w->stall_at_ns != 0 && w->now >= w->stall_at_ns))) {
			rte_delay_ms(w->stall_ms);
			w->stall_ms = 0;
		}
		if (!offline && unlikely(w->now >= w->panic_at_ns))
			return true;
		rte_rcu_qsbr_quiescent(sh->qsbr, w->id);
	}
	rte_rcu_qsbr_thread_offline(sh->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(sh->qsbr, w->id);
	/* Offline every worker ends at the capture's end, whatever its own last packet was. */
	if (offline && sh->input_end_ns > w->now)
		w->now = sh->input_end_ns;
	flow_table_flush(w->flows, w->now);
	publish_gauges(w);
	return false;
}

/* Two instances of the same loop, so the offline/live choice costs no per-packet branch. */
static int worker_main_offline(struct worker *w)
{
	return worker_loop(w, true) ? -1 : 0;
}

static int worker_main_live(struct worker *w)
{
	return worker_loop(w, false) ? -1 : 0;
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	/* Reassembly memory, once, before the first packet; without it fragments pass as they come (no_slot). */
	w->frag = frag_table_create(FRAG_CTX_DEFAULT, FRAG_TIMEOUT_NS, w->stats.frag);
	int rc = w->offline ? worker_main_offline(w) : worker_main_live(w);
	if (rc != 0)
		return rc; /* dead: what it held stays as it was (engine_teardown frees it) */
	frag_table_free(w->frag);
	w->frag = NULL;
	return rc;
}
