/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the classifiers, two ways. One input is one flow:
 *   byte 0        bit 0: transport (0 UDP, 1 TCP); bit 1: the flow ends
 *                 after its last packet (else its window closes idle);
 *                 bit 2: a small window (3 packets, 600 bytes, else 8 and
 *                 4096 as the engine's default); bit 3: direct mode (below);
 *                 bit 4: another IP protocol (CLS_IP, overrides bit 0),
 *                 bit 5 picks which: 0 ESP (50), 1 GRE (47); bits 6..7:
 *                 the server port, 443 / 500 / 4500 / 4501, or, with bit 5
 *                 set and bit 4 clear (UDP/TCP), 655 / 9993 / 41641 / 10000
 *                 (tinc, ZeroTier, Tailscale, cisco-ipsec: validators read ports)
 *   then packets  2-byte header (bit 15 = direction, bits 0..10 = length,
 *                 cut to what is left) + payload; at most 24 packets
 *
 * Engine mode: the flow goes through the real classification stage
 * (engine/packet/classify.c with the one Hyperscan database: candidates by
 * pattern and priority, ownership, max_owned, the window, conclude()), so
 * what is fuzzed is what the engine runs. Asserted after every packet and
 * at the end: the phase and result are in range, a decided flow has an app
 * and a check and a reason can be written, and the reassembly pool is full
 * again once the flow has left.
 *
 * Direct mode: every classifier of its transport is offered every payload
 * through its own first() (Hyperscan would nominate only some), follows the
 * flow through owned() once it claims it, and is asked to conclude() when
 * the payloads run out. Its state is a heap block of exactly state_size
 * bytes, so AddressSanitizer sees a write past what it declared. Asserted:
 * results and server sides in range, every decision carries a check.
 *
 * Payloads are copied into heap buffers of exactly their length.
 *
 *   CC=clang meson setup build-fuzz -Dfuzz=true -Djemalloc=disabled -Dbench=false
 *   ninja -C build-fuzz tests/fuzz_classifiers
 *   build-fuzz/tests/fuzz_classifiers -max_total_time=60 -max_len=4096 /tmp/fz tests/data/classifiers
 * Add -DFZ_REPORT (c_args) to print what each input decided (the seeds of
 * tests/data/classifiers are decisions, and near misses that must not be).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_REPORT
#include <stdio.h>
#endif

#include "../unit/cls_harness.h"

#define FZ_MAX_PKTS 24
#define FZ_TCP 0x1
#define FZ_ENDS 0x2
#define FZ_SMALL 0x4
#define FZ_DIRECT 0x8
#define FZ_IP 0x10
#define FZ_GRE 0x20
#define FZ_PORT_SHIFT 6

static const uint16_t fz_ports[4] = { 443, 500, 4500, 4501 };
static const uint16_t fz_ports_overlay[4] = { 655, 9993, 41641, 10000 };

#define FZ_ASSERT(c)                                                                 \
	do {                                                                         \
		if (!(c))                                                            \
			__builtin_trap();                                            \
	} while (0)

struct fz_input {
	uint8_t flags, l4, ip_proto;
	uint16_t port;
	unsigned int n;
	uint8_t dir[FZ_MAX_PKTS];
	const uint8_t *data[FZ_MAX_PKTS];
	uint32_t len[FZ_MAX_PKTS];
};

static void fz_check_verdict(struct cls_verdict v)
{
	FZ_ASSERT(v.result <= CLS_CONFIRMED);
	FZ_ASSERT(v.server <= CLS_SERVER_S2C_SENDER);
	FZ_ASSERT(v.result < CLS_LIKELY || v.check != NULL);
}

static uint8_t *fz_copy(const uint8_t *p, uint32_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	if (c == NULL)
		abort();
	memcpy(c, p, len);
	return c;
}

static void fz_check_flow(const struct harness *h, const struct flow_insp *f)
{
	char reason[256];

	FZ_ASSERT(f->phase <= FLOW_UNDECIDED);
	if (f->phase == FLOW_DECIDED) {
		FZ_ASSERT(f->app >= 1 && f->app <= tundra_n_classifiers);
		FZ_ASSERT(f->result == CLS_LIKELY || f->result == CLS_CONFIRMED);
		FZ_ASSERT(f->check != NULL);
		FZ_ASSERT(f->server <= CLS_SERVER_S2C_SENDER);
	}
	if (f->phase == FLOW_INSPECTING && f->cls.owner != 0)
		FZ_ASSERT(f->cls.owner <= tundra_n_classifiers);
	FZ_ASSERT(harness_reason(h, f, reason, sizeof(reason)) > 0);
	FZ_ASSERT(f->facts.ja4[0] == 0 || strlen(f->facts.ja4) == CLS_JA4_LEN - 1);
}

static struct harness fz_h[2];
static int fz_ready;
static struct flow_insp fz_flow;

static void fz_engine(const struct fz_input *in)
{
	struct harness *h = &fz_h[(in->flags & FZ_SMALL) != 0];
	struct flow_insp *f = &fz_flow;
	uint16_t cport = 50000;
	unsigned int i;

	harness_flow(f, in->ip_proto);
	for (i = 0; i < in->n; i++) {
		uint8_t d = in->dir[i];
		harness_feed(h, f, d, in->data[i], in->len[i], d ? in->port : cport, d ? cport : in->port);
		fz_check_flow(h, f);
	}
	if (f->phase == FLOW_INSPECTING) {
		if (in->flags & FZ_ENDS)
			(void)classify_flow_ends(&h->db, f, (uint16_t)(in->n + 1));
		else
			classify_close_window(&h->db, f, (uint16_t)(in->n + 1), WINDOW_IDLE);
		FZ_ASSERT((in->flags & FZ_ENDS) || f->phase != FLOW_INSPECTING);
		fz_check_flow(h, f);
	}
	harness_end(h, f);
	FZ_ASSERT(f->reasm == 0);
	FZ_ASSERT(h->ctx.reasm_n_free == h->ctx.reasm_bufs);
#ifdef FZ_REPORT
	fprintf(stderr, "decided: %s (%u packets)\n", harness_app(f), in->n);
#endif
}

/* One classifier on its own, as if Hyperscan had nominated it for every payload. */
static void fz_direct_one(const struct fz_input *in, const struct classifier *c)
{
	uint8_t *st = malloc(c->state_size ? c->state_size : 1);
	unsigned int i, owned = 0;
	uint8_t first_dir = 0;
	int owning = 0;

	if (st == NULL)
		abort();
	for (i = 0; i < in->n; i++) {
		struct cls_pkt p;
		struct cls_verdict v;
		uint8_t *copy;

		if (in->len[i] == 0)
			continue;
		copy = fz_copy(in->data[i], in->len[i]);
		memset(&p, 0, sizeof(p));
		p.payload = copy;
		p.len = in->len[i];
		p.l4 = in->l4;
		p.dir = in->dir[i];
		p.ip_proto = in->ip_proto;
		p.pkt_no = (uint16_t)(i + 1);
		p.src_port = p.dir ? in->port : 50000;
		p.dst_port = p.dir ? 50000 : in->port;
		if (!owning) {
			memset(st, 0, c->state_size ? c->state_size : 1);
			p.first_dir = p.dir;
			v = c->first(&p, st);
			if (v.result == CLS_MORE) {
				owning = 1;
				first_dir = p.dir;
				owned = 0;
			}
		} else if (c->owned == NULL || (c->max_owned != 0 && ++owned > c->max_owned)) {
			owning = 0;
			v.result = CLS_NO;
			v.check = NULL;
			v.server = 0;
		} else {
			p.first_dir = first_dir;
			v = c->owned(&p, st);
			if (v.result == CLS_NO)
				owning = 0;
		}
		free(copy);
		fz_check_verdict(v);
		if (v.result >= CLS_LIKELY) {
			owning = 0;
			break;
		}
	}
	if (owning && c->conclude != NULL)
		fz_check_verdict(c->conclude(st, first_dir, (in->flags & FZ_ENDS) ? CLS_END_FLOW : CLS_END_IDLE));
	free(st);
}

static void fz_direct(const struct fz_input *in)
{
	for (unsigned int i = 0; i < tundra_n_classifiers; i++)
		if (tundra_classifiers[i]->l4 & in->l4)
			fz_direct_one(in, tundra_classifiers[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	size_t pos = 1;

	if (size < 1)
		return 0;
	if (!fz_ready) {
		harness_init(&fz_h[0], 8, 4096);
		harness_init(&fz_h[1], 3, 600);
		fz_ready = 1;
	}
	memset(&in, 0, sizeof(in));
	in.flags = data[0];
	in.l4 = (data[0] & FZ_TCP) ? CLS_TCP : CLS_UDP;
	if (data[0] & FZ_IP)
		in.l4 = CLS_IP;
	in.ip_proto = in.l4 == CLS_TCP ? 6 : in.l4 == CLS_UDP ? 17 : (data[0] & FZ_GRE) ? 47 : 50;
	in.port = fz_ports[data[0] >> FZ_PORT_SHIFT];
	if ((data[0] & (FZ_IP | FZ_GRE)) == FZ_GRE)
		in.port = fz_ports_overlay[data[0] >> FZ_PORT_SHIFT];
	while (in.n < FZ_MAX_PKTS && pos + 2 <= size) {
		uint16_t hdr = (uint16_t)(data[pos] << 8 | data[pos + 1]);
		uint32_t len = hdr & 0x7ffu;

		pos += 2;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		in.dir[in.n] = (uint8_t)(hdr >> 15);
		in.data[in.n] = data + pos;
		in.len[in.n] = len;
		in.n++;
		pos += len;
	}
	if (in.flags & FZ_DIRECT)
		fz_direct(&in);
	else
		fz_engine(&in);
	return 0;
}
