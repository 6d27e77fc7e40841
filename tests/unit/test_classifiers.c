/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the classifiers: the Hyperscan database the engine builds
 * from every descriptor must compile, and WireGuard/OpenVPN exchanges built
 * here from the wire format (plus two real OpenVPN segments from
 * ../shared/pcaps/wild/vpn/443-opvn.pcap) are driven through the engine's
 * real classification stage (cls_harness.h). Positives must decide with
 * the expected check; negatives (bad lengths, reserved bytes, mismatched
 * ids, random bytes, truncations) must decide nothing.
 */
// Build and run: ninja -C build tests/test_classifiers && build/tests/test_classifiers
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "check.h"
#include "classifier.h"
#include "cls_harness.h"
#include "cls_util.h"

/* ---------------------------------------------------------------- engine */

/*
 * The flows run through the real classification stage (cls_harness.h),
 * with a window wide enough that only the classifiers' own limits apply.
 */
static struct harness H;

struct t_flow {
	struct flow_insp in;
	uint8_t l4;
	unsigned int app;            /* decided classifier id, 0 = none */
	enum cls_result result;
	const char *check;
	const char *pattern;         /* pattern that made the decider a candidate */
	uint16_t decided_at;
};

static void
flow_init(struct t_flow *f, uint8_t l4)
{
	memset(f, 0, sizeof(*f));
	f->l4 = l4;
	harness_flow(&f->in, l4 == CLS_TCP ? 6 : 17);
}

/* One packet of the flow; len 0 = a payload-less TCP packet. */
static void
feed(struct t_flow *f, uint8_t dir, const uint8_t *payload, uint32_t len)
{
	if (f->app != 0)
		return;
	harness_feed(&H, &f->in, dir, payload, len, dir == CLS_C2S ? 40000 : 1194, dir == CLS_C2S ? 1194 : 40000);
	if (f->in.phase == FLOW_DECIDED) {
		f->app = f->in.app;
		f->result = (enum cls_result)f->in.result;
		f->check = f->in.check;
		f->pattern = f->in.pattern ? H.db.pattern[f->in.pattern - 1]->name : NULL;
		f->decided_at = f->in.decided_at_pkt;
	}
}

/* A flow as a list of packets. */
#define MAX_PKTS 16
#define MAX_LEN 2048
struct t_seq {
	uint8_t l4;
	unsigned int n;
	uint8_t dir[MAX_PKTS];
	uint32_t len[MAX_PKTS];
	uint8_t buf[MAX_PKTS][MAX_LEN];
};

static void
seq_init(struct t_seq *q, uint8_t l4)
{
	q->l4 = l4;
	q->n = 0;
}

static void
seq_add(struct t_seq *q, uint8_t dir, const uint8_t *p, uint32_t len)
{
	if (q->n >= MAX_PKTS || len > MAX_LEN) {
		fprintf(stderr, "seq_add: test sequence too long\n");
		abort();
	}
	q->dir[q->n] = dir;
	q->len[q->n] = len;
	if (len)
		memcpy(q->buf[q->n], p, len);
	q->n++;
}

static void
seq_run(const struct t_seq *q, struct t_flow *f)
{
	unsigned int i;

	flow_init(f, q->l4);
	for (i = 0; i < q->n; i++)
		feed(f, q->dir[i], q->buf[i], q->len[i]);
}

static int n_pos, n_neg;

/* Decided as app with result and check, by packet at_pkt (0 = any). */
#define EXPECT(q, app_name, res, chk, at_pkt)                                        \
	do {                                                                         \
		struct t_flow f_;                                                    \
		seq_run((q), &f_);                                                   \
		n_pos++;                                                             \
		CHECK_STR(classifier_name(f_.app), (app_name));                      \
		CHECK_EQ(f_.result, (res));                                          \
		CHECK_STR(f_.check, (chk));                                          \
		CHECK(f_.pattern != NULL);                                           \
		if ((at_pkt) != 0)                                                   \
			CHECK_EQ(f_.decided_at, (at_pkt));                           \
	} while (0)

/* Nothing decided. */
static int
undecided(const struct t_seq *q)
{
	struct t_flow f;

	n_neg++;
	seq_run(q, &f);
	if (f.app != 0) {
		fprintf(stderr, "  decided %s/%s at pkt %u\n", classifier_name(f.app), f.check, f.decided_at);
		return 0;
	}
	return 1;
}

#define EXPECT_NONE(q) CHECK(undecided(q))

/* ---------------------------------------------------------------- bytes */

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void
rnd_fill(uint8_t *p, uint32_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd32();
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------- WireGuard */

static uint32_t
wg_init(uint8_t *p, uint32_t sender)
{
	rnd_fill(p, 148);
	memset(p, 0, 4);
	p[0] = 1;
	put_le32(p + 4, sender);
	memset(p + 132, 0, 16); /* mac2: zero when not under load */
	return 148;
}

static uint32_t
wg_resp(uint8_t *p, uint32_t sender, uint32_t receiver)
{
	rnd_fill(p, 92);
	memset(p, 0, 4);
	p[0] = 2;
	put_le32(p + 4, sender);
	put_le32(p + 8, receiver);
	memset(p + 76, 0, 16);
	return 92;
}

static uint32_t
wg_cookie(uint8_t *p, uint32_t receiver)
{
	rnd_fill(p, 64);
	memset(p, 0, 4);
	p[0] = 3;
	put_le32(p + 4, receiver);
	return 64;
}

static uint32_t
wg_data(uint8_t *p, uint32_t len, uint32_t receiver, uint64_t counter)
{
	rnd_fill(p, len);
	memset(p, 0, 4);
	p[0] = 4;
	put_le32(p + 4, receiver);
	put_le64(p + 8, counter);
	return len;
}

static void
test_wireguard(void)
{
	static struct t_seq q;
	uint8_t a[MAX_LEN], b[MAX_LEN], c[MAX_LEN];
	uint32_t la, lb, i, n;
	const uint32_t I = 0x11223344, R = 0xa5a5f00d;

	/* init + response with matching index */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
	EXPECT(&q, "wireguard", CLS_CONFIRMED, "handshake-init+response-index-match", 2);

	/* retransmitted init (new index), cookie reply, init again, response */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, 1));
	seq_add(&q, CLS_C2S, a, wg_init(a, 2));
	seq_add(&q, CLS_S2C, b, wg_cookie(b, 2));
	seq_add(&q, CLS_C2S, a, wg_init(a, 3));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, 3));
	EXPECT(&q, "wireguard", CLS_CONFIRMED, "handshake-init+response-index-match", 5);

	/* capture started after the initiation: response, initiator's first data */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, b, wg_resp(b, R, I));
	seq_add(&q, CLS_S2C, c, wg_data(c, 32, R, 0));
	EXPECT(&q, "wireguard", CLS_CONFIRMED, "handshake-response+transport-index-match", 2);

	/* same, with the responder's data (to the initiator) seen first */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, b, wg_resp(b, R, I));
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, I, 0));
	seq_add(&q, CLS_S2C, c, wg_data(c, 32, R, 1));
	EXPECT(&q, "wireguard", CLS_CONFIRMED, "handshake-response+transport-index-match", 3);

	/* mid-session, both directions */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, c, wg_data(c, 128, R, 1000));
	seq_add(&q, CLS_S2C, c, wg_data(c, 96, I, 77));
	seq_add(&q, CLS_C2S, c, wg_data(c, 1440, R, 1001));
	EXPECT(&q, "wireguard", CLS_LIKELY, "transport-data-both-dirs-index-counter-consistent", 3);

	/* mid-session, one direction, keepalives */
	seq_init(&q, CLS_UDP);
	for (i = 0; i < 3; i++)
		seq_add(&q, CLS_S2C, c, wg_data(c, 32, I, 5 + 2 * i));
	EXPECT(&q, "wireguard", CLS_LIKELY, "transport-data-one-dir-index-counter-consistent", 3);

	/* mid-session then a rekey initiated by the other peer */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 9));
	seq_add(&q, CLS_S2C, a, wg_init(a, 0xdead));
	seq_add(&q, CLS_C2S, b, wg_resp(b, 0xbeef, 0xdead));
	EXPECT(&q, "wireguard", CLS_CONFIRMED, "handshake-init+response-index-match", 3);

	/* --- negatives --- */
	/* wrong lengths of the init */
	for (n = 140; n <= 156; n++) {
		if (n == 148)
			continue;
		seq_init(&q, CLS_UDP);
		wg_init(a, I);
		seq_add(&q, CLS_C2S, a, n);
		seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
		EXPECT_NONE(&q);
	}
	/* wrong lengths of the response */
	for (n = 84; n <= 100; n++) {
		if (n == 92)
			continue;
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, a, wg_init(a, I));
		wg_resp(b, R, I);
		seq_add(&q, CLS_S2C, b, n);
		EXPECT_NONE(&q);
	}
	/* non-zero reserved bytes in either message */
	for (i = 1; i <= 3; i++) {
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, a, wg_init(a, I));
		q.buf[0][i] = 1;
		seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
		EXPECT_NONE(&q);
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, a, wg_init(a, I));
		seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
		q.buf[1][i] = 0x80;
		EXPECT_NONE(&q);
	}
	/* mismatched index, and each single flipped bit of it */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, I + 1));
	EXPECT_NONE(&q);
	for (i = 0; i < 32; i++) {
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, a, wg_init(a, I));
		seq_add(&q, CLS_S2C, b, wg_resp(b, R, I ^ 1u << i));
		EXPECT_NONE(&q);
	}
	/* the response's sender index echoing the init is not the receiver index */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_S2C, b, wg_resp(b, I, R));
	EXPECT_NONE(&q);
	/* a "response" from the initiator's own side */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_C2S, b, wg_resp(b, R, I));
	EXPECT_NONE(&q);
	/* cookie reply for another index */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_S2C, b, wg_cookie(b, I + 7));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
	EXPECT_NONE(&q);
	/* random 148/92-byte datagrams starting like WireGuard */
	for (i = 0; i < 2000; i++) {
		seq_init(&q, CLS_UDP);
		rnd_fill(a, 148);
		memcpy(a, "\x01\x00\x00\x00", 4);
		seq_add(&q, CLS_C2S, a, 148);
		rnd_fill(b, 92);
		memcpy(b, "\x02\x00\x00\x00", 4);
		seq_add(&q, CLS_S2C, b, 92);
		la = 32 + 16 * (rnd32() % 8);
		rnd_fill(c, la);
		memcpy(c, "\x04\x00\x00\x00", 4);
		seq_add(&q, CLS_C2S, c, la);
		rnd_fill(c, 64);
		memcpy(c, "\x03\x00\x00\x00", 4);
		seq_add(&q, CLS_S2C, c, 64);
		EXPECT_NONE(&q);
	}
	/* random init, then a random reply of any other shape */
	for (i = 0; i < 500; i++) {
		seq_init(&q, CLS_UDP);
		rnd_fill(a, 148);
		memcpy(a, "\x01\x00\x00\x00", 4);
		seq_add(&q, CLS_C2S, a, 148);
		lb = 1 + rnd32() % 200;
		rnd_fill(b, lb);
		seq_add(&q, CLS_S2C, b, lb);
		EXPECT_NONE(&q);
	}
	/* transport: index changes, counter repeats/decreases/jumps, bad lengths */
	{
		static const struct {
			uint32_t idx2, len2;
			uint64_t ctr2;
		} bad[] = {
			{ R + 1, 64, 11 }, { R, 64, 10 }, { R, 64, 9 }, { R, 64, 10 + 70000 },
			{ R, 48 + 8, 11 }, { R, 16, 11 }, { R, 65, 11 },
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			seq_init(&q, CLS_UDP);
			seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 10));
			seq_add(&q, CLS_C2S, c, wg_data(c, bad[i].len2, bad[i].idx2, bad[i].ctr2));
			seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 12));
			EXPECT_NONE(&q);
		}
	}
	/* the same index in both directions is not two WireGuard peers */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 1));
	seq_add(&q, CLS_S2C, c, wg_data(c, 64, R, 1));
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 2));
	EXPECT_NONE(&q);
	/* two transport packets are not enough */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 1));
	seq_add(&q, CLS_C2S, c, wg_data(c, 64, R, 2));
	EXPECT_NONE(&q);
	/* response, then data to an index nobody announced */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, b, wg_resp(b, R, I));
	seq_add(&q, CLS_S2C, c, wg_data(c, 32, R + 1, 0));
	EXPECT_NONE(&q);
	/* WireGuard bytes over TCP */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, a, wg_init(a, I));
	seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
	EXPECT_NONE(&q);
	/* truncated init of every length, then the right response */
	for (n = 0; n < 148; n++) {
		seq_init(&q, CLS_UDP);
		wg_init(a, I);
		seq_add(&q, CLS_C2S, a, n);
		seq_add(&q, CLS_S2C, b, wg_resp(b, R, I));
		EXPECT_NONE(&q);
	}
	/* right init, then a truncated response of every length */
	for (n = 0; n < 92; n++) {
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, a, wg_init(a, I));
		wg_resp(b, R, I);
		seq_add(&q, CLS_S2C, b, n);
		EXPECT_NONE(&q);
	}
}

/* --------------------------------------------------------------- OpenVPN */

enum t_wrap { W_PLAIN, W_AUTH1, W_AUTH256, W_AUTH512, W_CRYPT };
static const uint32_t t_hmac[] = { 0, 20, 32, 64, 0 };
static const char *const t_check[] = {
	"hard-reset-client+server-ack-session-match",
	"hard-reset-exchange-tls-auth-sha1+ack-session-match",
	"hard-reset-exchange-tls-auth-sha256+ack-session-match",
	"hard-reset-exchange-tls-auth-sha512+ack-session-match",
	"hard-reset-exchange-tls-crypt",
};

#define T_TIME 1700000000u /* 2023-11-14 */
static const uint8_t CSID[8] = { 0xd6, 0x7b, 0xe4, 0x5b, 0xe5, 0xc2, 0x01, 0xeb };
static const uint8_t SSID[8] = { 0x19, 0x08, 0x2e, 0x80, 0xf9, 0xca, 0x52, 0x80 };

/* opcode + session id + (tls-auth HMAC | tls-crypt) replay header; returns offset. */
static uint32_t
ov_head(uint8_t *p, uint8_t first, const uint8_t *sid, enum t_wrap w, uint32_t pid, uint32_t t)
{
	uint32_t o = 0;

	p[o++] = first;
	memcpy(p + o, sid, 8);
	o += 8;
	if (w == W_PLAIN)
		return o;
	rnd_fill(p + o, t_hmac[w]);
	o += t_hmac[w];
	put_be32(p + o, pid);
	put_be32(p + o + 4, t);
	return o + 8;
}

/* Client hard reset v2; extra = bytes appended to the reliable part. */
static uint32_t
ov_client(uint8_t *p, enum t_wrap w, const uint8_t *sid, uint32_t pid, uint32_t extra)
{
	uint32_t o = ov_head(p, 0x38, sid, w, pid, T_TIME);

	if (w == W_CRYPT) { /* 32-byte tag + encrypted (ack count, msg pid) */
		rnd_fill(p + o, 32 + 5 + extra);
		return o + 32 + 5 + extra;
	}
	p[o++] = 0;              /* no acks */
	put_be32(p + o, 0);      /* message packet id */
	o += 4;
	rnd_fill(p + o, extra);
	return o + extra;
}

/* Client hard reset v3 (tls-crypt-v2): tls-crypt reset + WKc of wkc bytes. */
static uint32_t
ov_client_v3(uint8_t *p, const uint8_t *sid, uint32_t pid, uint32_t wkc)
{
	uint32_t o = ov_head(p, 0x50, sid, W_CRYPT, pid, T_TIME);

	rnd_fill(p + o, 32 + 5 + wkc);
	o += 32 + 5 + wkc;
	put_be16(p + o - 2, (uint16_t)wkc);
	return o;
}

/* Server hard reset v2 acking n_acks packets of session acked. */
static uint32_t
ov_server(uint8_t *p, enum t_wrap w, const uint8_t *sid, const uint8_t *acked, uint8_t n_acks,
	  uint32_t pid, uint32_t extra)
{
	uint32_t o = ov_head(p, 0x40, sid, w, pid, T_TIME + 1), i;

	if (w == W_CRYPT) {
		uint32_t enc = 1 + 4u * n_acks + (n_acks ? 8 : 0) + 4 + extra;

		rnd_fill(p + o, 32 + enc);
		return o + 32 + enc;
	}
	p[o++] = n_acks;
	for (i = 0; i < n_acks; i++, o += 4)
		put_be32(p + o, i);
	if (n_acks) {
		memcpy(p + o, acked, 8);
		o += 8;
	}
	put_be32(p + o, 0);
	o += 4;
	if (extra >= 6) { /* early negotiation TLV: flags, resend WKc */
		memcpy(p + o, "\x00\x01\x00\x02\x00\x01", 6);
		rnd_fill(p + o + 6, extra - 6);
	} else {
		rnd_fill(p + o, extra);
	}
	return o + extra;
}

/* Client ack (op 5) or control (op 4) after the server's reset. */
static uint32_t
ov_client_ack(uint8_t *p, uint8_t op, enum t_wrap w, const uint8_t *sid, const uint8_t *acked)
{
	uint32_t o = ov_head(p, (uint8_t)(op << 3), sid, w, 2, T_TIME);

	p[o++] = 1;
	put_be32(p + o, 0);
	o += 4;
	memcpy(p + o, acked, 8);
	o += 8;
	if (op == 4) {
		put_be32(p + o, 1);
		o += 4;
		memcpy(p + o, "\x16\x03\x01\x01\x10\x01\x00", 7); /* a ClientHello follows */
		o += 7;
	}
	return o;
}

/* TCP framing: 2-byte length + packet. */
static uint32_t
tcp_frame(uint8_t *dst, const uint8_t *pkt, uint32_t n)
{
	put_be16(dst, (uint16_t)n);
	memcpy(dst + 2, pkt, n);
	return n + 2;
}

/* Real segments of ../shared/pcaps/wild/vpn/443-opvn.pcap (TCP, tls-auth SHA1). */
static const uint8_t real_client[44] = {
	0x00, 0x2a, 0x38, 0xd6, 0x7b, 0xe4, 0x5b, 0xe5, 0xc2, 0x01, 0xeb, 0x01, 0x64, 0x35, 0xfc,
	0xb1, 0xd6, 0xf6, 0x0e, 0x1a, 0xc8, 0x8b, 0x32, 0x95, 0x46, 0xdc, 0x3c, 0x7a, 0xbf, 0x0b,
	0x9e, 0x00, 0x00, 0x00, 0x01, 0x5e, 0x3e, 0x7b, 0x98, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t real_server[56] = {
	0x00, 0x36, 0x40, 0x19, 0x08, 0x2e, 0x80, 0xf9, 0xca, 0x52, 0x80, 0x21, 0x5a, 0x4e,
	0x44, 0x15, 0x6e, 0x16, 0x06, 0x7a, 0x54, 0xfe, 0x8a, 0xe7, 0x43, 0x75, 0x8c, 0xd6,
	0x91, 0xd0, 0xd6, 0x00, 0x00, 0x00, 0x01, 0x5e, 0x3e, 0x7b, 0x98, 0x01, 0x00, 0x00,
	0x00, 0x00, 0xd6, 0x7b, 0xe4, 0x5b, 0xe5, 0xc2, 0x01, 0xeb, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t real_client_ack[52] = {
	0x00, 0x32, 0x28, 0xd6, 0x7b, 0xe4, 0x5b, 0xe5, 0xc2, 0x01, 0xeb, 0xeb, 0x07,
	0x2d, 0xaf, 0xc1, 0x91, 0xff, 0xf9, 0xb5, 0x92, 0xff, 0xd9, 0x99, 0xc4, 0x17,
	0xe6, 0x31, 0x4a, 0x9a, 0x15, 0x00, 0x00, 0x00, 0x02, 0x5e, 0x3e, 0x7b, 0x98,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x19, 0x08, 0x2e, 0x80, 0xf9, 0xca, 0x52, 0x80,
};

/* client reset + server reset, over UDP or TCP (with the 3-way handshake) */
static void
ov_exchange(struct t_seq *q, uint8_t l4, const uint8_t *cl, uint32_t cn, const uint8_t *sv,
	    uint32_t sn)
{
	uint8_t t[MAX_LEN];

	seq_init(q, l4);
	if (l4 == CLS_UDP) {
		seq_add(q, CLS_C2S, cl, cn);
		seq_add(q, CLS_S2C, sv, sn);
		return;
	}
	seq_add(q, CLS_C2S, NULL, 0); /* SYN */
	seq_add(q, CLS_S2C, NULL, 0); /* SYN-ACK */
	seq_add(q, CLS_C2S, NULL, 0); /* ACK */
	seq_add(q, CLS_C2S, t, tcp_frame(t, cl, cn));
	seq_add(q, CLS_S2C, NULL, 0);
	seq_add(q, CLS_S2C, t, tcp_frame(t, sv, sn));
}

static void
test_openvpn(void)
{
	static struct t_seq q;
	uint8_t cl[MAX_LEN], sv[MAX_LEN], t[MAX_LEN], other[8];
	uint32_t cn, sn, n, i;
	unsigned int w;
	uint8_t l4;

	memcpy(other, CSID, 8);
	other[7] ^= 1;

	/* --- positives: every framing, UDP and TCP --- */
	for (l4 = CLS_UDP; l4 <= CLS_TCP; l4++) {
		uint16_t at = l4 == CLS_UDP ? 2 : 6;

		for (w = W_PLAIN; w <= W_CRYPT; w++) {
			cn = ov_client(cl, w, CSID, 1, 0);
			sn = ov_server(sv, w, SSID, CSID, 1, 1, 0);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[w], at);
			/* server reset with the 6-byte early-negotiation TLV, 2 acks */
			sn = ov_server(sv, w, SSID, CSID, 2, 1, 6);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[w], at);
		}
		/* tls-crypt-v2: v3 reset with WKc, early-negotiation packet id */
		cn = ov_client_v3(cl, CSID, 0x0f000001, 290 + 9);
		sn = ov_server(sv, W_CRYPT, SSID, CSID, 1, 1, 6);
		ov_exchange(&q, l4, cl, cn, sv, sn);
		EXPECT(&q, "openvpn", CLS_CONFIRMED, "hard-reset-exchange-tls-crypt-v2", at);
		cn = ov_client_v3(cl, CSID, 1, 1024);
		sn = ov_server(sv, W_CRYPT, SSID, CSID, 1, 0x0f000001, 0);
		ov_exchange(&q, l4, cl, cn, sv, sn);
		EXPECT(&q, "openvpn", CLS_CONFIRMED, "hard-reset-exchange-tls-crypt-v2", at);
	}

	/* UDP: client retransmits its reset, then the server answers */
	seq_init(&q, CLS_UDP);
	cn = ov_client(cl, W_AUTH256, CSID, 1, 0);
	seq_add(&q, CLS_C2S, cl, cn);
	seq_add(&q, CLS_C2S, cl, cn);
	seq_add(&q, CLS_S2C, sv, ov_server(sv, W_AUTH256, SSID, CSID, 1, 1, 0));
	EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[W_AUTH256], 3);

	/* UDP: client restarts with a new session id; server answers the new one */
	seq_init(&q, CLS_UDP);
	seq_add(&q, CLS_C2S, cl, ov_client(cl, W_PLAIN, other, 1, 0));
	seq_add(&q, CLS_C2S, cl, ov_client(cl, W_PLAIN, CSID, 1, 0));
	seq_add(&q, CLS_S2C, sv, ov_server(sv, W_PLAIN, SSID, CSID, 1, 1, 0));
	EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[W_PLAIN], 3);

	/* the real TCP tls-auth SHA1 handshake */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, NULL, 0);
	seq_add(&q, CLS_S2C, NULL, 0);
	seq_add(&q, CLS_C2S, NULL, 0);
	seq_add(&q, CLS_C2S, real_client, sizeof(real_client));
	seq_add(&q, CLS_S2C, NULL, 0);
	seq_add(&q, CLS_S2C, real_server, sizeof(real_server));
	EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[W_AUTH1], 6);

	/* real capture joined late: server reset, then the client's ack */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, real_server, sizeof(real_server));
	seq_add(&q, CLS_S2C, real_client_ack, sizeof(real_client_ack));
	EXPECT(&q, "openvpn", CLS_LIKELY, "hard-reset-server+client-ack-session-match", 2);

	/* UDP late capture, plain and tls-auth, ack and control packets */
	for (w = W_PLAIN; w <= W_AUTH512; w++) {
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_S2C, sv, ov_server(sv, w, SSID, CSID, 1, 1, 0));
		seq_add(&q, CLS_C2S, cl, ov_client_ack(cl, w & 1 ? 4 : 5, w, CSID, SSID));
		EXPECT(&q, "openvpn", CLS_LIKELY, "hard-reset-server+client-ack-session-match", 2);
	}

	/* TCP: a later client segment before the server answers is ignored */
	seq_init(&q, CLS_TCP);
	cn = ov_client(cl, W_PLAIN, CSID, 1, 0);
	seq_add(&q, CLS_C2S, t, tcp_frame(t, cl, cn));
	seq_add(&q, CLS_C2S, (const uint8_t *)"\x00\x05junk", 7);
	sn = ov_server(sv, W_PLAIN, SSID, CSID, 1, 1, 0);
	seq_add(&q, CLS_S2C, t, tcp_frame(t, sv, sn));
	EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[W_PLAIN], 3);

	/* TCP: server's segment holds its reset and the start of the next packet */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, t, tcp_frame(t, cl, cn));
	n = tcp_frame(t, sv, sn);
	memcpy(t + n, "\x00\x30\x20\x19\x08", 5); /* P_CONTROL_V1 header */
	seq_add(&q, CLS_S2C, t, n + 5);
	EXPECT(&q, "openvpn", CLS_CONFIRMED, t_check[W_PLAIN], 2);

	/* --- negatives --- */
	for (l4 = CLS_UDP; l4 <= CLS_TCP; l4++) {
		for (w = W_PLAIN; w <= W_CRYPT; w++) {
			/* client session id zero */
			cn = ov_client(cl, w, (const uint8_t *)"\0\0\0\0\0\0\0\0", 1, 0);
			sn = ov_server(sv, w, SSID, (const uint8_t *)"\0\0\0\0\0\0\0\0", 1, 1, 0);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT_NONE(&q);
			/* key id 1 on either reset */
			cn = ov_client(cl, w, CSID, 1, 0);
			cl[0] |= 1;
			sn = ov_server(sv, w, SSID, CSID, 1, 1, 0);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT_NONE(&q);
			cl[0] &= (uint8_t)~1u;
			sv[0] |= 1;
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT_NONE(&q);
			/* server acking a different session id (tls-crypt: hidden) */
			if (w != W_CRYPT) {
				sn = ov_server(sv, w, SSID, other, 1, 1, 0);
				ov_exchange(&q, l4, cl, cn, sv, sn);
				EXPECT_NONE(&q);
				/* no acks at all */
				sn = ov_server(sv, w, SSID, CSID, 0, 1, 0);
				ov_exchange(&q, l4, cl, cn, sv, sn);
				EXPECT_NONE(&q);
				/* nine acks (more than the reliable layer sends) */
				sn = ov_server(sv, w, SSID, CSID, 9, 1, 0);
				ov_exchange(&q, l4, cl, cn, sv, sn);
				EXPECT_NONE(&q);
			}
			/* server reusing the client's session id */
			sn = ov_server(sv, w, CSID, CSID, 1, 1, 0);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT_NONE(&q);
			/* the "server reset" from the client's side */
			sn = ov_server(sv, w, SSID, CSID, 1, 1, 0);
			seq_init(&q, CLS_UDP);
			seq_add(&q, CLS_C2S, cl, cn);
			seq_add(&q, CLS_C2S, sv, sn);
			if (l4 == CLS_UDP)
				EXPECT_NONE(&q);
			/* too much payload after either reset */
			cn = ov_client(cl, w, CSID, 1, 17);
			ov_exchange(&q, l4, cl, cn, sv, sn);
			EXPECT_NONE(&q);
			cn = ov_client(cl, w, CSID, 1, 0);
			ov_exchange(&q, l4, cl, cn, sv, ov_server(sv, w, SSID, CSID, 1, 1, 17 + 28));
			EXPECT_NONE(&q);
			if (w != W_PLAIN) {
				/* replay packet id not the first, on either side */
				ov_exchange(&q, l4, cl, ov_client(cl, w, CSID, 2, 0), sv,
					    ov_server(sv, w, SSID, CSID, 1, 1, 0));
				EXPECT_NONE(&q);
				ov_exchange(&q, l4, cl, ov_client(cl, w, CSID, 0x0e000001, 0), sv,
					    ov_server(sv, w, SSID, CSID, 1, 1, 0));
				EXPECT_NONE(&q);
				ov_exchange(&q, l4, cl, ov_client(cl, w, CSID, 1, 0), sv,
					    ov_server(sv, w, SSID, CSID, 1, 3, 0));
				EXPECT_NONE(&q);
				/* implausible time: 0, 2009, 2101 */
				static const uint32_t bad_t[] = { 0, 1260000000u, 4105123200u };
				for (i = 0; i < 3; i++) {
					cn = ov_client(cl, w, CSID, 1, 0);
					put_be32(cl + 9 + t_hmac[w] + 4, bad_t[i]);
					ov_exchange(&q, l4, cl, cn, sv, ov_server(sv, w, SSID, CSID, 1, 1, 0));
					EXPECT_NONE(&q);
				}
			}
			/* truncated client reset of every length, then the right server reset */
			cn = ov_client(cl, w, CSID, 1, 0);
			sn = ov_server(sv, w, SSID, CSID, 1, 1, 0);
			for (n = 0; n < cn; n++) {
				ov_exchange(&q, l4, cl, n, sv, sn);
				EXPECT_NONE(&q);
			}
			/* right client reset, truncated server reset */
			for (n = 0; n < sn; n++) {
				if (w == W_CRYPT && n >= 9 + 8 + 32 + 17)
					break; /* still a valid encrypted length */
				ov_exchange(&q, l4, cl, cn, sv, n);
				EXPECT_NONE(&q);
			}
		}
		/* mixed framings: tls-auth SHA1 client, SHA256 server, etc. */
		for (w = W_PLAIN; w <= W_CRYPT; w++) {
			unsigned int w2 = (w + 1) % (W_CRYPT + 1);

			ov_exchange(&q, l4, cl, ov_client(cl, w, CSID, 1, 0), sv,
				    ov_server(sv, w2, SSID, CSID, 1, 1, 0));
			EXPECT_NONE(&q);
		}
		/* plain client reset with acks or a message packet id != 0 */
		cn = ov_client(cl, W_PLAIN, CSID, 1, 0);
		cl[9] = 1;
		sn = ov_server(sv, W_PLAIN, SSID, CSID, 1, 1, 0);
		ov_exchange(&q, l4, cl, cn, sv, sn);
		EXPECT_NONE(&q);
		cl[9] = 0;
		cl[13] = 1;
		ov_exchange(&q, l4, cl, cn, sv, sn);
		EXPECT_NONE(&q);
		/* a "client reset" whose ack array is well formed (it must be empty) */
		for (w = W_PLAIN; w <= W_AUTH512; w++) {
			cn = ov_server(cl, w, CSID, SSID, 1, 1, 0);
			cl[0] = 0x38;
			ov_exchange(&q, l4, cl, cn, sv, ov_server(sv, w, SSID, CSID, 1, 1, 0));
			EXPECT_NONE(&q);
		}
		/* v3: WKc length out of range or longer than the packet */
		{
			static const uint16_t bad_wkc[] = { 289, 1025, 0, 65535 };
			for (i = 0; i < 4; i++) {
				cn = ov_client_v3(cl, CSID, 1, 300);
				put_be16(cl + cn - 2, bad_wkc[i]);
				ov_exchange(&q, l4, cl, cn, sv, ov_server(sv, W_CRYPT, SSID, CSID, 1, 1, 0));
				EXPECT_NONE(&q);
			}
			/* WKc length says 290 but the tls-crypt part is too long */
			cn = ov_client_v3(cl, CSID, 1, 400);
			put_be16(cl + cn - 2, 290);
			ov_exchange(&q, l4, cl, cn, sv, ov_server(sv, W_CRYPT, SSID, CSID, 1, 1, 0));
			EXPECT_NONE(&q);
		}
		/* late capture: tls-crypt server reset (nothing visible) */
		seq_init(&q, l4);
		seq_add(&q, CLS_C2S, sv, ov_server(sv, W_CRYPT, SSID, CSID, 1, 1, 0));
		seq_add(&q, CLS_S2C, cl, ov_client(cl, W_CRYPT, CSID, 2, 40));
		if (l4 == CLS_UDP)
			EXPECT_NONE(&q);
		/* late capture: the client acks another server session, or is another client */
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, sv, ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0));
		seq_add(&q, CLS_S2C, cl, ov_client_ack(cl, 5, W_AUTH1, CSID, other));
		EXPECT_NONE(&q);
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, sv, ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0));
		seq_add(&q, CLS_S2C, cl, ov_client_ack(cl, 5, W_AUTH1, other, SSID));
		EXPECT_NONE(&q);
		/* late capture: server acking its own session id, client echoing it */
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, sv, ov_server(sv, W_PLAIN, SSID, SSID, 1, 1, 0));
		seq_add(&q, CLS_S2C, cl, ov_client_ack(cl, 5, W_PLAIN, SSID, SSID));
		EXPECT_NONE(&q);
		/* late capture: a client ack (no payload allowed) with trailing bytes */
		seq_init(&q, CLS_UDP);
		seq_add(&q, CLS_C2S, sv, ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0));
		n = ov_client_ack(cl, 5, W_AUTH1, CSID, SSID);
		cl[n++] = 0;
		seq_add(&q, CLS_S2C, cl, n);
		EXPECT_NONE(&q);
		/* late capture: server reset alone, retransmitted */
		seq_init(&q, CLS_UDP);
		for (i = 0; i < 6; i++)
			seq_add(&q, CLS_C2S, sv, ov_server(sv, W_PLAIN, SSID, CSID, 1, 1, 0));
		EXPECT_NONE(&q);
	}

	/* TCP: length field one more / one less than the segment */
	cn = ov_client(cl, W_AUTH1, CSID, 1, 0);
	sn = ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0);
	for (i = 0; i < 2; i++) {
		uint8_t t2[MAX_LEN];

		seq_init(&q, CLS_TCP);
		n = tcp_frame(t, cl, cn);
		put_be16(t, (uint16_t)(cn + 1));
		seq_add(&q, CLS_C2S, t, n);
		seq_add(&q, CLS_S2C, t2, tcp_frame(t2, sv, sn));
		EXPECT_NONE(&q);
		seq_init(&q, CLS_TCP);
		seq_add(&q, CLS_C2S, t, tcp_frame(t, cl, cn));
		n = tcp_frame(t2, sv, sn);
		put_be16(t2, (uint16_t)(i ? sn + 1 : 0));
		seq_add(&q, CLS_S2C, t2, n);
		EXPECT_NONE(&q);
	}
	/* TCP: the segment ends before the length field says, every cut */
	for (n = 2; n < cn + 2; n++) {
		uint8_t t2[MAX_LEN];

		seq_init(&q, CLS_TCP);
		tcp_frame(t, cl, cn);
		seq_add(&q, CLS_C2S, t, n);
		seq_add(&q, CLS_S2C, t2, tcp_frame(t2, sv, sn));
		EXPECT_NONE(&q);
	}
	/* TCP: a reset followed by bytes whose opcode is not OpenVPN's, per side */
	for (i = 0; i < 2; i++) {
		static const uint8_t junk[3][3] = { { 0, 16, 0xf8 }, { 0, 16, 0x10 }, { 9, 9, 0x00 } };
		uint8_t t2[MAX_LEN];

		for (unsigned int j = 0; j < 3; j++) {
			uint32_t n1 = tcp_frame(t, cl, cn), n2 = tcp_frame(t2, sv, sn);

			if (i == 0)
				memcpy(t + n1, junk[j], 3), n1 += 3;
			else
				memcpy(t2 + n2, junk[j], 3), n2 += 3;
			seq_init(&q, CLS_TCP);
			seq_add(&q, CLS_C2S, t, n1);
			seq_add(&q, CLS_S2C, t2, n2);
			EXPECT_NONE(&q);
		}
	}
	/* TCP: length field shorter than the packet: the rest is no OpenVPN packet */
	seq_init(&q, CLS_TCP);
	n = tcp_frame(t, cl, cn);
	put_be16(t, 14);
	seq_add(&q, CLS_C2S, t, n);
	sn = ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0);
	seq_add(&q, CLS_S2C, t + 1024, tcp_frame(t + 1024, sv, sn));
	EXPECT_NONE(&q);
	/* TCP: the server's reset only in its second segment */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, t, tcp_frame(t, cl, cn));
	seq_add(&q, CLS_S2C, (const uint8_t *)"\x00\x01\x28", 3);
	sn = ov_server(sv, W_AUTH1, SSID, CSID, 1, 1, 0);
	seq_add(&q, CLS_S2C, t + 1024, tcp_frame(t + 1024, sv, sn));
	EXPECT_NONE(&q);
	/* TCP: the real client reset split over two segments (not reassembled) */
	seq_init(&q, CLS_TCP);
	seq_add(&q, CLS_C2S, real_client, 3);
	seq_add(&q, CLS_C2S, real_client + 3, sizeof(real_client) - 3);
	seq_add(&q, CLS_S2C, real_server, sizeof(real_server));
	EXPECT_NONE(&q);
	/* the real client reset with its packet id altered or time implausible */
	for (i = 31; i < 37; i++) {
		uint8_t rc[sizeof(real_client)];

		memcpy(rc, real_client, sizeof(rc));
		if (i < 35)
			rc[i] ^= 0x02;            /* packet id 0x02000001 .. 3 */
		else
			rc[35] = i == 35 ? 0x4a : 0xf5; /* 2009-06, 2100-05 */
		seq_init(&q, CLS_TCP);
		seq_add(&q, CLS_C2S, rc, sizeof(rc));
		seq_add(&q, CLS_S2C, real_server, sizeof(real_server));
		EXPECT_NONE(&q);
	}
	/* the real server reset acking a session one bit off */
	for (i = 44; i < 52; i++) {
		uint8_t rs[sizeof(real_server)];

		memcpy(rs, real_server, sizeof(rs));
		rs[i] ^= 0x10;
		seq_init(&q, CLS_TCP);
		seq_add(&q, CLS_C2S, real_client, sizeof(real_client));
		seq_add(&q, CLS_S2C, rs, sizeof(rs));
		EXPECT_NONE(&q);
	}
	/* OpenVPN-looking first bytes followed by random bytes, every length */
	for (i = 0; i < 3000; i++) {
		static const uint8_t firsts[] = { 0x38, 0x50, 0x40 };
		uint32_t len1 = 1 + rnd32() % 400, len2 = 1 + rnd32() % 200;

		l4 = (i & 1) ? CLS_TCP : CLS_UDP;
		rnd_fill(cl, len1);
		rnd_fill(sv, len2);
		if (l4 == CLS_UDP) {
			cl[0] = firsts[i % 3];
			sv[0] = 0x40;
		} else {
			if (len1 < 3 || len2 < 3)
				continue;
			put_be16(cl, (uint16_t)(len1 - 2));
			cl[2] = firsts[i % 3];
			put_be16(sv, (uint16_t)(len2 - 2));
			sv[2] = 0x40;
		}
		seq_init(&q, l4);
		seq_add(&q, CLS_C2S, cl, len1);
		seq_add(&q, CLS_S2C, sv, len2);
		EXPECT_NONE(&q);
	}
	/* structured but random: plausible client reset, random-id server reset */
	for (i = 0; i < 500; i++) {
		uint8_t sid[8], acked[8];

		rnd_fill(sid, 8);
		rnd_fill(acked, 8);
		w = i % (W_CRYPT + 1);
		if (w == W_CRYPT)
			continue; /* tls-crypt hides the acked session id */
		ov_exchange(&q, (i & 1) ? CLS_TCP : CLS_UDP, cl, ov_client(cl, w, sid, 1, 0), sv,
			    ov_server(sv, w, SSID, acked, 1, 1, 0));
		EXPECT_NONE(&q);
	}
}

/* ---------------------------------------------------------------- misc */

/* Classifiers called directly, as an engine with a looser pre-filter would, and their limits. */
static void
test_direct(void)
{
	uint8_t p[MAX_LEN], b[MAX_LEN];
	struct cls_state st;
	struct cls_pkt pkt;
	struct cls_verdict v;
	uint32_t n;
	unsigned int k;

	memset(&pkt, 0, sizeof(pkt));
	pkt.payload = p;
	pkt.l4 = CLS_UDP;
	/* key id != 0 in a client reset, every framing and key id */
	for (k = 1; k < 8; k++) {
		for (unsigned int w = W_PLAIN; w <= W_CRYPT; w++) {
			memset(&st, 0, sizeof(st));
			pkt.len = ov_client(p, w, CSID, 1, 0);
			p[0] = (uint8_t)(0x38 | k);
			v = tundra_classifiers[1]->first(&pkt, st.data);
			CHECK_EQ(v.result, CLS_NO);
		}
	}
	/* transports a classifier does not handle, and an empty payload */
	memset(&st, 0, sizeof(st));
	pkt.l4 = 4;
	v = tundra_classifiers[0]->first(&pkt, st.data);
	CHECK_EQ(v.result, CLS_NO);
	pkt.len = ov_client(p, W_PLAIN, CSID, 1, 0);
	v = tundra_classifiers[1]->first(&pkt, st.data);
	CHECK_EQ(v.result, CLS_NO);
	pkt.l4 = CLS_UDP;
	pkt.len = 0;
	for (k = 0; k < tundra_n_classifiers; k++) {
		memset(&st, 0, sizeof(st));
		CHECK_EQ(tundra_classifiers[k]->first(&pkt, st.data).result, CLS_NO);
	}
	pkt.payload = NULL;
	for (k = 0; k < tundra_n_classifiers; k++) {
		memset(&st, 0, sizeof(st));
		CHECK_EQ(tundra_classifiers[k]->first(&pkt, st.data).result, CLS_NO);
		if (tundra_classifiers[k]->owned)
			CHECK_EQ(tundra_classifiers[k]->owned(&pkt, st.data).result, CLS_NO);
	}
	/*
	 * WireGuard holds an unanswered initiation only so long: the engine then
	 * gives it up. These carry a mac2 (the client holds a cookie), so they
	 * are not counted as a blocked client's retransmissions.
	 */
	struct harness wide;
	harness_init(&wide, 100, 1 << 20);
	struct flow_insp f;
	harness_flow(&f, 17);
	uint8_t wg = (uint8_t)classifier_id_by_name("wireguard");
	for (k = 0; k <= tundra_classifiers[wg - 1]->max_owned; k++) {
		n = wg_init(p, k);
		p[140] = 1;
		harness_feed(&wide, &f, CLS_C2S, p, n, 40000, 51820);
		CHECK_EQ(f.cls.owner, wg);
	}
	n = wg_init(p, 99);
	p[140] = 1;
	harness_feed(&wide, &f, CLS_C2S, p, n, 40000, 51820);
	CHECK_EQ(f.cls.owner, 0);
	CHECK(f.phase == FLOW_INSPECTING);
	/* OpenVPN ignores a client's later TCP segments only a few times */
	uint8_t ov = (uint8_t)classifier_id_by_name("openvpn");
	harness_flow(&f, 6);
	n = tcp_frame(b, p, ov_client(p, W_PLAIN, CSID, 1, 0));
	harness_feed(&wide, &f, CLS_C2S, b, n, 40000, 1194);
	CHECK_EQ(f.cls.owner, ov);
	for (k = 0; k < 20 && f.cls.owner == ov; k++)
		harness_feed(&wide, &f, CLS_C2S, b, 100, 40000, 1194);
	CHECK_EQ(f.cls.owner, 0);
	CHECK(k <= 10);
	harness_free(&wide);
}

static void
test_util(void)
{
	static const uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	uint64_t v64 = 0;

	CHECK(cls_be16(b, 8, 6, &v16) && v16 == 0x0708);
	CHECK(!cls_be16(b, 8, 7, &v16));
	CHECK(!cls_be16(b, 8, UINT32_MAX, &v16));
	CHECK(cls_be32(b, 8, 4, &v32) && v32 == 0x05060708);
	CHECK(!cls_be32(b, 8, 5, &v32));
	CHECK(!cls_be32(b, 3, 0, &v32));
	CHECK(!cls_be32(b, 8, UINT32_MAX - 1, &v32));
	CHECK(cls_le32(b, 8, 0, &v32) && v32 == 0x04030201);
	CHECK(cls_be64(b, 8, 0, &v64) && v64 == 0x0102030405060708ull);
	CHECK(!cls_be64(b, 7, 0, &v64));
	CHECK(cls_le64(b, 8, 0, &v64) && v64 == 0x0807060504030201ull);
	CHECK(!cls_all_zero(b, 8, 0, 1));
	CHECK(cls_all_zero((const uint8_t *)"\0\0\0", 3, 0, 3));
	CHECK(!cls_all_zero((const uint8_t *)"\0\0\0", 3, 1, 3));
	CHECK(cls_all_zero(b, 8, 8, 0));
	CHECK(!cls_bytes_eq(b, 8, 6, b, 3));
	CHECK(cls_bytes_eq(b, 8, 0, b, 8));
	CHECK(!cls_plausible_unix_time(0));
	CHECK(!cls_plausible_unix_time(1262303999u));
	CHECK(cls_plausible_unix_time(1262304000u));
	CHECK(cls_plausible_unix_time(0x5e3e7b98u));
	CHECK(cls_plausible_unix_time(4102444800u));
	CHECK(!cls_plausible_unix_time(4102444801u));
}

static void
test_table(void)
{
	unsigned int i, j;

	CHECK(tundra_n_classifiers >= 2);
	CHECK_EQ(classifier_id_by_name("wireguard"), 1);
	CHECK_EQ(classifier_id_by_name("openvpn"), 2);
	CHECK_EQ(classifier_id_by_name("ipsec"), -1);
	CHECK_EQ(classifier_id_by_name(NULL), -1);
	CHECK_STR(classifier_name(0), "unknown");
	CHECK_STR(classifier_name(1), "wireguard");
	CHECK_STR(classifier_name(2), "openvpn");
	CHECK_STR(classifier_name(tundra_n_classifiers + 1), "unknown");
	for (i = 0; i < tundra_n_classifiers; i++) {
		const struct classifier *c = tundra_classifiers[i];

		/* Pattern-less classifiers (esp, gre) are candidates for every payload. */
		CHECK(c->first != NULL && c->pkts_needed > 0 && c->state_size <= CLS_STATE_BYTES &&
		      (c->n_patterns > 0) == (c->patterns != NULL));
		for (j = 0; j < tundra_n_classifiers; j++)
			CHECK(j == i || tundra_classifiers[j]->priority != c->priority);
		for (j = 0; j < c->n_patterns; j++) {
			CHECK(c->patterns[j].regex[0] == '^'); /* anchored */
			CHECK((c->patterns[j].l4 & ~c->l4) == 0 && c->patterns[j].l4 != 0);
			CHECK(c->patterns[j].name != NULL);
		}
	}
}

struct t_scan {
	uint8_t l4;
	uint32_t cand; /* bit per classifier index */
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	struct t_scan *s = ctx;

	(void)from, (void)to, (void)flags;
	if (H.db.pattern[id]->l4 & s->l4)
		s->cand |= 1u << (H.db.pattern_cls[id] - 1);
	return 0;
}

/* Which classifiers a payload makes candidates, in the engine's own database. */
static uint32_t
candidates(const void *p, uint32_t n, uint8_t l4)
{
	struct t_scan s = {.l4 = l4};

	if (hs_scan(H.db.db, p, n, 0, H.ctx.scratch, on_match, &s) != HS_SUCCESS)
		return ~0u;
	return s.cand;
}

static void
test_patterns(void)
{
	uint8_t p[200];

	memset(p, 0, sizeof(p));
	p[0] = 1;
	CHECK_EQ(candidates(p, 148, CLS_UDP), 1u << 0);
	CHECK_EQ(candidates(p, 148, CLS_TCP), 0);
	p[0] = 4;
	CHECK_EQ(candidates(p, 32, CLS_UDP), 1u << 0);
	p[1] = 1;
	CHECK_EQ(candidates(p, 32, CLS_UDP), 0);
	p[1] = 0;
	p[0] = 0x38;
	CHECK_EQ(candidates(p, 14, CLS_UDP), 1u << 1);
	CHECK_EQ(candidates(p, 13, CLS_UDP), 0);
	CHECK_EQ(candidates(p, 14, CLS_TCP), 0);
	p[0] = 0x39;
	CHECK_EQ(candidates(p, 14, CLS_UDP), 0);
	p[0] = 0;
	p[1] = 14;
	p[2] = 0x40;
	CHECK_EQ(candidates(p, 16, CLS_TCP), 1u << 1);
	CHECK_EQ(candidates(p, 16, CLS_UDP), 0);
	CHECK_EQ(candidates(real_client, sizeof(real_client), CLS_TCP), 1u << 1);
}

int
main(void)
{
	harness_init(&H, 100, 1 << 20);
	{
		unsigned int want = 0;
		for (unsigned int k = 0; k < tundra_n_classifiers; k++)
			want += tundra_classifiers[k]->n_patterns;
		CHECK_EQ(H.db.n_patterns, want); /* every pattern of the table compiled */
	}
	test_util();
	test_table();
	test_patterns();
	test_wireguard();
	test_openvpn();
	test_direct();
	fprintf(stderr, "%u patterns compiled; %d positive flows, %d negative flows\n", H.db.n_patterns, n_pos, n_neg);
	harness_free(&H);
	CHECK_DONE();
}
