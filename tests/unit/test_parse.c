/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for parse_packet(). Packets are built byte by byte here rather
 * than loaded from captures, so each test states exactly which header field
 * it exercises and the expected offsets follow from the construction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"

/* Large enough for the longest legal IPv6 extension chain plus padding tests. */
#define PB_MAX 70000

struct pb {
	uint32_t n;
	uint8_t d[PB_MAX];
};

/* One builder reused by every test: static so 70 KB stays off the stack. */
static struct pb pkt;

static void
put8(struct pb *p, uint8_t v)
{
	p->d[p->n++] = v;
}

static void
put16(struct pb *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void
put32(struct pb *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

/* Filler with a recognisable, position-dependent pattern. */
static void
putfill(struct pb *p, uint32_t n, uint8_t seed)
{
	while (n--)
		put8(p, (uint8_t)(seed + p->n));
}

static void
set16(struct pb *p, uint32_t off, uint16_t v)
{
	p->d[off] = (uint8_t)(v >> 8);
	p->d[off + 1] = (uint8_t)v;
}

static const uint8_t V4_SRC[4] = { 10, 1, 2, 3 };
static const uint8_t V4_DST[4] = { 192, 168, 7, 9 };
static const uint8_t V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xa, 0xb, 0xc, 0xd };

/* Starts a frame: MACs then the first ethertype (or TPID). */
static void
eth(struct pb *p, uint16_t type)
{
	p->n = 0;
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	for (int i = 0; i < 12; i++)
		put8(p, macs[i]);
	put16(p, type);
}

/* One tag's TCI followed by the next ethertype (or TPID). */
static void
vlan(struct pb *p, uint16_t tci, uint16_t next)
{
	put16(p, tci);
	put16(p, next);
}

/* IPv4 header with opt_words 32-bit words of options; returns its offset. */
static uint32_t
ipv4(struct pb *p, uint8_t proto, uint8_t opt_words, uint16_t frag)
{
	uint32_t off = p->n;
	put8(p, (uint8_t)(0x40 | (5 + opt_words)));
	put8(p, 0);
	put16(p, 0);            /* total length: ipv4_end() */
	put16(p, 0x1234);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0xbeef);       /* checksum: deliberately wrong, not verified */
	for (int i = 0; i < 4; i++)
		put8(p, V4_SRC[i]);
	for (int i = 0; i < 4; i++)
		put8(p, V4_DST[i]);
	for (int i = 0; i < opt_words; i++)
		put32(p, 0x01010101);   /* NOPs */
	return off;
}

static void
ipv4_end(struct pb *p, uint32_t l3)
{
	set16(p, l3 + 2, (uint16_t)(p->n - l3));
}

static uint32_t
ipv6(struct pb *p, uint8_t nh)
{
	uint32_t off = p->n;
	put32(p, 0x60000000);
	put16(p, 0);            /* payload length: ipv6_end() */
	put8(p, nh);
	put8(p, 64);
	for (int i = 0; i < 16; i++)
		put8(p, V6_SRC[i]);
	for (int i = 0; i < 16; i++)
		put8(p, V6_DST[i]);
	return off;
}

static void
ipv6_end(struct pb *p, uint32_t l3)
{
	set16(p, l3 + 4, (uint16_t)(p->n - l3 - 40));
}

/* Generic extension header of type `type` with length field hl. */
static void
ext6(struct pb *p, uint8_t type, uint8_t nh, uint8_t hl)
{
	uint32_t len = type == 51 ? ((uint32_t)hl + 2) * 4 : ((uint32_t)hl + 1) * 8;
	put8(p, nh);
	put8(p, hl);
	putfill(p, len - 2, 0x11);
}

static void
frag6(struct pb *p, uint8_t nh, uint16_t offset_units, int more)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
	put32(p, 0xcafef00d);
}

static uint32_t
tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags, uint8_t opt_words)
{
	uint32_t off = p->n;
	put16(p, sport);
	put16(p, dport);
	put32(p, seq);
	put32(p, 0x01020304);
	put8(p, (uint8_t)((5 + opt_words) << 4));
	put8(p, flags);
	put16(p, 65535);
	put16(p, 0);
	put16(p, 0);
	for (int i = 0; i < opt_words; i++)
		put32(p, 0x01010101);
	return off;
}

static uint32_t
udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	uint32_t off = p->n;
	put16(p, sport);
	put16(p, dport);
	put16(p, 0);            /* length: udp_end() */
	put16(p, 0);
	return off;
}

static void
udp_end(struct pb *p, uint32_t l4)
{
	set16(p, l4 + 4, (uint16_t)(p->n - l4));
}

/*
 * Parses from an exactly sized heap copy, so ASan flags any read past len,
 * and checks the parser left the packet untouched and kept its promises.
 */
static enum parse_result
parse_exact(const uint8_t *src, uint32_t len, struct pkt_info *pi)
{
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, src, len);
	/* Poison pi so a field the parser forgot to reset shows up. */
	memset(pi, 0xa5, sizeof(*pi));
	enum parse_result r = parse_packet(buf, len, pi);
	CHECK(memcmp(buf, src, len) == 0);
	free(buf);

	if (r == PARSE_MALFORMED) {
		CHECK(pi->err != NULL);
	} else {
		CHECK(pi->err == NULL);
		CHECK(pi->outer.depth <= PARSE_MAX_ENCAP);
		CHECK(pi->outer.n_layers <= PARSE_MAX_LAYERS);
	}
	if (r == PARSE_OK || r == PARSE_FRAGMENT) {
		CHECK(pi->ip_version == 4 || pi->ip_version == 6);
		CHECK(pi->l3_off < pi->l4_off);
		CHECK(pi->l4_off <= pi->payload_off);
		CHECK((uint32_t)pi->payload_off + pi->payload_len <= len);
		if (pi->ip_version == 4) {
			static const uint8_t z[12];
			CHECK(memcmp(pi->src + 4, z, 12) == 0);
			CHECK(memcmp(pi->dst + 4, z, 12) == 0);
		}
	}
	if (r == PARSE_NOT_IP)
		CHECK_EQ(pi->ip_version, 0);
	if (r != PARSE_OK) {
		CHECK_EQ(pi->src_port, 0);
		CHECK_EQ(pi->dst_port, 0);
	}
	return r;
}

static enum parse_result
parse_pb(struct pb *p, struct pkt_info *pi)
{
	return parse_exact(p->d, p->n, pi);
}

static void
check_v4_addrs(const struct pkt_info *pi)
{
	CHECK_EQ(pi->ip_version, 4);
	CHECK(memcmp(pi->src, V4_SRC, 4) == 0);
	CHECK(memcmp(pi->dst, V4_DST, 4) == 0);
}

static void
check_v6_addrs(const struct pkt_info *pi)
{
	CHECK_EQ(pi->ip_version, 6);
	CHECK(memcmp(pi->src, V6_SRC, 16) == 0);
	CHECK(memcmp(pi->dst, V6_DST, 16) == 0);
}

static void
test_ipv4_udp(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 17, 0, 0);
	uint32_t l4 = udp(&pkt, 5353, 53);
	putfill(&pkt, 30, 0x40);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);

	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_v4_addrs(&pi);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.outer.n_vlans, 0);
	CHECK_EQ(pi.outer.kinds, 0);
	CHECK_EQ(pi.zone, 0);
	CHECK_EQ(pi.l3_off, 14);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(pi.payload_off, 42);
	CHECK_EQ(pi.payload_len, 30);
	CHECK_EQ(pi.src_port, 5353);
	CHECK_EQ(pi.dst_port, 53);
	CHECK_EQ(pi.tcp_flags, 0);
	CHECK_EQ(pi.tcp_seq, 0);

	/* Empty UDP payload. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 17, 0, 0);
	l4 = udp(&pkt, 1, 2);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 42);
	CHECK_EQ(pi.payload_len, 0);

	/* DF alone is not a fragment. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 17, 0, 0x4000);
	l4 = udp(&pkt, 1, 2);
	putfill(&pkt, 5, 0);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 5);
	CHECK_EQ(pi.dst_port, 2);
}

static void
test_ipv4_udp_shorter_than_ip(void)
{
	/* UDP length below the IP payload: UDP length wins. */
	struct pkt_info pi;
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 17, 0, 0);
	uint32_t l4 = udp(&pkt, 1000, 2000);
	putfill(&pkt, 10, 0);
	udp_end(&pkt, l4);
	putfill(&pkt, 6, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 10);
}

static void
test_ipv4_tcp(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 6, 0, 0);
	tcp(&pkt, 51515, 443, 0xdeadbeef, TCP_FLAG_SYN | TCP_FLAG_ACK, 3);
	putfill(&pkt, 100, 0x7);
	ipv4_end(&pkt, l3);

	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_v4_addrs(&pi);
	CHECK_EQ(pi.l4_proto, 6);
	CHECK_EQ(pi.l4_off, 34);
	CHECK_EQ(pi.payload_off, 34 + 32);
	CHECK_EQ(pi.payload_len, 100);
	CHECK_EQ(pi.src_port, 51515);
	CHECK_EQ(pi.dst_port, 443);
	CHECK_EQ(pi.tcp_seq, 0xdeadbeef);
	CHECK_EQ(pi.tcp_flags, TCP_FLAG_SYN | TCP_FLAG_ACK);

	/* Header exactly ends the datagram (pure ACK, no options). */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 6, 0, 0);
	tcp(&pkt, 1, 2, 7, TCP_FLAG_ACK | TCP_FLAG_FIN, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 54);
	CHECK_EQ(pi.payload_len, 0);
	CHECK_EQ(pi.tcp_flags, TCP_FLAG_ACK | TCP_FLAG_FIN);

	/* Maximal data offset 15 (40 bytes of options). */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 6, 0, 0);
	tcp(&pkt, 1, 2, 7, TCP_FLAG_RST, 10);
	putfill(&pkt, 1, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 34 + 60);
	CHECK_EQ(pi.payload_len, 1);
}

static void
test_ipv4_options(void)
{
	struct pkt_info pi;
	/* IHL 7 and the maximum IHL 15. */
	static const uint8_t words[] = { 2, 10 };
	for (unsigned int i = 0; i < sizeof(words); i++) {
		eth(&pkt, 0x0800);
		uint32_t l3 = ipv4(&pkt, 17, words[i], 0);
		uint32_t l4 = udp(&pkt, 7, 9);
		putfill(&pkt, 12, 0);
		udp_end(&pkt, l4);
		ipv4_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_v4_addrs(&pi);
		CHECK_EQ(pi.l4_off, 14 + 20 + 4 * words[i]);
		CHECK_EQ(pi.payload_off, pi.l4_off + 8);
		CHECK_EQ(pi.payload_len, 12);
		CHECK_EQ(pi.src_port, 7);
	}
}

static void
test_vlan(void)
{
	struct pkt_info pi;
	/* PCP 5, DEI 1, VID 0x123: only the VID must come out. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 0xb123, 0x0800);
	uint32_t l3 = ipv4(&pkt, 6, 0, 0);
	tcp(&pkt, 80, 40000, 1, TCP_FLAG_ACK, 0);
	putfill(&pkt, 9, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.outer.n_vlans, 1);
	CHECK_EQ(pi.outer.vlan[0], 0x123);
	CHECK_EQ(pi.outer.kinds, 1u << ENCAP_VLAN);
	/* One tag and nothing else: the zone is the VLAN id, as the flow key's vlan was. */
	CHECK_EQ(pi.zone, 0x123);
	CHECK_EQ(pi.l3_off, 18);
	CHECK_EQ(pi.l4_off, 38);
	CHECK_EQ(pi.payload_off, 58);
	CHECK_EQ(pi.payload_len, 9);
	CHECK_EQ(pi.src_port, 80);

	/* VLAN carrying IPv6. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 4095, 0x86dd);
	l3 = ipv6(&pkt, 17);
	uint32_t l4 = udp(&pkt, 500, 4500);
	putfill(&pkt, 3, 0);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_v6_addrs(&pi);
	CHECK_EQ(pi.outer.vlan[0], 4095);
	CHECK_EQ(pi.zone, 4095);
	CHECK_EQ(pi.l3_off, 18);
	CHECK_EQ(pi.l4_off, 58);
	CHECK_EQ(pi.payload_len, 3);
}

static void
test_qinq(void)
{
	struct pkt_info pi;
	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };
	for (unsigned int i = 0; i < 3; i++) {
		eth(&pkt, outer[i]);
		vlan(&pkt, 0xe00a, 0x8100);     /* outer VID 10 */
		vlan(&pkt, 0x2ffe, 0x0800);       /* PCP 1, inner VID 0xffe */
		uint32_t l3 = ipv4(&pkt, 17, 0, 0);
		uint32_t l4 = udp(&pkt, 1, 2);
		putfill(&pkt, 4, 0);
		udp_end(&pkt, l4);
		ipv4_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		CHECK_EQ(pi.outer.n_vlans, 2);
		CHECK_EQ(pi.outer.vlan[0], 10);
		CHECK_EQ(pi.outer.vlan[1], 0xffe);
		CHECK_EQ(pi.outer.kinds, 1u << ENCAP_QINQ);
		/* Both tags name the tenant: a marked hash, the same for every outer TPID. */
		CHECK(pi.zone & PARSE_ZONE_MARK);
		CHECK(pi.zone < (1u << PARSE_ZONE_BITS));
		static uint32_t qinq_zone;
		if (i == 0)
			qinq_zone = pi.zone;
		CHECK_EQ(pi.zone, qinq_zone);
		CHECK_EQ(pi.l3_off, 22);
		CHECK_EQ(pi.l4_off, 42);
		CHECK_EQ(pi.payload_len, 4);
	}

	/* Third tag. */
	eth(&pkt, 0x88a8);
	vlan(&pkt, 1, 0x8100);
	vlan(&pkt, 2, 0x8100);
	vlan(&pkt, 3, 0x0800);
	uint32_t l3 = ipv4(&pkt, 17, 0, 0);
	uint32_t l4 = udp(&pkt, 1, 2);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "too many VLAN tags");
}

static void
test_not_ip(void)
{
	struct pkt_info pi;
	/* ARP, LLDP, 802.3 length, PPPoE, IPX-ish: padded minimum frames. */
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x05dc, 0x002e, 0x8864, 0x0600, 0xffff };
	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		eth(&pkt, types[i]);
		putfill(&pkt, 46, 0);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);
		CHECK_EQ(pi.outer.n_vlans, 0);
	}
	/* Bare 14-byte header of a non-IP type is complete enough. */
	eth(&pkt, 0x0806);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);

	/* ARP inside a VLAN: the tag is still reported. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 42, 0x0806);
	putfill(&pkt, 28, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);
	CHECK_EQ(pi.outer.n_vlans, 1);
	CHECK_EQ(pi.outer.vlan[0], 42);
	CHECK_EQ(pi.ip_version, 0);
}

static void
test_short_frames(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x0800);
	for (uint32_t len = 0; len < 14; len++) {
		CHECK_EQ(parse_exact(pkt.d, len, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "truncated ethernet header");
	}
	/* A tag with nothing after it. */
	eth(&pkt, 0x8100);
	put16(&pkt, 5);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated vlan tag");
}

static void
test_padding(void)
{
	struct pkt_info pi;
	/* IPv4 UDP with 2 payload bytes padded to the 60-byte minimum frame. */
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 17, 0, 0);
	uint32_t l4 = udp(&pkt, 1, 2);
	putfill(&pkt, 2, 0);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	while (pkt.n < 60)
		put8(&pkt, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 2);

	/* Pure TCP ACK (54 bytes) padded to 60: no payload. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 6, 0, 0);
	tcp(&pkt, 1, 2, 3, TCP_FLAG_ACK, 0);
	ipv4_end(&pkt, l3);
	while (pkt.n < 60)
		put8(&pkt, 0xee);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 54);
	CHECK_EQ(pi.payload_len, 0);

	/* ICMP, padded: payload stops at the IP total length. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 1, 0, 0);
	putfill(&pkt, 8, 0);
	ipv4_end(&pkt, l3);
	while (pkt.n < 60)
		put8(&pkt, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 8);

	/* IPv6 TCP with trailing bytes. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 6);
	tcp(&pkt, 1, 2, 3, TCP_FLAG_ACK, 0);
	putfill(&pkt, 3, 0);
	ipv6_end(&pkt, l3);
	putfill(&pkt, 20, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 14 + 40 + 20);
	CHECK_EQ(pi.payload_len, 3);

	/* A buffer past 64 KiB (e.g. an oversized capture) is still fine. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 17, 0, 0);
	l4 = udp(&pkt, 1, 2);
	putfill(&pkt, 100, 0);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	while (pkt.n < 66000)
		put8(&pkt, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 100);
}

static void
test_ipv6_plain(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 6);
	tcp(&pkt, 22, 60000, 0x80000001, TCP_FLAG_FIN | TCP_FLAG_ACK, 1);
	putfill(&pkt, 17, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_v6_addrs(&pi);
	CHECK_EQ(pi.l3_off, 14);
	CHECK_EQ(pi.l4_off, 54);
	CHECK_EQ(pi.payload_off, 78);
	CHECK_EQ(pi.payload_len, 17);
	CHECK_EQ(pi.tcp_seq, 0x80000001);
	CHECK_EQ(pi.src_port, 22);
	CHECK_EQ(pi.dst_port, 60000);

	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 17);
	uint32_t l4 = udp(&pkt, 443, 51000);
	putfill(&pkt, 1200, 0);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.payload_off, 62);
	CHECK_EQ(pi.payload_len, 1200);
}

static void
test_ipv6_each_ext(void)
{
	struct pkt_info pi;
	static const struct {
		uint8_t type, hl;
		uint32_t bytes;
	} ext[] = {
		{ 0, 0, 8 }, { 0, 3, 32 }, { 43, 2, 24 }, { 60, 0, 8 }, { 60, 255, 2048 },
		{ 135, 1, 16 }, { 139, 4, 40 }, { 140, 0, 8 },
		{ 51, 4, 24 }, { 51, 1, 12 }, { 51, 255, 1028 },
	};
	for (unsigned int i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		eth(&pkt, 0x86dd);
		uint32_t l3 = ipv6(&pkt, ext[i].type);
		ext6(&pkt, ext[i].type, 17, ext[i].hl);
		uint32_t l4 = udp(&pkt, 4000 + i, 53);
		putfill(&pkt, 11, 0);
		udp_end(&pkt, l4);
		ipv6_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_v6_addrs(&pi);
		CHECK_EQ(pi.l4_proto, 17);
		CHECK_EQ(pi.l4_off, 54 + ext[i].bytes);
		CHECK_EQ(pi.payload_off, 54 + ext[i].bytes + 8);
		CHECK_EQ(pi.payload_len, 11);
		CHECK_EQ(pi.src_port, 4000 + i);

		/* Same header with its length running past the payload. */
		set16(&pkt, l3 + 4, (uint16_t)(ext[i].bytes - 1));
		CHECK_EQ(parse_exact(pkt.d, l3 + 40 + ext[i].bytes - 1, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "truncated ipv6 extension header");
		/* And with only one byte of it present. */
		set16(&pkt, l3 + 4, 1);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "truncated ipv6 extension header");
	}
}

static void
test_ipv6_chain(void)
{
	struct pkt_info pi;
	/* HBH → DST → RT → AH → DST → TCP. */
	eth(&pkt, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 0);
	ext6(&pkt, 0, 60, 0);           /* 8 */
	ext6(&pkt, 60, 43, 1);          /* 16 */
	ext6(&pkt, 43, 51, 2);          /* 24 */
	ext6(&pkt, 51, 60, 4);          /* 24 */
	ext6(&pkt, 60, 6, 0);           /* 8 */
	tcp(&pkt, 179, 33000, 99, TCP_FLAG_ACK, 0);
	putfill(&pkt, 40, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 6);
	CHECK_EQ(pi.l4_off, 54 + 80);
	CHECK_EQ(pi.payload_off, 54 + 80 + 20);
	CHECK_EQ(pi.payload_len, 40);
	CHECK_EQ(pi.src_port, 179);

	/* Mobility, HIP, shim6 then an atomic fragment then UDP. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 135);
	ext6(&pkt, 135, 139, 0);
	ext6(&pkt, 139, 140, 1);
	ext6(&pkt, 140, 44, 0);
	frag6(&pkt, 17, 0, 0);
	uint32_t l4 = udp(&pkt, 5, 6);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_off, 54 + 8 + 16 + 8 + 8);
	CHECK_EQ(pi.payload_len, 0);
	CHECK_EQ(pi.dst_port, 6);

	/* The longest legal chain: 8 headers of maximal size (16 KiB). */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 60);
	for (int i = 0; i < 8; i++)
		ext6(&pkt, 60, i == 7 ? 6 : 60, 255);
	tcp(&pkt, 1, 2, 3, 0, 0);
	putfill(&pkt, 1000, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_off, 54 + 8 * 2048);
	CHECK_EQ(pi.payload_off, 54 + 8 * 2048 + 20);
	CHECK_EQ(pi.payload_len, 1000);
}

static void
test_ipv6_ext_limit(void)
{
	struct pkt_info pi;
	for (int n = 8; n <= 9; n++) {
		eth(&pkt, 0x86dd);
		uint32_t l3 = ipv6(&pkt, 60);
		for (int i = 0; i < n; i++)
			ext6(&pkt, 60, i == n - 1 ? 17 : 60, 0);
		uint32_t l4 = udp(&pkt, 1, 2);
		udp_end(&pkt, l4);
		ipv6_end(&pkt, l3);
		enum parse_result r = parse_pb(&pkt, &pi);
		if (n == 8) {
			CHECK_EQ(r, PARSE_OK);
			CHECK_EQ(pi.l4_off, 54 + 64);
		} else {
			CHECK_EQ(r, PARSE_MALFORMED);
			CHECK_STR(pi.err, "too many ipv6 extension headers");
		}
	}
	/* A fragment header counts too. */
	eth(&pkt, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 44);
	for (int i = 0; i < 9; i++)
		frag6(&pkt, i == 8 ? 17 : 44, 0, 0);
	uint32_t l4 = udp(&pkt, 1, 2);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "too many ipv6 extension headers");
}

static void
test_ipv6_no_next(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 59);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 59);
	CHECK_EQ(pi.l4_off, 54);
	CHECK_EQ(pi.payload_off, 54);
	CHECK_EQ(pi.payload_len, 0);

	/* After a header, with octets that RFC 8200 says to ignore. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 60);
	ext6(&pkt, 60, 59, 0);
	putfill(&pkt, 12, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 59);
	CHECK_EQ(pi.l4_off, 62);
	CHECK_EQ(pi.payload_len, 0);
}

static void
test_other_protocols(void)
{
	struct pkt_info pi;
	/* ESP, GRE (not version 0: version 7 here), ICMP, SCTP over IPv4; IP-in-IP is peeled (test_ipip). */
	static const uint8_t v4p[] = { 50, 47, 1, 132 };
	for (unsigned int i = 0; i < sizeof(v4p); i++) {
		eth(&pkt, 0x0800);
		uint32_t l3 = ipv4(&pkt, v4p[i], 1, 0);
		putfill(&pkt, 64, 0);
		ipv4_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_v4_addrs(&pi);
		CHECK_EQ(pi.l4_proto, v4p[i]);
		CHECK_EQ(pi.l4_off, 38);
		CHECK_EQ(pi.payload_off, 38);
		CHECK_EQ(pi.payload_len, 64);
		CHECK_EQ(pi.src_port, 0);
		CHECK_EQ(pi.dst_port, 0);
		CHECK_EQ(pi.tcp_flags, 0);
	}
	/* Zero-length transport is still OK for a portless protocol. */
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 47, 0, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_off, 34);
	CHECK_EQ(pi.payload_len, 0);

	/* ESP, ICMPv6, GRE over IPv6, ESP after a destination options header. */
	static const uint8_t v6p[] = { 50, 58, 47 };
	for (unsigned int i = 0; i < sizeof(v6p); i++) {
		eth(&pkt, 0x86dd);
		l3 = ipv6(&pkt, v6p[i]);
		putfill(&pkt, 24, 0);
		ipv6_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_v6_addrs(&pi);
		CHECK_EQ(pi.l4_proto, v6p[i]);
		CHECK_EQ(pi.l4_off, 54);
		CHECK_EQ(pi.payload_off, 54);
		CHECK_EQ(pi.payload_len, 24);
	}
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 60);
	ext6(&pkt, 60, 50, 0);
	putfill(&pkt, 24, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 50);
	CHECK_EQ(pi.l4_off, 62);
	CHECK_EQ(pi.payload_len, 24);
}

static void
test_fragments(void)
{
	struct pkt_info pi;
	/* IPv4 first fragment: MF, offset 0; the UDP header is there but unused. */
	eth(&pkt, 0x0800);
	uint32_t l3 = ipv4(&pkt, 17, 0, 0x2000);
	uint32_t l4 = udp(&pkt, 1111, 2222);
	putfill(&pkt, 100, 0);
	udp_end(&pkt, l4);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
	check_v4_addrs(&pi);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.src_port, 0);
	CHECK_EQ(pi.dst_port, 0);
	CHECK_EQ(pi.payload_off, 34);
	CHECK_EQ(pi.payload_len, 108);

	/* IPv4 last fragment: offset only, and with DF noise in the flags. */
	static const uint16_t frags[] = { 0x00b9, 0x20b9, 0x1fff, 0x4001 };
	for (unsigned int i = 0; i < 4; i++) {
		eth(&pkt, 0x0800);
		l3 = ipv4(&pkt, 6, 0, frags[i]);
		putfill(&pkt, 7, 0);    /* less than a TCP header: must not matter */
		ipv4_end(&pkt, l3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
		check_v4_addrs(&pi);
		CHECK_EQ(pi.l4_proto, 6);
		CHECK_EQ(pi.tcp_seq, 0);
		CHECK_EQ(pi.tcp_flags, 0);
		CHECK_EQ(pi.payload_len, 7);
	}

	/* IPv6 first fragment (offset 0, M=1). */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 44);
	frag6(&pkt, 6, 0, 1);
	tcp(&pkt, 1, 2, 3, TCP_FLAG_SYN, 0);
	putfill(&pkt, 50, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
	check_v6_addrs(&pi);
	CHECK_EQ(pi.l4_proto, 6);
	CHECK_EQ(pi.src_port, 0);
	CHECK_EQ(pi.tcp_flags, 0);
	CHECK_EQ(pi.payload_off, 62);
	CHECK_EQ(pi.payload_len, 70);

	/* IPv6 non-first fragment (offset 185, M=0) after a HBH header. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 0);
	ext6(&pkt, 0, 44, 0);
	frag6(&pkt, 17, 185, 0);
	putfill(&pkt, 3, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.payload_off, 70);
	CHECK_EQ(pi.payload_len, 3);

	/* Middle fragment, offset and M. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 44);
	frag6(&pkt, 17, 8191, 1);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
	CHECK_EQ(pi.payload_len, 0);

	/* Atomic fragment: reserved bits set but offset 0, M=0 → whole packet. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 44);
	put8(&pkt, 17);
	put8(&pkt, 0xff);
	put16(&pkt, 0x0006);
	put32(&pkt, 1);
	l4 = udp(&pkt, 123, 123);
	putfill(&pkt, 48, 0);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.l4_off, 62);
	CHECK_EQ(pi.payload_len, 48);
	CHECK_EQ(pi.src_port, 123);

	/* Fragment header cut short. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 44);
	frag6(&pkt, 17, 0, 1);
	pkt.n -= 1;
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv6 extension header");
}

static void
test_malformed_ipv4(void)
{
	struct pkt_info pi;
	uint32_t l3, l4;

#define BUILD_V4_UDP()                                  \
	do {                                            \
		eth(&pkt, 0x0800);                      \
		l3 = ipv4(&pkt, 17, 0, 0);              \
		l4 = udp(&pkt, 1, 2);                   \
		putfill(&pkt, 20, 0);                   \
		udp_end(&pkt, l4);                      \
		ipv4_end(&pkt, l3);                     \
	} while (0)

	/* Bad IHL: every value below 5. */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		BUILD_V4_UDP();
		pkt.d[l3] = (uint8_t)(0x40 | ihl);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "bad ipv4 ihl");
	}
	/* IHL 15 with only 20 header bytes + 8 in the whole frame. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 17, 0, 0);
	putfill(&pkt, 8, 0);
	ipv4_end(&pkt, l3);
	pkt.d[l3] = 0x4f;
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv4 options");

	/* Bad version under the IPv4 ethertype. */
	static const uint8_t vers[] = { 0x65, 0x05, 0x55, 0xf5 };
	for (unsigned int i = 0; i < sizeof(vers); i++) {
		BUILD_V4_UDP();
		pkt.d[l3] = vers[i];
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "bad ipv4 version");
	}

	/* Total length beyond the frame, and below the header. */
	BUILD_V4_UDP();
	set16(&pkt, l3 + 2, (uint16_t)(pkt.n - l3 + 1));
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv4");
	set16(&pkt, l3 + 2, 0xffff);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv4");
	set16(&pkt, l3 + 2, 19);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv4 total length");
	set16(&pkt, l3 + 2, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv4 total length");

	/* UDP length < 8 (including the unsupported jumbo 0), > IP payload. */
	static const uint16_t bad_ulen[] = { 0, 1, 7 };
	for (unsigned int i = 0; i < 3; i++) {
		BUILD_V4_UDP();
		set16(&pkt, l4 + 4, bad_ulen[i]);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "bad udp length");
	}
	BUILD_V4_UDP();
	set16(&pkt, l4 + 4, (uint16_t)(pkt.n - l4 + 1));
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "udp length exceeds ip payload");
	/* Exceeds the IP payload while padding would have covered it. */
	BUILD_V4_UDP();
	set16(&pkt, l4 + 4, (uint16_t)(pkt.n - l4 + 4));
	putfill(&pkt, 10, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "udp length exceeds ip payload");

	/* TCP data offset below 5. */
	for (uint8_t doff = 0; doff < 5; doff++) {
		eth(&pkt, 0x0800);
		l3 = ipv4(&pkt, 6, 0, 0);
		l4 = tcp(&pkt, 1, 2, 3, 0, 0);
		putfill(&pkt, 40, 0);
		ipv4_end(&pkt, l3);
		pkt.d[l4 + 12] = (uint8_t)(doff << 4);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "bad tcp data offset");
	}
	/* TCP options past the IP end though inside the frame (padding). */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 6, 0, 0);
	l4 = tcp(&pkt, 1, 2, 3, 0, 0);
	ipv4_end(&pkt, l3);
	pkt.d[l4 + 12] = 0x60;
	putfill(&pkt, 10, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated tcp options");
	/* TCP header cut by the IP length though the frame holds it. */
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 6, 0, 0);
	l4 = tcp(&pkt, 1, 2, 3, 0, 0);
	set16(&pkt, l3 + 2, 20 + 19);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated tcp header");
#undef BUILD_V4_UDP
}

static void
test_malformed_ipv6(void)
{
	struct pkt_info pi;
	eth(&pkt, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 17);
	uint32_t l4 = udp(&pkt, 1, 2);
	putfill(&pkt, 20, 0);
	udp_end(&pkt, l4);
	ipv6_end(&pkt, l3);

	static const uint8_t vers[] = { 0x40, 0x00, 0x70, 0xf0 };
	for (unsigned int i = 0; i < sizeof(vers); i++) {
		uint8_t save = pkt.d[l3];
		pkt.d[l3] = vers[i];
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
		CHECK_STR(pi.err, "bad ipv6 version");
		pkt.d[l3] = save;
	}
	set16(&pkt, l3 + 4, (uint16_t)(pkt.n - l3 - 40 + 1));
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv6");
	/* Payload length 0 (jumbogram) with a UDP next header. */
	set16(&pkt, l3 + 4, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated udp header");
	/* UDP length beyond the IPv6 payload (trailing padding present). */
	set16(&pkt, l3 + 4, 8 + 10);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "udp length exceeds ip payload");
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);

	/* Version-4 header under the IPv6 ethertype is still bad. */
	eth(&pkt, 0x86dd);
	l3 = ipv4(&pkt, 17, 0, 0);
	putfill(&pkt, 30, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv6 version");
	/* And a v6 header under the v4 ethertype. */
	eth(&pkt, 0x0800);
	l3 = ipv6(&pkt, 59);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv4 version");

	/* TCP data offset 4 over IPv6. */
	eth(&pkt, 0x86dd);
	l3 = ipv6(&pkt, 6);
	l4 = tcp(&pkt, 1, 2, 3, 0, 0);
	ipv6_end(&pkt, l3);
	pkt.d[l4 + 12] = 0x40;
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad tcp data offset");
}

static void
test_no_stale_fields(void)
{
	struct pkt_info pi;
	/* A rich parse, then a poorer one into the same struct. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 77, 0x86dd);
	uint32_t l3 = ipv6(&pkt, 6);
	tcp(&pkt, 1, 2, 3, 0x3f, 0);
	putfill(&pkt, 10, 0);
	ipv6_end(&pkt, l3);
	CHECK_EQ(parse_packet(pkt.d, pkt.n, &pi), PARSE_OK);
	CHECK_EQ(pi.tcp_flags, 0x3f);

	static const uint8_t zero16[16];
	eth(&pkt, 0x0800);
	l3 = ipv4(&pkt, 50, 0, 0);
	putfill(&pkt, 16, 0);
	ipv4_end(&pkt, l3);
	CHECK_EQ(parse_packet(pkt.d, pkt.n, &pi), PARSE_OK);
	CHECK_EQ(pi.outer.n_vlans, 0);
	CHECK_EQ(pi.outer.kinds, 0);
	CHECK_EQ(pi.zone, 0);
	CHECK_EQ(pi.tcp_flags, 0);
	CHECK_EQ(pi.tcp_seq, 0);
	CHECK_EQ(pi.src_port, 0);
	CHECK(memcmp(pi.src + 4, zero16, 12) == 0);
	CHECK(memcmp(pi.dst + 4, zero16, 12) == 0);
	CHECK(pi.err == NULL);

	eth(&pkt, 0x0806);
	CHECK_EQ(parse_packet(pkt.d, pkt.n, &pi), PARSE_NOT_IP);
	CHECK_EQ(pi.ip_version, 0);
	CHECK(memcmp(pi.src, zero16, 16) == 0);
	CHECK_EQ(pi.payload_len, 0);
	CHECK_EQ(pi.l4_proto, 0);

	CHECK_EQ(parse_packet(pkt.d, 3, &pi), PARSE_MALFORMED);
	CHECK_EQ(parse_packet(pkt.d, pkt.n, &pi), PARSE_NOT_IP);
	CHECK(pi.err == NULL);
}

/*
 * Every prefix of a valid packet. With the IP lengths left as built the
 * frame is always inconsistent (MALFORMED); with them rewritten to match the
 * cut ("fixup") the transport checks get exercised too. Either way the
 * parser must stay within the exactly sized buffer.
 */
static void
truncations(const struct pb *full, uint32_t l3, int v6, const char **seen, int *n_seen)
{
	static struct pb cut;
	for (uint32_t len = 0; len < full->n; len++) {
		struct pkt_info pi;
		enum parse_result r = parse_exact(full->d, len, &pi);
		CHECK_EQ(r, PARSE_MALFORMED);

		if (len < l3 + (v6 ? 40u : 20u))
			continue;
		memcpy(cut.d, full->d, len);
		cut.n = len;
		if (v6)
			ipv6_end(&cut, l3);
		else
			ipv4_end(&cut, l3);
		r = parse_pb(&cut, &pi);
		CHECK(r == PARSE_MALFORMED || r == PARSE_OK);
		if (r == PARSE_MALFORMED) {
			int known = 0;
			for (int i = 0; i < *n_seen; i++)
				known |= strcmp(seen[i], pi.err) == 0;
			if (!known && *n_seen < 16)
				seen[(*n_seen)++] = pi.err;
		}
	}
}

static int
seen_has(const char **seen, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(seen[i], s) == 0)
			return 1;
	return 0;
}

static void
test_truncation_tcp_vlan_v4(void)
{
	static struct pb full;
	struct pkt_info pi;
	eth(&full, 0x8100);
	vlan(&full, 10, 0x0800);
	uint32_t l3 = ipv4(&full, 6, 1, 0);
	tcp(&full, 1, 2, 3, TCP_FLAG_ACK, 2);
	putfill(&full, 16, 0);
	ipv4_end(&full, l3);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);

	const char *seen[16];
	int n = 0;
	truncations(&full, l3, 0, seen, &n);
	CHECK(seen_has(seen, n, "truncated tcp header"));
	CHECK(seen_has(seen, n, "truncated tcp options"));
}

static void
test_truncation_udp_v6_ext(void)
{
	static struct pb full;
	struct pkt_info pi;
	eth(&full, 0x86dd);
	uint32_t l3 = ipv6(&full, 0);
	ext6(&full, 0, 43, 0);
	ext6(&full, 43, 51, 1);
	ext6(&full, 51, 44, 1);
	frag6(&full, 60, 0, 0);
	ext6(&full, 60, 17, 0);
	uint32_t l4 = udp(&full, 1, 2);
	putfill(&full, 9, 0);
	udp_end(&full, l4);
	ipv6_end(&full, l3);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_off, 54 + 8 + 16 + 12 + 8 + 8);

	const char *seen[16];
	int n = 0;
	truncations(&full, l3, 1, seen, &n);
	CHECK(seen_has(seen, n, "truncated ipv6 extension header"));
	CHECK(seen_has(seen, n, "truncated udp header"));
	CHECK(seen_has(seen, n, "udp length exceeds ip payload"));
}

/* ==== carrier encapsulations ==== */

static const uint8_t I4_SRC[4] = { 172, 16, 0, 1 };
static const uint8_t I4_DST[4] = { 172, 16, 9, 2 };
static const uint8_t I6_SRC[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t I6_DST[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0x02 };

/* Length fields to rewrite when a packet is cut, so that every layer ends at the cut. */
enum { LEN_IP4, LEN_IP6, LEN_UDP, LEN_GTP };
struct lens {
	unsigned int n;
	struct {
		uint32_t off;
		uint8_t kind;
	} l[12];
};

static void
lens_add(struct lens *L, uint32_t off, uint8_t kind)
{
	if (L && L->n < 12) {
		L->l[L->n].off = off;
		L->l[L->n].kind = kind;
		L->n++;
	}
}

/* Every registered length field set to reach the end of p (all layers end where the packet does). */
static void
lens_fix(struct pb *p, const struct lens *L)
{
	for (unsigned int i = 0; i < L->n; i++) {
		uint32_t o = L->l[i].off, left = p->n > o ? p->n - o : 0;
		switch (L->l[i].kind) {
		case LEN_IP4:
			if (left >= 4)
				set16(p, o + 2, (uint16_t)left);
			break;
		case LEN_IP6:
			if (left >= 6)
				set16(p, o + 4, (uint16_t)(left >= 40 ? left - 40 : 0));
			break;
		case LEN_UDP:
			if (left >= 6)
				set16(p, o + 4, (uint16_t)left);
			break;
		case LEN_GTP:
			if (left >= 4)
				set16(p, o + 2, (uint16_t)(left >= 8 ? left - 8 : 0));
			break;
		}
	}
}

/* An Ethernet header appended (eth() starts a frame). */
static void
eth_in(struct pb *p, uint16_t type)
{
	for (int i = 0; i < 12; i++)
		put8(p, (uint8_t)(0x20 + i));
	put16(p, type);
}

static uint32_t
ip4a(struct pb *p, uint8_t proto, const uint8_t *src, const uint8_t *dst, uint16_t id, uint16_t frag,
     struct lens *L)
{
	uint32_t off = p->n;
	put8(p, 0x45);
	put8(p, 0);
	put16(p, 0);
	put16(p, id);
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);
	for (int i = 0; i < 4; i++)
		put8(p, src[i]);
	for (int i = 0; i < 4; i++)
		put8(p, dst[i]);
	lens_add(L, off, LEN_IP4);
	return off;
}

static uint32_t
ip6a(struct pb *p, uint8_t nh, const uint8_t *src, const uint8_t *dst, struct lens *L)
{
	uint32_t off = p->n;
	put32(p, 0x60000000);
	put16(p, 0);
	put8(p, nh);
	put8(p, 64);
	for (int i = 0; i < 16; i++)
		put8(p, src[i]);
	for (int i = 0; i < 16; i++)
		put8(p, dst[i]);
	lens_add(L, off, LEN_IP6);
	return off;
}

static uint32_t
udpa(struct pb *p, uint16_t sport, uint16_t dport, struct lens *L)
{
	uint32_t off = udp(p, sport, dport);
	lens_add(L, off, LEN_UDP);
	return off;
}

static void
mpls(struct pb *p, uint32_t label, int bos)
{
	put32(p, label << 12 | (bos ? 0x100u : 0) | 64);
}

/* GRE header; fl carries C/K/S and the version, the optional fields follow in order. */
static void
gre(struct pb *p, uint16_t fl, uint16_t ptype, uint32_t key, uint32_t seq)
{
	put16(p, fl);
	put16(p, ptype);
	if (fl & 0x8000)
		put32(p, 0xabcd0000);
	if (fl & 0x2000)
		put32(p, key);
	if (fl & 0x1000)
		put32(p, seq);
}

static void
vxlan(struct pb *p, uint8_t flags, uint32_t vni)
{
	put8(p, flags);
	put8(p, 0);
	put16(p, 0);
	put32(p, vni << 8);
}

/* GTP-U header: flags byte (0x30 | E/S/PN), message type, TEID; with E/S/PN the 4 optional octets. */
static uint32_t
gtpu(struct pb *p, uint8_t flags, uint8_t type, uint32_t teid, uint8_t next_ext, struct lens *L)
{
	uint32_t off = p->n;
	put8(p, flags);
	put8(p, type);
	put16(p, 0);
	put32(p, teid);
	if (flags & 0x07) {
		put16(p, 0x1234);
		put8(p, 0);
		put8(p, next_ext);
	}
	lens_add(L, off, LEN_GTP);
	return off;
}

static void
gtpu_end(struct pb *p, uint32_t off)
{
	set16(p, off + 2, (uint16_t)(p->n - off - 8));
}

/* One GTP-U extension header of units x 4 bytes. */
static void
gtpu_ext(struct pb *p, uint8_t units, uint8_t next)
{
	put8(p, units);
	for (unsigned int i = 0; i + 2 < (unsigned int)units * 4; i++)
		put8(p, (uint8_t)(0x10 + i));
	put8(p, next);
}

/* Inner IPv4/TCP (sport → dport) with a payload of n bytes; returns the IP header offset. */
static uint32_t
inner4_tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t n, int swap, struct lens *L)
{
	uint32_t l3 = ip4a(p, 6, swap ? I4_DST : I4_SRC, swap ? I4_SRC : I4_DST, 7, 0, L);
	tcp(p, swap ? dport : sport, swap ? sport : dport, 1000, TCP_FLAG_ACK, 0);
	putfill(p, n, 0x30);
	ipv4_end(p, l3);
	return l3;
}

static uint32_t
inner6_udp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t n, int swap, struct lens *L)
{
	uint32_t l3 = ip6a(p, 17, swap ? I6_DST : I6_SRC, swap ? I6_SRC : I6_DST, L);
	uint32_t l4 = udpa(p, swap ? dport : sport, swap ? sport : dport, L);
	putfill(p, n, 0x50);
	udp_end(p, l4);
	ipv6_end(p, l3);
	return l3;
}

static void
check_inner4_tcp(const struct pkt_info *pi, uint16_t sport, uint16_t dport, uint32_t l3, uint32_t n)
{
	CHECK_EQ(pi->ip_version, 4);
	CHECK(memcmp(pi->src, I4_SRC, 4) == 0);
	CHECK(memcmp(pi->dst, I4_DST, 4) == 0);
	static const uint8_t z[12];
	CHECK(memcmp(pi->src + 4, z, 12) == 0);
	CHECK(memcmp(pi->dst + 4, z, 12) == 0);
	CHECK_EQ(pi->l4_proto, 6);
	CHECK_EQ(pi->src_port, sport);
	CHECK_EQ(pi->dst_port, dport);
	CHECK_EQ(pi->l3_off, l3);
	CHECK_EQ(pi->l4_off, l3 + 20);
	CHECK_EQ(pi->payload_off, l3 + 40);
	CHECK_EQ(pi->payload_len, n);
	CHECK_EQ(pi->tcp_seq, 1000);
}

static void
check_inner6_udp(const struct pkt_info *pi, uint16_t sport, uint16_t dport, uint32_t l3, uint32_t n)
{
	CHECK_EQ(pi->ip_version, 6);
	CHECK(memcmp(pi->src, I6_SRC, 16) == 0);
	CHECK(memcmp(pi->dst, I6_DST, 16) == 0);
	CHECK_EQ(pi->l4_proto, 17);
	CHECK_EQ(pi->src_port, sport);
	CHECK_EQ(pi->dst_port, dport);
	CHECK_EQ(pi->l3_off, l3);
	CHECK_EQ(pi->payload_off, l3 + 48);
	CHECK_EQ(pi->payload_len, n);
}

/* The outer UDP flow a failed tunnel guess falls back to: outer addresses, the tunnel port. */
static void
check_outer_udp(const struct pkt_info *pi, uint16_t dport, uint32_t udp_off)
{
	CHECK_EQ(pi->ip_version, 4);
	CHECK(memcmp(pi->src, V4_SRC, 4) == 0);
	CHECK(memcmp(pi->dst, V4_DST, 4) == 0);
	CHECK_EQ(pi->l4_proto, 17);
	CHECK_EQ(pi->dst_port, dport);
	CHECK_EQ(pi->l4_off, udp_off);
	CHECK_EQ(pi->payload_off, udp_off + 8);
	CHECK_EQ(pi->outer.depth, 0);
}

static void
check_layers(const struct pkt_info *pi, const uint8_t *want, unsigned int n)
{
	CHECK_EQ(pi->outer.n_layers, n);
	uint16_t kinds = 0;
	for (unsigned int i = 0; i < n; i++) {
		kinds |= (uint16_t)(1u << want[i]);
		if (i < pi->outer.n_layers)
			CHECK_EQ(pi->outer.layer[i], want[i]);
	}
	CHECK_EQ(pi->outer.kinds, kinds);
}

/*
 * Every prefix of an encapsulated packet, as built (outer lengths then
 * exceed the frame) and with every length rewritten to end at the cut, so
 * that each inner header's own checks run too. Whatever the result, the
 * parser stays inside the exact buffer (parse_exact) and keeps its
 * promises; the distinct errors met are returned for the caller to check.
 */
static int
encap_truncations(const struct pb *full, const struct lens *L, const char **seen, int max)
{
	static struct pb cut;
	int n_seen = 0;
	for (uint32_t len = 0; len < full->n; len++) {
		struct pkt_info pi;
		enum parse_result r = parse_exact(full->d, len, &pi);
		CHECK(r == PARSE_MALFORMED || r == PARSE_OK || r == PARSE_NOT_IP);
		memcpy(cut.d, full->d, len);
		cut.n = len;
		lens_fix(&cut, L);
		r = parse_pb(&cut, &pi);
		CHECK(r == PARSE_MALFORMED || r == PARSE_OK || r == PARSE_NOT_IP);
		if (r == PARSE_MALFORMED) {
			int known = 0;
			for (int i = 0; i < n_seen; i++)
				known |= strcmp(seen[i], pi.err) == 0;
			if (!known && n_seen < max)
				seen[n_seen++] = pi.err;
		}
	}
	return n_seen;
}

static void
test_mpls(void)
{
	struct pkt_info pi;
	static const uint8_t L_MPLS[] = { ENCAP_MPLS };

	/* RFC 3032: one label, bottom of stack, then IPv4 (first nibble 4). */
	eth(&pkt, 0x8847);
	mpls(&pkt, 100, 1);
	uint32_t l3 = inner4_tcp(&pkt, 40000, 443, 10, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 40000, 443, 18, 10);
	check_layers(&pi, L_MPLS, 1);
	CHECK_EQ(pi.outer.depth, 1);
	CHECK_EQ(pi.outer.mpls_top, 100);
	CHECK_EQ(pi.outer.mpls_bottom, 100);
	/* Labels are not in the zone: each direction of an LSP has its own. */
	CHECK_EQ(pi.zone, 0);
	CHECK_EQ(l3, 18);

	/* Three labels (multicast ethertype), IPv6 after the bottom one. */
	eth(&pkt, 0x8848);
	mpls(&pkt, 16, 0);
	mpls(&pkt, 0xfffff, 0);
	mpls(&pkt, 18, 1);
	l3 = inner6_udp(&pkt, 5000, 53, 7, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner6_udp(&pi, 5000, 53, l3, 7);
	CHECK_EQ(pi.outer.mpls_top, 16);
	CHECK_EQ(pi.outer.mpls_bottom, 18);

	/* Eight labels is the most; a ninth without bottom of stack is not a stack. */
	for (int n = 8; n <= 9; n++) {
		eth(&pkt, 0x8847);
		for (int i = 0; i < n; i++)
			mpls(&pkt, (uint32_t)(200 + i), i == n - 1);
		l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
		if (n == 8) {
			CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
			CHECK_EQ(pi.outer.mpls_bottom, 207);
		} else {
			CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
			CHECK_STR(pi.err, "mpls label stack too deep");
		}
	}

	/* RFC 4385 control word (first nibble 0), then an RFC 4448 Ethernet frame with its own tag. */
	eth(&pkt, 0x8847);
	mpls(&pkt, 300, 0);
	mpls(&pkt, 301, 1);
	put32(&pkt, 0x00000017);
	eth_in(&pkt, 0x8100);
	vlan(&pkt, 7, 0x0800);
	l3 = inner4_tcp(&pkt, 1234, 80, 3, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 1234, 80, l3, 3);
	static const uint8_t L_PW[] = { ENCAP_MPLS, ENCAP_VLAN };
	check_layers(&pi, L_PW, 2);
	CHECK_EQ(pi.outer.n_vlans, 1);
	CHECK_EQ(pi.outer.vlan[0], 7);
	/* The customer's VLAN is the only identifier: the zone is its id. */
	CHECK_EQ(pi.zone, 7);

	/* PW associated channel (nibble 1, RFC 4385 §3) and a PW without control word: not IP. */
	static const uint32_t not_ip_words[] = { 0x10000021, 0x52540000 };
	for (unsigned int i = 0; i < 2; i++) {
		eth(&pkt, 0x8847);
		mpls(&pkt, 13, 1);
		put32(&pkt, not_ip_words[i]);
		putfill(&pkt, 40, 0);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);
		CHECK_EQ(pi.ip_version, 0);
		CHECK(pi.outer.kinds & (1u << ENCAP_MPLS));
	}

	/* MPLS in a VLAN: the VLAN alone makes the zone. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 55, 0x8847);
	mpls(&pkt, 99, 1);
	l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	static const uint8_t L_VM[] = { ENCAP_VLAN, ENCAP_MPLS };
	check_layers(&pi, L_VM, 2);
	CHECK_EQ(pi.zone, 55);

	/* Malformed: a stack running off the frame, nothing after it, a cut control word, bad IP. */
	eth(&pkt, 0x8847);
	mpls(&pkt, 1, 0);
	mpls(&pkt, 2, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated mpls label stack");
	eth(&pkt, 0x8847);
	mpls(&pkt, 1, 1);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated mpls payload");
	eth(&pkt, 0x8847);
	mpls(&pkt, 1, 1);
	put16(&pkt, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated pseudowire control word");
	eth(&pkt, 0x8847);
	mpls(&pkt, 1, 1);
	l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	pkt.d[l3] = 0x43;
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv4 ihl");
}

static void
test_gre(void)
{
	struct pkt_info pi;
	static const uint8_t L_GRE[] = { ENCAP_GRE };

	/* RFC 2784: 4-byte header, IPv4 inside IPv4. */
	eth(&pkt, 0x0800);
	uint32_t o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0, 0x0800, 0, 0);
	uint32_t l3 = inner4_tcp(&pkt, 33333, 22, 5, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 33333, 22, l3, 5);
	check_layers(&pi, L_GRE, 1);
	CHECK_EQ(pi.outer.flags & OUTER_HAS_GRE_KEY, 0);
	CHECK_EQ(pi.zone, 0);
	CHECK_EQ(l3, 14 + 20 + 4);

	/* RFC 2890: checksum, key and sequence number, IPv6 inside. The key names the tunnel: in the zone. */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0xb000, 0x86dd, 0x01020304, 77);
	l3 = inner6_udp(&pkt, 1000, 2000, 9, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner6_udp(&pi, 1000, 2000, l3, 9);
	CHECK_EQ(l3, 14 + 20 + 16);
	CHECK(pi.outer.flags & OUTER_HAS_GRE_KEY);
	CHECK_EQ(pi.outer.gre_key, 0x01020304);
	CHECK(pi.zone & PARSE_ZONE_MARK);
	uint32_t zone_key = pi.zone;
	/* The other direction, same key: same zone. */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_DST, V4_SRC, 1, 0, NULL);
	gre(&pkt, 0x2000, 0x86dd, 0x01020304, 0);
	l3 = inner6_udp(&pkt, 1000, 2000, 9, 1, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.zone, zone_key);
	CHECK(memcmp(pi.src, I6_DST, 16) == 0);
	CHECK_EQ(pi.src_port, 2000);
	/* Another key: another zone. */
	set16(&pkt, 14 + 20 + 4 + 2, 0x0305);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK(pi.zone != zone_key);

	/* Transparent Ethernet bridging (NVGRE): the VSID is the tenant, the FlowID byte is entropy. */
	uint32_t zone_vsid = 0;
	for (int flowid = 1; flowid <= 2; flowid++) {
		eth(&pkt, 0x86dd);
		o3 = ip6a(&pkt, 47, V6_SRC, V6_DST, NULL);
		gre(&pkt, 0x2000, 0x6558, 0x12345600u | (uint32_t)flowid, 0);
		eth_in(&pkt, 0x0800);
		l3 = inner4_tcp(&pkt, 5, 6, 1, flowid == 2, NULL);
		ipv6_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		static const uint8_t L_TEB[] = { ENCAP_GRE_TEB };
		check_layers(&pi, L_TEB, 1);
		CHECK_EQ(pi.l3_off, l3);
		if (flowid == 1)
			zone_vsid = pi.zone;
		CHECK_EQ(pi.zone, zone_vsid);
	}

	/* MPLS over GRE (RFC 4023). */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0, 0x8847, 0, 0);
	mpls(&pkt, 4242, 1);
	l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	static const uint8_t L_GM[] = { ENCAP_GRE, ENCAP_MPLS };
	check_layers(&pi, L_GM, 2);
	CHECK_EQ(pi.outer.depth, 2);
	CHECK_EQ(pi.outer.mpls_top, 4242);
	CHECK_EQ(pi.l3_off, l3);

	/*
	 * Not ours to peel, so the GRE flow it always was: version 1 (PPTP,
	 * read by the gre classifier), RFC 1701 routing, a protocol we do not
	 * decode (ERSPAN), a header shorter than 4 bytes.
	 */
	static const struct {
		uint16_t fl, ptype;
	} keep[] = { { 0x3081, 0x880b }, { 0x2001, 0x880b }, { 0x4000, 0x0800 }, { 0x0800, 0x0800 }, { 0, 0x88be } };
	for (unsigned int i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		eth(&pkt, 0x0800);
		o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
		put16(&pkt, keep[i].fl);
		put16(&pkt, keep[i].ptype);
		putfill(&pkt, 40, 0);
		ipv4_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_v4_addrs(&pi);
		CHECK_EQ(pi.l4_proto, 47);
		CHECK_EQ(pi.payload_off, 34);
		CHECK_EQ(pi.payload_len, 44);
		CHECK_EQ(pi.outer.kinds, 0);
	}
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	put16(&pkt, 0);
	put8(&pkt, 8);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.payload_len, 3);

	/* Malformed: optional fields cut short; an IPv6 header where GRE says IPv4. */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	put16(&pkt, 0x2000);
	put16(&pkt, 0x0800);
	put16(&pkt, 1);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated gre header");
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0, 0x0800, 0, 0);
	inner6_udp(&pkt, 1, 2, 0, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv4 version");
	CHECK_EQ(pi.src_port, 0);
}

/* Outer Ethernet (VLAN 5), IPv4, UDP to port, VXLAN VNI, inner Ethernet, inner IPv4/TCP 45226 -> 443. */
static uint32_t
build_vxlan(struct pb *p, uint16_t port, uint32_t vni, int swap, struct lens *L)
{
	eth(p, 0x8100);
	vlan(p, 5, 0x0800);
	uint32_t o3 = ip4a(p, 17, swap ? V4_DST : V4_SRC, swap ? V4_SRC : V4_DST, 9, 0x4000, L);
	uint32_t o4 = udpa(p, swap ? 36286 : 49762, port, L);
	vxlan(p, 0x08, vni);
	eth_in(p, 0x0800);
	uint32_t l3 = inner4_tcp(p, 45226, 443, 20, swap, L);
	udp_end(p, o4);
	ipv4_end(p, o3);
	return l3;
}

static void
test_vxlan(void)
{
	struct pkt_info pi;
	static const uint8_t L_VX[] = { ENCAP_VLAN, ENCAP_VXLAN };

	/* RFC 7348 on the IANA port and on Linux's old one. */
	uint32_t zone = 0;
	static const uint16_t ports[] = { 4789, 8472 };
	for (unsigned int i = 0; i < 2; i++) {
		uint32_t l3 = build_vxlan(&pkt, ports[i], 1111, 0, NULL);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_inner4_tcp(&pi, 45226, 443, l3, 20);
		CHECK_EQ(l3, 18 + 20 + 8 + 8 + 14);
		check_layers(&pi, L_VX, 2);
		CHECK_EQ(pi.outer.vni, 1111);
		CHECK_EQ(pi.outer.vlan[0], 5);
		CHECK(pi.zone & PARSE_ZONE_MARK);
		if (i == 0)
			zone = pi.zone;
		CHECK_EQ(pi.zone, zone);
	}
	/* The VNI is the same both ways: so is the zone. */
	build_vxlan(&pkt, 4789, 1111, 1, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.zone, zone);
	CHECK(memcmp(pi.src, I4_DST, 4) == 0);
	CHECK_EQ(pi.src_port, 443);
	CHECK_EQ(pi.dst_port, 45226);
	/* Another segment, same VLAN: another zone, and never the VLAN's own. */
	build_vxlan(&pkt, 4789, 1112, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK(pi.zone != zone);
	CHECK(pi.zone != 5);

	/* Without the I flag it is no VXLAN: the outer UDP flow, as before. */
	build_vxlan(&pkt, 4789, 1111, 0, NULL);
	pkt.d[18 + 20 + 8] = 0x00;
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_udp(&pi, 4789, 18 + 20);
	static const uint8_t L_V[] = { ENCAP_VLAN };
	check_layers(&pi, L_V, 1);
	CHECK_EQ(pi.zone, 5);

	/* Valid header, but what it carries is no IP packet (ARP) or a broken one: the outer UDP flow. */
	build_vxlan(&pkt, 4789, 1111, 0, NULL);
	set16(&pkt, 18 + 20 + 8 + 8 + 12, 0x0806);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_udp(&pi, 4789, 18 + 20);
	build_vxlan(&pkt, 4789, 1111, 0, NULL);
	set16(&pkt, 18 + 20 + 8 + 8 + 14 + 2, 2000);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_udp(&pi, 4789, 18 + 20);
	CHECK(pi.err == NULL);
	/* A VXLAN header cut short. */
	eth(&pkt, 0x0800);
	uint32_t o3 = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t o4 = udp(&pkt, 1, 4789);
	put32(&pkt, 0x08000000);
	put16(&pkt, 0);
	udp_end(&pkt, o4);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_udp(&pi, 4789, 34);
	CHECK_EQ(pi.payload_len, 6);
	/* A VPN on the VXLAN port is classified as what it is (OpenVPN's first byte has 0x08 set). */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	o4 = udp(&pkt, 1, 4789);
	put8(&pkt, 0x38);
	putfill(&pkt, 60, 0x99);
	udp_end(&pkt, o4);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_udp(&pi, 4789, 34);
	CHECK_EQ(pi.payload_len, 61);

	/* VXLAN over IPv6 with an IPv6 inner packet. */
	eth(&pkt, 0x86dd);
	o3 = ip6a(&pkt, 17, V6_SRC, V6_DST, NULL);
	o4 = udp(&pkt, 50000, 4789);
	vxlan(&pkt, 0x0c, 0xffffff);
	eth_in(&pkt, 0x86dd);
	uint32_t l3 = inner6_udp(&pkt, 7, 8, 30, 0, NULL);
	udp_end(&pkt, o4);
	ipv6_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner6_udp(&pi, 7, 8, l3, 30);
	CHECK_EQ(pi.outer.vni, 0xffffff);

	/* An inner fragment: a fragment of the inner flow, outer headers noted. */
	build_vxlan(&pkt, 4789, 1111, 0, NULL);
	set16(&pkt, 18 + 20 + 8 + 8 + 14 + 6, 0x2000);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_FRAGMENT);
	CHECK(memcmp(pi.src, I4_SRC, 4) == 0);
	CHECK_EQ(pi.src_port, 0);
	CHECK_EQ(pi.frag.id, 7);
	CHECK_EQ(pi.frag.offset, 0);
	CHECK_EQ(pi.frag.more, 1);
	CHECK_EQ(pi.zone, zone);
	check_layers(&pi, L_VX, 2);
}

static void
test_gtpu(void)
{
	struct pkt_info pi;
	static const uint8_t L_G[] = { ENCAP_GTPU };

	/* TS 29.281 §5.1: the 8-byte header, a G-PDU with an IPv4 T-PDU. */
	eth(&pkt, 0x0800);
	uint32_t o3 = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t o4 = udp(&pkt, 2152, 2152);
	uint32_t g = gtpu(&pkt, 0x30, 255, 0x11223344, 0, NULL);
	uint32_t l3 = inner4_tcp(&pkt, 51000, 443, 12, 0, NULL);
	gtpu_end(&pkt, g);
	udp_end(&pkt, o4);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 51000, 443, l3, 12);
	CHECK_EQ(l3, 14 + 20 + 8 + 8);
	check_layers(&pi, L_G, 1);
	CHECK_EQ(pi.outer.teid, 0x11223344);
	/* TEIDs are per direction: never in the zone. */
	CHECK_EQ(pi.zone, 0);

	/* Downlink: other TEID, source port any (load balancing), same zone, addresses swapped. */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 17, V4_DST, V4_SRC, 1, 0, NULL);
	o4 = udp(&pkt, 40001, 2152);
	g = gtpu(&pkt, 0x30, 255, 0x99887766, 0, NULL);
	l3 = inner4_tcp(&pkt, 51000, 443, 12, 1, NULL);
	gtpu_end(&pkt, g);
	udp_end(&pkt, o4);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.zone, 0);
	CHECK(memcmp(pi.src, I4_DST, 4) == 0);
	CHECK_EQ(pi.dst_port, 51000);
	CHECK_EQ(pi.outer.teid, 0x99887766);

	/* Sequence number (S), N-PDU (PN), and an extension chain: PDU Session Container then one more. */
	static const struct {
		uint8_t flags, next;
		uint32_t ext_bytes;
	} opt[] = { { 0x32, 0, 0 }, { 0x31, 0, 0 }, { 0x34, 0x85, 4 }, { 0x36, 0x85, 4 + 8 }, { 0x33, 0x85, 0 } };
	for (unsigned int i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		eth(&pkt, 0x86dd);
		o3 = ip6a(&pkt, 17, V6_SRC, V6_DST, NULL);
		o4 = udp(&pkt, 2152, 2152);
		g = gtpu(&pkt, opt[i].flags, 255, 7, opt[i].next, NULL);
		if (opt[i].ext_bytes == 4) {
			gtpu_ext(&pkt, 1, 0);
		} else if (opt[i].ext_bytes == 12) {
			gtpu_ext(&pkt, 1, 0x40);
			gtpu_ext(&pkt, 2, 0);
		}
		l3 = inner6_udp(&pkt, 9, 10, 4, 0, NULL);
		gtpu_end(&pkt, g);
		udp_end(&pkt, o4);
		ipv6_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		/* Without E the next-type octet is not read (the 0x33 case names 0x85 but has no chain). */
		check_inner6_udp(&pi, 9, 10, l3, 4);
		CHECK_EQ(l3, 14 + 40 + 8 + 12 + opt[i].ext_bytes);
		CHECK_EQ(pi.outer.teid, 7);
	}

	/*
	 * Not user traffic, or not GTP-U at all: the outer UDP flow. Echo
	 * request (1), error indication (26), end marker (254); GTP' (PT 0),
	 * version 2; an extension of length 0, a chain of 9, a length past the
	 * UDP payload, a T-PDU that is no IP packet, a G-PDU with no T-PDU.
	 */
	for (int v = 0; v < 10; v++) {
		eth(&pkt, 0x0800);
		o3 = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
		o4 = udp(&pkt, 2152, 2152);
		static const uint8_t types[] = { 1, 26, 254 };
		uint8_t flags = v == 3 ? 0x20 : v == 4 ? 0x50 : (v == 5 || v == 6) ? 0x34 : 0x30;
		g = gtpu(&pkt, flags, v < 3 ? types[v] : 255, 5, 0x85, NULL);
		if (v == 5) {
			put8(&pkt, 0);
			put16(&pkt, 0);
			put8(&pkt, 0);
		} else if (v == 6) {
			for (int e = 0; e < 9; e++)
				gtpu_ext(&pkt, 1, 0x85);
		}
		if (v == 8)
			putfill(&pkt, 40, 0x70);
		else if (v != 9)
			inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
		gtpu_end(&pkt, g);
		if (v == 7)
			set16(&pkt, g + 2, (uint16_t)(pkt.n - g - 8 + 1));
		udp_end(&pkt, o4);
		ipv4_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_outer_udp(&pi, 2152, 34);
		CHECK_EQ(pi.outer.kinds, 0);
	}
}

static void
test_ipip(void)
{
	struct pkt_info pi;

	/* 4in4 behind QinQ (as in the wild 4in4 capture): both tags make the zone. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 1624, 0x8100);
	vlan(&pkt, 505, 0x0800);
	uint32_t o3 = ip4a(&pkt, 4, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t l3 = inner4_tcp(&pkt, 62367, 17000, 8, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 62367, 17000, l3, 8);
	static const uint8_t L_QI[] = { ENCAP_QINQ, ENCAP_IPIP };
	check_layers(&pi, L_QI, 2);
	CHECK_EQ(pi.outer.vlan[0], 1624);
	CHECK_EQ(pi.outer.vlan[1], 505);
	CHECK(pi.zone & PARSE_ZONE_MARK);

	/* 4in6 (RFC 2473), after a destination options header. */
	eth(&pkt, 0x86dd);
	o3 = ip6a(&pkt, 60, V6_SRC, V6_DST, NULL);
	ext6(&pkt, 60, 4, 0);
	l3 = inner4_tcp(&pkt, 64455, 443, 0, 0, NULL);
	ipv6_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 64455, 443, l3, 0);
	static const uint8_t L_I[] = { ENCAP_IPIP };
	check_layers(&pi, L_I, 1);
	CHECK_EQ(pi.zone, 0);

	/* 6in4 (RFC 4213, protocol 41), outer IPv4 options. */
	eth(&pkt, 0x0800);
	o3 = ipv4(&pkt, 41, 2, 0);
	l3 = inner6_udp(&pkt, 53959, 53, 11, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner6_udp(&pi, 53959, 53, l3, 11);
	CHECK_EQ(l3, 14 + 28);
	static const uint8_t L_64[] = { ENCAP_6IN4 };
	check_layers(&pi, L_64, 1);

	/* 6in6 (RFC 2473, next header 41). */
	eth(&pkt, 0x86dd);
	o3 = ip6a(&pkt, 41, V6_SRC, V6_DST, NULL);
	l3 = inner6_udp(&pkt, 30000, 13000, 4, 0, NULL);
	ipv6_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner6_udp(&pi, 30000, 13000, l3, 4);
	static const uint8_t L_66[] = { ENCAP_6IN6 };
	check_layers(&pi, L_66, 1);

	/* An inner ICMP packet has no ports, whatever the outer layers had. */
	eth(&pkt, 0x86dd);
	o3 = ip6a(&pkt, 41, V6_SRC, V6_DST, NULL);
	l3 = ip6a(&pkt, 58, I6_SRC, I6_DST, NULL);
	putfill(&pkt, 16, 0);
	ipv6_end(&pkt, l3);
	ipv6_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 58);
	CHECK_EQ(pi.payload_len, 16);

	/* Malformed: the inner packet longer than the outer payload; the wrong version inside. */
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 4, V4_SRC, V4_DST, 1, 0, NULL);
	l3 = inner4_tcp(&pkt, 1, 2, 10, 0, NULL);
	ipv4_end(&pkt, o3);
	set16(&pkt, o3 + 2, (uint16_t)(pkt.n - o3 - 1));
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv4");
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 41, V4_SRC, V4_DST, 1, 0, NULL);
	inner4_tcp(&pkt, 1, 2, 10, 0, NULL);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "bad ipv6 version");
	eth(&pkt, 0x0800);
	o3 = ip4a(&pkt, 4, V4_SRC, V4_DST, 1, 0, NULL);
	putfill(&pkt, 10, 0);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_MALFORMED);
	CHECK_STR(pi.err, "truncated ipv4 header");
}

/* IPv4/UDP between client and server port 3544 carrying what the caller appends. */
static void
teredo_begin(struct pb *p, int to_server, uint32_t *o3, uint32_t *o4)
{
	eth(p, 0x0800);
	*o3 = ip4a(p, 17, to_server ? V4_SRC : V4_DST, to_server ? V4_DST : V4_SRC, 3, 0, NULL);
	*o4 = udp(p, to_server ? 51812 : 3544, to_server ? 3544 : 51812);
}

static void
test_teredo(void)
{
	struct pkt_info pi;
	static const uint8_t L_T[] = { ENCAP_TEREDO };
	uint32_t o3, o4, l3;

	/* RFC 4380 §5.1.1: bare IPv6; origin indication; authentication then origin; authentication alone. */
	for (int v = 0; v < 4; v++) {
		teredo_begin(&pkt, v != 1, &o3, &o4);
		uint32_t hdr = 0;
		if (v >= 2) {
			put16(&pkt, 0x0001);
			put8(&pkt, v == 3 ? 3 : 0);
			put8(&pkt, v == 3 ? 5 : 0);
			putfill(&pkt, (v == 3 ? 8u : 0u) + 8 + 1, 0x44);
			hdr += 4 + (v == 3 ? 8 : 0) + 9;
		}
		if (v == 1 || v == 2) {
			put16(&pkt, 0x0000);
			put16(&pkt, 0xffff ^ 52513);
			put32(&pkt, 0xfefefefe);
			hdr += 8;
		}
		l3 = inner6_udp(&pkt, 4000, 5000, 6, 0, NULL);
		udp_end(&pkt, o4);
		ipv4_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_inner6_udp(&pi, 4000, 5000, l3, 6);
		CHECK_EQ(l3, 42 + hdr);
		check_layers(&pi, L_T, 1);
		CHECK_EQ(pi.zone, 0);
	}
	/* A bubble: IPv6 with no next header. */
	teredo_begin(&pkt, 1, &o3, &o4);
	l3 = ip6a(&pkt, 59, I6_SRC, I6_DST, NULL);
	ipv6_end(&pkt, l3);
	udp_end(&pkt, o4);
	ipv4_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l4_proto, 59);
	CHECK_EQ(pi.ip_version, 6);

	/*
	 * Not Teredo: the IPv6 packet not filling the payload exactly, an
	 * authentication indicator running past it, no IPv6 header, and UDP
	 * 3544 over IPv6 (Teredo is IPv4 only).
	 */
	for (int v = 0; v < 3; v++) {
		teredo_begin(&pkt, 1, &o3, &o4);
		if (v == 1) {
			put16(&pkt, 0x0001);
			put8(&pkt, 200);
			put8(&pkt, 0);
		}
		if (v == 2)
			putfill(&pkt, 48, 0x10);
		else
			inner6_udp(&pkt, 1, 2, 0, 0, NULL);
		if (v == 0)
			put8(&pkt, 0);
		udp_end(&pkt, o4);
		ipv4_end(&pkt, o3);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		check_outer_udp(&pi, 3544, 34);
		CHECK_EQ(pi.outer.kinds, 0);
	}
	eth(&pkt, 0x86dd);
	o3 = ip6a(&pkt, 17, V6_SRC, V6_DST, NULL);
	o4 = udp(&pkt, 51812, 3544);
	inner6_udp(&pkt, 1, 2, 0, 0, NULL);
	udp_end(&pkt, o4);
	ipv6_end(&pkt, o3);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_v6_addrs(&pi);
	CHECK_EQ(pi.dst_port, 3544);
	CHECK_EQ(pi.outer.kinds, 0);
}

static void
test_encap_depth(void)
{
	struct pkt_info pi;

	/* Four IP-in-IP layers are peeled; a fifth makes the packet malformed. */
	for (int n = 4; n <= 5; n++) {
		eth(&pkt, 0x0800);
		uint32_t outer[5];
		for (int i = 0; i < n; i++)
			outer[i] = ip4a(&pkt, 4, V4_SRC, V4_DST, 1, 0, NULL);
		uint32_t l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
		for (int i = n - 1; i >= 0; i--)
			ipv4_end(&pkt, outer[i]);
		enum parse_result r = parse_pb(&pkt, &pi);
		if (n == 4) {
			CHECK_EQ(r, PARSE_OK);
			CHECK_EQ(pi.outer.depth, 4);
			CHECK_EQ(pi.l3_off, l3);
		} else {
			CHECK_EQ(r, PARSE_MALFORMED);
			CHECK_STR(pi.err, "too many encapsulations");
		}
	}

	/*
	 * Five VXLAN layers: the fifth is not peeled, and by the port rule the
	 * packet is the UDP flow inside the fourth.
	 */
	eth(&pkt, 0x0800);
	uint32_t o3[6], o4[6];
	for (int i = 0; i < 5; i++) {
		o3[i] = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
		o4[i] = udp(&pkt, (uint16_t)(100 + i), 4789);
		vxlan(&pkt, 0x08, (uint32_t)i);
		eth_in(&pkt, 0x0800);
	}
	inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	for (int i = 4; i >= 0; i--) {
		udp_end(&pkt, o4[i]);
		ipv4_end(&pkt, o3[i]);
	}
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.outer.depth, 4);
	CHECK_EQ(pi.l4_proto, 17);
	CHECK_EQ(pi.src_port, 104);
	CHECK_EQ(pi.dst_port, 4789);
	CHECK_EQ(pi.l4_off, o4[4]);

	/* One of each, nested: MPLS, GRE, VXLAN, GTP-U; tags in every Ethernet header past the eighth layer. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 1, 0x8847);
	mpls(&pkt, 500, 1);
	uint32_t a = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0x2000, 0x6558, 42, 0);
	eth_in(&pkt, 0x88a8);
	vlan(&pkt, 2, 0x8100);
	vlan(&pkt, 3, 0x0800);
	uint32_t b = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t bu = udp(&pkt, 7, 4789);
	vxlan(&pkt, 0x08, 77);
	eth_in(&pkt, 0x8100);
	vlan(&pkt, 4, 0x0800);
	uint32_t c = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t cu = udp(&pkt, 2152, 2152);
	uint32_t g = gtpu(&pkt, 0x30, 255, 9, 0, NULL);
	uint32_t l3 = inner4_tcp(&pkt, 11, 12, 2, 0, NULL);
	gtpu_end(&pkt, g);
	udp_end(&pkt, cu);
	ipv4_end(&pkt, c);
	udp_end(&pkt, bu);
	ipv4_end(&pkt, b);
	ipv4_end(&pkt, a);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_inner4_tcp(&pi, 11, 12, l3, 2);
	static const uint8_t L_ALL[] = { ENCAP_VLAN, ENCAP_MPLS, ENCAP_GRE_TEB, ENCAP_QINQ, ENCAP_VXLAN, ENCAP_VLAN,
					 ENCAP_GTPU };
	check_layers(&pi, L_ALL, 7);
	CHECK_EQ(pi.outer.depth, 4);
	CHECK_EQ(pi.outer.n_vlans, 4);
	CHECK_EQ(pi.outer.vlan[0], 1);
	CHECK_EQ(pi.outer.vlan[1], 2);
	CHECK_EQ(pi.outer.gre_key, 42);
	CHECK_EQ(pi.outer.vni, 77);
	CHECK_EQ(pi.outer.teid, 9);
	CHECK_EQ(pi.outer.mpls_top, 500);

	/* Layers past PARSE_MAX_LAYERS are counted in kinds only. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 1, 0x0800);
	uint32_t w[4], wu[4];
	for (int i = 0; i < 4; i++) {
		w[i] = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
		wu[i] = udp(&pkt, 9, 4789);
		vxlan(&pkt, 0x08, (uint32_t)i);
		eth_in(&pkt, 0x8100);
		vlan(&pkt, (uint16_t)(10 + i), 0x0800);
	}
	l3 = inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	for (int i = 3; i >= 0; i--) {
		udp_end(&pkt, wu[i]);
		ipv4_end(&pkt, w[i]);
	}
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.l3_off, l3);
	CHECK_EQ(pi.outer.n_layers, PARSE_MAX_LAYERS);
	CHECK_EQ(pi.outer.n_vlans, 5);
	CHECK_EQ(pi.outer.kinds, (1u << ENCAP_VLAN) | (1u << ENCAP_VXLAN));
}

static void
test_zone(void)
{
	struct pkt_info pi;
	/* VLAN 0 is a priority tag: zone 0, as untagged. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 0x6000, 0x0800);
	inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	CHECK_EQ(pi.zone, 0);

	/* QinQ: the tags' order matters (S-tag 10 C-tag 20 is not S-tag 20 C-tag 10). */
	uint32_t z[2];
	for (int i = 0; i < 2; i++) {
		eth(&pkt, 0x88a8);
		vlan(&pkt, i ? 20 : 10, 0x8100);
		vlan(&pkt, i ? 10 : 20, 0x0800);
		inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		z[i] = pi.zone;
	}
	CHECK(z[0] != z[1]);

	/* VNIs 0..999 under one VLAN: marked zones, never a VLAN id, and all but a few distinct. */
	static uint32_t zones[1000];
	for (uint32_t v = 0; v < 1000; v++) {
		build_vxlan(&pkt, 4789, v, (int)(v & 1), NULL);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		CHECK(pi.zone >= PARSE_ZONE_MARK && pi.zone < (1u << PARSE_ZONE_BITS));
		zones[v] = pi.zone;
	}
	unsigned int same = 0;
	for (uint32_t i = 0; i < 1000; i++)
		for (uint32_t j = i + 1; j < 1000; j++)
			same += zones[i] == zones[j];
	CHECK(same <= 3);

	/* MPLS labels differ per direction and stay out of the zone: both directions in VLAN 9 give 9. */
	for (int d = 0; d < 2; d++) {
		eth(&pkt, 0x8100);
		vlan(&pkt, 9, 0x8847);
		mpls(&pkt, d ? 1001 : 2002, 0);
		mpls(&pkt, d ? 3003 : 4004, 1);
		inner4_tcp(&pkt, 1, 2, 0, d, NULL);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
		CHECK_EQ(pi.zone, 9);
	}
}

/* What a flow record would print. */
static void
check_outer_json(const struct pkt_outer *o, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	parse_outer_json(o, f);
	fclose(f);
	CHECK_STR(buf, want);
	free(buf);
}

static void
test_outer_json(void)
{
	struct pkt_info pi;
	build_vxlan(&pkt, 4789, 1111, 0, NULL);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_json(&pi.outer, "{\"encap\":[\"vlan\",\"vxlan\"],\"vlan\":[5],\"vni\":1111}");

	eth(&pkt, 0x88a8);
	vlan(&pkt, 100, 0x8100);
	vlan(&pkt, 200, 0x8847);
	mpls(&pkt, 16, 0);
	mpls(&pkt, 17, 1);
	uint32_t a = ip4a(&pkt, 47, V4_SRC, V4_DST, 1, 0, NULL);
	gre(&pkt, 0x2000, 0x0800, 0xdeadbeef, 0);
	uint32_t b = ip4a(&pkt, 17, V4_SRC, V4_DST, 1, 0, NULL);
	uint32_t bu = udp(&pkt, 2152, 2152);
	uint32_t g = gtpu(&pkt, 0x30, 255, 4000000000u, 0, NULL);
	inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	gtpu_end(&pkt, g);
	udp_end(&pkt, bu);
	ipv4_end(&pkt, b);
	ipv4_end(&pkt, a);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_OK);
	check_outer_json(&pi.outer, "{\"encap\":[\"qinq\",\"mpls\",\"gre\",\"gtpu\"],\"vlan\":[100,200],"
				    "\"mpls\":{\"top\":16,\"bottom\":17},\"gre_key\":3735928559,\"teid\":4000000000}");

	/* A plain packet: nothing, whatever was left in the struct before. */
	memset(&pi, 0xa5, sizeof(pi));
	eth(&pkt, 0x0800);
	inner4_tcp(&pkt, 1, 2, 0, 0, NULL);
	CHECK_EQ(parse_packet(pkt.d, pkt.n, &pi), PARSE_OK);
	check_outer_json(&pi.outer, "{}");
	CHECK_STR(parse_encap_name(ENCAP_6IN4), "6in4");
	CHECK_STR(parse_encap_name(ENCAP_COUNT), "?");
}

/*
 * A datagram that arrives in fragments, reassembled and resumed behind the
 * fragment's outer headers, is the same packet as when it arrives whole:
 * same inner flow, same zone, same outer identifiers.
 */
static void
test_resume(void)
{
	static struct pb whole, frag;
	struct pkt_info pw, pf;
	struct lens L = { 0 };
	uint32_t l3 = build_vxlan(&whole, 4789, 1111, 0, &L);
	CHECK_EQ(parse_pb(&whole, &pw), PARSE_OK);

	/* The outer IPv4 header as a first fragment (MF), cut after the VXLAN header. */
	memcpy(frag.d, whole.d, 18 + 20 + 16);
	frag.n = 18 + 20 + 16;
	set16(&frag, 18 + 6, 0x2000);
	ipv4_end(&frag, 18);
	CHECK_EQ(parse_pb(&frag, &pf), PARSE_FRAGMENT);
	static const uint8_t L_V[] = { ENCAP_VLAN };
	check_layers(&pf, L_V, 1);
	CHECK_EQ(pf.zone, 5);
	CHECK_EQ(pf.l3_off, 18);

	/* What reassembly hands back: the outer IP datagram whole. */
	CHECK_EQ(parse_resume(whole.d + 18, whole.n - 18, &pf), PARSE_OK);
	check_inner4_tcp(&pf, 45226, 443, l3 - 18, 20);
	CHECK_EQ(pf.zone, pw.zone);
	CHECK_EQ(pf.outer.kinds, pw.outer.kinds);
	CHECK_EQ(pf.outer.vni, 1111);
	CHECK_EQ(pf.outer.depth, 1);

	/* Nothing usable: malformed, outer state kept. */
	CHECK_EQ(parse_resume(whole.d, 0, &pf), PARSE_MALFORMED);
	static const uint8_t bad[40] = { 0x50 };
	CHECK_EQ(parse_resume(bad, sizeof(bad), &pf), PARSE_MALFORMED);
	CHECK_STR(pf.err, "bad ip version");
}

static void
test_encap_truncations(void)
{
	static struct pb full;
	struct pkt_info pi;
	const char *seen[24];
	struct lens L;
	int n;

	/* MPLS, control word, Ethernet, QinQ, IPv4, TCP. */
	memset(&L, 0, sizeof(L));
	eth(&full, 0x8847);
	mpls(&full, 1, 0);
	mpls(&full, 2, 1);
	put32(&full, 0);
	eth_in(&full, 0x88a8);
	vlan(&full, 3, 0x8100);
	vlan(&full, 4, 0x0800);
	inner4_tcp(&full, 1, 2, 4, 0, &L);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	n = encap_truncations(&full, &L, seen, 24);
	CHECK(seen_has(seen, n, "truncated mpls label stack"));
	CHECK(seen_has(seen, n, "truncated pseudowire control word"));
	CHECK(seen_has(seen, n, "truncated vlan tag"));
	CHECK(seen_has(seen, n, "truncated tcp header"));

	/* IPv6, GRE with every option, IPv6, UDP. */
	memset(&L, 0, sizeof(L));
	eth(&full, 0x86dd);
	ip6a(&full, 47, V6_SRC, V6_DST, &L);
	gre(&full, 0xb000, 0x86dd, 5, 6);
	inner6_udp(&full, 1, 2, 3, 0, &L);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	n = encap_truncations(&full, &L, seen, 24);
	CHECK(seen_has(seen, n, "truncated gre header"));
	CHECK(seen_has(seen, n, "truncated ipv6 header"));
	CHECK(seen_has(seen, n, "truncated udp header"));

	/* VXLAN, GTP-U with extensions, Teredo with both indicators, 4in6 and 6in4: no crash at any cut. */
	memset(&L, 0, sizeof(L));
	build_vxlan(&full, 4789, 3, 0, &L);
	encap_truncations(&full, &L, seen, 24);

	memset(&L, 0, sizeof(L));
	eth(&full, 0x0800);
	uint32_t o3 = ip4a(&full, 17, V4_SRC, V4_DST, 1, 0, &L);
	uint32_t o4 = udpa(&full, 2152, 2152, &L);
	uint32_t g = gtpu(&full, 0x37, 255, 1, 0x85, &L);
	gtpu_ext(&full, 1, 0x40);
	gtpu_ext(&full, 2, 0);
	inner6_udp(&full, 1, 2, 3, 0, &L);
	gtpu_end(&full, g);
	udp_end(&full, o4);
	ipv4_end(&full, o3);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	CHECK(pi.outer.kinds & (1u << ENCAP_GTPU));
	encap_truncations(&full, &L, seen, 24);

	memset(&L, 0, sizeof(L));
	eth(&full, 0x0800);
	o3 = ip4a(&full, 17, V4_SRC, V4_DST, 1, 0, &L);
	o4 = udpa(&full, 3544, 40000, &L);
	put16(&full, 1);
	put8(&full, 2);
	put8(&full, 2);
	putfill(&full, 4 + 9, 0);
	put16(&full, 0);
	putfill(&full, 6, 0);
	inner6_udp(&full, 1, 2, 3, 0, &L);
	udp_end(&full, o4);
	ipv4_end(&full, o3);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	CHECK(pi.outer.kinds & (1u << ENCAP_TEREDO));
	encap_truncations(&full, &L, seen, 24);

	memset(&L, 0, sizeof(L));
	eth(&full, 0x86dd);
	o3 = ip6a(&full, 4, V6_SRC, V6_DST, &L);
	uint32_t i3 = ip4a(&full, 41, V4_SRC, V4_DST, 1, 0, &L);
	inner6_udp(&full, 1, 2, 3, 0, &L);
	ipv4_end(&full, i3);
	ipv6_end(&full, o3);
	CHECK_EQ(parse_pb(&full, &pi), PARSE_OK);
	CHECK_EQ(pi.outer.depth, 2);
	n = encap_truncations(&full, &L, seen, 24);
	CHECK(seen_has(seen, n, "truncated ipv4 header"));
}

int
main(void)
{
	test_ipv4_udp();
	test_ipv4_udp_shorter_than_ip();
	test_ipv4_tcp();
	test_ipv4_options();
	test_vlan();
	test_qinq();
	test_not_ip();
	test_short_frames();
	test_padding();
	test_ipv6_plain();
	test_ipv6_each_ext();
	test_ipv6_chain();
	test_ipv6_ext_limit();
	test_ipv6_no_next();
	test_other_protocols();
	test_fragments();
	test_malformed_ipv4();
	test_malformed_ipv6();
	test_no_stale_fields();
	test_truncation_tcp_vlan_v4();
	test_truncation_udp_v6_ext();
	test_mpls();
	test_gre();
	test_vxlan();
	test_gtpu();
	test_ipip();
	test_teredo();
	test_encap_depth();
	test_zone();
	test_outer_json();
	test_resume();
	test_encap_truncations();
	CHECK_DONE();
}
