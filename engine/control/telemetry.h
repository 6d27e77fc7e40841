/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (/tundra/stats, /tundra/workers, /tundra/registry,
 * /tundra/flows), readable with dpdk-telemetry.py while tundra runs. They
 * run on DPDK's telemetry thread and only read: per-worker counters (single
 * writer, 64-bit reads) and the control lcore's own counters.
 */
#ifndef TUNDRA_TELEMETRY_H
#define TUNDRA_TELEMETRY_H

#include "stats.h"
#include "worker.h"

struct telemetry_view {
	struct worker *const *workers;
	unsigned int n_workers;
	const struct worker_stats *extra;  /* the distributor's share, or NULL */
	const struct worker_stats *takeover; /* dead workers' queues forwarded by the control lcore, or NULL */
	const uint8_t *stuck;              /* by worker: heartbeat stopped */
	const uint16_t *ports;
	unsigned int n_ports;
	const struct control_stats *ctl;
	const char *registry_path;
	const char *mode;
};

/* Registers the commands; the view must outlive the EAL. */
int telemetry_register(const struct telemetry_view *v);

/* Workers' counters summed (with the distributor's share). */
void telemetry_sum(const struct telemetry_view *v, struct worker_stats *out);

#endif
