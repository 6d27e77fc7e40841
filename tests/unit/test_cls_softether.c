/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The softether classifier's transports other than cleartext HTTP (that one
 * is in test_cls_sslvpn.c), driven through the engine's real classification
 * stage (cls_harness.h): SoftEther's "VPN over DNS" queries copied from
 * ../pcaps/softether.pcap must decide; queries and replies built byte by
 * byte from the source's format (Mayaqua/Network.c RUDPMainThread) test the
 * boundaries and the server's echo; every truncation, every changed fixed
 * byte and the near-misses an ordinary DNS client sends (a DNSKEY query for
 * a real zone, an A/AAAA query for an 8-hex-digit name, EDNS options that
 * parse) must decide nothing, and so must random datagrams to UDP 53; and
 * WireGuard/OpenVPN on port 53 still decide as themselves (no stealing).
 */
#define CLS_TEST_SEED 0x452821e638d01377ull
#include "cls_builders.h"

#define WIN_PKTS 8
#define WIN_BYTES 65536
#define CP 60038
#define DNS 53

static char reason[200];

/* ---------------------------------------------------- real datagrams */

/* softether.pcap frame 18: 198.19.0.2:60038 -> 198.19.0.1:53, 114 bytes, DNSKEY? 9ff8b724. */
static const uint8_t dnsq_9ff8b724[] = {
	0x2e, 0xcf, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x39, 0x66, 0x66, 0x38, 0x62, 0x37, 0x32, 0x34, 0x00, 0x00, 0x30,
	0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00,
	0x4d, 0x88, 0x47, 0x4a, 0xbb, 0x33, 0xda, 0x42, 0x60, 0x60, 0x8d, 0x9d,
	0x41, 0x20, 0x24, 0x77, 0xf5, 0x4f, 0x83, 0x67, 0x72, 0xaa, 0x31, 0x4a,
	0x53, 0x7e, 0x0a, 0x1f, 0x0b, 0x95, 0xf1, 0x62, 0xa7, 0xee, 0x22, 0xc9,
	0x15, 0xea, 0x98, 0x37, 0x7f, 0x11, 0x87, 0xf7, 0x06, 0x65, 0x2d, 0x1a,
	0xbf, 0x11, 0xf2, 0xe8, 0x63, 0x14, 0x82, 0x38, 0x76, 0x4b, 0xbd, 0x45,
	0x27, 0x71, 0xa2, 0xa3, 0x3d, 0x85, 0x1a, 0xf2, 0x67, 0xf7, 0x97, 0xfc,
	0xf9, 0x8c, 0x2d, 0x22, 0xcd, 0x3d,
};

/* softether.pcap frame 22: 198.19.0.2:60038 -> 198.19.0.1:53, 172 bytes, DNSKEY? a7a99bc7. */
static const uint8_t dnsq_a7a99bc7[] = {
	0x2f, 0x60, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x61, 0x37, 0x61, 0x39, 0x39, 0x62, 0x63, 0x37, 0x00, 0x00, 0x30,
	0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00,
	0x87, 0x87, 0x73, 0x9e, 0xb4, 0xaf, 0xa3, 0xfb, 0xb9, 0x7f, 0x6a, 0xee,
	0x57, 0xb9, 0x89, 0x40, 0x64, 0xe9, 0x1f, 0x65, 0xb6, 0x61, 0x23, 0xc9,
	0x95, 0xfc, 0x55, 0x2c, 0x17, 0x42, 0x2c, 0x5f, 0x46, 0x22, 0x90, 0xb8,
	0xd1, 0xd2, 0xbb, 0x73, 0xfc, 0x62, 0x60, 0xd0, 0xc5, 0xb1, 0x9c, 0xca,
	0x32, 0x9d, 0xf0, 0x39, 0x80, 0x44, 0x19, 0xaf, 0xf3, 0xc4, 0x95, 0x42,
	0x63, 0xb0, 0x2d, 0x06, 0xfb, 0x0c, 0xcc, 0xac, 0x39, 0x83, 0xaf, 0x3f,
	0xd0, 0xc5, 0x27, 0x9d, 0x54, 0x40, 0xa5, 0xa1, 0xf5, 0x7c, 0x2a, 0xc2,
	0xa2, 0xab, 0x0e, 0x4b, 0x9c, 0x3a, 0xcc, 0xf0, 0x7c, 0x36, 0x88, 0x3f,
	0x15, 0xa5, 0xff, 0xe1, 0xfc, 0x62, 0x20, 0xaf, 0xa8, 0x8f, 0xfa, 0xc3,
	0x94, 0x12, 0x30, 0x31, 0x20, 0x5a, 0x3b, 0x0c, 0x2a, 0xe8, 0x96, 0x12,
	0x99, 0xfa, 0xba, 0x0b, 0xe4, 0x9b, 0x7d, 0x14, 0xda, 0xd4, 0xdc, 0xdb,
	0xa2, 0x30, 0x24, 0x8e,
};

/* softether.pcap frame 24: 198.19.0.2:60038 -> 198.19.0.1:53, 76 bytes, DNSKEY? 4d2899b9. */
static const uint8_t dnsq_4d2899b9[] = {
	0x5c, 0x44, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x34, 0x64, 0x32, 0x38, 0x39, 0x39, 0x62, 0x39, 0x00, 0x00, 0x30,
	0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00,
	0x27, 0x36, 0xec, 0x89, 0x7a, 0xa7, 0xc6, 0x0c, 0xfb, 0x63, 0xd5, 0xce,
	0x98, 0x6a, 0x81, 0xba, 0xfa, 0xee, 0xba, 0x83, 0x58, 0xe4, 0xff, 0x42,
	0x24, 0x21, 0xa7, 0x4c, 0xc2, 0xeb, 0x45, 0xed, 0x29, 0xdc, 0x01, 0xe2,
	0x6f, 0xf9, 0xbe, 0xb5,
};

/* ---------------------------------------------------------- builders */

/* Offsets in the client's query (softether.c's header comment). */
#define Q_NAME 13
#define Q_RDLEN 35
#define Q_DATA 37
/* ... and in the server's reply */
#define R_RDLEN 36

/* A SoftEther query as the source builds it: id, 8-hex name, rdata_len bytes of R-UDP data. */
static uint32_t
se_query(uint8_t *b, uint16_t id, const char *name, uint32_t rdata_len)
{
	static const uint8_t h1[] = { 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08 };
	static const uint8_t h2[] = { 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x80, 0x00 };
	uint32_t o = put16(b, 0, id);

	memcpy(b + o, h1, sizeof(h1)), o += sizeof(h1);
	o = puts_(b, o, name);
	memcpy(b + o, h2, sizeof(h2)), o += sizeof(h2);
	o = put16(b, o, (uint16_t)rdata_len);
	o = rndfill(b, o, rdata_len);
	/* random data that happens to parse as one EDNS option would not count: make sure it does not */
	if (rdata_len >= 4)
		put16(b, Q_DATA + 2, (uint16_t)(rdata_len + 1));
	return o;
}

/* The server's response (source: dns_response_header_1/2/3), echoing tranid. */
static uint32_t
se_reply(uint8_t *b, const uint8_t *tranid, const char *name, uint32_t ttl, uint32_t data_len)
{
	static const uint8_t h1[] = { 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08 };
	static const uint8_t h2[] = { 0x00, 0x00, 0x30, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x30, 0x00, 0x01 };
	uint32_t o = 0;

	b[o++] = tranid[0], b[o++] = tranid[1];
	memcpy(b + o, h1, sizeof(h1)), o += sizeof(h1);
	o = puts_(b, o, name);
	memcpy(b + o, h2, sizeof(h2)), o += sizeof(h2);
	o = put32(b, o, ttl);
	o = put16(b, o, (uint16_t)(data_len + 4));
	o = put32(b, o, 0x01000308);
	return rndfill(b, o, data_len);
}

/* An ordinary DNS query: one question (dotted name), optional OPT with the given rdata. */
static uint32_t
dns_query(uint8_t *b, uint16_t id, uint16_t flags, const char *name, uint16_t qtype, bool opt, uint16_t udp_size,
	  const uint8_t *rdata, uint16_t rdlen)
{
	uint32_t o = put16(b, 0, id);
	const char *s = name;

	o = put16(b, o, flags);
	o = put16(b, o, 1), o = put16(b, o, 0), o = put16(b, o, 0), o = put16(b, o, opt ? 1 : 0);
	while (*s) {
		const char *dot = strchr(s, '.');
		uint32_t n = dot ? (uint32_t)(dot - s) : (uint32_t)strlen(s);

		b[o++] = (uint8_t)n;
		memcpy(b + o, s, n), o += n;
		s += n + (dot ? 1 : 0);
	}
	b[o++] = 0;
	o = put16(b, o, qtype), o = put16(b, o, 1);
	if (opt) {
		b[o++] = 0;
		o = put16(b, o, 41), o = put16(b, o, udp_size), o = put32(b, o, 0x00008000);
		o = put16(b, o, rdlen);
		if (rdlen)
			memcpy(b + o, rdata, rdlen), o += rdlen;
	}
	return o;
}

/* Feeds the datagrams a[0..k) client -> server :53 (S2C where dirs[i] is 1). */
static struct flow
run(const uint8_t *const *a, const uint32_t *n, const uint8_t *dirs, unsigned int k)
{
	struct flow f;

	harness_flow(&f, 17);
	for (unsigned int i = 0; i < k; i++)
		feed(&f, dirs ? dirs[i] : CLS_C2S, a[i], n[i], CP, DNS);
	return f;
}

static struct flow
run2(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
	const uint8_t *p[2] = { a, b };
	uint32_t n[2] = { na, nb };

	return run(p, n, NULL, 2);
}

/* ------------------------------------------------------------ tests */

static void
test_dns_real(void)
{
	const uint8_t *p[3] = { dnsq_9ff8b724, dnsq_a7a99bc7, dnsq_4d2899b9 };
	uint32_t n[3] = { sizeof(dnsq_9ff8b724), sizeof(dnsq_a7a99bc7), sizeof(dnsq_4d2899b9) };
	struct flow f;

	/* two data messages */
	f = run(p, n, NULL, 2);
	expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 2);
	classify_reason(&h.db, &f, reason, sizeof(reason));
	CHECK_STR(reason, "softether/softether-over-dns-dnskey-query/"
			  "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata/likely@pkt2");
	/* a data message then the 39-byte connection request (as in the capture) */
	f = run(p + 1, n + 1, NULL, 2);
	expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 2);

	/* one query alone: consistent, owned, not decided */
	f = run(p + 2, n + 2, NULL, 1);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));
	CHECK_EQ(f.phase, FLOW_INSPECTING);

	/* the same query twice (a retransmission repeats its name): no */
	f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), dnsq_9ff8b724, sizeof(dnsq_9ff8b724));
	expect_none(&f);
	CHECK_EQ(f.cls.owner, 0);

	/* every truncation of either query: nothing decided */
	for (uint32_t k = 0; k < sizeof(dnsq_a7a99bc7); k++) {
		f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), dnsq_a7a99bc7, k);
		expect_none(&f);
		f = run2(dnsq_a7a99bc7, k, dnsq_9ff8b724, sizeof(dnsq_9ff8b724));
		expect_none(&f);
	}
	/* any other port works the same (the port is not evidence) */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, dnsq_9ff8b724, sizeof(dnsq_9ff8b724), 40000, 5353);
	feed(&f, CLS_C2S, dnsq_4d2899b9, sizeof(dnsq_4d2899b9), 40000, 5353);
	expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 2);
}

/* Each fixed byte changed, each name character out of the set, the id 0, the length off: no. */
static void
test_dns_malformed(void)
{
	uint8_t q[sizeof(dnsq_a7a99bc7)];
	struct flow f;

	for (uint32_t i = 0; i < Q_DATA; i++) {
		for (int v = 0; v < 3; v++) {
			static const uint8_t flip[3] = { 0x01, 0x20, 0x80 };

			if (i < 2)
				continue; /* the id is random */
			memcpy(q, dnsq_a7a99bc7, sizeof(q));
			q[i] ^= flip[v];
			/* a name character may stay a lower-case hex digit ('a' ^ 0x01 = '`' is not, '0' ^ 0x01 = '1' is) */
			if (i >= Q_NAME && i < Q_NAME + 8 && ((q[i] >= '0' && q[i] <= '9') || (q[i] >= 'a' && q[i] <= 'f')))
				continue;
			f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), q, sizeof(q));
			expect_none(&f);
			f = run2(q, sizeof(q), dnsq_9ff8b724, sizeof(dnsq_9ff8b724));
			expect_none(&f);
		}
	}
	/* upper-case hex (SoftEther lower-cases its name) */
	memcpy(q, dnsq_a7a99bc7, sizeof(q));
	q[Q_NAME] = 'A';
	f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), q, sizeof(q));
	expect_none(&f);
	/* id 0 */
	memcpy(q, dnsq_a7a99bc7, sizeof(q));
	q[0] = q[1] = 0;
	f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), q, sizeof(q));
	expect_none(&f);
	/* RDLENGTH one more / one less than the rest; one byte appended (bytes beyond the records) */
	for (int d = -1; d <= 1; d += 2) {
		memcpy(q, dnsq_a7a99bc7, sizeof(q));
		put16(q, Q_RDLEN, (uint16_t)(sizeof(q) - Q_DATA + d));
		f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), q, sizeof(q));
		expect_none(&f);
	}
	{
		uint8_t longer[sizeof(dnsq_a7a99bc7) + 1];

		memcpy(longer, dnsq_a7a99bc7, sizeof(dnsq_a7a99bc7));
		longer[sizeof(dnsq_a7a99bc7)] = 0;
		f = run2(dnsq_9ff8b724, sizeof(dnsq_9ff8b724), longer, sizeof(longer));
		expect_none(&f);
	}
}

/* R-UDP message sizes: 39 .. 1355 bytes, RDATA that parses as EDNS options never counts. */
static void
test_dns_boundaries(void)
{
	static const uint32_t ok[] = { 39, 40, 77, 512, 1355 }, bad[] = { 0, 1, 4, 12, 38, 1356, 1400 };
	uint8_t a[1500], b[1500];
	uint32_t na, nb;
	struct flow f;

	for (unsigned int i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		na = se_query(a, 0x1234, "0a1b2c3d", 39);
		nb = se_query(b, 0x4321, "ffffffff", ok[i]);
		f = run2(a, na, b, nb);
		expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 2);
	}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		na = se_query(a, 0x1234, "0a1b2c3d", 77);
		nb = se_query(b, 0x4321, "00000000", bad[i]);
		f = run2(a, na, b, nb);
		expect_none(&f);
		f = run2(b, nb, a, na);
		expect_none(&f);
	}
	/* RDATA that is a well-formed option list: one option (padding, 12) spanning it; two options */
	na = se_query(a, 0x1234, "0a1b2c3d", 77);
	nb = se_query(b, 0x4321, "0a1b2c3e", 77);
	put16(b, Q_DATA, 12), put16(b, Q_DATA + 2, 77 - 4);
	f = run2(a, na, b, nb);
	expect_none(&f);
	put16(b, Q_DATA + 2, 30), put16(b, Q_DATA + 34, 10), put16(b, Q_DATA + 36, 77 - 38);
	f = run2(a, na, b, nb);
	expect_none(&f);
	/* the same name in a new id: a repeated question, no */
	nb = se_query(b, 0x4321, "0a1b2c3d", 100);
	f = run2(a, na, b, nb);
	expect_none(&f);
	/* a query in each direction is not two queries of one side */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, a, na, CP, DNS);
	nb = se_query(b, 0x4321, "0a1b2c3e", 100);
	feed(&f, CLS_S2C, b, nb, CP, DNS);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));
}

/* The server's reply echoing the query's transaction id (source format; no capture has one). */
static void
test_dns_reply(void)
{
	uint8_t r[1500];
	uint32_t nr;
	struct flow f;

	nr = se_reply(r, dnsq_4d2899b9, "8c0e55a1", 43200, 77);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, dnsq_4d2899b9, sizeof(dnsq_4d2899b9), CP, DNS);
	feed(&f, CLS_S2C, r, nr, CP, DNS);
	expect(&f, "softether", CLS_CONFIRMED, "over-dns-dnskey-query+dnskey-reply-tranid-echo", 2);
	classify_reason(&h.db, &f, reason, sizeof(reason));
	CHECK_STR(reason, "softether/softether-over-dns-dnskey-query/"
			  "over-dns-dnskey-query+dnskey-reply-tranid-echo/confirmed@pkt2");
	/* TTL bounds and data sizes */
	static const uint32_t ttl_ok[] = { 43200, 60000, 86399 }, ttl_bad[] = { 0, 43199, 86400, 0xa45b };
	for (unsigned int i = 0; i < 3; i++) {
		nr = se_reply(r, dnsq_4d2899b9, "00000000", ttl_ok[i], i == 0 ? 39 : i == 1 ? 300 : 1355);
		harness_flow(&f, 17);
		feed(&f, CLS_C2S, dnsq_4d2899b9, sizeof(dnsq_4d2899b9), CP, DNS);
		feed(&f, CLS_S2C, r, nr, CP, DNS);
		expect(&f, "softether", CLS_CONFIRMED, "over-dns-dnskey-query+dnskey-reply-tranid-echo", 2);
	}
	/*
	 * Not the echo (other id), a bad TTL, a size out of range, a changed
	 * fixed byte, a truncation: the reply is ignored, and the next query
	 * still decides (likely, at packet 3).
	 */
	for (int v = 0; v < 9 + 42; v++) {
		uint8_t id[2] = { dnsq_4d2899b9[0], dnsq_4d2899b9[1] };

		if (v == 0)
			id[1] ^= 1;
		nr = se_reply(r, id, "00000000", v >= 1 && v <= 4 ? ttl_bad[v - 1] : 50000,
			      v == 5 ? 38 : v == 6 ? 1356 : 77);
		if (v == 7)
			nr -= 1;
		if (v == 8)
			r[R_RDLEN + 1] ^= 1;
		if (v >= 9) {
			if (v - 9 < 2 || (v - 9 >= 32 && v - 9 < 36)) /* id and TTL are tested above */
				continue;
			r[v - 9] ^= 0x40; /* each byte of the 42-byte header */
		}
		harness_flow(&f, 17);
		feed(&f, CLS_C2S, dnsq_4d2899b9, sizeof(dnsq_4d2899b9), CP, DNS);
		feed(&f, CLS_S2C, r, nr, CP, DNS);
		expect_none(&f);
		CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));
		feed(&f, CLS_C2S, dnsq_9ff8b724, sizeof(dnsq_9ff8b724), CP, DNS);
		expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 3);
	}
	/* a reply alone (capture started after the query): nothing */
	nr = se_reply(r, dnsq_4d2899b9, "8c0e55a1", 43200, 77);
	harness_flow(&f, 17);
	feed(&f, CLS_S2C, r, nr, CP, DNS);
	feed(&f, CLS_S2C, r, nr, CP, DNS);
	expect_none(&f);
}

/* What ordinary DNS clients and resolvers send: nothing may decide, however often. */
static void
test_dns_ordinary(void)
{
	static const uint8_t cookie[] = { 0x00, 0x0a, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
	uint8_t a[600], pad[420], rnd[200];
	struct flow f;
	uint32_t n;

	memset(pad, 0, sizeof(pad));
	put16(pad, 0, 12), put16(pad, 2, sizeof(pad) - 4);
	rndfill(rnd, 0, sizeof(rnd));
	struct {
		uint16_t flags;
		const char *name;
		uint16_t qtype;
		bool opt;
		uint16_t size;
		const uint8_t *rdata;
		uint16_t rdlen;
	} q[] = {
		/* a validating resolver's / dig's DNSKEY query for a real zone */
		{ 0x0100, "example.com", 48, true, 4096, NULL, 0 },
		{ 0x0100, "example.com", 48, true, 4096, cookie, sizeof(cookie) },
		{ 0x0120, "example.com", 48, true, 1232, cookie, sizeof(cookie) },
		{ 0x0000, "com", 48, true, 1232, NULL, 0 },
		{ 0x0100, "", 48, true, 4096, NULL, 0 }, /* the root's DNSKEY */
		/* a DNSKEY query for the 8-hex single label, with ordinary EDNS */
		{ 0x0100, "deadbeef", 48, true, 4096, NULL, 0 },
		{ 0x0100, "deadbeef", 48, true, 4096, cookie, sizeof(cookie) },
		{ 0x0100, "deadbeef", 48, true, 4096, pad, sizeof(pad) },
		{ 0x0100, "deadbeef", 48, false, 0, NULL, 0 },
		/* A / AAAA for an 8-hex label (Chrome's intranet probes are letters, but still) */
		{ 0x0100, "0a1b2c3d", 1, true, 4096, NULL, 0 },
		{ 0x0100, "0a1b2c3d", 28, true, 4096, cookie, sizeof(cookie) },
		{ 0x0100, "0a1b2c3d", 1, false, 0, NULL, 0 },
		{ 0x0100, "0a1b2c3d", 1, true, 4096, rnd, sizeof(rnd) },   /* even opaque RDATA: QTYPE A */
		{ 0x0100, "0a1b2c3d.example", 48, true, 4096, rnd, sizeof(rnd) }, /* a zone below */
		{ 0x0100, "0a1b2c3d9", 48, true, 4096, rnd, sizeof(rnd) },  /* 9 digits */
		{ 0x0100, "0a1b2c3", 48, true, 4096, rnd, sizeof(rnd) },    /* 7 digits */
		{ 0x0110, "0a1b2c3d", 48, true, 4096, rnd, sizeof(rnd) },   /* CD set */
		{ 0x0100, "0a1b2c3d", 48, true, 1232, rnd, sizeof(rnd) },   /* UDP size 1232 */
	};
	for (unsigned int i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		harness_flow(&f, 17);
		for (int k = 0; k < 8; k++) {
			n = dns_query(a, (uint16_t)(0x1000 + k), q[i].flags, q[i].name, q[i].qtype, q[i].opt, q[i].size,
				      q[i].rdata, q[i].rdlen);
			feed(&f, CLS_C2S, a, n, (uint16_t)(CP + k), DNS);
		}
		expect_none(&f);
		CHECK_EQ(f.cls.owner, 0);
	}
	/* the SoftEther header with no RDATA, and with RDATA short of a connection request */
	for (uint16_t rd = 0; rd < 39; rd += 19) {
		harness_flow(&f, 17);
		for (int k = 0; k < 8; k++) {
			n = dns_query(a, (uint16_t)(0x2000 + k), 0x0100, k & 1 ? "0a1b2c3d" : "0a1b2c3e", 48, true, 4096,
				      rnd, rd);
			feed(&f, CLS_C2S, a, n, CP, DNS);
		}
		expect_none(&f);
	}
}

/* Random datagrams to UDP 53, also behind the pattern's 35 bytes: none may decide. */
static void
test_dns_random(void)
{
	uint8_t a[1500], pre[40];
	struct flow f;
	uint32_t n, na;

	for (int k = 0; k < 3000; k++) {
		harness_flow(&f, 17);
		for (int i = 0; i < 8; i++) {
			n = 1 + (rnd8() | (uint32_t)(rnd8() & 3) << 8);
			rndfill(a, 0, n);
			feed(&f, (uint8_t)(rnd8() & 1), a, n, CP, DNS);
		}
		expect_none(&f);
	}
	na = se_query(pre, 1, "0a1b2c3d", 0);
	for (int k = 0; k < 3000; k++) {
		harness_flow(&f, 17);
		for (int i = 0; i < 8; i++) {
			n = 36 + (rnd8() | (uint32_t)(rnd8() & 3) << 8);
			memcpy(a, pre, na);
			rndfill(a, 0, 2);
			rndfill(a, Q_NAME, 8);
			for (int c = 0; c < 8; c++)
				a[Q_NAME + c] = (uint8_t)"0123456789abcdef"[a[Q_NAME + c] & 15];
			rndfill(a, Q_RDLEN, n - Q_RDLEN);
			feed(&f, CLS_C2S, a, n, CP, DNS);
		}
		expect_none(&f);
	}
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	test_dns_real();
	test_dns_malformed();
	test_dns_boundaries();
	test_dns_reply();
	test_dns_ordinary();
	test_dns_random();
	expect_wireguard_openvpn_decide(DNS);
	harness_free(&h);
	CHECK_DONE();
}
