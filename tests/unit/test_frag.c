/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for frag.c: datagrams are built whole, cut into fragments the
 * way a router would (or the way an attacker would), each fragment parsed by
 * parse_packet() as the worker does and handed to frag_input(); a completed
 * datagram must equal the original byte for byte and parse_resume() must
 * find the flow the unfragmented packet would have.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frag.h"
#include "parse.h"

#define NS 1000000000ull
#define MAXF 80000

struct pb {
	uint32_t n;
	uint8_t d[MAXF];
};

static const uint8_t SRC4[4] = { 10, 0, 0, 1 }, DST4[4] = { 10, 0, 0, 2 };
static const uint8_t SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, DST6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static uint64_t ev[FRAG_EV_COUNT];

static void put8(struct pb *p, uint8_t v) { p->d[p->n++] = v; }
static void put16(struct pb *p, uint16_t v) { put8(p, (uint8_t)(v >> 8)); put8(p, (uint8_t)v); }
static void put32(struct pb *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p, (uint16_t)v); }
static void putn(struct pb *p, const uint8_t *b, uint32_t n) { memcpy(p->d + p->n, b, n); p->n += n; }
static void set16(uint8_t *d, uint16_t v) { d[0] = (uint8_t)(v >> 8); d[1] = (uint8_t)v; }

/* Ethernet header, optionally one VLAN tag. */
static void eth(struct pb *p, uint16_t type, int vlan)
{
	p->n = 0;
	for (int i = 0; i < 12; i++)
		put8(p, (uint8_t)(i + 1));
	if (vlan >= 0) {
		put16(p, 0x8100);
		put16(p, (uint16_t)vlan);
	}
	put16(p, type);
}

/* A whole IPv4 datagram: header (id, proto), then a UDP header 1111 -> 2222 (or raw bytes) and payload. */
static uint32_t dgram4(uint8_t *out, uint16_t id, uint8_t proto, uint32_t payload)
{
	struct pb p = { 0 };
	put8(&p, 0x45);
	put8(&p, 0);
	put16(&p, 0);
	put16(&p, id);
	put16(&p, 0x4000);
	put8(&p, 64);
	put8(&p, proto);
	put16(&p, 0x1234);
	putn(&p, SRC4, 4);
	putn(&p, DST4, 4);
	if (proto == 17) {
		put16(&p, 1111);
		put16(&p, 2222);
		put16(&p, (uint16_t)(8 + payload));
		put16(&p, 0);
	} else if (proto == 6) {
		put16(&p, 1111);
		put16(&p, 443);
		put32(&p, 7);
		put32(&p, 0);
		put8(&p, 0x50);
		put8(&p, 0x18);
		put16(&p, 1000);
		put32(&p, 0);
	}
	for (uint32_t i = 0; i < payload; i++)
		put8(&p, (uint8_t)(i * 7 + 3));
	set16(p.d + 2, (uint16_t)p.n);
	memcpy(out, p.d, p.n);
	return p.n;
}

/* IPv4 fragment [off, off+len) of datagram dg (its header first), framed. */
static void frag4(struct pb *f, const uint8_t *dg, uint32_t dg_len, uint32_t off, uint32_t len, int more, int vlan)
{
	eth(f, 0x0800, vlan);
	uint32_t l3 = f->n;
	putn(f, dg, 20);
	putn(f, dg + 20 + off, len);
	set16(f->d + l3 + 2, (uint16_t)(20 + len));
	set16(f->d + l3 + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8) | 0x4000));
	(void)dg_len;
}

/*
 * A whole IPv6 datagram: header, hbh bytes of hop-by-hop options (0 = none),
 * then the fragmentable part: dst bytes of destination options (0 = none),
 * UDP 3333 -> 53 and payload. *frag_at: where the fragmentable part starts.
 */
static uint32_t dgram6(uint8_t *out, uint32_t hbh, uint32_t dst, uint32_t payload, uint32_t *frag_at)
{
	struct pb p = { 0 };
	put32(&p, 0x60000000);
	put16(&p, 0);
	put8(&p, hbh ? 0 : dst ? 60 : 17);
	put8(&p, 64);
	putn(&p, SRC6, 16);
	putn(&p, DST6, 16);
	if (hbh) {
		put8(&p, dst ? 60 : 17);
		put8(&p, (uint8_t)(hbh / 8 - 1));
		for (uint32_t i = 2; i < hbh; i++)
			put8(&p, 1);
	}
	*frag_at = p.n;
	if (dst) {
		put8(&p, 17);
		put8(&p, (uint8_t)(dst / 8 - 1));
		for (uint32_t i = 2; i < dst; i++)
			put8(&p, 1);
	}
	put16(&p, 3333);
	put16(&p, 53);
	put16(&p, (uint16_t)(8 + payload));
	put16(&p, 0);
	for (uint32_t i = 0; i < payload; i++)
		put8(&p, (uint8_t)(i * 5 + 1));
	set16(p.d + 4, (uint16_t)(p.n - 40));
	memcpy(out, p.d, p.n);
	return p.n;
}

/* IPv6 fragment [off, off+len) of the fragmentable part, with a fragment header after the per-fragment headers. */
static void frag6(struct pb *f, const uint8_t *dg, uint32_t frag_at, uint32_t off, uint32_t len, int more, uint32_t id)
{
	eth(f, 0x86dd, -1);
	uint32_t l3 = f->n;
	putn(f, dg, frag_at);
	/* The header naming the fragmentable part now names the fragment header. */
	uint32_t nh_at = frag_at == 40 ? l3 + 6 : l3 + 40;
	uint8_t nh = f->d[nh_at];
	f->d[nh_at] = 44;
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(off | (more ? 1 : 0)));
	put32(f, id);
	putn(f, dg + frag_at + off, len);
	set16(f->d + l3 + 4, (uint16_t)(f->n - l3 - 40));
}

/* One fragment through parse + reassembly; returns 1 when it completed a datagram (then *pi is resumed). */
static int feed(struct frag_table *t, const struct pb *f, uint64_t now, const uint8_t **dg, uint32_t *dg_len,
		struct pkt_info *pi, enum parse_result *r)
{
	CHECK_EQ(parse_packet(f->d, f->n, pi), PARSE_FRAGMENT);
	if (!frag_input(t, f->d, pi, now, dg, dg_len))
		return 0;
	*r = parse_resume(*dg, *dg_len, pi);
	return 1;
}

static struct pb fr;
static uint8_t orig[MAXF];

static void test_v4_orders(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	CHECK(t != NULL);
	uint32_t n = dgram4(orig, 0x4242, 17, 3000);
	/* Four fragments: 0-1479, 1480-2959, 2960-2967 (8 bytes), the rest. */
	static const uint32_t cut[5] = { 0, 1480, 2960, 2968, 3008 };
	static const int perm[][4] = { { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 1, 3, 0, 2 }, { 2, 0, 3, 1 } };
	for (unsigned int k = 0; k < sizeof(perm) / sizeof(perm[0]); k++) {
		for (int j = 0; j < 4; j++) {
			int i = perm[k][j];
			frag4(&fr, orig, n, cut[i], cut[i + 1] - cut[i], i < 3, -1);
			const uint8_t *dg = NULL;
			uint32_t dl = 0;
			struct pkt_info pi;
			enum parse_result r = PARSE_MALFORMED;
			int done = feed(t, &fr, NS * (k + 1), &dg, &dl, &pi, &r);
			CHECK_EQ(done, j == 3);
			if (!done)
				continue;
			/* The datagram as sent, but for the fragment fields (DF kept). */
			CHECK_EQ(dl, n);
			CHECK(memcmp(dg, orig, n) == 0);
			CHECK_EQ(r, PARSE_OK);
			CHECK_EQ(pi.l4_proto, 17);
			CHECK_EQ(pi.src_port, 1111);
			CHECK_EQ(pi.dst_port, 2222);
			CHECK_EQ(pi.payload_len, 3000);
			CHECK_EQ(pi.l3_off, 0);
		}
	}
	CHECK_EQ(ev[FRAG_REASSEMBLED], 4);
	/* The last datagram is held until the next call, then its context is free. */
	CHECK_EQ(frag_table_active(t), 1);
	frag4(&fr, orig, n, 0, 8, 1, -1);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;
	CHECK_EQ(feed(t, &fr, 10 * NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(frag_table_active(t), 1);
	frag_table_free(t);
}

static void test_v4_duplicates_and_overlaps(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	uint32_t n = dgram4(orig, 7, 17, 40);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;

	/* An exact duplicate is dropped alone; the datagram still completes. */
	frag4(&fr, orig, n, 0, 24, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_DUPLICATE], 1);
	frag4(&fr, orig, n, 24, 24, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 1);
	CHECK(memcmp(dg, orig, n) == 0);

	/* Same place, other bytes: not a duplicate but an overlap (RFC 5722 policy for IPv4 too). */
	n = dgram4(orig, 8, 17, 40);
	frag4(&fr, orig, n, 0, 24, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	fr.d[14 + 20 + 10] ^= 0xff;
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_OVERLAP], 1);
	/* The abandoned datagram absorbs the rest: no completion, no second count. */
	frag4(&fr, orig, n, 24, 24, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_OVERLAP], 1);

	/* A partial overlap (RFC 1858's offset-1 rewrite of TCP flags is one). */
	n = dgram4(orig, 9, 6, 64);
	frag4(&fr, orig, n, 0, 24, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 8, 32, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_OVERLAP], 2);
	/* Once it times out, the same datagram can be reassembled afresh. */
	frag4(&fr, orig, n, 0, 40, 1, -1);
	CHECK_EQ(feed(t, &fr, 4 * NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 40, n - 20 - 40, 0, -1);
	CHECK_EQ(feed(t, &fr, 4 * NS, &dg, &dl, &pi, &r), 1);
	CHECK_EQ(r, PARSE_OK);
	CHECK_EQ(pi.dst_port, 443);
	CHECK_EQ(ev[FRAG_TIMED_OUT], 0); /* dead ones are not counted twice */
	frag_table_free(t);
}

static void test_v4_refusals(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;

	/* RFC 1858: a first fragment with 8 bytes of a TCP header. */
	uint32_t n = dgram4(orig, 20, 6, 64);
	frag4(&fr, orig, n, 0, 8, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_TINY], 1);
	frag4(&fr, orig, n, 8, n - 28, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	/* ... also when the first fragment comes last. */
	n = dgram4(orig, 21, 6, 64);
	frag4(&fr, orig, n, 16, n - 36, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 0, 16, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_TINY], 2);
	/* A UDP header is 8 bytes: enough. */
	n = dgram4(orig, 22, 17, 64);
	frag4(&fr, orig, n, 0, 8, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 8, n - 28, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 1);
	CHECK_EQ(ev[FRAG_TINY], 2);

	/* Past 65535 bytes. */
	n = dgram4(orig, 23, 17, 200);
	frag4(&fr, orig, n, 0, 64, 1, -1);
	fr.d[14 + 6] = 0x3f; /* MF | offset 0x1fff -> 65528 */
	fr.d[14 + 7] = 0xff;
	CHECK_EQ(parse_packet(fr.d, fr.n, &pi), PARSE_FRAGMENT);
	CHECK_EQ(pi.frag.offset, 65528);
	CHECK_EQ(frag_input(t, fr.d, &pi, NS, &dg, &dl), false);
	CHECK_EQ(ev[FRAG_TOO_BIG], 1);
	/* Reaching exactly 65535 with the header is fine; one more byte is not. */
	for (int extra = 0; extra <= 1; extra++) {
		uint16_t id = (uint16_t)(24 + extra);
		n = dgram4(orig, id, 17, 64);
		frag4(&fr, orig, n, 0, 64, 1, -1);
		CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
		/* A last fragment ending at 65515 (+ 20 header = 65535), or 65516. */
		static uint8_t big[MAXF];
		memset(big, 0x11, sizeof(big));
		memcpy(big, orig, 20);
		uint32_t len = 65515 - 64 + (uint32_t)extra;
		frag4(&fr, big, 0, 64, len, 0, -1);
		CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), extra == 0);
		if (extra == 0)
			CHECK_EQ(dl, 65535);
		else
			CHECK_EQ(ev[FRAG_TOO_BIG], 2);
	}

	/* Not a multiple of 8 before the last; two ends; data past the end. */
	n = dgram4(orig, 30, 17, 100);
	frag4(&fr, orig, n, 0, 20, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_INVALID], 1);
	n = dgram4(orig, 31, 17, 100);
	frag4(&fr, orig, n, 64, n - 84, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 72, n - 92 - 8, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_INVALID], 2);
	n = dgram4(orig, 32, 17, 100);
	frag4(&fr, orig, n, 32, 16, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 48, 16, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_INVALID], 3);

	/* More than FRAG_MAX_PIECES fragments: 8 bytes each. */
	n = dgram4(orig, 33, 17, 8 * (FRAG_MAX_PIECES + 1));
	for (uint32_t i = 0; i <= FRAG_MAX_PIECES; i++) {
		frag4(&fr, orig, n, i * 8, 8, 1, -1);
		CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	}
	CHECK_EQ(ev[FRAG_INVALID], 4);
	/* A last fragment with no data only sets the end. */
	n = dgram4(orig, 34, 17, 32);
	frag4(&fr, orig, n, 0, 40, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 40, 0, 0, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 1);
	CHECK_EQ(dl, n);
	CHECK_EQ(ev[FRAG_INVALID], 4);
	frag_table_free(t);
}

static void test_timeouts_and_pool(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(4, 2 * NS, ev);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;
	uint32_t n = dgram4(orig, 40, 17, 64);

	/* The rest comes after the timeout: the first part is gone, the datagram never completes. */
	frag4(&fr, orig, n, 0, 32, 1, -1);
	CHECK_EQ(feed(t, &fr, 10 * NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 32, n - 52, 0, -1);
	CHECK_EQ(feed(t, &fr, 10 * NS + 2 * NS + 1, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_TIMED_OUT], 1);
	CHECK_EQ(frag_table_active(t), 1);
	/* Exactly at the timeout it is still there. */
	n = dgram4(orig, 41, 17, 64);
	frag4(&fr, orig, n, 0, 32, 1, -1);
	CHECK_EQ(feed(t, &fr, 20 * NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 32, n - 52, 0, -1);
	CHECK_EQ(feed(t, &fr, 22 * NS, &dg, &dl, &pi, &r), 1);
	CHECK_EQ(ev[FRAG_TIMED_OUT], 2); /* the lone last fragment of id 40 */

	/* Pool of 4: a fifth datagram takes the oldest one's slot. */
	for (uint16_t id = 50; id < 55; id++) {
		n = dgram4(orig, id, 17, 64);
		frag4(&fr, orig, n, 0, 32, 1, -1);
		CHECK_EQ(feed(t, &fr, 30 * NS + id, &dg, &dl, &pi, &r), 0);
	}
	CHECK_EQ(ev[FRAG_EVICTED], 1);
	CHECK_EQ(frag_table_active(t), 4);
	n = dgram4(orig, 54, 17, 64);
	frag4(&fr, orig, n, 32, n - 52, 0, -1);
	CHECK_EQ(feed(t, &fr, 30 * NS + 60, &dg, &dl, &pi, &r), 1);
	/* The evicted one (id 50) cannot complete any more. */
	n = dgram4(orig, 50, 17, 64);
	frag4(&fr, orig, n, 32, n - 52, 0, -1);
	CHECK_EQ(feed(t, &fr, 30 * NS + 61, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_EVICTED], 1);
	CHECK_EQ(ev[FRAG_REASSEMBLED], 2);
	frag_table_free(t);

	CHECK(frag_table_create(0, NS, ev) == NULL);
	CHECK(frag_table_create(FRAG_CTX_MAX + 1, NS, ev) == NULL);
	CHECK(frag_table_create(4, NS, NULL) == NULL);
	CHECK(frag_table_mem(256) > 256u * 65536);
}

static void test_keys(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;
	uint32_t n = dgram4(orig, 60, 17, 64);

	/* Same addresses and id in two VLANs (tenants): two datagrams, each completing with its own parts. */
	frag4(&fr, orig, n, 0, 32, 1, 100);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 32, n - 52, 0, 200);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 0, 32, 1, 200);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 1);
	CHECK_EQ(pi.zone, 200);
	CHECK_EQ(pi.outer.vlan[0], 200);
	/* Same id, other protocol (IPv4 keys on it). */
	n = dgram4(orig, 61, 17, 64);
	frag4(&fr, orig, n, 0, 32, 1, -1);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	frag4(&fr, orig, n, 32, n - 52, 0, -1);
	fr.d[14 + 9] = 50;
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_REASSEMBLED], 1);
	frag_table_free(t);
}

static void test_v6(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi;
	enum parse_result r;
	uint32_t at;

	/* Plain, with a hop-by-hop header before the fragment header, and destination options after it. */
	static const uint32_t hbh[] = { 0, 8, 16, 0 }, dst[] = { 0, 0, 8, 24 };
	for (unsigned int k = 0; k < 4; k++) {
		uint32_t n = dgram6(orig, hbh[k], dst[k], 2000, &at);
		uint32_t flen = n - at;
		uint32_t c1 = 1232, c2 = 1232 + 8 * 10;
		for (int order = 0; order < 2; order++) {
			uint32_t id = 0x1000 + k * 2 + (uint32_t)order;
			int done = 0;
			for (int j = 0; j < 3; j++) {
				int i = order ? 2 - j : j;
				uint32_t off = i == 0 ? 0 : i == 1 ? c1 : c2;
				uint32_t end = i == 0 ? c1 : i == 1 ? c2 : flen;
				frag6(&fr, orig, at, off, end - off, i < 2, id);
				done = feed(t, &fr, NS, &dg, &dl, &pi, &r);
				CHECK_EQ(done, j == 2);
			}
			if (!done)
				continue;
			/* The datagram as sent: no fragment header, the next header restored. */
			CHECK_EQ(dl, n);
			CHECK(memcmp(dg, orig, n) == 0);
			CHECK_EQ(r, PARSE_OK);
			CHECK_EQ(pi.ip_version, 6);
			CHECK_EQ(pi.l4_proto, 17);
			CHECK_EQ(pi.src_port, 3333);
			CHECK_EQ(pi.payload_len, 2000);
		}
	}
	CHECK_EQ(ev[FRAG_REASSEMBLED], 8);

	/* RFC 5722: overlaps abandon the datagram; an exact duplicate does not. */
	uint32_t n = dgram6(orig, 0, 0, 100, &at);
	frag6(&fr, orig, at, 0, 56, 1, 77);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_DUPLICATE], 1);
	frag6(&fr, orig, at, 48, n - at - 48, 0, 77);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_OVERLAP], 1);

	/* RFC 7112: destination options in the first fragment without the UDP header behind them. */
	n = dgram6(orig, 0, 24, 100, &at);
	frag6(&fr, orig, at, 0, 24, 1, 78);
	CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
	CHECK_EQ(ev[FRAG_TINY], 1);

	/* The fragmentable part may reach 65535 minus the per-fragment headers, no more. */
	for (int extra = 0; extra <= 1; extra++) {
		n = dgram6(orig, 8, 0, 64, &at);
		uint32_t id = 80 + (uint32_t)extra;
		frag6(&fr, orig, at, 0, 64, 1, id);
		CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), 0);
		static uint8_t big[MAXF];
		memset(big, 0x22, sizeof(big));
		memcpy(big, orig, at);
		uint32_t last = 65535 - 8 - 64 + (uint32_t)extra;
		frag6(&fr, big, at, 64, last, 0, id);
		/* Reassembled payload length 8 + 65527 = 65535, or one more: refused when it completes. */
		CHECK_EQ(feed(t, &fr, NS, &dg, &dl, &pi, &r), extra == 0);
		if (extra == 0)
			CHECK_EQ(dl, 40 + 65535);
		CHECK_EQ(ev[FRAG_TOO_BIG], (uint64_t)extra);
	}
	/* Offset 65528 + 16 bytes is past 65535 whatever comes in front: refused at once. */
	n = dgram6(orig, 0, 0, 64, &at);
	frag6(&fr, orig, at, 65528, 16, 0, 90);
	CHECK_EQ(parse_packet(fr.d, fr.n, &pi), PARSE_FRAGMENT);
	CHECK_EQ(frag_input(t, fr.d, &pi, NS, &dg, &dl), false);
	CHECK_EQ(ev[FRAG_TOO_BIG], 2);
	frag_table_free(t);
}

/* Fragments inside a tunnel, and a tunnel whose outer header is fragmented. */
static void test_tunnels(void)
{
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(16, FRAG_TIMEOUT_NS, ev);
	const uint8_t *dg;
	uint32_t dl;
	struct pkt_info pi, whole;
	enum parse_result r;
	static uint8_t inner[MAXF];
	static struct pb w;

	/* The inner datagram, and VXLAN around it whole: the flow and zone to expect. */
	uint32_t in = dgram4(inner, 99, 17, 1200);
	eth(&w, 0x0800, 5);
	uint32_t o3 = w.n;
	uint32_t outer_len = 20 + 8 + 8 + 14 + in;
	static const uint8_t vtep_a[4] = { 192, 0, 2, 1 }, vtep_b[4] = { 192, 0, 2, 2 };
	put8(&w, 0x45);
	put8(&w, 0);
	put16(&w, (uint16_t)outer_len);
	put16(&w, 500);
	put16(&w, 0);
	put8(&w, 64);
	put8(&w, 17);
	put16(&w, 0);
	putn(&w, vtep_a, 4);
	putn(&w, vtep_b, 4);
	put16(&w, 40000);
	put16(&w, 4789);
	put16(&w, (uint16_t)(outer_len - 20));
	put16(&w, 0);
	put32(&w, 0x08000000);
	put32(&w, 1111 << 8);
	for (int i = 0; i < 12; i++)
		put8(&w, (uint8_t)(0x40 + i));
	put16(&w, 0x0800);
	uint32_t i3 = w.n;
	putn(&w, inner, in);
	CHECK_EQ(parse_packet(w.d, w.n, &whole), PARSE_OK);
	CHECK_EQ(whole.dst_port, 2222);
	CHECK(whole.outer.kinds & (1u << ENCAP_VXLAN));

	/* Inner fragments, each behind the whole outer stack: reassembled into the inner datagram. */
	for (int part = 0; part < 2; part++) {
		memcpy(fr.d, w.d, i3);
		fr.n = i3;
		uint32_t off = part ? 600 : 0, len = part ? in - 20 - 600 : 600;
		memcpy(fr.d + fr.n, inner, 20);
		memcpy(fr.d + fr.n + 20, inner + 20 + off, len);
		fr.n += 20 + len;
		set16(fr.d + i3 + 2, (uint16_t)(20 + len));
		set16(fr.d + i3 + 6, (uint16_t)(0x4000 | (part ? 0 : 0x2000) | off / 8));
		set16(fr.d + o3 + 2, (uint16_t)(fr.n - o3));
		set16(fr.d + o3 + 20 + 4, (uint16_t)(fr.n - o3 - 20));
		int done = feed(t, &fr, NS, &dg, &dl, &pi, &r);
		CHECK_EQ(done, part == 1);
		if (done) {
			CHECK_EQ(r, PARSE_OK);
			CHECK(memcmp(dg, inner, in) == 0);
			CHECK_EQ(pi.zone, whole.zone);
			CHECK_EQ(pi.outer.kinds, whole.outer.kinds);
			CHECK_EQ(pi.outer.vni, 1111);
			CHECK(memcmp(pi.src, whole.src, 16) == 0);
			CHECK_EQ(pi.src_port, 1111);
		}
	}

	/* The outer IPv4 header fragmented: the datagram is VXLAN and the inner packet is found in it. */
	uint32_t olen = w.n - o3;
	uint32_t cut = 8 * 100;
	for (int part = 0; part < 2; part++) {
		memcpy(fr.d, w.d, o3 + 20);
		fr.n = o3 + 20;
		uint32_t off = part ? cut : 0, len = part ? olen - 20 - cut : cut;
		memcpy(fr.d + fr.n, w.d + o3 + 20 + off, len);
		fr.n += len;
		set16(fr.d + o3 + 2, (uint16_t)(20 + len));
		set16(fr.d + o3 + 6, (uint16_t)((part ? 0 : 0x2000) | off / 8));
		int done = feed(t, &fr, NS, &dg, &dl, &pi, &r);
		CHECK_EQ(done, part == 1);
		if (done) {
			CHECK_EQ(r, PARSE_OK);
			CHECK_EQ(dl, olen);
			CHECK(memcmp(pi.src, whole.src, 16) == 0);
			CHECK_EQ(pi.dst_port, 2222);
			CHECK_EQ(pi.zone, whole.zone);
			CHECK_EQ(pi.outer.kinds, whole.outer.kinds);
			CHECK_EQ(pi.l3_off, i3 - o3);
			CHECK_EQ(pi.payload_len, 1200);
		}
	}
	CHECK_EQ(ev[FRAG_REASSEMBLED], 2);
	frag_table_free(t);
}

int main(void)
{
	test_v4_orders();
	test_v4_duplicates_and_overlaps();
	test_v4_refusals();
	test_timeouts_and_pool();
	test_keys();
	test_v6();
	test_tunnels();
	CHECK_DONE();
}
