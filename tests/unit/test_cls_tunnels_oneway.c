/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel classifiers (ike, esp, l2tp, pptp, gre, cisco-ipsec) on one
 * direction of a flow, through the engine's real classification stage
 * (cls_harness.h): what a box on an asymmetric route sees. A client-only
 * flow is the client's packets, a server-only flow the server's, the first
 * of them the flow's first (CLS_C2S) either way; a flow that ends or goes
 * quiet is concluded as the worker would (classify_flow_ends,
 * classify_close_window). Each one-direction decision must come with its
 * check, its packet and the server named right; truncated, inconsistent
 * and near-miss messages, and thousands of random one-way flows on the
 * protocols' ports, must decide nothing.
 */
#define CLS_TEST_SEED 0x13198a2e03707344ull
#include "cls_tunnels.h"

#define WIN_PKTS 8
#define WIN_BYTES 4096

#define S2C_SERVES CLS_SERVER_S2C_SENDER /* client-only: the server is the side not seen */
#define C2S_SERVES CLS_SERVER_C2S_SENDER /* server-only: the first sender is the server */

static uint16_t
pkts_of(const struct flow_insp *f)
{
	const struct harness_flow_info *fi = harness_info(f);

	return (uint16_t)(fi->pkts[0] + fi->pkts[1]);
}

/* The flow leaves the table: its owner concludes. */
static void
ends(struct flow_insp *f)
{
	if (f->phase == FLOW_INSPECTING)
		classify_flow_ends(&h.db, f, pkts_of(f));
}

/* The flow goes quiet inside its window. */
static void
idles(struct flow_insp *f)
{
	classify_close_window(&h.db, f, pkts_of(f), WINDOW_IDLE);
}

/* A packet of a client-only flow (client port cp to server port sp). */
static int
cli(struct flow_insp *f, const uint8_t *p, uint32_t n, uint16_t cp, uint16_t sp)
{
	return harness_feed(&h, f, CLS_C2S, p, n, cp, sp);
}

/* A packet of a server-only flow: the server (port sp) is the first sender. */
static int
srv(struct flow_insp *f, const uint8_t *p, uint32_t n, uint16_t sp, uint16_t cp)
{
	return harness_feed(&h, f, CLS_C2S, p, n, sp, cp);
}

static void
expect_one_dir(const struct flow_insp *f, const char *app, const char *check, uint16_t at, uint8_t server)
{
	expect(f, app, CLS_LIKELY, check, at);
	CHECK_EQ(f->server, server);
}

static bool
peers(const char *app)
{
	return (tundra_classifiers[classifier_id_by_name(app) - 1]->flags & CLS_F_PEERS) != 0;
}

/* ---------------------------------------------------------------- IKE */

#define QM_MID 0x1234abcdu

static void
test_ike_client_only(void)
{
	uint8_t a[1500], b[1500], w[1500];
	uint32_t na, nb, nw;
	struct flow_insp f;

	/* v2 on 500: IKE_SA_INIT (retransmitted), then IKE_AUTH with the responder SPI learned. */
	harness_flow(&f, 17);
	na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 2, 19);
	CHECK_EQ(cli(&f, a, na, 500, 500), FLOW_INSPECTING);
	CHECK_EQ(cli(&f, a, na, 500, 500), FLOW_INSPECTING);
	nb = ikev2_sk(b, ISPI, RSPI, 35, 0x08, 1);
	cli(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev2-sa-init-request+next-request-one-dir", 3, S2C_SERVES);

	/* A lone IKE_SA_INIT request, retransmitted: decided when the flow ends, or goes quiet. */
	for (int quiet = 0; quiet < 2; quiet++) {
		harness_flow(&f, 17);
		for (int i = 0; i < 3; i++)
			CHECK_EQ(cli(&f, a, na, 500, 500), FLOW_INSPECTING);
		quiet ? idles(&f) : ends(&f);
		expect_one_dir(&f, "ike", "ikev2-sa-init-request-one-dir-sa-ke-nonce", 3, S2C_SERVES);
	}
	/* One proposal, group 14; on another port; behind the marker (strongSwan's 7500 <-> 7500). */
	harness_flow(&f, 17);
	na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 1, 14);
	cli(&f, a, na, 41234, 7000);
	ends(&f);
	expect_one_dir(&f, "ike", "ikev2-sa-init-request-one-dir-sa-ke-nonce", 1, S2C_SERVES);
	harness_flow(&f, 17);
	nw = natt(w, a, na);
	cli(&f, w, nw, 7500, 7500);
	ends(&f);
	expect_one_dir(&f, "ike", "ikev2-sa-init-request-one-dir-sa-ke-nonce", 1, S2C_SERVES);

	/* NAT-T on 4500: IKE_AUTH behind the marker, a keepalive, the child SA's first ESP packets. */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev2_sk(b, ISPI, RSPI, 35, 0x08, 1));
	CHECK_EQ(cli(&f, w, nw, 4500, 4500), FLOW_INSPECTING);
	cli(&f, (const uint8_t *)"\xff", 1, 4500, 4500);
	na = esp(a, 0xc0ffee01, 1, 120);
	CHECK_EQ(cli(&f, a, na, 4500, 4500), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("ike"));
	na = esp(a, 0xc0ffee01, 2, 120);
	cli(&f, a, na, 4500, 4500);
	expect_one_dir(&f, "ike", "ikev2-natt-message+esp-one-dir-spi-seq-consecutive", 4, S2C_SERVES);

	/* Mid-session: the initiator's INFORMATIONAL requests, message ids 5 and 6. */
	harness_flow(&f, 17);
	na = ikev2_sk(a, ISPI, RSPI, 37, 0x08, 5);
	nb = ikev2_sk(b, ISPI, RSPI, 37, 0x08, 6);
	cli(&f, a, na, 500, 500);
	cli(&f, a, na, 500, 500); /* retransmitted */
	cli(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev2-initiator-one-dir-spi-pair-mid-next", 3, S2C_SERVES);

	/* v1 main mode: message 1, then message 3 with the responder cookie learned. */
	harness_flow(&f, 17);
	na = ikev1_phase1_full(a, ISPI, 0, 2, 3);
	nb = ikev1_mm_ke(b, ISPI, RSPI);
	cli(&f, a, na, 500, 500);
	cli(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev1-phase1-request+next-message-one-dir", 2, S2C_SERVES);

	/* v1 lone first message, main and aggressive mode. */
	for (uint8_t exch = 2; exch <= 4; exch += 2) {
		harness_flow(&f, 17);
		na = ikev1_phase1_full(a, ISPI, 0, exch, 2);
		cli(&f, a, na, 500, 500);
		ends(&f);
		expect_one_dir(&f, "ike", "ikev1-phase1-request-one-dir-sa-proposals", 1, S2C_SERVES);
	}

	/* v1 on 4500: main mode message 5, then quick mode messages 1 and 3 (one message id). */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 5, 2, 0, 96));
	cli(&f, w, nw, 4500, 4500);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 8, 32, QM_MID, 160));
	CHECK_EQ(cli(&f, w, nw, 4500, 4500), FLOW_INSPECTING);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 8, 32, QM_MID, 48));
	cli(&f, w, nw, 4500, 4500);
	expect_one_dir(&f, "ike", "ikev1-quick-mode-initiator-one-dir-spi-pair", 3, S2C_SERVES);
}

static void
test_ike_server_only(void)
{
	uint8_t a[1500], b[1500], w[1500];
	uint32_t na, nb, nw;
	struct flow_insp f;

	/* v2 on 500: IKE_SA_INIT response, IKE_AUTH response (message id 1), INFORMATIONAL response. */
	harness_flow(&f, 17);
	na = ikev2_sa_init_full(a, ISPI, RSPI, 0x20, 1, 19);
	CHECK_EQ(srv(&f, a, na, 500, 500), FLOW_INSPECTING);
	nb = ikev2_sk(b, ISPI, RSPI, 35, 0x20, 1);
	srv(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev2-responder-one-dir-spi-pair-mid-next", 2, C2S_SERVES);

	/* A lone IKE_SA_INIT response (NAT-T: the rest is on 4500). */
	harness_flow(&f, 17);
	srv(&f, a, na, 500, 500);
	ends(&f);
	expect_one_dir(&f, "ike", "ikev2-sa-init-response-one-dir-sa-ke-nonce", 1, C2S_SERVES);

	/* NAT-T on 4500, the server behind it: IKE_AUTH response, then its ESP. */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev2_sk(b, ISPI, RSPI, 35, 0x20, 1));
	srv(&f, w, nw, 4500, 41000);
	na = esp(a, 0x0badf00d, 1, 120);
	srv(&f, a, na, 4500, 41000);
	na = esp(a, 0x0badf00d, 2, 120);
	srv(&f, a, na, 4500, 41000);
	expect_one_dir(&f, "ike", "ikev2-natt-message+esp-one-dir-spi-seq-consecutive", 3, C2S_SERVES);

	/* v1 main mode messages 2 (the chosen transform) and 4. */
	harness_flow(&f, 17);
	na = ikev1_phase1_full(a, ISPI, RSPI, 2, 1);
	nb = ikev1_mm_ke(b, ISPI, RSPI);
	srv(&f, a, na, 500, 500);
	srv(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev1-phase1-response+next-message-one-dir", 2, C2S_SERVES);

	/* v1 lone answer; aggressive mode answer then the server's XAUTH request (transaction, E). */
	harness_flow(&f, 17);
	srv(&f, a, na, 500, 500);
	idles(&f);
	expect_one_dir(&f, "ike", "ikev1-phase1-response-one-dir-sa-chosen", 1, C2S_SERVES);
	harness_flow(&f, 17);
	na = ikev1_phase1_full(a, ISPI, RSPI, 4, 1);
	nb = ikev1_enc(b, ISPI, RSPI, 8, 6, 0x5150a0a0, 64);
	srv(&f, a, na, 500, 500);
	srv(&f, b, nb, 500, 500);
	expect_one_dir(&f, "ike", "ikev1-phase1-response+next-message-one-dir", 2, C2S_SERVES);

	/* v1 on 4500: main mode message 6, quick mode message 2, then the new SA's ESP. */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 5, 2, 0, 80));
	srv(&f, w, nw, 4500, 4500);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 8, 32, QM_MID, 160));
	srv(&f, w, nw, 4500, 4500);
	for (uint32_t s = 1; s <= 2; s++) {
		na = esp(a, 0x06c2c4de, s, 120);
		srv(&f, a, na, 4500, 4500);
	}
	expect_one_dir(&f, "ike", "ikev1-natt-message+esp-one-dir-spi-seq-consecutive", 4, C2S_SERVES);
}

/* A lone message, once or retransmitted, then the flow ends: nothing decided. */
static void
lone_none(const uint8_t *p, uint32_t n, uint8_t proto, uint16_t sp, int times)
{
	struct flow_insp f;

	harness_flow(&f, proto);
	for (int i = 0; i < times; i++)
		cli(&f, p, n, 50000, sp);
	ends(&f);
	expect_none(&f);
}

static void
test_ike_one_dir_negatives(void)
{
	uint8_t a[1500], b[1500], w[1500];
	uint32_t na, nb, nw;
	struct flow_insp f;

	/*
	 * IKE_SA_INIT request, one proposal of group 19: SA at 28 (proposal at
	 * 32, transforms at 40 ENCR, 52 PRF, 60 INTEG, 68 D-H), KE at 76, Nonce
	 * at 148, Notify at 184, Vendor ID at 212.
	 */
	static const struct { uint32_t off; uint16_t v; bool wide; } bad[] = {
		{ 37, 3, false },       /* proposal for ESP, not IKE */
		{ 38, 8, false },       /* an SPI in an initial proposal */
		{ 36, 2, false },       /* first proposal numbered 2 */
		{ 39, 5, false },       /* transform count off */
		{ 44, 5, false },       /* ESN transform in an IKE proposal */
		{ 41, 1, false },       /* transform reserved byte */
		{ 48, 0x800f, true },   /* an attribute other than Key Length */
		{ 74, 21, true },       /* KE group not among the D-H transforms */
		{ 82, 1, true },        /* KE reserved */
		{ 76, 41, false },      /* KE then a Notify where the nonce was: no nonce */
		{ 148, 35, false },     /* an IDi payload in IKE_SA_INIT */
		{ 32, 2, false },       /* the only proposal says more follow */
		{ 40, 0, false },       /* the first transform says it is the last */
		{ 16, 41, false },      /* starts with a Notify where the SA was */
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 1, 19);
		if (bad[i].wide)
			put16(a, bad[i].off, bad[i].v);
		else
			a[bad[i].off] = (uint8_t)bad[i].v;
		lone_none(a, na, 17, 500, 3);
	}
	/* KE group 14 offered and sent, but 64 bytes of key data. */
	na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 1, 19);
	put16(a, 74, 14), put16(a, 80, 14);
	lone_none(a, na, 17, 500, 1);
	/* A response of two proposals; a response with the I flag. */
	na = ikev2_sa_init_full(a, ISPI, RSPI, 0x20, 2, 19);
	lone_none(a, na, 17, 500, 1);
	na = ikev2_sa_init_full(a, ISPI, RSPI, 0x28, 1, 19);
	lone_none(a, na, 17, 500, 1);
	/* Every truncation of a request, of a response. */
	na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 2, 19);
	nb = ikev2_sa_init_full(b, ISPI, RSPI, 0x20, 1, 19);
	for (uint32_t n = 1; n < na; n++)
		lone_none(a, n, 17, 500, 1);
	for (uint32_t n = 1; n < nb; n++)
		lone_none(b, n, 17, 500, 1);
	/* A request whose SA, KE and nonce are filler (the structure is not there), to the window's end. */
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	lone_none(a, na, 17, 500, WIN_PKTS);

	/* v1 first message: DOI 2, situation 0, transform KEY_OAKLEY 2, no authentication method. */
	static const struct { uint32_t off; uint16_t v; bool wide; } bad1[] = {
		{ 34, 2, true }, { 38, 0, true }, { 53, 2, false }, { 72, 0x8009, true },
		{ 45, 3, false }, { 47, 2, false }, { 54, 1, false },
	};
	for (unsigned int i = 0; i < sizeof(bad1) / sizeof(bad1[0]); i++) {
		na = ikev1_phase1_full(a, ISPI, 0, 2, 1);
		if (bad1[i].wide)
			put16(a, bad1[i].off, bad1[i].v);
		else
			a[bad1[i].off] = (uint8_t)bad1[i].v;
		lone_none(a, na, 17, 500, 2);
	}
	/* An answer offering two transforms (the responder chooses one); every truncation of message 1. */
	na = ikev1_phase1_full(a, ISPI, RSPI, 2, 2);
	lone_none(a, na, 17, 500, 1);
	na = ikev1_phase1_full(a, ISPI, 0, 2, 2);
	for (uint32_t n = 1; n < na; n++)
		lone_none(a, n, 17, 500, 1);

	/* v2 one side: message ids 1 then 3; one message retransmitted; the I flag flipping. */
	harness_flow(&f, 17);
	na = ikev2_sk(a, ISPI, RSPI, 35, 0x08, 1);
	nb = ikev2_sk(b, ISPI, RSPI, 37, 0x08, 3);
	cli(&f, a, na, 500, 500);
	cli(&f, b, nb, 500, 500);
	ends(&f);
	expect_none(&f);
	lone_none(a, na, 17, 500, WIN_PKTS);
	harness_flow(&f, 17);
	nb = ikev2_sk(b, ISPI, RSPI, 37, 0x00, 2);
	cli(&f, a, na, 500, 500);
	cli(&f, b, nb, 500, 500);
	ends(&f);
	expect_none(&f);
	/* An IKE_SA_INIT request then a request with the responder SPI but message id 2. */
	harness_flow(&f, 17);
	na = ikev2_sa_init_full(a, ISPI, 0, 0x08, 1, 19);
	nb = ikev2_sk(b, ISPI, RSPI, 35, 0x08, 2);
	cli(&f, a, na, 500, 500);
	cli(&f, b, nb, 500, 500);
	ends(&f);
	expect_none(&f);

	/* NAT-T: the ESP after IKE_AUTH changes SPI, skips a number; IKE not behind the marker. */
	for (int k = 0; k < 3; k++) {
		harness_flow(&f, 17);
		nw = k == 2 ? ikev2_sk(w, ISPI, RSPI, 35, 0x08, 1) : natt(w, b, ikev2_sk(b, ISPI, RSPI, 35, 0x08, 1));
		cli(&f, w, nw, 4500, 4500);
		na = esp(a, 0xc0ffee01, 1, 120);
		cli(&f, a, na, 4500, 4500);
		na = esp(a, k == 0 ? 0xc0ffee02 : 0xc0ffee01, k == 1 ? 3 : 2, 120);
		cli(&f, a, na, 4500, 4500);
		ends(&f);
		expect_not(&f, "ike");
	}
	/* v1 on 4500: an encrypted main mode message then ESP: which side this is cannot be told. */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 5, 2, 0, 96));
	cli(&f, w, nw, 4500, 4500);
	for (uint32_t s = 1; s <= 2; s++) {
		na = esp(a, 0x7e0357f3, s, 120);
		cli(&f, a, na, 4500, 4500);
	}
	ends(&f);
	expect_none(&f);
	/* v1 quick mode message 1 retransmitted (same length): not messages 1 and 3. */
	harness_flow(&f, 17);
	nw = natt(w, b, ikev1_enc(b, ISPI, RSPI, 8, 32, QM_MID, 160));
	for (int i = 0; i < WIN_PKTS; i++)
		cli(&f, w, nw, 4500, 4500);
	ends(&f);
	expect_none(&f);
}

/* ---------------------------------------------------------------- ESP */

static void
test_esp_one_dir(void)
{
	uint8_t a[300];
	uint32_t n;
	struct flow_insp f;

	CHECK(peers("esp"));
	/* IP 50: one packet, a young SA's; two consecutive; one each way. */
	harness_flow(&f, 50);
	n = esp(a, 0xedf815ff, 1, 128);
	CHECK_EQ(cli(&f, a, n, 0, 0), FLOW_INSPECTING);
	ends(&f);
	expect_one_dir(&f, "esp", "esp-ip50-short-flow-spi-seq-young", 1, 0);
	harness_flow(&f, 50);
	for (uint32_t s = 40; s <= 41; s++) {
		n = esp(a, 0xedf815ff, s, 128);
		cli(&f, a, n, 0, 0);
	}
	idles(&f);
	expect_one_dir(&f, "esp", "esp-ip50-short-flow-spi-seq-young", 2, 0);
	harness_flow(&f, 50);
	n = esp(a, 0xedf815ff, 1, 128);
	feed(&f, CLS_C2S, a, n, 0, 0);
	n = esp(a, 0x8d45e259, 1, 128);
	feed(&f, CLS_S2C, a, n, 0, 0);
	ends(&f);
	expect_one_dir(&f, "esp", "esp-ip50-short-flow-spi-seq-young", 2, 0);

	/* ... not: an old SA's number, a reserved SPI, too short, a jump, garbage first. */
	n = esp(a, 0xedf815ff, 0x7fffffff, 128);
	lone_none(a, n, 50, 0, 1);
	n = esp(a, 255, 1, 128);
	lone_none(a, n, 50, 0, 1);
	n = esp(a, 0xedf815ff, 1, 15);
	lone_none(a, n, 50, 0, 1);
	harness_flow(&f, 50);
	n = esp(a, 0xedf815ff, 5, 128);
	cli(&f, a, n, 0, 0);
	n = esp(a, 0xedf815ff, 7, 128);
	cli(&f, a, n, 0, 0);
	ends(&f);
	expect_none(&f);
	harness_flow(&f, 50);
	n = esp(a, 0, 1, 128);
	cli(&f, a, n, 0, 0);
	n = esp(a, 0xedf815ff, 1, 128);
	cli(&f, a, n, 0, 0);
	ends(&f);
	expect_none(&f);

	/* UDP 4500: one packet is the port alone; two consecutive of one SA decide. */
	n = esp(a, 0xedf815ff, 1, 128);
	lone_none(a, n, 17, 4500, 1);
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xedf815ff, s, 128);
		cli(&f, a, n, 40000, 4500);
	}
	ends(&f);
	expect_one_dir(&f, "esp", "esp-udp-two-pkts-one-dir-spi-constant-seq-consecutive", 2, S2C_SERVES);
	harness_flow(&f, 17);
	for (uint32_t s = 9; s <= 10; s++) {
		n = esp(a, 0x8d45e259, s, 128);
		srv(&f, a, n, 4501, 40000);
	}
	idles(&f);
	expect_one_dir(&f, "esp", "esp-udp-two-pkts-one-dir-spi-constant-seq-consecutive", 2, C2S_SERVES);
	/* 4500 on both sides: nothing says which end serves (the peers rule asks about both). */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xedf815ff, s, 128);
		cli(&f, a, n, 4500, 4500);
	}
	ends(&f);
	expect_one_dir(&f, "esp", "esp-udp-two-pkts-one-dir-spi-constant-seq-consecutive", 2, 0);
	/* Three one way and 2 + 2 name the 4500 side too. */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 3; s++) {
		n = esp(a, 0x8d45e259, s, 128);
		srv(&f, a, n, 4500, 40000);
	}
	expect_one_dir(&f, "esp", "esp-one-dir-spi-constant-seq-consecutive", 3, C2S_SERVES);
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xedf815ff, s, 128);
		feed(&f, CLS_C2S, a, n, 40000, 4500);
		n = esp(a, 0x8d45e259, s, 128);
		feed(&f, CLS_S2C, a, n, 40000, 4500);
	}
	expect(&f, "esp", CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive", 4);
	CHECK_EQ(f.server, S2C_SERVES);

	/* UDP, not: two with a gap, two SPIs, one each way, an old SA's numbers. */
	static const uint32_t two[][4] = {
		{ 0xedf815ff, 1, 0xedf815ff, 3 }, { 0xedf815ff, 1, 0xedf815fe, 2 },
		{ 0xedf815ff, 0x90000000u, 0xedf815ff, 0x90000001u },
	};
	for (unsigned int i = 0; i < 3; i++) {
		harness_flow(&f, 17);
		n = esp(a, two[i][0], two[i][1], 128);
		cli(&f, a, n, 40000, 4500);
		n = esp(a, two[i][2], two[i][3], 128);
		cli(&f, a, n, 40000, 4500);
		ends(&f);
		expect_none(&f);
	}
	harness_flow(&f, 17);
	n = esp(a, 0xedf815ff, 1, 128);
	feed(&f, CLS_C2S, a, n, 40000, 4500);
	n = esp(a, 0x8d45e259, 1, 128);
	feed(&f, CLS_S2C, a, n, 40000, 4500);
	ends(&f);
	expect_none(&f);

	/* Random one- and two-packet one-way flows on 4500/4501, ended or quiet. */
	int decided = 0;
	for (int i = 0; i < 4000; i++) {
		harness_flow(&f, 17);
		int k = 1 + (i & 1);
		for (int j = 0; j < k; j++) {
			n = 24 + rnd8() % 200u;
			rndfill(a, 0, n);
			if (i & 2)
				cli(&f, a, n, 40000, (i & 4) ? 4501 : 4500);
			else
				srv(&f, a, n, (i & 4) ? 4501 : 4500, 40000);
		}
		(i & 8) ? idles(&f) : ends(&f);
		decided += f.phase == FLOW_DECIDED;
	}
	CHECK_EQ(decided, 0);
}

/* ---------------------------------------------------------------- L2TP */

static void
test_l2tp_one_dir(void)
{
	uint8_t a[300], b[300];
	uint32_t na, nb;
	struct flow_insp f;

	/* Client: SCCRQ (retransmitted), then SCCCN to the tunnel the unseen SCCRP assigned, Ns 1, Nr 1. */
	for (uint8_t ver = 2; ver <= 3; ver++) {
		harness_flow(&f, 17);
		na = l2tp_sccrx(a, ver, 1, 0, 0, 0x1234);
		cli(&f, a, na, 1701, 1701);
		cli(&f, a, na, 1701, 1701);
		nb = l2tp_ctrl(b, ver, 3, 0x0abc, 0, 1, 1);
		cli(&f, b, nb, 1701, 1701);
		expect_one_dir(&f, "l2tp", ver == 2 ? "l2tpv2-sccrq+next-control-one-dir-ns-nr"
						    : "l2tpv3-sccrq+next-control-one-dir-ns-nr", 3, S2C_SERVES);
	}
	/* ... or a ZLB acknowledging the SCCRP. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_zlb(b, 2, 0x0abc, 1, 1);
	cli(&f, a, na, 33333, 4444);
	cli(&f, b, nb, 33333, 4444);
	expect_one_dir(&f, "l2tp", "l2tpv2-sccrq+next-control-one-dir-ns-nr", 2, S2C_SERVES);
	/* A lone SCCRQ, v2 and v3. */
	for (uint8_t ver = 2; ver <= 3; ver++) {
		harness_flow(&f, 17);
		na = l2tp_sccrx(a, ver, 1, 0, 0, 0x1234);
		cli(&f, a, na, 1701, 1701);
		ends(&f);
		expect_one_dir(&f, "l2tp", ver == 2 ? "l2tpv2-sccrq-one-dir-mandatory-avps"
						    : "l2tpv3-sccrq-one-dir-mandatory-avps", 1, S2C_SERVES);
	}

	/* Server: SCCRP to the client's tunnel (Ns 0, Nr 1), then its ZLB acknowledging the SCCCN. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 2, 0x1234, 1, 0x0abc);
	nb = l2tp_zlb(b, 2, 0x1234, 1, 2);
	srv(&f, a, na, 1701, 1701);
	srv(&f, b, nb, 1701, 1701);
	expect_one_dir(&f, "l2tp", "l2tpv2-sccrp+next-control-one-dir-ns-nr", 2, C2S_SERVES);
	harness_flow(&f, 17);
	srv(&f, a, na, 1701, 1701);
	idles(&f);
	expect_one_dir(&f, "l2tp", "l2tpv2-sccrp-one-dir-mandatory-avps", 1, C2S_SERVES);

	/* Mid-session, the LAC's call messages (ICRQ Ns 2, ICCN Ns 3): their types say who sent them. */
	harness_flow(&f, 17);
	na = l2tp_icrq(a, 0x0abc, 2, 1, 77);
	nb = l2tp_ctrl(b, 2, 12, 0x0abc, 88, 3, 2);
	cli(&f, a, na, 1701, 1701);
	cli(&f, b, nb, 1701, 1701);
	expect_one_dir(&f, "l2tp", "l2tpv2-control-one-dir-ns-nr-in-sequence", 2, S2C_SERVES);
	/* The LNS's ICRP then ZLB. */
	harness_flow(&f, 17);
	na = l2tp_ctrl(a, 2, 11, 0x1234, 77, 1, 3);
	nb = l2tp_zlb(b, 2, 0x1234, 2, 3);
	srv(&f, a, na, 1701, 1701);
	srv(&f, b, nb, 1701, 1701);
	expect_one_dir(&f, "l2tp", "l2tpv2-control-one-dir-ns-nr-in-sequence", 2, C2S_SERVES);
	/* HELLO then ZLB: either end sends them; only 1701 on one side names the server. */
	harness_flow(&f, 17);
	na = l2tp_hello(a, 2, 0x1234, 7, 3);
	nb = l2tp_zlb(b, 2, 0x1234, 8, 3);
	cli(&f, a, na, 1701, 1701);
	CHECK_EQ(cli(&f, b, nb, 1701, 1701), FLOW_INSPECTING);
	ends(&f);
	expect_none(&f);
	harness_flow(&f, 17);
	srv(&f, a, na, 1701, 40001);
	srv(&f, b, nb, 1701, 40001);
	expect_one_dir(&f, "l2tp", "l2tpv2-control-one-dir-ns-nr-in-sequence", 2, C2S_SERVES);
	harness_flow(&f, 17);
	cli(&f, a, na, 40001, 1701);
	cli(&f, b, nb, 40001, 1701);
	expect_one_dir(&f, "l2tp", "l2tpv2-control-one-dir-ns-nr-in-sequence", 2, S2C_SERVES);

	/* Not: SCCCN with Ns 2, or to tunnel 0, after the SCCRQ. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_ctrl(b, 2, 3, 0x0abc, 0, 2, 1);
	cli(&f, a, na, 1701, 1701);
	cli(&f, b, nb, 1701, 1701);
	ends(&f);
	expect_none(&f);
	harness_flow(&f, 17);
	nb = l2tp_ctrl(b, 2, 3, 0, 0, 1, 1);
	cli(&f, a, na, 1701, 1701);
	cli(&f, b, nb, 1701, 1701);
	ends(&f);
	expect_none(&f);
	/* Not: after the SCCRP, a ZLB to another tunnel, an Ns jump, Nr back, a LAC's message. */
	uint32_t nz[4];
	uint8_t z[4][64];
	nz[0] = l2tp_zlb(z[0], 2, 0x4321, 1, 2);
	nz[1] = l2tp_zlb(z[1], 2, 0x1234, 5, 2);
	nz[2] = l2tp_zlb(z[2], 2, 0x1234, 1, 0);
	nz[3] = l2tp_icrq(z[3], 0x1234, 1, 2, 9);
	na = l2tp_sccrx(a, 2, 2, 0x1234, 1, 0x0abc);
	for (int i = 0; i < 4; i++) {
		harness_flow(&f, 17);
		srv(&f, a, na, 1701, 1701);
		srv(&f, z[i], nz[i], 1701, 1701);
		ends(&f);
		expect_none(&f);
	}
	/* Not, alone: no Framing Capabilities; Host Name twice; an SCCRP with Nr 0; every truncation. */
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	put16(a, 49, 4);                         /* Framing (3) -> Bearer Capabilities (4) */
	lone_none(a, na, 17, 1701, 2);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	put16(a, 49, 7);                         /* Framing -> a second Host Name */
	lone_none(a, na, 17, 1701, 1);
	na = l2tp_sccrx(a, 2, 2, 0x1234, 0, 0x0abc);
	lone_none(a, na, 17, 1701, 1);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	for (uint32_t n = 1; n < na; n++)
		lone_none(a, n, 17, 1701, 1);
}

/* ---------------------------------------------------------------- PPTP / GRE */

static void
test_pptp_one_dir(void)
{
	uint8_t a[300], b[300];
	uint32_t na, nb;
	struct flow_insp f;

	/* Client: SYN, ACK, SCCRQ, ACK, then its Outgoing-Call-Request at stream offset 156. */
	tcp_open(&f, 40080, 1723);
	na = pptp_sccrx(a, 1);
	CHECK_EQ(cli(&f, a, na, 40080, 1723), FLOW_INSPECTING);
	cli(&f, NULL, 0, 40080, 1723);
	nb = pptp_ctrl(b, 7, 31882);
	cli(&f, b, nb, 40080, 1723);
	expect_one_dir(&f, "pptp", "sccrq+next-control-message-one-dir", 6, S2C_SERVES);
	/* A lone SCCRQ. */
	tcp_open(&f, 40080, 1723);
	cli(&f, a, na, 40080, 1723);
	ends(&f);
	expect_one_dir(&f, "pptp", "sccrq-one-dir-fixed-fields", 4, S2C_SERVES);

	/* Server: SYN-ACK, SCCRP, its Outgoing-Call-Reply; a lone SCCRP. */
	harness_flow(&f, 6);
	srv(&f, NULL, 0, 1723, 40080);
	nb = pptp_sccrx(b, 2);
	srv(&f, b, nb, 1723, 40080);
	na = pptp_ctrl(a, 8, 0);
	srv(&f, a, na, 1723, 40080);
	expect_one_dir(&f, "pptp", "sccrp+next-control-message-one-dir", 3, C2S_SERVES);
	harness_flow(&f, 6);
	srv(&f, NULL, 0, 11723, 40080);
	srv(&f, b, nb, 11723, 40080);
	idles(&f);
	expect_one_dir(&f, "pptp", "sccrp-one-dir-fixed-fields", 2, C2S_SERVES);

	/* Not: the client sending a PAC's message, garbage after the SCCRQ, a CCRQ from the server. */
	static const uint16_t wrong[] = { 8, 13, 0 };
	for (unsigned int i = 0; i < 3; i++) {
		tcp_open(&f, 40080, 1723);
		na = pptp_sccrx(a, 1);
		cli(&f, a, na, 40080, 1723);
		nb = wrong[i] ? pptp_ctrl(b, wrong[i], 1) : rndfill(b, 0, 40);
		cli(&f, b, nb, 40080, 1723);
		ends(&f);
		expect_none(&f);
	}
	harness_flow(&f, 6);
	nb = pptp_sccrx(b, 2);
	srv(&f, b, nb, 1723, 40080);
	na = pptp_ctrl(a, 12, 1);
	srv(&f, a, na, 1723, 40080);
	ends(&f);
	expect_none(&f);
	/* Not, alone: a host name with bytes after its NUL, framing bit 0x10, error code 9, short. */
	na = pptp_sccrx(a, 1);
	a[28 + 20] = 'x';
	lone_none(a, na, 6, 1723, 1);
	na = pptp_sccrx(a, 1);
	a[19] = 0x13;
	lone_none(a, na, 6, 1723, 1);
	nb = pptp_sccrx(b, 2);
	b[15] = 9;
	lone_none(b, nb, 6, 1723, 1);
	na = pptp_sccrx(a, 1);
	for (uint32_t n = 1; n < na; n++)
		lone_none(a, n, 6, 1723, 1);
	/* An SCCRQ sharing its segment with more bytes is not alone; the next message is not at 156. */
	na = pptp_sccrx(a, 1);
	rndfill(a, na, 40);
	lone_none(a, na + 40, 6, 1723, 1);
}

static void
test_gre_one_dir(void)
{
	uint8_t a[300];
	uint32_t na;
	struct flow_insp f;

	CHECK(peers("gre"));
	/* The server's one GRE packet, its LCP Configure-Request: decided, the ends left to the registry. */
	harness_flow(&f, 47);
	na = gre_lcp(a, 31882, 0, 1, 0x7d7d0002);
	CHECK_EQ(na, 30);
	CHECK_EQ(srv(&f, a, na, 0, 0), FLOW_INSPECTING);
	ends(&f);
	expect_one_dir(&f, "gre", "enhanced-gre-v1-lone-ppp-lcp-configure-request", 1, 0);
	harness_flow(&f, 47);
	srv(&f, a, na, 0, 0);
	idles(&f);
	expect_one_dir(&f, "gre", "enhanced-gre-v1-lone-ppp-lcp-configure-request", 1, 0);
	/* Two one way still decide at the second, as before. */
	harness_flow(&f, 47);
	srv(&f, a, na, 0, 0);
	na = gre_lcp(a, 31882, 1, 2, 0x7d7d0002);
	srv(&f, a, na, 0, 0);
	expect_one_dir(&f, "gre", "enhanced-gre-v1-call-id-consistent-one-dir", 2, 0);

	/* Not, alone: PPP that is not LCP, MRU of 5 bytes, a Configure-Ack, compressed address, an ack. */
	static const struct { uint32_t off; uint8_t v; } bad[] = {
		{ 14, 0x80 }, { 21, 5 }, { 16, 2 }, { 12, 0xfe }, { 20, 31 }, { 19, 15 },
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		na = gre_lcp(a, 31882, 0, 1, 0x7d7d0002);
		a[bad[i].off] = bad[i].v;
		lone_none(a, na, 47, 0, 1);
	}
	na = gre(a, 31882, true, 0, false, 0, 18);
	lone_none(a, na, 47, 0, 1);
	na = gre(a, 31882, false, 0, true, 7, 0);
	lone_none(a, na, 47, 0, 1);
	na = gre_lcp(a, 31882, 0, 1, 0x7d7d0002);
	for (uint32_t n = 1; n < na; n++)
		lone_none(a, n, 47, 0, 1);
	/* Not its first packet: something else came first. */
	harness_flow(&f, 47);
	rndfill(a, 0, 30);
	srv(&f, a, 30, 0, 0);
	na = gre_lcp(a, 31882, 0, 1, 0x7d7d0002);
	srv(&f, a, na, 0, 0);
	ends(&f);
	expect_none(&f);
}

/* ---------------------------------------------------------------- cisco-ipsec */

/*
 * ESP on UDP 10000 one way stays unknown however long: only the port makes
 * it Cisco's, and other protocols frame the same (OpenVPN's P_DATA_V2 with
 * its constant opcode and peer id, then a packet id going up by one).
 */
static void
test_cisco_one_dir(void)
{
	uint8_t a[300];
	uint32_t n;
	struct flow_insp f;

	for (int k = 0; k < 4; k++) {
		harness_flow(&f, 17);
		for (uint32_t s = 1; s <= 12; s++) {
			if (k < 2)
				n = esp(a, 0xfe577e2b, s, 100);
			else
				n = put32(a, put32(a, 0, 0x48000001u), s), n = rndfill(a, n, 100);
			(k & 1) ? srv(&f, a, n, 10000, 40000) : cli(&f, a, n, 40000, 10000);
		}
		ends(&f);
		expect_none(&f);
	}
}

/* ---------------------------------------------------------------- random one way */

static void
test_random_one_way(void)
{
	static const uint16_t udp_ports[] = { 500, 4500, 4501, 1701, 7500, 10000 };
	static const uint16_t tcp_ports[] = { 1723, 500, 4500, 1701, 10000 };
	uint8_t a[400];
	struct flow_insp f;
	int decided = 0, flows = 0;

	for (int tcp = 0; tcp < 2; tcp++) {
		const uint16_t *ports = tcp ? tcp_ports : udp_ports;
		unsigned int np = tcp ? 5 : 6;
		for (unsigned int pi = 0; pi < np; pi++)
			for (int side = 0; side < 2; side++)
				for (int i = 0; i < 350; i++) {
					uint32_t k = 1 + rnd8() % WIN_PKTS;
					harness_flow(&f, tcp ? 6 : 17);
					if (tcp)
						side ? srv(&f, NULL, 0, ports[pi], 50000) : cli(&f, NULL, 0, 50000, ports[pi]);
					for (uint32_t j = 0; j < k; j++) {
						uint32_t n = (uint32_t)(rnd8() | rnd8() << 8) % 300u;
						rndfill(a, 0, n);
						side ? srv(&f, a, n, ports[pi], 50000) : cli(&f, a, n, 50000, ports[pi]);
					}
					(i & 1) ? ends(&f) : idles(&f);
					flows++;
					if (f.phase == FLOW_DECIDED) {
						decided++;
						fprintf(stderr, "random one-way %s/%u: %s (%s)\n", tcp ? "tcp" : "udp",
							ports[pi], harness_app(&f), f.check);
					}
				}
	}
	CHECK(flows > 7000);
	CHECK_EQ(decided, 0);
	/* GRE (IP 47): random one way. */
	for (int i = 0; i < 2000; i++) {
		harness_flow(&f, 47);
		uint32_t k = 1 + (uint32_t)i % 3;
		for (uint32_t j = 0; j < k; j++) {
			uint32_t n = 8 + rnd8() % 120u;
			rndfill(a, 0, n);
			srv(&f, a, n, 0, 0);
		}
		ends(&f);
		decided += f.phase == FLOW_DECIDED;
	}
	CHECK_EQ(decided, 0);
}

/*
 * Near misses one way: the right first bytes and length fields with random
 * contents, alone or followed by random packets, ended.
 */
static void
test_near_misses_one_way(void)
{
	uint8_t a[600], b[600];
	struct flow_insp f;
	int decided = 0;

	for (int round = 0; round < 3000; round++) {
		unsigned int kind = (unsigned int)round % 6;
		uint32_t n = 48 + rnd8() % 200u, o;
		uint8_t proto = 17;
		uint16_t port = 500;

		rndfill(a, 0, n);
		switch (kind) {
		case 0: /* an IKE_SA_INIT request header, SA first, random payloads */
			o = ike_hdr(a, ISPI, 0, 33, 0x20, 34, 0x08, 0);
			ike_len(a, n);
			break;
		case 1: /* a v1 main mode first message header, random payloads */
			o = ike_hdr(a, ISPI, 0, 1, 0x10, 2, 0, 0);
			ike_len(a, n);
			break;
		case 2: /* an IKE_AUTH behind the marker with an exact SK payload, then random packets */
			port = 4500;
			o = natt(a, b, ike_hdr(b, ISPI, RSPI, 46, 0x20, 35, 0x08, 1));
			put32(a, 4 + 24, n - 4);
			put8(a, o, 35), put8(a, o + 1, 0), put16(a, o + 2, (uint16_t)(n - o));
			break;
		case 3: /* an L2TP SCCRQ header and Message Type, random AVPs */
			port = 1701;
			o = l2tp_hdr(a, 2, 0, 0, 0, 0);
			avp16(a, o, 0, 1);
			l2tp_len(a, n);
			break;
		case 4: /* a PPTP SCCRQ's fixed header, random fields */
			proto = 6, port = 1723, n = 156;
			rndfill(a, 0, n);
			memcpy(a, "\x00\x9c\x00\x01\x1a\x2b\x3c\x4d\x00\x01\x00\x00\x01\x00\x00\x00", 16);
			break;
		default: /* enhanced GRE with exact lengths and a PPP LCP header, random LCP */
			proto = 47, port = 0;
			o = gre(a, 0x4001, true, 0, false, 0, (uint16_t)(n - 12));
			put16(a, 12, 0xff03), put16(a, 14, 0xc021);
			rndfill(a, 16, n - 16);
			break;
		}
		harness_flow(&f, proto);
		if (proto == 6)
			cli(&f, NULL, 0, 50000, port);
		cli(&f, a, n, 50000, port);
		for (int j = rnd8() % 3; j > 0; j--) {
			uint32_t m = 24 + rnd8() % 100u;
			rndfill(b, 0, m);
			cli(&f, b, m, 50000, port);
		}
		(round & 1) ? ends(&f) : idles(&f);
		if (f.phase == FLOW_DECIDED) {
			decided++;
			fprintf(stderr, "near miss %u: %s (%s)\n", kind, harness_app(&f), f.check);
		}
	}
	CHECK_EQ(decided, 0);
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	test_ike_client_only();
	test_ike_server_only();
	test_ike_one_dir_negatives();
	test_esp_one_dir();
	test_l2tp_one_dir();
	test_pptp_one_dir();
	test_gre_one_dir();
	test_cisco_one_dir();
	test_random_one_way();
	test_near_misses_one_way();
	harness_free(&h);
	CHECK_DONE();
}
