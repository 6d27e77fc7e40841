/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow state, laid out for millions of flows. Owned by exactly
 * one worker lcore and never shared, so nothing in it locks.
 *
 * Three parts, by who touches them how often (docs/architecture.md has the
 * picture of the cache lines):
 *   struct flow       one cache line per flow: everything a packet of a
 *                     decided flow reads or writes (key check, counters,
 *                     last-seen time, verdict, registry generation);
 *   struct flow_cold  beside it in a parallel array: what only a decision,
 *                     a reload or the flow's end reads (first-seen time,
 *                     app, confidence, registrant, counter high bits);
 *   struct flow_insp  only while the flow is inside its classification
 *                     window: the validators' state, the decision path, the
 *                     ClientHello's JA4 and SNI. A per-worker pool
 *                     (classify.c) lends one and takes it back when the
 *                     flow decides; the decision event carries it away.
 * The table itself (flow.c) is a bucketised cuckoo hash whose buckets hold
 * a 16-bit signature and the flow's slot for eight flows in one cache line.
 *
 * A flow key is canonical (lower endpoint first), so both directions of a
 * connection map to one entry; the side that sent the first packet is the
 * client (a classifier that proves otherwise may turn it round).
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
	 * 0 as ip_version marks a free slot.
	 */
	uint32_t zone : PARSE_ZONE_BITS;
	uint32_t ip_version : 3;
	uint8_t proto;
};
_Static_assert(sizeof(struct flow_key) == 40, "flow key: five 8-byte words");

enum flow_phase {
	FLOW_INSPECTING = 0, /* inside the classification window */
	FLOW_DECIDED,        /* a classifier decided: app set */
	FLOW_UNDECIDED,      /* window closed with no decision: app unknown */
};

enum flow_end {
	FLOW_END_IDLE = 0,   /* idle timeout */
	FLOW_END_EVICTED,    /* table full: the least valuable of a sample made room */
	FLOW_END_FLUSH,      /* end of input or shutdown */
};

enum policy_applied { POLICY_APPLIED_NONE = 0, POLICY_APPLIED_APP, POLICY_APPLIED_SECTOR };

/* Why an undecided flow's window closed. */
enum window_close {
	WINDOW_FULL = 0,     /* its packets or bytes ran out (or no classifier reads its protocol) */
	WINDOW_IDLE,         /* it went quiet before a decision */
	WINDOW_RECLAIMED,    /* its inspection slot was needed for a new flow */
};

/*
 * The flow clock: 2^16 ns (65.5 us) ticks in 32 bits. Idle times are
 * differences, so the clock may wrap (every 78 h); no flow stays idle
 * longer than its timeout (at most a day) plus one sweep of the idle scan.
 */
#define FLOW_TICK_SHIFT 16
static inline uint32_t flow_tick(uint64_t ns)
{
	return (uint32_t)(ns >> FLOW_TICK_SHIFT);
}

/* The hot line: what every packet of the flow touches. */
struct flow {
	struct flow_key key;        /* 40 */
	uint32_t ts_last;           /* flow clock of the last packet */
	uint32_t pkts[2];           /* [CLS_C2S], [CLS_S2C]; bits 32.. in flow_cold */
	uint32_t bytes[2];          /* IP bytes; bits 32.. in flow_cold */
	uint32_t phase : 2;         /* enum flow_phase */
	uint32_t verdict : 2;       /* enum verdict */
	uint32_t drop : 1;          /* verdict is block and enforcement applies */
	uint32_t client_is_lo : 1;  /* client = key.addr_lo/port_lo side */
	uint32_t tcp_fin : 1;       /* FIN/RST seen: short timeout */
	uint32_t vpn : 1;           /* decided as a VPN app: judged again when the registry changes */
	/*
	 * Inspecting: the flow's inspection slot in the classify pool (0 =
	 * none yet). Decided: the low 24 bits of the registry generation the
	 * verdict was taken with (16 M reloads before it could alias).
	 */
	uint32_t aux : 24;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct flow) == 64, "struct flow is one cache line");

#define FLOW_GEN_MASK 0xffffffu

/* Beside the hot line, read on decision, reload and export only. */
struct flow_cold {
	uint64_t ts_first;          /* ns */
	const char *check;          /* the validator's check that decided (static string) */
	uint32_t registrant;        /* registrant catalogue row + 1 of the entry that matched, 0 = none */
	uint32_t reg_line;          /* registry line of that entry */
	uint16_t pattern;           /* global pattern index + 1 that nominated the deciding classifier */
	uint16_t decided_at_pkt;
	uint16_t bytes_hi[2];       /* bits 32..47 of the byte counters */
	uint8_t pkts_hi[2];         /* bits 32..39 of the packet counters */
	uint8_t app;                /* classifier id, 0 = unknown */
	uint8_t result;             /* enum cls_result that decided */
	uint8_t sector;             /* registry sector (registered, or a sector policy applied) */
	uint8_t policy;             /* enum policy_applied */
	uint8_t closed;             /* enum window_close, undecided flows */
};
_Static_assert(sizeof(struct flow_cold) == 40, "struct flow_cold changed size");

/*
 * One step of a flow's decision path, for `classify --explain`: a validator's
 * answer to one packet, or the window closing.
 */
#define FLOW_TRAIL_MAX 5
#define STEP_WINDOW_END 0xff     /* result of the step that closed the window: packets or bytes ran out */
#define STEP_WINDOW_IDLE 0xfe    /* ... the flow went quiet */
#define STEP_WINDOW_RECLAIMED 0xfd /* ... its inspection slot was needed */
struct cls_step {
	uint16_t pkt;               /* packet number in the flow */
	uint16_t pattern;           /* signature that nominated the classifier (index + 1), 0 = none */
	uint8_t cls;                /* classifier id */
	uint8_t result;             /* enum cls_result, or STEP_WINDOW_END */
};


/*
 * Inspection state: lent by the worker's pool while the flow is inside its
 * window. classify.c reads and writes it; the worker copies the decision
 * into the flow and hands the rest to the decision event.
 */
struct flow_insp {
	struct cls_state cls;       /* the owning validator's state */
	uint64_t ts_last;           /* ns of the last packet inspected */
	uint32_t win_bytes[2];      /* payload bytes inspected per direction */
	uint32_t tcp_off[2];        /* payload bytes seen per direction */
	uint16_t win_pkts[2];       /* payload packets inspected per direction */
	uint16_t pattern;           /* pattern that made the owner (or the decider) a candidate */
	uint16_t decided_at_pkt;
	const char *check;          /* the deciding check */
	uint8_t phase;              /* classify moves it to FLOW_DECIDED or FLOW_UNDECIDED */
	uint8_t app;
	uint8_t result;
	uint8_t n_steps;            /* steps taken; past FLOW_TRAIL_MAX only counted */
	uint8_t closed;             /* enum window_close */
	uint8_t server;             /* enum cls_server the decision gave */
	uint16_t reasm;             /* first-record reassembly buffer of the worker's pool, 0 = none */
	struct cls_step trail[FLOW_TRAIL_MAX];
	uint32_t slot;              /* the pool's: the flow this belongs to */
	uint32_t next, prev;        /* the pool's lists */
	struct cls_facts facts;     /* what the client's first record said (JA4, SNI) */
	/*
	 * The outer headers each direction's first inspected packet came in
	 * (VLAN ids, MPLS labels, GRE key, VNI, TEID): per direction, because
	 * a GTP-U TEID or an MPLS label differs between them.
	 */
	struct pkt_outer outer[2];
} __attribute__((aligned(64)));

/* What a record handed to the control lcore stands for. */
enum record_kind {
	RECORD_FLOW_END = 0, /* the flow left the table: its final record */
	RECORD_VERDICT,      /* the flow's verdict was taken or changed: an audit event */
};

/*
 * A flow as the control lcore sees it: a verdict event or an end record,
 * copied out of the three parts above into one ring element. The
 * inspection part (path, JA4, SNI) is there when the flow still had its
 * inspection slot: in the event of its first verdict, and in the end
 * record of a flow that ended inside its window.
 */
struct flow_record {
	struct flow_key key;
	uint64_t ts_first, ts_last; /* ns */
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint64_t reg_generation;    /* registry the verdict was taken against */
	const char *check;
	uint32_t registrant;        /* catalogue row + 1, 0 = none */
	uint32_t reg_line;          /* registry line that matched, 0 = none */
	uint16_t pattern;
	uint16_t decided_at_pkt;
	uint8_t kind;               /* enum record_kind */
	uint8_t prev_verdict;       /* RECORD_VERDICT: VERDICT_COUNT when first taken */
	uint8_t end;                /* enum flow_end, RECORD_FLOW_END */
	uint8_t client_is_lo;
	uint8_t phase;
	uint8_t verdict;
	uint8_t drop;
	uint8_t app;
	uint8_t result;
	uint8_t sector;
	uint8_t policy;
	uint8_t tcp_fin;
	uint8_t closed;             /* enum window_close */
	uint8_t has_insp;           /* the fields below are filled */
	uint8_t n_steps;
	uint16_t win_pkts[2];
	uint32_t win_bytes[2];
	struct cls_step trail[FLOW_TRAIL_MAX];
	struct cls_facts facts;
	struct pkt_outer outer[2];  /* by direction, client first */
};

struct flow_table;

struct flow_table_config {
	uint32_t capacity;          /* flows */
	uint64_t udp_timeout_ns;
	uint64_t tcp_timeout_ns;         /* established: both sides have sent */
	uint64_t tcp_syn_timeout_ns;     /* only the client has sent (handshake, scans) */
	uint64_t tcp_closed_timeout_ns;  /* after FIN or RST */
	uint64_t other_timeout_ns;
	/*
	 * An inspecting flow that holds an inspection slot and has been idle
	 * this long gets its window closed (window_fn): the slot goes back to
	 * the pool long before the flow's own timeout. 0 = never.
	 */
	uint64_t window_idle_ns;
};

/*
 * A flow leaving the table (expired, evicted or flushed): the owner writes
 * its end record and gives back its inspection slot. slot names it for
 * flow_table_cold(); the flow is still in place during the call.
 */
typedef void (*flow_export_fn)(void *arg, uint32_t slot, enum flow_end why);

struct flow_table_hooks {
	flow_export_fn export_fn;
	/*
	 * An inspecting flow holding an inspection slot was found idle past
	 * window_idle_ns (on its next packet, by the scan or at the flush):
	 * close its window, as of its last packet + window_idle_ns.
	 */
	void (*window_fn)(void *arg, uint32_t slot);
	void *arg;
};

/*
 * ctr: the worker's counters; the table counts flows created, expired,
 * evicted (by what was evicted), flushed and active, and its size there.
 */
struct flow_table *flow_table_create(const char *name, int socket, const struct flow_table_config *cfg,
				     const struct flow_table_hooks *hooks, struct worker_stats *ctr);
void flow_table_free(struct flow_table *t);

/*
 * Canonical key and its hash (symmetric: both directions give the same).
 * The hash is 64 bits: two CRC32C of the key, one for the bucket and one
 * for the signature, so they are independent.
 */
uint64_t flow_key_make(const struct pkt_info *pi, struct flow_key *key, bool *src_is_lo);

/*
 * The flow for a packet: existing, or new (a flow idle past its timeout is
 * exported and started anew, so results depend only on packet times). *dir is
 * the packet's direction relative to the client. NULL only when the table
 * cannot make room. *slot names the flow.
 */
struct flow *flow_lookup_or_add(struct flow_table *t, const struct flow_key *key, uint64_t hash, bool src_is_lo,
				uint64_t now, uint8_t *dir, uint32_t *slot);

/*
 * The same for a burst of up to FLOW_BULK_MAX packets, in order, each at its
 * own time now[i]: flows[i] is NULL where the table could not make room.
 * Results equal n single calls.
 */
#define FLOW_BULK_MAX 32
void flow_lookup_or_add_bulk(struct flow_table *t, const struct flow_key *const *keys, const uint64_t *hashes,
			     const bool *src_is_lo, uint32_t n, const uint64_t *now, struct flow **flows,
			     uint8_t *dirs, uint32_t *slots);

/*
 * A bucket: 8 entries of (16-bit signature, slot), one cache line. A flow
 * lives in the bucket its hash names (the primary) unless that is full, then
 * in the alternative one (cuckoo); its slot indexes the hot and cold arrays.
 */
#define BUCKET_ENTRIES 8
struct ft_bucket {
	uint16_t sig[BUCKET_ENTRIES];
	uint32_t slot[BUCKET_ENTRIES];  /* 0 = empty */
	uint8_t pad[16];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ft_bucket) == 64, "a bucket is one cache line");

/* Where a table's arrays are: the first member of struct flow_table, for the inline accessors. */
struct flow_table_layout {
	struct ft_bucket *buckets;
	struct flow *hot;           /* [0..n_slots], slot 0 unused */
	struct flow_cold *cold;
	uint32_t bucket_mask;
};

/* A slot's parts. */
static inline struct flow *flow_table_flow(const struct flow_table *t, uint32_t slot)
{
	return &((const struct flow_table_layout *)(const void *)t)->hot[slot];
}

static inline struct flow_cold *flow_table_cold(const struct flow_table *t, uint32_t slot)
{
	return &((const struct flow_table_layout *)(const void *)t)->cold[slot];
}

/*
 * Starts loading the primary bucket of a hash: the parse stage calls it as
 * soon as a packet's hash is known, so the bucket is on its way while the
 * rest of the burst is parsed.
 */
static inline void flow_table_prefetch(const struct flow_table *t, uint64_t hash)
{
	const struct flow_table_layout *l = (const struct flow_table_layout *)(const void *)t;
	__builtin_prefetch(&l->buckets[(uint32_t)hash & l->bucket_mask]);
}

/* Counts a packet of len IP bytes in direction dir (the high bits spill into the cold part). */
static inline void flow_count(struct flow *f, struct flow_cold *c, uint8_t dir, uint32_t len)
{
	if (__builtin_expect(++f->pkts[dir] == 0, 0))
		c->pkts_hi[dir]++;
	uint32_t b = f->bytes[dir];
	f->bytes[dir] = b + len;
	if (__builtin_expect(f->bytes[dir] < b, 0))
		c->bytes_hi[dir]++;
}

/* The 64-bit counters of a flow. */
static inline uint64_t flow_pkts(const struct flow *f, const struct flow_cold *c, unsigned int dir)
{
	return (uint64_t)c->pkts_hi[dir] << 32 | f->pkts[dir];
}

static inline uint64_t flow_bytes(const struct flow *f, const struct flow_cold *c, unsigned int dir)
{
	return (uint64_t)c->bytes_hi[dir] << 32 | f->bytes[dir];
}

/* The packet number a flow's newest packet has (both directions, saturating at 65535). */
static inline uint16_t flow_pkt_no(const struct flow *f)
{
	uint64_t n = (uint64_t)f->pkts[0] + f->pkts[1];
	return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* Turns the flow round: the other side is the client (counters follow). */
void flow_swap_sides(struct flow *f, struct flow_cold *c);

/* ns of the flow's last packet, given the table's present time now (ns). */
uint64_t flow_last_ns(const struct flow *f, uint64_t now);

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
/*
 * Export every flow (end of input, shutdown) at time now: offline the end
 * of the capture, the same for every worker, so what a flow's record says
 * does not depend on which worker held it.
 */
void flow_table_flush(struct flow_table *t, uint64_t now);
/* Slots the table holds flows in. */
uint32_t flow_table_slots(const struct flow_table *t);

#endif
