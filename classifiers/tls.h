/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared TLS/DTLS handshake parser for the SSL-VPN classifiers (not a
 * classifier itself: it exports no descriptor). It reads what a TLS or DTLS
 * peer sends in clear before encryption starts:
 *   - a ClientHello (TLS record 5 + handshake 4 bytes of header; DTLS 1.0/1.2
 *     and Cisco's pre-standard 0x0100: record 13 + handshake 12, with the
 *     HelloVerifyRequest cookie): versions, random, session id, cookie,
 *     cipher suites, compression, and the extensions server_name (SNI), ALPN,
 *     supported_versions, signature_algorithms, supported_groups; GREASE
 *     values (RFC 8701) are tolerated and left out of counts;
 *   - a JA4 fingerprint of a whole ClientHello (see tls_ja4() for the
 *     deviations from FoxIO's spec);
 *   - the server's first flight: ServerHello (selected version, cipher,
 *     session id), DTLS HelloVerifyRequest, and for TLS <= 1.2 the first
 *     certificate's subject and issuer commonName (a minimal DER walk).
 *
 * Everything works on a fragment of a stream: the engine hands validators
 * one TCP segment at a time without reassembly. A ClientHello longer than
 * the buffer is parsed as far as the buffer goes, and the result says
 * TLS_MORE with `need` = the bytes the record headers announce, and `have`
 * says which fields were reached. No allocation, no globals written, every
 * read bounds-checked against the buffer length; all pointers returned point
 * into the caller's buffer.
 */
#ifndef TUNDRA_TLS_H
#define TUNDRA_TLS_H

#include <stdbool.h>
#include <stdint.h>

enum tls_status {
	TLS_BAD = -1,  /* not a (well-formed) TLS/DTLS message of that kind */
	TLS_OK = 0,    /* parsed whole */
	TLS_MORE = 1,  /* consistent so far; the message goes on past the buffer */
};

#define TLS_CT_CCS 20
#define TLS_CT_ALERT 21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA 23

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_HELLO_VERIFY 3
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_CLIENT_KEY_EXCHANGE 16

#define TLS_V_SSL3 0x0300
#define TLS_V_10 0x0301
#define TLS_V_11 0x0302
#define TLS_V_12 0x0303
#define TLS_V_13 0x0304
#define DTLS_V_CISCO 0x0100  /* Cisco AnyConnect's pre-standard DTLS (OpenSSL DTLS1_BAD_VER) */
#define DTLS_V_10 0xfeff
#define DTLS_V_12 0xfefd
#define DTLS_V_13 0xfefc

#define TLS_EXT_SNI 0x0000
#define TLS_EXT_GROUPS 0x000a
#define TLS_EXT_SIG_ALGS 0x000d
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b

#define TLS_RECORD_HDR 5u
#define TLS_HS_HDR 4u
#define DTLS_RECORD_HDR 13u
#define DTLS_HS_HDR 12u
#define TLS_RANDOM_LEN 32u
#define TLS_SID_MAX 32u
#define TLS_MAX_RECORD (16384u + 2048u) /* TLSCiphertext bound (RFC 5246 6.2.3) */

/* A byte range inside the parsed buffer; p is NULL when absent. */
struct tls_bytes {
	const uint8_t *p;
	uint32_t len;
};

/* ClientHello fields reached (struct tls_client_hello.have). */
#define TLS_HAVE_VERSION 0x0001u   /* legacy_version and random */
#define TLS_HAVE_SID 0x0002u
#define TLS_HAVE_COOKIE 0x0004u    /* DTLS only */
#define TLS_HAVE_CIPHERS 0x0008u
#define TLS_HAVE_COMPRESSION 0x0010u
#define TLS_HAVE_EXTENSIONS 0x0020u /* all extensions parsed (or none present) */
#define TLS_HAVE_SNI 0x0100u
#define TLS_HAVE_ALPN 0x0200u
#define TLS_HAVE_SUPPORTED_VERSIONS 0x0400u
#define TLS_HAVE_SIG_ALGS 0x0800u
#define TLS_HAVE_GROUPS 0x1000u

struct tls_client_hello {
	uint8_t dtls;             /* 1: DTLS headers */
	uint16_t record_version;
	uint32_t record_len;      /* record body length */
	uint32_t hs_len;          /* ClientHello body length (DTLS: whole message) */
	uint32_t need;            /* TLS_MORE: buffer bytes the record/ClientHello needs */
	uint32_t have;            /* TLS_HAVE_* */
	uint16_t legacy_version;  /* client_version field */
	uint16_t version;         /* highest supported_versions entry, else legacy_version */
	const uint8_t *random;    /* TLS_RANDOM_LEN bytes */
	struct tls_bytes session_id;
	struct tls_bytes cookie;
	struct tls_bytes ciphers;     /* raw list, 2 bytes each */
	uint16_t n_ciphers;           /* GREASE left out */
	struct tls_bytes compression;
	struct tls_bytes extensions;  /* raw block (complete only with TLS_HAVE_EXTENSIONS) */
	uint16_t n_extensions;        /* parsed so far, GREASE left out */
	struct tls_bytes sni;         /* first host_name */
	struct tls_bytes alpn;        /* raw protocol_name_list */
	struct tls_bytes alpn_first;  /* first protocol name */
	struct tls_bytes supported_versions; /* raw list, 2 bytes each */
	struct tls_bytes sig_algs;    /* raw list, 2 bytes each */
	struct tls_bytes groups;      /* raw list, 2 bytes each */
};

/* Server flight fields reached (struct tls_server_flight.have). */
#define TLS_SRV_HELLO 0x01u        /* ServerHello parsed */
#define TLS_SRV_HELLO_VERIFY 0x02u /* DTLS HelloVerifyRequest parsed */
#define TLS_SRV_CERT 0x04u         /* Certificate message found (cleartext) */
#define TLS_SRV_SUBJECT_CN 0x08u
#define TLS_SRV_ISSUER_CN 0x10u
#define TLS_SRV_CCS 0x20u          /* ChangeCipherSpec record seen */

struct tls_server_flight {
	uint8_t dtls;
	uint32_t have;            /* TLS_SRV_* */
	uint16_t record_version;
	uint16_t legacy_version;  /* ServerHello server_version */
	uint16_t version;         /* selected: supported_versions, else legacy_version */
	uint16_t cipher;
	struct tls_bytes session_id;
	struct tls_bytes cookie;      /* HelloVerifyRequest */
	struct tls_bytes subject_cn;  /* first certificate, last CN of the Name */
	struct tls_bytes issuer_cn;
	uint32_t end;             /* offset just past the last whole record parsed */
	uint32_t next_record;     /* offset of the next record header (may be >= len) */
};

/* RFC 8701 GREASE value (0x0a0a, 0x1a1a, ... 0xfafa). */
static inline bool
tls_is_grease(uint16_t v)
{
	return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu);
}

/*
 * Parse a ClientHello at the start of p[0..len): TLS when dtls is false,
 * DTLS otherwise. TLS_OK: the whole ClientHello was in p. TLS_MORE: the
 * fields listed in ch->have were parsed and the rest lies beyond len
 * (ch->need = bytes from p[0] that the headers announce). TLS_BAD: anything
 * inconsistent in what is there.
 */
enum tls_status tls_parse_client_hello(const uint8_t *p, uint32_t len, bool dtls,
				       struct tls_client_hello *ch);

/*
 * Parse the server's records at the start of p[0..len) (a TCP segment at a
 * record boundary, or one datagram): ServerHello, HelloVerifyRequest,
 * Certificate (only after a ServerHello that selected <= TLS 1.2 / DTLS 1.2,
 * when it is sent in clear). prior_version: the version a ServerHello seen
 * in an earlier segment selected, 0 when none was seen. TLS_OK: at least one message was recognised;
 * TLS_MORE: the first record is well-formed but its first message is not
 * wholly here (fields reached are in sf->have); TLS_BAD: not a server's
 * cleartext handshake record.
 */
enum tls_status tls_parse_server_flight(const uint8_t *p, uint32_t len, bool dtls,
					uint16_t prior_version, struct tls_server_flight *sf);

/*
 * The body of the first whole handshake message of `type` in the cleartext
 * (DTLS: epoch 0, unfragmented) handshake records at the start of p[0..len)
 * -- e.g. a PSK ClientKeyExchange, whose body is the psk_identity (RFC 4279
 * 2). TLS_OK with *body set, else TLS_BAD.
 */
enum tls_status tls_find_handshake(const uint8_t *p, uint32_t len, bool dtls, uint8_t type,
				   struct tls_bytes *body);

/*
 * Walk one DER certificate p[0..len) (len may be a prefix of it) to the
 * subject and issuer Names and return their (last) commonName. Returns
 * TLS_SRV_SUBJECT_CN | TLS_SRV_ISSUER_CN bits for what was found.
 */
uint32_t tls_cert_names(const uint8_t *p, uint32_t len, struct tls_bytes *subject_cn,
			struct tls_bytes *issuer_cn);

/* Protocol version as JA4 writes it: "13", "12", ..., "s3", "d2", ...; "00" unknown. */
const char *tls_ja4_version(uint16_t v);

#define TLS_JA4_LEN 36u /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
#define TLS_JA4_MAX_LIST 256u /* ciphers or extensions a JA4 is computed for */

/*
 * JA4 of a whole ClientHello (TLS_OK from the parser) into out (at least
 * TLS_JA4_LEN + 1 bytes). Returns 0, or -1 when the ClientHello was not
 * parsed whole or lists more than TLS_JA4_MAX_LIST ciphers or extensions.
 */
int tls_ja4(const struct tls_client_hello *ch, char *out, unsigned int outlen);

/* SHA-256 (FIPS 180-4), for JA4. */
struct tls_sha256 {
	uint32_t h[8];
	uint64_t n;
	uint8_t buf[64];
	uint32_t used;
};
void tls_sha256_init(struct tls_sha256 *s);
void tls_sha256_update(struct tls_sha256 *s, const void *data, uint32_t len);
void tls_sha256_final(struct tls_sha256 *s, uint8_t out[32]);

/* Compare a parsed byte range with a C string (exact, case-sensitive). */
bool tls_bytes_is(const struct tls_bytes *b, const char *s);

#endif
