/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <sched.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "parse.h"
#include "verdict.h"

#define PREFETCH_OFFSET 4

void worker_export_flow(void *arg, struct flow *f)
{
	struct worker *w = arg;
	classify_flow_end(&w->cls, f);
	if (w->offline) {
		/*
		 * Offline nothing may be lost: wait for the control lcore, which
		 * drains records even while it waits to hand out packets.
		 */
		while (rte_ring_enqueue_elem(w->records, f, sizeof(*f)) != 0)
			rte_pause();
		return;
	}
	/* Live a worker never blocks: a full ring costs the record, counted. */
	if (rte_ring_enqueue_elem(w->records, f, sizeof(*f)) != 0)
		w->stats.records_lost++;
}

/*
 * Event for a flow's verdict, taken (every flow, once) or changed (VPN
 * flows after a reload); through the same ring as flow records, so it
 * costs one copy per decision, never per packet.
 */
static inline void emit_verdict(struct worker *w, struct flow *f, uint8_t prev)
{
	f->kind = RECORD_VERDICT;
	f->prev_verdict = prev;
	worker_export_flow(w, f);
	f->kind = RECORD_FLOW_END;
	w->stats.verdict_events++;
}

static __rte_always_inline uint64_t live_now(const struct engine_shared *sh)
{
	return sh->unix_ns0 + (uint64_t)((double)(rte_rdtsc() - sh->tsc0) * sh->ns_per_tsc);
}

/* Runs one packet through parse → flow → classify → verdict; returns its outcome. */
static __rte_always_inline unsigned int handle_packet(struct worker *w, struct rte_mbuf *m,
						      const struct registry *reg, uint64_t reg_gen,
						      uint8_t *drop, const bool shedding)
{
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	if (unlikely(m->nb_segs > 1)) {
		/* Jumbo or GRO frames arrive chained: the parser wants one buffer. */
		len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)FLOW_LINEAR_MAX);
		data = rte_pktmbuf_read(m, 0, len, w->linear);
	}
	struct pkt_info pi;
	enum parse_result r = parse_packet(data, len, &pi);
	*drop = 0;
	if (unlikely(r != PARSE_OK)) {
		if (r == PARSE_NOT_IP)
			return OUT_NONIP;
		return r == PARSE_FRAGMENT ? OUT_FRAGMENT : OUT_MALFORMED;
	}

	struct flow_key key;
	bool src_is_lo;
	uint32_t hash = flow_key_make(&pi, &key, &src_is_lo);
	uint8_t dir;
	struct flow *f = flow_lookup_or_add(w->flows, &key, hash, src_is_lo, w->now, &dir);
	if (unlikely(f == NULL))
		return OUT_NO_FLOW;

	f->pkts[dir]++;
	f->bytes[dir] += rte_pktmbuf_pkt_len(m) - pi.l3_off;
	if (pi.l4_proto == 6 && (pi.tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		f->tcp_fin = 1;

	if (unlikely(f->phase == FLOW_INSPECTING)) {
		if (shedding)
			return OUT_SHED;
		bool changed = false;
		uint8_t l4 = pi.l4_proto == 6 ? CLS_TCP : pi.l4_proto == 17 ? CLS_UDP : CLS_IP;
		if (l4 == CLS_IP && !w->cls.cdb->any_ip) {
			/* No classifier reads this protocol: judge at once. */
			f->phase = FLOW_UNDECIDED;
			changed = true;
		} else if (pi.payload_len > 0) {
			changed = classify_packet(&w->cls, f, data + pi.payload_off, pi.payload_len, l4, pi.l4_proto,
						  dir, (uint16_t)RTE_MIN(f->pkts[0] + f->pkts[1], (uint32_t)UINT16_MAX),
						  pi.src_port, pi.dst_port, pi.tcp_seq + !!(pi.tcp_flags & TCP_FLAG_SYN));
		}
		if (changed) {
			verdict_decide(f, reg, &w->shared->policy, w->shared->can_enforce, w->now);
			w->stats.flows_decided[f->verdict]++;
			emit_verdict(w, f, VERDICT_COUNT);
		}
	} else if (unlikely(f->app != 0 && f->reg_generation != reg_gen)) {
		/* The registry changed since this flow was judged. */
		uint8_t prev = f->verdict, prev_drop = f->drop;
		verdict_decide(f, reg, &w->shared->policy, w->shared->can_enforce, w->now);
		w->stats.reverdicts++;
		if (f->verdict != prev || f->drop != prev_drop)
			emit_verdict(w, f, prev);
	}
	*drop = f->drop;
	if (f->phase == FLOW_INSPECTING)
		return OUT_INSPECTING;
	return OUT_PASS + f->verdict;
}

static __rte_always_inline void process_burst(struct worker *w, const struct worker_rxq *q,
					      struct rte_mbuf **pkts, uint16_t n, const bool offline)
{
	struct engine_shared *sh = w->shared;
	const struct registry *reg = __atomic_load_n(&sh->registry, __ATOMIC_ACQUIRE);
	uint64_t reg_gen = reg ? registry_generation(reg) : 0;
	struct rte_mbuf *fwd[WORKER_BURST];
	struct rte_mbuf *drop_list[WORKER_BURST];
	uint16_t n_fwd = 0, n_drop = 0;

	if (!offline)
		w->now = live_now(sh);
	for (uint16_t i = 0; i < PREFETCH_OFFSET && i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + PREFETCH_OFFSET < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		struct rte_mbuf *m = pkts[i];
		if (offline) {
			uint64_t ts = *RTE_MBUF_DYNFIELD(m, sh->ts_offset, uint64_t *);
			/* Capture time never runs backwards for the flow table. */
			if (ts > w->now)
				w->now = ts;
		}
		uint8_t drop;
		unsigned int out = handle_packet(w, m, reg, reg_gen, &drop, !offline && w->shedding);
		w->stats.outcome[out]++;
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
		if (drop)
			drop_list[n_drop++] = m;
		else
			fwd[n_fwd++] = m;
	}
	w->stats.rx_pkts += n;
	if (n_drop) {
		rte_pktmbuf_free_bulk(drop_list, n_drop);
		w->stats.disp[DISP_DROPPED] += n_drop;
	}
	if (q->tx_port < 0) {
		rte_pktmbuf_free_bulk(fwd, n_fwd);
		w->stats.disp[DISP_CONSUMED] += n_fwd;
		return;
	}
	uint16_t sent = rte_eth_tx_burst((uint16_t)q->tx_port, q->tx_queue, fwd, n_fwd);
	w->stats.disp[DISP_TX] += sent;
	if (unlikely(sent < n_fwd)) {
		rte_pktmbuf_free_bulk(fwd + sent, n_fwd - sent);
		w->stats.disp[DISP_TX_FAILED] += n_fwd - sent;
	}
}

/* The flow table keeps its own counts; mirror them where the control lcore reads. */
static inline void publish_table_stats(struct worker *w)
{
	struct flow_table_stats fs;
	flow_table_get_stats(w->flows, &fs);
	w->stats.flows_created = fs.created;
	w->stats.flows_expired = fs.expired;
	w->stats.flows_expired_emergency = fs.expired_emergency;
	w->stats.flows_evicted = fs.evicted;
	w->stats.flows_flushed = fs.flushed;
	w->stats.flows_active = fs.active;
	w->stats.cls = w->cls.stats;
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

static __rte_always_inline void worker_loop(struct worker *w, const bool offline)
{
	struct engine_shared *sh = w->shared;
	struct rte_mbuf *pkts[WORKER_BURST];

	rte_rcu_qsbr_thread_register(sh->qsbr, w->id);
	rte_rcu_qsbr_thread_online(sh->qsbr, w->id);
	for (;;) {
		uint32_t got = 0;
		for (uint16_t k = 0; k < w->n_rxq; k++) {
			const struct worker_rxq *q = &w->rxq[k];
			uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, WORKER_BURST);
			if (!offline)
				watch_backlog(w, q, n);
			if (n == 0)
				continue;
			uint64_t t0 = rte_rdtsc();
			process_burst(w, q, pkts, n, offline);
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
					process_burst(w, &w->rxq[0], pkts, n, offline);
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
		flow_table_age(w->flows, w->now, w->age_budget);
		publish_table_stats(w);
		w->stats.polls++;
		if (unlikely(w->stats.polls == w->stall_at_poll))
			rte_delay_ms(w->stall_ms);
		rte_rcu_qsbr_quiescent(sh->qsbr, w->id);
	}
	rte_rcu_qsbr_thread_offline(sh->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(sh->qsbr, w->id);
	flow_table_flush(w->flows);
	publish_table_stats(w);
}

/* Two instances of the same loop, so the offline/live choice costs no per-packet branch. */
static int worker_main_offline(struct worker *w)
{
	worker_loop(w, true);
	return 0;
}

static int worker_main_live(struct worker *w)
{
	worker_loop(w, false);
	return 0;
}

int worker_main(void *arg)
{
	struct worker *w = arg;
	return w->offline ? worker_main_offline(w) : worker_main_live(w);
}
