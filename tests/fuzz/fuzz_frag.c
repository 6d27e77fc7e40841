/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for frag.c: a sequence of fragments carved from the
 * input goes through parse_packet() and frag_input() into a small table
 * (so eviction and timeouts happen), and every datagram that completes is
 * parsed again with parse_resume(). ASan must never fire: each frame is an
 * exactly sized heap copy, so a read past a fragment traps, and a write
 * past a context's buffer traps on the table's own allocation.
 *
 * Input: a mode byte, then records.
 *   mode bit 7 clear, structured: bit 0 IPv6, bit 1 a VLAN tag, bit 2 a
 *   hop-by-hop header (IPv6); then 7-byte records [datagram 0..3] [offset in
 *   8-byte units, 2 bytes] [data length, 2 bytes] [flags: 1 more fragments,
 *   2 advance the clock by 3 s, 4 flip a data byte, 8 other protocol, 16 a
 *   length up to 65000 rather than 2048]
 *   [data seed], each made into a well-formed fragment so that reassembly,
 *   not header parsing, is what the input explores;
 *   mode bit 7 set, raw: 2-byte length-prefixed Ethernet frames, whatever
 *   they hold (tunnels, extension headers, garbage).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "parse.h"

#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t ev[FRAG_EV_COUNT];

static void check_datagram(const uint8_t *dg, uint32_t len, struct pkt_info *pi)
{
	REQUIRE(len >= 20 && len <= FRAG_PREFIX_MAX + 65535);
	if (dg[0] >> 4 == 4)
		REQUIRE(((uint32_t)dg[2] << 8 | dg[3]) == len);
	else
		REQUIRE(len >= 40 && 40 + ((uint32_t)dg[4] << 8 | dg[5]) == len);
	uint8_t *copy = malloc(len);
	REQUIRE(copy != NULL);
	memcpy(copy, dg, len);
	enum parse_result r = parse_resume(copy, len, pi);
	if (r == PARSE_OK || r == PARSE_FRAGMENT) {
		REQUIRE((uint32_t)pi->payload_off + pi->payload_len <= len);
		REQUIRE(pi->l3_off < pi->l4_off);
	}
	REQUIRE(pi->outer.depth <= PARSE_MAX_ENCAP);
	free(copy);
}

/* One frame through parse and reassembly, from an exact-size copy. */
static void feed(struct frag_table *t, const uint8_t *frame, uint32_t len, uint64_t now)
{
	uint8_t *buf = malloc(len ? len : 1);
	REQUIRE(buf != NULL);
	memcpy(buf, frame, len);
	struct pkt_info pi;
	const uint8_t *dg;
	uint32_t dl;
	if (parse_packet(buf, len, &pi) == PARSE_FRAGMENT && frag_input(t, buf, &pi, now, &dg, &dl))
		check_datagram(dg, dl, &pi);
	free(buf);
}

static uint32_t put16(uint8_t *p, uint32_t off, uint32_t v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/* A well-formed fragment of datagram sel: [off, off+len) of its payload, more or last. */
static uint32_t build(uint8_t *f, uint8_t mode, uint8_t sel, uint32_t off, uint32_t len, uint8_t flags, uint8_t seed)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint32_t n = 0;
	memcpy(f, mac, 12);
	n = 12;
	if (mode & 2) {
		n = put16(f, n, 0x8100);
		n = put16(f, n, 7u + (sel & 1));
	}
	uint8_t proto = (flags & 8) ? 6 : 17;
	if (!(mode & 1)) {
		n = put16(f, n, 0x0800);
		f[n++] = 0x45;
		f[n++] = 0;
		n = put16(f, n, 20 + len);
		n = put16(f, n, 0x100u + sel);
		n = put16(f, n, ((flags & 1) ? 0x2000u : 0) | (off & 0x1fff));
		f[n++] = 64;
		f[n++] = proto;
		n = put16(f, n, 0);
		static const uint8_t a[8] = { 10, 0, 0, 1, 10, 0, 0, 2 };
		memcpy(f + n, a, 8);
		n += 8;
	} else {
		n = put16(f, n, 0x86dd);
		uint32_t hbh = (mode & 4) ? 8 : 0;
		f[n++] = 0x60;
		f[n++] = 0;
		n = put16(f, n, 0);
		n = put16(f, n, hbh + 8 + len);
		f[n++] = hbh ? 0 : 44;
		f[n++] = 64;
		for (int i = 0; i < 32; i++)
			f[n++] = (uint8_t)(i == 15 ? 1 : i == 31 ? 2 : 0x20);
		if (hbh) {
			f[n++] = 44;
			f[n++] = 0;
			for (int i = 0; i < 6; i++)
				f[n++] = 1;
		}
		f[n++] = proto;
		f[n++] = 0;
		n = put16(f, n, ((off & 0x1fff) << 3) | ((flags & 1) ? 1u : 0));
		f[n++] = 0;
		f[n++] = 0;
		f[n++] = 0x10;
		f[n++] = sel;
	}
	for (uint32_t i = 0; i < len; i++) {
		/* Data as a function of its place in the datagram, so that real duplicates are exact. */
		uint32_t at = off * 8 + i;
		f[n + i] = (uint8_t)(at * 31 + sel);
	}
	if ((flags & 4) && len > 0)
		f[n + seed % len] ^= 0x5a;
	return n + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 18)
		return 0;
	memset(ev, 0, sizeof(ev));
	struct frag_table *t = frag_table_create(4, FRAG_TIMEOUT_NS, ev);
	if (t == NULL)
		return 0;
	static uint8_t frame[14 + 4 + 40 + 8 + 8 + 65536];
	uint8_t mode = data[0];
	uint64_t now = 1000000000ull;
	size_t pos = 1;
	if (mode & 0x80) {
		while (pos + 2 <= size) {
			uint32_t len = (uint32_t)data[pos] << 8 | data[pos + 1];
			pos += 2;
			if (len > size - pos)
				len = (uint32_t)(size - pos);
			feed(t, data + pos, len, now);
			now += 1000;
			pos += len;
		}
	} else {
		for (unsigned int k = 0; pos + 7 <= size && k < 512; k++, pos += 7) {
			uint8_t sel = data[pos] & 3;
			uint32_t off = ((uint32_t)data[pos + 1] << 8 | data[pos + 2]) & 0x1fff;
			uint8_t flags = data[pos + 5];
			/* Big fragments only when asked: most of the logic is in the ranges, not the bytes. */
			uint32_t len = ((uint32_t)data[pos + 3] << 8 | data[pos + 4]) % ((flags & 0x10) ? 65000 : 2048);
			if (flags & 2)
				now += 3000000000ull;
			uint32_t n = build(frame, mode, sel, off, len, flags, data[pos + 6]);
			feed(t, frame, n, now);
			now += 1000;
		}
	}
	REQUIRE(frag_table_active(t) <= 4);
	frag_table_free(t);
	return 0;
}
