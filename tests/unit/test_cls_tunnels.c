/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnel classifiers (ike, esp, l2tp, pptp, gre) driven through the
 * engine's real classification stage (cls_harness.h): exchanges built byte
 * by byte from the RFC formats must decide with the designed app, result,
 * check and packet number; malformed, inconsistent and random traffic must
 * decide nothing; and WireGuard/OpenVPN handshakes must still decide as
 * before (the pattern-less ESP/GRE validators must not steal them).
 */
#include "cls_tunnels.h"

#define WIN_PKTS 8
#define WIN_BYTES 65536

static char reason[200];

/* IKE_SA_INIT and its response behind the non-ESP marker, both sides on port. */
static void natt_sa_init(uint16_t port)
{
	uint8_t a[1500], b[1500], c[1500];
	struct flow_insp f;
	char why[160];
	harness_flow(&f, 17);
	uint32_t na = natt(a, b, ikev2_sa_init(b, ISPI, 0, 0x08));
	uint32_t nb = natt(b, c, ikev2_sa_init(c, ISPI, RSPI, 0x20));
	feed(&f, CLS_C2S, a, na, port, port);
	feed(&f, CLS_S2C, b, nb, port, port);
	expect(&f, "ike", CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", 2);
	harness_reason(&h, &f, why, sizeof(why));
	CHECK(strstr(why, "/ikev2-natt-sa-init-request/") != NULL);
}

static void
test_ike(void)
{
	uint8_t a[600], b[600], c[600];
	uint32_t na, nb, nc;
	struct flow_insp f;

	/* IKEv2 IKE_SA_INIT request -> response on 500. */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x20);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 500, 500), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("ike"));
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect(&f, "ike", CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "ike/ikev2-sa-init-request/ikev2-sa-init+response-spi-match/confirmed@pkt2");

	/* The same on any other port. */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, a, na, 41234, 7000);
	feed(&f, CLS_S2C, b, nb, 41234, 7000);
	expect(&f, "ike", CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", 2);

	/* COOKIE round trip: the response with a zero responder SPI waits. */
	harness_flow(&f, 17);
	nc = ikev2_cookie(c, ISPI);
	feed(&f, CLS_C2S, a, na, 500, 500);
	CHECK_EQ(feed(&f, CLS_S2C, c, nc, 500, 500), FLOW_INSPECTING);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 500, 500), FLOW_INSPECTING);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect(&f, "ike", CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", 4);

	/* IKEv1 main mode and aggressive mode. */
	harness_flow(&f, 17);
	na = ikev1_phase1(a, ISPI, 0, 2);
	nb = ikev1_phase1(b, ISPI, RSPI, 2);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect(&f, "ike", CLS_CONFIRMED, "ikev1-main+response-spi-match", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "ike/ikev1-phase1-request/ikev1-main+response-spi-match/confirmed@pkt2");
	harness_flow(&f, 17);
	na = ikev1_phase1(a, ISPI, 0, 4);
	nb = ikev1_phase1(b, ISPI, RSPI, 4);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_C2S, a, na, 500, 500); /* retransmitted */
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect(&f, "ike", CLS_CONFIRMED, "ikev1-aggressive+response-spi-match", 3);

	/* NAT-T on 4500: IKE_SA_INIT behind the marker. */
	natt_sa_init(4500);

	/* NAT-T on 4500 after NAT detection: IKE_AUTH (both SPIs) -> response. */
	harness_flow(&f, 17);
	na = natt(a, c, ikev2_sk(c, ISPI, RSPI, 35, 0x08, 1));
	nb = natt(b, c, ikev2_sk(c, ISPI, RSPI, 35, 0x20, 1));
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 4500, 4500), FLOW_INSPECTING);
	feed(&f, CLS_C2S, (const uint8_t *)"\xff", 1, 4500, 4500); /* keepalive */
	feed(&f, CLS_S2C, b, nb, 4500, 4500);
	expect(&f, "ike", CLS_LIKELY, "ikev2-spi-pair-both-dirs", 3);

	/*
	 * strongSwan with port/port_nat_t 7500/7501 (pcaps/ikev2-natt-7500.pcap):
	 * every message carries the marker, as neither port is 500. IKE_SA_INIT
	 * on 7500 <-> 7500, then IKE_AUTH from the client's 7501 to the server's
	 * 7500 (a flow of its own).
	 */
	natt_sa_init(7500);
	harness_flow(&f, 17);
	na = natt(a, c, ikev2_sk(c, ISPI, RSPI, 35, 0x08, 1));
	nb = natt(b, c, ikev2_sk(c, ISPI, RSPI, 35, 0x20, 1));
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 7501, 7500), FLOW_INSPECTING);
	feed(&f, CLS_S2C, b, nb, 7501, 7500);
	expect(&f, "ike", CLS_LIKELY, "ikev2-spi-pair-both-dirs", 2);

	/* IKEv1 quick mode (encrypted, E flag) mid-session on 500. */
	harness_flow(&f, 17);
	na = ike_hdr(a, ISPI, RSPI, 8, 0x10, 32, 0x01, 0x11223344);
	na = ike_len(a, fill(a, na, 64, 0x3c));
	memcpy(b, a, na);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, na, 500, 500);
	expect(&f, "ike", CLS_LIKELY, "ikev1-spi-pair-both-dirs", 2);

	/* Negatives. Bad length field. */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x20);
	put32(a, 24, na + 1);
	feed(&f, CLS_C2S, a, na, 500, 500);
	CHECK_EQ(f.cls.owner, 0);
	put32(b, 24, nb - 1);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);

	/* Bad version (3.0, and 2.1). */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x20);
	a[17] = 0x30, b[17] = 0x21;
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);

	/* Zero initiator SPI. */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, 0, 0, 0x08);
	nb = ikev2_sa_init(b, 0, RSPI, 0x20);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);

	/* Response with another initiator SPI. */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	nb = ikev2_sa_init(b, ISPI ^ 1, RSPI, 0x20);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, 0);

	/* Response without the R flag, or with the wrong exchange type. */
	harness_flow(&f, 17);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x00);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);
	harness_flow(&f, 17);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x20);
	b[18] = 35;
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);

	/* One side alone, retransmitted: never decided. */
	harness_flow(&f, 17);
	for (int i = 0; i < 8; i++)
		feed(&f, CLS_C2S, a, na, 500, 500);
	expect_none(&f);

	/* A broken payload chain (a payload length past the end). */
	harness_flow(&f, 17);
	na = ikev2_sa_init(a, ISPI, 0, 0x08);
	nb = ikev2_sa_init(b, ISPI, RSPI, 0x20);
	put16(a, 28 + 2, 0x0400);
	put16(b, 28 + 2, 0x0400);
	feed(&f, CLS_C2S, a, na, 500, 500);
	feed(&f, CLS_S2C, b, nb, 500, 500);
	expect_none(&f);
}

/* ---------------------------------------------------------------- ESP */

static void
test_esp(void)
{
	uint8_t a[300];
	uint32_t n;
	struct flow_insp f;

	/* IP protocol 50, both directions: ping and its replies. */
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xc0ffee01, s, 88);
		CHECK_EQ(feed(&f, CLS_C2S, a, n, 0, 0), FLOW_INSPECTING);
		n = esp(a, 0x0badf00d, s, 88);
		feed(&f, CLS_S2C, a, n, 0, 0);
	}
	expect(&f, "esp", CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive", 4);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "esp/-/esp-both-dirs-own-spi-seq-consecutive/confirmed@pkt4");

	/* One direction, mid-SA: 3 consecutive packets. */
	harness_flow(&f, 50);
	for (uint32_t s = 70000; s < 70003; s++) {
		n = esp(a, 0x12345678, s, 120);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect(&f, "esp", CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive", 3);

	/* ESP in UDP on 4500 (both directions) and on 4501 (GlobalProtect). */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 2; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 4500, 4500);
		n = esp(a, 0x0badf00d, s, 60);
		feed(&f, CLS_S2C, a, n, 4500, 4500);
	}
	expect(&f, "esp", CLS_CONFIRMED, "esp-both-dirs-own-spi-seq-consecutive", 4);
	harness_flow(&f, 17);
	for (uint32_t s = 5; s < 8; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 53211, 4501);
	}
	expect(&f, "esp", CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive", 3);

	/* A NAT-T keepalive in between is not counted. */
	harness_flow(&f, 17);
	n = esp(a, 0xc0ffee01, 1, 60);
	feed(&f, CLS_C2S, a, n, 4500, 4500);
	feed(&f, CLS_C2S, (const uint8_t *)"\xff", 1, 4500, 4500);
	n = esp(a, 0xc0ffee01, 2, 60);
	CHECK_EQ(feed(&f, CLS_C2S, a, n, 4500, 4500), FLOW_INSPECTING);
	n = esp(a, 0xc0ffee01, 3, 60);
	feed(&f, CLS_C2S, a, n, 4500, 4500);
	expect(&f, "esp", CLS_LIKELY, "esp-one-dir-spi-constant-seq-consecutive", 4);

	/* Negatives: keepalives only. */
	harness_flow(&f, 17);
	for (int i = 0; i < 8; i++)
		feed(&f, i & 1, (const uint8_t *)"\xff", 1, 4500, 4500);
	expect_none(&f);
	CHECK_EQ(f.cls.owner, 0);

	/* The same ESP stream on a port other than 4500/4501: no candidate. */
	harness_flow(&f, 17);
	for (uint32_t s = 1; s <= 6; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 40000, 5000);
	}
	expect_none(&f);

	/* A jumping sequence number. */
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 12; s += 2) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);

	/* A changing SPI. */
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 6; s++) {
		n = esp(a, 0xc0ffee00 + s, s, 60);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);

	/* The same SPI both ways, a reserved SPI, sequence 0, too short. */
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 4; s++) {
		n = esp(a, 0xc0ffee01, s, 60);
		feed(&f, s & 1, a, n, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 6; s++) {
		n = esp(a, 200, s, 60);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 6; s++) {
		n = esp(a, 0xc0ffee01, 0, 60);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 50);
	for (uint32_t s = 1; s <= 6; s++) {
		n = esp(a, 0xc0ffee01, s, 15);
		feed(&f, CLS_C2S, a, n, 0, 0);
	}
	expect_none(&f);

	/* IKE messages behind the marker on 4500 are not ESP (and are IKE). */
	harness_flow(&f, 17);
	{
		uint8_t m[400], w[400];
		uint32_t nm = natt(w, m, ikev2_sk(m, ISPI, RSPI, 37, 0x08, 2));

		feed(&f, CLS_C2S, w, nm, 4500, 4500);
		CHECK_EQ(f.cls.owner, classifier_id_by_name("ike"));
	}
}


static void
test_l2tp(void)
{
	uint8_t a[300], b[300];
	uint32_t na, nb;
	struct flow_insp f;

	/* L2TPv2: SCCRQ (tunnel 0, Assigned Tunnel ID 0x1234) -> SCCRP to 0x1234. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_sccrx(b, 2, 2, 0x1234, 1, 0x0abc);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 1701, 1701), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("l2tp"));
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect(&f, "l2tp", CLS_CONFIRMED, "l2tpv2-sccrq+sccrp-tunnel-id-match", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "l2tp/l2tpv2-sccrq/l2tpv2-sccrq+sccrp-tunnel-id-match/confirmed@pkt2");

	/* Retransmitted SCCRQ and a ZLB first, any port. */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, a, na, 33333, 4444);
	feed(&f, CLS_C2S, a, na, 33333, 4444);
	nb = l2tp_zlb(b, 2, 0x1234, 0, 1);
	feed(&f, CLS_S2C, b, nb, 33333, 4444);
	nb = l2tp_sccrx(b, 2, 2, 0x1234, 1, 0x0abc);
	feed(&f, CLS_S2C, b, nb, 33333, 4444);
	expect(&f, "l2tp", CLS_CONFIRMED, "l2tpv2-sccrq+sccrp-tunnel-id-match", 4);

	/* L2TPv3 over UDP: Assigned Control Connection ID. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 3, 1, 0, 0, 0xdeadbeef);
	nb = l2tp_sccrx(b, 3, 2, 0xdeadbeef, 1, 0x01020304);
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect(&f, "l2tp", CLS_CONFIRMED, "l2tpv3-sccrq+sccrp-ccid-match", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK(strstr(reason, "/l2tpv3-sccrq/") != NULL);

	/* Mid-session: data, HELLO (Ns 7), data, the peer's ZLB acking it (Nr 8). */
	harness_flow(&f, 17);
	nb = l2tp_data(b, 0x0abc, 5, 40);
	feed(&f, CLS_C2S, b, nb, 1701, 1701);
	na = l2tp_hello(a, 2, 0x0abc, 7, 3);
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_C2S, b, nb, 1701, 1701);
	na = l2tp_zlb(a, 2, 0x1234, 3, 8);
	feed(&f, CLS_S2C, a, na, 1701, 1701);
	expect(&f, "l2tp", CLS_LIKELY, "l2tpv2-control-both-dirs-ns-nr-match", 4);

	/* Negatives: data messages only. */
	harness_flow(&f, 17);
	for (int i = 0; i < 8; i++) {
		nb = l2tp_data(b, (uint16_t)(i & 1 ? 0x1234 : 0x0abc), 5, 40 + (uint32_t)i);
		feed(&f, i & 1, b, nb, 1701, 1701);
	}
	expect_none(&f);

	/* Wrong length field. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_sccrx(b, 2, 2, 0x1234, 1, 0x0abc);
	put16(a, 2, (uint16_t)(na + 1));
	put16(b, 2, (uint16_t)(nb - 1));
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect_none(&f);

	/* SCCRP to another tunnel id; SCCRP with Nr 0; SCCRQ alone. */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_sccrx(b, 2, 2, 0x4321, 1, 0x0abc);
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect_none(&f);
	harness_flow(&f, 17);
	nb = l2tp_sccrx(b, 2, 2, 0x1234, 0, 0x0abc);
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect_none(&f);
	/* SCCRQ alone, retransmitted until the window closes: its mandatory AVPs decide (one side). */
	harness_flow(&f, 17);
	for (int i = 0; i < 8; i++)
		feed(&f, CLS_C2S, a, na, 1701, 1701);
	expect(&f, "l2tp", CLS_LIKELY, "l2tpv2-sccrq-one-dir-mandatory-avps", 8);
	CHECK_EQ(f.server, CLS_SERVER_S2C_SENDER);
	/* ... not without its Host Name AVP (type 7 -> 8, Bearer Capabilities). */
	harness_flow(&f, 17);
	put16(a, 32, 8);
	for (int i = 0; i < 8; i++)
		feed(&f, CLS_C2S, a, na, 1701, 1701);
	expect_none(&f);

	/* A broken AVP chain (an AVP length past the end). */
	harness_flow(&f, 17);
	na = l2tp_sccrx(a, 2, 1, 0, 0, 0x1234);
	nb = l2tp_sccrx(b, 2, 2, 0x1234, 1, 0x0abc);
	put16(a, 20, 0x8000 | 0x3ff);
	put16(b, 20, 0x8000 | 0x3ff);
	feed(&f, CLS_C2S, a, na, 1701, 1701);
	feed(&f, CLS_S2C, b, nb, 1701, 1701);
	expect_none(&f);
}


static void
test_pptp_gre(void)
{
	uint8_t a[300], b[300];
	uint32_t na, nb;
	struct flow_insp f;

	/* SYN, SYN-ACK, ACK, SCCRQ, ACK, SCCRP. */
	harness_flow(&f, 6);
	pptp_handshake(&f, 1723);
	na = pptp_sccrx(a, 1);
	nb = pptp_sccrx(b, 2);
	CHECK_EQ(na, 156);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 50000, 1723), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("pptp"));
	feed(&f, CLS_S2C, NULL, 0, 50000, 1723);
	feed(&f, CLS_S2C, b, nb, 50000, 1723);
	expect(&f, "pptp", CLS_CONFIRMED, "sccrq+sccrp", 6);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "pptp/pptp-start-control-connection/sccrq+sccrp/confirmed@pkt6");

	/* On another port; window picked up at an Echo-Request. */
	harness_flow(&f, 6);
	pptp_handshake(&f, 443);
	feed(&f, CLS_C2S, a, na, 50000, 443);
	feed(&f, CLS_S2C, b, nb, 50000, 443);
	expect(&f, "pptp", CLS_CONFIRMED, "sccrq+sccrp", 5);
	harness_flow(&f, 6);
	na = pptp_echo(a, 5, 77);
	nb = pptp_echo(b, 6, 77);
	feed(&f, CLS_C2S, a, na, 50000, 1723);
	feed(&f, CLS_S2C, b, nb, 50000, 1723);
	expect(&f, "pptp", CLS_LIKELY, "control-messages-both-dirs-magic-cookie", 2);

	/* The same on another port (pcaps/pptp-11723.pcap). */
	harness_flow(&f, 6);
	pptp_handshake(&f, 11723);
	na = pptp_sccrx(a, 1);
	nb = pptp_sccrx(b, 2);
	CHECK_EQ(feed(&f, CLS_C2S, a, na, 50000, 11723), FLOW_INSPECTING);
	feed(&f, CLS_S2C, NULL, 0, 50000, 11723);
	feed(&f, CLS_S2C, b, nb, 50000, 11723);
	expect(&f, "pptp", CLS_CONFIRMED, "sccrq+sccrp", 6);

	/* Negatives: bad cookie; a reply that is not an SCCRP; wrong length. */
	harness_flow(&f, 6);
	pptp_handshake(&f, 1723);
	na = pptp_sccrx(a, 1);
	nb = pptp_sccrx(b, 2);
	a[7] ^= 1, b[7] ^= 1;
	feed(&f, CLS_C2S, a, na, 50000, 1723);
	feed(&f, CLS_S2C, b, nb, 50000, 1723);
	expect_none(&f);
	harness_flow(&f, 6);
	a[7] ^= 1;
	feed(&f, CLS_C2S, a, na, 50000, 1723);
	nb = pptp_echo(b, 6, 1);
	feed(&f, CLS_S2C, b, nb, 50000, 1723);
	expect_none(&f);
	harness_flow(&f, 6);
	na = pptp_sccrx(a, 1);
	nb = pptp_sccrx(b, 2);
	put16(a, 0, 155);
	put16(b, 0, 157);
	feed(&f, CLS_C2S, a, na, 50000, 1723);
	feed(&f, CLS_S2C, b, nb, 50000, 1723);
	expect_none(&f);

	/* GRE: two payload packets one way with the same call id. */
	harness_flow(&f, 47);
	na = gre(a, 0x4001, true, 0, false, 0, 60);
	feed(&f, CLS_C2S, a, na, 0, 0);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("gre"));
	na = gre(a, 0x4001, true, 1, false, 0, 48);
	feed(&f, CLS_C2S, a, na, 0, 0);
	expect(&f, "gre", CLS_LIKELY, "enhanced-gre-v1-call-id-consistent-one-dir", 2);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "gre/-/enhanced-gre-v1-call-id-consistent-one-dir/likely@pkt2");

	/* Both ways: payload, ack-only answer, payload with ack. */
	harness_flow(&f, 47);
	na = gre(a, 0x4001, true, 0, false, 0, 60);
	feed(&f, CLS_C2S, a, na, 0, 0);
	nb = gre(b, 0x8002, false, 0, true, 0, 0);
	feed(&f, CLS_S2C, b, nb, 0, 0);
	na = gre(a, 0x4001, true, 1, true, 5, 60);
	feed(&f, CLS_C2S, a, na, 0, 0);
	expect(&f, "gre", CLS_LIKELY, "enhanced-gre-v1-call-id-consistent-both-dirs", 3);

	/* Negatives: plain GRE (version 0, IPv4 payload), a changing call id,
	 * a wrong payload length, sequence going back. */
	harness_flow(&f, 47);
	for (int i = 0; i < 6; i++) {
		na = gre(a, 0x4001, true, (uint32_t)i, false, 0, 60);
		a[0] = 0x00, a[1] = 0x00, a[2] = 0x08, a[3] = 0x00;
		feed(&f, CLS_C2S, a, na, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 47);
	for (int i = 0; i < 6; i++) {
		na = gre(a, (uint16_t)(0x4001 + i), true, (uint32_t)i, false, 0, 60);
		feed(&f, CLS_C2S, a, na, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 47);
	for (int i = 0; i < 6; i++) {
		na = gre(a, 0x4001, true, (uint32_t)i, false, 0, 60);
		put16(a, 4, 61);
		feed(&f, CLS_C2S, a, na, 0, 0);
	}
	expect_none(&f);
	harness_flow(&f, 47);
	for (int i = 0; i < 6; i++) {
		na = gre(a, 0x4001, true, (uint32_t)(100 - i), false, 0, 60);
		feed(&f, CLS_C2S, a, na, 0, 0);
	}
	expect_none(&f);
}

/* ---------------------------------------------------------------- random */

static const char *const mine[] = { "ike", "esp", "l2tp", "pptp", "gre" };

static void
test_random(void)
{
	static const uint16_t ports[] = { 500, 4500, 4501, 1701, 1723 };
	static const uint8_t protos[] = { 17, 6, 50, 47 };
	uint8_t a[200];
	struct flow_insp f;
	int decided = 0;

	for (unsigned int pi = 0; pi < sizeof(protos); pi++) {
		for (unsigned int po = 0; po < sizeof(ports) / sizeof(ports[0]); po++) {
			if (protos[pi] > 17 && po > 0)
				continue; /* no ports on IP protocols */
			for (uint32_t len = 0; len <= 200; len++) {
				harness_flow(&f, protos[pi]);
				for (int k = 0; k < 2 * WIN_PKTS; k++) {
					for (uint32_t i = 0; i < len; i++)
						a[i] = rnd8();
					feed(&f, (uint8_t)(k & 1), a, len, 50000, ports[po]);
				}
				if (f.phase == FLOW_DECIDED) {
					decided++;
					fprintf(stderr, "random proto %u port %u len %u: %s (%s)\n",
						protos[pi], ports[po], len, harness_app(&f), f.check);
				}
			}
		}
	}
	CHECK_EQ(decided, 0);

	/* Random bytes behind plausible first bytes: the patterns' prefixes. */
	for (int round = 0; round < 2000; round++) {
		static const uint8_t heads[][4] = {
			{ 0xc8, 0x02, 0, 0 }, { 0xc8, 0x03, 0, 0 }, { 0x00, 0x9c, 0x00, 0x01 },
			{ 0, 0, 0, 0 }, { 0x20, 0x01, 0x88, 0x0b }, { 0x30, 0x81, 0x88, 0x0b },
		};
		unsigned int hd = (unsigned int)round % 6;
		uint8_t proto = hd == 2 ? 6 : hd >= 4 ? 47 : 17;
		uint32_t len = 8 + rnd8() % 180;

		harness_flow(&f, proto);
		for (int k = 0; k < 2 * WIN_PKTS; k++) {
			for (uint32_t i = 0; i < len; i++)
				a[i] = rnd8();
			memcpy(a, heads[hd], 4);
			if (hd == 3) /* an IKE-looking header behind the marker */
				a[21] = (k & 1) ? 0x20 : 0x10;
			feed(&f, (uint8_t)(k & 1), a, len, 50000, 4500);
		}
		for (unsigned int m = 0; m < 5; m++)
			if (f.phase == FLOW_DECIDED && strcmp(harness_app(&f), mine[m]) == 0)
				decided++;
	}
	CHECK_EQ(decided, 0);
}

/* ---------------------------------------------------------------- others still win */

static void
test_others(void)
{
	static const uint16_t ports[] = { 51820, 4500, 4501, 500, 1701 };

	for (unsigned int i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		expect_wireguard_openvpn_decide(ports[i]);
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	CHECK(h.db.any_ip);
	for (unsigned int m = 0; m < 5; m++)
		CHECK(classifier_id_by_name(mine[m]) > 0);
	test_ike();
	test_esp();
	test_l2tp();
	test_pptp_gre();
	test_random();
	test_others();
	harness_free(&h);
	CHECK_DONE();
}
