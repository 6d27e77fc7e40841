/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlay-VPN classifiers (tinc, zerotier, tailscale, cisco-ipsec)
 * driven through the engine's real classification stage (cls_harness.h):
 * exchanges built byte by byte from the formats must decide with the
 * designed app, result, check and packet number; every truncation of them,
 * malformed and inconsistent variants and random payloads on the usual
 * ports must decide nothing; and WireGuard/OpenVPN/IKE handshakes on those
 * ports must still decide as before (no stealing).
 */
#define CLS_TEST_SEED 0x13198a2e03707344ull
#include "cls_builders.h"

#define WIN_PKTS 8
#define WIN_BYTES 65536

static char reason[200];

/* --------------------------------------------------------------- tinc */

/* The server's first segment as tinc 1.0.36 sends it (tinc.pcap). */
static uint32_t
tinc_server_10(uint8_t *b, const char *id)
{
	uint32_t o = puts_(b, 0, id);

	o = puts_(b, o, "1 429 672 0 0 ");
	for (int i = 0; i < 512; i++)
		b[o++] = "0123456789ABCDEF"[rnd8() & 15];
	b[o++] = '\n';
	return o;
}

static void
test_tinc(void)
{
	uint8_t a[1200], b[1200];
	uint32_t na, nb;
	struct flow_insp f;

	/* tinc 1.0: "0 cli 17\n" -> "0 srv 17\n1 ...". */
	tcp_open(&f, 57891, 655);
	na = puts_(a, 0, "0 cli 17\n");
	nb = tinc_server_10(b, "0 srv 17\n");
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 57891, 655), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("tinc"));
	feed(&f, CLS_S2C, NULL, 0, 57891, 655); /* ACK */
	feed(&f, CLS_S2C, b, nb, 57891, 655);
	expect(&f, "tinc", CLS_CONFIRMED, "id-request-both-sides-protocol-17", 6);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "tinc/tinc-id-request/id-request-both-sides-protocol-17/confirmed@pkt6");

	/* tinc 1.1: "0 node_a 17.7\n" both ways, any port. */
	tcp_open(&f, 40000, 8655);
	na = puts_(a, 0, "0 node_A1 17.7\n");
	nb = puts_(b, 0, "0 Node_b 17.7\n");
	feed(&f, CLS_C2S, a, na, 40000, 8655);
	feed(&f, CLS_S2C, b, nb, 40000, 8655);
	expect(&f, "tinc", CLS_CONFIRMED, "id-request-both-sides-protocol-17", 5);

	/* A 1.0 node answering a 1.1 node; a client segment resent in between. */
	tcp_open(&f, 40000, 655);
	na = puts_(a, 0, "0 alpha 17.7\n");
	feed(&f, CLS_C2S, a, na, 40000, 655);
	feed(&f, CLS_C2S, a, na, 40000, 655);
	nb = puts_(b, 0, "0 beta 17\n");
	feed(&f, CLS_S2C, b, nb, 40000, 655);
	expect(&f, "tinc", CLS_CONFIRMED, "id-request-both-sides-protocol-17", 6);

	/* One side only: never decided. */
	tcp_open(&f, 40000, 655);
	na = puts_(a, 0, "0 cli 17\n");
	feed(&f, CLS_C2S, a, na, 40000, 655);
	for (int i = 0; i < 6; i++)
		feed(&f, CLS_C2S, a, na, 40000, 655);
	expect_none(&f);

	/* Every truncation of either ID line: not decided on it (the server's METAKEY decides alone). */
	na = puts_(a, 0, "0 cli 17\n");
	nb = tinc_server_10(b, "0 srv 17.7\n");
	for (uint32_t cut = 1; cut < na; cut++) {
		tcp_open(&f, 40000, 655);
		feed(&f, CLS_C2S, a, cut, 40000, 655);
		feed(&f, CLS_S2C, b, nb, 40000, 655);
		expect(&f, "tinc", CLS_LIKELY, "id-request+metakey-one-dir", 5);
	}
	for (uint32_t cut = 1; cut < 11; cut++) {
		tcp_open(&f, 40000, 655);
		feed(&f, CLS_C2S, a, na, 40000, 655);
		feed(&f, CLS_S2C, b, cut, 40000, 655);
		expect_none(&f);
	}

	/* Malformed lines: other version, bad name, control / invitation lines. */
	static const char *const bad[] = {
		"0 cli 16\n", "0 cli 18\n", "0 cli 170\n", "0 cli 17.\n", "0 cli 17.1234\n",
		"0  17\n", "0 c-li 17\n", "0 ^abcdef 0\n", "0 ?invite 17.7\n", "1 cli 17\n",
		"0 cli 17\r\n", "0 cli 17 \n", "00 cli 17\n",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tcp_open(&f, 40000, 655);
		na = puts_(a, 0, bad[i]);
		nb = puts_(b, 0, "0 srv 17\n");
		feed(&f, CLS_C2S, a, na, 40000, 655);
		feed(&f, CLS_S2C, b, na, 40000, 655); /* the bad line back */
		expect_none(&f);
		tcp_open(&f, 40000, 655);
		feed(&f, CLS_C2S, b, nb, 40000, 655); /* good, then the bad answer */
		feed(&f, CLS_S2C, a, na, 40000, 655);
		expect_none(&f);
	}

	/* The answer must open the other direction's stream. */
	tcp_open(&f, 40000, 655);
	na = puts_(a, 0, "0 cli 17\n");
	feed(&f, CLS_C2S, a, na, 40000, 655);
	nb = puts_(b, 0, "HELLO\n");
	feed(&f, CLS_S2C, b, nb, 40000, 655);
	nb = puts_(b, 0, "0 srv 17\n");
	feed(&f, CLS_S2C, b, nb, 40000, 655);
	expect_none(&f);

	/* tinc on UDP (encrypted data packets): not classified. */
	harness_flow(&f, 17);
	for (int i = 0; i < 2 * WIN_PKTS; i++) {
		na = rndfill(a, 0, i & 1 ? 980 : 100);
		feed(&f, (uint8_t)(i & 1), a, na, 655, 655);
	}
	expect_none(&f);
	/* Even a UDP datagram holding an ID line. */
	harness_flow(&f, 17);
	na = puts_(a, 0, "0 cli 17\n");
	feed(&f, CLS_C2S, a, na, 655, 655);
	nb = puts_(b, 0, "0 srv 17\n");
	feed(&f, CLS_S2C, b, nb, 655, 655);
	expect_none(&f);
}

/* One side alone: its ID line and its METAKEY line (tinc 1.0). */
static void
test_tinc_one_dir(void)
{
	uint8_t a[1200], b[1200];
	uint32_t na, nb;
	struct flow_insp f;

	/* the server's side: its SYN-ACK, then ID + METAKEY in one segment */
	harness_flow(&f, 6);
	feed(&f, CLS_C2S, NULL, 0, 655, 57891);
	nb = tinc_server_10(b, "0 srv 17\n");
	feed(&f, CLS_C2S, b, nb, 655, 57891);
	expect(&f, "tinc", CLS_LIKELY, "id-request+metakey-one-dir", 2);
	CHECK(classifier_ends_are_peers((unsigned int)classifier_id_by_name("tinc"), f.check));
	/* the client's side: its ID, then its METAKEY at the next stream offset */
	tcp_open(&f, 57891, 7655);
	na = puts_(a, 0, "0 cli 17\n");
	feed(&f, CLS_C2S, a, na, 57891, 7655);
	nb = tinc_server_10(b, "");
	feed(&f, CLS_C2S, b, nb, 57891, 7655);
	expect(&f, "tinc", CLS_LIKELY, "id-request+metakey-one-dir", 5);
	/* the key going on past the segment: 256 hex digits are enough, 255 are not */
	for (uint32_t digits = 255; digits <= 256; digits++) {
		harness_flow(&f, 6);
		nb = tinc_server_10(b, "0 srv 17\n");
		feed(&f, CLS_C2S, b, 9 + 14 + digits, 655, 57891);
		if (digits == 256)
			expect(&f, "tinc", CLS_LIKELY, "id-request+metakey-one-dir", 1);
		else
			expect_none(&f);
	}
	/* malformed METAKEY lines: never decided from one side */
	static const char *const bad[] = {
		"1 429 672 0 ", "1 429 672 0 0 0 ", "2 429 672 0 0 ", "1 429 672 0 0  ", "1 4290000 672 0 0 ",
		"1 429 672 0 0 abcdef", "1  429 672 0 0 ",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t o = puts_(b, 0, "0 srv 17\n");

		o = puts_(b, o, bad[i]);
		for (int k = 0; k < 300; k++)
			b[o++] = "0123456789ABCDEF"[rnd8() & 15];
		b[o++] = '\n';
		harness_flow(&f, 6);
		feed(&f, CLS_C2S, b, o, 655, 57891);
		expect_none(&f);
	}
	/* lower-case hex, or a short key ended by its '\n' */
	{
		uint32_t o = puts_(b, 0, "0 srv 17\n1 429 672 0 0 ");

		for (int k = 0; k < 300; k++)
			b[o++] = "0123456789abcdef"[rnd8() & 15];
		b[o++] = '\n';
		harness_flow(&f, 6);
		feed(&f, CLS_C2S, b, o, 655, 57891);
		expect_none(&f);
		o = puts_(b, 0, "0 srv 17\n1 429 672 0 0 ");
		for (int k = 0; k < 200; k++)
			b[o++] = "0123456789ABCDEF"[rnd8() & 15];
		b[o++] = '\n';
		harness_flow(&f, 6);
		feed(&f, CLS_C2S, b, o, 655, 57891);
		expect_none(&f);
	}
	/* the METAKEY not right after the ID line (a resend in between): not decided */
	tcp_open(&f, 57891, 655);
	na = puts_(a, 0, "0 cli 17\n");
	feed(&f, CLS_C2S, a, na, 57891, 655);
	feed(&f, CLS_C2S, a, na, 57891, 655);
	nb = tinc_server_10(b, "");
	feed(&f, CLS_C2S, b, nb, 57891, 655);
	expect_none(&f);
}

/* ----------------------------------------------------------- zerotier */

#define ZT_A 0x89e92ceee5ull   /* a node */
#define ZT_ROOT 0x778cde7190ull /* a root */

static uint32_t
zt_header(uint8_t *b, uint64_t dest, uint64_t src, uint8_t flags, uint8_t verb)
{
	uint32_t o = rndfill(b, 0, 8); /* packet id */

	for (int i = 4; i >= 0; i--)
		b[o++] = (uint8_t)(dest >> (8 * i));
	for (int i = 4; i >= 0; i--)
		b[o++] = (uint8_t)(src >> (8 * i));
	b[o++] = flags;
	o = rndfill(b, o, 8); /* MAC */
	b[o++] = verb;
	return o;
}

/* HELLO: proto 11, 1.14.2, now, identity of src, IPv4 destination, world. */
static uint32_t
zt_hello(uint8_t *b, uint64_t dest, uint64_t src)
{
	uint32_t o = zt_header(b, dest, src, 0x00, 0x01);

	b[o++] = 11;
	b[o++] = 1;
	b[o++] = 14;
	o = put16(b, o, 2);
	o = put64(b, o, 1732550400123ull);
	for (int i = 4; i >= 0; i--)
		b[o++] = (uint8_t)(src >> (8 * i));
	b[o++] = 0;                /* identity type C25519 */
	o = rndfill(b, o, 64);     /* public key */
	b[o++] = 0;                /* no private key */
	b[o++] = 4;                /* destination: IPv4 + port */
	o = put32(b, o, 0xc6120001);
	o = put16(b, o, 9993);
	o = put64(b, o, 149604618ull); /* world id */
	o = put64(b, o, 1567191349589ull);
	return rndfill(b, o, 40);  /* (encrypted) dictionary */
}

/* An encrypted packet: cipher 1 (0x88 with the legacy flag) or 3 (0x18). */
static uint32_t
zt_encrypted(uint8_t *b, uint64_t dest, uint64_t src, uint8_t flags, uint32_t body)
{
	uint32_t o = zt_header(b, dest, src, flags, rnd8());

	return rndfill(b, o, body);
}

static void
test_zerotier(void)
{
	uint8_t a[400], b[400];
	uint32_t na, nb;
	struct flow_insp f;

	/* HELLO -> OK(HELLO) encrypted with Salsa20/12. */
	harness_flow(&f, 17);
	na = zt_hello(a, ZT_ROOT, ZT_A);
	nb = zt_encrypted(b, ZT_A, ZT_ROOT, 0x88, 40);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 9993, 9993), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("zerotier"));
	feed(&f, CLS_S2C, b, nb, 9993, 9993);
	expect(&f, "zerotier", CLS_CONFIRMED, "hello+encrypted-reply-addresses-swapped", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "zerotier/zerotier-hello/hello+encrypted-reply-addresses-swapped/confirmed@pkt2");

	/* AES-GMAC-SIV reply, HELLO retransmitted first, any port, relayed (hops 1). */
	harness_flow(&f, 17);
	na = zt_hello(a, ZT_ROOT, ZT_A);
	a[18] = 0x01;
	nb = zt_encrypted(b, ZT_A, ZT_ROOT, 0x18, 60);
	feed(&f, CLS_C2S, a, na, 45000, 21000);
	feed(&f, CLS_C2S, a, na, 45000, 21000);
	feed(&f, CLS_S2C, b, nb, 45000, 21000);
	expect(&f, "zerotier", CLS_CONFIRMED, "hello+encrypted-reply-addresses-swapped", 3);

	/* Two peers greeting each other. */
	harness_flow(&f, 17);
	na = zt_hello(a, ZT_ROOT, ZT_A);
	nb = zt_hello(b, ZT_A, ZT_ROOT);
	feed(&f, CLS_C2S, a, na, 9993, 9993);
	feed(&f, CLS_S2C, b, nb, 9993, 9993);
	expect(&f, "zerotier", CLS_CONFIRMED, "hello-both-dirs-addresses-swapped", 2);

	/* Every truncation of the HELLO: never decided. */
	na = zt_hello(a, ZT_ROOT, ZT_A);
	nb = zt_encrypted(b, ZT_A, ZT_ROOT, 0x88, 40);
	for (uint32_t cut = 1; cut < 113; cut++) {
		harness_flow(&f, 17);
		feed(&f, CLS_C2S, a, cut, 9993, 9993);
		feed(&f, CLS_S2C, b, nb, 9993, 9993);
		expect_none(&f);
	}
	/* Every truncation of the reply below an OK(HELLO): never decided. */
	for (uint32_t cut = 1; cut < 51; cut++) {
		harness_flow(&f, 17);
		feed(&f, CLS_C2S, a, na, 9993, 9993);
		feed(&f, CLS_S2C, b, cut, 9993, 9993);
		expect_none(&f);
	}

	/* The reply must swap the addresses and be encrypted. */
	harness_flow(&f, 17);
	nb = zt_encrypted(b, ZT_A, ZT_ROOT ^ 1, 0x88, 40);
	feed(&f, CLS_C2S, a, na, 9993, 9993);
	feed(&f, CLS_S2C, b, nb, 9993, 9993);
	expect_none(&f);
	harness_flow(&f, 17);
	nb = zt_encrypted(b, ZT_ROOT, ZT_A, 0x88, 40); /* not swapped */
	feed(&f, CLS_C2S, a, na, 9993, 9993);
	feed(&f, CLS_S2C, b, nb, 9993, 9993);
	expect_none(&f);
	harness_flow(&f, 17);
	nb = zt_encrypted(b, ZT_A, ZT_ROOT, 0x00, 40); /* cipher 0, not a HELLO */
	feed(&f, CLS_C2S, a, na, 9993, 9993);
	feed(&f, CLS_S2C, b, nb, 9993, 9993);
	expect_none(&f);

	/* HELLO variants that are not HELLOs. */
	for (int v = 0; v < 10; v++) {
		harness_flow(&f, 17);
		na = zt_hello(a, ZT_ROOT, ZT_A);
		switch (v) {
		case 0: a[41] ^= 1; break;              /* identity != source */
		case 1: a[46] = 1; break;               /* identity type */
		case 2: a[111] = 64; break;             /* private key included */
		case 3: a[112] = 5; break;              /* destination type */
		case 4: a[28] = 3; break;               /* protocol version */
		case 5: a[29] = 0; break;               /* major version */
		case 6: put64(a, 33, 12345); break;     /* timestamp */
		case 7: a[18] = 0x88; break;            /* encrypted */
		case 8: a[13] = 0xff; break;            /* reserved prefix (fragment) */
		default: memset(a + 8, 0, 5); break;    /* zero destination */
		}
		nb = zt_encrypted(b, ZT_A, ZT_ROOT, 0x88, 40);
		feed(&f, CLS_C2S, a, na, 9993, 9993);
		feed(&f, CLS_S2C, b, nb, 9993, 9993);
		expect_none(&f);
	}

	/* One side only, many HELLOs: never decided. */
	harness_flow(&f, 17);
	na = zt_hello(a, ZT_ROOT, ZT_A);
	for (int i = 0; i < 8; i++)
		feed(&f, CLS_C2S, a, na, 9993, 9993);
	expect_none(&f);
}

/* ---------------------------------------------------------- tailscale */

static uint32_t
disco(uint8_t *b, uint32_t box)
{
	uint32_t o = puts_(b, 0, "TS\xf0\x9f\x92\xac");

	o = rndfill(b, o, 32 + 24);
	return rndfill(b, o, box);
}

/* A TLS 1.3-style ClientHello with an SNI. */
static uint32_t
client_hello(uint8_t *b, const char *sni)
{
	uint32_t o = 0, hs, ext, n = (uint32_t)strlen(sni);

	b[o++] = 0x16, b[o++] = 0x03, b[o++] = 0x01;
	o += 2; /* record length */
	hs = o;
	b[o++] = 0x01;
	o += 3; /* handshake length */
	b[o++] = 0x03, b[o++] = 0x03;
	o = rndfill(b, o, 32);
	b[o++] = 32;
	o = rndfill(b, o, 32);
	o = put16(b, o, 6);
	o = put16(b, o, 0x1301), o = put16(b, o, 0x1302), o = put16(b, o, 0x1303);
	b[o++] = 1, b[o++] = 0;
	ext = o;
	o += 2;
	o = put16(b, o, 0x0000);        /* server_name */
	o = put16(b, o, (uint16_t)(n + 5));
	o = put16(b, o, (uint16_t)(n + 3));
	b[o++] = 0;
	o = put16(b, o, (uint16_t)n);
	o = puts_(b, o, sni);
	o = put16(b, o, 0x002b);        /* supported_versions */
	o = put16(b, o, 3);
	b[o++] = 2;
	o = put16(b, o, 0x0304);
	put16(b, ext, (uint16_t)(o - ext - 2));
	put16(b, 3, (uint16_t)(o - hs));
	b[hs + 1] = 0;
	put16(b, hs + 2, (uint16_t)(o - hs - 4));
	return o;
}

static void
test_tailscale(void)
{
	uint8_t a[600];
	uint32_t na;
	struct flow_insp f;
	const struct classifier *ts = tundra_classifiers[classifier_id_by_name("tailscale") - 1];
	struct cls_state st;
	struct cls_pkt pkt;
	bool ts_first = tundra_classifiers[classifier_id_by_name("tailscale") - 1]->priority <
			tundra_classifiers[classifier_id_by_name("fortinet") - 1]->priority;

	/* disco ping (with node key) and pong sizes. */
	for (uint32_t box = 18 + 12; box <= 18 + 12 + 32; box += 32) {
		harness_flow(&f, 17);
		na = disco(a, 16 + box);
		feed(&f, CLS_C2S, a, na, 41641, 41641);
		expect(&f, "tailscale", CLS_LIKELY, "disco-magic+sender-key+nonce+box-length", 1);
	}
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "tailscale/tailscale-disco/disco-magic+sender-key+nonce+box-length/likely@pkt1");

	/* Every length below the smallest box: never decided; from 80 up: decided. */
	na = disco(a, 48);
	for (uint32_t cut = 1; cut <= na; cut++) {
		harness_flow(&f, 17);
		for (int k = 0; k < 3; k++)
			feed(&f, (uint8_t)(k & 1), a, cut, 41641, 41641);
		if (cut < 80)
			expect_none(&f);
		else
			expect(&f, "tailscale", CLS_LIKELY, "disco-magic+sender-key+nonce+box-length", 1);
	}
	/* Zero sender key; magic off by one byte. */
	harness_flow(&f, 17);
	na = disco(a, 48);
	memset(a + 6, 0, 32);
	feed(&f, CLS_C2S, a, na, 41641, 41641);
	expect_none(&f);
	harness_flow(&f, 17);
	na = disco(a, 48);
	a[5] ^= 1;
	feed(&f, CLS_C2S, a, na, 41641, 41641);
	expect_none(&f);

	/* WireGuard then disco on the same 5-tuple: WireGuard keeps its flow. */
	harness_flow(&f, 17);
	memset(a, 0x5a, 148);
	a[0] = 1, a[1] = a[2] = a[3] = 0;
	feed(&f, CLS_C2S, a, 148, 41641, 41641);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("wireguard"));

	/* DERP upgrade over plain HTTP. */
	static const char derp[] = "GET /derp HTTP/1.1\r\nHost: derp.example.net\r\n"
				   "Connection: Upgrade\r\nUpgrade: DERP\r\nDerp-Fast-Start: 1\r\n\r\n";
	tcp_open(&f, 50000, 80);
	feed(&f, CLS_C2S, (const uint8_t *)derp, sizeof(derp) - 1, 50000, 80);
	expect(&f, "tailscale", CLS_LIKELY, "cleartext-get-derp-upgrade-derp", 4);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "tailscale/tailscale-derp-upgrade-cleartext/cleartext-get-derp-upgrade-derp/likely@pkt4");

	/* ts2021 control upgrade over plain HTTP (port 80 race). */
	static const char ts2021[] = "POST /ts2021 HTTP/1.1\r\nHost: controlplane.tailscale.com\r\n"
				     "Upgrade: tailscale-control-protocol\r\nConnection: upgrade\r\n"
				     "X-Tailscale-Handshake: AAEAAAAAAA==\r\n\r\n";
	tcp_open(&f, 50000, 80);
	feed(&f, CLS_C2S, (const uint8_t *)ts2021, sizeof(ts2021) - 1, 50000, 80);
	expect(&f, "tailscale", CLS_LIKELY, "cleartext-post-ts2021-upgrade-tailscale-control-protocol", 4);

	/* Every truncation of both requests: never decided. */
	for (uint32_t cut = 1; cut < sizeof(derp) - 1; cut++) {
		if (cut >= (uint32_t)(strstr(derp, "Upgrade: DERP\r\n") - derp) + 15)
			break;
		tcp_open(&f, 50000, 80);
		feed(&f, CLS_C2S, (const uint8_t *)derp, cut, 50000, 80);
		expect_none(&f);
	}
	for (uint32_t cut = 1; cut < (uint32_t)(strstr(ts2021, "Connection: upgrade") - ts2021); cut++) {
		tcp_open(&f, 50000, 80);
		feed(&f, CLS_C2S, (const uint8_t *)ts2021, cut, 50000, 80);
		expect_none(&f);
	}

	/* Ordinary requests: /derp without the upgrade, websocket, other paths. */
	static const char *const http_neg[] = {
		"GET /derp HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /derp HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		"GET /derp/probe HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /derpy HTTP/1.1\r\nUpgrade: DERP\r\n\r\n",
		"POST /ts2021 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"GET /ts2021 HTTP/1.1\r\nUpgrade: tailscale-control-protocol\r\n\r\n",
		"GET /derp HTTP/2.0\r\nUpgrade: DERP\r\n\r\n",
	};
	for (unsigned int i = 0; i < sizeof(http_neg) / sizeof(http_neg[0]); i++) {
		tcp_open(&f, 50000, 80);
		feed(&f, CLS_C2S, (const uint8_t *)http_neg[i], (uint32_t)strlen(http_neg[i]), 50000, 80);
		expect_none(&f);
	}
	/* The request later in the stream (not at offset 0): not claimed. */
	tcp_open(&f, 50000, 80);
	feed(&f, CLS_C2S, (const uint8_t *)"x", 1, 50000, 80);
	feed(&f, CLS_C2S, (const uint8_t *)derp, sizeof(derp) - 1, 50000, 80);
	expect_none(&f);

	/* SNI: the validator itself decides on Tailscale's hosts only. */
	static const struct {
		const char *sni, *check;
	} snis[] = {
		{ "derp1f.tailscale.com", "tls-sni-derp-tailscale-com" },
		{ "derp10-all.tailscale.com", "tls-sni-derp-tailscale-com" },
		{ "controlplane.tailscale.com", "tls-sni-controlplane-tailscale-com" },
		{ "login.tailscale.com", NULL },
		{ "tailscale.com", NULL },
		{ "derp.tailscale.com.evil.example", NULL },
		{ "derp1.sub.tailscale.com", NULL },
		{ "www.example.com", NULL },
	};
	for (unsigned int i = 0; i < sizeof(snis) / sizeof(snis[0]); i++) {
		struct cls_verdict v;

		na = client_hello(a, snis[i].sni);
		memset(&st, 0, sizeof(st));
		memset(&pkt, 0, sizeof(pkt));
		pkt.payload = a, pkt.len = na, pkt.l4 = CLS_TCP, pkt.dir = CLS_C2S, pkt.pkt_no = 4;
		pkt.src_port = 50000, pkt.dst_port = 443, pkt.ip_proto = 6;
		v = ts->first(&pkt, st.data);
		if (snis[i].check) {
			CHECK_EQ(v.result, CLS_LIKELY);
			CHECK_STR(v.check, snis[i].check);
		} else {
			CHECK_EQ(v.result, CLS_NO);
		}
		/* Through the engine: decided only when listed before fortinet. */
		tcp_open(&f, 50000, 443);
		feed(&f, CLS_C2S, a, na, 50000, 443);
		if (snis[i].check && ts_first)
			expect(&f, "tailscale", CLS_LIKELY, snis[i].check, 4);
		else
			expect_not(&f, "tailscale");
		/* Truncated ClientHellos never decide as tailscale. */
		for (uint32_t cut = 1; cut < na; cut += 7) {
			tcp_open(&f, 50000, 443);
			feed(&f, CLS_C2S, a, cut, 50000, 443);
			if (cut < 50)
				expect_not(&f, "tailscale");
		}
	}
}

/* -------------------------------------------------------- cisco-ipsec */

static void
test_cisco(void)
{
	uint8_t a[300];
	uint32_t n;
	struct flow_insp f;

	/* Both directions on UDP 10000. */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xc0ffee01, s, 88);
		CHECK_EQ(feed(&f, CLS_C2S, a, n, 10000, 10000), FLOW_INSPECTING);
		n = esp(a, 0x0badf00d, s, 88);
		feed(&f, CLS_S2C, a, n, 10000, 10000);
	}
	expect(&f, "cisco-ipsec", CLS_CONFIRMED, "udp10000-esp-both-dirs-own-spi-seq-consecutive", 4);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "cisco-ipsec/-/udp10000-esp-both-dirs-own-spi-seq-consecutive/confirmed@pkt4");

	/* Client from an ephemeral port, mid-SA, a burst one way first. */
	harness_flow(&f, 17);
	for (uint32_t s = 900; s < 903; s++) {
		n = esp(a, 0x12345678, s, 60);
		feed(&f, CLS_C2S, a, n, 61000, 10000);
	}
	CHECK_EQ(f.phase, FLOW_INSPECTING);
	for (uint32_t s = 40; s < 42; s++) {
		n = esp(a, 0x87654321, s, 60);
		feed(&f, CLS_S2C, a, n, 61000, 10000);
	}
	expect(&f, "cisco-ipsec", CLS_CONFIRMED, "udp10000-esp-both-dirs-own-spi-seq-consecutive", 5);

	/* One direction only: never decided (the port is the only Cisco part). */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 8; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 10000, 10000);
	}
	expect_none(&f);

	/* Same SPI both ways, a gap, a changed SPI, a small SPI, seq 0. */
	for (int v = 0; v < 5; v++) {
		harness_flow(&f, 17);
		for (uint32_t s = 1; s <= 3; s++) {
			uint32_t spi_c = v == 3 ? 200 : 0xc0ffee01, spi_s = v == 0 ? spi_c : 0x0badf00d;
			uint32_t seq = v == 4 ? 0 : v == 1 ? 2 * s : s;

			if (v == 2 && s == 2)
				spi_s ^= 0x100;
			n = esp(a, spi_c, seq, 60);
			feed(&f, CLS_C2S, a, n, 10000, 10000);
			n = esp(a, spi_s, seq, 60);
			feed(&f, CLS_S2C, a, n, 10000, 10000);
		}
		expect_none(&f);
	}

	/* Every truncation below an ESP packet's minimum: never decided. */
	for (uint32_t cut = 1; cut < 24; cut++) {
		harness_flow(&f, 17);
		for (uint32_t s = 1; s <= 3; s++) {
			esp(a, 0xc0ffee01, s, 60);
			feed(&f, CLS_C2S, a, cut, 10000, 10000);
			esp(a, 0x0badf00d, s, 60);
			feed(&f, CLS_S2C, a, cut, 10000, 10000);
		}
		expect_none(&f);
	}

	/* The same stream on another port: not cisco-ipsec; on 4500: esp's. */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 3; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 40000, 10001);
		n = esp(a, 0x0badf00d, s, 60);
		feed(&f, CLS_S2C, a, n, 40000, 10001);
	}
	expect_none(&f);
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 4500, 4500);
		n = esp(a, 0x0badf00d, s, 60);
		feed(&f, CLS_S2C, a, n, 4500, 4500);
	}
	expect(&f, "esp", CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive", 4);

	/* TCP 10000 (cTCP) is not claimed. */
	tcp_open(&f, 40000, 10000);
	for (uint32_t s = 1; s <= 3; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 40000, 10000);
		n = esp(a, 0x0badf00d, s, 60);
		feed(&f, CLS_S2C, a, n, 40000, 10000);
	}
	expect_none(&f);
}

/* ------------------------------------------------------------- random */

static const char *const mine[] = { "tinc", "zerotier", "tailscale", "cisco-ipsec" };

static void
test_random(void)
{
	static const uint16_t ports[] = { 655, 9993, 41641, 10000, 443, 80 };
	static const uint8_t protos[] = { 17, 6 };
	uint8_t a[1500];
	struct flow_insp f;
	int decided = 0;

	/* 1000 random flows per transport and port, random lengths. */
	for (unsigned int pi = 0; pi < sizeof(protos); pi++) {
		for (unsigned int po = 0; po < sizeof(ports) / sizeof(ports[0]); po++) {
			for (int round = 0; round < 1000; round++) {
				uint32_t len = 1 + (uint32_t)(rnd8() << 2 | (rnd8() & 3)) % 1400;

				harness_flow(&f, protos[pi]);
				for (int k = 0; k < 2 * WIN_PKTS; k++) {
					rndfill(a, 0, len);
					feed(&f, (uint8_t)(k & 1), a, len, 50000, ports[po]);
				}
				if (f.phase == FLOW_DECIDED) {
					decided++;
					fprintf(stderr, "random proto %u port %u len %u: %s (%s)\n", protos[pi],
						ports[po], len, harness_app(&f), f.check);
				}
			}
		}
	}
	CHECK_EQ(decided, 0);

	/* Random bytes behind each pattern's fixed prefix. */
	for (int round = 0; round < 4000; round++) {
		unsigned int kind = (unsigned int)round % 5;
		uint32_t len = 20 + (uint32_t)rnd8() * 2;
		uint8_t proto = kind <= 1 || kind == 4 ? 6 : 17;

		if (proto == 6)
			tcp_open(&f, 50000, ports[kind]);
		else
			harness_flow(&f, 17);
		for (int k = 0; k < 2 * WIN_PKTS; k++) {
			rndfill(a, 0, len);
			switch (kind) {
			case 0: /* tinc: the ID line's prefix, anything but its '\n' */
				memcpy(a, "0 cli 17", 8);
				a[8] = (uint8_t)(rnd8() | 0x80);
				break;
			case 1: memcpy(a, "GET /derp ", 10); break;
			case 2: a[18] = rnd8() & 0x47; a[27] = 1; break;          /* zerotier */
			case 3: put32(a, 0, 0xfe577e2b); break;                   /* nDPI's "cisco" */
			default: memcpy(a, "POST /ts2021 ", 13); break;
			}
			feed(&f, (uint8_t)(k & 1), a, len, 50000, kind == 3 ? 10000 : ports[kind]);
		}
		for (unsigned int m = 0; m < 4; m++)
			if (f.phase == FLOW_DECIDED && strcmp(harness_app(&f), mine[m]) == 0) {
				decided++;
				fprintf(stderr, "prefix kind %u: %s (%s)\n", kind, harness_app(&f), f.check);
			}
	}
	CHECK_EQ(decided, 0);
}

/* ---------------------------------------------------------------- others still win */

/* IKEv2 IKE_SA_INIT (SA, KE, Nonce) with the given SPIs and flags. */
static uint32_t
ike_sa_init(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t flags)
{
	uint32_t o = put64(b, 0, ispi);
	static const uint8_t chain[][2] = { { 34, 44 }, { 40, 136 }, { 0, 32 } };

	o = put64(b, o, rspi);
	b[o++] = 33, b[o++] = 0x20, b[o++] = 34, b[o++] = flags;
	o = put32(b, o, 0);
	o = put32(b, o, 0);
	for (int i = 0; i < 3; i++) {
		b[o++] = chain[i][0], b[o++] = 0;
		o = put16(b, o, (uint16_t)(4 + chain[i][1]));
		memset(b + o, 0x11 * (i + 1), chain[i][1]);
		o += chain[i][1];
	}
	put32(b, 24, o);
	return o;
}

static void
test_others(void)
{
	static const uint16_t ports[] = { 655, 9993, 41641, 10000 };
	uint8_t a[400], b[400];
	uint32_t na, nb;
	struct flow_insp f;

	for (unsigned int i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		expect_wireguard_openvpn_decide(ports[i]);

		harness_flow(&f, 17);
		na = ike_sa_init(a, 0x0123456789abcdefull, 0, 0x08);
		nb = ike_sa_init(b, 0x0123456789abcdefull, 0xfedcba9876543210ull, 0x20);
		feed(&f, CLS_C2S, a, na, 40000, ports[i]);
		feed(&f, CLS_S2C, b, nb, 40000, ports[i]);
		expect(&f, "ike", CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", 2);
	}
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	for (unsigned int m = 0; m < 4; m++)
		CHECK(classifier_id_by_name(mine[m]) > 0);
	test_tinc();
	test_tinc_one_dir();
	test_zerotier();
	test_tailscale();
	test_cisco();
	test_random();
	test_others();
	harness_free(&h);
	CHECK_DONE();
}
