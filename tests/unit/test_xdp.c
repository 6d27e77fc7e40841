/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP enforcer, in the kernel, without an interface: the program is
 * loaded as tundra loads it (engine/control/xdp.c) and crafted frames are
 * run through it with BPF_PROG_TEST_RUN. Checks that both directions of a
 * blocked flow drop and nothing else does (other ports, protocol, address,
 * fragments, a third VLAN tag), that it reads the headers tundra's parser
 * reads (VLAN tags, IPv4 options, IPv6 extension headers), that an entry
 * past its expiry passes and is counted, and the control side's table:
 * its bound, unblock, revisit and ageing.
 *
 * Needs a kernel that lets this process load BPF (root or CAP_BPF); where
 * it does not, the test says so and exits 77 (meson: SKIP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>

#include "check.h"
#include "xdp.h"
#include "xdp_enforce.h"
#include "xdp_oracle.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)
#define TTL_S 10

static struct xdp_enforce *x;

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The transport header: TCP's 20 bytes (data offset 5), UDP's 8 (its length 8), 8 bytes of anything else. */
static unsigned int l4_put(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport)
{
	put16(p, sport);
	put16(p + 2, dport);
	if (proto == 6) {
		p[12] = 5 << 4;
		p[13] = 0x10;
		return 20;
	}
	if (proto == 17)
		put16(p + 4, 8);
	return 8;
}

/* Ethernet (+ tags) / IPv4 (+ options words) / transport header. */
static struct frame v4(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		       unsigned int vlans, unsigned int opt_words, uint16_t frag)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	uint8_t *p = f.b + 12;
	for (unsigned int i = 0; i < vlans; i++, p += 4) {
		put16(p, i == 0 ? 0x88a8 : 0x8100);
		put16(p + 2, (uint16_t)(100 + i));
	}
	put16(p, 0x0800);
	p += 2;
	unsigned int ihl = 5 + opt_words;
	uint8_t *ip = p;
	ip[0] = (uint8_t)(0x40 | ihl);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	p += ihl * 4;
	p += l4_put(p, proto, sport, dport);
	put16(ip + 2, (uint16_t)(p - ip));
	f.len = (uint32_t)(p - f.b);
	return f;
}

/* IPv6 with the given extension headers (next-header values, each 8 bytes; 44 is a fragment header). */
static struct frame v6(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		       const uint8_t *ext, unsigned int n_ext, uint16_t frag_field)
{
	struct frame f;
	memset(&f, 0, sizeof(f));
	put16(f.b + 12, 0x86dd);
	uint8_t *ip = f.b + 14;
	ip[0] = 0x60;
	ip[6] = n_ext ? ext[0] : proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	uint8_t *p = ip + 40;
	for (unsigned int i = 0; i < n_ext; i++, p += 8) {
		p[0] = i + 1 < n_ext ? ext[i + 1] : proto;
		if (ext[i] == 44)
			put16(p + 2, frag_field);
		else
			p[1] = 0; /* (0 + 1) * 8 bytes */
	}
	p += l4_put(p, proto, sport, dport);
	put16(ip + 4, (uint16_t)(p - ip - 40));
	f.len = (uint32_t)(p - f.b);
	return f;
}

/* The program's verdict on one frame: XDP_DROP, XDP_PASS, or -1 when the run failed. */
static int run(const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len, .repeat = 1);
	if (bpf_prog_test_run_opts(xdp_enforce_prog_fd(x), &o) != 0)
		return -1;
	return (int)o.retval;
}

static struct xdp_tuple tup(int ver, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto)
{
	struct xdp_tuple t;
	memset(&t, 0, sizeof(t));
	t.ip_version = (uint8_t)ver;
	t.proto = proto;
	inet_pton(ver == 6 ? AF_INET6 : AF_INET, src, t.src);
	inet_pton(ver == 6 ? AF_INET6 : AF_INET, dst, t.dst);
	t.sport = sport;
	t.dport = dport;
	return t;
}

static unsigned int map_entries(void)
{
	struct tundra_xdp_key k, next;
	unsigned int n = 0;
	const void *prev = NULL;
	while (bpf_map_get_next_key(xdp_enforce_map_fd(x), prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static struct xdp_enforce_stats stats(void)
{
	struct xdp_enforce_stats st;
	xdp_enforce_get_stats(x, &st);
	return st;
}

static bool keep_even(void *arg, const struct xdp_tuple *t, uint64_t tag)
{
	(void)arg;
	(void)t;
	return tag % 2 == 0;
}

static void test_matching(void)
{
	uint64_t now = xdp_now_ns();
	struct frame c2s = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 17, 0, 0, 0);
	struct frame s2c = v4("203.0.113.2", 51820, "198.51.100.2", 40000, 17, 0, 0, 0);
	CHECK_EQ(run(&c2s), XDP_PASS);
	struct xdp_tuple t = tup(4, "198.51.100.2", 40000, "203.0.113.2", 51820, 17);
	CHECK_EQ(xdp_enforce_block(x, &t, 1, now), 0);
	CHECK_EQ(run(&c2s), XDP_DROP);
	CHECK_EQ(run(&s2c), XDP_DROP);
	/* The same flow behind tags (tundra keys flows by VLAN, the enforcer does not) and with IPv4 options. */
	struct frame tagged = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 17, 2, 0, 0);
	CHECK_EQ(run(&tagged), XDP_DROP);
	struct frame opts = v4("203.0.113.2", 51820, "198.51.100.2", 40000, 17, 1, 2, 0x4000 /* DF */);
	CHECK_EQ(run(&opts), XDP_DROP);
	/* Anything else passes. */
	struct frame other;
	other = v4("198.51.100.2", 40001, "203.0.113.2", 51820, 17, 0, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	other = v4("198.51.100.2", 40000, "203.0.113.2", 51821, 17, 0, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	other = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 6, 0, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	other = v4("198.51.100.3", 40000, "203.0.113.2", 51820, 17, 0, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	/* Swapped ports are another flow. */
	other = v4("198.51.100.2", 51820, "203.0.113.2", 40000, 17, 0, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	/* Packets tundra passes uninspected pass here too: fragments (first or not), three tags, truncated. */
	other = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 17, 0, 0, 0x2000);
	CHECK_EQ(run(&other), XDP_PASS);
	other = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 17, 0, 0, 0x0010);
	CHECK_EQ(run(&other), XDP_PASS);
	other = v4("198.51.100.2", 40000, "203.0.113.2", 51820, 17, 3, 0, 0);
	CHECK_EQ(run(&other), XDP_PASS);
	/*
	 * The flow inside one MPLS label: tundra judges the inner flow, the
	 * program does not read past Ethernet and its tags, so it passes
	 * (enforcing on a tunnel's inner flows is tundra's, inline).
	 */
	other = c2s;
	memmove(other.b + 18, other.b + 14, other.len - 14);
	put16(other.b + 12, 0x8847);
	other.b[14] = 0x00, other.b[15] = 0x06, other.b[16] = 0x41, other.b[17] = 0x40; /* label 100, bottom, TTL 64 */
	other.len += 4;
	struct pkt_info pi;
	CHECK_EQ(parse_packet(other.b, other.len, &pi), PARSE_OK);
	CHECK_EQ(pi.src_port, 40000);
	CHECK_EQ(xdp_oracle_expect(xdp_enforce_map_fd(x), other.b, other.len, now), XDP_PASS);
	CHECK_EQ(run(&other), XDP_PASS);
	other = c2s;
	other.len -= 6; /* ports cut off */
	CHECK_EQ(run(&other), XDP_PASS);
	/* Lengths tundra's parser rejects, so would pass uninspected: the enforcer passes them too. */
	other = c2s;
	other.b[14 + 2] = 0xff; /* IPv4 total length beyond the frame */
	CHECK_EQ(run(&other), XDP_PASS);
	other = c2s;
	put16(other.b + 14 + 20 + 4, 7); /* UDP length below its header */
	CHECK_EQ(run(&other), XDP_PASS);
	other = c2s;
	other.b[other.len++] = 0; /* Ethernet padding past the IP length is not a length error */
	other.b[other.len++] = 0;
	CHECK_EQ(run(&other), XDP_DROP);

	/* Unblocked: passes again. */
	xdp_enforce_unblock(x, &t);
	CHECK_EQ(run(&c2s), XDP_PASS);
	CHECK_EQ(map_entries(), 0);

	/* The value's last sighting was written by the program on a drop. */
	CHECK_EQ(xdp_enforce_block(x, &t, 1, now), 0);
	CHECK_EQ(run(&s2c), XDP_DROP);
	struct tundra_xdp_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr_a, t.src, 4);
	memcpy(k.addr_b, t.dst, 4);
	put16(k.port_a, t.sport);
	put16(k.port_b, t.dport);
	k.proto = 17;
	k.ip_version = 4;
	tundra_xdp_key_canon(&k);
	struct tundra_xdp_val v;
	CHECK_EQ(bpf_map_lookup_elem(xdp_enforce_map_fd(x), &k, &v), 0);
	CHECK(v.last_hit_ns >= now);
	CHECK(v.expires_ns >= now + S(TTL_S));
	xdp_enforce_unblock(x, &t);
}

static void test_ipv6_and_portless(void)
{
	uint64_t now = xdp_now_ns();
	struct xdp_tuple t = tup(6, "2001:db8::2", 443, "2001:db8:1::9", 1194, 6);
	CHECK_EQ(xdp_enforce_block(x, &t, 1, now), 0);
	struct frame f = v6("2001:db8:1::9", 1194, "2001:db8::2", 443, 6, NULL, 0, 0);
	CHECK_EQ(run(&f), XDP_DROP);
	/* Hop-by-hop, routing, destination options, an atomic fragment: walked through. */
	const uint8_t chain[] = {0, 43, 60, 44};
	f = v6("2001:db8::2", 443, "2001:db8:1::9", 1194, 6, chain, 4, 0);
	CHECK_EQ(run(&f), XDP_DROP);
	/* A real fragment (offset or M set) passes. */
	f = v6("2001:db8::2", 443, "2001:db8:1::9", 1194, 6, chain, 4, 0x0001);
	CHECK_EQ(run(&f), XDP_PASS);
	/* More than 8 extension headers: tundra calls it malformed and passes it. */
	const uint8_t long_chain[] = {60, 60, 60, 60, 60, 60, 60, 60, 60};
	f = v6("2001:db8::2", 443, "2001:db8:1::9", 1194, 6, long_chain, 9, 0);
	CHECK_EQ(run(&f), XDP_PASS);
	f = v6("2001:db8::2", 443, "2001:db8:1::9", 1194, 6, long_chain, 8, 0);
	CHECK_EQ(run(&f), XDP_DROP);
	xdp_enforce_unblock(x, &t);
	CHECK_EQ(run(&f), XDP_PASS);

	/* ESP has no ports: its flow is the address pair and the protocol. */
	struct xdp_tuple esp = tup(4, "198.51.100.2", 0, "203.0.113.2", 0, 50);
	CHECK_EQ(xdp_enforce_block(x, &esp, 1, now), 0);
	struct frame e = v4("203.0.113.2", 0x1234, "198.51.100.2", 0x5678, 50, 0, 0, 0);
	CHECK_EQ(run(&e), XDP_DROP);
	e = v4("203.0.113.2", 0x1234, "198.51.100.2", 0x5678, 51, 0, 0, 0);
	CHECK_EQ(run(&e), XDP_PASS);
	xdp_enforce_unblock(x, &esp);
}

static void test_expiry(void)
{
	/* Blocked as if refreshed last TTL + 1 s ago: the program must stop matching it. */
	uint64_t past = xdp_now_ns() - S(TTL_S + 1);
	struct xdp_tuple t = tup(4, "198.51.100.7", 5000, "203.0.113.7", 1194, 17);
	struct xdp_enforce_stats before = stats();
	CHECK_EQ(xdp_enforce_block(x, &t, 1, past), 0);
	struct frame f = v4("198.51.100.7", 5000, "203.0.113.7", 1194, 17, 0, 0, 0);
	CHECK_EQ(run(&f), XDP_PASS);
	CHECK_EQ(run(&f), XDP_PASS);
	struct xdp_enforce_stats after = stats();
	CHECK_EQ(after.expired - before.expired, 2);
	CHECK_EQ(after.dropped, before.dropped);
	/* The refresh the control loop makes puts it back in force. */
	xdp_enforce_age(x, xdp_now_ns());
	CHECK_EQ(run(&f), XDP_DROP);
	xdp_enforce_unblock(x, &t);
}

static void test_counters(void)
{
	struct xdp_enforce_stats a = stats();
	struct frame f = v4("192.0.2.1", 1, "192.0.2.2", 2, 17, 0, 0, 0);
	for (int i = 0; i < 5; i++)
		run(&f);
	struct frame junk;
	memset(&junk, 0, sizeof(junk));
	junk.len = 20; /* not IP */
	run(&junk);
	struct xdp_enforce_stats b = stats();
	CHECK_EQ(b.passed - a.passed, 6);
	CHECK_EQ(b.dropped - a.dropped, 0);
}

/* xorshift64: the same mutations on every run, so a failure reproduces. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

/*
 * Frames of blocked flows, mutated (bytes in the headers rewritten, bits
 * flipped, cut short, padded): the program must drop exactly those that
 * tundra's parser reads as a blocked flow, and pass the rest, above all
 * those it calls malformed (length fields that lie, headers cut short).
 */
static void test_against_parser(void)
{
	uint64_t now = xdp_now_ns();
	const uint8_t chain[] = {0, 43, 60, 44};
	const uint8_t ah[] = {51};
	struct frame seeds[] = {
		v4("198.51.100.20", 40000, "203.0.113.20", 51820, 17, 0, 0, 0),
		v4("203.0.113.20", 51820, "198.51.100.20", 40000, 17, 2, 0, 0),
		v4("198.51.100.21", 50000, "203.0.113.21", 443, 6, 1, 2, 0x4000),
		v6("2001:db8::20", 41000, "2001:db8:1::20", 443, 6, chain, 4, 0),
		v6("2001:db8:1::20", 1194, "2001:db8::21", 41001, 17, ah, 1, 0),
		v4("198.51.100.22", 0, "203.0.113.22", 0, 50, 0, 0, 0),
		v4("198.51.100.23", 0, "203.0.113.23", 0, 1, 0, 0, 0), /* ICMP: not blocked */
	};
	const unsigned int n_seeds = sizeof(seeds) / sizeof(seeds[0]);
	struct xdp_tuple blocked[] = {
		tup(4, "198.51.100.20", 40000, "203.0.113.20", 51820, 17),
		tup(4, "198.51.100.21", 50000, "203.0.113.21", 443, 6),
		tup(6, "2001:db8::20", 41000, "2001:db8:1::20", 443, 6),
		tup(6, "2001:db8::21", 41001, "2001:db8:1::20", 1194, 17),
		tup(4, "198.51.100.22", 0, "203.0.113.22", 0, 50),
	};
	for (unsigned int i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		CHECK_EQ(xdp_enforce_block(x, &blocked[i], 1, now), 0);
	for (unsigned int i = 0; i < n_seeds; i++)
		CHECK_EQ(run(&seeds[i]), i + 1 < n_seeds ? XDP_DROP : XDP_PASS);

	unsigned int runs = 0, drops = 0, malformed_blocked = 0, mismatches = 0;
	for (unsigned int it = 0; it < 40000; it++) {
		struct frame f = seeds[rnd() % n_seeds];
		for (unsigned int m = 1 + rnd() % 3; m > 0; m--) {
			uint32_t r = rnd() % 100;
			if (r < 60)
				f.b[rnd() % (f.len < 90 ? f.len : 90)] = (uint8_t)rnd();
			else if (r < 75)
				f.b[rnd() % f.len] ^= (uint8_t)(1u << (rnd() % 8));
			else if (r < 90)
				f.len = XDP_ORACLE_MIN_LEN + rnd() % (f.len - XDP_ORACLE_MIN_LEN + 1);
			else
				for (uint32_t k = 1 + rnd() % 8; k > 0 && f.len < sizeof(f.b); k--)
					f.b[f.len++] = (uint8_t)rnd();
		}
		int got = run(&f);
		int want = xdp_oracle_expect(xdp_enforce_map_fd(x), f.b, f.len, xdp_now_ns());
		runs += got >= 0;
		drops += got == XDP_DROP;
		struct tundra_xdp_key k;
		if (!xdp_oracle_key(f.b, f.len, &k) && got == XDP_PASS)
			malformed_blocked++; /* counted loosely: not parsed, passed */
		if (got != want && ++mismatches <= 3) {
			fprintf(stderr, "mutated frame %u: program %d, parser says %d:", it, got, want);
			for (uint32_t b = 0; b < f.len; b++)
				fprintf(stderr, " %02x", f.b[b]);
			fputc('\n', stderr);
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(runs, 40000);
	/* Both answers were exercised plenty. */
	CHECK(drops > 2000);
	CHECK(malformed_blocked > 2000);
	for (unsigned int i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		xdp_enforce_unblock(x, &blocked[i]);
	CHECK_EQ(map_entries(), 0);
}

static void test_table(void)
{
	uint64_t now = xdp_now_ns();
	struct xdp_enforce_stats st0 = stats();
	char ip[32];
	/* Full at max_flows: the next block is refused, counted, and the map holds exactly the table. */
	for (unsigned int i = 0; i < 64; i++) {
		snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 16, i % 16);
		struct xdp_tuple t = tup(4, ip, (uint16_t)(1000 + i), "203.0.113.9", 443, 6);
		CHECK_EQ(xdp_enforce_block(x, &t, i, now), 0);
	}
	struct xdp_tuple extra = tup(4, "10.9.9.9", 9, "203.0.113.9", 443, 6);
	CHECK_EQ(xdp_enforce_block(x, &extra, 0, now), -1);
	struct xdp_enforce_stats st = stats();
	CHECK_EQ(st.refused - st0.refused, 1);
	CHECK_EQ(st.flows, 64);
	CHECK_EQ(map_entries(), 64);
	/* Blocking a flow again is the same entry, from either side. */
	struct xdp_tuple again = tup(4, "203.0.113.9", 443, "10.1.0.3", 1003, 6);
	CHECK_EQ(xdp_enforce_block(x, &again, 3, now), 0);
	CHECK_EQ(stats().flows, 64);

	/* A reload's revisit: odd tags no longer drop. */
	CHECK_EQ(xdp_enforce_revisit(x, keep_even, NULL), 32);
	CHECK_EQ(stats().flows, 32);
	CHECK_EQ(map_entries(), 32);
	struct frame f = v4("10.1.0.2", 1002, "203.0.113.9", 443, 6, 0, 0, 0);
	CHECK_EQ(run(&f), XDP_DROP);
	f = v4("10.1.0.1", 1001, "203.0.113.9", 443, 6, 0, 0, 0);
	CHECK_EQ(run(&f), XDP_PASS);
	/* Room again after the removals, and the probe chains still find every survivor. */
	CHECK_EQ(xdp_enforce_block(x, &extra, 0, now), 0);
	for (unsigned int i = 0; i < 64; i += 2) {
		snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 16, i % 16);
		struct frame g = v4(ip, (uint16_t)(1000 + i), "203.0.113.9", 443, 6, 0, 0, 0);
		CHECK_EQ(run(&g), XDP_DROP);
	}
	xdp_enforce_unblock(x, &extra);

	/*
	 * Ageing. Half the flows end in their worker; TCP's idle timeout here
	 * is 60 s. Two minutes on, with no XDP sighting, the ended ones are
	 * released and the others refreshed; ten idle timeouts on, the rest go.
	 */
	for (unsigned int i = 0; i < 64; i += 4) {
		snprintf(ip, sizeof(ip), "10.1.%u.%u", i / 16, i % 16);
		struct xdp_tuple t = tup(4, ip, (uint16_t)(1000 + i), "203.0.113.9", 443, 6);
		xdp_enforce_end(x, &t);
	}
	uint64_t rel0 = stats().released;
	xdp_enforce_age(x, now + S(120));
	st = stats();
	CHECK_EQ(st.released - rel0, 16);
	CHECK_EQ(st.flows, 16);
	CHECK_EQ(map_entries(), 16);
	xdp_enforce_age(x, now + S(60 * 10 + 1));
	CHECK_EQ(stats().flows, 0);
	CHECK_EQ(map_entries(), 0);
	CHECK_EQ(stats().map_errors, 0);
}

/*
 * Random blocks and unblocks against a plain reference set: the table's
 * probe chains (backward-shift deletion) and its dense array (the last
 * entry moves into a freed place) must keep finding exactly the flows
 * blocked, and the kernel's map must hold exactly those.
 */
static void test_table_random(void)
{
	uint64_t now = xdp_now_ns();
	bool in[96] = {false};
	unsigned int n = 0, bad = 0;
	for (unsigned int it = 0; it < 5000; it++) {
		unsigned int f = rnd() % 96;
		char ip[32];
		snprintf(ip, sizeof(ip), "10.2.0.%u", f);
		/* Few distinct ports: neighbouring keys crowd the same probe chains. */
		struct xdp_tuple t = tup(4, ip, (uint16_t)(7000 + f % 3), "203.0.113.50", 443, 17);
		if (rnd() % 2) {
			int rc = xdp_enforce_block(x, &t, f, now);
			if (!in[f] && n == 64) {
				bad += rc != -1;
			} else {
				bad += rc != 0;
				n += !in[f];
				in[f] = true;
			}
		} else {
			xdp_enforce_unblock(x, &t);
			n -= in[f];
			in[f] = false;
		}
		if (it % 500 == 0 || it == 4999) {
			bad += stats().flows != n || map_entries() != n;
			for (unsigned int g = 0; g < 96; g++) {
				snprintf(ip, sizeof(ip), "10.2.0.%u", g);
				struct frame fr = v4(ip, (uint16_t)(7000 + g % 3), "203.0.113.50", 443, 17, 0, 0, 0);
				bad += run(&fr) != (in[g] ? XDP_DROP : XDP_PASS);
			}
		}
	}
	CHECK_EQ(bad, 0);
	for (unsigned int g = 0; g < 96; g++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.2.0.%u", g);
		struct xdp_tuple t = tup(4, ip, (uint16_t)(7000 + g % 3), "203.0.113.50", 443, 17);
		xdp_enforce_unblock(x, &t);
	}
	CHECK_EQ(stats().flows, 0);
	CHECK_EQ(map_entries(), 0);
}

static void test_seen_keeps(void)
{
	/* An ended flow XDP keeps seeing is kept: its worker's flow idled out because XDP starved it. */
	uint64_t now = xdp_now_ns();
	struct xdp_tuple t = tup(4, "198.51.100.8", 6000, "203.0.113.8", 51820, 17);
	CHECK_EQ(xdp_enforce_block(x, &t, 1, now - S(100)), 0);
	xdp_enforce_end(x, &t);
	xdp_enforce_age(x, now); /* refreshes it: blocked 100 s ago, idle timeout 120 s */
	struct frame f = v4("198.51.100.8", 6000, "203.0.113.8", 51820, 17, 0, 0, 0);
	CHECK_EQ(run(&f), XDP_DROP); /* a sighting now */
	uint64_t r0 = stats().released;
	xdp_enforce_age(x, now + S(100)); /* 200 s after the block, 100 s after the sighting */
	CHECK_EQ(stats().released, r0);
	CHECK_EQ(run(&f), XDP_DROP);
	xdp_enforce_age(x, now + S(300));
	CHECK_EQ(stats().released - r0, 1);
	CHECK_EQ(run(&f), XDP_PASS);
}

int main(void)
{
	const char *none[] = {NULL};
	struct xdp_enforce_config c = {
		.ifnames = none,
		.n_ifnames = 0,
		.ttl_s = TTL_S,
		.max_flows = 64,
		.tcp_idle_ns = S(60),
		.other_idle_ns = S(120),
	};
	char err[512];
	x = xdp_enforce_open(&c, err, sizeof(err));
	if (x == NULL) {
		if (strstr(err, "cannot load") != NULL) {
			fprintf(stderr, "SKIP: this kernel or process may not load BPF programs: %s\n", err);
			return 77;
		}
		fprintf(stderr, "xdp_enforce_open: %s\n", err);
		return 1;
	}
	test_matching();
	test_ipv6_and_portless();
	test_expiry();
	test_counters();
	test_against_parser();
	test_table_random();
	test_table();
	test_seen_keeps();

	const char *bad[] = {"tx-nonesuch0"};
	c.ifnames = bad;
	c.n_ifnames = 1;
	struct xdp_enforce *y = xdp_enforce_open(&c, err, sizeof(err));
	CHECK(y == NULL);
	CHECK_STR(err, "--xdp-enforce tx-nonesuch0: no such interface");
	xdp_enforce_close(x);
	CHECK_DONE();
}
