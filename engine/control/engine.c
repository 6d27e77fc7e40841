/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What both modes share on the control lcore: the workers' set-up and
 * teardown, draining their record rings (decision events, end records,
 * ties, output), the offline one-row-per-flow join, and the end-of-run
 * summary and counter check.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "frag.h"
#include "output.h"
#include "registry.h"
#include "verdict.h"

/* ---- flow records on the control lcore ---- */

void engine_account_record(struct engine *e, const struct flow_record *f)
{
	struct tally *t = &e->tally[f->app];
	t->flows[f->verdict]++;
	t->pkts[f->verdict] += (uint64_t)f->pkts[0] + f->pkts[1];
	e->records++;
}

static uint64_t rec_hash(const struct flow_record *f)
{
	uint64_t h = f->ts_first * 0x9e3779b97f4a7c15ull;
	const uint8_t *k = (const uint8_t *)&f->key;
	for (size_t i = 0; i < sizeof(f->key); i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h;
}

static bool same_flow(const struct flow_record *a, const struct flow_record *b)
{
	return a->ts_first == b->ts_first && memcmp(&a->key, &b->key, sizeof(a->key)) == 0;
}

/* The index slot of f's flow: holding its recs row + 1, or 0 where it would go. */
static size_t rec_find(const struct engine *e, const struct flow_record *f)
{
	size_t i = rec_hash(f) & e->rec_index_mask;
	while (e->rec_index[i] != 0 && !same_flow(&e->recs[e->rec_index[i] - 1], f))
		i = (i + 1) & e->rec_index_mask;
	return i;
}

static int rec_index_grow(struct engine *e)
{
	size_t slots = e->rec_index ? (e->rec_index_mask + 1) * 2 : 8192;
	uint32_t *old = e->rec_index;
	e->rec_index = calloc(slots, sizeof(*e->rec_index));
	if (e->rec_index == NULL) {
		e->rec_index = old;
		return -1;
	}
	e->rec_index_mask = slots - 1;
	for (size_t r = 0; r < e->n_recs; r++)
		e->rec_index[rec_find(e, &e->recs[r])] = (uint32_t)r + 1;
	free(old);
	return 0;
}

/*
 * Offline, one row per flow: its first verdict event brings the inspection
 * part (decision path, JA4, SNI), its end record everything else.
 */
static int keep_record(struct engine *e, const struct flow_record *f)
{
	if ((e->n_recs + 1) * 2 > (e->rec_index ? e->rec_index_mask + 1 : 0) && rec_index_grow(e) != 0)
		return -1;
	size_t at = rec_find(e, f);
	if (e->rec_index[at] != 0) {
		struct flow_record *r = &e->recs[e->rec_index[at] - 1];
		struct flow_record insp = *r;
		*r = *f;
		if (!f->has_insp && insp.has_insp) {
			r->has_insp = 1;
			r->n_steps = insp.n_steps;
			memcpy(r->trail, insp.trail, sizeof(r->trail));
			memcpy(r->win_pkts, insp.win_pkts, sizeof(r->win_pkts));
			memcpy(r->win_bytes, insp.win_bytes, sizeof(r->win_bytes));
			r->facts = insp.facts;
			r->outer[0] = insp.outer[0];
			r->outer[1] = insp.outer[1];
		}
		return 0;
	}
	if (e->n_recs == e->cap_recs) {
		size_t cap = e->cap_recs ? e->cap_recs * 2 : 4096;
		struct flow_record *n = realloc(e->recs, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		e->recs = n;
		e->cap_recs = cap;
	}
	e->recs[e->n_recs++] = *f;
	e->rec_index[at] = (uint32_t)e->n_recs;
	return 0;
}

static void take_event(struct engine *e, const struct flow_record *f)
{
	e->ctl.verdict_events++;
	if (e->offline) {
		if (e->o.events == NULL)
			return;
		if (e->n_events == e->cap_events) {
			size_t cap = e->cap_events ? e->cap_events * 2 : 1024;
			struct flow_record *n = realloc(e->events, cap * sizeof(*n));
			if (n == NULL) {
				e->failed = 1;
				return;
			}
			e->events = n;
			e->cap_events = cap;
		}
		e->events[e->n_events++] = *f;
	} else if (e->events_out) {
		output_event_json(e->events_out, &e->out, f);
	}
}

/*
 * A flow a tie relabelled is judged again here, as a worker would judge it
 * (registry lookup of its server endpoint under the new app), for the
 * report. Its packets stay what the worker made them: a tie is cross-flow
 * evidence and never drops, so drop keeps the worker's value (0 for the
 * undecided flows a tie relabels).
 */
void engine_rejudge(struct engine *e, struct flow_record *f)
{
	uint8_t drop = f->drop;
	verdict_decide(f, e->sh->registry, &e->sh->policy, e->sh->can_enforce, f->ts_last);
	f->drop = drop;
}

/* Live: a tie was made; its event tells the audit trail (the child as the tie leaves it). */
static void on_tie(void *arg, const struct tie_event *ev)
{
	struct engine *e = arg;
	struct flow_record f;
	tie_flow_record(ev->child, &f);
	uint8_t prev = f.verdict;
	tie_relabel(&f, ev->link);
	engine_rejudge(e, &f);
	if (e->events_out)
		output_tie_event_json(e->events_out, &e->out, &f, prev, ev->link, ev->ts);
}

void engine_drain_records(struct engine *e)
{
	const bool offline = e->offline;
	struct flow_record buf[32];
	for (unsigned int i = 0; i < e->n_workers; i++) {
		unsigned int n;
		while ((n = rte_ring_dequeue_burst_elem(e->w[i]->records, buf, sizeof(buf[0]), 32, NULL)) > 0) {
			for (unsigned int k = 0; k < n; k++) {
				if (e->xdp)
					engine_xdp_record(e, &buf[k]);
				if (buf[k].kind == RECORD_VERDICT) {
					take_event(e, &buf[k]);
					/* A flow's first verdict is what ties are made from. */
					if (!offline && buf[k].prev_verdict == VERDICT_COUNT)
						tie_note(e->ties, &buf[k], on_tie, e);
					if (offline && !e->o.summary && buf[k].prev_verdict == VERDICT_COUNT &&
					    keep_record(e, &buf[k]) != 0 && !e->failed) {
						fprintf(stderr, "tundra: out of memory keeping flow records\n");
						e->failed = 1;
					}
					continue;
				}
				if (offline && e->o.summary) {
					/* Totals only: no records kept, so no ties either. */
					engine_account_record(e, &buf[k]);
					continue;
				}
				if (offline) {
					/* Offline, ties are made and records counted once all are in. */
					if (keep_record(e, &buf[k]) != 0 && !e->failed) {
						fprintf(stderr, "tundra: out of memory keeping flow records\n");
						e->failed = 1;
					}
					continue;
				}
				struct tie_link tie;
				tie_end(e->ties, &buf[k], &tie, on_tie, e);
				if (tie.is_child && tie.relabel) {
					tie_relabel(&buf[k], &tie);
					engine_rejudge(e, &buf[k]);
				}
				engine_account_record(e, &buf[k]);
				if (e->flow_out)
					output_flow_json(e->flow_out, &e->out, &buf[k], &tie);
			}
		}
	}
	if (!offline) {
		struct tie_stats ts;
		tie_table_stats(e->ties, &ts);
		e->ctl.ties = ts.ties;
		e->ctl.tie_relabels = ts.relabels;
		e->ctl.tie_evicted = ts.evicted;
	}
	if (!offline && e->flow_out)
		fflush(e->flow_out);
	if (!offline && e->events_out)
		fflush(e->events_out);
}

/*
 * Fail-safe: enforcement needs a registry. Without one every VPN would be
 * blocked, so enforce degrades to monitor and raises the alarm, unless the
 * operator said an empty registry is what they mean.
 */
static void set_enforce(struct engine *e)
{
	const struct registry *r = e->sh->registry;
	struct registry_stats st;
	registry_get_stats(r, time(NULL), &st);
	e->ctl.registry_generation = e->generation;
	e->ctl.registry_entries = r ? st.entries : 0;
	int want = e->o.mode == MODE_ENFORCE;
	for (unsigned int a = 0; a < POLICY_MAX_APPS; a++)
		want |= e->sh->policy.app[a] == POLICY_ENFORCE;
	for (unsigned int s = 0; s < SECTOR_COUNT; s++)
		want |= e->sh->policy.sector[s] == POLICY_ENFORCE;
	int have = r != NULL || e->o.allow_empty_registry;
	e->ctl.registry_alarm = want && !have;
	e->ctl.enforce_active = want && have;
	if (e->ctl.registry_alarm)
		fprintf(stderr, "tundra: ALARM: enforce asked for but no registry serves: monitoring only "
				"(--allow-empty-registry to enforce anyway)\n");
	__atomic_store_n(&e->sh->can_enforce, (uint8_t)have, __ATOMIC_RELEASE);
}

/* ---- set-up shared by classify and run ---- */

int engine_setup(struct engine *e)
{
	char err[512];
	e->cat = registrant_catalogue_create();
	if (e->cat == NULL)
		return -1;
	e->out = (struct output_ctx){.cdb = &e->cdb, .cat = e->cat, .explain = e->o.explain};
	if (classify_db_build(&e->cdb, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return -1;
	}
	if (e->o.window_pkts < e->cdb.max_pkts_needed)
		fprintf(stderr, "tundra: note: --window-pkts %u is below the %u packets some classifiers need\n",
			e->o.window_pkts, e->cdb.max_pkts_needed);
	e->tally = calloc(tundra_n_classifiers + 1, sizeof(*e->tally));
	e->sh = rte_zmalloc("shared", sizeof(*e->sh), RTE_CACHE_LINE_SIZE);
	if (e->tally == NULL || e->sh == NULL)
		return -1;
	e->sh->policy.mode = e->o.mode;
	e->sh->policy.enforce_likely = e->o.enforce_likely;
	for (unsigned int i = 0; i < e->o.policy.n; i++)
		if (policy_parse(&e->sh->policy, e->o.policy.v[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "tundra: %s\n", err);
			return -1;
		}
	uint64_t ts_flag;
	if (rte_mbuf_dyn_rx_timestamp_register(&e->sh->ts_offset, &ts_flag) != 0) {
		fprintf(stderr, "tundra: cannot register the mbuf timestamp field\n");
		return -1;
	}
	if (e->o.registry) {
		struct registry *r;
		int lrc = registry_load(e->o.registry, 1, &r, err, sizeof(err), stderr);
		if (lrc == 0 && registry_intern(r, e->cat) != 0) {
			registry_free(r);
			snprintf(err, sizeof(err), "%s: out of memory for the registrant catalogue", e->o.registry);
			lrc = -ENOMEM;
		}
		if (lrc == 0) {
			e->sh->registry = r;
			e->generation = 1;
		} else if (e->offline) {
			fprintf(stderr, "tundra: registry not loaded: %s\n", err);
			return -1;
		} else {
			/* Live, a bad registry must not take the network down: run, report, never drop. */
			fprintf(stderr, "tundra: ALARM: registry not loaded: %s\n", err);
		}
	}
	set_enforce(e);
	size_t qs = rte_rcu_qsbr_get_memsize(e->n_workers);
	e->sh->qsbr = rte_zmalloc("qsbr", qs, RTE_CACHE_LINE_SIZE);
	if (e->sh->qsbr == NULL || rte_rcu_qsbr_init(e->sh->qsbr, e->n_workers) != 0)
		return -1;
	e->sh->tsc0 = rte_rdtsc();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->sh->unix_ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	e->sh->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();

	struct flow_table_config fc = {
		.capacity = e->o.flows_per_worker,
		.udp_timeout_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.tcp_timeout_ns = (uint64_t)e->o.tcp_timeout_s * 1000000000ull,
		.tcp_syn_timeout_ns = (uint64_t)e->o.tcp_syn_timeout_s * 1000000000ull,
		.tcp_closed_timeout_ns = (uint64_t)e->o.tcp_fin_timeout_s * 1000000000ull,
		.other_timeout_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.window_idle_ns = WORKER_WINDOW_IDLE_NS,
	};
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned int i = 0; i < e->n_workers; i++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			return -1;
		e->w[i] = w;
		w->id = i;
		w->lcore = lcore;
		w->offline = e->offline;
		w->shared = e->sh;
		w->shed_backlog = e->o.shed_backlog;
		w->panic_at_ns = UINT64_MAX; /* live.c sets the injected fault's time at launch */
		if ((int)i == e->o.stall.worker) {
			/* At the 1000th poll, or once the clock passes the time asked for. */
			w->stall_at_poll = e->o.stall.after_ms ? UINT64_MAX : 1000;
			w->stall_at_ns = e->o.stall.after_ms ? e->sh->unix_ns0 + (uint64_t)e->o.stall.after_ms * 1000000ull : 0;
			w->stall_ms = e->o.stall.ms;
		}
		w->shed_after = e->o.shed_after;
		w->delay_cycles = (uint64_t)((double)e->o.packet_delay_ns * (double)rte_get_tsc_hz() / 1e9);
		char name[32];
		snprintf(name, sizeof(name), "flows_%u", i);
		struct flow_table_hooks hooks = worker_flow_hooks;
		hooks.arg = w;
		w->flows = flow_table_create(name, socket, &fc, &hooks, &w->stats);
		snprintf(name, sizeof(name), "records_%u", i);
		w->records = rte_ring_create_elem(name, sizeof(struct flow_record), RECORD_RING_SIZE, socket,
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->flows == NULL || w->records == NULL) {
			fprintf(stderr, "tundra: worker %u: no memory for %u flows (raise -m or lower --flows)\n", i,
				e->o.flows_per_worker);
			return -1;
		}
		if (classify_ctx_init(&w->cls, &e->cdb, (uint16_t)e->o.window_pkts, e->o.window_bytes,
				      CLASSIFY_REASM_BUFS, e->o.inspect_slots, &w->stats) !=
		    0) {
			fprintf(stderr, "tundra: worker %u: hyperscan scratch or ClientHello buffers\n", i);
			return -1;
		}
	}
	return 0;
}

void engine_teardown(struct engine *e)
{
	for (unsigned int i = 0; i < e->n_workers; i++) {
		struct worker *w = e->w[i];
		if (w == NULL)
			continue;
		frag_table_free(w->frag); /* a dead worker's, left behind */
		w->frag = NULL;
		classify_ctx_free(&w->cls);
		flow_table_free(w->flows);
		rte_ring_free(w->records);
		rte_free(w);
	}
	if (e->sh) {
		registry_free((struct registry *)(uintptr_t)e->sh->registry);
		rte_free(e->sh->qsbr);
		rte_free(e->sh);
	}
	xdp_enforce_close(e->xdp);
	e->xdp = NULL;
	classify_db_free(&e->cdb);
	tie_table_free(e->ties);
	free(e->tally);
	free(e->recs);
	free(e->rec_index);
	registrant_catalogue_free(e->cat);
	e->cat = NULL;
	free(e->events);
	free(e->tie_events);
}

void engine_collect_stats(struct engine *e, struct worker_stats *sum)
{
	struct worker_stats *ws[ENGINE_MAX_WORKERS + 2];
	unsigned int n = 0;
	for (unsigned int i = 0; i < e->n_workers; i++)
		ws[n++] = &e->w[i]->stats;
	if (e->dist)
		ws[n++] = &e->dist->stats;
	if (e->n_dead)
		ws[n++] = &e->takeover;
	stats_sum(ws, n, sum);
}

static void print_summary(struct engine *e, const struct worker_stats *s, double secs, FILE *out)
{
	fprintf(out, "tundra: %" PRIu64 " packets, %" PRIu64 " flows in %.6f s (%.0f packets/s), mode %s\n",
		s->rx_pkts, e->records, secs, secs > 0 ? (double)s->rx_pkts / secs : 0.0, mode_name(e->o.mode));
	fprintf(out, "  %-12s %-8s %10s %12s\n", "app", "verdict", "flows", "packets");
	for (unsigned int a = 0; a <= tundra_n_classifiers; a++)
		for (unsigned int v = 0; v < VERDICT_COUNT; v++)
			if (e->tally[a].flows[v])
				fprintf(out, "  %-12s %-8s %10" PRIu64 " %12" PRIu64 "\n", classifier_name(a),
					verdict_name((uint8_t)v), e->tally[a].flows[v], e->tally[a].pkts[v]);
	stats_print_summary(s, out);
}

int engine_finish(struct engine *e, double secs)
{
	struct worker_stats s;
	engine_collect_stats(e, &s);
	print_summary(e, &s, secs, stderr);
	int bad = stats_reconcile(&s, stderr);
	fprintf(stderr, "  counters reconcile: %s\n", bad ? "NO" : "yes");
	if (!e->offline)
		fprintf(stderr,
			"  mbufs: pool=%" PRIu64 " in_use=%" PRIu64 " in_use_start=%" PRIu64 "%s; ports: rx_nombuf=%" PRIu64
			" rx_missed=%" PRIu64 "\n",
			e->ctl.mbufs, e->ctl.mbufs_in_use, e->ctl.mbufs_in_use_start,
			e->ctl.mbufs_in_use == e->ctl.mbufs_in_use_start ? " (all back)" : " (held by TX queues, or lost)",
			e->ctl.port_rx_nombuf, e->ctl.port_rx_missed);
	if (e->ctl.registry_alarm)
		fprintf(stderr, "  ALARM: enforce was asked for but no registry served\n");
	engine_xdp_summary(e, stderr);
	if (e->o.stats_json) {
		FILE *f = e->stats_out ? e->stats_out : fopen(e->o.stats_json, "w");
		e->stats_out = NULL;
		if (f == NULL) {
			fprintf(stderr, "tundra: %s: %s\n", e->o.stats_json, strerror(errno));
			return 1;
		}
		/* The totals, then each worker's own share (which flows it saw). */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m) {
			stats_print_json(&s, &e->ctl, m);
			fclose(m);
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '}'))
			buf[--len] = '\0';
		fprintf(f, "%s},\"workers\":[", buf ? buf : "{");
		free(buf);
		for (unsigned int i = 0; i < e->n_workers; i++) {
			const struct worker_stats *w = &e->w[i]->stats;
			fprintf(f, "%s{\"lcore\":%u,\"rx_pkts\":%" PRIu64 ",\"flows_created\":%" PRIu64 ",\"dead\":%s}",
				i ? "," : "", e->w[i]->lcore, w->rx_pkts, w->flows_created, e->dead[i] ? "true" : "false");
		}
		fprintf(f, "],\"ports\":[");
		for (unsigned int i = 0; i < e->n_ports; i++) {
			struct rte_eth_stats es;
			if (rte_eth_stats_get(e->ports[i], &es) != 0)
				memset(&es, 0, sizeof(es));
			fprintf(f,
				"%s{\"port\":%u,\"rx\":%" PRIu64 ",\"rx_missed\":%" PRIu64 ",\"rx_errors\":%" PRIu64
				",\"rx_nombuf\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"tx_errors\":%" PRIu64 "}",
				i ? "," : "", e->ports[i], es.ipackets, es.imissed, es.ierrors, es.rx_nombuf, es.opackets,
				es.oerrors);
		}
		fprintf(f, "],\"distributor\":");
		if (e->dist)
			fprintf(f, "{\"passed_uninspected\":%" PRIu64 ",\"port_tx_failed\":%" PRIu64 "}}\n",
				e->dist->stats.rx_pkts, e->dist->port_tx_failed);
		else
			fputs("null}\n", f);
		fclose(f);
	}
	return bad;
}

double engine_elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}


/* ---- run: live ports ---- */

/*
 * Swaps in a new registry; the old one is freed once every worker has moved
 * past it. Refused, with the old one serving on, when the file has errors or
 * would remove more than --max-shrink of the entries without force. Writes
 * the outcome to reply (the control socket's answer) and to stderr.
 */
void engine_reload_registry(struct engine *e, bool force, char *reply, size_t rlen)
{
	char err[512];
	struct registry *r;
	if (e->o.registry == NULL) {
		snprintf(reply, rlen, "error: no --registry file to reload");
		goto out;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int lrc = registry_load(e->o.registry, e->generation + 1, &r, err, sizeof(err), stderr);
	if (lrc == 0 && registry_intern(r, e->cat) != 0) {
		registry_free(r);
		snprintf(err, sizeof(err), "%s: out of memory for the registrant catalogue", e->o.registry);
		lrc = -ENOMEM;
	}
	if (lrc != 0) {
		e->ctl.reload_failures++;
		snprintf(reply, rlen, "error: reload failed, generation %" PRIu64 " still serving: %s", e->generation,
			 err);
		goto out;
	}
	struct registry_stats st;
	registry_get_stats(r, time(NULL), &st);
	uint64_t old = e->ctl.registry_entries;
	if (!force && e->sh->registry && old > 0 && st.entries < old &&
	    (old - st.entries) * 100 > old * e->o.max_shrink_pct) {
		e->ctl.reload_refusals++;
		snprintf(reply, rlen,
			 "error: reload refused: %s would remove %" PRIu64 " of %" PRIu64
			 " entries, more than --max-shrink %u%%; generation %" PRIu64 " still serving ('reload force' to accept)",
			 e->o.registry, old - st.entries, old, e->o.max_shrink_pct, e->generation);
		registry_free(r);
		goto out;
	}
	const struct registry *prev = __atomic_exchange_n(&e->sh->registry, r, __ATOMIC_ACQ_REL);
	e->generation++;
	e->ctl.reloads++;
	set_enforce(e);
	rte_rcu_qsbr_synchronize(e->sh->qsbr, RTE_QSBR_THRID_INVALID);
	registry_free((struct registry *)(uintptr_t)prev);
	engine_xdp_reloaded(e);
	snprintf(reply, rlen, "ok: registry generation %" PRIu64 " serving: %u entries, loaded and swapped in %.3f s",
		 e->generation, st.entries, engine_elapsed(&t0));
out:
	fprintf(stderr, "tundra: %s\n", reply);
}


/* ---- run: a dead worker's queues ---- */

void engine_takeover_poll(struct engine *e, unsigned int max_bursts)
{
	struct worker_stats *st = &e->takeover;
	struct rte_mbuf *pkts[WORKER_BURST];
	for (unsigned int i = 0; i < e->n_workers && e->n_dead; i++) {
		if (!e->dead[i])
			continue;
		const struct worker *w = e->w[i];
		for (uint16_t k = 0; k < w->n_rxq; k++) {
			const struct worker_rxq *q = &w->rxq[k];
			for (unsigned int b = 0; b < max_bursts; b++) {
				uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, WORKER_BURST);
				if (n == 0)
					break;
				st->rx_pkts += n;
				for (uint16_t j = 0; j < n; j++)
					st->rx_bytes += rte_pktmbuf_pkt_len(pkts[j]);
				st->outcome[OUT_BYPASSED] += n;
				if (q->tx_port < 0) {
					rte_pktmbuf_free_bulk(pkts, n);
					st->disp[DISP_CONSUMED] += n;
					continue;
				}
				/* The dead worker's own TX queue: nobody else sends on it. */
				uint16_t sent = rte_eth_tx_burst((uint16_t)q->tx_port, q->tx_queue, pkts, n);
				st->disp[DISP_TX] += sent;
				if (sent < n) {
					rte_pktmbuf_free_bulk(pkts + sent, n - sent);
					st->disp[DISP_TX_FAILED] += n - sent;
				}
			}
		}
	}
}
