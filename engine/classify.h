/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification stage: one Hyperscan block-mode database built at start
 * from every classifier's patterns, one scratch per worker. A match only
 * nominates a candidate; the classifier's validator decides.
 */
#ifndef TUNDRA_CLASSIFY_H
#define TUNDRA_CLASSIFY_H

#include <stdint.h>
#include <stdio.h>

#include <hs/hs.h>

#include "classifier.h"
#include "flow.h"

/* Candidate bookkeeping is a fixed array on the stack: bounded on purpose. */
#define CLASSIFY_MAX_CLASSIFIERS 63

struct classify_db {
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

/* Per-worker classification context. */
struct classify_ctx {
	const struct classify_db *cdb;
	hs_scratch_t *scratch;
	uint16_t window_pkts;       /* payload packets per direction */
	uint32_t window_bytes;      /* payload bytes per direction */
	uint64_t hs_errors;
};

int classify_db_build(struct classify_db *cdb, char *err, size_t errlen);
void classify_db_free(struct classify_db *cdb);
int classify_ctx_init(struct classify_ctx *ctx, const struct classify_db *cdb, uint16_t window_pkts,
		      uint32_t window_bytes);
void classify_ctx_free(struct classify_ctx *ctx);

/*
 * Feed one payload-carrying packet of an inspecting flow. Moves the flow to
 * FLOW_DECIDED (app set) or FLOW_UNDECIDED when the window closes. Returns
 * true when this packet changed the phase.
 */
bool classify_packet(struct classify_ctx *ctx, struct flow *f, const uint8_t *payload, uint32_t len,
		     uint8_t l4, uint8_t ip_proto, uint8_t dir, uint16_t pkt_no, uint16_t src_port,
		     uint16_t dst_port);

/*
 * "wireguard/wireguard-handshake-init/handshake-init+response-index-match/confirmed@pkt2";
 * a label a tie gave has no deciding packet: "openconnect/-/tie:openconnect-dtls+tls/likely".
 */
int classify_reason(const struct classify_db *cdb, const struct flow *f, char *buf, size_t len);

/* The flow's decision path, one line per step, each line starting with indent. */
void classify_explain(const struct classify_db *cdb, const struct flow *f, const char *indent, FILE *out);

#endif
