/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine as the control lcore holds it: options, the Hyperscan
 * database, the workers and what they share, and everything that comes
 * back from them (flow records, verdict events, ties, counters). One
 * struct engine per process; both modes (offline.c, live.c) set it up and
 * tear it down through here, so the workers' set-up is written once.
 */
#ifndef TUNDRA_ENGINE_H
#define TUNDRA_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_mempool.h>

#include "classify.h"
#include "distributor.h"
#include "options.h"
#include "output.h"
#include "registry.h"
#include "stats.h"
#include "tie.h"
#include "worker.h"
#include "xdp.h"

#define ENGINE_MAX_WORKERS 64
#define RECORD_RING_SIZE 4096
/* Live: flows the tie table holds (about 200 bytes each); past it the oldest undecided go first. */
#define TIE_LIVE_FLOWS 65536

struct tally {
	uint64_t flows[VERDICT_COUNT];
	uint64_t pkts[VERDICT_COUNT];
};

/* Offline: a tie's event, written among the verdict events. */
struct tie_offline_event {
	struct flow_record f;              /* the child as the tie leaves it */
	struct tie_link link;
	uint64_t ts;
	uint8_t prev;               /* its verdict before */
};

struct engine {
	struct options o;
	bool offline;
	struct classify_db cdb;
	struct engine_shared *sh;
	struct worker *w[ENGINE_MAX_WORKERS];
	unsigned int n_workers;
	struct rte_mempool *mp;
	struct flow_record *recs;   /* offline: every flow, printed sorted at the end */
	size_t n_recs, cap_recs;
	/* offline: recs by flow (key, first packet), to join a flow's decision event and its end */
	uint32_t *rec_index;
	size_t rec_index_mask;
	FILE *flow_out;             /* live: records streamed here */
	struct tally *tally;        /* [app] */
	uint64_t records;
	struct flow_record *events;        /* offline: every verdict event, written sorted at the end */
	size_t n_events, cap_events;
	struct tie_offline_event *tie_events; /* offline, with --events: one per tie, sorted by time */
	size_t n_ties;
	FILE *events_out;           /* live: events streamed here */
	struct control_stats ctl;
	struct distributor *dist;   /* live, ports without RSS: the software distributor */
	struct tie_table *ties;     /* live: flows of one session tied as their records arrive */
	struct registrant_catalogue *cat; /* every registrant loaded, for the records' registrant rows */
	struct output_ctx out;
	uint64_t generation;        /* of the registry serving, 0 = none */
	struct xdp_enforce *xdp;    /* live, --xdp-enforce: blocked flows mirrored into XDP */
	/*
	 * Live: workers whose loop ended while running (engine_takeover_poll):
	 * the control lcore forwards their queues uninspected, counted here.
	 */
	uint8_t dead[ENGINE_MAX_WORKERS];
	unsigned int n_dead;
	struct worker_stats takeover;
	FILE *stats_out;            /* live: --stats-json, opened at start */
	struct timespec t_start;    /* live: when the command started, before the EAL */
	double startup_s;           /* live: from t_start to READY */
	int failed;
	uint16_t ports[3];          /* live: the ports opened, for their driver counters */
	unsigned int n_ports;
};

/*
 * Builds the classifier database, loads the registry, makes the workers
 * (flow table, record ring, classify context each). e->o, e->n_workers and
 * e->offline are set by the caller. -1 when something is missing (reported).
 */
int engine_setup(struct engine *e);
void engine_teardown(struct engine *e);

/* Moves every record and event the workers handed over to where it goes. */
void engine_drain_records(struct engine *e);

/*
 * Swaps in a new registry (the old one is freed once every worker moved
 * past it), or refuses it with the old one serving on: errors in the file,
 * or more than --max-shrink of the entries removed without force. The
 * outcome goes to reply and to stderr.
 */
void engine_reload_registry(struct engine *e, bool force, char *reply, size_t rlen);

/* Every worker's counters (and the distributor's) summed. */
void engine_collect_stats(struct engine *e, struct worker_stats *sum);

/* Counts a finished flow in the per-app totals. */
void engine_account_record(struct engine *e, const struct flow_record *f);

/* A flow a tie relabelled, judged again for the report (a tie never drops). */
void engine_rejudge(struct engine *e, struct flow_record *f);

/* Summary on stderr, reconciliation, --stats-json; non-zero when counters do not add up. */
int engine_finish(struct engine *e, double secs);

double engine_elapsed(const struct timespec *t0);

/*
 * Live: forwards what waits on the RX queues of dead workers straight to
 * their TX queues, uninspected (outcome bypassed), at most max_bursts per
 * queue. Only for a worker whose loop is known to have ended: a DPDK queue
 * must never have two pollers.
 */
void engine_takeover_poll(struct engine *e, unsigned int max_bursts);

/*
 * --xdp-enforce (engine_xdp.c): attaches the XDP enforcer (-1 when it
 * cannot, reported); sync keeps its map and counters current, from the
 * control loop; record takes each verdict event and end record; reloaded
 * unblocks what no longer drops under a new registry; summary is its line
 * of the end-of-run summary. All do nothing without --xdp-enforce;
 * engine_teardown() detaches it.
 */
int engine_xdp_open(struct engine *e);
void engine_xdp_sync(struct engine *e);
void engine_xdp_record(struct engine *e, const struct flow_record *f);
void engine_xdp_reloaded(struct engine *e);
void engine_xdp_summary(const struct engine *e, FILE *out);

#endif
