/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the classifiers' validators. One input is one flow:
 *   byte 0        bit 0: transport (0 UDP, 1 TCP); bit 1: junk in st while
 *                 nobody owns the flow; bit 2: rescan a packet its owner
 *                 refused; bit 3: every classifier a candidate for every
 *                 packet (else only for payloads whose first bytes look like
 *                 one of its patterns, a cheap stand-in for Hyperscan)
 *   then packets  2-byte header (bit 15 = direction, bits 0..10 = length,
 *                 cut to what is left) + payload; at most 24 packets
 * Each payload is copied into its own heap buffer of exactly its length so
 * AddressSanitizer sees any read past it. The engine contract of
 * classifiers/classifiers.c is followed (no Hyperscan needed), and its
 * rules are asserted: a validator that does not own the flow and answers
 * CLS_NO leaves st untouched, nobody but the engine writes st->owner, every
 * result is in range and a decision carries a check string.
 *
 * Build and run (from the repository root):
 *   clang -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iclassifiers classifiers/[a-z]*.c \
 *     tests/fuzz/fuzz_classifiers.c -o /tmp/fuzz_classifiers
 *   /tmp/fuzz_classifiers -max_total_time=60 -max_len=4096 \
 *     /tmp/fuzz_corpus tests/data/classifiers
 * Add -DFZ_REPORT to print what each input decided (e.g. run it on the
 * seeds: every one in tests/data/classifiers decides its protocol).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_REPORT
#include <stdio.h>
#endif

#include "classifier.h"

#define FZ_MAX_PKTS 24
#define FZ_TCP 0x1
#define FZ_GARBAGE 0x2
#define FZ_RESCAN 0x4
#define FZ_ALL_CANDIDATES 0x8

#define FZ_ASSERT(c)                                                                 \
	do {                                                                         \
		if (!(c))                                                            \
			__builtin_trap();                                            \
	} while (0)

struct fz_flow {
	struct cls_state st;
	uint8_t l4, flags;
	uint16_t pkt_no;
	uint32_t off[2];
	unsigned int app;
	uint32_t junk;
};

/* Rough stand-in for the patterns: the bytes each classifier anchors on. */
static int
fz_looks_like(unsigned int idx, const uint8_t *p, uint32_t len, uint8_t l4)
{
	const char *name = tundra_classifiers[idx]->name;

	if (strcmp(name, "wireguard") == 0)
		return l4 == CLS_UDP && len >= 4 && p[0] >= 1 && p[0] <= 4 && !p[1] && !p[2] && !p[3];
	if (strcmp(name, "openvpn") == 0) {
		uint32_t o = l4 == CLS_TCP ? 2 : 0;

		return len >= o + 14 && (p[o] == 0x38 || p[o] == 0x50 || p[o] == 0x40);
	}
	return 1;
}

static void
fz_validate(struct fz_flow *f, const struct cls_pkt *pkt, unsigned int idx, struct cls_verdict *v)
{
	*v = tundra_classifiers[idx]->validate(pkt, &f->st, (uint8_t)(idx + 1));
	FZ_ASSERT(v->result <= CLS_CONFIRMED);
	FZ_ASSERT(v->result == CLS_NO || v->result == CLS_MORE || v->check != NULL);
}

static void
fz_scan(struct fz_flow *f, const struct cls_pkt *pkt)
{
	unsigned int i, k;

	for (i = 0; i < tundra_n_classifiers; i++) {
		struct cls_state before;
		struct cls_verdict v;

		if (!(tundra_classifiers[i]->l4 & pkt->l4))
			continue;
		if (!(f->flags & FZ_ALL_CANDIDATES) && !fz_looks_like(i, pkt->payload, pkt->len, pkt->l4))
			continue;
		if (f->flags & FZ_GARBAGE) {
			for (k = 0; k < sizeof(f->st.data); k++) {
				f->junk = f->junk * 1103515245u + 12345u;
				f->st.data[k] = (uint8_t)(f->junk >> 16);
			}
			f->st.step = (uint8_t)(f->junk >> 8);
		}
		before = f->st;
		fz_validate(f, pkt, i, &v);
		FZ_ASSERT(f->st.owner == 0);
		if (v.result == CLS_NO) {
			FZ_ASSERT(memcmp(&before, &f->st, sizeof(before)) == 0);
			continue;
		}
		if (v.result == CLS_MORE)
			f->st.owner = (uint8_t)(i + 1);
		else
			f->app = i + 1;
		return;
	}
}

static void
fz_feed(struct fz_flow *f, uint8_t dir, const uint8_t *data, uint32_t len)
{
	struct cls_pkt pkt;
	uint8_t *copy;

	if (f->app != 0)
		return;
	f->pkt_no++;
	if (len == 0)
		return;
	copy = malloc(len);
	if (copy == NULL)
		return;
	memcpy(copy, data, len);
	memset(&pkt, 0, sizeof(pkt));
	pkt.payload = copy;
	pkt.len = len;
	pkt.l4 = f->l4;
	pkt.dir = dir;
	pkt.pkt_no = f->pkt_no;
	pkt.src_port = dir ? 443 : 50000;
	pkt.dst_port = dir ? 50000 : 443;
	pkt.tcp_offset = f->l4 == CLS_TCP ? f->off[dir] : 0;
	if (f->st.owner == 0) {
		fz_scan(f, &pkt);
	} else {
		unsigned int id = f->st.owner;
		struct cls_verdict v;

		FZ_ASSERT(id >= 1 && id <= tundra_n_classifiers);
		fz_validate(f, &pkt, id - 1, &v);
		FZ_ASSERT(f->st.owner == id);
		if (v.result == CLS_NO) {
			memset(&f->st, 0, sizeof(f->st));
			if (f->flags & FZ_RESCAN)
				fz_scan(f, &pkt);
		} else if (v.result != CLS_MORE) {
			f->app = id;
		}
	}
	if (f->l4 == CLS_TCP)
		f->off[dir] += len;
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_flow f;
	size_t pos = 1;
	unsigned int n;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.flags = data[0];
	f.l4 = (data[0] & FZ_TCP) ? CLS_TCP : CLS_UDP;
	f.junk = data[0] * 2654435761u;
	for (n = 0; n < FZ_MAX_PKTS && pos + 2 <= size; n++) {
		uint16_t h = (uint16_t)(data[pos] << 8 | data[pos + 1]);
		uint32_t len = h & 0x7ffu;

		pos += 2;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		fz_feed(&f, (uint8_t)(h >> 15), data + pos, len);
		pos += len;
	}
#ifdef FZ_REPORT
	/* -DFZ_REPORT: say what each input decided (to check the seeds). */
	fprintf(stderr, "decided: %s at packet %u\n", classifier_name(f.app), f.pkt_no);
#endif
	return 0;
}
