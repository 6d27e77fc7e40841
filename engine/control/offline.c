/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra classify on the control lcore: the reader hands the capture's
 * packets to the workers by flow hash (as symmetric RSS would), drains
 * their records while they work, then makes the ties over every record,
 * writes the events in time order and the flows sorted by first packet.
 * The workers run exactly the live pipeline (worker.c).
 */
#define _GNU_SOURCE
#include "offline.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "output.h"
#include "port.h"

#define OFFLINE_RING_SIZE 1024
/* Segments the largest capture record (256 KiB) can take. */
#define READER_MIN_FREE_MBUFS 160

/* Hands a worker its batch; with wait, drains records until the ring took all of it. */
static void hand_over(struct engine *e, struct rte_ring *r, struct rte_mbuf **b, unsigned int *n, bool wait)
{
	unsigned int done = 0;
	while (done < *n) {
		done += rte_ring_enqueue_burst(r, (void **)&b[done], *n - done, NULL);
		if (done == *n || !wait)
			break;
		engine_drain_records(e);
		sched_yield(); /* let a worker that shares this CPU catch up */
	}
	if (done < *n)
		memmove(b, b + done, (*n - done) * sizeof(*b));
	*n -= done;
}

/* First verdict events of the run by flow (key, first packet), for the time each flow was decided. */
static int first_event_cmp(const void *a, const void *b)
{
	const struct flow_record *x = *(const struct flow_record *const *)a, *y = *(const struct flow_record *const *)b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));
	if (c == 0 && x->ts_first != y->ts_first)
		c = x->ts_first < y->ts_first ? -1 : 1;
	return c;
}

/* When a flow became known to the control lcore: its first verdict, else (never decided) its end. */
static uint64_t known_at(const struct flow_record *const *idx, size_t n, const struct flow_key *key, uint64_t ts_first,
			 uint64_t fallback)
{
	struct flow_record probe;
	probe.key = *key;
	probe.ts_first = ts_first;
	const struct flow_record *pp = &probe;
	const struct flow_record *const *hit = idx ? bsearch(&pp, idx, n, sizeof(*idx), first_event_cmp) : NULL;
	return hit ? (*hit)->ts_last : fallback;
}

static int tie_event_cmp(const void *a, const void *b)
{
	const struct tie_offline_event *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(&x->f.key, &y->f.key, sizeof(x->f.key));
}

/*
 * Offline ties: made over every record once the run is over, so they depend
 * only on the capture. Relabels and judges again the children a rule
 * relabels; with --events, makes one tie event per tie, timed when the later
 * of the two flows was decided (as live makes it). Returns the links (one
 * per record), NULL when out of memory (reported; no ties then).
 */
static struct tie_link *tie_offline(struct engine *e)
{
	struct tie_link *links = calloc(e->n_recs ? e->n_recs : 1, sizeof(*links));
	struct tie_timeouts to = {
		.udp_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.tcp_ns = (uint64_t)e->o.tcp_timeout_s * 1000000000ull,
		.tcp_syn_ns = (uint64_t)e->o.tcp_syn_timeout_s * 1000000000ull,
		.tcp_fin_ns = (uint64_t)e->o.tcp_fin_timeout_s * 1000000000ull,
		.other_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
	};
	long n = links ? tie_all(e->recs, e->n_recs, &to, links) : -1;
	if (n < 0) {
		fprintf(stderr, "tundra: out of memory tying flows\n");
		e->failed = 1;
		free(links);
		return NULL;
	}
	const struct flow_record **idx = NULL;
	size_t n_idx = 0;
	if (e->o.events && n > 0) {
		idx = malloc((e->n_events ? e->n_events : 1) * sizeof(*idx));
		e->tie_events = calloc((size_t)n, sizeof(*e->tie_events));
		if (idx == NULL || e->tie_events == NULL) {
			fprintf(stderr, "tundra: out of memory for tie events\n");
			e->failed = 1;
		} else {
			for (size_t i = 0; i < e->n_events; i++)
				if (e->events[i].prev_verdict == VERDICT_COUNT)
					idx[n_idx++] = &e->events[i];
			qsort(idx, n_idx, sizeof(*idx), first_event_cmp);
		}
	}
	for (size_t i = 0; i < e->n_recs; i++) {
		const struct tie_link *l = &links[i];
		if (!l->is_child)
			continue;
		struct flow_record *f = &e->recs[i];
		uint8_t prev = f->verdict;
		e->ctl.ties++;
		if (l->relabel) {
			tie_relabel(f, l);
			engine_rejudge(e, f);
			e->ctl.tie_relabels++;
		}
		if (idx && e->tie_events) {
			struct tie_offline_event *t = &e->tie_events[e->n_ties++];
			uint64_t c = known_at(idx, n_idx, &f->key, f->ts_first, f->ts_last);
			uint64_t p = known_at(idx, n_idx, &l->peer.key, l->peer.ts_first, 0);
			t->f = *f;
			t->link = *l;
			t->prev = prev;
			t->ts = c > p ? c : p;
		}
	}
	free(idx);
	if (e->tie_events)
		qsort(e->tie_events, e->n_ties, sizeof(*e->tie_events), tie_event_cmp);
	return links;
}


int offline_run(struct engine *e, struct pcap_in *in)
{
	char err[512];
	int rc = 2, port = -1;
	struct rte_ring *rings[ENGINE_MAX_WORKERS] = {0};
	struct tie_link *links = NULL;
	if (engine_setup(e) != 0)
		goto out;
	/* Room for full rings even when every frame is a chain of a few segments. */
	unsigned int n_mbufs = e->n_workers * (OFFLINE_RING_SIZE + WORKER_BURST * 2) * 4 + 8192;
	/*
	 * Per-lcore caches: the reader allocates and the workers free in
	 * bursts, so mbufs move between cores in batches, not one ring
	 * operation each. Caches (at most 256 per lcore) stay small next to
	 * the pool.
	 */
	e->mp = rte_pktmbuf_pool_create("offline_pool", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (e->mp == NULL) {
		fprintf(stderr, "tundra: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	for (unsigned int i = 0; i < e->n_workers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "offline_rx_%u", i);
		rings[i] = rte_ring_create(name, OFFLINE_RING_SIZE, (int)rte_socket_id(),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL) {
			fprintf(stderr, "tundra: ring: %s\n", rte_strerror(rte_errno));
			goto out;
		}
	}
	port = port_init_rings("offline", rings, rings, (uint16_t)e->n_workers, e->mp, err, sizeof(err));
	if (port < 0) {
		fprintf(stderr, "tundra: %s\n", err);
		goto out;
	}
	for (unsigned int i = 0; i < e->n_workers; i++) {
		e->w[i]->n_rxq = 1;
		e->w[i]->rxq[0] = (struct worker_rxq){.port = (uint16_t)port, .queue = (uint16_t)i, .tx_port = -1};
	}

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < e->n_workers; i++)
		rte_eal_remote_launch(worker_main, e->w[i], e->w[i]->lcore);

	/* Reader: hand packets out by flow hash, draining records whenever a ring is full. */
	struct rte_mbuf *batch[ENGINE_MAX_WORKERS][WORKER_BURST];
	static uint8_t reader_linear[FLOW_LINEAR_MAX];
	unsigned int nb[ENGINE_MAX_WORKERS] = {0};
	int input_rc;
	/*
	 * Mbufs the reader may still take before it must look at the pool again:
	 * counting the pool walks every lcore's cache, too dear per packet. The
	 * pool had at least READER_MIN_FREE_MBUFS + spare free at the last look,
	 * and only the reader allocates, so that many more are safe.
	 */
	int64_t spare = -1;
	for (;;) {
		struct rte_mbuf *m;
		/* Never fail on a busy pool: wait for the workers to free mbufs. */
		while (spare < 0) {
			unsigned int avail = rte_mempool_avail_count(e->mp);
			if (avail >= READER_MIN_FREE_MBUFS) {
				spare = (int64_t)avail - READER_MIN_FREE_MBUFS;
				break;
			}
			for (unsigned int i = 0; i < e->n_workers; i++)
				hand_over(e, rings[i], batch[i], &nb[i], false);
			engine_drain_records(e);
			sched_yield();
		}
		input_rc = pcap_in_next(in, e->mp, e->sh->ts_offset, &m, err, sizeof(err));
		unsigned int wi = 0;
		if (input_rc == 1) {
			uint64_t ts = *RTE_MBUF_DYNFIELD(m, e->sh->ts_offset, uint64_t *);
			if (ts > e->sh->input_end_ns)
				e->sh->input_end_ns = ts;
			spare -= m->nb_segs;
			wi = flow_worker_of(m, e->n_workers, reader_linear);
			batch[wi][nb[wi]++] = m;
		}
		for (unsigned int i = 0; i < e->n_workers; i++) {
			if (nb[i] == 0 || (input_rc == 1 && (i != wi || nb[i] < WORKER_BURST)))
				continue;
			hand_over(e, rings[i], batch[i], &nb[i], true);
		}
		if (input_rc != 1)
			break;
	}
	__atomic_store_n(&e->sh->input_done, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < e->n_workers; i++)
		while (rte_eal_get_lcore_state(e->w[i]->lcore) != WAIT) {
			engine_drain_records(e);
			sched_yield();
		}
	rte_eal_mp_wait_lcore();
	double secs = engine_elapsed(&t0);
	engine_drain_records(e);

	if (e->n_recs > 0)
		qsort(e->recs, e->n_recs, sizeof(*e->recs), flow_record_cmp);
	links = tie_offline(e);
	for (size_t i = 0; i < e->n_recs; i++)
		engine_account_record(e, &e->recs[i]);
	if (e->o.events) {
		/* Sorted by the time of the packet that decided, like the flows by their first. */
		if (e->n_events > 0)
			qsort(e->events, e->n_events, sizeof(*e->events), event_record_cmp);
		FILE *ev = fopen(e->o.events, "w");
		if (ev == NULL) {
			fprintf(stderr, "tundra: %s: %s\n", e->o.events, strerror(errno));
			e->failed = 1;
		} else {
			/* Verdict and tie events merged in time order (a verdict first at equal times). */
			size_t t = 0;
			for (size_t i = 0; i <= e->n_events; i++) {
				for (; t < e->n_ties && (i == e->n_events || e->tie_events[t].ts < e->events[i].ts_last); t++) {
					const struct tie_offline_event *te = &e->tie_events[t];
					output_tie_event_json(ev, &e->out, &te->f, te->prev, &te->link, te->ts);
				}
				if (i < e->n_events)
					output_event_json(ev, &e->out, &e->events[i]);
			}
			fclose(ev);
		}
	}
	if (!e->o.json && !e->o.summary)
		output_table_header(stdout);
	for (size_t i = 0; i < e->n_recs; i++) {
		if (e->o.json) {
			output_flow_json(stdout, &e->out, &e->recs[i], links ? &links[i] : NULL);
		} else {
			output_flow_row(stdout, &e->out, &e->recs[i], links ? &links[i] : NULL);
			if (e->o.explain) {
				classify_explain(&e->cdb, &e->recs[i], "    ", stdout);
				output_tie_explain(stdout, links ? &links[i] : NULL, "    ");
			}
		}
	}
	fflush(stdout);
	fprintf(stderr, "tundra: %s: %" PRIu64 " packets read (%s)", e->o.input, pcap_in_packets(in),
		pcap_in_linktype(in));
	if (pcap_in_snapped(in))
		fprintf(stderr, ", %" PRIu64 " cut short by the capture's snap length", pcap_in_snapped(in));
	fputc('\n', stderr);
	rc = engine_finish(e, secs) ? 1 : 0;
	if (input_rc < 0) {
		/* Everything before the damage was classified and reported above. */
		fprintf(stderr, "tundra: %s\n", err);
		rc = 2;
	}
	if (e->failed)
		rc = 2;
	port_close((uint16_t)port);
out:
	free(links);
	engine_teardown(e);
	for (unsigned int i = 0; i < e->n_workers; i++)
		rte_ring_free(rings[i]);
	rte_mempool_free(e->mp);
	e->mp = NULL;
	return rc;
}

