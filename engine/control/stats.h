/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters. Each worker owns one struct worker_stats in its own cache lines
 * and is its only writer: plain increments, no atomics. The control lcore
 * reads them (a torn read of a 64-bit counter cannot happen on x86-64) and
 * sums them every second and at exit.
 *
 * Every received packet gets exactly one outcome and one disposition:
 *   rx = nonip + malformed + fragment + inspecting + pass + allow + block + no_flow
 *   rx = tx + tx_failed + dropped_enforce + consumed
 */
#ifndef TUNDRA_STATS_H
#define TUNDRA_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

#include "classify.h"
#include "flow.h"

enum outcome {
	OUT_NONIP = 0,    /* not IP: passed uninspected */
	OUT_MALFORMED,    /* failed parsing: passed uninspected */
	OUT_FRAGMENT,     /* IP fragment: passed uninspected */
	OUT_NO_FLOW,      /* flow table could not make room: passed */
	OUT_INSPECTING,   /* flow still inside the classification window */
	OUT_PASS,         /* flow decided: not a VPN, or window closed undecided */
	OUT_ALLOW,        /* VPN flow to a registered endpoint */
	OUT_BLOCK,        /* VPN flow to an unregistered endpoint */
	OUT_SHED,         /* worker behind: flow not inspected, passed (fail open) */
	OUT_COUNT
};

enum disposition {
	DISP_TX = 0,        /* forwarded to the TX port */
	DISP_TX_FAILED,     /* TX queue full: freed, counted */
	DISP_DROPPED,       /* enforce mode, blocked flow */
	DISP_CONSUMED,      /* no TX port (monitor tap, offline): freed after inspection */
	DISP_COUNT
};

/*
 * Where a worker's cycles go. Every 64th non-empty burst is timed stage by
 * stage (rte_rdtsc between stages), so the split costs nothing measurable
 * and needs no build of its own.
 */
enum stage {
	STAGE_IO = 0,     /* rx_burst of a non-empty poll, TX or free */
	STAGE_PARSE,      /* headers, flow key and hash */
	STAGE_FLOW,       /* flow table lookup/insert, counters */
	STAGE_CLASSIFY,   /* Hyperscan and validators: flows inside the window only */
	STAGE_VERDICT,    /* registry lookup on decision, verdict, drop or forward */
	STAGE_COUNT
};
#define STAGE_SAMPLE_MASK 63

struct worker_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t outcome[OUT_COUNT];
	uint64_t disp[DISP_COUNT];
	uint64_t flows_created;
	uint64_t flows_expired;
	uint64_t flows_expired_emergency;
	uint64_t flows_evicted;
	uint64_t flows_flushed;
	uint64_t flows_active;
	uint64_t flow_slots;         /* capacity of the worker's flow table */
	uint64_t flow_mem_bytes;     /* and the memory it took */
	uint64_t flows_decided[VERDICT_COUNT];
	uint64_t records_lost;       /* flow records not handed over (live, ring full) */
	struct classify_stats cls;   /* the classify context's, mirrored each poll */
	uint64_t reverdicts;         /* flows re-judged after a registry reload */
	uint64_t verdict_events;     /* audit events emitted (taken + changed verdicts) */
	uint64_t shed_episodes;      /* times a worker fell behind and stopped inspecting */
	uint64_t busy_cycles;        /* cycles spent on bursts that carried packets */
	uint64_t bursts;
	uint64_t polls;              /* loop iterations: the heartbeat the control lcore watches */
	uint64_t stage_cycles[STAGE_COUNT]; /* of the sampled bursts */
	uint64_t stage_pkts;         /* packets in the sampled bursts */
	uint64_t stage_fast_pkts;    /* of those, packets of flows already decided */
} __rte_cache_aligned;

/* Kept by the control lcore alone. */
struct control_stats {
	uint64_t registry_generation;   /* 0: no registry serving */
	uint64_t registry_entries;
	uint64_t reloads;               /* registries swapped in */
	uint64_t reload_failures;       /* files refused for errors: the previous one serves on */
	uint64_t reload_refusals;       /* refused for removing too much without force */
	uint64_t registry_alarm;        /* 1 while enforce was asked for but no registry serves */
	uint64_t enforce_active;        /* 1 while blocked flows are dropped */
	uint64_t verdict_events;        /* audit events received */
	uint64_t stuck_workers;         /* workers whose heartbeat stopped for --stuck-ms */
	uint64_t ties;                  /* flows tied to a partner of the same session */
	uint64_t tie_relabels;          /* of them: labelled by the tie (confidence likely) */
	uint64_t tie_evicted;           /* live: flows the full tie table forgot (their ties lost) */
};

const char *outcome_name(unsigned int o);
const char *disposition_name(unsigned int d);
const char *stage_name(unsigned int st);

void stats_sum(struct worker_stats *const *w, unsigned int n, struct worker_stats *out);
/* 0 when both identities hold; otherwise prints what does not add up. */
int stats_reconcile(const struct worker_stats *s, FILE *err);
void stats_print_json(const struct worker_stats *s, const struct control_stats *c, FILE *out);

#endif
