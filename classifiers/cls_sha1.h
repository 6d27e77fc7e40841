/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-1 (FIPS 180-4 §6.1) of one contiguous buffer, for a validator that
 * checks a digest a protocol carries in clear (softether.c: SoftEther's
 * "VPN over ICMP" puts SHA-1 of the rest of the echo payload in front of
 * it). Used as a checksum-like structure test only, never for security.
 * static inline, no allocation, no globals, like cls_util.h; the unit tests
 * use it too to build packets.
 */
#ifndef TUNDRA_CLS_SHA1_H
#define TUNDRA_CLS_SHA1_H

#include <stdint.h>
#include <string.h>

#define CLS_SHA1_LEN 20u

static inline uint32_t
cls_sha1_rol(uint32_t x, unsigned int n)
{
	return x << n | x >> (32u - n);
}

/* One 64-byte block into the state h[5]. */
static inline void
cls_sha1_block(uint32_t h[5], const uint8_t *b)
{
	uint32_t w[80], a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 |
		       b[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = cls_sha1_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (bb & c) | (~bb & d), k = 0x5a827999u;
		else if (i < 40)
			f = bb ^ c ^ d, k = 0x6ed9eba1u;
		else if (i < 60)
			f = (bb & c) | (bb & d) | (c & d), k = 0x8f1bbcdcu;
		else
			f = bb ^ c ^ d, k = 0xca62c1d6u;
		t = cls_sha1_rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = cls_sha1_rol(bb, 30), bb = a, a = t;
	}
	h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

/* out[0..20) = SHA-1 of p[0..n). */
static inline void
cls_sha1(const uint8_t *p, uint32_t n, uint8_t out[CLS_SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u };
	uint8_t tail[128];
	uint64_t bits = (uint64_t)n * 8u;
	uint32_t done = n & ~63u, rest = n - done, end, i;

	for (i = 0; i < done; i += 64)
		cls_sha1_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + done, rest);
	tail[rest] = 0x80;
	end = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[end - 1 - i] = (uint8_t)(bits >> (8 * i));
	cls_sha1_block(h, tail);
	if (end == 128)
		cls_sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

#endif
