/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table. Owned by exactly one worker lcore and never shared,
 * so nothing in it locks. A flow key is canonical (lower endpoint first), so
 * both directions of a connection map to one entry; the side that sent the
 * first packet is the client.
 */
#ifndef TUNDRA_FLOW_H
#define TUNDRA_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "classifier.h"
#include "counters.h"
#include "parse.h"

struct flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo;
	uint16_t port_hi;
	/*
	 * One word: the zone (parse.h; the VLAN id for a single tag, as the
	 * field it replaces held), the IP version (4 or 6) and the protocol.
	 * Every bit is assigned by flow_key_make, so the key has no padding
	 * for the hash to read.
	 */
	uint32_t zone : PARSE_ZONE_BITS;
	uint32_t ip_version : 3;
	uint8_t proto;
};

enum flow_phase {
	FLOW_INSPECTING = 0, /* inside the classification window */
	FLOW_DECIDED,        /* a classifier decided: app set */
	FLOW_UNDECIDED,      /* window closed with no decision: app unknown */
};

enum flow_end {
	FLOW_END_IDLE = 0,   /* idle timeout */
	FLOW_END_EVICTED,    /* table full: oldest of a sample made room */
	FLOW_END_FLUSH,      /* end of input or shutdown */
};

enum policy_applied { POLICY_APPLIED_NONE = 0, POLICY_APPLIED_APP, POLICY_APPLIED_SECTOR };

/* What a record handed to the control lcore stands for. */
enum record_kind {
	RECORD_FLOW_END = 0, /* the flow left the table: its final record */
	RECORD_VERDICT,      /* the flow's verdict was taken or changed: an audit event */
};

/*
 * One step of a flow's decision path, for `classify --explain`: a validator's
 * answer to one packet, or the window closing.
 */
#define FLOW_TRAIL_MAX 5
#define STEP_WINDOW_END 0xff     /* result of the step that closed the window */
struct cls_step {
	uint16_t pkt;               /* packet number in the flow */
	uint16_t pattern;           /* signature that nominated the classifier (index + 1), 0 = none */
	uint8_t cls;                /* classifier id */
	uint8_t result;             /* enum cls_result, or STEP_WINDOW_END */
};

/*
 * One flow. The first cache line holds what every packet touches; the rest
 * is read on decision and export only. The same struct is the flow record
 * the worker hands to the control lcore.
 */
struct flow {
	struct flow_key key;        /* 40 */
	uint8_t in_use;
	uint8_t client_is_lo;       /* client = key.addr_lo/port_lo side */
	uint8_t phase;              /* enum flow_phase */
	uint8_t verdict;            /* enum verdict */
	uint8_t drop;               /* verdict is block and mode is enforce */
	uint8_t app;                /* classifier id, 0 = unknown */
	uint8_t tcp_fin;            /* FIN/RST seen: short timeout */
	uint8_t end;                /* enum flow_end, set on export */
	uint64_t ts_last;           /* ns */
	uint64_t reg_generation;    /* registry the verdict was taken against */

	uint64_t ts_first;
	uint32_t pkts[2];           /* [CLS_C2S], [CLS_S2C] */
	uint64_t bytes[2];          /* IP bytes (from the IP header on) */
	uint32_t win_bytes[2];      /* payload bytes inspected per direction */
	uint32_t tcp_off[2];        /* payload bytes seen per direction */
	uint16_t win_pkts[2];       /* payload packets inspected per direction */
	uint16_t decided_at_pkt;
	uint8_t result;             /* enum cls_result that decided */
	uint8_t sector;             /* registry sector when registered */
	uint8_t kind;               /* enum record_kind, for records */
	uint8_t prev_verdict;       /* for RECORD_VERDICT: VERDICT_COUNT when first taken */
	uint8_t policy;             /* enum policy_applied: which override shaped the verdict */
	uint16_t pattern;           /* global pattern index + 1 that made the candidate */
	uint32_t reg_line;          /* registry line that matched (0 = none) */
	const char *check;          /* validator's check that decided (static string) */
	struct cls_state cls;
	struct cls_step trail[FLOW_TRAIL_MAX]; /* the first steps of the decision path */
	uint8_t n_steps;            /* steps taken; past FLOW_TRAIL_MAX only counted */
	uint16_t reasm;             /* ClientHello reassembly buffer of the worker's pool, 0 = none */
	char ja4[37];               /* JA4 of the client's TLS/DTLS ClientHello, "" when none */
	char tls_sni[64];           /* its server_name, printable ASCII, "" when none */
	char registrant_id[48];
	char registrant_name[96];
} __attribute__((aligned(64)));

/* Seven cache lines: grow it only on purpose (flow memory is a bench figure). */
_Static_assert(sizeof(struct flow) == 448, "struct flow changed size");

struct flow_table;

struct flow_table_config {
	uint32_t capacity;          /* flows */
	uint64_t udp_timeout_ns;
	uint64_t tcp_timeout_ns;         /* established: both sides have sent */
	uint64_t tcp_syn_timeout_ns;     /* only the client has sent (handshake, scans) */
	uint64_t tcp_closed_timeout_ns;  /* after FIN or RST */
	uint64_t other_timeout_ns;
};

/* Export callback: a flow leaving the table (expired, evicted or flushed). */
typedef void (*flow_export_fn)(void *arg, struct flow *f);

struct flow_table_stats {
	uint64_t created, expired, evicted, flushed, active;
	uint64_t expired_emergency;      /* of expired: under the short timeouts of a nearly full table */
	uint64_t slots;                  /* flows the table can hold */
	uint64_t mem_bytes;              /* DPDK heap memory it took (hash, keys, flows) */
};

struct flow_table *flow_table_create(const char *name, int socket, const struct flow_table_config *cfg,
				     flow_export_fn export_fn, void *export_arg);
void flow_table_free(struct flow_table *t);

/* Canonical key and its hash (symmetric: both directions give the same). */
uint32_t flow_key_make(const struct pkt_info *pi, struct flow_key *key, bool *src_is_lo);

/*
 * The flow for a packet: existing, or new (a flow idle past its timeout is
 * exported and started anew, so results depend only on packet times). *dir is
 * the packet's direction relative to the client. NULL only when the table
 * cannot make room.
 */
struct flow *flow_lookup_or_add(struct flow_table *t, const struct flow_key *key, uint32_t hash,
				bool src_is_lo, uint64_t now, uint8_t *dir);

/*
 * The same for a burst of up to FLOW_BULK_MAX packets, in order, each at its
 * own time now[i]: flows[i] is NULL where the table could not make room.
 * Results equal n single calls.
 */
#define FLOW_BULK_MAX 32
void flow_lookup_or_add_bulk(struct flow_table *t, const struct flow_key *const *keys, const uint32_t *hashes,
			     const bool *src_is_lo, uint32_t n, const uint64_t *now, struct flow **flows,
			     uint8_t *dirs);

/* Largest frame the parser sees whole; longer chained frames are cut (and count as malformed). */
#define FLOW_LINEAR_MAX (65536 + 128)

/*
 * Which of n workers owns a frame: a symmetric hash of the inner flow's
 * addresses and zone, never its ports or protocol, so that the fragments of
 * a datagram (no ports; IPv6 may name an extension header), the datagram
 * they make and the flow's unfragmented packets meet on one worker.
 * Non-IP and malformed frames go to worker 0. linear: FLOW_LINEAR_MAX bytes
 * of scratch for chained mbufs. For the offline reader and the software
 * distributor.
 */
struct rte_mbuf;
unsigned int flow_worker_of(struct rte_mbuf *m, unsigned int n, uint8_t *linear);

/* Bounded idle scan: visits at most budget slots from the cursor. */
void flow_table_age(struct flow_table *t, uint64_t now, uint32_t budget);
/*
 * The scan the workers run every poll: as many slots as the time since the
 * last call is worth (the table once per a quarter of the shortest timeout),
 * at most 1024 at a time.
 */
void flow_table_age_paced(struct flow_table *t, uint64_t now);
/* Export every flow (end of input, shutdown). */
void flow_table_flush(struct flow_table *t);
void flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *st);

#endif
