/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SSL-VPN classifiers (openconnect, sstp, fortinet, globalprotect,
 * softether) through the engine's real classification stage
 * (cls_harness.h): positives for what each can decide, and negatives that
 * must stay undecided -- ordinary TLS 1.2/1.3 (browser-like ClientHellos,
 * ordinary certificates), QUIC-like and WebRTC-like DTLS datagrams on UDP
 * 443, random bytes -- and WireGuard/OpenVPN still decided by their own
 * classifiers. ClientHello/certificate builders come from test_tls.c.
 */
#define TLS_TEST_NO_MAIN
#include "test_tls.c"

#include "cls_harness.h"

static struct harness h;
static int n_pos, n_neg;

/* TCP handshake (3 payload-less packets) before the payloads. */
static void
tcp_open(struct flow_insp *f)
{
	harness_flow(f, 6);
	harness_feed(&h, f, CLS_C2S, NULL, 0, 50000, 443);
	harness_feed(&h, f, CLS_S2C, NULL, 0, 443, 50000);
	harness_feed(&h, f, CLS_C2S, NULL, 0, 50000, 443);
}

static void
feed(struct flow_insp *f, uint8_t dir, const void *p, uint32_t n)
{
	harness_feed(&h, f, dir, p, n, dir ? 443 : 50000, dir ? 50000 : 443);
}

static void
want(struct flow_insp *f, const char *app, const char *check)
{
	if (strcmp(harness_app(f), app) != 0) {
		char r[160];

		harness_reason(&h, f, r, sizeof(r));
		fprintf(stderr, "flow: want %s, got %s (%s), owner %u owned %u\n", app, harness_app(f), r,
			f->cls.owner, f->cls.owned);
	}
	CHECK_STR(harness_app(f), app);
	if (strcmp(app, "unknown") == 0) {
		n_neg++;
		return;
	}
	n_pos++;
	if (check != NULL)
		CHECK_STR(f->check, check);
}

/* One cleartext TCP request at stream offset 0. */
static void
cleartext(const char *req, const char *app, const char *check)
{
	struct flow_insp f;

	tcp_open(&f);
	feed(&f, CLS_C2S, req, (uint32_t)strlen(req));
	want(&f, app, check);
}

/* DTLS ServerHello (sid) + ChangeCipherSpec, one datagram. */
static uint32_t
dtls_server_hello(struct tb *t, uint8_t sid_len, uint8_t sid_byte, bool ccs)
{
	uint32_t rec, hs;

	t->n = 0;
	tb_u8(t, 22), tb_u16(t, 0xfefd), tb_u16(t, 0), tb_fill(t, 0, 5), tb_u8(t, 1);
	rec = t->n;
	tb_u16(t, 0);
	hs = t->n;
	tb_u8(t, 2), tb_u24(t, 0), tb_u16(t, 1), tb_u24(t, 0), tb_u24(t, 0);
	tb_u16(t, 0xfefd), tb_fill(t, 0x31, 32), tb_u8(t, sid_len), tb_fill(t, sid_byte, sid_len);
	tb_u16(t, 0xc02c), tb_u8(t, 0);
	tb_set16(t, rec, t->n - hs);
	tb_set24(t, hs + 1, t->n - hs - 12);
	tb_set24(t, hs + 9, t->n - hs - 12);
	if (ccs)
		tb_u8(t, 20), tb_u16(t, 0xfefd), tb_u16(t, 0), tb_fill(t, 0, 5), tb_u8(t, 2), tb_u16(t, 1),
			tb_u8(t, 1);
	return t->n;
}

static const uint8_t hvr[] = {
	0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23, 0x03, 0, 0, 0x17, 0, 0, 0,
	0, 0, 0, 0, 0x17, 0xfe, 0xff, 0x14, 0x1c, 0x0e, 0xfc, 0x21, 0x70, 0x10, 0x04,
	0x9e, 0x06, 0x80, 0x53, 0x1d, 0x36, 0x4e, 0xe0, 0x5e, 0xaa, 0x42, 0xa6, 0x9e,
};

/* Real: the DTLS channel of ../pcaps/openconnect-ocserv.pcap (ocserv + openconnect, PSK-NEGOTIATE). */
/* 198.19.0.2:45115 -> 198.19.0.1:443 */
static const uint8_t ocs_client_hello[] = {
	0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x9b, 0x01, 0x00, 0x00, 0x8f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x8f, 0xfe, 0xfd, 0x0d, 0x1b, 0xdb, 0x64, 0xd4, 0x7c, 0x75, 0xa0, 0x6a,
	0x6c, 0x0e, 0x2a, 0x05, 0x87, 0xb7, 0x50, 0x87, 0x64, 0x02, 0xc4, 0x8b,
	0x84, 0x6f, 0x70, 0x73, 0xa2, 0x67, 0xc7, 0xdf, 0x38, 0x3b, 0xdb, 0x20,
	0x0e, 0x46, 0x5b, 0x6d, 0x8a, 0xa5, 0xd1, 0xdc, 0x57, 0x44, 0x11, 0xc8,
	0x5e, 0x16, 0x56, 0xb7, 0xdb, 0x79, 0xf7, 0xd3, 0xcf, 0xc9, 0xca, 0x59,
	0x58, 0x35, 0xeb, 0xee, 0x2b, 0x03, 0x6f, 0x41, 0x00, 0x00, 0x10, 0x00,
	0xa9, 0xcc, 0xab, 0xc0, 0xa5, 0x00, 0x8d, 0x00, 0xa8, 0xc0, 0xa4, 0x00,
	0x8c, 0x00, 0xae, 0x01, 0x00, 0x00, 0x35, 0x00, 0x0d, 0x00, 0x22, 0x00,
	0x20, 0x04, 0x01, 0x08, 0x09, 0x08, 0x04, 0x04, 0x03, 0x08, 0x07, 0x05,
	0x01, 0x08, 0x0a, 0x08, 0x05, 0x05, 0x03, 0x08, 0x08, 0x06, 0x01, 0x08,
	0x0b, 0x08, 0x06, 0x06, 0x03, 0x02, 0x01, 0x02, 0x03, 0x00, 0x23, 0x00,
	0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x40, 0x00,
};
/* 198.19.0.1:443 -> 198.19.0.2:45115 */
static const uint8_t ocs_server_hello[] = {
	0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x5f, 0x02, 0x00, 0x00, 0x53, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x53, 0xfe, 0xfd, 0x85, 0x9c, 0xe5, 0x05, 0xd6, 0xf4, 0x1d, 0x8a, 0xc0,
	0xa4, 0xa3, 0x6f, 0x48, 0xd7, 0x71, 0xdd, 0x6e, 0x6e, 0xae, 0x98, 0x3d,
	0xa6, 0x71, 0x0d, 0xdd, 0x2c, 0x0c, 0xe2, 0x32, 0x79, 0x13, 0xa5, 0x20,
	0x15, 0xb6, 0x32, 0x26, 0x2c, 0x6d, 0x55, 0x5c, 0xe7, 0x94, 0x53, 0x5f,
	0x23, 0xbe, 0x79, 0xb7, 0x4d, 0xd3, 0xc2, 0x6c, 0xd2, 0xc5, 0xc7, 0x64,
	0x83, 0x24, 0xf3, 0xb2, 0x9d, 0x61, 0x53, 0x28, 0x00, 0xa9, 0x00, 0x00,
	0x0b, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x1c, 0x00, 0x02, 0x40, 0x00,
};
/* 198.19.0.1:443 -> 198.19.0.2:45115 */
static const uint8_t ocs_server_hello_done[] = {
	0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x0c, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};
/* 198.19.0.2:45115 -> 198.19.0.1:443 */
static const uint8_t ocs_client_key_exchange[] = {
	0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x11, 0x10, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x00, 0x03, 0x70, 0x73, 0x6b, 0x14, 0xfe, 0xfd, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x01, 0x16, 0xfe, 0xfd, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x4a, 0x49, 0xd4, 0x5b, 0x9a, 0x7e, 0x88,
	0x57, 0xa0, 0x05, 0x52, 0x1c, 0x2c, 0x71, 0x78, 0x80, 0x62, 0xa6, 0x7c,
	0x17, 0xe6, 0x95, 0x9e, 0xe0, 0x41, 0xac, 0x4f, 0x4d, 0x67, 0x36, 0xa9,
	0x31, 0x74, 0x0c, 0xf3, 0xeb, 0xbf, 0xc4, 0x5c, 0x66,
};

/*
 * Real, not a VPN: OpenSSL 3.0.22's `s_client -dtls1 -no_ticket -cipher
 * ECDHE-ECDSA-AES256-SHA -sess_in ...` resuming a DTLS 1.0 session by id
 * against `s_server -dtls` (the shape of pcaps/negatives/dtls.pcap):
 * ClientHello (32-byte session id, one suite + SCSV), HelloVerifyRequest,
 * ClientHello + cookie, then ServerHello echoing the id + CCS + Finished.
 */
static const uint8_t ossl_dtls10_hello[] = {
	0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7a, 0x01, 0x00, 0x00,
	0x6e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6e, 0xfe, 0xff, 0x3f, 0x7a, 0x62, 0xee, 0xa4,
	0x41, 0xe3, 0x71, 0x07, 0x16, 0x83, 0x6f, 0xbe, 0xba, 0xeb, 0x00, 0x80, 0xf9, 0xb9, 0xe6, 0xd2,
	0xc2, 0xd8, 0x29, 0x5c, 0x43, 0xd7, 0x83, 0xe3, 0x61, 0x7e, 0x0a, 0x20, 0x15, 0xb0, 0xd8, 0x79,
	0xd7, 0x0a, 0x9d, 0xc7, 0x36, 0x72, 0x93, 0xac, 0x46, 0x66, 0x8f, 0x70, 0xf7, 0xbb, 0x22, 0x03,
	0xbc, 0xed, 0xd2, 0xe6, 0xfb, 0x4b, 0x8d, 0x4e, 0x80, 0x69, 0x36, 0x15, 0x00, 0x00, 0x04, 0xc0,
	0x0a, 0x00, 0xff, 0x01, 0x00, 0x00, 0x20, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00,
	0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x00,
	0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
};
static const uint8_t ossl_dtls10_hvr[] = {
	0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x03, 0x00, 0x00,
	0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x17, 0xfe, 0xff, 0x14, 0xaf, 0x1c, 0xca, 0xb7,
	0x08, 0x38, 0x17, 0xa2, 0xec, 0x2e, 0x80, 0xac, 0x6d, 0x84, 0x34, 0x5d, 0x76, 0x2b, 0x3c, 0x06,
};
static const uint8_t ossl_dtls10_hello_cookie[] = {
	0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x8e, 0x01, 0x00, 0x00,
	0x82, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x82, 0xfe, 0xff, 0x3f, 0x7a, 0x62, 0xee, 0xa4,
	0x41, 0xe3, 0x71, 0x07, 0x16, 0x83, 0x6f, 0xbe, 0xba, 0xeb, 0x00, 0x80, 0xf9, 0xb9, 0xe6, 0xd2,
	0xc2, 0xd8, 0x29, 0x5c, 0x43, 0xd7, 0x83, 0xe3, 0x61, 0x7e, 0x0a, 0x20, 0x15, 0xb0, 0xd8, 0x79,
	0xd7, 0x0a, 0x9d, 0xc7, 0x36, 0x72, 0x93, 0xac, 0x46, 0x66, 0x8f, 0x70, 0xf7, 0xbb, 0x22, 0x03,
	0xbc, 0xed, 0xd2, 0xe6, 0xfb, 0x4b, 0x8d, 0x4e, 0x80, 0x69, 0x36, 0x15, 0x14, 0xaf, 0x1c, 0xca,
	0xb7, 0x08, 0x38, 0x17, 0xa2, 0xec, 0x2e, 0x80, 0xac, 0x6d, 0x84, 0x34, 0x5d, 0x76, 0x2b, 0x3c,
	0x06, 0x00, 0x04, 0xc0, 0x0a, 0x00, 0xff, 0x01, 0x00, 0x00, 0x20, 0x00, 0x0b, 0x00, 0x04, 0x03,
	0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00,
	0x19, 0x00, 0x18, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
};
static const uint8_t ossl_dtls10_server[] = {
	0x16, 0xfe, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x61, 0x02, 0x00, 0x00,
	0x55, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x55, 0xfe, 0xff, 0xd8, 0xd5, 0xf0, 0xd0, 0x4d,
	0x6e, 0x3a, 0x44, 0x20, 0xf5, 0x66, 0x55, 0xcb, 0x0c, 0x2f, 0xea, 0x02, 0xf4, 0x65, 0xfb, 0xc3,
	0x13, 0x84, 0x5d, 0x94, 0x94, 0x38, 0x9e, 0xb2, 0x67, 0xed, 0x99, 0x20, 0x15, 0xb0, 0xd8, 0x79,
	0xd7, 0x0a, 0x9d, 0xc7, 0x36, 0x72, 0x93, 0xac, 0x46, 0x66, 0x8f, 0x70, 0xf7, 0xbb, 0x22, 0x03,
	0xbc, 0xed, 0xd2, 0xe6, 0xfb, 0x4b, 0x8d, 0x4e, 0x80, 0x69, 0x36, 0x15, 0xc0, 0x0a, 0x00, 0x00,
	0x0d, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x14, 0xfe,
	0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x01, 0x16, 0xfe, 0xff, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0xa4, 0x93, 0x7a, 0x16, 0x88, 0xdf, 0xde,
	0x2e, 0xc6, 0x34, 0x32, 0x90, 0x52, 0xc1, 0xd5, 0x6c, 0x05, 0x36, 0xfe, 0x28, 0xb6, 0x54, 0x02,
	0x4d, 0x45, 0x2a, 0xd8, 0x25, 0x6b, 0x34, 0x6b, 0x01, 0xde, 0x8f, 0xf5, 0xee, 0xe9, 0x85, 0xcd,
	0x79, 0x84, 0x3c, 0xb0, 0x96, 0xc2, 0x9a, 0x44, 0xd3, 0x2b, 0x49, 0x43, 0x12, 0xc2, 0x33, 0x63,
	0xc3, 0x2c, 0x2f, 0x82, 0xaa, 0x38, 0x07, 0xa9, 0x2a, 0x74, 0x58, 0x0a, 0x9c,
};

static void
test_ocserv_psk(void)
{
	struct flow_insp f;
	uint8_t cke[sizeof(ocs_client_key_exchange)], ch[sizeof(ocs_client_hello)];

	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ocs_client_hello, sizeof(ocs_client_hello));
	feed(&f, CLS_S2C, ocs_server_hello, sizeof(ocs_server_hello));
	feed(&f, CLS_S2C, ocs_server_hello_done, sizeof(ocs_server_hello_done));
	feed(&f, CLS_C2S, ocs_client_key_exchange, sizeof(ocs_client_key_exchange));
	want(&f, "openconnect", "dtls-psk-negotiate-app-id+psk-identity");
	CHECK_EQ(f.result, CLS_CONFIRMED);
	CHECK_EQ(f.decided_at_pkt, 4);

	/* another PSK identity: an ordinary PSK DTLS client, no */
	memcpy(cke, ocs_client_key_exchange, sizeof(cke));
	CHECK(cke[25 + 4] == 'k');
	cke[25 + 4] = 'x';
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ocs_client_hello, sizeof(ocs_client_hello));
	feed(&f, CLS_S2C, ocs_server_hello, sizeof(ocs_server_hello));
	feed(&f, CLS_S2C, ocs_server_hello_done, sizeof(ocs_server_hello_done));
	feed(&f, CLS_C2S, cke, sizeof(cke));
	want(&f, "unknown", NULL);

	/* the client's side alone: the ClientKeyExchange without a ServerHello seen decides, likely */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ocs_client_hello, sizeof(ocs_client_hello));
	feed(&f, CLS_C2S, ocs_client_key_exchange, sizeof(ocs_client_key_exchange));
	want(&f, "openconnect", "dtls-psk-negotiate-app-id+psk-identity-one-dir");
	CHECK_EQ(f.result, CLS_LIKELY);
	CHECK_EQ(f.server, CLS_SERVER_S2C_SENDER);
	CHECK_EQ(f.decided_at_pkt, 2);
	/* ... with another identity it does not */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ocs_client_hello, sizeof(ocs_client_hello));
	feed(&f, CLS_C2S, cke, sizeof(cke));
	want(&f, "unknown", NULL);
	/* the server's side alone (ServerHello with a PSK suite, ServerHelloDone): any DTLS-PSK server, no */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ocs_server_hello, sizeof(ocs_server_hello));
	feed(&f, CLS_C2S, ocs_server_hello_done, sizeof(ocs_server_hello_done));
	want(&f, "unknown", NULL);
	CHECK_EQ(f.cls.owner, 0);

	/* session id zeroed (an IoT PSK client's fresh hello): not claimed */
	memcpy(ch, ocs_client_hello, sizeof(ch));
	CHECK_EQ(ch[25 + 34], 32);
	memset(ch + 25 + 35, 0, 32);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, ch, sizeof(ch));
	CHECK_EQ(f.cls.owner, 0);
	want(&f, "unknown", NULL);
}

/* The real OpenSSL DTLS 1.0 resumption above, its one suite set to `suite`. */
static void
ossl_dtls10(struct flow_insp *f, uint16_t suite)
{
	static const uint8_t offer[] = { 0x00, 0x04, 0xc0, 0x0a, 0x00, 0xff };
	uint8_t a[sizeof(ossl_dtls10_hello)], b[sizeof(ossl_dtls10_hello_cookie)];
	uint8_t *c[2] = { a, b };
	uint32_t len[2] = { sizeof(a), sizeof(b) };

	memcpy(a, ossl_dtls10_hello, sizeof(a));
	memcpy(b, ossl_dtls10_hello_cookie, sizeof(b));
	for (unsigned int k = 0; k < 2; k++) {
		uint32_t i, hits = 0;

		for (i = 0; i + sizeof(offer) <= len[k]; i++)
			if (memcmp(c[k] + i, offer, sizeof(offer)) == 0) {
				c[k][i + 2] = (uint8_t)(suite >> 8), c[k][i + 3] = (uint8_t)suite;
				hits++;
			}
		CHECK_EQ(hits, 1);
	}
	harness_flow(f, 17);
	feed(f, CLS_C2S, a, sizeof(a));
	feed(f, CLS_S2C, ossl_dtls10_hvr, sizeof(ossl_dtls10_hvr));
	feed(f, CLS_C2S, b, sizeof(b));
	feed(f, CLS_S2C, ossl_dtls10_server, sizeof(ossl_dtls10_server));
}

static void
test_openconnect(void)
{
	static const uint16_t one[] = { 0xc02c }, one_scsv[] = { 0x0035, 0x00ff }, ecdhe_scsv[] = { 0xc00a, 0x00ff };
	static const uint16_t many[] = { 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013 };
	static const uint16_t groups[] = { 0x001d, 0x0017 };
	struct tb ch, ch2, sh, e = { .n = 0 };
	struct tb_hello hl = { .dtls = true, .record_version = 0xfefd, .client_version = 0xfefd,
			       .sid_len = 32, .sid_byte = 0x5c, .ciphers = one, .n_ciphers = 1 };
	struct flow_insp f;
	uint32_t n, n2, m;

	/*
	 * DTLS 1.2 resume with one suite: AnyConnect's shape, but ordinary DTLS
	 * resumes like this too (nDPI's dtls_session_id_and_coockie_both.pcap),
	 * so it is deliberately left undecided: a false VPN verdict can drop
	 * legitimate traffic. CH, HVR, CH + cookie, ServerHello echo + CCS.
	 */
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	hl.cookie_len = 20;
	n2 = tb_client_hello(&ch2, &hl);
	m = dtls_server_hello(&sh, 32, 0x5c, true);
	feed(&f, CLS_C2S, ch.b, n);
	feed(&f, CLS_S2C, hvr, sizeof(hvr));
	feed(&f, CLS_C2S, ch2.b, n2);
	feed(&f, CLS_S2C, sh.b, m);
	CHECK(f.phase != FLOW_DECIDED);

	/* without HVR, one suite + SCSV, DTLS 1.0 */
	harness_flow(&f, 17);
	hl.cookie_len = 0, hl.client_version = 0xfeff, hl.ciphers = one_scsv, hl.n_ciphers = 2;
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "openconnect", "dtls-clienthello-anyconnect-session-id+serverhello-resumed");

	/* the same with an empty SessionTicket extension (OpenSSL/GnuTLS send one): still */
	tb_ext(&e, 0x000b, "\x01\x00", 2);
	tb_ext(&e, 0x0023, NULL, 0);
	hl.ext = &e;
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "openconnect", "dtls-clienthello-anyconnect-session-id+serverhello-resumed");

	/* a non-empty ticket: the client resumes a session from an earlier full
	 * handshake with this server (RFC 5077), not a pre-agreed one: no */
	e.n = 0;
	tb_ext(&e, 0x0023, "0123456789abcdef0123456789abcdef", 32);
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "unknown", NULL);
	e.n = 0;
	hl.ext = NULL;

	/* one suite, but not one AnyConnect pre-agrees for DTLS 1.0 (ECDHE): no */
	hl.ciphers = ecdhe_scsv;
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "unknown", NULL);
	hl.ciphers = one_scsv;

	/* real OpenSSL DTLS 1.0 resumption with one ECDHE suite: no ... */
	ossl_dtls10(&f, 0xc00a);
	want(&f, "unknown", NULL);
	/* ... and the same bytes with AES256-SHA in both ClientHellos: that is
	 * AnyConnect's shape, so the suite alone is what tells them apart */
	ossl_dtls10(&f, 0x0035);
	want(&f, "openconnect", "dtls-clienthello-anyconnect-session-id+serverhello-resumed");

	/* Cisco 0x0100 (real ClientHello): decided at once */
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, tb_cisco_dtls_hello, sizeof(tb_cisco_dtls_hello));
	want(&f, "openconnect", "dtls-0x0100-clienthello-anyconnect-session-id");
	CHECK_EQ(f.result, CLS_LIKELY);

	/* cleartext CSTP */
	cleartext("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.example\r\nX-CSTP-Version: 1\r\n\r\n",
		  "openconnect", "cleartext-cstp-connect-cscosslc-tunnel");
	cleartext("CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nHost: vpn.example\r\n\r\n", "unknown", NULL);

	/* same session id, but the server runs a full handshake (new id): no */
	harness_flow(&f, 17);
	hl.client_version = 0xfefd, hl.ciphers = one, hl.n_ciphers = 1;
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	m = dtls_server_hello(&sh, 32, 0x77, false);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "unknown", NULL);

	/* WebRTC-like: no session id, many suites, extensions */
	tb_ext_list(&e, 0x000a, groups, 2);
	tb_ext(&e, 0x000e, "\x00\x02\x00\x01\x00", 5); /* use_srtp */
	hl.sid_len = 0, hl.ciphers = many, hl.n_ciphers = 8, hl.ext = &e;
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	m = dtls_server_hello(&sh, 0, 0, false);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "unknown", NULL);
	CHECK_EQ(f.cls.owner, 0);

	/* a generic DTLS client resuming (32-byte id, many suites) and resumed: no */
	hl.sid_len = 32;
	harness_flow(&f, 17);
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	m = dtls_server_hello(&sh, 32, 0x5c, true);
	feed(&f, CLS_S2C, sh.b, m);
	want(&f, "unknown", NULL);

	/* all-zero session id: no */
	harness_flow(&f, 17);
	hl.sid_byte = 0, hl.ciphers = one, hl.n_ciphers = 1, hl.ext = NULL;
	n = tb_client_hello(&ch, &hl);
	feed(&f, CLS_C2S, ch.b, n);
	want(&f, "unknown", NULL);
}

/* A TLS flow: Chrome-like ClientHello, then the server's flight cut as asked. */
static void
tls_flow(struct flow_insp *f, const struct tb *flight, const uint32_t *cuts, unsigned int k)
{
	struct tb ch;
	uint32_t n = tb_chrome(&ch, "vpn.example.com"), off = 0;

	tcp_open(f);
	feed(f, CLS_C2S, ch.b, n);
	feed(f, CLS_S2C, NULL, 0);
	for (unsigned int i = 0; i <= k; i++) {
		uint32_t end = i < k ? cuts[i] : flight->n;

		feed(f, CLS_S2C, flight->b + off, end - off);
		off = end;
	}
}

static void
test_fortinet(void)
{
	struct tb cert, fl;
	struct flow_insp f;
	uint32_t cut[2];

	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	tls_flow(&f, &fl, NULL, 0);
	want(&f, "fortinet", "tls12-server-certificate-issuer-fortigate-ca");
	CHECK_EQ(f.result, CLS_LIKELY);

	/* Certificate record starting in the second segment, at the record boundary */
	tb_server_flight(&fl, 0x0303, 32, 1, NULL, false, false);
	cut[0] = fl.n;
	tb_server_flight(&fl, 0x0303, 32, 1, &cert, true, false);
	tls_flow(&f, &fl, cut, 1);
	want(&f, "fortinet", "tls12-server-certificate-issuer-fortigate-ca");
	/* the ServerHello record split: its version was never seen, so no certificate is read */
	cut[0] = 20, cut[1] = fl.n - cert.n - 10;
	tls_flow(&f, &fl, cut, 2);
	want(&f, "unknown", NULL);

	/* factory certificate */
	tb_der_cert(&cert, "fortinet-subca2001", "FGT60E4Q16000000");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, false, false);
	tls_flow(&f, &fl, NULL, 0);
	want(&f, "fortinet", "tls12-server-certificate-fortinet-factory-serial");

	/* ordinary certificate: no */
	tb_der_cert(&cert, "R3", "www.example.com");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	tls_flow(&f, &fl, NULL, 0);
	want(&f, "unknown", NULL);
	CHECK_EQ(f.cls.owner, 0);
	/* FortiGate-looking names in a TLS 1.3 flight are never read */
	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	tb_server_flight(&fl, 0x0303, 32, 1, &cert, true, true);
	tls_flow(&f, &fl, NULL, 0);
	want(&f, "unknown", NULL);
	/* the certificate names past the segment end: given up */
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, false, false);
	cut[0] = fl.n - cert.n + 40;
	tls_flow(&f, &fl, cut, 1);
	want(&f, "unknown", NULL);

	cleartext("GET /remote/sslvpn-tunnel HTTP/1.1\r\nHost: sslvpn\r\nCookie: SVPNCOOKIE=abc\r\n\r\n",
		  "fortinet", "cleartext-get-remote-sslvpn-tunnel-svpncookie");
	cleartext("GET /remote/sslvpn-tunnel HTTP/1.1\r\nHost: sslvpn\r\n\r\n", "unknown", NULL);
}

/* The server's side alone: its SYN-ACK, then its flight, the flow's first sender being the server. */
static void
tls_server_only(struct flow_insp *f, const struct tb *flight, uint32_t cut)
{
	harness_flow(f, 6);
	harness_feed(&h, f, CLS_C2S, NULL, 0, 443, 50000);
	if (cut == 0 || cut >= flight->n) {
		harness_feed(&h, f, CLS_C2S, flight->b, flight->n, 443, 50000);
		return;
	}
	harness_feed(&h, f, CLS_C2S, flight->b, cut, 443, 50000);
	harness_feed(&h, f, CLS_C2S, flight->b + cut, flight->n - cut, 443, 50000);
}

static void
test_fortinet_one_dir(void)
{
	struct tb cert, fl, ch;
	struct flow_insp f;
	uint32_t n, cut;
	uint8_t cke[93];

	/* server only: the certificate in the flight's first segment, or in its second */
	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	tls_server_only(&f, &fl, 0);
	want(&f, "fortinet", "tls12-server-certificate-issuer-fortigate-ca-one-dir");
	CHECK_EQ(f.result, CLS_LIKELY);
	CHECK_EQ(f.server, CLS_SERVER_C2S_SENDER);
	CHECK_EQ(f.decided_at_pkt, 2);
	tb_server_flight(&fl, 0x0303, 32, 1, NULL, false, false);
	cut = fl.n;
	tb_server_flight(&fl, 0x0303, 32, 1, &cert, true, false);
	tls_server_only(&f, &fl, cut);
	want(&f, "fortinet", "tls12-server-certificate-issuer-fortigate-ca-one-dir");
	CHECK_EQ(f.decided_at_pkt, 3);
	tb_der_cert(&cert, "fortinet-subca2001", "FGT60E4Q16000000");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, false, false);
	tls_server_only(&f, &fl, 0);
	want(&f, "fortinet", "tls12-server-certificate-fortinet-factory-serial-one-dir");
	/* server only, not FortiGate: an ordinary certificate, TLS 1.3, a ServerHello not at offset 0 */
	tb_der_cert(&cert, "R3", "www.example.com");
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	tls_server_only(&f, &fl, 0);
	want(&f, "unknown", NULL);
	CHECK_EQ(f.cls.owner, 0);
	tb_der_cert(&cert, "FortiGate CA", "FortiGate");
	tb_server_flight(&fl, 0x0303, 32, 1, &cert, true, true);
	tls_server_only(&f, &fl, 0);
	want(&f, "unknown", NULL);
	CHECK_EQ(f.cls.owner, 0);
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, true, false);
	harness_flow(&f, 6);
	harness_feed(&h, &f, CLS_C2S, "HTTP/1.1 200 OK\r\n\r\n", 19, 443, 50000);
	harness_feed(&h, &f, CLS_C2S, fl.b, fl.n, 443, 50000);
	want(&f, "unknown", NULL);
	/* the client's reply seen after a server-first flight: not one side only, given up */
	tb_server_flight(&fl, 0x0303, 32, 1, NULL, false, false);
	harness_flow(&f, 6);
	harness_feed(&h, &f, CLS_C2S, fl.b, fl.n, 443, 50000);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("fortinet"));
	harness_feed(&h, &f, CLS_S2C, "x", 1, 50000, 443);
	CHECK_EQ(f.cls.owner, 0);

	/*
	 * client only: the ClientHello is owned until the client goes on past it
	 * (its ClientKeyExchange: the server's flight went by unseen), then given up.
	 */
	n = tb_chrome(&ch, "vpn.example.com");
	tcp_open(&f);
	feed(&f, CLS_C2S, ch.b, n);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("fortinet"));
	memset(cke, 0x42, sizeof(cke));
	cke[0] = 0x16, cke[1] = 0x03, cke[2] = 0x03, cke[3] = 0, cke[4] = 0x25, cke[5] = 0x10;
	feed(&f, CLS_C2S, cke, sizeof(cke));
	CHECK_EQ(f.cls.owner, 0);
	CHECK(f.phase != FLOW_DECIDED);
	want(&f, "unknown", NULL);
	/* a ClientHello in two segments (gathered, then offered whole): owned, then the same */
	tcp_open(&f);
	feed(&f, CLS_C2S, ch.b, 100);
	feed(&f, CLS_C2S, ch.b + 100, n - 100);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("fortinet"));
	feed(&f, CLS_C2S, cke, sizeof(cke));
	CHECK_EQ(f.cls.owner, 0);
}

static void
test_cleartext(void)
{
	cleartext("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
		  "Host: vpn.example\r\nContent-Length: 18446744073709551615\r\n\r\n",
		  "sstp", "cleartext-sstp-duplex-post-sra-guid");
	cleartext("SSTP_DUPLEX_POST /sra_{ba195980-cd49-458b-9e23-c84ee0adcd75}/ HTTP/1.1\r\n\r\n",
		  "sstp", "cleartext-sstp-duplex-post-sra-guid");
	cleartext("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD76}/ HTTP/1.1\r\n\r\n",
		  "unknown", NULL);
	cleartext("POST /global-protect/prelogin.esp?tmp=tmp&clientVer=4100 HTTP/1.1\r\nHost: gp\r\n\r\n",
		  "globalprotect", "cleartext-http-globalprotect-esp-endpoint");
	cleartext("POST /ssl-vpn/getconfig.esp HTTP/1.1\r\n\r\n", "globalprotect",
		  "cleartext-http-globalprotect-esp-endpoint");
	cleartext("GET /ssl-tunnel-connect.sslvpn?user=u&authcookie=0123 HTTP/1.1\r\n\r\n", "globalprotect",
		  "cleartext-ssl-tunnel-connect-authcookie");
	cleartext("GET /ssl-vpn/index.html HTTP/1.1\r\n\r\n", "unknown", NULL);
	cleartext("POST /ssl-vpn/prelogin.esphx HTTP/1.1\r\n\r\n", "unknown", NULL);
	cleartext("POST /vpnsvc/connect.cgi HTTP/1.1\r\nContent-Type: image/jpeg\r\nConnection: Keep-Alive\r\n"
		  "Content-Length: 1411\r\n\r\nGIF89a",
		  "softether", "cleartext-post-vpnsvc-connect-cgi-image-jpeg");
	cleartext("POST /vpnsvc/connect.cgi HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n", "unknown", NULL);
	cleartext("GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n", "unknown", NULL);
}

static void
test_negatives(void)
{
	struct tb ch, cert, fl;
	struct flow_insp f;
	uint8_t r[1200];
	uint32_t x = 12345;

	/* TLS 1.3 browser-like: ServerHello selects 1.3 */
	tb_der_cert(&cert, "R3", "www.example.com");
	tb_server_flight(&fl, 0x0303, 32, 0x99, NULL, false, true);
	tls_flow(&f, &fl, NULL, 0);
	want(&f, "unknown", NULL);
	/* TLS 1.2 curl-like, no SNI */
	tb_server_flight(&fl, 0x0303, 0, 0, &cert, false, false);
	tcp_open(&f);
	feed(&f, CLS_C2S, ch.b, tb_chrome(&ch, NULL));
	feed(&f, CLS_S2C, fl.b, fl.n);
	want(&f, "unknown", NULL);
	/* a ClientHello split over two segments, then an ordinary server */
	tcp_open(&f);
	{
		uint32_t n = tb_chrome(&ch, "www.example.com");

		feed(&f, CLS_C2S, ch.b, 100);
		feed(&f, CLS_C2S, ch.b + 100, n - 100);
	}
	feed(&f, CLS_S2C, fl.b, fl.n);
	want(&f, "unknown", NULL);

	/* QUIC-like long-header Initials on UDP 443, and random datagrams */
	for (int k = 0; k < 40; k++) {
		harness_flow(&f, 17);
		for (int i = 0; i < 6; i++) {
			for (unsigned int j = 0; j < sizeof(r); j++)
				x = x * 1103515245u + 12345u, r[j] = (uint8_t)(x >> 16);
			if (k & 1)
				r[0] = 0xc3, r[1] = 0, r[2] = 0, r[3] = 0, r[4] = 1, r[5] = 8;
			if (k % 4 == 2) /* DTLS-looking header, garbage body */
				r[0] = 0x16, r[1] = 0xfe, r[2] = 0xfd, r[3] = 0, r[4] = 0, r[13] = 1;
			feed(&f, (uint8_t)(i & 1), r, 1200 - 100 * (uint32_t)i);
		}
		want(&f, "unknown", NULL);
	}
	/* random TCP payloads, also starting like a TLS record */
	for (int k = 0; k < 40; k++) {
		tcp_open(&f);
		for (int i = 0; i < 6; i++) {
			for (unsigned int j = 0; j < 600; j++)
				x = x * 1103515245u + 12345u, r[j] = (uint8_t)(x >> 16);
			if (k & 1)
				r[0] = 0x16, r[1] = 3, r[2] = 1, r[5] = (uint8_t)(i == 0 ? 1 : 2);
			feed(&f, (uint8_t)(i & 1), r, 600);
		}
		want(&f, "unknown", NULL);
	}
}

/* WireGuard and OpenVPN still decided by their own classifiers. */
static void
test_no_stealing(void)
{
	uint8_t init[148], resp[92], c[14], s[26];
	uint32_t a = 0x11223344, b = 0x55667788;
	struct flow_insp f;

	memset(init, 0x5a, sizeof(init));
	init[0] = 1, init[1] = init[2] = init[3] = 0;
	memcpy(init + 4, &a, 4);
	memset(resp, 0xa5, sizeof(resp));
	resp[0] = 2, resp[1] = resp[2] = resp[3] = 0;
	memcpy(resp + 4, &b, 4);
	memcpy(resp + 8, &a, 4);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, init, sizeof(init));
	feed(&f, CLS_S2C, resp, sizeof(resp));
	want(&f, "wireguard", "handshake-init+response-index-match");

	memset(c, 0, sizeof(c));
	c[0] = 0x38;
	memset(c + 1, 0xc1, 8);
	memset(s, 0, sizeof(s));
	s[0] = 0x40;
	memset(s + 1, 0x5e, 8);
	s[9] = 1;
	memset(s + 14, 0xc1, 8);
	harness_flow(&f, 17);
	feed(&f, CLS_C2S, c, sizeof(c));
	feed(&f, CLS_S2C, s, sizeof(s));
	want(&f, "openvpn", "hard-reset-client+server-ack-session-match");
}

int
main(void)
{
	harness_init(&h, 8, 4096);
	test_openconnect();
	test_ocserv_psk();
	test_fortinet();
	test_fortinet_one_dir();
	test_cleartext();
	test_negatives();
	test_no_stealing();
	harness_free(&h);
	fprintf(stderr, "%d positive flows, %d negative flows\n", n_pos, n_neg);
	CHECK_DONE();
}
