/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello reassembly in the engine's classification stage
 * (engine/packet/classify.c through cls_harness.h): a TLS ClientHello split over
 * TCP segments -- 2, 3, many, every byte alone, every cut point -- gives
 * the JA4 and SNI the whole one gives and reaches the validators as one
 * payload; retransmissions (exact, partial, coalesced) are ignored; a gap,
 * the server speaking first, too many segments or a bad header give up and
 * hand the validators what was gathered; oversized or inconsistent record
 * lengths never take a buffer; an empty pool is counted and costs only the
 * JA4; a stalled reassembly yields its buffer; and every buffer comes back.
 * ClientHello builders come from test_tls.c.
 */
#define TLS_TEST_NO_MAIN
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_tls.c"
#pragma GCC diagnostic pop

#include "cls_harness.h"

static struct harness h;

#define ISN 1000000u
#define FORTINET classifier_id_by_name("fortinet")

/* A Chrome-like ClientHello record of `total` bytes (0: its natural size), padded with extension 21. */
static uint32_t
hello(uint8_t *out, const char *sni, uint32_t total)
{
	struct tb t;
	struct tls_client_hello ch;
	uint32_t n = tb_chrome(&t, sni), el, pad;

	memcpy(out, t.b, n);
	if (total <= n + 4)
		return n;
	CHECK_EQ(tls_parse_client_hello(out, n, false, &ch), TLS_OK);
	el = (uint32_t)(ch.extensions.p - out) - 2;
	pad = total - n - 4;
	out[n] = 0x00, out[n + 1] = 0x15, out[n + 2] = (uint8_t)(pad >> 8), out[n + 3] = (uint8_t)pad;
	memset(out + n + 4, 0, pad);
	out[3] = (uint8_t)((total - 5) >> 8), out[4] = (uint8_t)(total - 5);
	out[6] = (uint8_t)((total - 9) >> 16), out[7] = (uint8_t)((total - 9) >> 8), out[8] = (uint8_t)(total - 9);
	out[el] = (uint8_t)((ch.extensions.len + 4 + pad) >> 8), out[el + 1] = (uint8_t)(ch.extensions.len + 4 + pad);
	return total;
}

static void
tcp_open(struct flow_insp *f)
{
	harness_flow(f, 6);
	harness_feed(&h, f, CLS_C2S, NULL, 0, 50000, 443);
	harness_feed(&h, f, CLS_S2C, NULL, 0, 443, 50000);
	harness_feed(&h, f, CLS_C2S, NULL, 0, 50000, 443);
}

/* Client bytes b[off..off+n) as one segment. */
static void
seg(struct flow_insp *f, const uint8_t *b, uint32_t off, uint32_t n)
{
	harness_feed_seq(&h, f, CLS_C2S, b + off, n, 50000, 443, ISN + off);
}

static void
srv(struct flow_insp *f, const uint8_t *b, uint32_t n)
{
	harness_feed_seq(&h, f, CLS_S2C, b, n, 443, 50000, 7000 + f->tcp_off[CLS_S2C]);
}

/* What the whole record in one segment gives. */
struct ref {
	char ja4[37], sni[64];
	uint8_t owner, phase;
};

static struct ref
whole(const uint8_t *b, uint32_t n)
{
	struct flow_insp f;
	struct ref r;

	tcp_open(&f);
	seg(&f, b, 0, n);
	memcpy(r.ja4, f.facts.ja4, sizeof(r.ja4));
	memcpy(r.sni, f.facts.sni, sizeof(r.sni));
	r.owner = f.cls.owner;
	r.phase = f.phase;
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	return r;
}

/* Feeds b[0..n) cut at cuts[0..k) (ascending) in order; checks the flow against the whole record. */
static void
split(const uint8_t *b, uint32_t n, const uint32_t *cuts, unsigned int k, const struct ref *want)
{
	struct flow_insp f;
	uint32_t at = 0;
	uint64_t done = h.ctx.ctr->reasm_done;

	tcp_open(&f);
	for (unsigned int i = 0; i <= k; i++) {
		uint32_t end = i < k ? cuts[i] : n;

		seg(&f, b, at, end - at);
		/* nothing of the record reaches a validator before it is whole */
		if (i < k)
			CHECK(f.reasm != 0 && f.win_pkts[CLS_C2S] == 0 && f.cls.owner == 0);
		at = end;
	}
	CHECK_STR(f.facts.ja4, want->ja4);
	CHECK_STR(f.facts.sni, want->sni);
	CHECK_EQ(f.cls.owner, want->owner);
	CHECK_EQ(f.phase, want->phase);
	CHECK_EQ(f.reasm, 0);
	CHECK_EQ(f.win_pkts[CLS_C2S], 1); /* the record counts as one packet */
	CHECK_EQ(f.tcp_off[CLS_C2S], n);
	CHECK_EQ(h.ctx.ctr->reasm_done, done + (k > 0));
	harness_end(&h, &f);
}

static void
pool_full(void)
{
	CHECK_EQ(h.ctx.reasm_n_free, h.ctx.reasm_bufs);
	CHECK_EQ(h.ctx.reasm_oldest, 0);
}

static uint8_t rec[CLASSIFY_REASM_CAP + 2048];

static void
test_splits(void)
{
	static const uint32_t sizes[] = { 0, 1800, 6000, CLASSIFY_REASM_CAP };

	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = hello(rec, "www.example.com", sizes[s]), cuts[300], k;
		struct ref r = whole(rec, n);

		CHECK(strncmp(r.ja4, "t13d15", 6) == 0);
		CHECK_STR(r.sni, "www.example.com");
		CHECK_EQ(r.owner, FORTINET); /* it waits for the server on any ClientHello */
		/* 2 segments: at a typical MSS, inside the headers, one byte short */
		cuts[0] = n > 1460 ? 1460 : n / 2;
		split(rec, n, cuts, 1, &r);
		cuts[0] = 3;
		split(rec, n, cuts, 1, &r);
		cuts[0] = n - 1;
		split(rec, n, cuts, 1, &r);
		/* 3 segments */
		cuts[0] = 100, cuts[1] = n - 50;
		split(rec, n, cuts, 2, &r);
		/* many: 200 segments */
		for (k = 0; k < 199; k++)
			cuts[k] = (uint32_t)((uint64_t)n * (k + 1) / 200);
		split(rec, n, cuts, 199, &r);
		pool_full();
	}
	/* the natural one: every cut point, and every byte its own segment (fewer than the segment cap) */
	{
		uint32_t n = hello(rec, "www.example.com", 0), cuts[1024];
		struct ref r = whole(rec, n);

		CHECK(n < CLASSIFY_REASM_MAX_SEGS && n < sizeof(cuts) / sizeof(cuts[0]));
		for (uint32_t c = 1; c < n; c++)
			split(rec, n, &c, 1, &r);
		for (uint32_t c = 1; c < n; c++)
			cuts[c - 1] = c;
		split(rec, n, cuts, n - 1, &r);
	}
	pool_full();
}

/* More client bytes with the record's last segment: the validators get them after the record. */
static void
test_tail(void)
{
	uint32_t n = hello(rec, "tail.example", 2000);
	struct ref r = whole(rec, n);
	struct flow_insp f;

	memset(rec + n, 0x17, 300); /* the start of an application-data record (early data) */
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	seg(&f, rec, 1000, n + 300 - 1000);
	CHECK_STR(f.facts.ja4, r.ja4);
	CHECK_STR(f.facts.sni, "tail.example");
	CHECK_EQ(f.tcp_off[CLS_C2S], n + 300);
	CHECK_EQ(f.win_pkts[CLS_C2S], 1);
	CHECK_EQ(f.win_bytes[CLS_C2S], n + 300);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	pool_full();
}

static void
test_retransmissions(void)
{
	uint32_t n = hello(rec, "rtx.example", 3000);
	struct ref r = whole(rec, n);
	struct flow_insp f;
	uint64_t done = h.ctx.ctr->reasm_done;

	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	seg(&f, rec, 0, 1000);   /* the first segment again */
	seg(&f, rec, 500, 500);  /* a piece of it */
	seg(&f, rec, 1000, 1000);
	seg(&f, rec, 1000, 1000);
	seg(&f, rec, 1500, 1000); /* half old, half new: coalesced on retransmission */
	CHECK(f.reasm != 0);
	CHECK_EQ(f.tcp_off[CLS_C2S], 2500);
	seg(&f, rec, 2500, n - 2500);
	CHECK_STR(f.facts.ja4, r.ja4);
	CHECK_STR(f.facts.sni, "rtx.example");
	CHECK_EQ(h.ctx.ctr->reasm_done, done + 1);
	CHECK_EQ(f.win_pkts[CLS_C2S], 1);
	harness_end(&h, &f);

	/* a retransmission after the record is whole is an ordinary later segment */
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	seg(&f, rec, 1000, n - 1000);
	seg(&f, rec, 1000, n - 1000);
	CHECK_STR(f.facts.ja4, r.ja4);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);

	/* sequence numbers wrapping inside the record */
	tcp_open(&f);
	harness_feed_seq(&h, &f, CLS_C2S, rec, 1000, 50000, 443, 0xffffff00u);
	harness_feed_seq(&h, &f, CLS_C2S, rec + 1000, 1000, 50000, 443, 0xffffff00u + 1000);
	harness_feed_seq(&h, &f, CLS_C2S, rec + 500, 500, 50000, 443, 0xffffff00u + 500);
	harness_feed_seq(&h, &f, CLS_C2S, rec + 2000, n - 2000, 50000, 443, 0xffffff00u + 2000);
	CHECK_STR(f.facts.ja4, r.ja4);
	harness_end(&h, &f);
	pool_full();
}

/* Given up: no JA4, buffer back, and the validators still see the start of the record. */
static void
gave_up(struct flow_insp *f, uint64_t before)
{
	CHECK_STR(f->facts.ja4, "");
	CHECK_STR(f->facts.sni, "");
	CHECK_EQ(f->reasm, 0);
	CHECK_EQ(h.ctx.ctr->reasm_gave_up, before + 1);
	CHECK_EQ(h.ctx.reasm_n_free, h.ctx.reasm_bufs);
}

static void
test_give_up(void)
{
	uint32_t n = hello(rec, "gap.example", 3000);
	struct flow_insp f;
	uint64_t g;

	/* a gap: segment 2 lost or late */
	g = h.ctx.ctr->reasm_gave_up;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	seg(&f, rec, 2000, n - 2000);
	gave_up(&f, g);
	CHECK_EQ(f.cls.owner, FORTINET); /* fortinet took the gathered start, as it takes a short first segment */
	CHECK_EQ(f.win_pkts[CLS_C2S], 2);
	seg(&f, rec, 1000, 1000); /* the late one: an ordinary segment now */
	CHECK_STR(f.facts.ja4, "");
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);

	/* the server speaks before the record is whole: not a ClientHello the server waits for */
	g = h.ctx.ctr->reasm_gave_up;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	srv(&f, (const uint8_t *)"220 ready\r\n", 11);
	gave_up(&f, g);
	CHECK_EQ(f.win_pkts[CLS_C2S], 1);
	CHECK_EQ(f.win_pkts[CLS_S2C], 1);
	harness_end(&h, &f);

	/* too many segments: duplicates count */
	g = h.ctx.ctr->reasm_gave_up;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	for (unsigned int i = 1; i < CLASSIFY_REASM_MAX_SEGS; i++)
		seg(&f, rec, 0, 1000);
	CHECK(f.reasm != 0);
	seg(&f, rec, 1000, n - 1000);
	gave_up(&f, g);
	harness_end(&h, &f);

	/* a first segment shorter than the headers, then headers that are no ClientHello */
	g = h.ctx.ctr->reasm_gave_up;
	tcp_open(&f);
	seg(&f, rec, 0, 4);
	CHECK(f.reasm != 0);
	{
		uint8_t bad[20];

		memcpy(bad, rec + 4, sizeof(bad));
		bad[1] = 2; /* handshake type ServerHello */
		harness_feed_seq(&h, &f, CLS_C2S, bad, sizeof(bad), 50000, 443, ISN + 4);
	}
	gave_up(&f, g);
	CHECK_EQ(f.tcp_off[CLS_C2S], 24);
	harness_end(&h, &f);

	/* whole, but not a well-formed ClientHello (a second ALPN after 2500 bytes of padding): no JA4 */
	{
		static const char *const a[] = { "h2" };
		static struct tb e, t;
		static const uint8_t zero[2500];
		struct tb_hello hh = { .record_version = 0x0301, .client_version = 0x0303, .sid_len = 32,
				       .sid_byte = 1, .ciphers = tb_chrome_ciphers, .n_ciphers = 16, .ext = &e };
		struct tls_client_hello ch;

		tb_chrome_ext(&e, "bad.example");
		tb_ext(&e, 0x0015, zero, sizeof(zero));
		tb_ext_alpn(&e, a, 1);
		n = tb_client_hello(&t, &hh);
		CHECK_EQ(tls_parse_client_hello(t.b, 1000, false, &ch), TLS_MORE);
		CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_BAD);
		g = h.ctx.ctr->reasm_gave_up;
		tcp_open(&f);
		seg(&f, t.b, 0, 1000);
		CHECK(f.reasm != 0);
		seg(&f, t.b, 1000, n - 1000);
		CHECK_STR(f.facts.ja4, "");
		CHECK_EQ(h.ctx.ctr->reasm_gave_up, g + 1);
		CHECK_EQ(f.reasm, 0);
		harness_end(&h, &f);
		n = hello(rec, "gap.example", 3000);
	}

	/* the flow ends (idle, evicted, flushed) in the middle */
	g = h.ctx.ctr->reasm_gave_up;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	CHECK_EQ(h.ctx.reasm_n_free, h.ctx.reasm_bufs - 1);
	harness_end(&h, &f);
	gave_up(&f, g);
	harness_end(&h, &f); /* twice is harmless */
	pool_full();
}

/* Record lengths no TLS plaintext record has, or that contradict the handshake: no buffer taken. */
static void
test_lengths(void)
{
	struct flow_insp f;
	uint32_t n = hello(rec, "len.example", 3000);
	uint64_t no_buf = h.ctx.ctr->reasm_no_buffer, g = h.ctx.ctr->reasm_gave_up;

	/* 2^14 + 1 bytes of record: one more than a plaintext record may carry */
	n = hello(rec, "big.example", CLASSIFY_REASM_CAP + 1);
	tcp_open(&f);
	seg(&f, rec, 0, 1460);
	CHECK_EQ(f.reasm, 0);
	CHECK_EQ(f.win_pkts[CLS_C2S], 1);
	seg(&f, rec, 1460, 1460);
	CHECK_STR(f.facts.ja4, "");
	harness_end(&h, &f);
	/* a record announcing more than TLS allows at all */
	n = hello(rec, "len.example", 3000);
	rec[3] = 0xff, rec[4] = 0xff;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	/* a record shorter than the handshake message it carries */
	n = hello(rec, "len.example", 3000);
	rec[3] = 0x03, rec[4] = 0x00; /* 768 < 2991 */
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	CHECK_EQ(f.reasm, 0);
	CHECK_STR(f.facts.ja4, "");
	harness_end(&h, &f);
	/* the same header, cut after 7 bytes: found out once the handshake length is here */
	tcp_open(&f);
	seg(&f, rec, 0, 7);
	CHECK(f.reasm != 0);
	seg(&f, rec, 7, 993);
	CHECK_EQ(f.reasm, 0);
	CHECK_EQ(h.ctx.ctr->reasm_gave_up, g + 1);
	harness_end(&h, &f);
	/* not TLS 0x03 0x0x, not a ClientHello, UDP: never reassembled */
	n = hello(rec, "len.example", 3000);
	rec[1] = 2;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	rec[1] = 3, rec[5] = 2;
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	rec[5] = 1;
	harness_flow(&f, 17);
	harness_feed(&h, &f, CLS_C2S, rec, 1000, 50000, 443);
	CHECK_EQ(f.reasm, 0);
	harness_end(&h, &f);
	(void)n;
	CHECK_EQ(h.ctx.ctr->reasm_no_buffer, no_buf);
	pool_full();
}

/* A validator decides on a reassembled ClientHello as on a whole one: fortinet through to its certificate. */
static void
test_validator(void)
{
	struct tb cert, fl;
	struct flow_insp f;
	uint32_t n = hello(rec, "vpn.example", 2500);

	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	tcp_open(&f);
	seg(&f, rec, 0, 1000);
	seg(&f, rec, 1000, 1000);
	seg(&f, rec, 2000, n - 2000);
	CHECK_EQ(f.cls.owner, FORTINET);
	srv(&f, fl.b, fl.n);
	CHECK_STR(harness_app(&f), "fortinet");
	CHECK_STR(f.check, "tls12-server-certificate-issuer-fortigate-ca");
	CHECK_STR(f.facts.sni, "vpn.example");
	CHECK(f.facts.ja4[0] != '\0');
	harness_end(&h, &f);

	/* many small segments do not close the window (8 packets) before the record is whole */
	tcp_open(&f);
	for (uint32_t off = 0; off < n; off += 100)
		seg(&f, rec, off, n - off < 100 ? n - off : 100);
	CHECK_EQ(f.phase, FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, FORTINET);
	srv(&f, fl.b, fl.n);
	CHECK_STR(harness_app(&f), "fortinet");
	harness_end(&h, &f);
	pool_full();
}

/* A small pool: the one flow too many is counted and classified as before, and nothing leaks. */
static void
test_pool(void)
{
	static struct flow_insp fs[CLASSIFY_REASM_BUFS + 1];
	struct harness small;
	uint32_t n = hello(rec, "pool.example", 2000);
	struct ref r = whole(rec, n);
	unsigned int i;

	/* the engine's pool: CLASSIFY_REASM_BUFS at once, then the next is counted */
	{
		uint64_t no_buf = h.ctx.ctr->reasm_no_buffer;

		CHECK_EQ(h.ctx.reasm_bufs, CLASSIFY_REASM_BUFS);
		for (i = 0; i <= CLASSIFY_REASM_BUFS; i++) {
			tcp_open(&fs[i]);
			seg(&fs[i], rec, 0, 1000);
		}
		CHECK_EQ(h.ctx.reasm_n_free, 0);
		CHECK_EQ(h.ctx.ctr->reasm_no_buffer, no_buf + 1);
		CHECK_EQ(fs[CLASSIFY_REASM_BUFS].reasm, 0);
		CHECK_EQ(fs[CLASSIFY_REASM_BUFS].cls.owner, FORTINET); /* offered the segment as without reassembly */
		for (i = 0; i <= CLASSIFY_REASM_BUFS; i++) {
			seg(&fs[i], rec, 1000, n - 1000);
			CHECK_STR(fs[i].facts.ja4, i < CLASSIFY_REASM_BUFS ? r.ja4 : "");
		}
		pool_full();
		for (i = 0; i <= CLASSIFY_REASM_BUFS; i++)
			harness_end(&h, &fs[i]);
	}

	harness_init_pool(&small, 8, 4096, 3);
	{
		struct harness keep = h;

		h = small;
		for (i = 0; i < 5; i++) {
			tcp_open(&fs[i]);
			seg(&fs[i], rec, 0, 1000);
		}
		CHECK_EQ(h.ctx.reasm_n_free, 0);
		CHECK_EQ(h.ctx.ctr->reasm_no_buffer, 2);
		/* ends in any order, some mid-record, some after: the pool fills again */
		seg(&fs[1], rec, 1000, n - 1000);
		CHECK_STR(fs[1].facts.ja4, r.ja4);
		CHECK_EQ(h.ctx.reasm_n_free, 1);
		harness_end(&h, &fs[2]);
		harness_end(&h, &fs[4]);
		CHECK_EQ(h.ctx.reasm_n_free, 2);
		tcp_open(&fs[5]);
		seg(&fs[5], rec, 0, 1000);
		CHECK(fs[5].reasm != 0);
		harness_end(&h, &fs[0]);
		harness_end(&h, &fs[1]);
		harness_end(&h, &fs[3]);
		harness_end(&h, &fs[5]);
		pool_full();
		CHECK_EQ(h.ctx.ctr->reasm_done, 1);
		CHECK_EQ(h.ctx.ctr->reasm_gave_up, 3);

		/* stalled: with the pool empty, a reassembly idle past the limit gives way to a new one */
		for (i = 0; i < 3; i++) {
			tcp_open(&fs[i]);
			fs[i].ts_last = 1000 + i;
			seg(&fs[i], rec, 0, 1000);
		}
		tcp_open(&fs[3]);
		fs[3].ts_last = 1000 + CLASSIFY_REASM_IDLE_NS; /* not yet */
		seg(&fs[3], rec, 0, 1000);
		CHECK_EQ(fs[3].reasm, 0);
		CHECK_EQ(h.ctx.ctr->reasm_no_buffer, 3);
		harness_end(&h, &fs[3]);
		tcp_open(&fs[3]);
		fs[3].ts_last = 1001 + CLASSIFY_REASM_IDLE_NS;
		seg(&fs[3], rec, 0, 1000);
		CHECK(fs[3].reasm != 0);
		CHECK_EQ(fs[0].reasm, 0); /* the oldest gave way */
		CHECK(fs[1].reasm != 0 && fs[2].reasm != 0);
		seg(&fs[3], rec, 1000, n - 1000);
		CHECK_STR(fs[3].facts.ja4, r.ja4);
		seg(&fs[0], rec, 1000, n - 1000); /* its client comes back: an ordinary segment */
		CHECK_STR(fs[0].facts.ja4, "");
		for (i = 0; i < 4; i++)
			harness_end(&h, &fs[i]);
		pool_full();
		small = h;
		h = keep;
	}
	harness_free(&small);

	/* no pool at all: nothing is reassembled, nothing counted */
	harness_init_pool(&small, 8, 4096, 0);
	{
		struct harness keep = h;
		struct flow_insp f;

		h = small;
		tcp_open(&f);
		seg(&f, rec, 0, 1000);
		seg(&f, rec, 1000, n - 1000);
		CHECK_STR(f.facts.ja4, "");
		CHECK_EQ(f.reasm, 0);
		CHECK_EQ(h.ctx.ctr->reasm_no_buffer, 0);
		harness_end(&h, &f);
		small = h;
		h = keep;
	}
	harness_free(&small);
}

/*
 * Random segmentations with random retransmissions, and sometimes a gap:
 * the JA4 is the whole record's or none, never another; every buffer comes back.
 */
static void
test_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned int bad = 0, with = 0;

	for (unsigned int it = 0; it < 3000; it++) {
		uint32_t n, at = 0;
		struct ref r;
		struct flow_insp f;
		bool gap = false;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = hello(rec, "rnd.example", (uint32_t)(x % 4) == 0 ? 0 : 300 + (uint32_t)(x >> 8) % (CLASSIFY_REASM_CAP - 300));
		r = whole(rec, n);
		tcp_open(&f);
		while (at < n && f.phase == FLOW_INSPECTING) {
			uint32_t start, len;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			start = at;
			if ((x & 7) == 0 && at > 0)
				start = at - (uint32_t)((x >> 3) % at); /* a retransmission */
			if ((x & 0x3f0) == 0x3f0) {
				start = at + 1 + (uint32_t)((x >> 10) % 100); /* a gap */
				gap = true;
			}
			if (start >= n)
				break;
			len = 1 + (uint32_t)((x >> 20) % 1500);
			if (len > n - start)
				len = n - start;
			seg(&f, rec, start, len);
			if (start <= at && start + len > at)
				at = start + len;
		}
		if (f.facts.ja4[0])
			with++;
		if (f.facts.ja4[0] && strcmp(f.facts.ja4, r.ja4) != 0)
			bad++;
		if (!gap && at >= n && strcmp(f.facts.ja4, r.ja4) != 0)
			bad++;
		harness_end(&h, &f);
		if (h.ctx.reasm_n_free != h.ctx.reasm_bufs)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(with > 1000);
}

int
main(void)
{
	harness_init(&h, 8, 4096);
	test_splits();
	test_tail();
	test_retransmissions();
	test_give_up();
	test_lengths();
	test_validator();
	test_pool();
	test_random();
	pool_full();
	harness_free(&h);
	CHECK_DONE();
}
