/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte builders and assertions shared by the classifier tests that drive
 * the real classification stage (cls_harness.h): one harness per test
 * binary, big-endian writers, a seeded xorshift for random payloads, and
 * the "WireGuard and OpenVPN still decide on this port" check every new
 * classifier must pass (no stealing).
 *
 * Define CLS_TEST_SEED before including to give a test its own random stream.
 */
#ifndef TUNDRA_CLS_BUILDERS_H
#define TUNDRA_CLS_BUILDERS_H

#include <string.h>

#include "check.h"
#include "cls_harness.h"

#ifndef CLS_TEST_SEED
#define CLS_TEST_SEED 0x243f6a8885a308d3ull
#endif

static struct harness h;
static uint64_t rng = CLS_TEST_SEED;

static inline uint32_t put8(uint8_t *b, uint32_t o, uint8_t v)
{
	b[o] = v;
	return o + 1;
}

static inline uint32_t put16(uint8_t *b, uint32_t o, uint16_t v)
{
	b[o] = (uint8_t)(v >> 8), b[o + 1] = (uint8_t)v;
	return o + 2;
}

static inline uint32_t put32(uint8_t *b, uint32_t o, uint32_t v)
{
	put16(b, o, (uint16_t)(v >> 16));
	return put16(b, o + 2, (uint16_t)v);
}

static inline uint32_t put64(uint8_t *b, uint32_t o, uint64_t v)
{
	put32(b, o, (uint32_t)(v >> 32));
	return put32(b, o + 4, (uint32_t)v);
}

static inline uint32_t fill(uint8_t *b, uint32_t o, uint32_t n, uint8_t v)
{
	memset(b + o, v, n);
	return o + n;
}

static inline uint32_t puts_(uint8_t *b, uint32_t o, const char *s)
{
	size_t n = strlen(s);

	memcpy(b + o, s, n);
	return o + (uint32_t)n;
}

static inline uint8_t rnd8(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static inline uint32_t rndfill(uint8_t *b, uint32_t o, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		b[o + i] = rnd8();
	return o + n;
}

/* An ESP packet (RFC 4303): SPI, sequence number, then body random bytes. */
static inline uint32_t esp(uint8_t *b, uint32_t spi, uint32_t seq, uint32_t body)
{
	uint32_t o = put32(b, 0, spi);
	o = put32(b, o, seq);
	return rndfill(b, o, body);
}

/* One packet of a flow between client port cp and server port sp. */
static inline int feed(struct flow_insp *f, uint8_t dir, const uint8_t *p, uint32_t len, uint16_t cp, uint16_t sp)
{
	return harness_feed(&h, f, dir, p, len, dir == CLS_C2S ? cp : sp, dir == CLS_C2S ? sp : cp);
}

/* The TCP three-way handshake: three payload-less packets. */
static inline void tcp_open(struct flow_insp *f, uint16_t cp, uint16_t sp)
{
	harness_flow(f, 6);
	feed(f, CLS_C2S, NULL, 0, cp, sp);
	feed(f, CLS_S2C, NULL, 0, cp, sp);
	feed(f, CLS_C2S, NULL, 0, cp, sp);
}

static inline void expect(const struct flow_insp *f, const char *app, enum cls_result r, const char *check, uint16_t at)
{
	CHECK_EQ(f->phase, FLOW_DECIDED);
	CHECK_STR(harness_app(f), app);
	CHECK_EQ(f->result, r);
	CHECK_STR(f->check, check);
	CHECK_EQ(f->decided_at_pkt, at);
}

static inline void expect_none(const struct flow_insp *f)
{
	CHECK(f->phase != FLOW_DECIDED);
}

/* Not decided as app (another app, or nothing). */
static inline void expect_not(const struct flow_insp *f, const char *app)
{
	CHECK(f->phase != FLOW_DECIDED || strcmp(harness_app(f), app) != 0);
}

static inline void wg_msg(uint8_t *p, uint32_t n, uint8_t type, uint32_t a, uint32_t b, uint64_t ctr)
{
	memset(p, 0x5a, n);
	p[0] = type, p[1] = p[2] = p[3] = 0;
	memcpy(p + 4, &a, 4);
	if (type == 2)
		memcpy(p + 8, &b, 4);
	if (type == 4)
		memcpy(p + 8, &ctr, 8);
}

/*
 * A WireGuard handshake, a WireGuard transport stream and an OpenVPN hard
 * reset exchange to server port sp still decide as themselves: a new
 * classifier must not steal them on its own ports.
 */
static inline void expect_wireguard_openvpn_decide(uint16_t sp)
{
	uint8_t a[200], b[200];
	struct flow_insp f;

	/* WireGuard initiation -> response. */
	harness_flow(&f, 17);
	wg_msg(a, 148, 1, 0x11223344, 0, 0);
	wg_msg(b, 92, 2, 0x55667788, 0x11223344, 0);
	feed(&f, CLS_C2S, a, 148, 40000, sp);
	feed(&f, CLS_S2C, b, 92, 40000, sp);
	expect(&f, "wireguard", CLS_CONFIRMED, "handshake-init+response-index-match", 2);

	/* WireGuard transport data only (ESP-like: constant 4 bytes, counter). */
	harness_flow(&f, 17);
	for (uint64_t c = 1; c <= 3; c++) {
		wg_msg(a, 96, 4, 0x01020304, 0, c);
		feed(&f, CLS_C2S, a, 96, 40000, sp);
	}
	expect(&f, "wireguard", CLS_LIKELY, "transport-data-one-dir-index-counter-consistent", 3);

	/* OpenVPN plain hard reset client -> server (ack of the client session). */
	harness_flow(&f, 17);
	memset(a, 0, sizeof(a));
	a[0] = 0x38;
	put64(a, 1, 0x1111222233334444ull);    /* ack count 0, message packet id 0: 14 bytes */
	memset(b, 0, sizeof(b));
	b[0] = 0x40;
	put64(b, 1, 0x5555666677778888ull);
	b[9] = 1;                              /* one ack, of packet id 0 */
	put64(b, 14, 0x1111222233334444ull);   /* the client's session id; message packet id 0 */
	feed(&f, CLS_C2S, a, 14, 40000, sp);
	feed(&f, CLS_S2C, b, 26, 40000, sp);
	expect(&f, "openvpn", CLS_CONFIRMED, "hard-reset-client+server-ack-session-match", 2);
}

#endif
