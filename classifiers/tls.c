/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared TLS/DTLS handshake parser (see tls.h): ClientHello, server's first
 * flight with the first certificate's names, JA4, and the small SHA-256 JA4
 * needs (nothing tundra links carries one: Hyperscan, DPDK's core libraries
 * and libpcap have no general-purpose hash of that kind, so a compact
 * FIPS 180-4 implementation lives here rather than a new dependency).
 *
 * Wire facts (RFC 5246 7.4, RFC 8446 4.1.2/4.2, RFC 6347 4.1/4.2, RFC 6066
 * 3, RFC 7301 3.1, RFC 8701, X.509 RFC 5280 4.1):
 *   TLS record  type(1)=22 version(2)=03 0x ; length(2) <= 2^14 + 2048
 *   DTLS record type(1)=22 version(2) epoch(2)=0 seq(6) length(2)
 *   handshake   type(1) length(3) [DTLS: message_seq(2) fragment_offset(3)
 *               fragment_length(3)]
 *   ClientHello client_version(2) random(32) session_id<0..32>
 *               [DTLS: cookie<0..255>] cipher_suites<2..2^16-2>
 *               compression<1..255> [extensions<0..2^16-1>]
 *   ServerHello server_version(2) random(32) session_id<0..32> cipher(2)
 *               compression(1) [extensions]
 *   HelloVerifyRequest server_version(2) cookie<0..255>
 *   Certificate certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>
 * Limits chosen here: a ClientHello must lie in one record (TLS) or start
 * with fragment_offset 0 (DTLS); TLS libraries write it in one record. The
 * version 0x0100 is Cisco's pre-RFC DTLS ("DTLS1_BAD_VER" in OpenSSL,
 * "DTLS0.9" in GnuTLS), spoken only for AnyConnect compatibility.
 */
#include "classifier.h"
#include "tls.h"

#include <string.h>

#include "cls_util.h"

/* Where a field [off, off + n) lies: inside what we have, past it, or past its parent. */
enum span { SP_OK, SP_MORE, SP_BAD };

static enum span
span(uint32_t off, uint32_t n, uint32_t lim, uint32_t avail)
{
	if (off > lim || lim - off < n)
		return SP_BAD;
	if (off > avail || avail - off < n)
		return SP_MORE;
	return SP_OK;
}

static uint32_t
be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

/* Order of protocol versions (DTLS numbers count down); 0 for unknown. */
static int
ver_rank(uint16_t v, bool dtls)
{
	if (dtls) {
		switch (v) {
		case DTLS_V_CISCO:
			return 1;
		case DTLS_V_10:
			return 2;
		case DTLS_V_12:
			return 3;
		case DTLS_V_13:
			return 4;
		default:
			return 0;
		}
	}
	if (v >= TLS_V_SSL3 && v <= TLS_V_13)
		return v - TLS_V_SSL3 + 1;
	return 0;
}

static bool
dtls_record_version_ok(uint16_t v)
{
	return v == DTLS_V_10 || v == DTLS_V_12 || v == DTLS_V_CISCO;
}

/* A list of 2-byte values with a length prefix of pl bytes, exactly filling n bytes. */
static bool
u16_list(const uint8_t *p, uint32_t n, uint32_t pl, struct tls_bytes *out)
{
	uint32_t l;

	if (n < pl)
		return false;
	l = pl == 1 ? p[0] : be16(p);
	if (l != n - pl || l == 0 || (l & 1))
		return false;
	out->p = p + pl;
	out->len = l;
	return true;
}

/* One extension's body e[0..n) of a ClientHello. */
static bool
ch_extension(struct tls_client_hello *ch, uint16_t type, const uint8_t *e, uint32_t n)
{
	uint32_t pos, l;

	switch (type) {
	case TLS_EXT_SNI:
		if (ch->have & TLS_HAVE_SNI || n < 2 || be16(e) != n - 2 || n == 2)
			return false;
		for (pos = 2; pos < n; pos += 3 + l) {
			if (n - pos < 3)
				return false;
			l = be16(e + pos + 1);
			if (l > n - pos - 3)
				return false;
			if (e[pos] == 0 && ch->sni.p == NULL) {
				if (l == 0)
					return false;
				ch->sni.p = e + pos + 3;
				ch->sni.len = l;
			}
		}
		ch->have |= TLS_HAVE_SNI;
		return true;
	case TLS_EXT_ALPN:
		if (ch->have & TLS_HAVE_ALPN || n < 2 || be16(e) != n - 2 || n == 2)
			return false;
		for (pos = 2; pos < n; pos += 1 + l) {
			l = e[pos];
			if (l == 0 || l > n - pos - 1)
				return false;
			if (ch->alpn_first.p == NULL) {
				ch->alpn_first.p = e + pos + 1;
				ch->alpn_first.len = l;
			}
		}
		ch->alpn.p = e + 2;
		ch->alpn.len = n - 2;
		ch->have |= TLS_HAVE_ALPN;
		return true;
	case TLS_EXT_SUPPORTED_VERSIONS: {
		int best = 0;

		if (ch->have & TLS_HAVE_SUPPORTED_VERSIONS ||
		    !u16_list(e, n, 1, &ch->supported_versions))
			return false;
		for (pos = 0; pos < ch->supported_versions.len; pos += 2) {
			uint16_t v = be16(ch->supported_versions.p + pos);
			int r = ver_rank(v, ch->dtls);

			if (!tls_is_grease(v) && r > best) {
				best = r;
				ch->version = v;
			}
		}
		ch->have |= TLS_HAVE_SUPPORTED_VERSIONS;
		return true;
	}
	case TLS_EXT_SIG_ALGS:
		if (ch->have & TLS_HAVE_SIG_ALGS || !u16_list(e, n, 2, &ch->sig_algs))
			return false;
		ch->have |= TLS_HAVE_SIG_ALGS;
		return true;
	case TLS_EXT_GROUPS:
		if (ch->have & TLS_HAVE_GROUPS || !u16_list(e, n, 2, &ch->groups))
			return false;
		ch->have |= TLS_HAVE_GROUPS;
		return true;
	default:
		return true;
	}
}

#define STEP(sp)                                      \
	do {                                          \
		enum span s_ = (sp);                  \
		if (s_ == SP_BAD)                     \
			return TLS_BAD;               \
		if (s_ == SP_MORE)                    \
			return TLS_MORE;              \
	} while (0)

/* The ClientHello body from off; lim = its declared end, avail = min(lim, len). */
static enum tls_status
ch_body(const uint8_t *p, uint32_t off, uint32_t lim, uint32_t avail, struct tls_client_hello *ch)
{
	uint32_t n, ext_end;

	STEP(span(off, 2 + TLS_RANDOM_LEN, lim, avail));
	ch->legacy_version = be16(p + off);
	if (ch->dtls ? !dtls_record_version_ok(ch->legacy_version) :
		       (ch->legacy_version < TLS_V_SSL3 || ch->legacy_version > TLS_V_13))
		return TLS_BAD;
	ch->version = ch->legacy_version;
	ch->random = p + off + 2;
	ch->have |= TLS_HAVE_VERSION;
	off += 2 + TLS_RANDOM_LEN;

	STEP(span(off, 1, lim, avail));
	n = p[off];
	if (n > TLS_SID_MAX)
		return TLS_BAD;
	STEP(span(off + 1, n, lim, avail));
	ch->session_id.p = p + off + 1;
	ch->session_id.len = n;
	ch->have |= TLS_HAVE_SID;
	off += 1 + n;

	if (ch->dtls) {
		STEP(span(off, 1, lim, avail));
		n = p[off];
		STEP(span(off + 1, n, lim, avail));
		ch->cookie.p = p + off + 1;
		ch->cookie.len = n;
		ch->have |= TLS_HAVE_COOKIE;
		off += 1 + n;
	}

	STEP(span(off, 2, lim, avail));
	n = be16(p + off);
	if (n < 2 || (n & 1))
		return TLS_BAD;
	STEP(span(off + 2, n, lim, avail));
	ch->ciphers.p = p + off + 2;
	ch->ciphers.len = n;
	for (uint32_t i = 0; i < n; i += 2)
		if (!tls_is_grease(be16(ch->ciphers.p + i)))
			ch->n_ciphers++;
	ch->have |= TLS_HAVE_CIPHERS;
	off += 2 + n;

	STEP(span(off, 1, lim, avail));
	n = p[off];
	if (n < 1)
		return TLS_BAD;
	STEP(span(off + 1, n, lim, avail));
	ch->compression.p = p + off + 1;
	ch->compression.len = n;
	ch->have |= TLS_HAVE_COMPRESSION;
	off += 1 + n;

	if (off == lim) {
		ch->have |= TLS_HAVE_EXTENSIONS; /* none (SSL 3.0 style) */
		return TLS_OK;
	}
	STEP(span(off, 2, lim, avail));
	n = be16(p + off);
	if (n != lim - off - 2)
		return TLS_BAD;
	off += 2;
	ch->extensions.p = p + off;
	ch->extensions.len = n;
	ext_end = off + n;
	while (off < ext_end) {
		uint16_t type;
		uint32_t elen;

		STEP(span(off, 4, ext_end, avail));
		type = be16(p + off);
		elen = be16(p + off + 2);
		STEP(span(off + 4, elen, ext_end, avail));
		if (!ch_extension(ch, type, p + off + 4, elen))
			return TLS_BAD;
		if (!tls_is_grease(type))
			ch->n_extensions++;
		off += 4 + elen;
	}
	ch->have |= TLS_HAVE_EXTENSIONS;
	return TLS_OK;
}

enum tls_status
tls_parse_client_hello(const uint8_t *p, uint32_t len, bool dtls, struct tls_client_hello *ch)
{
	uint32_t hdr = dtls ? DTLS_RECORD_HDR : TLS_RECORD_HDR;
	uint32_t hs = hdr + (dtls ? DTLS_HS_HDR : TLS_HS_HDR);
	uint32_t lim, avail, frag;
	enum tls_status st;

	memset(ch, 0, sizeof(*ch));
	ch->dtls = dtls;
	if (p == NULL)
		return TLS_BAD;
	/* Headers: check what is there, byte by byte, before asking for more. */
	if (len >= 1 && p[0] != TLS_CT_HANDSHAKE)
		return TLS_BAD;
	if (!dtls && len >= 2 && p[1] != 3)
		return TLS_BAD;
	if (!dtls && len >= 3 && p[2] > 4)
		return TLS_BAD;
	if (dtls && len >= 3 && !dtls_record_version_ok(be16(p + 1)))
		return TLS_BAD;
	if (dtls && len >= 5 && (p[3] != 0 || p[4] != 0))
		return TLS_BAD; /* epoch 0: the ClientHello is never protected */
	if (len >= hdr + 1 && p[hdr] != TLS_HS_CLIENT_HELLO)
		return TLS_BAD;
	if (len < hs) {
		ch->need = hs;
		return TLS_MORE;
	}
	ch->record_version = be16(p + 1);
	ch->record_len = be16(p + hdr - 2);
	ch->hs_len = be24(p + hdr + 1);
	if (ch->record_len > TLS_MAX_RECORD || ch->hs_len < 2 + TLS_RANDOM_LEN + 1 + 2 + 2 + 1 + 1)
		return TLS_BAD;
	if (dtls) {
		/* Only a first fragment can be parsed; it must fit its record. */
		if (be24(p + hdr + 6) != 0)
			return TLS_BAD;
		frag = be24(p + hdr + 9);
		if (frag > ch->hs_len || frag > ch->record_len - DTLS_HS_HDR ||
		    ch->record_len < DTLS_HS_HDR)
			return TLS_BAD;
	} else {
		frag = ch->hs_len;
		if (ch->record_len < TLS_HS_HDR || frag > ch->record_len - TLS_HS_HDR)
			return TLS_BAD; /* spans records: not supported */
	}
	/* Fields past a DTLS fragment are "more", not "bad": lim is the whole message. */
	lim = hs + ch->hs_len;
	avail = len < hs + frag ? len : hs + frag;
	ch->need = frag < ch->hs_len ? lim : hdr + ch->record_len;
	st = ch_body(p, hs, lim, avail, ch);
	if (st == TLS_OK)
		ch->need = 0;
	return st;
}

/* DER ---------------------------------------------------------------------- */

/* TLV header at off inside [0, lim): tag, header length, content length. */
static bool
der_hdr(const uint8_t *p, uint32_t lim, uint32_t off, uint8_t *tag, uint32_t *hl, uint32_t *cl)
{
	uint32_t n, i, v = 0;

	if (!cls_has(lim, off, 2) || (p[off] & 0x1f) == 0x1f)
		return false;
	*tag = p[off];
	if (p[off + 1] < 0x80) {
		*hl = 2;
		*cl = p[off + 1];
		return true;
	}
	n = p[off + 1] & 0x7fu;
	if (n < 1 || n > 3 || !cls_has(lim, off + 2, n))
		return false;
	for (i = 0; i < n; i++)
		v = v << 8 | p[off + 2 + i];
	*hl = 2 + n;
	*cl = v;
	return true;
}

/* TLV at off whose content lies wholly inside [0, lim); *next = just past it. */
static bool
der_elem(const uint8_t *p, uint32_t lim, uint32_t off, uint8_t want, uint32_t *c, uint32_t *clen,
	 uint32_t *next)
{
	uint8_t tag;
	uint32_t hl, cl;

	if (!der_hdr(p, lim, off, &tag, &hl, &cl) || tag != want || !cls_has(lim, off + hl, cl))
		return false;
	*c = off + hl;
	*clen = cl;
	*next = off + hl + cl;
	return true;
}

/* The last commonName (2.5.4.3) of a Name's content p[start..end). */
static bool
der_name_cn(const uint8_t *p, uint32_t start, uint32_t end, struct tls_bytes *cn)
{
	static const uint8_t oid_cn[] = { 0x55, 0x04, 0x03 };
	uint32_t off = start, set, setl, setn, a, al, an, o, ol, on, v, vl, vn;
	uint8_t tag;
	bool found = false;

	while (off < end) {
		if (!der_elem(p, end, off, 0x31, &set, &setl, &setn))
			return found;
		for (a = set; a < setn; a = an) {
			if (!der_elem(p, setn, a, 0x30, &al, &vl, &an) ||
			    !der_elem(p, an, al, 0x06, &o, &ol, &on))
				return found;
			if (ol != sizeof(oid_cn) || memcmp(p + o, oid_cn, sizeof(oid_cn)) != 0)
				continue;
			if (!der_hdr(p, an, on, &tag, &v, &vl) || !cls_has(an, on + v, vl))
				return found;
			/* UTF8String, PrintableString, T61String, IA5String */
			if (tag != 0x0c && tag != 0x13 && tag != 0x14 && tag != 0x16)
				continue;
			vn = on + v;
			cn->p = p + vn;
			cn->len = vl;
			found = true;
		}
		off = setn;
	}
	return found;
}

uint32_t
tls_cert_names(const uint8_t *p, uint32_t len, struct tls_bytes *subject_cn,
	       struct tls_bytes *issuer_cn)
{
	uint8_t tag;
	uint32_t hl, cl, off, tbs_end, c, n, next, found = 0;

	subject_cn->p = issuer_cn->p = NULL;
	subject_cn->len = issuer_cn->len = 0;
	if (p == NULL)
		return 0;
	/* Certificate and TBSCertificate: their ends may lie past the buffer. */
	if (!der_hdr(p, len, 0, &tag, &hl, &cl) || tag != 0x30)
		return 0;
	off = hl;
	if (!der_hdr(p, len, off, &tag, &hl, &cl) || tag != 0x30 || cl > UINT32_MAX - off - hl)
		return 0;
	off += hl;
	tbs_end = off + cl;
	if (tbs_end > len)
		tbs_end = len;
	/* [0] EXPLICIT version (optional), serialNumber, signature */
	if (der_hdr(p, tbs_end, off, &tag, &hl, &cl) && tag == 0xa0 &&
	    !der_elem(p, tbs_end, off, 0xa0, &c, &n, &off))
		return 0;
	if (!der_elem(p, tbs_end, off, 0x02, &c, &n, &off) ||
	    !der_elem(p, tbs_end, off, 0x30, &c, &n, &off))
		return 0;
	if (!der_elem(p, tbs_end, off, 0x30, &c, &n, &next))
		return 0;
	if (der_name_cn(p, c, next, issuer_cn))
		found |= TLS_SRV_ISSUER_CN;
	off = next;
	if (!der_elem(p, tbs_end, off, 0x30, &c, &n, &off) || /* validity */
	    !der_elem(p, tbs_end, off, 0x30, &c, &n, &next))
		return found;
	if (der_name_cn(p, c, next, subject_cn))
		found |= TLS_SRV_SUBJECT_CN;
	return found;
}

/* Server flight ------------------------------------------------------------ */

/* One handshake message body b[0..n) (n = what is here of it, whole when complete). */
static void
srv_message(struct tls_server_flight *sf, uint8_t type, const uint8_t *b, uint32_t n,
	    bool complete)
{
	uint32_t off, l, ext_end;

	switch (type) {
	case TLS_HS_SERVER_HELLO:
		if (!complete || sf->have & TLS_SRV_HELLO || n < 2 + TLS_RANDOM_LEN + 1)
			return;
		sf->legacy_version = be16(b);
		l = b[2 + TLS_RANDOM_LEN];
		off = 3 + TLS_RANDOM_LEN;
		if (l > TLS_SID_MAX || n - off < l + 3)
			return;
		sf->session_id.p = b + off;
		sf->session_id.len = l;
		off += l;
		sf->cipher = be16(b + off);
		off += 3;
		sf->version = sf->legacy_version;
		if (n - off >= 2 && be16(b + off) == n - off - 2) {
			ext_end = n;
			for (off += 2; ext_end - off >= 4; off += 4 + l) {
				l = be16(b + off + 2);
				if (l > ext_end - off - 4)
					break;
				if (be16(b + off) == TLS_EXT_SUPPORTED_VERSIONS && l == 2)
					sf->version = be16(b + off + 4);
			}
		}
		sf->have |= TLS_SRV_HELLO;
		return;
	case TLS_HS_HELLO_VERIFY:
		if (!complete || n < 3 || b[2] != n - 3)
			return;
		sf->cookie.p = b + 3;
		sf->cookie.len = b[2];
		sf->have |= TLS_SRV_HELLO_VERIFY;
		return;
	case TLS_HS_CERTIFICATE:
		/* TLS 1.3 encrypts it; a cleartext one only follows a <= 1.2 ServerHello. */
		if (sf->version == 0 || sf->have & TLS_SRV_CERT ||
		    ver_rank(sf->version, sf->dtls) > ver_rank(sf->dtls ? DTLS_V_12 : TLS_V_12, sf->dtls) ||
		    n < 6)
			return;
		sf->have |= TLS_SRV_CERT;
		l = be24(b + 3);
		if (l == 0 || be24(b) < l + 3)
			return;
		sf->have |= tls_cert_names(b + 6, n - 6 < l ? n - 6 : l, &sf->subject_cn,
					   &sf->issuer_cn);
		return;
	default:
		return;
	}
}

enum tls_status
tls_parse_server_flight(const uint8_t *p, uint32_t len, bool dtls, uint16_t prior_version,
			struct tls_server_flight *sf)
{
	uint32_t hdr = dtls ? DTLS_RECORD_HDR : TLS_RECORD_HDR;
	uint32_t hsh = dtls ? DTLS_HS_HDR : TLS_HS_HDR;
	uint32_t off = 0;
	bool first = true;

	memset(sf, 0, sizeof(*sf));
	sf->dtls = dtls;
	sf->version = prior_version;
	if (p == NULL || len == 0)
		return TLS_BAD;
	while (off < len) {
		uint32_t rlen, rend, avail, m;
		uint16_t rv;
		uint8_t type = p[off];

		if (len - off < hdr)
			break;
		rv = be16(p + off + 1);
		if (dtls ? !dtls_record_version_ok(rv) : (p[off + 1] != 3 || p[off + 2] > 4))
			return first ? TLS_BAD : TLS_OK;
		rlen = be16(p + off + hdr - 2);
		if (rlen == 0 || rlen > TLS_MAX_RECORD)
			return first ? TLS_BAD : TLS_OK;
		if (type == TLS_CT_CCS) {
			if (first)
				return TLS_BAD;
			sf->have |= TLS_SRV_CCS;
			sf->next_record = off + hdr + rlen;
			break; /* what follows is protected */
		}
		if (type != TLS_CT_HANDSHAKE || (dtls && (p[off + 3] | p[off + 4]) != 0))
			return first ? TLS_BAD : TLS_OK;
		if (first)
			sf->record_version = rv;
		first = false;
		rend = off + hdr + rlen;
		avail = rend < len ? rend : len;
		for (m = off + hdr; m < avail && avail - m >= hsh;) {
			uint32_t mlen = be24(p + m + 1), body = m + hsh, here;
			bool complete;

			if (dtls) {
				/* Only whole, unfragmented DTLS messages. */
				if (be24(p + m + 6) != 0 || be24(p + m + 9) != mlen)
					break;
			}
			here = avail - body < mlen ? avail - body : mlen;
			complete = here == mlen;
			srv_message(sf, p[m], p + body, here, complete);
			if (!complete)
				break;
			m = body + mlen;
		}
		if (rend > len) {
			sf->next_record = rend;
			break;
		}
		sf->end = rend;
		sf->next_record = rend;
		off = rend;
	}
	if (first)
		return TLS_MORE;
	return sf->have ? TLS_OK : TLS_MORE;
}

enum tls_status
tls_find_handshake(const uint8_t *p, uint32_t len, bool dtls, uint8_t type, struct tls_bytes *body)
{
	uint32_t hdr = dtls ? DTLS_RECORD_HDR : TLS_RECORD_HDR;
	uint32_t hsh = dtls ? DTLS_HS_HDR : TLS_HS_HDR;
	uint32_t off = 0;

	body->p = NULL;
	body->len = 0;
	if (p == NULL)
		return TLS_BAD;
	while (len - off >= hdr) {
		uint32_t rlen = be16(p + off + hdr - 2), rend = off + hdr + rlen, m;

		if (rend > len || (dtls ? !dtls_record_version_ok(be16(p + off + 1)) : p[off + 1] != 3))
			return TLS_BAD;
		if (p[off] != TLS_CT_HANDSHAKE || (dtls && (p[off + 3] | p[off + 4]) != 0))
			return TLS_BAD; /* a CCS or protected record: nothing cleartext after it */
		for (m = off + hdr; rend - m >= hsh;) {
			uint32_t mlen = be24(p + m + 1);

			if (mlen > rend - m - hsh || (dtls && (be24(p + m + 6) != 0 || be24(p + m + 9) != mlen)))
				break;
			if (p[m] == type) {
				body->p = p + m + hsh;
				body->len = mlen;
				return TLS_OK;
			}
			m += hsh + mlen;
		}
		off = rend;
	}
	return TLS_BAD;
}

/* JA4 ---------------------------------------------------------------------- */

const char *
tls_ja4_version(uint16_t v)
{
	switch (v) {
	case TLS_V_13:
		return "13";
	case TLS_V_12:
		return "12";
	case TLS_V_11:
		return "11";
	case TLS_V_10:
		return "10";
	case TLS_V_SSL3:
		return "s3";
	case 0x0002:
		return "s2";
	case DTLS_V_10:
		return "d1";
	case DTLS_V_12:
		return "d2";
	case DTLS_V_13:
		return "d3";
	default:
		return "00";
	}
}

static void
sort_u16(uint16_t *v, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		uint16_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static const char hexd[] = "0123456789abcdef";

/* Hash "xxxx,yyyy,..." of v[0..n) into s. */
static void
hash_list(struct tls_sha256 *s, const uint16_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		char h[5] = { ',', hexd[v[i] >> 12], hexd[(v[i] >> 8) & 15], hexd[(v[i] >> 4) & 15],
			      hexd[v[i] & 15] };

		tls_sha256_update(s, i ? h : h + 1, i ? 5 : 4);
	}
}

static void
hash12(struct tls_sha256 *s, char *out)
{
	uint8_t d[32];
	unsigned int i;

	tls_sha256_final(s, d);
	for (i = 0; i < 6; i++) {
		out[2 * i] = hexd[d[i] >> 4];
		out[2 * i + 1] = hexd[d[i] & 15];
	}
}

static bool
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void
two_digits(char *o, unsigned int n)
{
	if (n > 99)
		n = 99;
	o[0] = (char)('0' + n / 10);
	o[1] = (char)('0' + n % 10);
}

/*
 * JA4 (FoxIO, github.com/FoxIO-LLC/ja4 technical details), as specified:
 *   a = proto ('t' TCP, 'd' DTLS) + version (highest supported_versions entry
 *       without GREASE, else client_version; "13" "12" "11" "10" "s3" "d1"
 *       "d2" "d3", "00" unknown) + 'd' when a server_name extension is
 *       present, else 'i' + 2-digit cipher count + 2-digit extension count
 *       (GREASE left out, capped at 99) + first and last character of the
 *       first ALPN value ("00" without ALPN; the first/last hex digit of it
 *       when either character is not alphanumeric)
 *   b = sha256("c1,c2,...") of the cipher suites sorted, 4 lowercase hex
 *       digits each, GREASE left out; first 12 hex digits; "000000000000"
 *       when empty
 *   c = sha256("e1,e2,..._s1,s2,...") of the extensions sorted without
 *       GREASE, SNI (0000) and ALPN (0010), then '_' and the
 *       signature_algorithms in their order (no '_' part without them);
 *       "000000000000" when no extension is left.
 * Deviations: "highest" version is by protocol order, so for DTLS 1.2 vs
 * 1.0 (0xfefd vs 0xfeff, numerically smaller) "d2" wins; Cisco's 0x0100
 * maps to "00" (unknown to the spec; nDPI prints "s3" for it); with no
 * extension left JA4_c is "000000000000" as the spec says (nDPI hashes the
 * empty string: e3b0c44298fc); at most TLS_JA4_MAX_LIST ciphers/extensions.
 */
int
tls_ja4(const struct tls_client_hello *ch, char *out, unsigned int outlen)
{
	uint16_t v[TLS_JA4_MAX_LIST];
	unsigned int n = 0, i, n_ext = 0;
	struct tls_sha256 s;
	char *o = out;

	if (ch == NULL || out == NULL || outlen < TLS_JA4_LEN + 1 ||
	    !(ch->have & TLS_HAVE_EXTENSIONS) || !(ch->have & TLS_HAVE_CIPHERS))
		return -1;
	/* By count, not by bytes: one post-quantum key share alone is over a kilobyte. */
	if (ch->ciphers.len / 2 > TLS_JA4_MAX_LIST || ch->n_extensions > TLS_JA4_MAX_LIST)
		return -1;
	*o++ = ch->dtls ? 'd' : 't';
	memcpy(o, tls_ja4_version(ch->version), 2);
	o += 2;
	*o++ = (ch->have & TLS_HAVE_SNI) ? 'd' : 'i';
	two_digits(o, ch->n_ciphers);
	o += 2;
	two_digits(o, ch->n_extensions);
	o += 2;
	if (ch->alpn_first.p != NULL && ch->alpn_first.len > 0) {
		uint8_t f = ch->alpn_first.p[0], l = ch->alpn_first.p[ch->alpn_first.len - 1];

		if (alnum(f) && alnum(l)) {
			*o++ = (char)f;
			*o++ = (char)l;
		} else {
			*o++ = hexd[f >> 4];
			*o++ = hexd[l & 15];
		}
	} else {
		*o++ = '0';
		*o++ = '0';
	}
	*o++ = '_';

	for (i = 0; i + 1 < ch->ciphers.len; i += 2) {
		uint16_t c = be16(ch->ciphers.p + i);

		if (!tls_is_grease(c))
			v[n++] = c;
	}
	if (n == 0) {
		memset(o, '0', 12);
	} else {
		sort_u16(v, n);
		tls_sha256_init(&s);
		hash_list(&s, v, n);
		hash12(&s, o);
	}
	o += 12;
	*o++ = '_';

	for (i = 0; i + 4 <= ch->extensions.len; i += 4 + be16(ch->extensions.p + i + 2)) {
		uint16_t t = be16(ch->extensions.p + i);

		if (!tls_is_grease(t) && t != TLS_EXT_SNI && t != TLS_EXT_ALPN && n_ext < TLS_JA4_MAX_LIST)
			v[n_ext++] = t;
	}
	if (n_ext == 0) {
		memset(o, '0', 12);
	} else {
		sort_u16(v, n_ext);
		tls_sha256_init(&s);
		hash_list(&s, v, n_ext);
		n = 0;
		for (i = 0; i + 1 < ch->sig_algs.len; i += 2) {
			uint16_t a = be16(ch->sig_algs.p + i);

			if (!tls_is_grease(a))
				v[n++] = a;
		}
		if (n > 0) {
			tls_sha256_update(&s, "_", 1);
			hash_list(&s, v, n);
		}
		hash12(&s, o);
	}
	o += 12;
	*o = '\0';
	return 0;
}

bool
tls_bytes_is(const struct tls_bytes *b, const char *s)
{
	size_t n = strlen(s);

	return b->p != NULL && b->len == n && memcmp(b->p, s, n) == 0;
}

/* SHA-256 (FIPS 180-4) -------------------------------------------------------- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void
sha_block(struct tls_sha256 *s, const uint8_t *b)
{
	uint32_t w[64], a, bb, c, d, e, f, g, h, t1, t2;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0], bb = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = bb, bb = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += bb, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

void
tls_sha256_init(struct tls_sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->n = 0;
	s->used = 0;
}

void
tls_sha256_update(struct tls_sha256 *s, const void *data, uint32_t len)
{
	const uint8_t *d = data;

	s->n += len;
	while (len > 0) {
		uint32_t k = 64 - s->used < len ? 64 - s->used : len;

		memcpy(s->buf + s->used, d, k);
		s->used += k, d += k, len -= k;
		if (s->used == 64) {
			sha_block(s, s->buf);
			s->used = 0;
		}
	}
}

void
tls_sha256_final(struct tls_sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->n * 8;
	unsigned int i;

	s->buf[s->used++] = 0x80;
	if (s->used > 56) {
		memset(s->buf + s->used, 0, 64 - s->used);
		sha_block(s, s->buf);
		s->used = 0;
	}
	memset(s->buf + s->used, 0, 56 - s->used);
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_block(s, s->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

/*
 * The facts a flow record keeps of the client's ClientHello (JA4 and SNI),
 * for the engine, which reads no protocol itself (classifier.h). A TCP
 * ClientHello that goes on past its segment asks for its record's length
 * (or first for the headers that tell it).
 */
enum cls_record cls_first_record(const uint8_t *p, uint32_t len, uint8_t l4, uint32_t *need,
				 struct cls_facts *facts)
{
	if (p == NULL || len == 0 || p[0] != TLS_CT_HANDSHAKE || (l4 != CLS_TCP && l4 != CLS_UDP))
		return CLS_RECORD_NONE;
	struct tls_client_hello ch;
	enum tls_status st = tls_parse_client_hello(p, len, l4 == CLS_UDP, &ch);
	if (st == TLS_OK) {
		if (tls_ja4(&ch, facts->ja4, sizeof(facts->ja4)) != 0)
			facts->ja4[0] = '\0';
		if (ch.have & TLS_HAVE_SNI) {
			uint32_t n = ch.sni.len < sizeof(facts->sni) - 1 ? ch.sni.len : (uint32_t)sizeof(facts->sni) - 1;
			for (uint32_t i = 0; i < n; i++) {
				uint8_t c = ch.sni.p[i];
				facts->sni[i] = (char)(c > 0x20 && c < 0x7f ? c : '?');
			}
			facts->sni[n] = '\0';
		}
		return CLS_RECORD_WHOLE;
	}
	if (st != TLS_MORE || l4 != CLS_TCP)
		return CLS_RECORD_NONE;
	/* Fewer bytes than the headers: their length first, the record's once they are here. */
	*need = len < TLS_RECORD_HDR + TLS_HS_HDR ? TLS_RECORD_HDR + TLS_HS_HDR : ch.need;
	/* A record longer than TLS plaintext may be (2^14) is no ClientHello worth gathering. */
	return *need <= CLS_RECORD_MAX ? CLS_RECORD_PART : CLS_RECORD_NONE;
}
