/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for ClientHello reassembly in the engine's real
 * classification stage (engine/packet/classify.c, with Hyperscan): up to 8 TCP
 * flows share one worker's pool and are fed segments with sequence numbers
 * chosen by the input -- in order, retransmitted, overlapping, with gaps --
 * interleaved across flows, with flows ending in the middle and time
 * jumping (idle reclaim). One input:
 *   byte 0        bits 0..1: pool size 1 / 2 / 3 / CLASSIFY_REASM_BUFS;
 *                 bit 2: a small window (3 packets, 600 bytes)
 *   then records  4-byte header [+ payload]:
 *                 h[0] bits 0..2: flow; bit 3: the flow ends (a new one
 *                 takes its place); bit 4: time moves 3 s; bit 5: make the
 *                 flow's ClientHello, h[2] * 64 bytes (padded, at least
 *                 its natural size); bit 6: send bytes of that ClientHello
 *                 (client side) instead of payload bytes from the input;
 *                 bit 7: direction (1 = server)
 *                 h[1..2] bits 0..13: length (cut to what is left)
 *                 h[3] signed: where the segment starts, in 16-byte steps
 *                 from the end of what this direction sent so far (0 = the
 *                 next byte, < 0 a retransmission, > 0 a gap)
 * Payloads are copied into heap buffers of exactly their length so
 * AddressSanitizer sees any read past them. Asserted after every record:
 * a buffer is held only by an inspecting flow, each held buffer by exactly
 * one flow, and free + held = the pool; at the end, with every flow ended,
 * the pool is full again. A JA4, when set, is 36 characters.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true -Djemalloc=disabled -Dbench=false
 *   ninja -C build-fuzz tests/fuzz_reasm
 *   build-fuzz/tests/fuzz_reasm -max_total_time=60 /tmp/fuzz_reasm_corpus tests/data/reasm
 * Add -DFZ_REPORT (c_args) to print what each input reassembled.
 */
#include <stdint.h>
#ifdef FZ_REPORT
#include <stdio.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "tls.h"

#define FZ_FLOWS 8
#define FZ_ASSERT(c)                     \
	do {                             \
		if (!(c))                \
			__builtin_trap(); \
	} while (0)

static struct classify_db db;
static struct classify_ctx ctx[8];
static struct worker_stats ctr[8];
static const unsigned int pool_sizes[4] = { 1, 2, 3, CLASSIFY_REASM_BUFS };

struct fz_flow {
	struct flow_insp f;
	uint32_t pkts[2];
	uint32_t sent[2];
	uint16_t port;
	uint32_t hello_len;
	uint8_t hello[CLASSIFY_REASM_CAP];
};

static void
fz_init(void)
{
	char err[256];

	if (db.db != NULL)
		return;
	if (classify_db_build(&db, err, sizeof(err)) != 0)
		__builtin_trap();
	for (unsigned int i = 0; i < 8; i++)
		if (classify_ctx_init(&ctx[i], &db, i & 4 ? 3 : 8, i & 4 ? 600 : 4096, pool_sizes[i & 3], 0, &ctr[i]) != 0)
			__builtin_trap();
}

static void
fz_start(struct fz_flow *z, unsigned int k, uint64_t now)
{
	memset(&z->f, 0, sizeof(z->f));
	z->sent[0] = z->sent[1] = 0;
	z->pkts[0] = z->pkts[1] = 0;
	z->f.ts_last = now;
	z->port = (uint16_t)(40000 + k);
}

static void
fz_check(const struct classify_ctx *c, const struct fz_flow *z)
{
	unsigned int held = 0;

	for (unsigned int k = 0; k < FZ_FLOWS; k++) {
		const struct flow_insp *f = &z[k].f;

		if (f->reasm == 0)
			continue;
		held++;
		FZ_ASSERT(f->phase == FLOW_INSPECTING);
		FZ_ASSERT(f->reasm <= c->reasm_bufs && c->reasm[f->reasm].flow == f);
		for (unsigned int j = 0; j < k; j++)
			FZ_ASSERT(z[j].f.reasm != f->reasm);
	}
	FZ_ASSERT(held + c->reasm_n_free == c->reasm_bufs);
}

/* A Chrome-like ClientHello record of about `total` bytes (padding extension 21). */
static uint32_t
fz_hello(uint8_t *b, uint32_t total)
{
	static const uint8_t head[] = {
		0x16, 0x03, 0x01, 0, 0, 0x01, 0, 0, 0, 0x03, 0x03,
	};
	static const uint8_t ext[] = {
		0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 'f', 'u', 'z', 'z', '.', 'e', 'x', 'a', 'm',
		'p', 'l', 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '2', 0x00, 0x2b, 0x00, 0x03, 0x02, 0x03,
		0x04, 0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,
	};
	uint32_t n = 0, el, min;

	memcpy(b, head, sizeof(head));
	n = sizeof(head);
	memset(b + n, 0x5a, 32), n += 32;                        /* random */
	b[n++] = 0;                                              /* session id */
	b[n++] = 0, b[n++] = 4, b[n++] = 0x13, b[n++] = 0x01, b[n++] = 0xc0, b[n++] = 0x2b;
	b[n++] = 1, b[n++] = 0;                                  /* compression */
	el = n;
	n += 2;
	memcpy(b + n, ext, sizeof(ext)), n += sizeof(ext);
	min = n + 4;
	if (total < min)
		total = min;
	if (total > CLASSIFY_REASM_CAP)
		total = CLASSIFY_REASM_CAP;
	b[n] = 0, b[n + 1] = 0x15, b[n + 2] = (uint8_t)((total - n - 4) >> 8), b[n + 3] = (uint8_t)(total - n - 4);
	memset(b + n + 4, 0, total - n - 4);
	b[el] = (uint8_t)((total - el - 2) >> 8), b[el + 1] = (uint8_t)(total - el - 2);
	b[3] = (uint8_t)((total - 5) >> 8), b[4] = (uint8_t)(total - 5);
	b[6] = (uint8_t)((total - 9) >> 16), b[7] = (uint8_t)((total - 9) >> 8), b[8] = (uint8_t)(total - 9);
	return total;
}

static void
fz_feed(struct classify_ctx *c, struct fz_flow *z, uint8_t dir, const uint8_t *p, uint32_t len, uint32_t start)
{
	uint8_t *copy;

	z->pkts[dir]++;
	if (z->f.phase != FLOW_INSPECTING || len == 0)
		return;
	copy = malloc(len);
	if (copy == NULL)
		return;
	memcpy(copy, p, len);
	classify_packet(c, &z->f, copy, len, CLS_TCP, 6, dir, (uint16_t)(z->pkts[0] + z->pkts[1]),
			dir ? 443 : z->port, dir ? z->port : 443, (dir ? 0x70000000u : 0xfffff000u) + start);
	free(copy);
	if ((int32_t)(start + len - z->sent[dir]) > 0)
		z->sent[dir] = start + len;
	if (z->f.facts.ja4[0] != '\0')
		FZ_ASSERT(strlen(z->f.facts.ja4) == TLS_JA4_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_flow z[FZ_FLOWS];
	struct classify_ctx *c;
	uint64_t now = 1000;
	size_t pos = 1;

	if (size < 1)
		return 0;
	fz_init();
	c = &ctx[data[0] & 7];
	for (unsigned int k = 0; k < FZ_FLOWS; k++) {
		fz_start(&z[k], k, now);
		z[k].hello_len = 0;
	}
	while (pos + 4 <= size) {
		const uint8_t *h = data + pos;
		struct fz_flow *zf = &z[h[0] & 7];
		uint8_t dir = h[0] >> 7;
		uint32_t len = (uint32_t)(h[1] << 8 | h[2]) & 0x3fffu, start;
		int32_t step = (int32_t)(int8_t)h[3] * 16;

		pos += 4;
		if (h[0] & 0x10)
			now += 3000000000ull;
		zf->f.ts_last = now;
		if (h[0] & 0x08) {
			classify_flow_end(c, &zf->f);
			FZ_ASSERT(zf->f.reasm == 0);
			fz_start(zf, h[0] & 7u, now);
		} else if (h[0] & 0x20) {
			zf->hello_len = fz_hello(zf->hello, (uint32_t)h[2] * 64);
		} else if (h[0] & 0x40) {
			start = step < 0 && (uint32_t)-step > zf->sent[CLS_C2S] ? 0 : zf->sent[CLS_C2S] + (uint32_t)step;
			if (start < zf->hello_len)
				fz_feed(c, zf, CLS_C2S, zf->hello + start,
					len < zf->hello_len - start ? len : zf->hello_len - start, start);
		} else {
			if (len > size - pos)
				len = (uint32_t)(size - pos);
			fz_feed(c, zf, dir, data + pos, len, zf->sent[dir] + (uint32_t)step);
			pos += len;
		}
		fz_check(c, z);
	}
#ifdef FZ_REPORT
	/* -DFZ_REPORT: what the seeds do (each should reassemble, give up or run out as its name says). */
	for (unsigned int k = 0; k < FZ_FLOWS; k++)
		if (z[k].f.facts.ja4[0] || z[k].f.reasm)
			fprintf(stderr, "flow %u: ja4 %s sni %s holding %u\n", k, z[k].f.facts.ja4, z[k].f.facts.sni, z[k].f.reasm);
	fprintf(stderr, "pool %u: done %llu gave_up %llu no_buffer %llu\n", c->reasm_bufs,
		(unsigned long long)c->ctr->reasm_done, (unsigned long long)c->ctr->reasm_gave_up,
		(unsigned long long)c->ctr->reasm_no_buffer);
#endif
	for (unsigned int k = 0; k < FZ_FLOWS; k++)
		classify_flow_end(c, &z[k].f);
	fz_check(c, z);
	FZ_ASSERT(c->reasm_n_free == c->reasm_bufs && c->reasm_oldest == 0);
	return 0;
}
