/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The softether classifier's transports other than cleartext HTTP (that one
 * is in test_cls_sslvpn.c), driven through the engine's real classification
 * stage (cls_harness.h): SoftEther's "VPN over DNS" queries and "VPN over
 * ICMP" messages copied from ../pcaps/softether.pcap must decide; queries,
 * replies and messages built byte by byte from the source's format
 * (Mayaqua/Network.c RUDPMainThread) test the boundaries and the server's
 * echo; every truncation, every changed fixed byte and the near-misses of
 * ordinary traffic (a DNSKEY query for a real zone, an A/AAAA query for an
 * 8-hex-digit name, EDNS options that parse, pings, an ICMP tunnel with a
 * fixed identifier) must decide nothing, and so must random datagrams to
 * UDP 53 and random ICMP; WireGuard/OpenVPN on port 53 and ESP on IP still
 * decide as themselves (no stealing). Also the SHA-1 helper's known
 * answers. The UDP acceleration channel: its datagrams from
 * ../pcaps/softether-udpaccel.pcap chain from either side alone; built v1
 * and v2 chains at the size bounds, a lost datagram, repeating structure
 * (zero fill, periods, text, copies) and random datagrams, and ESP,
 * cisco-ipsec, WireGuard and OpenVPN still deciding as themselves.
 */
#define CLS_TEST_SEED 0x452821e638d01377ull
#include "cls_builders.h"
#include "cls_sha1.h"

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

/* softether.pcap frame 26: 198.19.0.2 -> 198.19.0.1 ICMP echo reply, 105 bytes (77-byte R-UDP message) */
static const uint8_t icmp_t0_105_2[] = {
	0x00, 0x00, 0x2f, 0xbb, 0x18, 0xac, 0xd7, 0xcb, 0xa5, 0xd4, 0x42, 0x43,
	0x73, 0x1d, 0xa9, 0x84, 0xc2, 0xbf, 0xb1, 0xb3, 0x6b, 0xf0, 0x75, 0xa5,
	0x40, 0x32, 0x06, 0x79, 0x2b, 0xb2, 0x33, 0x5d, 0x77, 0x50, 0xaa, 0x9d,
	0x3f, 0x86, 0xed, 0x29, 0x08, 0xe5, 0x03, 0x61, 0xa6, 0x3f, 0xc7, 0x46,
	0xf7, 0xba, 0x4b, 0x3a, 0x22, 0x19, 0x68, 0x5e, 0x8f, 0x00, 0xaa, 0x93,
	0xd8, 0xf5, 0x98, 0xd5, 0xae, 0x3d, 0xbe, 0xe0, 0x1a, 0xf8, 0x3b, 0x3e,
	0xf7, 0x6a, 0xf1, 0xcf, 0xdc, 0xb7, 0xae, 0x9d, 0x90, 0xf7, 0xa5, 0x05,
	0x0d, 0xa9, 0xcf, 0x98, 0x6d, 0x02, 0x09, 0x29, 0x9a, 0x4a, 0xc9, 0xda,
	0x5b, 0xc9, 0x1d, 0x5d, 0xec, 0xbd, 0x51, 0xbd, 0xc1,
};

/* softether.pcap frame 31: 198.19.0.2 ICMP echo request, 142 bytes (114 random bytes) */
static const uint8_t icmp_t8_142_2[] = {
	0x08, 0x00, 0xdc, 0xe4, 0x18, 0xac, 0xd7, 0xcb, 0xc8, 0x1b, 0x49, 0x3b,
	0xa7, 0x34, 0xf5, 0xa0, 0xf6, 0x32, 0x5b, 0xa2, 0xae, 0x93, 0x6d, 0xb3,
	0xf0, 0x88, 0x10, 0x21, 0x40, 0xe5, 0x86, 0x5e, 0x2e, 0x05, 0xbe, 0xc8,
	0xa3, 0xdf, 0x56, 0xe1, 0xa2, 0x88, 0xc0, 0x6c, 0x53, 0x0f, 0x24, 0x47,
	0xe6, 0xb8, 0xd8, 0x08, 0x33, 0xfd, 0x17, 0x6a, 0xac, 0xf6, 0x2c, 0xb9,
	0x22, 0xc1, 0x7d, 0xad, 0x84, 0xee, 0x0e, 0x2f, 0xc1, 0x6c, 0xa2, 0xd6,
	0xda, 0xf3, 0xde, 0x39, 0x7a, 0x59, 0xb7, 0x10, 0xcb, 0xb3, 0x56, 0x34,
	0x4f, 0x02, 0xc7, 0x24, 0xec, 0x16, 0x05, 0x4e, 0xb6, 0x8b, 0x4b, 0x31,
	0x09, 0x36, 0xa4, 0x98, 0x0b, 0xbc, 0xd4, 0x93, 0x34, 0x9f, 0x11, 0x50,
	0x49, 0x50, 0x5c, 0xd5, 0xd3, 0x5d, 0x08, 0x02, 0xe8, 0x49, 0xbd, 0x28,
	0x45, 0x2f, 0xe0, 0x6e, 0x0c, 0x47, 0x3c, 0x05, 0xc9, 0x04, 0xcb, 0x76,
	0xa4, 0xd1, 0x67, 0x66, 0x5c, 0x68, 0x9c, 0xbe, 0xf0, 0x54,
};

/* softether.pcap frame 32: 198.19.0.1 ICMP echo reply, 142 bytes (the server kernel's answer to the request) */
static const uint8_t icmp_t0_142_1[] = {
	0x00, 0x00, 0xe4, 0xe4, 0x18, 0xac, 0xd7, 0xcb, 0xc8, 0x1b, 0x49, 0x3b,
	0xa7, 0x34, 0xf5, 0xa0, 0xf6, 0x32, 0x5b, 0xa2, 0xae, 0x93, 0x6d, 0xb3,
	0xf0, 0x88, 0x10, 0x21, 0x40, 0xe5, 0x86, 0x5e, 0x2e, 0x05, 0xbe, 0xc8,
	0xa3, 0xdf, 0x56, 0xe1, 0xa2, 0x88, 0xc0, 0x6c, 0x53, 0x0f, 0x24, 0x47,
	0xe6, 0xb8, 0xd8, 0x08, 0x33, 0xfd, 0x17, 0x6a, 0xac, 0xf6, 0x2c, 0xb9,
	0x22, 0xc1, 0x7d, 0xad, 0x84, 0xee, 0x0e, 0x2f, 0xc1, 0x6c, 0xa2, 0xd6,
	0xda, 0xf3, 0xde, 0x39, 0x7a, 0x59, 0xb7, 0x10, 0xcb, 0xb3, 0x56, 0x34,
	0x4f, 0x02, 0xc7, 0x24, 0xec, 0x16, 0x05, 0x4e, 0xb6, 0x8b, 0x4b, 0x31,
	0x09, 0x36, 0xa4, 0x98, 0x0b, 0xbc, 0xd4, 0x93, 0x34, 0x9f, 0x11, 0x50,
	0x49, 0x50, 0x5c, 0xd5, 0xd3, 0x5d, 0x08, 0x02, 0xe8, 0x49, 0xbd, 0x28,
	0x45, 0x2f, 0xe0, 0x6e, 0x0c, 0x47, 0x3c, 0x05, 0xc9, 0x04, 0xcb, 0x76,
	0xa4, 0xd1, 0x67, 0x66, 0x5c, 0x68, 0x9c, 0xbe, 0xf0, 0x54,
};

/* softether.pcap frame 33: 198.19.0.2 ICMP echo reply, 67 bytes (the 39-byte connection request) */
static const uint8_t icmp_t0_67_2[] = {
	0x00, 0x00, 0x34, 0x44, 0x18, 0xac, 0xd7, 0xcb, 0x37, 0x7e, 0xc2, 0xf6,
	0x4e, 0x56, 0x7d, 0x2a, 0x41, 0x4e, 0xe8, 0xf4, 0xbf, 0x4c, 0x43, 0xbf,
	0x95, 0x4b, 0xaa, 0x3a, 0xb2, 0x24, 0x46, 0x32, 0x6a, 0x10, 0xca, 0xd5,
	0xb5, 0x22, 0x38, 0x82, 0xae, 0x60, 0x63, 0xe2, 0xbb, 0xe2, 0x30, 0x78,
	0xc1, 0x88, 0x36, 0xae, 0xbf, 0x18, 0xe4, 0x7c, 0xd4, 0x1c, 0x9d, 0xd7,
	0xe9, 0xdd, 0xb3, 0xa0, 0xaf, 0xb8, 0x34,
};

/* softether.pcap frame 34: 198.19.0.2 ICMP information request, 67 bytes (the same request again) */
static const uint8_t icmp_t15_67_2[] = {
	0x0f, 0x00, 0x25, 0x44, 0x18, 0xac, 0xd7, 0xcb, 0x37, 0x7e, 0xc2, 0xf6,
	0x4e, 0x56, 0x7d, 0x2a, 0x41, 0x4e, 0xe8, 0xf4, 0xbf, 0x4c, 0x43, 0xbf,
	0x95, 0x4b, 0xaa, 0x3a, 0xb2, 0x24, 0x46, 0x32, 0x6a, 0x10, 0xca, 0xd5,
	0xb5, 0x22, 0x38, 0x82, 0xae, 0x60, 0x63, 0xe2, 0xbb, 0xe2, 0x30, 0x78,
	0xc1, 0x88, 0x36, 0xae, 0xbf, 0x18, 0xe4, 0x7c, 0xd4, 0x1c, 0x9d, 0xd7,
	0xe9, 0xdd, 0xb3, 0xa0, 0xaf, 0xb8, 0x34,
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
static struct flow_insp
run(const uint8_t *const *a, const uint32_t *n, const uint8_t *dirs, unsigned int k)
{
	struct flow_insp f;

	harness_flow(&f, 17);
	for (unsigned int i = 0; i < k; i++)
		feed(&f, dirs ? dirs[i] : CLS_C2S, a[i], n[i], CP, DNS);
	return f;
}

static struct flow_insp
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
	struct flow_insp f;

	/* two data messages */
	f = run(p, n, NULL, 2);
	expect(&f, "softether", CLS_LIKELY, "over-dns-two-dnskey-queries-hex-label-opt-rudp-rdata", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
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
	struct flow_insp f;

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
	struct flow_insp f;

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
	struct flow_insp f;

	nr = se_reply(r, dnsq_4d2899b9, "8c0e55a1", 43200, 77);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, dnsq_4d2899b9, sizeof(dnsq_4d2899b9), CP, DNS);
	feed(&f, CLS_S2C, r, nr, CP, DNS);
	expect(&f, "softether", CLS_CONFIRMED, "over-dns-dnskey-query+dnskey-reply-tranid-echo", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
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
	struct flow_insp f;
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
	struct flow_insp f;
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

/* ------------------------------------------------------------- ICMP */

static const char *
hexs(const uint8_t *d, char *out)
{
	for (int i = 0; i < (int)CLS_SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return out;
}

/* FIPS 180 examples and lengths around the block and padding boundaries (Python's hashlib). */
static void
test_sha1(void)
{
	static uint8_t m[1000000];
	static const struct {
		uint32_t n;
		const char *hex;
	} a[] = {
		{ 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a" }, { 56, "c2db330f6083854c99d4b5bfb6e8f29f201be699" },
		{ 63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5" }, { 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d" },
		{ 65, "11655326c708d70319be2610e8a57d9a5b959d3b" }, { 119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56" },
		{ 120, "f34c1488385346a55709ba056ddd08280dd4c6d6" }, { 1355, "1e13b8d5fda850fec704188ecdabd3a1f09bf8e3" },
		{ 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	};
	uint8_t d[CLS_SHA1_LEN];
	char hex[41];

	cls_sha1(NULL, 0, d);
	CHECK_STR(hexs(d, hex), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	cls_sha1((const uint8_t *)"abc", 3, d);
	CHECK_STR(hexs(d, hex), "a9993e364706816aba3e25717850c26c9cd0d89d");
	cls_sha1((const uint8_t *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	CHECK_STR(hexs(d, hex), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(m, 'a', sizeof(m));
	for (unsigned int i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		cls_sha1(m, a[i].n, d);
		CHECK_STR(hexs(d, hex), a[i].hex);
	}
	/* the captured messages carry SHA-1 of their R-UDP message at offset 8 */
	cls_sha1(icmp_t0_105_2 + 28, sizeof(icmp_t0_105_2) - 28, d);
	CHECK(memcmp(d, icmp_t0_105_2 + 8, 20) == 0);
}

/* A VPN-over-ICMP message: type, id+seq, data_len random bytes, their SHA-1 in front. */
static uint32_t
se_icmp(uint8_t *b, uint8_t type, uint32_t idseq, uint32_t data_len)
{
	uint32_t o = put8(b, 0, type);

	o = put8(b, o, 0), o = put16(b, o, 0x5555); /* checksum: not checked */
	o = put32(b, o, idseq);
	rndfill(b, o + 20, data_len);
	cls_sha1(b + o + 20, data_len, b + o);
	return o + 20 + data_len;
}

/* An ICMP flow: feeds a[0..k) in directions dirs[0..k). */
static struct flow_insp
icmp_run(const uint8_t *const *a, const uint32_t *n, const uint8_t *dirs, unsigned int k, uint8_t proto)
{
	struct flow_insp f;

	harness_flow(&f, proto);
	for (unsigned int i = 0; i < k; i++)
		harness_feed(&h, &f, dirs[i], a[i], n[i], 0, 0);
	return f;
}

static struct flow_insp
icmp2(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb)
{
	const uint8_t *p[2] = { a, b };
	uint32_t n[2] = { na, nb };
	uint8_t d[2] = { CLS_C2S, CLS_C2S };

	return icmp_run(p, n, d, 2, 1);
}

static void
test_icmp_real(void)
{
	const uint8_t *p[12];
	uint32_t n[12];
	uint8_t d[12], unreach[243];
	struct flow_insp f;
	unsigned int k = 0;

	f = icmp2(icmp_t0_105_2, sizeof(icmp_t0_105_2), icmp_t0_67_2, sizeof(icmp_t0_67_2));
	expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "softether/softether-over-icmp-message/"
			  "over-icmp-two-messages-sha1-of-payload-fixed-id-seq/likely@pkt2");
	/* the connection request as echo reply, then as information request */
	f = icmp2(icmp_t0_67_2, sizeof(icmp_t0_67_2), icmp_t15_67_2, sizeof(icmp_t15_67_2));
	expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 2);

	/*
	 * The capture's order: the server's six port unreachables come first (so
	 * the flow's "client" is the server), then the client's messages.
	 */
	unreach[0] = 3, unreach[1] = 3;
	rndfill(unreach, 2, sizeof(unreach) - 2);
	for (; k < 6; k++)
		p[k] = unreach, n[k] = sizeof(unreach), d[k] = CLS_C2S;
	p[k] = icmp_t0_105_2, n[k] = sizeof(icmp_t0_105_2), d[k++] = CLS_S2C;
	p[k] = icmp_t8_142_2, n[k] = sizeof(icmp_t8_142_2), d[k++] = CLS_S2C;
	f = icmp_run(p, n, d, k, 1);
	expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 8);

	/* one message: owned, undecided */
	f = icmp_run(p + 6, n + 6, d + 6, 1, 1);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));

	/* the kernel's echo reply (other side, a copy of the request) does not count; the next message does */
	p[0] = icmp_t8_142_2, n[0] = sizeof(icmp_t8_142_2), d[0] = CLS_C2S;
	p[1] = icmp_t0_142_1, n[1] = sizeof(icmp_t0_142_1), d[1] = CLS_S2C;
	p[2] = unreach, n[2] = sizeof(unreach), d[2] = CLS_S2C;
	p[3] = icmp_t0_67_2, n[3] = sizeof(icmp_t0_67_2), d[3] = CLS_C2S;
	f = icmp_run(p, n, d, 3, 1);
	expect_none(&f);
	f = icmp_run(p, n, d, 4, 1);
	expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 4);
	/* the kernel's reply alone: owned, undecided */
	p[0] = icmp_t0_142_1, n[0] = sizeof(icmp_t0_142_1), d[0] = CLS_S2C;
	f = icmp_run(p, n, d, 1, 1);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));

	/* not ICMP: the same bytes on ESP, GRE, ICMPv6 (SoftEther uses ICMPv4 only) */
	static const uint8_t protos[] = { 50, 47, 58 };
	for (unsigned int i = 0; i < sizeof(protos); i++) {
		p[0] = icmp_t0_105_2, n[0] = sizeof(icmp_t0_105_2), d[0] = CLS_C2S;
		p[1] = icmp_t0_67_2, n[1] = sizeof(icmp_t0_67_2), d[1] = CLS_C2S;
		f = icmp_run(p, n, d, 2, protos[i]);
		expect_not(&f, "softether");
		CHECK(f.cls.owner != classifier_id_by_name("softether"));
	}
}

static void
test_icmp_malformed(void)
{
	uint8_t m[sizeof(icmp_t0_105_2)];
	struct flow_insp f;

	/* every truncation of the second message */
	for (uint32_t k = 0; k < sizeof(icmp_t0_105_2); k++) {
		f = icmp2(icmp_t0_67_2, sizeof(icmp_t0_67_2), icmp_t0_105_2, k);
		expect_none(&f);
		f = icmp2(icmp_t0_105_2, k, icmp_t0_67_2, sizeof(icmp_t0_67_2));
		expect_none(&f);
	}
	/* every byte of the digest and the message changed; the checksum is not read */
	for (uint32_t i = 0; i < sizeof(m); i++) {
		memcpy(m, icmp_t0_105_2, sizeof(m));
		m[i] ^= 0x04;
		f = icmp2(icmp_t0_67_2, sizeof(icmp_t0_67_2), m, sizeof(m));
		if (i == 2 || i == 3) {
			expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 2);
			continue;
		}
		/* type 0 ^ 4 = 4, code 4, identifier/sequence number changed, digest or message changed */
		expect_none(&f);
	}
	/* other types and codes, with a valid digest */
	static const uint8_t types[] = { 3, 5, 11, 13, 14, 17, 0x80 };
	for (unsigned int i = 0; i < sizeof(types); i++) {
		memcpy(m, icmp_t0_105_2, sizeof(m));
		m[0] = types[i];
		f = icmp2(icmp_t0_67_2, sizeof(icmp_t0_67_2), m, sizeof(m));
		expect_none(&f);
	}
	memcpy(m, icmp_t0_105_2, sizeof(m));
	m[1] = 1;
	f = icmp2(icmp_t0_67_2, sizeof(icmp_t0_67_2), m, sizeof(m));
	expect_none(&f);
}

/* Message sizes 39..1355, the four types, the identifier/sequence number rule. */
static void
test_icmp_boundaries(void)
{
	static const uint32_t ok[] = { 39, 40, 77, 1355 }, bad[] = { 0, 1, 20, 38, 1356, 1400 };
	static const uint8_t types[] = { 0, 8, 15, 16 };
	uint8_t a[1500], b[1500];
	uint32_t na, nb;
	struct flow_insp f;

	for (unsigned int i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		for (unsigned int t = 0; t < sizeof(types); t++) {
			na = se_icmp(a, types[t], 0x18acd7cb, ok[i]);
			nb = se_icmp(b, types[(t + 1) % 4], 0x18acd7cb, ok[(i + 1) % 4]);
			f = icmp2(a, na, b, nb);
			expect(&f, "softether", CLS_LIKELY, "over-icmp-two-messages-sha1-of-payload-fixed-id-seq", 2);
		}
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		na = se_icmp(a, 0, 0x18acd7cb, 77);
		nb = se_icmp(b, 0, 0x18acd7cb, bad[i]);
		f = icmp2(a, na, b, nb);
		expect_none(&f);
		f = icmp2(b, nb, a, na);
		expect_none(&f);
	}
	/* another identifier or sequence number: ignored, the flow stays owned */
	na = se_icmp(a, 0, 0x18acd7cb, 77);
	nb = se_icmp(b, 0, 0x18acd7cc, 77);
	f = icmp2(a, na, b, nb);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("softether"));
	/* owned: after 12 packets without a second message, given up */
	harness_flow(&f, 1);
	harness_feed(&h, &f, CLS_C2S, a, na, 0, 0);
	for (int i = 0; i < 13; i++)
		harness_feed(&h, &f, (uint8_t)(i & 1), b, nb, 0, 0);
	expect_none(&f);
}

/* Pings and an ICMP tunnel with a fixed identifier, random ICMP: nothing. */
static void
test_icmp_ordinary(void)
{
	uint8_t a[1500], ip[84];
	struct flow_insp f;
	uint32_t n;

	for (int size = 56; size <= 1472; size += 1416 / 2) {
		harness_flow(&f, 1);
		for (uint16_t seq = 1; seq <= 8; seq++) {
			for (int dir = 0; dir < 2; dir++) {
				/* Linux ping: 8-byte header, 16-byte timeval, then 0x10, 0x11, ... */
				uint32_t o = put8(a, 0, dir ? 0 : 8);

				o = put8(a, o, 0), o = put16(a, o, 0x1234), o = put16(a, o, 0x4a4b), o = put16(a, o, seq);
				o = rndfill(a, o, 16);
				for (int i = 16; i < size; i++)
					a[o++] = (uint8_t)(i & 0xff);
				harness_feed(&h, &f, (uint8_t)dir, a, o, 0, 0);
			}
		}
		expect_none(&f);
		CHECK_EQ(f.cls.owner, 0);
	}
	/* Windows ping: 32 bytes "abcdefghijklmnopqrstuvwabcdefghi", also in a long variant */
	harness_flow(&f, 1);
	for (uint16_t seq = 1; seq <= 8; seq++) {
		uint32_t o = put32(a, 0, 0x08000000);

		o = put16(a, o, 1), o = put16(a, o, seq);
		for (int i = 0; i < 500; i++)
			a[o++] = (uint8_t)('a' + i % 23);
		harness_feed(&h, &f, CLS_C2S, a, seq & 1 ? 40 : o, 0, 0);
	}
	expect_none(&f);
	/* an ICMP tunnel (as icmp-tunnel.pcap in the wild corpus): id 65279, seq 0, an IPv4 packet inside */
	harness_flow(&f, 1);
	for (int k = 0; k < 8; k++) {
		n = put32(a, 0, 0x08000000);
		n = put32(a, n, 0xfeff0000);
		memset(ip, 0, sizeof(ip));
		put16(ip, 0, 0x4500), put16(ip, 2, sizeof(ip)), put8(ip, 8, 64), put8(ip, 9, 1);
		rndfill(ip, 20, sizeof(ip) - 20);
		memcpy(a + n, ip, sizeof(ip)), n += sizeof(ip);
		harness_feed(&h, &f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);
	/* random ICMP: any type, and echo types behind the pattern */
	for (int k = 0; k < 3000; k++) {
		harness_flow(&f, 1);
		for (int i = 0; i < 8; i++) {
			n = 1 + (rnd8() | (uint32_t)(rnd8() & 3) << 8);
			rndfill(a, 0, n);
			if (k & 1)
				a[0] = (uint8_t)"\x00\x08\x0f\x10"[rnd8() & 3], a[1] = 0;
			harness_feed(&h, &f, (uint8_t)(rnd8() & 1), a, n, 0, 0);
		}
		expect_none(&f);
	}
}

/* ESP (IP 50) whose SPI starts 00 00 matches the ICMP pattern and must still be esp. */
static void
test_icmp_no_stealing(void)
{
	uint8_t a[120];
	struct flow_insp f;

	harness_flow(&f, 50);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		memset(a, 0x5a, sizeof(a));
		put32(a, 0, 0x00001234), put32(a, 4, seq);
		harness_feed(&h, &f, CLS_C2S, a, sizeof(a), 0, 0);
	}
	expect(&f, "esp", CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive", 3);
}

/* softether-udpaccel.pcap frame 21: 198.19.0.2:35791 -> 198.19.0.1:40000, 67 bytes (v2) */
static const uint8_t ua_c1[] = {
	0x00, 0x43, 0x56, 0x85, 0x92, 0x83, 0xc6, 0xca, 0xac, 0x91, 0xcd, 0xb3,
	0x86, 0xad, 0xc3, 0x9c, 0xcb, 0x1d, 0xd0, 0x30, 0x52, 0xa1, 0x9e, 0x91,
	0x65, 0xa0, 0x06, 0xd9, 0x42, 0xaa, 0xcb, 0x0b, 0x96, 0x9b, 0xba, 0x26,
	0xba, 0x3a, 0xad, 0x8c, 0xec, 0x55, 0x2b, 0x40, 0x77, 0x76, 0x91, 0xa9,
	0x39, 0x39, 0x6f, 0xc5, 0x65, 0x1f, 0x99, 0x54, 0x83, 0x00, 0x9d, 0x87,
	0xa3, 0xb3, 0x8e, 0xad, 0xa0, 0x5d, 0x0d,
};
/* frame 22: the server's first, 76 bytes */
static const uint8_t ua_s1[] = {
	0xbc, 0x50, 0x0b, 0xe1, 0x3b, 0x4c, 0x6a, 0xd3, 0xb3, 0x63, 0xf6, 0x8f,
	0x65, 0xb6, 0x2c, 0x31, 0xe5, 0x70, 0x69, 0x85, 0x9c, 0x77, 0x79, 0x46,
	0x4a, 0xa3, 0x4b, 0xcb, 0x20, 0x28, 0x36, 0xaf, 0x9a, 0xad, 0xdf, 0xc4,
	0x5f, 0xb9, 0xa7, 0xda, 0x39, 0x48, 0x19, 0x74, 0x4b, 0x1d, 0xe8, 0x24,
	0x86, 0xc1, 0x11, 0xbc, 0x45, 0xe7, 0x56, 0x47, 0x0d, 0xb2, 0xe9, 0x5e,
	0x62, 0x40, 0x0d, 0xdb, 0x3b, 0x32, 0xfa, 0x93, 0xff, 0xea, 0x51, 0xc3,
	0x59, 0x57, 0xb3, 0x21,
};
/* frame 33: the server's next: its bytes 0..11 are frame 22's 12..23 */
static const uint8_t ua_s2[] = {
	0x65, 0xb6, 0x2c, 0x31, 0xe5, 0x70, 0x69, 0x85, 0x9c, 0x77, 0x79, 0x46,
	0xf7, 0x24, 0x4c, 0xfb, 0x9b, 0x21, 0xd8, 0xbd, 0x30, 0x68, 0x31, 0x8e,
	0x1b, 0x30, 0x3b, 0x15, 0x7a, 0x14, 0xe3, 0xe4, 0x2d, 0x85, 0xc5, 0xf0,
	0xdc, 0x20, 0xcd, 0xc4, 0xc9, 0xb9, 0xd3, 0x23, 0x9d, 0x11, 0x86, 0x81,
	0x35, 0x20, 0x50, 0x97, 0x2f, 0x6d, 0x93, 0x7d, 0xd0, 0x33, 0x6d,
};
/* frame 34: the client's next: its bytes 0..11 are frame 21's 12..23 */
static const uint8_t ua_c2[] = {
	0x86, 0xad, 0xc3, 0x9c, 0xcb, 0x1d, 0xd0, 0x30, 0x52, 0xa1, 0x9e, 0x91,
	0xda, 0x1e, 0xe9, 0x49, 0x48, 0x9b, 0x49, 0x6e, 0x69, 0xe2, 0x18, 0xc3,
	0x0b, 0xa0, 0x01, 0x79, 0xa5, 0xc9, 0x65, 0x99, 0xa9, 0xd9, 0xe0, 0x38,
	0x2d, 0x0c, 0xa9, 0xba, 0xd4, 0x99, 0x8d, 0x10, 0x65, 0x10, 0x95, 0x38,
	0x98, 0xcd, 0xa5, 0x67, 0xcc, 0x4d, 0xa5, 0x6f, 0xc4, 0xac, 0xaf,
};

/* ------------------------------------------------- UDP acceleration */

#define UA_CP 35791
#define UA_SP 40000

/* A UDP flow: feeds a[0..k) in directions dirs[0..k). */
static struct flow_insp
ua_run(const uint8_t *const *a, const uint32_t *n, const uint8_t *dirs, unsigned int k)
{
	struct flow_insp f;

	harness_flow(&f, 17);
	for (unsigned int i = 0; i < k; i++)
		feed(&f, dirs[i], a[i], n[i], UA_CP, UA_SP);
	return f;
}

static struct flow_insp
ua2(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb, uint8_t dir)
{
	const uint8_t *p[2] = { a, b };
	uint32_t n[2] = { na, nb };
	uint8_t d[2] = { dir, dir };

	return ua_run(p, n, d, 2);
}

/* A random datagram of n bytes whose head is the prediction of prev (v2: its 12..23; v1: its last 20). */
static void
ua_next(uint8_t *b, uint32_t n, const uint8_t *prev, uint32_t nprev, int version)
{
	rndfill(b, 0, n);
	if (version == 2)
		memcpy(b, prev + 12, 12);
	else
		memcpy(b, prev + nprev - 20, 20);
}

static void
test_udp_accel_real(void)
{
	const uint8_t *p[4] = { ua_c1, ua_s1, ua_s2, ua_c2 };
	uint32_t n[4] = { sizeof(ua_c1), sizeof(ua_s1), sizeof(ua_s2), sizeof(ua_c2) };
	uint8_t d[4] = { CLS_C2S, CLS_S2C, CLS_S2C, CLS_C2S };
	struct flow_insp f;
	int id = classifier_id_by_name("softether");

	/* both sides: the server's datagrams are ignored until the client's next chains */
	f = ua_run(p, n, d, 4);
	expect(&f, "softether", CLS_LIKELY, "udp-accel-v2-one-dir-nonce-chain", 4);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "softether/-/udp-accel-v2-one-dir-nonce-chain/likely@pkt4");
	CHECK(classifier_ends_are_peers((unsigned int)id, f.check));
	f = ua_run(p, n, d, 3);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, id);
	/* the client's side alone, the server's side alone */
	f = ua2(ua_c1, sizeof(ua_c1), ua_c2, sizeof(ua_c2), CLS_C2S);
	expect(&f, "softether", CLS_LIKELY, "udp-accel-v2-one-dir-nonce-chain", 2);
	f = ua2(ua_s1, sizeof(ua_s1), ua_s2, sizeof(ua_s2), CLS_C2S);
	expect(&f, "softether", CLS_LIKELY, "udp-accel-v2-one-dir-nonce-chain", 2);
	/* out of order (the second first), or the two sides' datagrams crossed: not chained */
	f = ua2(ua_c2, sizeof(ua_c2), ua_c1, sizeof(ua_c1), CLS_C2S);
	expect_none(&f);
	f = ua2(ua_c1, sizeof(ua_c1), ua_s2, sizeof(ua_s2), CLS_C2S);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, 0);
	/* one changed byte of the chained nonce */
	{
		uint8_t c2[sizeof(ua_c2)];

		for (unsigned int i = 0; i < 12; i++) {
			memcpy(c2, ua_c2, sizeof(c2));
			c2[i] ^= 0x01;
			f = ua2(ua_c1, sizeof(ua_c1), c2, sizeof(c2), CLS_C2S);
			expect_none(&f);
		}
	}
	/* truncated: the first below 51 bytes is not taken */
	f = ua2(ua_c1, 50, ua_c2, sizeof(ua_c2), CLS_C2S);
	expect_none(&f);
}

static void
test_udp_accel_built(void)
{
	uint8_t a[1500], b[1500], c[1500];
	struct flow_insp f;
	const uint8_t *p[3] = { a, b, c };
	uint32_t n[3];
	uint8_t d[3] = { CLS_C2S, CLS_C2S, CLS_C2S };

	/* v2 at the size bounds: 51 and 1472 bytes; 1473 is not taken */
	for (uint32_t len = 51; len <= 1473; len += 1422) {
		rndfill(a, 0, len);
		ua_next(b, 60, a, len, 2);
		f = ua2(a, len, b, 60, CLS_C2S);
		if (len <= 1472)
			expect(&f, "softether", CLS_LIKELY, "udp-accel-v2-one-dir-nonce-chain", 2);
		else
			expect_none(&f);
	}
	f = ua2(a, 1472, b, 1473, CLS_C2S);
	expect_none(&f);
	/* v1: the next IV is the last 20 bytes; from 63 bytes, not below */
	rndfill(a, 0, 63);
	ua_next(b, 80, a, 63, 1);
	f = ua2(a, 63, b, 80, CLS_C2S);
	expect(&f, "softether", CLS_LIKELY, "udp-accel-v1-one-dir-iv-chain", 2);
	rndfill(a, 0, 62);
	ua_next(b, 80, a, 62, 1);
	f = ua2(a, 62, b, 80, CLS_C2S);
	expect_none(&f);
	/* a lost datagram breaks the chain: given up, and the next pair decides */
	rndfill(a, 0, 90);
	rndfill(b, 0, 90);
	ua_next(c, 90, b, 90, 2);
	n[0] = n[1] = n[2] = 90;
	f = ua_run(p, n, d, 2);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, 0);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, a, 90, UA_CP, UA_SP);
	feed(&f, CLS_C2S, c, 90, UA_CP, UA_SP); /* given up here, scanning again from the next */
	feed(&f, CLS_C2S, b, 90, UA_CP, UA_SP);
	feed(&f, CLS_C2S, c, 90, UA_CP, UA_SP);
	expect(&f, "softether", CLS_LIKELY, "udp-accel-v2-one-dir-nonce-chain", 4);
}

/* Repeating structure chains trivially and must not count: zero fill, one byte, periods, text, copies. */
static void
test_udp_accel_structured(void)
{
	static const char text[] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: x\r\n\r\n";
	uint8_t a[200];
	struct flow_insp f;

	for (unsigned int kind = 0; kind < 6; kind++) {
		harness_flow(&f, 17);
		for (unsigned int i = 0; i < 8; i++) {
			uint32_t len = 120;

			switch (kind) {
			case 0: memset(a, 0, len); break;
			case 1: memset(a, 0xff, len); break;
			case 2: for (uint32_t j = 0; j < len; j++) a[j] = (uint8_t)(j % 12 * 37); break;
			case 3: for (uint32_t j = 0; j < len; j++) a[j] = (uint8_t)(j % 4 * 91); break;
			case 4: len = sizeof(text) - 1; memcpy(a, text, len); break;
			default:
				/* identical random datagrams whose tail repeats their head (v1 shape) */
				if (i == 0)
					rndfill(a, 0, len), memcpy(a + len - 20, a, 20);
				break;
			}
			feed(&f, CLS_C2S, a, len, UA_CP, UA_SP);
		}
		expect_not(&f, "softether");
	}
}

static void
test_udp_accel_random(void)
{
	uint8_t a[1500];
	struct flow_insp f;
	unsigned int decided = 0;

	for (unsigned int i = 0; i < 3000; i++) {
		harness_flow(&f, 17);
		for (unsigned int k = 0; k < 8; k++) {
			uint32_t len = 40 + rnd8() * 5u;

			rndfill(a, 0, len);
			feed(&f, (rnd8() & 1) ? CLS_S2C : CLS_C2S, a, len, (uint16_t)(1024 + i), (uint16_t)(40000 + k));
		}
		decided += f.phase == FLOW_DECIDED;
	}
	CHECK_EQ(decided, 0);
}

/* ESP on 4500 and "IPsec over UDP" on 10000 are offered first and still decide. */
static void
test_udp_accel_no_stealing(void)
{
	uint8_t a[120], b[120];
	struct flow_insp f;

	harness_flow(&f, 17);
	for (uint32_t seq = 1; seq <= 3; seq++) {
		esp(a, 0x01020304, seq, 100);
		feed(&f, CLS_C2S, a, 108, 4500, 4500);
	}
	expect_not(&f, "softether");
	CHECK_EQ(f.phase, FLOW_DECIDED);
	harness_flow(&f, 17);
	for (uint32_t seq = 1; seq <= 2; seq++) {
		esp(a, 0x01020304, seq, 100);
		esp(b, 0x0a0b0c0d, seq, 100);
		feed(&f, CLS_C2S, a, 108, 40001, 10000);
		feed(&f, CLS_S2C, b, 108, 40001, 10000);
	}
	expect(&f, "cisco-ipsec", CLS_CONFIRMED, "udp10000-esp-both-dirs-own-spi-seq-consecutive", 4);
	expect_wireguard_openvpn_decide(UA_SP);
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
	test_sha1();
	test_icmp_real();
	test_icmp_malformed();
	test_icmp_boundaries();
	test_icmp_ordinary();
	test_icmp_no_stealing();
	test_udp_accel_real();
	test_udp_accel_built();
	test_udp_accel_structured();
	test_udp_accel_random();
	test_udp_accel_no_stealing();
	harness_free(&h);
	CHECK_DONE();
}
