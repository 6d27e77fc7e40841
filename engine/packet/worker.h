/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: each polls its RX queues in bursts and runs the whole
 * pipeline (parse → flow → classify → verdict) on what it receives. A worker
 * shares nothing writable with any other core: its flow table, Hyperscan
 * scratch and counters are its own; flow records leave through its own ring.
 */
#ifndef TUNDRA_WORKER_H
#define TUNDRA_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "classify.h"
#include "flow.h"
#include "registry.h"
#include "counters.h"
#include "verdict.h"

struct frag_table;

#define WORKER_BURST 32
/* Idle time after which an inspecting flow's window closes undecided (its inspection slot back to the pool). */
#define WORKER_WINDOW_IDLE_NS 10000000000ull
/*
 * Offline, the most capture time one sub-burst may span: below every
 * timeout that can end a flow or its window on a lookup (the shortest is
 * an inspection slot's reclaim after 1 s idle, CLASSIFY_INSP_RECLAIM_NS).
 */
#define WORKER_BURST_SPAN_NS 500000000ull
#define WORKER_MAX_RXQ 4
#define MAX_WORKERS_DIST 64

/* What the control lcore publishes to every worker. */
struct engine_shared {
	const struct registry *registry;   /* swapped by the control lcore, read with acquire */
	struct rte_rcu_qsbr *qsbr;         /* old registries are freed after a grace period */
	volatile uint8_t quit;
	volatile uint8_t input_done;       /* offline: the reader has enqueued its last packet */
	uint64_t input_end_ns;             /* offline: the capture's last time, set before input_done */
	volatile uint8_t dist_quit;        /* live distributor: stop receiving */
	volatile uint8_t workers_done;     /* live distributor: workers left, drain TX and go */
	/*
	 * Blocks may drop only while this is set: a registry serves (or an
	 * empty one was allowed). Read at decision time, never per packet.
	 */
	volatile uint8_t can_enforce;
	struct policy policy;              /* mode and overrides, fixed at start */
	uint64_t tsc0, unix_ns0;           /* live clock: ns = unix_ns0 + (tsc - tsc0) * ns_per_tsc */
	double ns_per_tsc;
	int ts_offset;                     /* mbuf dynfield holding the capture timestamp (ns) */
};

struct worker_rxq {
	uint16_t port, queue;
	int32_t tx_port;                   /* -1: no TX (tap/offline), packets are freed */
	uint16_t tx_queue;
	uint8_t has_qcount;                /* the PMD reports its RX backlog */
};

struct worker {
	struct worker_stats stats;         /* first: its own cache lines, written only here */
	unsigned int id;
	unsigned int lcore;
	uint8_t offline;
	uint16_t n_rxq;
	struct worker_rxq rxq[WORKER_MAX_RXQ];
	struct flow_table *flows;
	struct frag_table *frag;           /* IP reassembly (frag.h), made when the worker starts */
	struct classify_ctx cls;
	struct rte_ring *records;          /* flow records for the control lcore */
	struct engine_shared *shared;
	uint64_t now;                      /* ns; capture time offline, wall clock live */
	/*
	 * Overload (live only): when the RX backlog reaches shed_backlog
	 * descriptors (PMDs that report it) or shed_after bursts in a row came
	 * back full (others; 0 = never), new flows pass uninspected until the
	 * worker catches up. Fail open: doubt never blocks.
	 */
	uint32_t shed_backlog;
	uint32_t shed_after;
	uint32_t full_streak;
	uint32_t polls;
	uint8_t shedding;
	uint8_t linear[FLOW_LINEAR_MAX];   /* a chained frame copied whole for the parser */
	uint8_t drain_on_quit;             /* fed by the distributor: empty the ring before leaving */
	/* Fault injection for the heartbeat alarm (--test-stall-worker): stop polling once. */
	uint64_t stall_at_poll;
	uint64_t stall_at_ns;              /* or at this live time (0: by poll) */
	uint32_t stall_ms;                 /* 0 once done */
	/*
	 * Fault injection for a dead worker (--test-fault worker-panic): live,
	 * the loop ends for good at this time (ns, the live clock), leaving its
	 * queues, flows and RCU registration as they are. UINT64_MAX: never.
	 */
	uint64_t panic_at_ns;
	/* Fault injection for overload (--test-packet-delay): TSC cycles added to each packet, 0 = none. */
	uint64_t delay_cycles;
} __rte_cache_aligned;

/*
 * The flow table's hooks for a worker (flow_table_create): a flow's end
 * record goes to the control lcore; an idle inspecting flow's window closes.
 */
extern const struct flow_table_hooks worker_flow_hooks;

/* rte_eal_remote_launch() entry point; arg is a struct worker. */
int worker_main(void *arg);

#endif
