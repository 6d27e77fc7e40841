/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier descriptor: what one VPN protocol contributes to the engine.
 * Each protocol lives in one file under classifiers/ and exports one
 * descriptor; classifiers.c lists them in the one table. The engine only
 * ever sees this interface, so adding a protocol never touches engine/.
 */
#ifndef TUNDRA_CLASSIFIER_H
#define TUNDRA_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Transport a pattern or validator applies to. */
#define CLS_UDP 0x1
#define CLS_TCP 0x2
/* Any other IP protocol (ESP, GRE, ...): payload = bytes after the IP headers. */
#define CLS_IP 0x4

/* Direction of a payload relative to the flow's client (first sender). */
enum cls_dir { CLS_C2S = 0, CLS_S2C = 1 };

/* Outcome of one validator call. */
enum cls_result {
	CLS_NO = 0,      /* not this protocol: drop it as a candidate */
	CLS_MORE,        /* consistent so far, need more packets */
	CLS_LIKELY,      /* decided on structure of one side only */
	CLS_CONFIRMED,   /* decided: structure and the peer's reply agree */
};

/* Per-flow scratch a validator keeps between packets; one owner at a time. */
#define CLS_STATE_BYTES 24
struct cls_state {
	uint8_t owner;   /* classifier id that holds data[], 0 = free */
	uint8_t step;
	uint8_t data[CLS_STATE_BYTES - 2];
};

/* What a validator sees of one packet inside the classification window. */
struct cls_pkt {
	const uint8_t *payload;
	uint32_t len;
	uint8_t l4;             /* CLS_UDP or CLS_TCP */
	uint8_t dir;            /* enum cls_dir */
	uint16_t pkt_no;        /* 1-based packet number within the flow */
	uint16_t src_port, dst_port;
	uint32_t tcp_offset;    /* stream offset of payload[0] in this direction */
	uint8_t ip_proto;       /* IP protocol number (6, 17, 50, 47, ...) */
};

struct cls_pattern {
	const char *regex;      /* Hyperscan syntax, compiled with DOTALL */
	uint8_t l4;             /* CLS_UDP | CLS_TCP */
	const char *name;       /* signature name, reported as the reason */
};

struct cls_verdict {
	enum cls_result result;
	const char *check;      /* the check that decided, for the reason */
};

struct classifier {
	const char *name;                 /* the app label printed */
	/*
	 * Payload signatures. A classifier without patterns (n_patterns 0) is a
	 * candidate for every inspected payload of its transports: for
	 * protocols whose first bytes are random (ESP, GRE data).
	 */
	const struct cls_pattern *patterns;
	unsigned int n_patterns;
	uint8_t l4;                       /* transports it applies to */
	uint8_t pkts_needed;              /* packets it may need to decide */
	/*
	 * Called for a payload that one of this classifier's patterns matched,
	 * or for any payload once the classifier owns the flow's state.
	 */
	struct cls_verdict (*validate)(const struct cls_pkt *pkt, struct cls_state *st, uint8_t self_id);
};

/* The one table (classifiers.c): ids are 1-based indexes into it. */
extern const struct classifier *const tundra_classifiers[];
extern const unsigned int tundra_n_classifiers;

/* 1..n for a known app name, -1 otherwise. */
int classifier_id_by_name(const char *name);
/* "unknown" for 0. */
const char *classifier_name(unsigned int id);

#endif
