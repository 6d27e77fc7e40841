/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drives classifiers through the engine's real classification stage
 * (engine/packet/classify.c: the one Hyperscan database, candidates, ownership,
 * window) without DPDK, so a classifier test checks what the engine will
 * do, not a re-implementation of it. Payloads are copied into buffers of
 * exactly their length so ASan catches any over-read.
 *
 *   struct harness h; harness_init(&h, 8, 4096);
 *   struct flow_insp f; harness_flow(&f, 17);
 *   harness_feed(&h, &f, CLS_C2S, bytes, len, 40000, 51820);
 *   CHECK_STR(classifier_name(f.app), "wireguard");
 */
#ifndef TUNDRA_CLS_HARNESS_H
#define TUNDRA_CLS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

struct harness {
	struct classify_db db;
	struct classify_ctx ctx;
	struct worker_stats ctr;    /* what the context counts */
};

/* reasm_bufs: ClientHello reassembly buffers (the engine's CLASSIFY_REASM_BUFS by default). */
static inline void harness_init_pool(struct harness *h, uint16_t window_pkts, uint32_t window_bytes,
				     unsigned int reasm_bufs)
{
	char err[256] = "classify context";
	memset(&h->ctr, 0, sizeof(h->ctr));
	if (classify_db_build(&h->db, err, sizeof(err)) != 0 ||
	    classify_ctx_init(&h->ctx, &h->db, window_pkts, window_bytes, reasm_bufs, 0, &h->ctr) != 0) {
		fprintf(stderr, "harness: %s\n", err);
		exit(1);
	}
}

static inline void harness_init(struct harness *h, uint16_t window_pkts, uint32_t window_bytes)
{
	harness_init_pool(h, window_pkts, window_bytes, CLASSIFY_REASM_BUFS);
}

static inline void harness_free(struct harness *h)
{
	classify_ctx_free(&h->ctx);
	classify_db_free(&h->db);
}

/*
 * What the worker's flow table knows of a flow and the inspection slot does
 * not (its protocol, its packet count), kept beside each test flow.
 */
struct harness_flow_info {
	const struct flow_insp *f;
	uint8_t proto;
	uint32_t pkts[2];
};
#define HARNESS_FLOWS 8192
static struct harness_flow_info harness_fi[HARNESS_FLOWS];

static inline struct harness_flow_info *harness_info(const struct flow_insp *f)
{
	uintptr_t k = (uintptr_t)f;
	size_t i = (size_t)((k >> 6) * 0x9e3779b97f4a7c15ull >> 40) % HARNESS_FLOWS;
	for (size_t n = 0; n < HARNESS_FLOWS; n++, i = (i + 1) % HARNESS_FLOWS)
		if (harness_fi[i].f == f || harness_fi[i].f == NULL) {
			harness_fi[i].f = f;
			return &harness_fi[i];
		}
	fprintf(stderr, "harness: more than %d flows\n", HARNESS_FLOWS);
	exit(1);
}

/* A fresh flow of IP protocol proto (6 TCP, 17 UDP, 50 ESP, 47 GRE, ...). */
static inline void harness_flow(struct flow_insp *f, uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	struct harness_flow_info *fi = harness_info(f);
	fi->proto = proto;
	fi->pkts[0] = fi->pkts[1] = 0;
}

/*
 * One packet of the flow in direction dir (CLS_C2S / CLS_S2C), counted in
 * the flow's packet number, with TCP sequence number seq. Payload-less
 * packets (TCP handshake) only count. Returns the flow's phase afterwards.
 */
static inline int harness_feed_seq(struct harness *h, struct flow_insp *f, uint8_t dir, const void *payload,
				   uint32_t len, uint16_t src_port, uint16_t dst_port, uint32_t seq)
{
	struct harness_flow_info *fi = harness_info(f);
	fi->pkts[dir]++;
	if (f->phase != FLOW_INSPECTING || len == 0)
		return f->phase;
	uint8_t l4 = fi->proto == 6 ? CLS_TCP : fi->proto == 17 ? CLS_UDP : CLS_IP;
	if (l4 == CLS_IP && !h->db.any_ip) {
		f->phase = FLOW_UNDECIDED;
		return f->phase;
	}
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		exit(1);
	memcpy(copy, payload, len);
	uint32_t n = fi->pkts[0] + fi->pkts[1];
	classify_packet(&h->ctx, f, copy, len, l4, fi->proto, dir, (uint16_t)(n > 65535 ? 65535 : n), src_port,
			dst_port, seq);
	free(copy);
	return f->phase;
}

/* The same, in order: each segment starts where the direction's stream is (initial sequence number 0). */
static inline int harness_feed(struct harness *h, struct flow_insp *f, uint8_t dir, const void *payload,
			       uint32_t len, uint16_t src_port, uint16_t dst_port)
{
	return harness_feed_seq(h, f, dir, payload, len, src_port, dst_port, f->tcp_off[dir]);
}

/* The flow leaves the table (what the worker's export does). */
static inline void harness_end(struct harness *h, struct flow_insp *f)
{
	classify_flow_end(&h->ctx, f);
}

/* The reason a record of this flow would give (classify_reason on what the worker copies out). */
static inline int harness_reason(const struct harness *h, const struct flow_insp *f, char *buf, size_t len)
{
	struct flow_record r;
	memset(&r, 0, sizeof(r));
	r.phase = f->phase;
	r.app = f->app;
	r.result = f->result;
	r.check = f->check;
	r.pattern = f->pattern;
	r.decided_at_pkt = f->decided_at_pkt;
	return classify_reason(&h->db, &r, buf, len);
}

/* The decided app's name ("unknown" while undecided). */
static inline const char *harness_app(const struct flow_insp *f)
{
	return f->phase == FLOW_DECIDED ? classifier_name(f->app) : "unknown";
}

#endif
