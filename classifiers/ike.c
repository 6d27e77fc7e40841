/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE classifier (UDP): IKEv1 (RFC 2408/2409) and IKEv2 (RFC 7296), on UDP
 * 500, on UDP 4500 behind the NAT-T non-ESP marker (RFC 3948), or on any
 * other port (the structure is checked, never the port). Owns the IKE
 * patterns and the validator that matches a request with its response.
 *
 * Wire facts (RFC 7296 §3.1-3.2, RFC 2408 §3.1-3.2, RFC 3948 §2.2), checked
 * against docs/protocols.md; where the notes are loose, the RFCs win:
 *   header (28): initiator SPI (8, non-zero), responder SPI (8, zero in the
 *   first request), next payload, version (0x10 / 0x20: the minor version is
 *   0 in what every implementation sends), exchange type, flags, message id
 *   (4), length (4) = the whole IKE message (the datagram minus the marker).
 *   - exchange types: v1 1..5 (ISAKMP; 2 main/identity protection, 4
 *     aggressive, 5 informational), 6 (transaction/mode-config, draft used
 *     by every XAUTH client), 32 quick mode, 33 new group mode; v2 34..37,
 *     43 IKE_SESSION_RESUME (RFC 5723), 47 IKE_INTERMEDIATE (RFC 9242), 48
 *     IKE_FOLLOWUP_KE (RFC 9370). The notes list only a subset.
 *   - flags: v1 only E/C/A (0x01/0x02/0x04); v2 only I (0x08) and R (0x20)
 *     -- the V bit (0x10) MUST be clear in IKEv2 (RFC 7296 §3.1).
 *   - payload chain: generic payload headers (next payload, critical /
 *     reserved byte, 2-byte length >= 4) ending exactly at the message
 *     length. v2 types 33..54; the Encrypted payload (46) and Encrypted
 *     Fragment (53, RFC 7383) are last and their "next payload" is the first
 *     inner type, so the walk stops there. v1 types 0..21 (13 VID, 20/21
 *     NAT-D/NAT-OA of RFC 3947) and 128..255 (private use, e.g. the NAT-D
 *     draft's 130); a v1 message with the E flag is encrypted after the
 *     header: only its length is checked (a whole number of 8-byte blocks).
 *   - a v2 COOKIE or INVALID_KE_PAYLOAD answer to IKE_SA_INIT keeps the
 *     responder SPI zero (RFC 7296 §2.6, §1.3): the request is then retried.
 *   - the notes say IKE moves to 4500 "after NAT detection"; an IKEv2
 *     initiator may also start on 4500 (RFC 7296 §2.23), so the marker is
 *     accepted on any message, on any port.
 *
 * Decisions (never on one side alone: a lone request, retransmitted or not,
 * stays CLS_MORE, since 28 bytes of header structure are all it shows):
 *   CONFIRMED "ikev2-sa-init+response-spi-match": an IKE_SA_INIT request
 *       (responder SPI 0, I flag, message id 0) answered from the other side
 *       by an IKE_SA_INIT response (R flag, message id 0) carrying the same
 *       initiator SPI (64 random bits echoed) and a non-zero responder SPI.
 *   CONFIRMED "ikev1-main+response-spi-match" / "ikev1-aggressive+...":
 *       the same for an IKEv1 phase 1 exchange (the first message starts
 *       with an SA payload; IKEv1 has no response flag, so the answer is the
 *       same exchange type and message id 0 with the initiator cookie echoed).
 *   LIKELY "ikev{1,2}-spi-pair-both-dirs": the window started after the
 *       initial exchange (IKE_AUTH, INFORMATIONAL, quick mode, a rekey): a
 *       message carrying both SPIs, then one from the other side with the
 *       same 128-bit SPI pair (for v2 with the opposite I flag). LIKELY, not
 *       CONFIRMED, because the SPIs' birth was not seen.
 * Not here: ESP flows between the same hosts are tied to this flow on the
 * control lcore (engine/control/tie.c, rule ike+esp; by host pair, since the child
 * SA SPIs are inside the encrypted IKE_AUTH); IKE over TCP (RFC 8229,
 * "IKETCP" prefix) is not classified.
 */
#include "classifier.h"
#include "cls_util.h"

#define IKE_HDR 28u
#define IKE_SPI 8u
#define IKE_V1 0x10
#define IKE_V2 0x20
#define IKE_MAX_PAYLOADS 32     /* longer chains are not IKE as sent */

#define IKE1_F_ENC 0x01
#define IKE1_F_MASK 0x07
#define IKE2_F_I 0x08
#define IKE2_F_R 0x20
#define IKE2_F_MASK (IKE2_F_I | IKE2_F_R)

#define IKE1_NP_SA 1
#define IKE2_NP_SK 46
#define IKE2_NP_SKF 53

#define IKE1_MAIN 2
#define IKE1_AGGRESSIVE 4
#define IKE1_INFORMATIONAL 5
#define IKE2_SA_INIT 34

enum ike_step {
	IKE_ST_INIT = 1, /* an initial request (responder SPI 0) seen */
	IKE_ST_PAIR,     /* a message with both SPIs seen */
};

struct ike_state {
	uint8_t spi[2 * IKE_SPI]; /* initiator SPI, then (PAIR) responder SPI */
	uint8_t step;             /* enum ike_step */
	uint8_t dir;              /* direction of the stored message */
	uint8_t ver;              /* its version byte */
	uint8_t exch;             /* its exchange type */
	uint8_t flags;            /* its flags */
};
CLS_STATE_FITS(struct ike_state);

struct ike_msg {
	const uint8_t *h;  /* IKE header (after the marker, if any) */
	uint8_t np, ver, exch, flags;
	uint32_t mid;
	bool rspi_zero;
};

static bool
ike_exch_ok(uint8_t ver, uint8_t e)
{
	if (ver == IKE_V1)
		return (e >= 1 && e <= 6) || e == 32 || e == 33;
	return (e >= 34 && e <= 37) || e == 43 || e == 47 || e == 48;
}

static bool
ike_np_ok(uint8_t ver, uint8_t np)
{
	if (ver == IKE_V1)
		return np <= 21 || np >= 128;
	return np >= 33 && np <= 54;
}

/* The payload chain of the n-byte message p, first payload np. */
static bool
ike_payloads_ok(const uint8_t *p, uint32_t n, uint8_t ver, uint8_t np)
{
	uint32_t pos = IKE_HDR;
	unsigned int i;
	uint16_t plen;

	for (i = 0; i < IKE_MAX_PAYLOADS; i++) {
		if (np == 0)
			return pos == n && i > 0;
		if (!ike_np_ok(ver, np) || !cls_be16(p, n, pos + 2, &plen) || plen < 4 ||
		    plen > n - pos)
			return false;
		/* v1: reserved byte 0; v2: critical bit, then 7 reserved bits 0. */
		if ((p[pos + 1] & (ver == IKE_V1 ? 0xff : 0x7f)) != 0)
			return false;
		if (ver == IKE_V2 && (np == IKE2_NP_SK || np == IKE2_NP_SKF))
			return plen == n - pos;
		np = p[pos];
		pos += plen;
	}
	return false;
}

/* One IKE message filling p[0..n) exactly. */
static bool
ike_parse_at(const uint8_t *p, uint32_t n, struct ike_msg *m)
{
	uint32_t length;

	if (n < IKE_HDR || cls_all_zero(p, n, 0, IKE_SPI))
		return false;
	m->h = p;
	m->rspi_zero = cls_all_zero(p, n, IKE_SPI, IKE_SPI);
	m->np = p[16];
	m->ver = p[17];
	m->exch = p[18];
	m->flags = p[19];
	if (!cls_be32(p, n, 20, &m->mid) || !cls_be32(p, n, 24, &length) || length != n)
		return false;
	if (m->ver != IKE_V1 && m->ver != IKE_V2)
		return false;
	if (!ike_exch_ok(m->ver, m->exch))
		return false;
	if (m->flags & ~(m->ver == IKE_V1 ? IKE1_F_MASK : IKE2_F_MASK))
		return false;
	if (m->ver == IKE_V1 && (m->flags & IKE1_F_ENC))
		return n > IKE_HDR && (n - IKE_HDR) % 8 == 0 && m->np != 0 &&
		       ike_np_ok(m->ver, m->np);
	return ike_payloads_ok(p, n, m->ver, m->np);
}

/* A datagram holding one IKE message, behind the non-ESP marker or not. */
static bool
ike_parse(const struct cls_pkt *pkt, struct ike_msg *m)
{
	const uint8_t *p = pkt->payload;
	uint32_t len = pkt->len;

	if (p == NULL || pkt->l4 != CLS_UDP)
		return false;
	if (cls_natt_marker(p, len) &&
	    ike_parse_at(p + CLS_NATT_MARKER_LEN, len - CLS_NATT_MARKER_LEN, m))
		return true;
	return ike_parse_at(p, len, m);
}

static const char *
ike_v(uint8_t ver, const char *v1, const char *v2)
{
	return ver == IKE_V1 ? v1 : v2;
}

/* (Re)start tracking from message m. */
static struct cls_verdict
ike_take(const struct cls_pkt *pkt, const struct ike_msg *m, struct ike_state *s)
{
	enum ike_step step = IKE_ST_PAIR;
	const char *check = ike_v(m->ver, "ikev1-spi-pair-one-side", "ikev2-spi-pair-one-side");

	if (m->rspi_zero) {
		if (m->mid != 0)
			return cls_ret(CLS_NO, "zero-responder-spi-not-initial");
		if (m->ver == IKE_V2 && (m->exch != IKE2_SA_INIT || m->flags != IKE2_F_I))
			return cls_ret(CLS_NO, "zero-responder-spi-not-sa-init-request");
		if (m->ver == IKE_V1 && ((m->exch != IKE1_MAIN && m->exch != IKE1_AGGRESSIVE) ||
					 m->np != IKE1_NP_SA || m->flags != 0))
			return cls_ret(CLS_NO, "zero-responder-spi-not-phase1-request");
		step = IKE_ST_INIT;
		check = ike_v(m->ver, "ikev1-phase1-request", "ikev2-sa-init-request");
	}
	memset(s, 0, sizeof(*s));
	s->step = (uint8_t)step;
	memcpy(s->spi, m->h, 2 * IKE_SPI);
	s->dir = pkt->dir;
	s->ver = m->ver;
	s->exch = m->exch;
	s->flags = m->flags;
	return cls_ret(CLS_MORE, check);
}

/* INIT: the other side's answer to the initial request (the responder is the server). */
static struct cls_verdict
ike_answer(const struct ike_msg *m, const struct ike_state *s, uint8_t dir)
{
	if (m->ver == IKE_V2) {
		if (m->exch != IKE2_SA_INIT || m->mid != 0 || m->flags != IKE2_F_R)
			return cls_ret(CLS_NO, "ikev2-not-sa-init-response");
		if (m->rspi_zero) /* COOKIE / INVALID_KE_PAYLOAD: the request is retried */
			return cls_ret(CLS_MORE, "ikev2-sa-init-notify-response");
		return cls_ret_server(CLS_CONFIRMED, "ikev2-sa-init+response-spi-match", dir);
	}
	if (m->rspi_zero) {
		if (m->exch == IKE1_INFORMATIONAL)
			return cls_ret(CLS_MORE, "ikev1-informational-response");
		return cls_ret(CLS_NO, "ikev1-response-zero-spi");
	}
	if (m->exch != s->exch || m->mid != 0)
		return cls_ret(CLS_NO, "ikev1-not-phase1-response");
	return cls_ret_server(CLS_CONFIRMED,
			      m->exch == IKE1_MAIN ? "ikev1-main+response-spi-match" : "ikev1-aggressive+response-spi-match",
			      dir);
}

static struct cls_verdict
ike_first(const struct cls_pkt *pkt, void *st)
{
	struct ike_msg m;

	if (!ike_parse(pkt, &m))
		return cls_ret(CLS_NO, "not-ike-message");
	return ike_take(pkt, &m, st);
}

static struct cls_verdict
ike_owned(const struct cls_pkt *pkt, void *st)
{
	struct ike_state *s = st;
	struct ike_msg m;
	bool same_ispi;

	if (!ike_parse(pkt, &m)) {
		if (pkt->payload != NULL && cls_natt_keepalive(pkt->payload, pkt->len))
			return cls_ret(CLS_MORE, "natt-keepalive-ignored");
		return cls_ret(CLS_NO, "not-ike-message");
	}
	if (m.ver != s->ver)
		return cls_ret(CLS_NO, "version-changed");
	same_ispi = cls_bytes_eq(m.h, IKE_HDR, 0, s->spi, IKE_SPI);

	if (pkt->dir == s->dir) {
		if (!same_ispi) /* a new initiation (or a new SA): follow that one */
			return ike_take(pkt, &m, s);
		if (s->step == IKE_ST_INIT && m.rspi_zero)
			return cls_ret(CLS_MORE, "initial-request-retransmit");
		if (s->step == IKE_ST_PAIR && cls_bytes_eq(m.h, IKE_HDR, IKE_SPI, s->spi + IKE_SPI, IKE_SPI))
			return cls_ret(CLS_MORE, "spi-pair-same-side");
		/* The initiator went on with a responder SPI we did not see given. */
		return ike_take(pkt, &m, s);
	}

	if (!same_ispi)
		return cls_ret(CLS_NO, "initiator-spi-mismatch");
	if (s->step == IKE_ST_INIT)
		return ike_answer(&m, s, pkt->dir);
	if (s->step != IKE_ST_PAIR)
		return cls_ret(CLS_NO, "bad-state");
	if (!cls_bytes_eq(m.h, IKE_HDR, IKE_SPI, s->spi + IKE_SPI, IKE_SPI))
		return cls_ret(CLS_NO, "responder-spi-mismatch");
	/* v2: the original initiator sets I on all its messages, the responder never. */
	if (m.ver == IKE_V2 && ((m.flags ^ s->flags) & IKE2_F_I) == 0)
		return cls_ret(CLS_NO, "ikev2-initiator-flag-both-sides");
	return cls_ret(CLS_LIKELY, ike_v(m.ver, "ikev1-spi-pair-both-dirs", "ikev2-spi-pair-both-dirs"));
}

/*
 * Initial requests (responder SPI zero; v2 IKE_SA_INIT starting with SA or
 * a COOKIE notify, v1 main/aggressive starting with SA) name the match when
 * they apply; the general ones take a window that starts later (both SPIs,
 * a next payload and exchange type of the version). Each also behind the
 * 4-byte NAT-T marker.
 */
#define IKE_INIT2 ".{8}\\x00{8}[\\x21\\x29]\\x20\\x22"
#define IKE_INIT1 ".{8}\\x00{8}\\x01\\x10[\\x02\\x04]"
#define IKE_ANY2 ".{16}[\\x21-\\x36]\\x20[\\x22-\\x25\\x2b\\x2f\\x30]"
#define IKE_ANY1 ".{16}[\\x00-\\x15\\x80-\\xff]\\x10[\\x01-\\x06\\x20\\x21]"
#define IKE_MARK "\\x00{4}"

static const struct cls_pattern ike_patterns[] = {
	{ "^" IKE_INIT2, CLS_UDP, "ikev2-sa-init-request" },
	{ "^" IKE_INIT1, CLS_UDP, "ikev1-phase1-request" },
	{ "^" IKE_MARK IKE_INIT2, CLS_UDP, "ikev2-natt-sa-init-request" },
	{ "^" IKE_MARK IKE_INIT1, CLS_UDP, "ikev1-natt-phase1-request" },
	{ "^" IKE_ANY2, CLS_UDP, "ikev2-message" },
	{ "^" IKE_ANY1, CLS_UDP, "ikev1-message" },
	{ "^" IKE_MARK IKE_ANY2, CLS_UDP, "ikev2-natt-message" },
	{ "^" IKE_MARK IKE_ANY1, CLS_UDP, "ikev1-natt-message" },
};

const struct classifier cls_ike = {
	.name = "ike",
	.priority = 30,
	.patterns = ike_patterns,
	.n_patterns = sizeof(ike_patterns) / sizeof(ike_patterns[0]),
	.l4 = CLS_UDP,
	/* request + response, with a COOKIE/INVALID_KE round trip or a
	 * retransmission or two */
	.pkts_needed = 6,
	.max_owned = 8,
	.state_size = sizeof(struct ike_state),
	.first = ike_first,
	.owned = ike_owned,
};
