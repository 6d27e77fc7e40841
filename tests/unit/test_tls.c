/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared TLS/DTLS parser (classifiers/tls.c): ClientHellos built here
 * (TLS 1.2, 1.3 with supported_versions, GREASE, SNI, ALPN, DTLS 1.2 with a
 * cookie, Cisco 0x0100 from a real capture), every truncation length in an
 * exact-size heap buffer, bad lengths, the server flight with a DER
 * certificate, SHA-256 vectors and JA4.
 *
 * The builders (tb_*) are also used by test_cls_sslvpn.c, which includes
 * this file with TLS_TEST_NO_MAIN defined.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tls.h"

/* Builders ------------------------------------------------------------------ */

struct tb {
	uint8_t b[8192];
	uint32_t n;
};

static void tb_u8(struct tb *t, uint32_t v) { t->b[t->n++] = (uint8_t)v; }
static void tb_u16(struct tb *t, uint32_t v) { tb_u8(t, v >> 8); tb_u8(t, v); }
static void tb_u24(struct tb *t, uint32_t v) { tb_u8(t, v >> 16); tb_u16(t, v & 0xffff); }
static void tb_mem(struct tb *t, const void *p, uint32_t n) { memcpy(t->b + t->n, p, n); t->n += n; }
static void tb_fill(struct tb *t, uint8_t v, uint32_t n) { memset(t->b + t->n, v, n); t->n += n; }
static void tb_set16(struct tb *t, uint32_t at, uint32_t v) { t->b[at] = (uint8_t)(v >> 8); t->b[at + 1] = (uint8_t)v; }
static void tb_set24(struct tb *t, uint32_t at, uint32_t v) { t->b[at] = (uint8_t)(v >> 16); tb_set16(t, at + 1, v & 0xffff); }

/* Extensions block builders (append one extension). */
static void tb_ext(struct tb *e, uint16_t type, const void *p, uint32_t n) { tb_u16(e, type); tb_u16(e, n); if (n) tb_mem(e, p, n); }

static void
tb_ext_sni(struct tb *e, const char *host)
{
	uint32_t l = (uint32_t)strlen(host);

	tb_u16(e, 0), tb_u16(e, l + 5), tb_u16(e, l + 3), tb_u8(e, 0), tb_u16(e, l), tb_mem(e, host, l);
}

static void
tb_ext_alpn(struct tb *e, const char *const *protos, unsigned int k)
{
	uint32_t l = 0, i;

	for (i = 0; i < k; i++)
		l += 1 + (uint32_t)strlen(protos[i]);
	tb_u16(e, 0x0010), tb_u16(e, l + 2), tb_u16(e, l);
	for (i = 0; i < k; i++)
		tb_u8(e, (uint32_t)strlen(protos[i])), tb_mem(e, protos[i], (uint32_t)strlen(protos[i]));
}

/* type with a 2-byte (or for supported_versions 1-byte) length-prefixed u16 list */
static void
tb_ext_list(struct tb *e, uint16_t type, const uint16_t *v, unsigned int k)
{
	unsigned int i, pl = type == 0x002b ? 1 : 2;

	tb_u16(e, type), tb_u16(e, pl + 2 * k);
	if (pl == 1)
		tb_u8(e, 2 * k);
	else
		tb_u16(e, 2 * k);
	for (i = 0; i < k; i++)
		tb_u16(e, v[i]);
}

struct tb_hello {
	bool dtls;
	uint16_t record_version, client_version;
	uint32_t sid_len;
	uint8_t sid_byte;
	uint32_t cookie_len;
	const uint16_t *ciphers;
	unsigned int n_ciphers;
	const struct tb *ext; /* NULL: no extensions block */
};

/* A whole ClientHello record into t; returns its length. */
static uint32_t
tb_client_hello(struct tb *t, const struct tb_hello *h)
{
	uint32_t rec, hs, body;
	unsigned int i;

	t->n = 0;
	tb_u8(t, 22);
	tb_u16(t, h->record_version);
	if (h->dtls)
		tb_u16(t, 0), tb_fill(t, 0, 5), tb_u8(t, h->cookie_len ? 1 : 0);
	rec = t->n;
	tb_u16(t, 0);
	hs = t->n;
	tb_u8(t, 1);
	tb_u24(t, 0);
	if (h->dtls)
		tb_u16(t, h->cookie_len ? 1 : 0), tb_u24(t, 0), tb_u24(t, 0);
	body = t->n;
	tb_u16(t, h->client_version);
	for (i = 0; i < 32; i++)
		tb_u8(t, 0x40 + i);
	tb_u8(t, h->sid_len);
	tb_fill(t, h->sid_byte, h->sid_len);
	if (h->dtls) {
		tb_u8(t, h->cookie_len);
		tb_fill(t, 0xc0, h->cookie_len);
	}
	tb_u16(t, 2 * h->n_ciphers);
	for (i = 0; i < h->n_ciphers; i++)
		tb_u16(t, h->ciphers[i]);
	tb_u8(t, 1), tb_u8(t, 0);
	if (h->ext != NULL)
		tb_u16(t, h->ext->n), tb_mem(t, h->ext->b, h->ext->n);
	tb_set16(t, rec, t->n - hs);
	tb_set24(t, hs + 1, t->n - body);
	if (h->dtls)
		tb_set24(t, hs + 9, t->n - body);
	return t->n;
}

/* DER TLV of content c[0..n) appended to t. */
static void
tb_der(struct tb *t, uint8_t tag, const void *c, uint32_t n)
{
	tb_u8(t, tag);
	if (n < 0x80)
		tb_u8(t, n);
	else if (n < 0x100)
		tb_u8(t, 0x81), tb_u8(t, n);
	else
		tb_u8(t, 0x82), tb_u16(t, n);
	tb_mem(t, c, n);
}

/* Name with C=US, O=org, CN=cn */
static void
tb_der_name(struct tb *t, const char *org, const char *cn)
{
	static const uint8_t oid_c[] = { 0x55, 4, 6 }, oid_o[] = { 0x55, 4, 10 }, oid_cn[] = { 0x55, 4, 3 };
	struct tb seq = { .n = 0 }, atv, set;
	const uint8_t *oids[3] = { oid_c, oid_o, oid_cn };
	const char *vals[3] = { "US", org, cn };

	for (int i = 0; i < 3; i++) {
		atv.n = 0, set.n = 0;
		tb_der(&atv, 0x06, oids[i], 3);
		tb_der(&atv, i == 0 ? 0x13 : 0x0c, vals[i], (uint32_t)strlen(vals[i]));
		tb_der(&set, 0x30, atv.b, atv.n);
		tb_der(&seq, 0x31, set.b, set.n);
	}
	tb_der(t, 0x30, seq.b, seq.n);
}

/* A certificate-shaped DER: tbs with version, serial, alg, issuer, validity, subject, spki. */
static uint32_t
tb_der_cert(struct tb *t, const char *issuer_cn, const char *subject_cn)
{
	static const uint8_t v2[] = { 0x02, 0x01, 0x02 }, alg[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	struct tb tbs = { .n = 0 }, val = { .n = 0 }, spki = { .n = 0 }, cert = { .n = 0 };
	uint8_t serial[16];

	memset(serial, 0x11, sizeof(serial));
	tb_der(&tbs, 0xa0, v2, sizeof(v2));
	tb_der(&tbs, 0x02, serial, sizeof(serial));
	tb_der(&tbs, 0x30, alg, sizeof(alg));
	tb_der_name(&tbs, "Fortinet", issuer_cn);
	tb_der(&val, 0x17, "240101000000Z", 13);
	tb_der(&val, 0x17, "340101000000Z", 13);
	tb_der(&tbs, 0x30, val.b, val.n);
	tb_der_name(&tbs, "Fortinet", subject_cn);
	tb_fill(&spki, 0x33, 300);
	tb_der(&tbs, 0x30, spki.b, spki.n);
	tb_der(&cert, 0x30, tbs.b, tbs.n);
	tb_der(&cert, 0x30, alg, sizeof(alg));
	tb_fill(&val, 0, 0);
	t->n = 0;
	tb_der(t, 0x30, cert.b, cert.n);
	return t->n;
}

/* Server flight: ServerHello (version, sid) [+ Certificate] in one or two TLS records. */
static uint32_t
tb_server_flight(struct tb *t, uint16_t version, uint8_t sid_len, uint8_t sid_byte, const struct tb *cert,
		 bool two_records, bool sv13)
{
	uint32_t rec, hs;

	t->n = 0;
	tb_u8(t, 22), tb_u16(t, 0x0303);
	rec = t->n;
	tb_u16(t, 0);
	hs = t->n;
	tb_u8(t, 2), tb_u24(t, 0);
	tb_u16(t, version);
	tb_fill(t, 0x77, 32);
	tb_u8(t, sid_len), tb_fill(t, sid_byte, sid_len);
	tb_u16(t, 0xc02f), tb_u8(t, 0);
	if (sv13)
		tb_u16(t, 6), tb_u16(t, 0x002b), tb_u16(t, 2), tb_u16(t, 0x0304);
	tb_set24(t, hs + 1, t->n - hs - 4);
	if (cert != NULL) {
		if (two_records) {
			tb_set16(t, rec, t->n - rec - 2);
			tb_u8(t, 22), tb_u16(t, 0x0303);
			rec = t->n;
			tb_u16(t, 0);
		}
		tb_u8(t, 11), tb_u24(t, cert->n + 6), tb_u24(t, cert->n + 3), tb_u24(t, cert->n);
		tb_mem(t, cert->b, cert->n);
	}
	tb_set16(t, rec, t->n - rec - 2);
	return t->n;
}

/* Chrome-like: the FoxIO JA4 README's example ClientHello. */
static const uint16_t tb_chrome_ciphers[] = {
	0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t tb_chrome_sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601 };

static void
tb_chrome_ext(struct tb *e, const char *sni)
{
	static const char *const alpn[] = { "h2", "http/1.1" };
	static const uint16_t groups[] = { 0x3a3a, 0x001d, 0x0017, 0x0018 };
	static const uint16_t sv[] = { 0x1a1a, 0x0304, 0x0303 };
	static const uint8_t pf[] = { 1, 0 }, ri[] = { 0 }, ks[] = { 0, 0 }, psk[] = { 1, 1 };

	e->n = 0;
	tb_ext(e, 0x0a0a, NULL, 0);
	if (sni)
		tb_ext_sni(e, sni);
	tb_ext(e, 0x0017, NULL, 0);
	tb_ext(e, 0xff01, ri, 1);
	tb_ext_list(e, 0x000a, groups, 4);
	tb_ext(e, 0x000b, pf, 2);
	tb_ext(e, 0x0023, NULL, 0);
	tb_ext_alpn(e, alpn, 2);
	tb_ext(e, 0x0005, "\x01\x00\x00\x00\x00", 5);
	tb_ext_list(e, 0x000d, tb_chrome_sigalgs, 8);
	tb_ext(e, 0x0012, NULL, 0);
	tb_ext(e, 0x0033, ks, 2);
	tb_ext(e, 0x002d, psk, 2);
	tb_ext_list(e, 0x002b, sv, 3);
	tb_ext(e, 0x001b, "\x02\x00\x02", 3);
	tb_ext(e, 0x4469, "\x00\x03\x02h2", 5);
	tb_ext(e, 0xfafa, "\x00", 1);
	tb_ext(e, 0x0015, "\x00\x00\x00", 3);
}

static uint32_t
tb_chrome(struct tb *t, const char *sni)
{
	static struct tb e;
	struct tb_hello h = { .record_version = 0x0301, .client_version = 0x0303, .sid_len = 32,
			      .sid_byte = 0x99, .ciphers = tb_chrome_ciphers, .n_ciphers = 16, .ext = &e };

	tb_chrome_ext(&e, sni);
	return tb_client_hello(t, &h);
}

/* Real: the first ClientHello of ../shared/pcaps/wild/tunnel/dtls_old_version.pcapng. */
static const uint8_t tb_cisco_dtls_hello[] = {
	0x16, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x56, 0x01, 0x00,
	0x00, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4a, 0x01, 0x00, 0x5e, 0xe9,
	0xea, 0x22, 0x62, 0xf7, 0x9f, 0x37, 0x6b, 0x50, 0x16, 0x7f, 0x06, 0x17, 0xd3, 0x42, 0x6e,
	0x3a, 0x52, 0xf6, 0x3f, 0x66, 0xb6, 0xaf, 0xe3, 0x4a, 0x07, 0x36, 0x86, 0x3d, 0xea, 0xa5,
	0x20, 0x03, 0xc2, 0x29, 0xbe, 0x15, 0xd6, 0x20, 0x51, 0x5e, 0xef, 0x0e, 0xca, 0x0a, 0xaf,
	0xdb, 0xc9, 0x38, 0xe0, 0x08, 0xfe, 0xe8, 0xf2, 0x1a, 0x81, 0xa5, 0x72, 0x06, 0xfd, 0x37,
	0x5b, 0x6b, 0xd8, 0x00, 0x00, 0x02, 0x00, 0x35, 0x01, 0x00,
};

#ifndef TLS_TEST_NO_MAIN

/* Parse p[0..n) from an exact-size heap copy. */
static enum tls_status
parse_exact(const uint8_t *p, uint32_t n, bool dtls, struct tls_client_hello *ch)
{
	uint8_t *c = malloc(n ? n : 1);
	enum tls_status st;

	memcpy(c, p, n);
	st = tls_parse_client_hello(c, n, dtls, ch);
	/* pointers must not outlive c: only lengths are compared by callers */
	free(c);
	return st;
}

static void
test_sha256(void)
{
	static const char *const in[] = { "", "abc",
					  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" };
	static const char *const want[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	};
	struct tls_sha256 s;
	uint8_t d[32];
	char hex[65];

	for (int i = 0; i < 3; i++) {
		tls_sha256_init(&s);
		/* byte by byte for the long one: exercises the block buffering */
		for (size_t k = 0; k < strlen(in[i]); k++)
			tls_sha256_update(&s, in[i] + k, 1);
		tls_sha256_final(&s, d);
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", d[k]);
		CHECK_STR(hex, want[i]);
	}
}

static void
test_chrome_ja4(void)
{
	struct tb t;
	struct tls_client_hello ch;
	char ja4[64];
	uint32_t n = tb_chrome(&t, "www.example.com");

	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
	CHECK_EQ(ch.legacy_version, 0x0303);
	CHECK_EQ(ch.version, 0x0304); /* supported_versions, GREASE skipped */
	CHECK_EQ(ch.n_ciphers, 15);
	CHECK_EQ(ch.n_extensions, 16);
	CHECK_EQ(ch.session_id.len, 32);
	CHECK(tls_bytes_is(&ch.sni, "www.example.com"));
	CHECK(tls_bytes_is(&ch.alpn_first, "h2"));
	CHECK_EQ(ch.sig_algs.len, 16);
	CHECK_EQ(ch.groups.len, 8);
	CHECK_EQ(ch.need, 0);
	/*
	 * By hand from the spec: t (TCP) 13 (supported_versions max 0x0304)
	 * d (SNI present) 15 ciphers and 16 extensions without GREASE, "h2" ->
	 * "h2"; b = sha256("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,
	 * c02c,c02f,c030,cca8,cca9")[:12]; c = sha256("0005,000a,000b,000d,
	 * 0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,
	 * 0805,0501,0806,0601")[:12] (sorted, SNI/ALPN/GREASE out, sig algs in
	 * order) -- FoxIO's README example, whose two hashes were recomputed
	 * with Python's hashlib: 8daaf6152771, e5627efa2ab1.
	 */
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK_STR(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	CHECK_EQ(tls_ja4(&ch, ja4, TLS_JA4_LEN), -1);

	/* no SNI: 'i' and one extension less; the hashes do not change */
	n = tb_chrome(&t, NULL);
	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK_STR(ja4, "t13i1515h2_8daaf6152771_e5627efa2ab1");

	/*
	 * A post-quantum key share (X25519MLKEM768: 1216 bytes, as Chrome and
	 * Firefox send by default) in place of the empty one: the extensions
	 * block is far over TLS_JA4_MAX_LIST * 4 bytes, yet lists 16; the JA4
	 * does not depend on extension contents.
	 */
	{
		static struct tb e;
		static uint8_t ks[2 + 4 + 1216 + 4 + 32];
		struct tb_hello hh = { .record_version = 0x0301, .client_version = 0x0303, .sid_len = 32,
				       .sid_byte = 0x99, .ciphers = tb_chrome_ciphers, .n_ciphers = 16, .ext = &e };
		uint32_t at;

		tb_chrome_ext(&e, "www.example.com");
		ks[0] = (sizeof(ks) - 2) >> 8, ks[1] = (sizeof(ks) - 2) & 0xff;
		ks[2] = 0x11, ks[3] = 0xec, ks[4] = 1216 >> 8, ks[5] = 1216 & 0xff;
		ks[6 + 1216] = 0, ks[7 + 1216] = 0x1d, ks[8 + 1216] = 0, ks[9 + 1216] = 32;
		/* swap the 2-byte key_share (0x0033) for the big one */
		for (at = 0; at + 4 <= e.n; at += 4 + (e.b[at + 2] << 8 | e.b[at + 3]))
			if (e.b[at] == 0x00 && e.b[at + 1] == 0x33)
				break;
		CHECK(at + 6 <= e.n);
		memmove(e.b + at + 4 + sizeof(ks), e.b + at + 6, e.n - at - 6);
		memcpy(e.b + at + 4, ks, sizeof(ks));
		tb_set16(&e, at + 2, sizeof(ks));
		e.n += sizeof(ks) - 2;
		n = tb_client_hello(&t, &hh);
		CHECK(n > 1460);
		CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
		CHECK(ch.extensions.len / 4 > TLS_JA4_MAX_LIST);
		CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
		CHECK_STR(ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	}
}

static void
test_tls12(void)
{
	static const uint16_t ciphers[] = { 0xc02b, 0xc02f, 0x009c };
	static const char *const alpn[] = { "http/1.1" };
	static const uint16_t sig[] = { 0x0401, 0x0501 };
	struct tb e = { .n = 0 }, t;
	struct tb_hello h = { .record_version = 0x0301, .client_version = 0x0303,
			      .ciphers = ciphers, .n_ciphers = 3, .ext = &e };
	struct tls_client_hello ch;
	char ja4[64];
	uint32_t n;

	tb_ext_sni(&e, "a.example");
	tb_ext_alpn(&e, alpn, 1);
	tb_ext_list(&e, 0x000d, sig, 2);
	n = tb_client_hello(&t, &h);
	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
	CHECK_EQ(ch.version, 0x0303);
	CHECK_EQ(ch.session_id.len, 0);
	CHECK_EQ(ch.n_extensions, 3);
	CHECK(ch.have & TLS_HAVE_SIG_ALGS && !(ch.have & TLS_HAVE_SUPPORTED_VERSIONS));
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	/* c = sha256("000d_0401,0501"); "h1": first/last char of "http/1.1" */
	CHECK(strncmp(ja4, "t12d0303h1_", 11) == 0);

	/* no extensions block at all: parses, JA4_c all zeros */
	h.ext = NULL;
	n = tb_client_hello(&t, &h);
	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK(strncmp(ja4, "t12i030000_", 11) == 0 && strcmp(ja4 + 24, "000000000000") == 0);

	/* ALPN with non-alphanumeric ends: hex digits */
	e.n = 0;
	static const char *const odd[] = { "\x01xy\xfe" };
	tb_ext_alpn(&e, odd, 1);
	h.ext = &e;
	n = tb_client_hello(&t, &h);
	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_OK);
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK(strncmp(ja4, "t12i030101_", 9) == 0 && ja4[8] == '0' && ja4[9] == 'e');
}

static void
test_dtls(void)
{
	static const uint16_t ciphers[] = { 0xc02b, 0xc02f };
	static const uint16_t sv[] = { 0xfefd, 0xfeff };
	struct tb e = { .n = 0 }, t;
	struct tb_hello h = { .dtls = true, .record_version = 0xfeff, .client_version = 0xfefd,
			      .sid_len = 32, .sid_byte = 0x5a, .cookie_len = 20,
			      .ciphers = ciphers, .n_ciphers = 2, .ext = &e };
	struct tls_client_hello ch;
	char ja4[64];
	uint32_t n;

	tb_ext_list(&e, 0x002b, sv, 2);
	n = tb_client_hello(&t, &h);
	CHECK_EQ(tls_parse_client_hello(t.b, n, true, &ch), TLS_OK);
	CHECK_EQ(ch.dtls, 1);
	CHECK_EQ(ch.cookie.len, 20);
	CHECK_EQ(ch.session_id.len, 32);
	CHECK_EQ(ch.version, 0xfefd); /* 1.2 outranks 1.0 though numerically smaller */
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK(strncmp(ja4, "dd2i020100_", 11) == 0);
	/* a DTLS record is not TLS and vice versa */
	CHECK_EQ(tls_parse_client_hello(t.b, n, false, &ch), TLS_BAD);
	/* epoch 1: protected, not a ClientHello */
	t.b[4] = 1;
	CHECK_EQ(tls_parse_client_hello(t.b, n, true, &ch), TLS_BAD);
	t.b[4] = 0;
	/* a later fragment cannot be parsed */
	t.b[13 + 8] = 1;
	CHECK_EQ(tls_parse_client_hello(t.b, n, true, &ch), TLS_BAD);
	t.b[13 + 8] = 0;
	/* fragment_length shorter than length: parsed as far as it goes, MORE */
	{
		uint32_t frag = 40;
		struct tb f = t;

		tb_set24(&f, 13 + 9, frag);
		tb_set16(&f, 11, frag + 12);
		CHECK_EQ(tls_parse_client_hello(f.b, 25 + frag, true, &ch), TLS_MORE);
		CHECK(ch.have & TLS_HAVE_VERSION);
		CHECK_EQ(ch.need, n);
	}

	/* Cisco 0x0100 from a real capture */
	CHECK_EQ(tls_parse_client_hello(tb_cisco_dtls_hello, sizeof(tb_cisco_dtls_hello), true, &ch), TLS_OK);
	CHECK_EQ(ch.legacy_version, 0x0100);
	CHECK_EQ(ch.session_id.len, 32);
	CHECK_EQ(ch.cookie.len, 0);
	CHECK_EQ(ch.n_ciphers, 1);
	CHECK_EQ(ch.n_extensions, 0);
	CHECK_EQ(tls_ja4(&ch, ja4, sizeof(ja4)), 0);
	CHECK(strncmp(ja4, "d00i010000_", 11) == 0 && strcmp(ja4 + 24, "000000000000") == 0);
}

/* Every prefix of a whole ClientHello is MORE (never BAD, never OK), need right, have growing. */
static void
test_truncations(const uint8_t *p, uint32_t n, bool dtls)
{
	struct tls_client_hello ch;
	uint32_t k, prev = 0, bad = 0, hdr = dtls ? 25 : 9;

	CHECK_EQ(parse_exact(p, n, dtls, &ch), TLS_OK);
	for (k = 0; k < n; k++) {
		enum tls_status st = parse_exact(p, k, dtls, &ch);

		if (st != TLS_MORE || (k >= hdr && ch.need != n) || (ch.have & prev) != prev)
			bad++;
		prev = ch.have;
	}
	CHECK_EQ(bad, 0);
}

static void
test_bad_lengths(void)
{
	struct tb t, c;
	struct tls_client_hello ch;
	uint32_t n = tb_chrome(&t, "x.example"), i;
	/* offsets: record 0, hs 5, version 9, random 11, sid len 43, sid 44, ciphers len 76 */

	c = t, c.b[0] = 23;
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, tb_set16(&c, 3, n - 5 - 1); /* record shorter than the handshake */
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, tb_set16(&c, 3, 20000);
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, c.b[43] = 33;
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, tb_set16(&c, 76, 31); /* odd cipher list */
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, tb_set16(&c, 76, 0);
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	c = t, c.b[5] = 2; /* ServerHello type */
	CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	/* extensions block length off by one either way */
	{
		uint32_t ext = 76 + 2 + 32 + 2;

		c = t, tb_set16(&c, ext, (uint32_t)(c.b[ext] << 8 | c.b[ext + 1]) + 1);
		CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
		c = t, tb_set16(&c, ext, (uint32_t)(c.b[ext] << 8 | c.b[ext + 1]) - 1);
		CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
		/* SNI (second extension, after the empty GREASE one): inner list length off */
		c = t;
		CHECK_EQ(c.b[ext + 2 + 4] << 8 | c.b[ext + 2 + 5], 0);
		tb_set16(&c, ext + 2 + 4 + 4, (uint32_t)(c.b[ext + 2 + 8] << 8 | c.b[ext + 2 + 9]) + 1);
		CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	}
	/* duplicate ALPN */
	{
		static const char *const a[] = { "h2" };
		struct tb e = { .n = 0 };
		static const uint16_t cs[] = { 0x1301 };
		struct tb_hello h = { .record_version = 0x0301, .client_version = 0x0303,
				      .ciphers = cs, .n_ciphers = 1, .ext = &e };

		tb_ext_alpn(&e, a, 1);
		tb_ext_alpn(&e, a, 1);
		n = tb_client_hello(&c, &h);
		CHECK_EQ(tls_parse_client_hello(c.b, n, false, &ch), TLS_BAD);
	}
	/* random bytes: BAD or MORE, never OK */
	for (i = 0; i < 2000; i++) {
		uint8_t r[64];
		uint32_t x = i * 2654435761u;

		for (int k = 0; k < 64; k++)
			x = x * 1103515245u + 12345u, r[k] = (uint8_t)(x >> 16);
		r[0] = 22, r[1] = 3, r[2] = 1, r[5] = 1;
		CHECK(parse_exact(r, 64, false, &ch) != TLS_OK);
	}
	CHECK_EQ(tls_parse_client_hello(NULL, 10, false, &ch), TLS_BAD);
}

static void
test_server(void)
{
	struct tb cert, t;
	struct tls_server_flight sf;
	uint32_t n, k, bad = 0;

	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	CHECK_EQ(tls_cert_names(cert.b, cert.n, &sf.subject_cn, &sf.issuer_cn),
		 TLS_SRV_SUBJECT_CN | TLS_SRV_ISSUER_CN);
	CHECK(tls_bytes_is(&sf.issuer_cn, "FortiGate CA"));
	CHECK(tls_bytes_is(&sf.subject_cn, "FortiGate"));

	for (int two = 0; two < 2; two++) {
		n = tb_server_flight(&t, 0x0303, 32, 0x42, &cert, two, false);
		CHECK_EQ(tls_parse_server_flight(t.b, n, false, 0, &sf), TLS_OK);
		CHECK(sf.have & TLS_SRV_HELLO && sf.have & TLS_SRV_CERT);
		CHECK_EQ(sf.version, 0x0303);
		CHECK_EQ(sf.cipher, 0xc02f);
		CHECK_EQ(sf.session_id.len, 32);
		CHECK(tls_bytes_is(&sf.issuer_cn, "FortiGate CA"));
		CHECK(tls_bytes_is(&sf.subject_cn, "FortiGate"));
		CHECK_EQ(sf.next_record, n);
		/* every prefix: no crash, names only when wholly inside */
		for (k = 0; k < n; k++) {
			uint8_t *c = malloc(k ? k : 1);

			memcpy(c, t.b, k);
			if (tls_parse_server_flight(c, k, false, 0, &sf) == TLS_OK &&
			    ((sf.issuer_cn.p && sf.issuer_cn.p + sf.issuer_cn.len > c + k) ||
			     (sf.subject_cn.p && sf.subject_cn.p + sf.subject_cn.len > c + k)))
				bad++;
			free(c);
		}
		CHECK_EQ(bad, 0);
	}
	/* the Certificate record alone (its ServerHello came in an earlier segment) */
	{
		uint32_t sh = tb_server_flight(&t, 0x0303, 32, 0x42, NULL, false, false);

		n = tb_server_flight(&t, 0x0303, 32, 0x42, &cert, true, false);
		CHECK_EQ(tls_parse_server_flight(t.b + sh, n - sh, false, 0, &sf), TLS_MORE);
		CHECK(!(sf.have & TLS_SRV_CERT));
		CHECK_EQ(tls_parse_server_flight(t.b + sh, n - sh, false, 0x0303, &sf), TLS_OK);
		CHECK(tls_bytes_is(&sf.issuer_cn, "FortiGate CA"));
		CHECK_EQ(tls_parse_server_flight(t.b + sh, n - sh, false, 0x0304, &sf), TLS_MORE);
	}
	/* TLS 1.3 (supported_versions): a cleartext-looking Certificate is not read */
	n = tb_server_flight(&t, 0x0303, 32, 0x42, &cert, true, true);
	CHECK_EQ(tls_parse_server_flight(t.b, n, false, 0, &sf), TLS_OK);
	CHECK_EQ(sf.version, 0x0304);
	CHECK(!(sf.have & TLS_SRV_CERT));
	/* an alert record first: BAD */
	t.b[0] = 21;
	CHECK_EQ(tls_parse_server_flight(t.b, n, false, 0, &sf), TLS_BAD);
	/* the DER walker on garbage */
	for (k = 0; k < 3000; k++) {
		uint8_t r[40];
		uint32_t x = k * 2246822519u;

		for (int i = 0; i < 40; i++)
			x = x * 1103515245u + 12345u, r[i] = (uint8_t)(x >> 16);
		r[0] = 0x30;
		tls_cert_names(r, sizeof(r), &sf.subject_cn, &sf.issuer_cn);
	}
	/* DTLS HelloVerifyRequest (real bytes, dtls_session_id_and_coockie_both) */
	{
		static const uint8_t hvr[] = {
			0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23, 0x03, 0, 0, 0x17, 0, 0, 0,
			0, 0, 0, 0, 0x17, 0xfe, 0xff, 0x14, 0x1c, 0x0e, 0xfc, 0x21, 0x70, 0x10, 0x04,
			0x9e, 0x06, 0x80, 0x53, 0x1d, 0x36, 0x4e, 0xe0, 0x5e, 0xaa, 0x42, 0xa6, 0x9e,
		};

		CHECK_EQ(tls_parse_server_flight(hvr, sizeof(hvr), true, 0, &sf), TLS_OK);
		CHECK(sf.have & TLS_SRV_HELLO_VERIFY);
		CHECK_EQ(sf.cookie.len, 20);
	}
}

int
main(void)
{
	struct tb t;
	uint32_t n;

	test_sha256();
	test_chrome_ja4();
	test_tls12();
	test_dtls();
	n = tb_chrome(&t, "www.example.com");
	test_truncations(t.b, n, false);
	{
		static const uint16_t cs[] = { 0xc02b };
		struct tb e = { .n = 0 };
		static const uint16_t sv[] = { 0xfefd };
		struct tb_hello h = { .dtls = true, .record_version = 0xfefd, .client_version = 0xfefd,
				      .sid_len = 32, .sid_byte = 1, .cookie_len = 32,
				      .ciphers = cs, .n_ciphers = 1, .ext = &e };

		tb_ext_list(&e, 0x002b, sv, 1);
		tb_ext_sni(&e, "d.example");
		n = tb_client_hello(&t, &h);
		test_truncations(t.b, n, true);
	}
	test_truncations(tb_cisco_dtls_hello, sizeof(tb_cisco_dtls_hello), true);
	test_bad_lengths();
	test_server();
	CHECK_DONE();
}

#endif
