/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard and OpenVPN seen from one side only (an asymmetric route, a tap
 * on one direction) and OpenVPN picked up mid-session, driven through the
 * engine's real classification stage (cls_harness.h). Each one-direction
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

/* TCP: the side's packets framed (2-byte length) and sent as one stream cut at cuts[] (ascending). */
static void run_tcp(struct flow_insp *f, const struct side *s, uint16_t src, uint16_t dst, const uint32_t *cuts,
		    unsigned int n_cuts)
{
	static uint8_t stream[16 * (MAXP + 2)];
	uint32_t len = 0, from = 0;

	for (unsigned int i = 0; i < s->n; i++) {
		put16(stream, len, (uint16_t)s->len[i]);
		memcpy(stream + len + 2, s->buf[i], s->len[i]);
		len += 2 + s->len[i];
	}
	harness_flow(f, 6);
	harness_feed(&h, f, CLS_C2S, NULL, 0, src, dst); /* SYN */
	for (unsigned int i = 0; i <= n_cuts; i++) {
		uint32_t to = i < n_cuts && cuts[i] < len ? cuts[i] : len;

		if (to > from)
			harness_feed(&h, f, CLS_C2S, stream + from, to - from, src, dst);
		from = to;
	}
}

/* TCP, one packet per segment. */
static void run_tcp_each(struct flow_insp *f, const struct side *s, uint16_t src, uint16_t dst)
{
	uint32_t cuts[16], at = 0;

	for (unsigned int i = 0; i < s->n; i++)
		cuts[i] = at += 2 + s->len[i];
	run_tcp(f, s, src, dst, cuts, s->n);
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

/* -------------------------------------------------------------- OpenVPN */

enum wrap { W_PLAIN, W_CRYPT, W_AUTH1, W_AUTH256, W_AUTH512, W_N };
static const uint32_t hmac_len[W_N] = { 0, 0, 20, 32, 64 };
static const char *const name[W_N] = { "plain", "tls-crypt", "tls-auth-sha1", "tls-auth-sha256", "tls-auth-sha512" };

#define TIME_C 1700000000u
#define TIME_S 1700000003u
#define CSID 0xd67be45be5c201ebull
#define SSID 0x19082e80f9ca5280ull

/* A control packet: opcode byte, session id, the wrap's header, the reliable part, payload. */
struct ctl {
	uint8_t op;             /* opcode << 3 | key id */
	uint64_t sid;
	enum wrap w;
	uint32_t pid, time;     /* replay header (tls-auth, tls-crypt) */
	uint8_t n_acks;
	uint64_t acked;         /* peer session id, when n_acks */
	int msg_pid;            /* < 0: none (P_ACK_V1) */
	uint32_t payload;       /* bytes after it */
	uint32_t wkc;           /* tls-crypt-v2: WKc appended (its last 2 bytes its length) */
};

static uint32_t ctl(uint8_t *p, const struct ctl *c)
{
	uint32_t o = put8(p, 0, c->op);

	o = put64(p, o, c->sid);
	if (c->w != W_PLAIN) {
		if (c->w != W_CRYPT)
			o = rndfill(p, o, hmac_len[c->w]);
		o = put32(p, o, c->pid);
		o = put32(p, o, c->time);
	}
	if (c->w == W_CRYPT) {
		/* the tag, then the reliable part and payload encrypted: random bytes of their length */
		uint32_t enc = 1 + 4u * c->n_acks + (c->n_acks ? 8 : 0) + (c->msg_pid >= 0 ? 4 : 0) + c->payload;

		o = rndfill(p, o, 32 + enc + c->wkc);
		if (c->wkc)
			put16(p, o - 2, (uint16_t)c->wkc);
		return o;
	}
	o = put8(p, o, c->n_acks);
	for (uint32_t i = 0; i < c->n_acks; i++)
		o = put32(p, o, i);
	if (c->n_acks)
		o = put64(p, o, c->acked);
	if (c->msg_pid >= 0)
		o = put32(p, o, (uint32_t)c->msg_pid);
	return rndfill(p, o, c->payload);
}

/*
 * One side's first packets: its hard reset, then P_CONTROL_V1 (acking the
 * peer's reset, with a TLS record), P_ACK_V1, P_CONTROL_V1, P_ACK_V1, ...
 * server: the server's side; v3: the client's reset is v3 and its first
 * control packet P_CONTROL_WKC_V1.
 */
static void ov_side(struct side *s, enum wrap w, bool server, bool v3, unsigned int pkts)
{
	uint8_t p[MAXP];
	struct ctl c = {
		.op = server ? 0x40 : v3 ? 0x50 : 0x38,
		.sid = server ? SSID : CSID,
		.w = v3 ? W_CRYPT : w,
		.pid = v3 ? 0x0f000001u : 1,
		.time = server ? TIME_S : TIME_C,
		.n_acks = server,
		.acked = server ? CSID : SSID,
		.msg_pid = 0,
		.payload = 0,
		.wkc = v3 ? 299 : 0,
	};

	s->n = 0;
	side_add(s, p, ctl(p, &c));
	c.wkc = 0;
	for (unsigned int i = 1; i < pkts; i++) {
		c.pid++;
		c.op = i & 1 ? 0x20 : 0x28;
		c.n_acks = (uint8_t)(i & 1 ? 1 : 1 + i % 3);
		c.acked = server ? CSID : SSID;
		c.msg_pid = i & 1 ? (int)(i + 1) / 2 : -1;
		c.payload = i & 1 ? 200 + 40 * i : 0;
		if (v3 && i == 1) {
			c.op = 0x58;
			c.wkc = 299;
		}
		side_add(s, p, ctl(p, &c));
		c.wkc = 0;
	}
}

static const char *ov_check(enum wrap w, bool server, bool v3)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "hard-reset-%s+control-one-dir-%s", server ? "server" : v3 ? "client-v3" : "client",
		 v3 ? "tls-crypt-v2" : name[w]);
	return buf;
}

/* Flow f decided by the one-direction path of (w, server, v3) at at. */
static void expect_ov(const struct flow_insp *f, enum wrap w, bool server, bool v3, uint16_t at)
{
	expect_side(f, "openvpn", ov_check(w, server, v3), at,
		    server ? CLS_SERVER_C2S_SENDER : CLS_SERVER_S2C_SENDER);
}

static void test_ov_positives(void)
{
	static struct side s;
	struct flow_insp f;
	uint8_t p[MAXP];

	for (int w = W_PLAIN; w < W_N; w++)
		for (int server = 0; server <= 1; server++)
			for (int v3 = 0; v3 <= (w == W_CRYPT && !server); v3++) {
				uint16_t src = server ? 1194 : CP, dst = server ? CP : 1194;

				ov_side(&s, (enum wrap)w, server, v3, 3);
				run_udp(&f, &s, src, dst);
				expect_ov(&f, (enum wrap)w, server, v3, 3);
				/* TCP, one packet per segment: SYN + 3 */
				run_tcp_each(&f, &s, src, dst);
				expect_ov(&f, (enum wrap)w, server, v3, 4);
				/* TCP, all three in one segment */
				run_tcp(&f, &s, src, dst, NULL, 0);
				expect_ov(&f, (enum wrap)w, server, v3, 2);
				/* TCP, the second packet spanning two segments: not counted, the 4th is */
				ov_side(&s, (enum wrap)w, server, v3, 4);
				uint32_t a = 2 + s.len[0], b = a + 2 + s.len[1], cuts[] = { a, a + 20, b + 2 + s.len[2] };
				run_tcp(&f, &s, src, dst, cuts, 3);
				expect_ov(&f, (enum wrap)w, server, v3, 5);
			}

	/* UDP: the client's reset sent twice (the next replay id), then its control packets */
	{
		struct ctl c = { .op = 0x38, .sid = CSID, .w = W_AUTH256, .pid = 1, .time = TIME_C, .msg_pid = 0 };

		s.n = 0;
		side_add(&s, p, ctl(p, &c));
		c.pid = 2;
		side_add(&s, p, ctl(p, &c));
		c = (struct ctl){ .op = 0x20, .sid = CSID, .w = W_AUTH256, .pid = 3, .time = TIME_C, .n_acks = 1,
				  .acked = SSID, .msg_pid = 1, .payload = 300 };
		side_add(&s, p, ctl(p, &c));
		c.op = 0x28, c.pid = 4, c.msg_pid = -1, c.payload = 0;
		side_add(&s, p, ctl(p, &c));
		run_udp(&f, &s, CP, 1194);
		expect_ov(&f, W_AUTH256, false, false, 4);
	}

	/* both directions still decide on the reset exchange */
	ov_side(&s, W_PLAIN, false, false, 1);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, s.buf[0], s.len[0], CP, 1194);
	ov_side(&s, W_PLAIN, true, false, 1);
	feed(&f, CLS_S2C, s.buf[0], s.len[0], CP, 1194);
	expect(&f, "openvpn", CLS_CONFIRMED, "hard-reset-client+server-ack-session-match", 2);
	CHECK_EQ(f.server, CLS_SERVER_S2C_SENDER);
}

/* Each near miss: the third packet of a one-direction sequence changed. */
static void test_ov_negatives(void)
{
	static struct side s, t;
	struct flow_insp f;
	uint32_t n, i;

	for (int w = W_PLAIN; w < W_N; w++)
		for (int server = 0; server <= 1; server++) {
			uint16_t src = server ? 1194 : CP, dst = server ? CP : 1194;
			uint32_t ro = 9 + hmac_len[w];                /* replay header */
			uint32_t rel = w == W_PLAIN ? 9 : ro + 8;     /* reliable part (not tls-crypt) */

			ov_side(&t, (enum wrap)w, server, false, 3);
			/* the packet after the reset, and the one after that, changed in one field */
			for (unsigned int k = 1; k <= 2; k++)
				for (i = 0; i < 12; i++) {
					s = t;
					uint8_t *q = s.buf[k];
					uint32_t *len = &s.len[k];

					switch (i) {
					case 0: q[8] ^= 1; break;                        /* session id */
					case 1: q[0] |= 1; break;                        /* key id */
					case 2: q[0] = 0x30; break;                      /* P_DATA_V1 */
					case 3: q[0] = 0x18; break;                      /* soft reset */
					case 4: q[0] = 0x58; break;                      /* WKc without a v3 reset */
					case 5:                                          /* replay id: the same again */
						if (w == W_PLAIN)
							q[rel] = 9;                      /* too many acks */
						else
							put32(q, ro, k);
						break;
					case 6:                                          /* replay id: 5 ahead */
						if (w == W_PLAIN)
							*len = rel + 1;                  /* cut inside the ack array */
						else
							put32(q, ro, k + 1 + 5);
						break;
					case 7:                                          /* another time */
						if (w == W_PLAIN)
							put64(q, rel + 1 + 4u * q[rel], server ? SSID : CSID); /* acks itself */
						else
							q[ro + 7] ^= 1;
						break;
					case 8:                                          /* time implausible */
						if (w == W_PLAIN)
							put64(q, rel + 1 + 4u * q[rel], 0);
						else
							put32(q, ro + 4, 12345);
						break;
					case 9:                                          /* acks another session */
						if (w == W_CRYPT)
							*len = k == 1 ? 9 + 8 + 32 + 5 : *len + 1; /* no payload / not an ack's length */
						else
							q[rel + 1 + 4u * q[rel]] ^= 0x80;
						break;
					case 10:                                         /* P_ACK with a byte more / P_CONTROL without payload */
						if (w == W_CRYPT && k == 1)
							q[0] = 0x28; /* an ack as long as a control packet */
						else if (w == W_CRYPT)
							*len = 9 + 8 + 32 + 1 + 4 * 9 + 8; /* an ack of 9 ids */
						else if (k == 2)
							(*len)++;
						else
							*len = rel + 1 + 4 + 8 + 4;
						break;
					case 11:                                         /* message packet id 0 / beyond 255 */
						if (w == W_CRYPT) {
							q[0] = 0x28; /* an ack whose length no ack has */
							*len = 9 + 8 + 32 + 1 + 4 + 8 + 3;
						} else if (k == 1) {
							put32(q, rel + 1 + 4 + 8, 0);
						} else {
							q[0] = 0x20;
							put32(q, rel + 1 + 4u * q[rel] + 8, 300);
							*len = rel + 1 + 4u * q[rel] + 8 + 4 + 10;
						}
						break;
					}
					run_udp(&f, &s, src, dst);
					expect_not(&f, "openvpn");
					run_tcp_each(&f, &s, src, dst);
					expect_not(&f, "openvpn");
				}
			/* a second ack naming another peer session than the first */
			if (w != W_CRYPT) {
				s = t;
				put64(s.buf[2], rel + 1 + 4u * s.buf[2][rel], 0x0102030405060708ull);
				run_udp(&f, &s, src, dst);
				expect_none(&f);
			}
			/*
			 * Every truncation of every packet, up to where a shorter one is
			 * still well formed (a control packet with less payload; a
			 * tls-crypt length the encrypted part can have).
			 */
			for (unsigned int k = 0; k < t.n; k++)
				for (n = 0; n < t.len[k]; n++) {
					uint32_t hdr = w == W_CRYPT ? 9 + 8 + 32 + 5 : rel + 1 + 4 + 8 + 4;

					if (k == 1 && n > hdr)
						break;
					if (w == W_CRYPT && k == 2 && n >= 9 + 8 + 32 + 1 + 4 + 8)
						break;
					s = t;
					s.len[k] = n;
					run_udp(&f, &s, src, dst);
					expect_not(&f, "openvpn");
				}
			/* the reset and one more packet only: not enough */
			s = t;
			s.n = 2;
			run_udp(&f, &s, src, dst);
			harness_end(&h, &f);
			expect_none(&f);
		}

	/* the client's resets alone, retransmitted (plain: the same 14 bytes) */
	ov_side(&t, W_PLAIN, false, false, 1);
	s.n = 0;
	for (i = 0; i < 6; i++)
		side_add(&s, t.buf[0], t.len[0]);
	run_udp(&f, &s, CP, 1194);
	expect_none(&f);

	/* a valid reset followed by random bytes behind the right opcode and session id */
	for (i = 0; i < 2000; i++) {
		enum wrap w = (enum wrap)(i % W_N);
		bool server = i & 8;

		ov_side(&t, w, server, false, 1);
		s = t;
		for (unsigned int k = 1; k < 6; k++) {
			uint8_t q[MAXP];

			n = 14 + rnd8() % 120;
			rndfill(q, 0, n);
			q[0] = k & 1 ? 0x20 : 0x28;
			put64(q, 1, server ? SSID : CSID);
			side_add(&s, q, n);
		}
		run_udp(&f, &s, server ? 1194 : CP, server ? CP : 1194);
		expect_none(&f);
	}
}

/* ----------------------------------------------------- OpenVPN data channel */

#define DATA_ONE "data-v2-one-dir-peer-id-packet-id-rising"
#define DATA_BOTH "data-v2-both-dirs-peer-id-packet-id-rising"

static uint32_t ov_data(uint8_t *p, uint8_t op, uint32_t peer, uint32_t pid, uint32_t len)
{
	rndfill(p, 0, len);
	put32(p, 0, (uint32_t)op << 24 | (peer & 0xffffff));
	put32(p, 4, pid);
	return len;
}

static void test_ov_data(void)
{
	static struct side s;
	struct flow_insp f;
	uint8_t p[MAXP];
	uint32_t i, n;

	/* one direction: 4 AEAD packets, packet ids 3..6 (the mid-session capture) */
	s.n = 0;
	for (i = 3; i <= 6; i++)
		side_add(&s, p, ov_data(p, 0x48, 0, i, 108));
	run_udp(&f, &s, CP, 1194);
	expect_side(&f, "openvpn", DATA_ONE, 4, CLS_SERVER_UNSAID);
	run_udp(&f, &s, 1194, CP);
	expect_side(&f, "openvpn", DATA_ONE, 4, CLS_SERVER_UNSAID);
	run_tcp_each(&f, &s, CP, 443);
	expect_side(&f, "openvpn", DATA_ONE, 5, CLS_SERVER_UNSAID);
	run_tcp(&f, &s, CP, 443, (const uint32_t[]){ 110, 150 }, 2); /* one packet spans: not counted */
	expect_none(&f);
	/* another key id, a peer id, steps of up to 64, the shortest packet (a keepalive) */
	s.n = 0;
	side_add(&s, p, ov_data(p, 0x4b, 0x0102, 1000, 40));
	side_add(&s, p, ov_data(p, 0x4b, 0x0102, 1001, 1400));
	side_add(&s, p, ov_data(p, 0x4b, 0x0102, 1065, 200));
	side_add(&s, p, ov_data(p, 0x4b, 0x0102, 1066, 200));
	run_udp(&f, &s, CP, 1194);
	expect_side(&f, "openvpn", DATA_ONE, 4, CLS_SERVER_UNSAID);
	/* the peer id a server never set (0xffffff) */
	s.n = 0;
	for (i = 1; i <= 4; i++)
		side_add(&s, p, ov_data(p, 0x48, 0xffffff, i, 100));
	run_udp(&f, &s, CP, 1194);
	expect_side(&f, "openvpn", DATA_ONE, 4, CLS_SERVER_UNSAID);

	/* both directions, 2 each */
	harness_flow(&f, 17);
	for (i = 1; i <= 2; i++) {
		feed(&f, CLS_C2S, p, ov_data(p, 0x48, 7, i, 108), CP, 1194);
		feed(&f, CLS_S2C, p, ov_data(p, 0x48, 7, i + 40, 108), CP, 1194);
	}
	expect(&f, "openvpn", CLS_LIKELY, DATA_BOTH, 4);
	CHECK_EQ(f.server, CLS_SERVER_UNSAID);

	/* near misses, the 3rd packet changed */
	for (i = 0; i < 11; i++) {
		s.n = 0;
		for (uint32_t k = 0; k < 4; k++) {
			n = ov_data(p, 0x48, 5, 10 + k, 108);
			if (k == 2) {
				switch (i) {
				case 0: p[0] = 0x49; break;                       /* key id changed */
				case 1: p[3] = 6; break;                          /* peer id changed */
				case 2: put32(p, 4, 11); break;                   /* packet id again */
				case 3: put32(p, 4, 11 + 65); break;              /* too far ahead */
				case 4: put32(p, 4, 9); break;                    /* backwards */
				case 5: n = 39; break;                            /* too short */
				case 6: memset(p + 8, 0, 4); break;               /* a tag of zeros: not a MAC */
				case 7: p[0] = 0x30; break;                       /* P_DATA_V1 */
				case 8: put32(p, 4, 0); break;                    /* packet id 0 */
				case 9: p[1] = 1; break;                          /* peer id 0x10005 */
				case 10: p[0] = 0x38; break;                      /* a control opcode */
				}
			}
			side_add(&s, p, n);
		}
		run_udp(&f, &s, CP, 1194);
		expect_not(&f, "openvpn");
	}
	/* a peer id of 0x10000 or more, three packets only, different peer ids each way */
	s.n = 0;
	for (i = 0; i < 6; i++)
		side_add(&s, p, ov_data(p, 0x48, 0x123456, i + 1, 100));
	run_udp(&f, &s, CP, 1194);
	expect_none(&f);
	s.n = 0;
	for (i = 0; i < 3; i++)
		side_add(&s, p, ov_data(p, 0x48, 0, i + 1, 100));
	run_udp(&f, &s, CP, 1194);
	harness_end(&h, &f);
	expect_none(&f);
	harness_flow(&f, 17);
	for (i = 1; i <= 3; i++) {
		feed(&f, CLS_C2S, p, ov_data(p, 0x48, 1, i, 108), CP, 7000);
		feed(&f, CLS_S2C, p, ov_data(p, 0x48, 2, i, 108), CP, 7000);
	}
	expect_not(&f, "openvpn");

	/* ESP-in-UDP with such an SPI on its own ports is left to esp */
	static const uint16_t ipsec[] = { 500, 4500, 4501, 10000 };
	for (i = 0; i < 4; i++) {
		s.n = 0;
		for (uint32_t k = 1; k <= 5; k++)
			side_add(&s, p, ov_data(p, 0x48, 0x0012, k, 120));
		run_udp(&f, &s, CP, ipsec[i]);
		expect_not(&f, "openvpn");
		run_udp(&f, &s, ipsec[i], ipsec[i]);
		expect_not(&f, "openvpn");
	}

	/* random one-direction flows with data-channel first bytes; constant header, random packet ids */
	for (i = 0; i < 4000; i++) {
		s.n = 0;
		for (uint32_t k = 0; k < 8; k++) {
			n = 40 + rnd8() % 200;
			rndfill(p, 0, n);
			p[0] = (uint8_t)(0x48 + (i & 7));
			if (i & 8)
				p[1] = p[2] = p[3] = 0;
			if (i & 16)
				p[4] = p[5] = 0;
			side_add(&s, p, n);
		}
		run_udp(&f, &s, i & 32 ? CP : 1194, i & 32 ? 1194 : CP);
		expect_none(&f);
	}
}

/* Random one-direction UDP and TCP flows on OpenVPN's ports behind every OpenVPN first byte. */
static void test_ov_random(void)
{
	static const uint8_t firsts[] = { 0x38, 0x40, 0x50, 0x20, 0x28, 0x58, 0x48 };
	static const uint16_t ports[] = { 1194, 443, 5000 };
	static struct side s;
	struct flow_insp f;
	uint8_t p[MAXP];

	for (uint32_t i = 0; i < 6000; i++) {
		bool tcp = i & 1;
		uint16_t port = ports[i % 3];

		s.n = 0;
		for (uint32_t k = 0; k < 8; k++) {
			uint32_t n = 1 + rnd8() % 150 + (uint32_t)rnd8();

			rndfill(p, 0, n);
			p[0] = firsts[(i / 2 + k) % 7];
			side_add(&s, p, n);
		}
		if (tcp) {
			/* right lengths, so every packet's header is read */
			run_tcp_each(&f, &s, i & 2 ? CP : port, i & 2 ? port : CP);
		} else {
			run_udp(&f, &s, i & 2 ? CP : port, i & 2 ? port : CP);
		}
		expect_none(&f);
	}
}

int
main(void)
{
	harness_init(&h, WIN_PKTS, WIN_BYTES);
	test_wg_positives();
	test_wg_negatives();
	test_ov_positives();
	test_ov_negatives();
	test_ov_data();
	test_ov_random();
	harness_free(&h);
	CHECK_DONE();
}
