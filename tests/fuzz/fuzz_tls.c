/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the shared TLS/DTLS parser (classifiers/tls.c).
 * Byte 0 picks the mode: bit 0 DTLS; bits 1..2: 0 ClientHello (+ JA4),
 * 1 server flight (+ handshake message search), 2 DER certificate names,
 * 3 all three; bit 3: a ServerHello <= 1.2 was seen before the flight. The rest is copied
 * into a heap buffer of exactly its length so AddressSanitizer sees any
 * read past it; every pointer the parser returns must lie inside it.
 *
 *   clang -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iclassifiers classifiers/tls.c \
 *     tests/fuzz/fuzz_tls.c -o /tmp/fuzz_tls
 *   /tmp/fuzz_tls -max_total_time=60 /tmp/fuzz_tls_corpus tests/data/tls
 */
#include <stdlib.h>
#include <string.h>

#include "tls.h"

#define FZ_ASSERT(c)                     \
	do {                             \
		if (!(c))                \
			__builtin_trap(); \
	} while (0)

static void
fz_inside(const struct tls_bytes *b, const uint8_t *p, uint32_t n)
{
	if (b->p != NULL)
		FZ_ASSERT(b->p >= p && b->len <= n && (uint32_t)(b->p - p) <= n - b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_client_hello ch;
	struct tls_server_flight sf;
	struct tls_bytes s, i;
	uint8_t *p;
	uint32_t n;
	uint8_t mode;
	bool dtls;
	char ja4[TLS_JA4_LEN + 1];

	if (size < 1 || size > 70000)
		return 0;
	mode = (uint8_t)(data[0] >> 1 & 3);
	dtls = data[0] & 1;
	n = (uint32_t)(size - 1);
	p = malloc(n ? n : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data + 1, n);
	if (mode == 0 || mode == 3) {
		enum tls_status st = tls_parse_client_hello(p, n, dtls, &ch);

		FZ_ASSERT(st == TLS_OK || st == TLS_MORE || st == TLS_BAD);
		if (st != TLS_BAD) {
			fz_inside(&ch.session_id, p, n);
			fz_inside(&ch.cookie, p, n);
			fz_inside(&ch.ciphers, p, n);
			fz_inside(&ch.compression, p, n);
			fz_inside(&ch.sni, p, n);
			fz_inside(&ch.alpn, p, n);
			fz_inside(&ch.alpn_first, p, n);
			fz_inside(&ch.supported_versions, p, n);
			fz_inside(&ch.sig_algs, p, n);
			fz_inside(&ch.groups, p, n);
			FZ_ASSERT(st != TLS_MORE || dtls || ch.need > n);
			FZ_ASSERT(st != TLS_OK || ch.have & TLS_HAVE_EXTENSIONS);
			if (st == TLS_OK) {
				fz_inside(&ch.extensions, p, n);
				if (tls_ja4(&ch, ja4, sizeof(ja4)) == 0)
					FZ_ASSERT(strlen(ja4) == TLS_JA4_LEN);
			}
		}
	}
	if (mode == 1 || mode == 3) {
		if (tls_parse_server_flight(p, n, dtls, (uint16_t)(data[0] & 8 ? 0x0303 : 0), &sf) != TLS_BAD) {
			fz_inside(&sf.session_id, p, n);
			fz_inside(&sf.cookie, p, n);
			fz_inside(&sf.subject_cn, p, n);
			fz_inside(&sf.issuer_cn, p, n);
			FZ_ASSERT(sf.end <= n);
		}
		if (tls_find_handshake(p, n, dtls, (uint8_t)(n ? p[n - 1] : 16), &s) == TLS_OK)
			fz_inside(&s, p, n);
	}
	if (mode == 2 || mode == 3) {
		tls_cert_names(p, n, &s, &i);
		fz_inside(&s, p, n);
		fz_inside(&i, p, n);
	}
	free(p);
	return 0;
}
