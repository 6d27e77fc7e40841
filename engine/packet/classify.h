/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification stage: one Hyperscan block-mode database built at start
 * from every classifier's patterns, one scratch per worker. A match only
 * nominates a candidate; the classifier decides (classifier.h: the contract).
 */
#ifndef TUNDRA_CLASSIFY_H
#define TUNDRA_CLASSIFY_H

#include <stdint.h>
#include <stdio.h>

#include <hs/hs.h>

#include "classifier.h"
#include "counters.h"
#include "flow.h"

/* Candidate bookkeeping is a fixed array on the stack: bounded on purpose. */
#define CLASSIFY_MAX_CLASSIFIERS 63

struct classify_db {
	const struct classifier *const *tab; /* the table it was built from, ids 1-based */
	unsigned int n_cls;
	uint8_t order[CLASSIFY_MAX_CLASSIFIERS]; /* ids by priority: the order candidates are offered */
	hs_database_t *db;
	unsigned int n_patterns;
	/* global pattern index → owning classifier id and its pattern */
	uint8_t *pattern_cls;
	const struct cls_pattern **pattern;
	uint16_t max_pkts_needed;
	/* by transport bit (CLS_UDP, CLS_TCP, CLS_IP): ids of pattern-less classifiers */
	uint8_t always[3][CLASSIFY_MAX_CLASSIFIERS];
	uint8_t n_always[3];
	uint8_t any_ip;               /* some classifier reads CLS_IP flows */
};

/*
 * ClientHello reassembly. A TCP client whose first TLS record is a
 * ClientHello longer than its first segment borrows one buffer from its
 * worker's pool until the record is whole; the pool is allocated once at
 * start, so the packet path never allocates. One buffer holds one record:
 * at most 2^14 bytes of plaintext (RFC 8446 5.1) behind its 5-byte header.
 * A ClientHello normally completes within one round trip, so a few hundred
 * buffers cover a worker's new TLS flows; an empty pool costs that flow its
 * JA4 (counted), nothing else.
 */
#define CLASSIFY_REASM_BUFS 256u      /* per worker: 256 * CLASSIFY_REASM_STRIDE = 4 MiB */
#define CLASSIFY_REASM_CAP CLS_RECORD_MAX
#define CLASSIFY_REASM_STRIDE ((CLASSIFY_REASM_CAP + 63u) & ~63u)
/* Segments (duplicates included) one reassembly may take before giving up. */
#define CLASSIFY_REASM_MAX_SEGS 512u
/* With the pool empty, a reassembly whose flow was idle this long is given up for a new one. */
#define CLASSIFY_REASM_IDLE_NS 2000000000ull

struct classify_reasm {
	struct flow_insp *flow;     /* owner, NULL when free */
	uint32_t next_seq;          /* TCP sequence number of the next byte wanted */
	uint32_t have;              /* bytes in buf */
	uint32_t need;              /* record header + record length */
	uint16_t segs;              /* segments taken, duplicates included */
	uint16_t next;              /* free list / in-use list links (0 = none) */
	uint16_t prev;
};

/*
 * Inspection slots: one per flow inside its window, lent from a pool
 * allocated once at start (flow.h, struct flow_insp; how many is
 * --inspect-slots, engine/cli/options.h). A slot whose flow has
 * been idle this long may be taken back for a new flow when the pool is
 * empty (its window closes undecided): a handshake's packets follow each
 * other within round trips, and a pool pinned by silent flows would leave
 * new ones uninspected.
 */
#define CLASSIFY_INSP_RECLAIM_NS 1000000000ull

/* Per-worker classification context. */
struct classify_ctx {
	const struct classify_db *cdb;
	hs_scratch_t *scratch;
	uint16_t window_pkts;       /* payload packets per direction */
	uint32_t window_bytes;      /* payload bytes per direction */
	struct worker_stats *ctr;   /* the worker's counters (hs_errors, reasm_*) */
	/* Reassembly pool: slots 1..reasm_bufs (0 = none), data at (i - 1) * CLASSIFY_REASM_STRIDE. */
	uint16_t reasm_bufs;
	uint16_t reasm_n_free;
	uint16_t reasm_free;        /* free list head */
	uint16_t reasm_oldest;      /* in-use list, oldest first */
	uint16_t reasm_newest;
	struct classify_reasm *reasm;
	uint8_t *reasm_data;
	/*
	 * Inspection slots 1..insp_n (0 = none): a free list of given-back
	 * ones, never-used ones from insp_fresh on (so pages are touched only
	 * as flows need them), and the in-use list, oldest first.
	 */
	struct flow_insp *insp;
	uint32_t insp_n;
	uint32_t insp_n_free;
	uint32_t insp_free;
	uint32_t insp_fresh;
	uint32_t insp_oldest, insp_newest;
};

/* The database of tundra_classifiers[]; -1 with the reason in err (a table that breaks the contract, too). */
int classify_db_build(struct classify_db *cdb, char *err, size_t errlen);
/* The same from another table (tests: what the checks refuse). */
int classify_db_build_from(struct classify_db *cdb, const struct classifier *const *tab, unsigned int n_cls,
			   char *err, size_t errlen);
void classify_db_free(struct classify_db *cdb);
/*
 * reasm_bufs: ClientHello buffers (CLASSIFY_REASM_BUFS in the engine; 0 = no
 * reassembly). insp_slots: inspection slots (0 = none: the caller brings its
 * own struct flow_insp, as the tests do). ctr: where the context counts (it
 * must outlive the context).
 */
int classify_ctx_init(struct classify_ctx *ctx, const struct classify_db *cdb, uint16_t window_pkts,
		      uint32_t window_bytes, unsigned int reasm_bufs, uint32_t insp_slots, struct worker_stats *ctr);

/* An inspection slot for the flow in table slot flow_slot, zeroed; 0 when the pool is empty. */
uint32_t classify_insp_get(struct classify_ctx *ctx, uint32_t flow_slot);
/* Gives a slot back (with whatever it borrowed). */
void classify_insp_put(struct classify_ctx *ctx, uint32_t ix);

static inline struct flow_insp *classify_insp(const struct classify_ctx *ctx, uint32_t ix)
{
	return &ctx->insp[ix];
}

/*
 * With the pool empty: the table slot of the flow whose inspection slot is
 * the oldest and has been idle at least min_idle_ns at now, 0 when there is
 * none (recently active ones are moved to the back: a second chance).
 */
uint32_t classify_insp_reclaimable(struct classify_ctx *ctx, uint64_t now, uint64_t min_idle_ns);

/*
 * The flow's window closes before a decision, for why (enum window_close:
 * idle, or its slot is needed): its owner may still decide on what it saw
 * (conclude()); otherwise it is undecided.
 */
void classify_close_window(const struct classify_db *cdb, struct flow_insp *f, uint16_t pkt_no, uint8_t why);
/* The flow leaves the table inside its window: true when its owner decided on what it saw. */
bool classify_flow_ends(const struct classify_db *cdb, struct flow_insp *f, uint16_t pkt_no);
void classify_ctx_free(struct classify_ctx *ctx);

/*
 * Feed one payload-carrying packet of an inspecting flow (f->ts_last set to
 * the packet's time by the caller). Moves f to FLOW_DECIDED (app set) or
 * FLOW_UNDECIDED when the window closes. Returns
 * true when this packet changed the phase. tcp_seq: the TCP sequence number
 * of payload[0] (one past the header's in a SYN, whose data follows the
 * SYN's own number), for ClientHello reassembly; ignored for UDP and IP.
 */
bool classify_packet(struct classify_ctx *ctx, struct flow_insp *f, const uint8_t *payload, uint32_t len,
		     uint8_t l4, uint8_t ip_proto, uint8_t dir, uint16_t pkt_no, uint16_t src_port,
		     uint16_t dst_port, uint32_t tcp_seq);

/* Takes back the flow's reassembly buffer, counted as given up. */
void classify_reasm_drop(struct classify_ctx *ctx, struct flow_insp *f);

/* A flow leaves the table: whatever it borrowed goes back. Every flow removal must call it. */
static inline void classify_flow_end(struct classify_ctx *ctx, struct flow_insp *f)
{
	if (f->reasm != 0)
		classify_reasm_drop(ctx, f);
}

/*
 * "wireguard/wireguard-handshake-init/handshake-init+response-index-match/confirmed@pkt2";
 * a label a tie gave has no deciding packet: "openconnect/-/tie:openconnect-dtls+tls/likely".
 */
int classify_reason(const struct classify_db *cdb, const struct flow_record *f, char *buf, size_t len);

/* The flow's decision path, one line per step, each line starting with indent. */
void classify_explain(const struct classify_db *cdb, const struct flow_record *f, const char *indent, FILE *out);

#endif
