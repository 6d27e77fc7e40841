/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters on the control lcore: the workers' (packet/counters.h) summed,
 * checked and written out, and the control lcore's own. Every exporter
 * walks the one descriptor table, so a counter is named the same way in
 * --stats-json, the control socket, telemetry, /metrics and the summary.
 */
#ifndef TUNDRA_STATS_H
#define TUNDRA_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "counters.h"

/* C(field, key, metric, metric label, type, help): kept by the control lcore alone, in "control". */
#define TUNDRA_CONTROL_COUNTERS(C)                                                                           \
	C(registry_generation, "registry_generation", "registry_generation", NULL, GAUGE,                    \
	  "Registry generation serving (0: none).")                                                          \
	C(registry_entries, "registry_entries", "registry_entries", NULL, GAUGE,                             \
	  "Entries of the registry serving.")                                                                \
	C(reloads, "reloads", "registry_reloads_total", "result=\"ok\"", COUNTER, "Registry reloads by result.") \
	C(reload_failures, "reload_failures", "registry_reloads_total", "result=\"failed\"", COUNTER,        \
	  "Registry reloads by result.")                                                                     \
	C(reload_refusals, "reload_refusals", "registry_reloads_total", "result=\"refused\"", COUNTER,       \
	  "Registry reloads by result.")                                                                     \
	C(registry_alarm, "registry_alarm", "registry_alarm", NULL, GAUGE,                                   \
	  "1 while enforce is asked for but no registry serves.")                                            \
	C(enforce_active, "enforce_active", "enforce_active", NULL, GAUGE, "1 while blocked flows are dropped.") \
	C(verdict_events, "verdict_events", "verdict_events_received_total", NULL, COUNTER,                 \
	  "Verdict events the control lcore received.")                                                      \
	C(stuck_workers, "stuck_workers", "stuck_worker_episodes_total", NULL, COUNTER,                      \
	  "Times a worker's heartbeat stopped for --stuck-ms.")                                              \
	C(dead_workers, "dead_workers", "dead_workers", NULL, GAUGE,                                         \
	  "Workers whose loop ended while running; the control lcore forwards their queues (bypassed).")    \
	C(watchdog_pings, "watchdog_pings", "watchdog_pings_total", NULL, COUNTER,                           \
	  "WATCHDOG=1 sent to the supervisor (only while every worker's heartbeat is fresh).")             \
	C(ties, "ties", "ties_total", "kind=\"tied\"", COUNTER,                                              \
	  "Flows tied to a flow of the same VPN session, and of them relabelled.")                           \
	C(tie_relabels, "tie_relabels", "ties_total", "kind=\"relabelled\"", COUNTER,                       \
	  "Flows tied to a flow of the same VPN session, and of them relabelled.")                           \
	C(tie_evicted, "tie_evicted", "tie_evicted_total", NULL, COUNTER,                                    \
	  "Flows the full tie table forgot (their ties are lost).")                                          \
	C(xdp_native, "xdp_native", "xdp_interfaces", "mode=\"native\"", GAUGE,                                \
	  "Interfaces the XDP enforcer is attached to, by mode.")                                            \
	C(xdp_generic, "xdp_generic", "xdp_interfaces", "mode=\"generic\"", GAUGE,                             \
	  "Interfaces the XDP enforcer is attached to, by mode.")                                            \
	C(xdp_flows, "xdp_flows", "xdp_blocked_flows", NULL, GAUGE, "Flows in the XDP block map.")             \
	C(xdp_blocks, "xdp_blocks", "xdp_flow_changes_total", "change=\"blocked\"", COUNTER,                   \
	  "Flows put in the XDP block map, and taken out: verdict no longer drops, or flow over (released).") \
	C(xdp_unblocks, "xdp_unblocks", "xdp_flow_changes_total", "change=\"unblocked\"", COUNTER,             \
	  "Flows put in the XDP block map, and taken out: verdict no longer drops, or flow over (released).") \
	C(xdp_released, "xdp_released", "xdp_flow_changes_total", "change=\"released\"", COUNTER,              \
	  "Flows put in the XDP block map, and taken out: verdict no longer drops, or flow over (released).") \
	C(xdp_refused, "xdp_refused", "xdp_errors_total", "error=\"full\"", COUNTER,                           \
	  "XDP blocks not made (full: --xdp-flows reached), and XDP map operations the kernel refused (map).")              \
	C(xdp_map_errors, "xdp_map_errors", "xdp_errors_total", "error=\"map\"", COUNTER,                      \
	  "XDP blocks not made (full: --xdp-flows reached), and XDP map operations the kernel refused (map).")              \
	C(xdp_dropped, "xdp_dropped", "xdp_packets_total", "result=\"dropped\"", COUNTER,                      \
	  "Packets the XDP enforcer saw: dropped (blocked flow), expired (blocked, not refreshed: passed), passed.") \
	C(xdp_expired, "xdp_expired", "xdp_packets_total", "result=\"expired\"", COUNTER,                      \
	  "Packets the XDP enforcer saw: dropped (blocked flow), expired (blocked, not refreshed: passed), passed.") \
	C(xdp_passed, "xdp_passed", "xdp_packets_total", "result=\"passed\"", COUNTER,                         \
	  "Packets the XDP enforcer saw: dropped (blocked flow), expired (blocked, not refreshed: passed), passed.") \
	C(mbufs, "mbufs", "mbufs", NULL, GAUGE, "Packet buffers in the pool (--mbufs).")                          \
	C(mbufs_in_use, "mbufs_in_use", "mbufs_in_use", NULL, GAUGE,                                          \
	  "Packet buffers out of the pool now: in RX and TX queues, rings, a worker's hands.")               \
	C(mbufs_in_use_start, "mbufs_in_use_start", "mbufs_in_use_start", NULL, GAUGE,                        \
	  "Packet buffers out of the pool once the ports had started, before traffic: where mbufs_in_use returns when traffic stops.") \
	C(port_rx_nombuf, "port_rx_nombuf", "port_rx_no_buffer_total", NULL, COUNTER,                         \
	  "Frames the ports could not receive for want of a packet buffer (rx_nombuf, all ports).")         \
	C(port_rx_missed, "port_rx_missed", "port_rx_missed_total", NULL, COUNTER,                            \
	  "Frames the ports dropped before tundra polled them: RX queue full (imissed, all ports).")

struct control_stats {
#define CONTROL_FIELD(field, ...) uint64_t field;
	TUNDRA_CONTROL_COUNTERS(CONTROL_FIELD)
#undef CONTROL_FIELD
};

struct control_counter_desc {
	size_t off;
	const char *key, *metric, *metric_label;
	uint8_t type;
	const char *help;
};
extern const struct control_counter_desc control_counter_descs[];
extern const unsigned int n_control_counter_descs;

/* The value of element i (0 for a single counter) of counter d in s. */
static inline uint64_t counter_value(const struct worker_stats *s, const struct counter_desc *d, unsigned int i)
{
	return ((const uint64_t *)(const void *)((const char *)s + d->off))[i];
}

static inline unsigned int counter_width(const struct counter_desc *d)
{
	return d->labels ? d->labels->n : 1;
}

void stats_sum(struct worker_stats *const *w, unsigned int n, struct worker_stats *out);
/* 0 when both identities hold; otherwise prints what does not add up. */
int stats_reconcile(const struct worker_stats *s, FILE *err);
/* One JSON object (and a newline): every worker counter, then the control ones as "control" (c may be NULL). */
void stats_print_json(const struct worker_stats *s, const struct control_stats *c, FILE *out);
/* Every counter as a Markdown table (docs/counters.md is this output). */
void stats_print_reference(FILE *out);

/* The end-of-run summary's counter lines and the cycle figures derived from them. */
void stats_print_summary(const struct worker_stats *s, FILE *out);

#endif
