/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard seen from one side only (an asymmetric route, a tap on one
 * direction), driven through the engine's real classification stage
 * (cls_harness.h). Each one-direction
 * path must decide with its check, at its packet, naming the right side as
 * server; every truncation, every near miss (one field off) and thousands
 * of random one-direction flows on the protocols' ports must decide nothing.
 */
#define CLS_TEST_SEED 0x9e3779b97f4a7c15ull
#include "cls_builders.h"

#define WIN_PKTS 8
#define WIN_BYTES 4096
#define CP 40000          /* the client's port */
#define MAXP 1600

/* ---------------------------------------------------------------- flows */

/* A flow as the packets of one side: sent first (CLS_C2S) from port src to port dst. */
struct side {
	unsigned int n;
	uint32_t len[16];
	uint8_t buf[16][MAXP];
};

static void side_add(struct side *s, const uint8_t *p, uint32_t n)
{
	if (s->n >= 16 || n > MAXP) {
		fprintf(stderr, "side_add: too much\n");
		exit(1);
	}
	memcpy(s->buf[s->n], p, n);
	s->len[s->n++] = n;
}

/* UDP: every packet of the side, in order, from src to dst. */
static void run_udp(struct flow_insp *f, const struct side *s, uint16_t src, uint16_t dst)
{
	harness_flow(f, 17);
	for (unsigned int i = 0; i < s->n; i++)
		harness_feed(&h, f, CLS_C2S, s->buf[i], s->len[i], src, dst);
}

/* Decided by app with check, naming the server as the given side (CLS_SERVER_*). */
static void expect_side(const struct flow_insp *f, const char *app, const char *check, uint16_t at, uint8_t server)
{
	expect(f, app, CLS_LIKELY, check, at);
	CHECK_EQ(f->server, server);
}

/* ------------------------------------------------------------ WireGuard */

static const uint32_t WI = 0x11223344, WR = 0xa5a5f00d;

static uint32_t wg_init(uint8_t *p, uint32_t sender)
{
	rndfill(p, 0, 148);
	memset(p, 0, 4);
	p[0] = 1;
	memcpy(p + 4, &sender, 4);
	memset(p + 132, 0, 16); /* mac2: zero without a cookie */
	return 148;
}

static uint32_t wg_resp(uint8_t *p, uint32_t sender, uint32_t receiver)
{
	rndfill(p, 0, 92);
	memset(p, 0, 4);
	p[0] = 2;
	memcpy(p + 4, &sender, 4);
	memcpy(p + 8, &receiver, 4);
	memset(p + 76, 0, 16);
	return 92;
}

static uint32_t wg_data(uint8_t *p, uint32_t len, uint32_t receiver, uint64_t ctr)
{
	rndfill(p, 0, len);
	memset(p, 0, 4);
	p[0] = 4;
	memcpy(p + 4, &receiver, 4);
	memcpy(p + 8, &ctr, 8);
	return len;
}

#define WG_INIT_CHECK "handshake-init+transport-one-dir-index-counter-from-zero"
#define WG_RESP_CHECK "handshake-response+transport-one-dir-index-echo-counter-from-zero"
#define WG_RETX_CHECK "handshake-init-retransmits-one-dir-new-index-each"

static void test_wg_positives(void)
{
	static struct side s;
	uint8_t p[MAXP];
	struct flow_insp f;

	/* the initiator's side: initiation, its data from counter 0 */
	s.n = 0;
	side_add(&s, p, wg_init(p, WI));
	side_add(&s, p, wg_data(p, 128, WR, 0));
	side_add(&s, p, wg_data(p, 128, WR, 1));
	run_udp(&f, &s, CP, 51820);
	expect_side(&f, "wireguard", WG_INIT_CHECK, 3, CLS_SERVER_S2C_SENDER);
	/* a keepalive (32 bytes) first, a few lost before the tap (counter 3), steps of 1..64 */
	s.n = 0;
	side_add(&s, p, wg_init(p, WI));
	side_add(&s, p, wg_data(p, 32, WR, 3));
	side_add(&s, p, wg_data(p, 1440, WR, 67));
	run_udp(&f, &s, CP, 443);
	expect_side(&f, "wireguard", WG_INIT_CHECK, 3, CLS_SERVER_S2C_SENDER);
	/* a retransmitted initiation before the data: the latest one counts */
	s.n = 0;
	side_add(&s, p, wg_init(p, WI));
	side_add(&s, p, wg_init(p, WI + 1));
	side_add(&s, p, wg_data(p, 64, WR, 0));
	side_add(&s, p, wg_data(p, 64, WR, 1));
	run_udp(&f, &s, CP, 51820);
	expect_side(&f, "wireguard", WG_INIT_CHECK, 4, CLS_SERVER_S2C_SENDER);

	/* the responder's side: response, its data to the initiator's index */
	s.n = 0;
	side_add(&s, p, wg_resp(p, WR, WI));
	side_add(&s, p, wg_data(p, 128, WI, 0));
	side_add(&s, p, wg_data(p, 128, WI, 1));
	run_udp(&f, &s, 51820, CP);
	expect_side(&f, "wireguard", WG_RESP_CHECK, 3, CLS_SERVER_C2S_SENDER);

	/* a client nobody answers: three initiations, each a new one */
	s.n = 0;
	for (uint32_t i = 0; i < 3; i++)
		side_add(&s, p, wg_init(p, (uint32_t)rnd8() << 24 | i));
	run_udp(&f, &s, CP, 51820);
	expect_side(&f, "wireguard", WG_RETX_CHECK, 3, CLS_SERVER_S2C_SENDER);
	/* a duplicate among them is not counted, the next new one is */
	s.n = 0;
	side_add(&s, p, wg_init(p, 7));
	side_add(&s, p, wg_init(p, 8));
	memcpy(p, s.buf[1], s.len[1]);
	side_add(&s, p, s.len[1]);
	side_add(&s, p, wg_init(p, 9));
	run_udp(&f, &s, CP, 51820);
	expect_side(&f, "wireguard", WG_RETX_CHECK, 4, CLS_SERVER_S2C_SENDER);

	/* both directions still decide as before */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, p, wg_init(p, WI), CP, 51820);
	feed(&f, CLS_S2C, p, wg_resp(p, WR, WI), CP, 51820);
	expect(&f, "wireguard", CLS_CONFIRMED, "handshake-init+response-index-match", 2);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, p, wg_resp(p, WR, WI), 51820, CP);
	feed(&f, CLS_S2C, p, wg_data(p, 64, WR, 0), 51820, CP);
	expect(&f, "wireguard", CLS_CONFIRMED, "handshake-response+transport-index-match", 2);
}

static void test_wg_negatives(void)
{
	static struct side s, t;
	uint8_t p[MAXP];
	struct flow_insp f;
	uint32_t n, i;

	/* initiator's data addressed to its own index, counter starting high, not rising, index changing */
	static const struct {
		uint32_t r1, r2;
		uint64_t c1, c2;
	} bad[] = {
		{ WI, WI, 0, 1 }, { WR, WR, 4, 5 }, { WR, WR, 0, 0 }, { WR, WR, 1, 0 },
		{ WR, WR, 0, 65 }, { WR, WR + 1, 0, 1 }, { WR, WR, 0x100000000ull, 0x100000001ull },
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 0;
		side_add(&s, p, wg_init(p, WI));
		side_add(&s, p, wg_data(p, 64, bad[i].r1, bad[i].c1));
		side_add(&s, p, wg_data(p, 64, bad[i].r2, bad[i].c2));
		run_udp(&f, &s, CP, 51820);
		expect_none(&f);
		/* the same from the responder's side (its data must go to the initiator's index) */
		s.n = 0;
		side_add(&s, p, wg_resp(p, WR, WI));
		side_add(&s, p, wg_data(p, 64, bad[i].r1 == WI ? WR : WI, bad[i].c1));
		side_add(&s, p, wg_data(p, 64, bad[i].r2 == WR + 1 ? WI + 1 : WI, bad[i].c2));
		run_udp(&f, &s, 51820, CP);
		if (bad[i].r1 == WI && bad[i].r2 == WI)
			continue; /* the responder's own index: checked below */
		expect_none(&f);
	}
	s.n = 0;
	side_add(&s, p, wg_resp(p, WR, WI));
	side_add(&s, p, wg_data(p, 64, WR, 0));
	side_add(&s, p, wg_data(p, 64, WR, 1));
	run_udp(&f, &s, 51820, CP);
	expect_none(&f);
	/* one data packet after the handshake message is not enough */
	s.n = 0;
	side_add(&s, p, wg_init(p, WI));
	side_add(&s, p, wg_data(p, 64, WR, 0));
	run_udp(&f, &s, CP, 51820);
	expect_none(&f);
	harness_end(&h, &f);
	CHECK(f.phase != FLOW_DECIDED);
	s.n = 0;
	side_add(&s, p, wg_resp(p, WR, WI));
	side_add(&s, p, wg_data(p, 64, WI, 0));
	run_udp(&f, &s, 51820, CP);
	expect_none(&f);

	/* every truncation of each packet of the one-direction paths (but shorter data that is still data) */
	t.n = 0;
	side_add(&t, p, wg_init(p, WI));
	side_add(&t, p, wg_data(p, 64, WR, 0));
	side_add(&t, p, wg_data(p, 64, WR, 1));
	for (unsigned int k = 0; k < t.n; k++)
		for (n = 0; n < t.len[k]; n++) {
			if (k > 0 && n >= 32 && n % 16 == 0)
				continue;
			s = t;
			s.len[k] = n;
			run_udp(&f, &s, CP, 51820);
			expect_not(&f, "wireguard");
		}

	/* initiations that are not a blocked client's retransmissions */
	for (i = 0; i < 7; i++) {
		s.n = 0;
		for (uint32_t k = 0; k < 4; k++) {
			n = wg_init(p, 100 + k);
			switch (i) {
			case 0: /* the same sender index each time */
				memcpy(p + 4, &(uint32_t){ 5 }, 4);
				break;
			case 1: /* the same ephemeral key each time */
				memset(p + 8, 0x77, 4);
				break;
			case 2: /* a mac2: the client holds a cookie */
				p[140] = 1;
				break;
			case 3: /* mac1 zero */
				memset(p + 116, 0, 16);
				break;
			case 4: /* structured, not key material: zeros in the "random" part */
				memset(p + 40, 0, 9);
				break;
			case 5: /* reserved bytes */
				p[2] = 1;
				break;
			case 6: /* one byte short */
				n--;
				break;
			}
			side_add(&s, p, n);
		}
		run_udp(&f, &s, CP, 51820);
		expect_none(&f);
	}
	/* the same initiation four times (a duplicate or a replay) */
	s.n = 0;
	n = wg_init(p, 42);
	for (i = 0; i < 4; i++)
		side_add(&s, p, n);
	run_udp(&f, &s, CP, 51820);
	expect_none(&f);
	/* two initiations only */
	s.n = 0;
	side_add(&s, p, wg_init(p, 1));
	side_add(&s, p, wg_init(p, 2));
	run_udp(&f, &s, CP, 51820);
	harness_end(&h, &f);
	expect_none(&f);
	/* a cookie reply from the other side: the server answers, counting starts again */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, p, wg_init(p, 1), CP, 51820);
	feed(&f, CLS_C2S, p, wg_init(p, 2), CP, 51820);
	rndfill(p, 0, 64);
	memset(p, 0, 4);
	p[0] = 3;
	memcpy(p + 4, &(uint32_t){ 2 }, 4);
	feed(&f, CLS_S2C, p, 64, CP, 51820);
	feed(&f, CLS_C2S, p, wg_init(p, 3), CP, 51820);
	feed(&f, CLS_C2S, p, wg_init(p, 4), CP, 51820);
	expect_none(&f);

	/* random one-direction flows behind the WireGuard prefixes, on 51820 */
	for (i = 0; i < 3000; i++) {
		s.n = 0;
		for (uint32_t k = 0; k < 6; k++) {
			static const uint32_t lens[] = { 148, 92, 64, 32, 128 };
			n = i & 1 ? lens[rnd8() % 5] : 1 + rnd8() % 200 + (uint32_t)rnd8();
			rndfill(p, 0, n);
			if (n >= 4 && (i & 2)) {
				p[0] = (uint8_t)(1 + rnd8() % 4);
				p[1] = p[2] = p[3] = 0;
			}
			side_add(&s, p, n);
		}
		run_udp(&f, &s, i & 4 ? CP : 51820, i & 4 ? 51820 : CP);
		expect_not(&f, "wireguard");
	}
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	test_wg_positives();
	test_wg_negatives();
	harness_free(&h);
	CHECK_DONE();
}
