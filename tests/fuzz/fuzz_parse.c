/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for parse_packet(). The input is copied into a buffer of
 * exactly its size so ASan traps any read past len (libFuzzer's own buffer
 * may have slack), then the result's promises are asserted.
 *
 * clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-fno-sanitize-recover=all -Iengine/packet engine/packet/parse.c tests/fuzz/fuzz_parse.c \
 *	-o /tmp/fuzz_parse && /tmp/fuzz_parse -max_total_time=60 tests/data/parse
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* assert() would vanish under NDEBUG; an invariant check must not. */
#define REQUIRE(c)             \
	do {                   \
		if (!(c))      \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parser takes uint32_t; nothing larger is ever a frame. */
	if (size > 0x20000)
		return 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	uint32_t len = (uint32_t)size;

	struct pkt_info pi;
	memset(&pi, 0xa5, sizeof(pi));
	enum parse_result r = parse_packet(buf, len, &pi);

	/* Never writes to the packet. */
	REQUIRE(memcmp(buf, data, size) == 0);
	free(buf);

	REQUIRE(r == PARSE_OK || r == PARSE_NOT_IP || r == PARSE_MALFORMED ||
		r == PARSE_FRAGMENT);
	REQUIRE((r == PARSE_MALFORMED) == (pi.err != NULL));
	REQUIRE(pi.n_vlans <= 2);
	REQUIRE(pi.vlan <= 0x0fff);
	if (pi.n_vlans == 0)
		REQUIRE(pi.vlan == 0);

	if (r == PARSE_NOT_IP) {
		REQUIRE(pi.ip_version == 0);
		REQUIRE(pi.src_port == 0 && pi.dst_port == 0);
		REQUIRE(pi.payload_len == 0);
	}
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return 0;

	static const uint8_t zero[12];
	REQUIRE(pi.ip_version == 4 || pi.ip_version == 6);
	REQUIRE(pi.l3_off == 14 + 4 * pi.n_vlans);
	if (pi.ip_version == 4) {
		REQUIRE(memcmp(pi.src + 4, zero, 12) == 0);
		REQUIRE(memcmp(pi.dst + 4, zero, 12) == 0);
		REQUIRE((uint32_t)pi.l3_off + 20 <= pi.l4_off);
	} else {
		REQUIRE((uint32_t)pi.l3_off + 40 <= pi.l4_off);
	}
	REQUIRE(pi.l3_off < pi.l4_off);
	REQUIRE(pi.l4_off <= pi.payload_off);
	REQUIRE(pi.l4_off <= len);
	REQUIRE(pi.payload_off <= len);
	REQUIRE((uint32_t)pi.payload_off + pi.payload_len <= len);

	if (r == PARSE_FRAGMENT) {
		REQUIRE(pi.src_port == 0 && pi.dst_port == 0);
		REQUIRE(pi.tcp_flags == 0 && pi.tcp_seq == 0);
		return 0;
	}
	switch (pi.l4_proto) {
	case 6:
		REQUIRE(pi.payload_off - pi.l4_off >= 20);
		REQUIRE(pi.payload_off - pi.l4_off <= 60);
		break;
	case 17:
		REQUIRE(pi.payload_off - pi.l4_off == 8);
		break;
	default:
		REQUIRE(pi.payload_off == pi.l4_off);
		REQUIRE(pi.src_port == 0 && pi.dst_port == 0);
		REQUIRE(pi.tcp_flags == 0 && pi.tcp_seq == 0);
		break;
	}
	return 0;
}
