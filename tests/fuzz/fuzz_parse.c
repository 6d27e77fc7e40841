/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for parse_packet(), encapsulations included. The input is
 * copied into a buffer of exactly its size so ASan traps any read past len
 * (libFuzzer's own buffer may have slack), then the result's promises are
 * asserted: the inner packet's offsets and the outer headers' counts, kinds
 * and zone.
 *
 * clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-fno-sanitize-recover=all -Iengine/packet engine/packet/parse.c engine/packet/parse_outer.c tests/fuzz/fuzz_parse.c \
 *	-o /tmp/fuzz_parse && /tmp/fuzz_parse -max_total_time=60 tests/data/parse
 */
#include <stdint.h>
#include <stdio.h>
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

/* What pkt_outer promises: bounded counts, known kinds, a zone of its width that is a VLAN id or marked. */
static void
check_outer(const struct pkt_info *pi)
{
	const struct pkt_outer *o = &pi->outer;
	REQUIRE(o->depth <= PARSE_MAX_ENCAP);
	REQUIRE(o->n_layers <= PARSE_MAX_LAYERS);
	REQUIRE((o->kinds >> ENCAP_COUNT) == 0);
	uint16_t kinds = 0;
	for (unsigned int i = 0; i < o->n_layers; i++) {
		REQUIRE(o->layer[i] < ENCAP_COUNT);
		kinds |= (uint16_t)(1u << o->layer[i]);
	}
	REQUIRE((kinds & ~o->kinds) == 0);
	if (o->n_layers < PARSE_MAX_LAYERS)
		REQUIRE(kinds == o->kinds);
	for (unsigned int i = 0; i < o->n_vlans && i < 2; i++)
		REQUIRE(o->vlan[i] <= 0x0fff);
	REQUIRE(pi->zone < (1u << PARSE_ZONE_BITS));
	if (o->zone_ids == 0)
		REQUIRE(pi->zone == 0);
	else if (o->zone_ids == 1 && o->n_vlans == 1)
		REQUIRE(pi->zone == o->vlan[0]);
	else
		REQUIRE(pi->zone & PARSE_ZONE_MARK);
	/* The record printer reads only what the counts and bits allow. */
	static FILE *null;
	if (null == NULL)
		null = fopen("/dev/null", "w");
	if (null != NULL)
		parse_outer_json(o, null);
}

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
	check_outer(&pi);

	if (r == PARSE_NOT_IP) {
		REQUIRE(pi.ip_version == 0);
		REQUIRE(pi.src_port == 0 && pi.dst_port == 0);
		REQUIRE(pi.payload_len == 0);
	}
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return 0;

	static const uint8_t zero[12];
	REQUIRE(pi.ip_version == 4 || pi.ip_version == 6);
	if (pi.outer.depth == 0)
		REQUIRE(pi.l3_off == 14 + 4 * pi.outer.n_vlans);
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
