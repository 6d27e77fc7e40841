/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every command-line option, declared once. TUNDRA_OPTIONS below is the one
 * table: it makes the struct options fields, their defaults, the getopt
 * table, the parser and each command's usage text, and the configuration
 * file's keys come from the same getopt table (config.c). A new option is
 * one line here plus the code that reads its field.
 */
#ifndef TUNDRA_OPTIONS_H
#define TUNDRA_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

/* Commands an option belongs to. */
#define CMD_CLASSIFY 0x1
#define CMD_RUN 0x2
#define CMD_BOTH (CMD_CLASSIFY | CMD_RUN)

#define OPT_LIST_MAX 32
struct opt_list {
	const char *v[OPT_LIST_MAX];
	unsigned int n;
};

/* --test-stall-worker W:MS[@AFTER] */
struct opt_stall {
	int worker; /* -1: none */
	uint32_t ms;
	uint32_t after_ms; /* 0: at the worker's 1000th poll */
};

/* --test-fault worker-panic:W[:MS] */
struct opt_fault {
	int worker; /* -1: none */
	uint32_t after_ms;
};

#define OPT_NO_STALL {-1, 0, 0}
#define OPT_NO_FAULT {-1, 0}
#define OPT_EMPTY_LIST {{0}, 0}

/* What each kind of option is in struct options. */
#define OPT_TYPE_FLAG uint8_t
#define OPT_TYPE_UINT uint32_t
#define OPT_TYPE_STR const char *
#define OPT_TYPE_PORT int32_t           /* -1: none */
#define OPT_TYPE_MODE uint8_t           /* enum tundra_mode */
#define OPT_TYPE_LIST struct opt_list   /* repeatable */
#define OPT_TYPE_STALL struct opt_stall
#define OPT_TYPE_FAULT struct opt_fault

/*
 * OPT(long name, ID, kind, field, default, min, max, commands, argument, help)
 * min/max bound UINT values (inclusive); a UINT's 0 is refused when min > 0.
 */
#define TUNDRA_OPTIONS(OPT)                                                                                  \
	OPT("registry", REGISTRY, STR, registry, NULL, 0, 0, CMD_BOTH, "FILE",                               \
	    "registered VPN endpoints (CSV; docs/registry.md)")                                              \
	OPT("mode", MODE, MODE, mode, 0, 0, 0, CMD_BOTH, "monitor|enforce",                                  \
	    "monitor (default) only reports; enforce drops packets of blocked flows")                         \
	OPT("policy", POLICY, LIST, policy, OPT_EMPTY_LIST, 0, 0, CMD_BOTH, "RULE",                                     \
	    "app=NAME:allow|monitor|enforce or sector=NAME:monitor|enforce (repeatable)")                   \
	OPT("enforce-likely", ENFORCE_LIKELY, FLAG, enforce_likely, 0, 0, 0, CMD_BOTH, NULL,                 \
	    "also drop VPN flows decided on one-sided evidence (default: confirmed only)")                  \
	OPT("json", JSON, FLAG, json, 0, 0, 0, CMD_CLASSIFY, NULL, "one JSON object per flow on stdout")       \
	OPT("summary", SUMMARY, FLAG, summary, 0, 0, 0, CMD_CLASSIFY, NULL,                                  \
	    "totals only: no per-flow lines, no records kept (captures with millions of flows)")            \
	OPT("explain", EXPLAIN, FLAG, explain, 0, 0, 0, CMD_CLASSIFY, NULL, "each flow's decision path")       \
	OPT("hugepages", HUGEPAGES, FLAG, hugepages, 0, 0, 0, CMD_CLASSIFY, NULL,                            \
	    "EAL memory from mounted hugepages instead of anonymous memory")                                 \
	OPT("workers", WORKERS, UINT, workers, 1, 1, 64, CMD_CLASSIFY, "N",                                   \
	    "worker lcores (run takes them from the EAL's -l)")                                              \
	OPT("window-pkts", WINDOW_PKTS, UINT, window_pkts, 8, 1, 1000, CMD_BOTH, "N",                       \
	    "payload packets inspected per direction")                                                       \
	OPT("window-bytes", WINDOW_BYTES, UINT, window_bytes, 4096, 1, 1u << 20, CMD_BOTH, "N",              \
	    "payload bytes inspected per direction")                                                         \
	OPT("flows", FLOWS, UINT, flows_per_worker, 262144, 64, 1u << 26, CMD_BOTH, "N",                      \
	    "flow table capacity per worker")                                                                \
	OPT("inspect-slots", INSPECT_SLOTS, UINT, inspect_slots, 131072, 16, 1u << 24, CMD_BOTH, "N",        \
	    "flows per worker that can be inside their classification window at once")                       \
	OPT("udp-timeout", UDP_TIMEOUT, UINT, udp_timeout_s, 120, 1, 86400, CMD_BOTH, "S",                    \
	    "idle timeout of UDP (and other IP) flows")                                                      \
	OPT("tcp-timeout", TCP_TIMEOUT, UINT, tcp_timeout_s, 300, 1, 86400, CMD_BOTH, "S",                    \
	    "idle timeout of established TCP flows")                                                         \
	OPT("tcp-syn-timeout", TCP_SYN_TIMEOUT, UINT, tcp_syn_timeout_s, 30, 1, 86400, CMD_BOTH, "S",         \
	    "idle timeout of TCP flows only the client has spoken in")                                      \
	OPT("tcp-fin-timeout", TCP_FIN_TIMEOUT, UINT, tcp_fin_timeout_s, 10, 1, 86400, CMD_BOTH, "S",         \
	    "idle timeout after FIN or RST")                                                                 \
	OPT("stats-json", STATS_JSON, STR, stats_json, NULL, 0, 0, CMD_BOTH, "FILE",                         \
	    "the final counters as JSON")                                                                    \
	OPT("events", EVENTS, STR, events, NULL, 0, 0, CMD_BOTH, "FILE",                                     \
	    "JSON lines of verdict and tie events (audit)")                                                  \
	OPT("port", PORT, PORT, rx_port, 0, 0, 0, CMD_RUN, "P", "receive on port P (default 0)")              \
	OPT("tx-port", TX_PORT, PORT, tx_port, -1, 0, 0, CMD_RUN, "P",                                       \
	    "forward what is not dropped out of port P")                                                     \
	OPT("pair", PAIR, PORT, pair_port, -1, 0, 0, CMD_RUN, "P",                                           \
	    "bump in the wire between --port and P, both directions")                                        \
	OPT("flow-log", FLOW_LOG, STR, flow_log, "-", 0, 0, CMD_RUN, "FILE|-",                               \
	    "JSON lines of finished flows (- = stdout)")                                                     \
	OPT("idle-exit", IDLE_EXIT, UINT, idle_exit_s, 0, 0, 86400, CMD_RUN, "S",                             \
	    "stop after S seconds without a packet")                                                         \
	OPT("duration", DURATION, UINT, duration_s, 0, 0, 1u << 30, CMD_RUN, "S", "stop after S seconds")     \
	OPT("control", CONTROL, STR, control, NULL, 0, 0, CMD_RUN, "SOCKET",                                 \
	    "unix socket for reload, reload force, stats (mode 0600)")                                      \
	OPT("control-group", CONTROL_GROUP, STR, control_group, NULL, 0, 0, CMD_RUN, "GROUP",                 \
	    "make the control socket 0660 and owned by GROUP")                                               \
	OPT("user", USER, STR, user, NULL, 0, 0, CMD_RUN, "NAME",                                            \
	    "drop root for user NAME once ports, sockets and files are open")                               \
	OPT("max-shrink", MAX_SHRINK, UINT, max_shrink_pct, 10, 0, 100, CMD_RUN, "PCT",                       \
	    "a reload may remove at most this share of entries unforced")                                    \
	OPT("allow-empty-registry", ALLOW_EMPTY, FLAG, allow_empty_registry, 0, 0, 0, CMD_BOTH, NULL,          \
	    "enforce even when no registry serves")                                                          \
	OPT("shed-backlog", SHED_BACKLOG, UINT, shed_backlog, 768, 1, 1u << 20, CMD_RUN, "DESCS",            \
	    "RX backlog at which a worker stops inspecting new flows")                                       \
	OPT("shed-after", SHED_AFTER, UINT, shed_after, 0, 0, 1u << 30, CMD_RUN, "BURSTS",                   \
	    "full bursts in a row that mean overload, where the PMD reports no backlog (0: never)")         \
	OPT("distributor", DISTRIBUTOR, FLAG, distributor, 0, 0, 0, CMD_RUN, NULL,                           \
	    "spread flows over workers in software even when the port could do RSS")                        \
	OPT("metrics", METRICS, STR, metrics, NULL, 0, 0, CMD_RUN, "[ADDR:]PORT",                            \
	    "Prometheus text at /metrics (ADDR default 127.0.0.1)")                                          \
	OPT("stuck-ms", STUCK_MS, UINT, stuck_ms, 1000, 10, 600000, CMD_RUN, "MS",                           \
	    "a worker without heartbeat this long raises the alarm")                                         \
	OPT("stats-interval", STATS_INTERVAL, UINT, stats_interval_s, 1, 0, 86400, CMD_RUN, "S",             \
	    "a stats line on stderr this often (0: never)")                                                  \
	OPT("xdp-enforce", XDP_ENFORCE, LIST, xdp_enforce, OPT_EMPTY_LIST, 0, 0, CMD_RUN, "IFACE",                 \
	    "drop blocked flows in XDP on this Linux interface too (repeatable; docs/deploy.md)")           \
	OPT("xdp-ttl", XDP_TTL, UINT, xdp_ttl_s, 10, 2, 3600, CMD_RUN, "S",                                  \
	    "an XDP block tundra stops refreshing stops matching after S seconds (10)")                     \
	OPT("xdp-flows", XDP_FLOWS, UINT, xdp_flows, 65536, 64, 1u << 22, CMD_RUN, "N",                       \
	    "blocked flows the XDP map holds at once (65536)")                                               \
	OPT("xdp-generic", XDP_GENERIC, FLAG, xdp_generic, 0, 0, 0, CMD_RUN, NULL,                            \
	    "attach XDP in generic (SKB) mode without trying native")                                        \
	OPT("mbufs", MBUFS, UINT, mbufs, 0, 0, 1u << 24, CMD_RUN, "N",                                        \
	    "packet buffers in the pool (0: sized for every queue; docs/reliability.md)")                   \
	OPT("test-stall-worker", TEST_STALL, STALL, stall, OPT_NO_STALL, 0, 0, CMD_RUN, "W:MS[@AFTER]",           \
	    "fault injection: worker W stops polling once for MS ms (AFTER ms after start)")                  \
	OPT("test-packet-delay", TEST_DELAY, UINT, packet_delay_ns, 0, 0, 1000000, CMD_RUN, "NS",               \
	    "fault injection: every worker spends NS ns more on each packet (overload tests)")              \
	OPT("test-fault", TEST_FAULT, FAULT, fault, OPT_NO_FAULT, 0, 0, CMD_RUN, "worker-panic:W[:MS]",           \
	    "fault injection: worker W's loop ends for good MS ms after start (default 0)")

/* The values of every option; defaults from the table (options_default). */
struct options {
#define OPT_FIELD(name, id, kind, field, ...) OPT_TYPE_##kind field;
	TUNDRA_OPTIONS(OPT_FIELD)
#undef OPT_FIELD
	const char *input; /* classify: the capture file */
};

void options_default(struct options *o);

/*
 * Parses the options of command cmd (CMD_CLASSIFY or CMD_RUN) from
 * argv[1..]; classify takes one positional argument, the capture. Returns
 * 0, 1 when help was asked for (printed), -1 on error (reported).
 */
int options_parse(int argc, char **argv, unsigned int cmd, struct options *o);

/* The getopt table of every option (the configuration file's keys). */
const struct option *options_getopt_table(void);

/* The whole usage text. */
void options_usage(FILE *out);

#endif
