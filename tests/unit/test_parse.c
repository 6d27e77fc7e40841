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
		CHECK(pi->n_vlans <= 2);
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
	CHECK_EQ(pi.n_vlans, 0);
	CHECK_EQ(pi.vlan, 0);
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
	CHECK_EQ(pi.n_vlans, 1);
	CHECK_EQ(pi.vlan, 0x123);
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
	CHECK_EQ(pi.vlan, 4095);
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
		CHECK_EQ(pi.n_vlans, 2);
		CHECK_EQ(pi.vlan, 0xffe);
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
	/* ARP, LLDP, 802.3 length, MPLS, IPX-ish: padded minimum frames. */
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x05dc, 0x002e, 0x8847, 0x0600, 0xffff };
	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		eth(&pkt, types[i]);
		putfill(&pkt, 46, 0);
		CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);
		CHECK_EQ(pi.n_vlans, 0);
	}
	/* Bare 14-byte header of a non-IP type is complete enough. */
	eth(&pkt, 0x0806);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);

	/* ARP inside a VLAN: the tag is still reported. */
	eth(&pkt, 0x8100);
	vlan(&pkt, 42, 0x0806);
	putfill(&pkt, 28, 0);
	CHECK_EQ(parse_pb(&pkt, &pi), PARSE_NOT_IP);
	CHECK_EQ(pi.n_vlans, 1);
	CHECK_EQ(pi.vlan, 42);
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
	/* ESP, GRE, ICMP, SCTP, IP-in-IP over IPv4. */
	static const uint8_t v4p[] = { 50, 47, 1, 132, 4 };
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
	CHECK_EQ(pi.n_vlans, 0);
	CHECK_EQ(pi.vlan, 0);
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
	CHECK_DONE();
}
