/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every counter a worker keeps, declared once. TUNDRA_WORKER_COUNTERS is the
 * one list: it makes the fields of struct worker_stats and the descriptor
 * table (counter_descs[]) from which every exporter writes them: the
 * --stats-json object, the control socket's stats, telemetry, /metrics and
 * the end-of-run summary (engine/control/stats.c, telemetry.c, metrics.c).
 * A new counter is one line here and the increment where it happens.
 *
 * Each worker owns one struct worker_stats in its own cache lines and is its
 * only writer: plain increments, no atomics. The control lcore reads them (a
 * 64-bit aligned load cannot tear on x86-64) and sums them word by word.
 *
 * Every received packet gets exactly one outcome and one disposition:
 *   rx_pkts = sum of outcome[] = sum of disposition[]
 */
#ifndef TUNDRA_COUNTERS_H
#define TUNDRA_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* ---- label sets: the values an array counter is kept by ---- */

/* What became of a packet's inspection (exactly one per packet). */
#define TUNDRA_OUTCOMES(L)                                                                                   \
	L(NONIP, "nonip", "not IP: passed uninspected")                                                      \
	L(MALFORMED, "malformed", "failed parsing: passed uninspected")                                     \
	L(FRAGMENT, "fragment", "IP fragment not completing a datagram: passed (the completing one takes the datagram's outcome)") \
	L(NO_FLOW, "no_flow", "flow table could not make room: passed")                                     \
	L(INSPECTING, "inspecting", "flow still inside the classification window")                          \
	L(PASS, "pass", "flow decided: not a VPN, or window closed undecided")                             \
	L(ALLOW, "allow", "VPN flow to a registered endpoint")                                              \
	L(BLOCK, "block", "VPN flow to an unregistered endpoint")                                           \
	L(SHED, "shed", "worker behind: flow not inspected, passed (fail open)")                            \
	L(BYPASSED, "bypassed", "its worker's loop had ended: forwarded uninspected by the control lcore")

/* What became of the packet itself (exactly one per packet). */
#define TUNDRA_DISPOSITIONS(L)                                                                               \
	L(TX, "tx", "forwarded to the TX port")                                                              \
	L(TX_FAILED, "tx_failed", "TX queue full: freed, counted")                                          \
	L(DROPPED, "dropped", "enforce mode, blocked flow")                                                 \
	L(CONSUMED, "consumed", "no TX port (monitor tap, offline): freed after inspection")

/*
 * Where a worker's cycles go. Every 64th non-empty burst is timed stage by
 * stage (rte_rdtsc between stages), so the split costs one branch per burst
 * and needs no build of its own.
 */
#define TUNDRA_STAGES(L)                                                                                     \
	L(IO, "io", "rx_burst of a non-empty poll, TX or free")                                              \
	L(PARSE, "parse", "headers, flow key and hash")                                                     \
	L(FLOW, "flow", "flow table lookup/insert, counters")                                               \
	L(CLASSIFY, "classify", "Hyperscan and validators: flows inside the window only")                   \
	L(VERDICT, "verdict", "registry lookup on decision, verdict, drop or forward")

/* A flow's verdict: its first one is counted. */
#define TUNDRA_VERDICTS(L)                                                                                   \
	L(PASS, "pass", "not a VPN (or undecided)")                                                          \
	L(ALLOW, "allow", "VPN to a registered endpoint")                                                   \
	L(BLOCK, "block", "VPN to an unregistered endpoint")

/* What a full flow table evicted: the cheapest first, a VPN flow's verdict last. */
#define TUNDRA_EVICTIONS(L)                                                                                  \
	L(INSPECTING, "inspecting", "still inside its window (a SYN, a lone datagram, an unfinished handshake)") \
	L(PASS, "pass", "judged not a VPN (or undecided)")                                                   \
	L(VPN, "vpn", "judged a VPN: its verdict is lost")

/*
 * Outer headers the parser peels to reach the subscriber's packet (parse.c),
 * each counted once per packet that carried it. A bit of pkt_outer.kinds each.
 */
#define TUNDRA_ENCAPS(L)                                                                                     \
	L(VLAN, "vlan", "one 802.1Q tag in front of an Ethernet payload")                                   \
	L(QINQ, "qinq", "two stacked tags (802.1ad S-tag and C-tag)")                                       \
	L(MPLS, "mpls", "MPLS label stack (RFC 3032), incl. a pseudowire control word and Ethernet")       \
	L(GRE, "gre", "GRE version 0 carrying IP or MPLS (RFC 2784/2890)")                                 \
	L(GRE_TEB, "gre_teb", "GRE carrying Ethernet (transparent Ethernet bridging, NVGRE)")              \
	L(VXLAN, "vxlan", "VXLAN on UDP 4789/8472 (RFC 7348)")                                              \
	L(GTPU, "gtpu", "GTP-U G-PDU on UDP 2152 (3GPP TS 29.281)")                                         \
	L(IPIP, "ipip", "IPv4 in IPv4 or IPv6 (RFC 2003, RFC 2473)")                                        \
	L(6IN4, "6in4", "IPv6 in IPv4, protocol 41 (RFC 4213)")                                             \
	L(6IN6, "6in6", "IPv6 in IPv6, next header 41 (RFC 2473)")                                          \
	L(TEREDO, "teredo", "IPv6 in UDP 3544 (RFC 4380)")

/* IP fragment reassembly (frag.c): each datagram or fragment counted once where it ends up. */
#define TUNDRA_FRAG_EVENTS(L)                                                                                \
	L(REASSEMBLED, "reassembled", "datagram completed and classified as one packet of its flow")      \
	L(TIMED_OUT, "timed_out", "datagram abandoned incomplete after the reassembly timeout")            \
	L(EVICTED, "evicted", "pool full: the oldest datagram in reassembly gave up its slot")             \
	L(OVERLAP, "overlap", "overlapping fragments: datagram abandoned (RFC 5722)")                      \
	L(DUPLICATE, "duplicate", "exact duplicate fragment dropped from reassembly, datagram kept")       \
	L(TINY, "tiny", "first fragment without a whole transport header: datagram abandoned (RFC 1858)") \
	L(TOO_BIG, "too_big", "datagram longer than 65535 bytes: abandoned")                               \
	L(INVALID, "invalid", "inconsistent fragment (length, last fragment, too many): datagram abandoned") \
	L(NO_SLOT, "no_slot", "no reassembly memory on this worker: fragment passed unreassembled")

#define LABEL_ENUM_OUT(E, name, help) OUT_##E,
enum outcome { TUNDRA_OUTCOMES(LABEL_ENUM_OUT) OUT_COUNT };
#define LABEL_ENUM_DISP(E, name, help) DISP_##E,
enum disposition { TUNDRA_DISPOSITIONS(LABEL_ENUM_DISP) DISP_COUNT };
#define LABEL_ENUM_STAGE(E, name, help) STAGE_##E,
enum stage { TUNDRA_STAGES(LABEL_ENUM_STAGE) STAGE_COUNT };
#define LABEL_ENUM_VERDICT(E, name, help) VERDICT_##E,
enum verdict { TUNDRA_VERDICTS(LABEL_ENUM_VERDICT) VERDICT_COUNT };
#define LABEL_ENUM_EVICT(E, name, help) EVICT_##E,
enum eviction { TUNDRA_EVICTIONS(LABEL_ENUM_EVICT) EVICT_COUNT };
#define LABEL_ENUM_ENCAP(E, name, help) ENCAP_##E,
enum encap { TUNDRA_ENCAPS(LABEL_ENUM_ENCAP) ENCAP_COUNT };
#define LABEL_ENUM_FRAG(E, name, help) FRAG_##E,
enum frag_event { TUNDRA_FRAG_EVENTS(LABEL_ENUM_FRAG) FRAG_EV_COUNT };
#define STAGE_SAMPLE_MASK 63

struct label_set {
	const char *label;          /* Prometheus label name */
	unsigned int n;
	const char *const *names;
};
extern const struct label_set labels_outcome, labels_disposition, labels_stage, labels_verdict, labels_eviction,
	labels_encap, labels_frag;

/* ---- the counters ---- */

/*
 * C(field, labels, group, key, metric, metric label, type, per worker, help)
 *   labels  ONE, or a label set (OUTCOME, DISPOSITION, STAGE, VERDICT, EVICTION, ENCAP, FRAG): the
 *           field is an array, one element per label value
 *   group   the JSON object it sits in ("" = top level); telemetry names it
 *           group_key, or key_value for an array's elements
 *   metric  Prometheus metric (tundra_ prefixed, "" = not exported there);
 *           counters sharing a metric are told apart by their metric label
 *   type    COUNTER or GAUGE
 *   per worker  PW: /metrics also gives it per worker, as tundra_worker_<metric>
 *           with the label worker="N"
 */
#define TUNDRA_WORKER_COUNTERS(C)                                                                            \
	C(rx_pkts, ONE, "", "rx_pkts", "received_packets_total", NULL, COUNTER, PW,                           \
	  "Packets received by the pipeline.")                                                               \
	C(rx_bytes, ONE, "", "rx_bytes", "received_bytes_total", NULL, COUNTER, 0,                            \
	  "Bytes received by the pipeline (frames).")                                                        \
	C(outcome, OUTCOME, "", "outcome", "packets_total", NULL, COUNTER, 0,                                 \
	  "Packets received, by outcome (each packet has exactly one).")                                     \
	C(disp, DISPOSITION, "", "disposition", "packets_handled_total", NULL, COUNTER, 0,                    \
	  "Packets by what became of them (each packet has exactly one).")                                  \
	C(encap, ENCAP, "", "encap", "encap_packets_total", NULL, COUNTER, 0,                                 \
	  "Packets by outer header peeled to reach the inner flow (once per kind a packet carries).")       \
	C(frag, FRAG, "", "frag", "fragment_reassembly_total", NULL, COUNTER, 0,                              \
	  "IP fragment reassembly, by event (datagrams, or fragments for duplicate and no_slot).")          \
	C(flows_created, ONE, "flows", "created", "flows_total", "event=\"created\"", COUNTER, 0,             \
	  "Flow table events.")                                                                              \
	C(flows_expired, ONE, "flows", "expired", "flows_total", "event=\"expired\"", COUNTER, 0,             \
	  "Flow table events.")                                                                              \
	C(flows_expired_emergency, ONE, "flows", "expired_emergency", "flows_total",                          \
	  "event=\"expired_emergency\"", COUNTER, 0, "Flow table events.")                                   \
	C(flows_evicted, EVICTION, "flows", "evicted", "flows_evicted_total", NULL, COUNTER, 0,               \
	  "Flows a full table evicted to make room, by what they were.")                                    \
	C(flows_flushed, ONE, "flows", "flushed", "flows_total", "event=\"flushed\"", COUNTER, 0,             \
	  "Flow table events.")                                                                              \
	C(flows_active, ONE, "flows", "active", "flows_active", NULL, GAUGE, 0, "Flows in the flow tables.")  \
	C(flow_slots, ONE, "flows", "table_slots", "flow_table_slots", NULL, GAUGE, 0,                        \
	  "Flows the flow tables can hold.")                                                                 \
	C(flow_mem_bytes, ONE, "flows", "table_bytes", "flow_table_bytes", NULL, GAUGE, 0,                    \
	  "Memory the flow tables took.")                                                                    \
	C(flows_decided, VERDICT, "flows", "decided", "flows_decided_total", NULL, COUNTER, 0,                \
	  "Flows judged, by first verdict.")                                                                 \
	C(reverdicts, ONE, "flows", "reverdicts", "reverdicts_total", NULL, COUNTER, 0,                      \
	  "Flows judged again after a registry reload.")                                                     \
	C(records_lost, ONE, "", "records_lost", "records_lost_total", NULL, COUNTER, 0,                     \
	  "Flow records and events not handed over (ring full).")                                            \
	C(verdict_events, ONE, "", "verdict_events", "verdict_events_total", NULL, COUNTER, 0,               \
	  "Verdict events emitted (taken and changed verdicts).")                                            \
	C(hs_errors, ONE, "", "hs_errors", "hyperscan_errors_total", NULL, COUNTER, 0,                       \
	  "Hyperscan scans that failed (the payload was not matched).")                                     \
	C(reasm_done, ONE, "", "reasm_done", "clienthello_reassembly_total", "result=\"done\"", COUNTER, 0,   \
	  "TLS ClientHellos split over TCP segments, by outcome (no_buffer: pool empty).")                  \
	C(reasm_gave_up, ONE, "", "reasm_gave_up", "clienthello_reassembly_total", "result=\"gave_up\"",     \
	  COUNTER, 0, "TLS ClientHellos split over TCP segments, by outcome (no_buffer: pool empty).")      \
	C(reasm_no_buffer, ONE, "", "reasm_no_buffer", "clienthello_reassembly_total",                        \
	  "result=\"no_buffer\"", COUNTER, 0,                                                                \
	  "TLS ClientHellos split over TCP segments, by outcome (no_buffer: pool empty).")                  \
	C(shed_episodes, ONE, "", "shed_episodes", "shed_episodes_total", NULL, COUNTER, 0,                   \
	  "Times a worker fell behind and passed new flows uninspected.")                                    \
	C(insp_no_slot, ONE, "", "insp_no_slot", "inspection_no_slot_total", NULL, COUNTER, 0,                \
	  "Packets passed uninspected (outcome shed) because every inspection slot was in use.")            \
	C(insp_reclaimed, ONE, "", "insp_reclaimed", "inspection_reclaimed_total", NULL, COUNTER, 0,          \
	  "Inspection slots taken back from flows idle 1 s or more, for new flows (their windows closed).") \
	C(insp_in_use, ONE, "", "insp_in_use", "inspection_slots_in_use", NULL, GAUGE, 0,                     \
	  "Flows holding an inspection slot now (inside their window).")                                    \
	C(busy_cycles, ONE, "cycles", "busy", "busy_cycles_total", NULL, COUNTER, PW,                  \
	  "TSC cycles spent on bursts that carried packets.")                                                \
	C(bursts, ONE, "cycles", "bursts", "bursts_total", NULL, COUNTER, 0,                           \
	  "Non-empty bursts received.")                                                                      \
	C(polls, ONE, "cycles", "polls", "polls_total", NULL, COUNTER, PW,                             \
	  "Worker loop turns: the heartbeat the control lcore watches.")                                    \
	C(stage_cycles, STAGE, "cycles", "stage", "stage_cycles_total", NULL, COUNTER, PW,             \
	  "TSC cycles by pipeline stage in the sampled bursts (1 in 64).")                                  \
	C(stage_pkts, ONE, "cycles", "sampled_pkts", "stage_packets_total", NULL, COUNTER, PW,         \
	  "Packets in the sampled bursts.")                                                                  \
	C(stage_fast_pkts, ONE, "cycles", "sampled_fast_pkts", "stage_fast_packets_total", NULL,       \
	  COUNTER, 0, "Of the sampled packets, those of flows already decided.")

#define COUNTER_TYPE_ONE uint64_t
#define COUNTER_DIM_ONE
#define COUNTER_DIM_OUTCOME [OUT_COUNT]
#define COUNTER_DIM_DISPOSITION [DISP_COUNT]
#define COUNTER_DIM_STAGE [STAGE_COUNT]
#define COUNTER_DIM_VERDICT [VERDICT_COUNT]
#define COUNTER_DIM_EVICTION [EVICT_COUNT]
#define COUNTER_DIM_ENCAP [ENCAP_COUNT]
#define COUNTER_DIM_FRAG [FRAG_EV_COUNT]

struct worker_stats {
#define COUNTER_FIELD(field, labels, ...) uint64_t field COUNTER_DIM_##labels;
	TUNDRA_WORKER_COUNTERS(COUNTER_FIELD)
#undef COUNTER_FIELD
} __attribute__((aligned(64))); /* its own cache lines: one writer */

enum counter_type { COUNTER = 0, GAUGE = 1 };
#define PW 1

struct counter_desc {
	const char *field;
	size_t off;                 /* of the first element in struct worker_stats */
	const struct label_set *labels; /* NULL: one value */
	const char *group, *key;
	const char *metric, *metric_label;
	uint8_t type;
	uint8_t per_worker;
	const char *help;
};
extern const struct counter_desc counter_descs[];
extern const unsigned int n_counter_descs;

const char *outcome_name(unsigned int o);
const char *disposition_name(unsigned int d);
const char *stage_name(unsigned int st);

#endif
