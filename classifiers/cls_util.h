/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte helpers shared by the classifiers' validators: bounds-checked
 * big/little-endian reads against a payload length, "all zero" and equality
 * checks, the plausible-unix-time test, the port and sequence-counter
 * tests, the IPsec NAT-T marker/keepalive shared by IKE and ESP, and the
 * ESP header tracker. Everything is static inline and side-effect
 * free (no allocation, no globals), so validators stay on the hot path and
 * no classifier copies another's byte code.
 *
 * Convention: a reader returns false (and leaves *v alone) when the field
 * [off, off + size) does not lie inside [0, len); callers treat that as
 * "not this protocol". Offsets and lengths are uint32_t, and the checks are
 * written so that off + size cannot overflow.
 */
#ifndef TUNDRA_CLS_UTIL_H
#define TUNDRA_CLS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "classifier.h"

/* True when n bytes starting at off are inside a buffer of len bytes. */
static inline bool
cls_has(uint32_t len, uint32_t off, uint32_t n)
{
	return off <= len && len - off >= n;
}

static inline bool
cls_u8(const uint8_t *p, uint32_t len, uint32_t off, uint8_t *v)
{
	if (!cls_has(len, off, 1))
		return false;
	*v = p[off];
	return true;
}

static inline bool
cls_be16(const uint8_t *p, uint32_t len, uint32_t off, uint16_t *v)
{
	if (!cls_has(len, off, 2))
		return false;
	*v = (uint16_t)((uint16_t)p[off] << 8 | p[off + 1]);
	return true;
}

static inline bool
cls_be32(const uint8_t *p, uint32_t len, uint32_t off, uint32_t *v)
{
	if (!cls_has(len, off, 4))
		return false;
	*v = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
	     (uint32_t)p[off + 2] << 8 | (uint32_t)p[off + 3];
	return true;
}

static inline bool
cls_le32(const uint8_t *p, uint32_t len, uint32_t off, uint32_t *v)
{
	if (!cls_has(len, off, 4))
		return false;
	*v = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	     (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
	return true;
}

static inline bool
cls_be64(const uint8_t *p, uint32_t len, uint32_t off, uint64_t *v)
{
	uint32_t hi, lo;

	if (!cls_be32(p, len, off, &hi) || !cls_be32(p, len, off + 4, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

static inline bool
cls_le64(const uint8_t *p, uint32_t len, uint32_t off, uint64_t *v)
{
	uint32_t lo, hi;

	if (!cls_le32(p, len, off, &lo) || !cls_le32(p, len, off + 4, &hi))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* True when [off, off + n) is inside len and every byte there is zero. */
static inline bool
cls_all_zero(const uint8_t *p, uint32_t len, uint32_t off, uint32_t n)
{
	uint32_t i;

	if (!cls_has(len, off, n))
		return false;
	for (i = 0; i < n; i++)
		if (p[off + i] != 0)
			return false;
	return true;
}

/*
 * How many bytes of [off, off + n) are zero, UINT32_MAX when the range is not
 * inside len. Ciphertext, keys and MACs are uniformly random: 16 of their
 * bytes hold a zero 6 % of the time and four or more once in 2.4 million,
 * where a structured message (counters, lengths, padding) has many.
 */
static inline uint32_t
cls_zero_count(const uint8_t *p, uint32_t len, uint32_t off, uint32_t n)
{
	uint32_t i, z = 0;

	if (!cls_has(len, off, n))
		return UINT32_MAX;
	for (i = 0; i < n; i++)
		z += p[off + i] == 0;
	return z;
}

/*
 * True when [off, off + n) is inside len, n <= 32, and no byte value occurs
 * in it more than twice: what n bytes of ciphertext, a key or a nonce look
 * like (12 random bytes fail 0.3 % of the time, 8 bytes 0.08 %), and what
 * zero fill, a repeated byte, text or counters do not. For a value that is
 * compared with a later packet's bytes: it keeps the comparison from
 * holding on structure that repeats.
 */
static inline bool
cls_bytes_varied(const uint8_t *p, uint32_t len, uint32_t off, uint32_t n)
{
	uint32_t i, j, k;

	if (n > 32 || !cls_has(len, off, n))
		return false;
	for (i = 0; i < n; i++) {
		for (j = i + 1, k = 1; j < n; j++)
			k += p[off + i] == p[off + j];
		if (k > 2)
			return false;
	}
	return true;
}

/* True when [off, off + n) is inside len and equals ref[0..n). */
static inline bool
cls_bytes_eq(const uint8_t *p, uint32_t len, uint32_t off, const uint8_t *ref, uint32_t n)
{
	return cls_has(len, off, n) && memcmp(p + off, ref, n) == 0;
}

/*
 * A 32-bit unix time a live peer could plausibly send: from 2010-01-01
 * (1262304000) up to 2100-01-01 (4102444800). Kept deliberately loose: it
 * only rejects zeros, small counters and obviously random values (about
 * 80 % of the 32-bit space), and never depends on the local clock, so a
 * replayed capture and a peer with a skewed clock both still pass.
 */
#define CLS_TIME_MIN 1262304000u
#define CLS_TIME_MAX 4102444800u

static inline bool
cls_plausible_unix_time(uint32_t t)
{
	return t >= CLS_TIME_MIN && t <= CLS_TIME_MAX;
}

/* True when the packet's source or destination port is port (UDP/TCP). */
static inline bool
cls_port_either(const struct cls_pkt *pkt, uint16_t port)
{
	return pkt->src_port == port || pkt->dst_port == port;
}

/*
 * A per-direction counter moved forward by 1..max_step (modulo 2^32, so a
 * wrap from 0xffffffff to 0 is a step of 1): ESP sequence numbers, enhanced
 * GRE sequence numbers. Equal values (a replay) and backward moves fail.
 */
static inline bool
cls_seq_advanced(uint32_t prev, uint32_t cur, uint32_t max_step)
{
	uint32_t step = cur - prev;

	return step >= 1 && step <= max_step;
}

/*
 * Which side a well-known port names as the server: the direction of the
 * side that uses port as its source while its peer does not (0 = CLS_C2S,
 * 1 = CLS_S2C), -1 when both or neither do. Only ever a hint for naming the
 * server of a flow some other check decided: a port is never evidence that
 * the flow is the protocol.
 */
static inline int
cls_port_server_dir(const struct cls_pkt *pkt, uint16_t port)
{
	bool src = pkt->src_port == port, dst = pkt->dst_port == port;

	if (src == dst)
		return -1;
	return src ? (int)(pkt->dir & 1u) : (int)((pkt->dir & 1u) ^ 1u);
}

/*
 * IPsec NAT traversal (RFC 3948): on UDP 4500 an IKE message is preceded by
 * a 4-byte zero "non-ESP marker" (an ESP SPI is never 0), and a lone 0xFF
 * byte is a NAT-keepalive. Shared by the IKE and ESP classifiers.
 */
#define CLS_NATT_PORT 4500u
#define CLS_NATT_MARKER_LEN 4u

static inline bool
cls_natt_marker(const uint8_t *p, uint32_t len)
{
	return cls_all_zero(p, len, 0, CLS_NATT_MARKER_LEN);
}

static inline bool
cls_natt_keepalive(const uint8_t *p, uint32_t len)
{
	return len == 1 && p[0] == 0xff;
}

/* True when p[off..len) starts with the bytes of the C string s. */
static inline bool
cls_str_at(const uint8_t *p, uint32_t len, uint32_t off, const char *s)
{
	return cls_bytes_eq(p, len, off, (const uint8_t *)s, (uint32_t)strlen(s));
}

/* Offset of the first s inside p[from..to) (to capped at len), or UINT32_MAX. */
static inline uint32_t
cls_find(const uint8_t *p, uint32_t len, uint32_t from, uint32_t to, const char *s)
{
	uint32_t n = (uint32_t)strlen(s), i;

	if (to > len)
		to = len;
	if (n == 0 || from > to || to - from < n)
		return UINT32_MAX;
	for (i = from; i <= to - n; i++)
		if (p[i] == (uint8_t)s[0] && memcmp(p + i, s, n) == 0)
			return i;
	return UINT32_MAX;
}

/*
 * The request line of a cleartext HTTP/1.x request at the start of p: it
 * must end in " HTTP/1.0" or " HTTP/1.1" + CRLF within the first `max`
 * bytes and hold only printable ASCII. Returns the offset of its CRLF, or 0
 * when p does not start with such a line.
 */
static inline uint32_t
cls_http_request_line(const uint8_t *p, uint32_t len, uint32_t max)
{
	uint32_t i, lim = len < max ? len : max;

	if (p == NULL)
		return 0;
	for (i = 0; i + 1 < lim; i++) {
		if (p[i] == '\r')
			break;
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	}
	if (i + 1 >= lim || p[i + 1] != '\n' || i < 9 || !cls_str_at(p, len, i - 9, " HTTP/1.") ||
	    (p[i - 1] != '0' && p[i - 1] != '1'))
		return 0;
	return i;
}

/* A verdict in one expression. */
static inline struct cls_verdict
cls_ret(enum cls_result r, const char *check)
{
	struct cls_verdict v = { r, check, CLS_SERVER_UNSAID };

	return v;
}

/* A verdict that also says the server is the side sending in direction server_dir. */
static inline struct cls_verdict
cls_ret_server(enum cls_result r, const char *check, uint8_t server_dir)
{
	struct cls_verdict v = { r, check,
				 server_dir == CLS_C2S ? CLS_SERVER_C2S_SENDER : CLS_SERVER_S2C_SENDER };

	return v;
}

/*
 * ESP header tracking (RFC 4303 §2), shared by esp.c and by a classifier
 * that sees ESP on another transport (cisco_ipsec.c on UDP 10000): SPI >=
 * 256 (0 is the NAT-T marker, 1..255 IANA-reserved), sequence number != 0,
 * at least 24 bytes; per direction a constant SPI and sequence numbers
 * moving up by exactly 1; the two directions with different SPIs (each is
 * its own SA). The tracker lives inside the caller's state struct.
 */
#define CLS_ESP_MIN_LEN 24u
#define CLS_ESP_SPI_MIN 256u

struct cls_esp_track {
	uint32_t spi[2];        /* per direction */
	uint32_t seq[2];        /* last sequence number per direction */
	uint8_t count[2];       /* consistent packets per direction, 0 = direction not seen */
};

/*
 * A sequence number a young SA has: at most 2^24 packets sent. For a flow
 * too short to show the counter moving (one or two packets: mostly a new
 * SA's first ones, or a quiet SA's), a bound that keeps a random 32-bit
 * value out 99.6 % of the time; rekeying restarts the count.
 */
#define CLS_ESP_YOUNG_SEQ_MAX 0x01000000u

static inline bool
cls_esp_seq_young(uint32_t seq)
{
	return seq != 0 && seq <= CLS_ESP_YOUNG_SEQ_MAX;
}

/* The SPI and sequence number of an ESP packet p[0..len), false when not ESP. */
static inline bool
cls_esp_header(const uint8_t *p, uint32_t len, uint32_t *spi, uint32_t *seq)
{
	return p != NULL && len >= CLS_ESP_MIN_LEN && cls_be32(p, len, 0, spi) &&
	       cls_be32(p, len, 4, seq) && *spi >= CLS_ESP_SPI_MIN && *seq != 0;
}

/*
 * A packet of direction d: NULL when it is consistent (counted), else the
 * reason it is not ESP of this flow ("esp-spi-changed",
 * "esp-seq-not-consecutive", "esp-same-spi-both-dirs").
 */
static inline const char *
cls_esp_track(struct cls_esp_track *t, unsigned int d, uint32_t spi, uint32_t seq)
{
	d &= 1u;
	if (t->count[d] != 0) {
		if (spi != t->spi[d])
			return "esp-spi-changed";
		if (!cls_seq_advanced(t->seq[d], seq, 1))
			return "esp-seq-not-consecutive";
		if (t->count[d] < 255)
			t->count[d]++;
	} else {
		if (t->count[d ^ 1u] != 0 && spi == t->spi[d ^ 1u])
			return "esp-same-spi-both-dirs";
		t->spi[d] = spi;
		t->count[d] = 1;
	}
	t->seq[d] = seq;
	return NULL;
}

#endif
