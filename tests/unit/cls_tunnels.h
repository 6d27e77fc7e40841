/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byte builders for the tunnel protocols' tests (test_cls_tunnels.c,
 * test_cls_tunnels_oneway.c): IKE headers and payloads, the NAT-T marker,
 * L2TP control messages and AVPs, PPTP control messages, enhanced GRE.
 * Messages are built from the RFC formats, field by field; the *_full
 * builders fill in every structure a one-direction check reads (SA
 * proposals and transforms, KE, nonce, mandatory AVPs, LCP options).
 */
#ifndef TUNDRA_CLS_TUNNELS_H
#define TUNDRA_CLS_TUNNELS_H

#include "cls_builders.h"

/* ---------------------------------------------------------------- IKE */

#define ISPI 0x0123456789abcdefull
#define RSPI 0xfedcba9876543210ull

static inline uint32_t
ike_hdr(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t np, uint8_t ver, uint8_t exch,
	uint8_t flags, uint32_t mid)
{
	uint32_t o = put64(b, 0, ispi);

	o = put64(b, o, rspi);
	o = put8(b, o, np);
	o = put8(b, o, ver);
	o = put8(b, o, exch);
	o = put8(b, o, flags);
	o = put32(b, o, mid);
	return put32(b, o, 0); /* length, set by ike_len() */
}

/* A generic payload: next payload, critical/reserved 0, length, body. */
static inline uint32_t
ike_payload(uint8_t *b, uint32_t o, uint8_t next, uint32_t body, uint8_t fillv)
{
	o = put8(b, o, next);
	o = put8(b, o, 0);
	o = put16(b, o, (uint16_t)(4 + body));
	return fill(b, o, body, fillv);
}

static inline uint32_t
ike_len(uint8_t *b, uint32_t n)
{
	put32(b, 24, n);
	return n;
}

/* IKEv2 IKE_SA_INIT: SA, KE, Nonce (RFC 7296 §1.2). */
static inline uint32_t
ikev2_sa_init(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t flags)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 33, 0x20, 34, flags, 0);

	o = ike_payload(b, o, 34, 44, 0x11);  /* SA -> KE */
	o = ike_payload(b, o, 40, 136, 0x22); /* KE -> Nonce */
	o = ike_payload(b, o, 0, 32, 0x33);   /* Nonce, last */
	return ike_len(b, o);
}

/* IKEv2 COOKIE notify answer: HDR(A,0), N(COOKIE). */
static inline uint32_t
ikev2_cookie(uint8_t *b, uint64_t ispi)
{
	uint32_t o = ike_hdr(b, ispi, 0, 41, 0x20, 34, 0x20, 0);

	o = ike_payload(b, o, 0, 24, 0x44);
	return ike_len(b, o);
}

/* IKEv2 message with one Encrypted payload (IKE_AUTH, INFORMATIONAL). */
static inline uint32_t
ikev2_sk(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t exch, uint8_t flags, uint32_t mid)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 46, 0x20, exch, flags, mid);

	o = ike_payload(b, o, 35, 200, 0x5a); /* SK, first inner payload IDi */
	return ike_len(b, o);
}

/* IKEv1 phase 1 first message (or its answer): SA, Vendor ID. */
static inline uint32_t
ikev1_phase1(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t exch)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 1, 0x10, exch, 0, 0);

	o = ike_payload(b, o, 13, 52, 0x66); /* SA -> VID */
	o = ike_payload(b, o, 0, 16, 0x77);  /* VID */
	return ike_len(b, o);
}

/* The message behind the 4-byte NAT-T non-ESP marker. */
static inline uint32_t
natt(uint8_t *dst, const uint8_t *msg, uint32_t n)
{
	memset(dst, 0, 4);
	memcpy(dst + 4, msg, n);
	return n + 4;
}

/* ---- complete initial-exchange messages (what a lone message is decided on) */

/* Key exchange data bytes of the groups these builders use. */
static inline uint32_t
ike_kelen(uint16_t group)
{
	return group == 14 ? 256 : group == 19 ? 64 : group == 20 ? 96 : group == 31 ? 32 : 128;
}

/* One IKEv2 transform (RFC 7296 §3.3.2), with a Key Length attribute when keylen != 0. */
static inline uint32_t
ike2_transform(uint8_t *b, uint32_t o, bool last, uint8_t type, uint16_t id, uint16_t keylen)
{
	o = put8(b, o, last ? 0 : 3);
	o = put8(b, o, 0);
	o = put16(b, o, keylen ? 12 : 8);
	o = put8(b, o, type);
	o = put8(b, o, 0);
	o = put16(b, o, id);
	if (keylen) {
		o = put16(b, o, 0x800e);
		o = put16(b, o, keylen);
	}
	return o;
}

/* An IKE proposal: AES-CBC-256, PRF-HMAC-SHA256, HMAC-SHA256-128, D-H group. */
static inline uint32_t
ike2_proposal(uint8_t *b, uint32_t o, bool last, uint8_t num, uint16_t group)
{
	uint32_t start = o;

	o = put8(b, o, last ? 0 : 2);
	o = put8(b, o, 0);
	o = put16(b, o, 0);
	o = put8(b, o, num);
	o = put8(b, o, 1);  /* IKE */
	o = put8(b, o, 0);  /* no SPI */
	o = put8(b, o, 4);
	o = ike2_transform(b, o, false, 1, 12, 256);
	o = ike2_transform(b, o, false, 2, 5, 0);
	o = ike2_transform(b, o, false, 3, 12, 0);
	o = ike2_transform(b, o, true, 4, group, 0);
	put16(b, start + 2, (uint16_t)(o - start));
	return o;
}

/*
 * IKE_SA_INIT as strongSwan sends it: SA (nprop proposals; the last offers
 * group, the others group 19; a response has one, numbered 1), KE (group),
 * Nonce (32), N(NAT_DETECTION_SOURCE_IP), Vendor ID.
 */
static inline uint32_t
ikev2_sa_init_full(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t flags, unsigned int nprop, uint16_t group)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 33, 0x20, 34, flags, 0), p = o;

	o = put8(b, o, 34);
	o = put8(b, o, 0);
	o = put16(b, o, 0);
	for (unsigned int i = 0; i < nprop; i++)
		o = ike2_proposal(b, o, i + 1 == nprop, (uint8_t)(i + 1), i + 1 == nprop ? group : 19);
	put16(b, p + 2, (uint16_t)(o - p));
	o = put8(b, o, 40);
	o = put8(b, o, 0);
	o = put16(b, o, (uint16_t)(8 + ike_kelen(group)));
	o = put16(b, o, group);
	o = put16(b, o, 0);
	o = rndfill(b, o, ike_kelen(group));
	o = put8(b, o, 41);
	o = put8(b, o, 0);
	o = put16(b, o, 4 + 32);
	o = rndfill(b, o, 32);
	o = put8(b, o, 43);
	o = put8(b, o, 0);
	o = put16(b, o, 8 + 20);
	o = put8(b, o, 0);
	o = put8(b, o, 0);
	o = put16(b, o, 16388);
	o = rndfill(b, o, 20);
	o = put8(b, o, 0);
	o = put8(b, o, 0);
	o = put16(b, o, 4 + 16);
	o = rndfill(b, o, 16);
	return ike_len(b, o);
}

/* IKEv1 phase 1 attributes (RFC 2409 App. A): AES-128, SHA2-256, group 14, PSK, 8 h life. */
static inline uint32_t
ike1_attrs(uint8_t *b, uint32_t o)
{
	o = put16(b, o, 0x8001), o = put16(b, o, 7);
	o = put16(b, o, 0x800e), o = put16(b, o, 128);
	o = put16(b, o, 0x8002), o = put16(b, o, 4);
	o = put16(b, o, 0x8004), o = put16(b, o, 14);
	o = put16(b, o, 0x8003), o = put16(b, o, 1);
	o = put16(b, o, 0x800b), o = put16(b, o, 1);
	o = put16(b, o, 0x000c), o = put16(b, o, 4);
	return put32(b, o, 28800);
}

/*
 * IKEv1 main/aggressive first message (rspi 0) or its answer: SA (DOI
 * IPsec, identity only, one ISAKMP proposal of ntr KEY_IKE transforms),
 * then a Vendor ID.
 */
static inline uint32_t
ikev1_phase1_full(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t exch, unsigned int ntr)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 1, 0x10, exch, 0, 0), sa = o, pr, t;

	o = put8(b, o, 13);
	o = put8(b, o, 0);
	o = put16(b, o, 0);
	o = put32(b, o, 1);
	o = put32(b, o, 1);
	pr = o;
	o = put8(b, o, 0);
	o = put8(b, o, 0);
	o = put16(b, o, 0);
	o = put8(b, o, 1);
	o = put8(b, o, 1);
	o = put8(b, o, 0);
	o = put8(b, o, (uint8_t)ntr);
	for (unsigned int i = 0; i < ntr; i++) {
		t = o;
		o = put8(b, o, i + 1 == ntr ? 0 : 3);
		o = put8(b, o, 0);
		o = put16(b, o, 0);
		o = put8(b, o, (uint8_t)(i + 1));
		o = put8(b, o, 1);
		o = put16(b, o, 0);
		o = ike1_attrs(b, o);
		put16(b, t + 2, (uint16_t)(o - t));
	}
	put16(b, pr + 2, (uint16_t)(o - pr));
	put16(b, sa + 2, (uint16_t)(o - sa));
	o = put8(b, o, 0);
	o = put8(b, o, 0);
	o = put16(b, o, 20);
	o = rndfill(b, o, 16);
	return ike_len(b, o);
}

/* IKEv1 main mode message 3 or 4: KE (group 14), Nonce. */
static inline uint32_t
ikev1_mm_ke(uint8_t *b, uint64_t ispi, uint64_t rspi)
{
	uint32_t o = ike_hdr(b, ispi, rspi, 4, 0x10, 2, 0, 0);

	o = ike_payload(b, o, 10, 256, 0x3a);
	o = ike_payload(b, o, 0, 32, 0x3b);
	return ike_len(b, o);
}

/* An encrypted IKEv1 message (E flag): the header, then body bytes (a multiple of 8). */
static inline uint32_t
ikev1_enc(uint8_t *b, uint64_t ispi, uint64_t rspi, uint8_t np, uint8_t exch, uint32_t mid, uint32_t body)
{
	uint32_t o = ike_hdr(b, ispi, rspi, np, 0x10, exch, 0x01, mid);

	return ike_len(b, rndfill(b, o, body));
}

/* ---------------------------------------------------------------- L2TP */

/* Control header: flags/version, length (set by l2tp_len), ids, Ns, Nr. */
static inline uint32_t
l2tp_hdr(uint8_t *b, uint8_t ver, uint32_t id, uint16_t session, uint16_t ns, uint16_t nr)
{
	uint32_t o = put16(b, 0, (uint16_t)(0xc800 | ver));

	o = put16(b, o, 0);
	if (ver == 2) {
		o = put16(b, o, (uint16_t)id);
		o = put16(b, o, session);
	} else {
		o = put32(b, o, id);
	}
	o = put16(b, o, ns);
	return put16(b, o, nr);
}

static inline uint32_t
avp(uint8_t *b, uint32_t o, uint16_t attr, const uint8_t *val, uint32_t n)
{
	o = put16(b, o, (uint16_t)(0x8000 | (6 + n)));
	o = put16(b, o, 0);
	o = put16(b, o, attr);
	memcpy(b + o, val, n);
	return o + n;
}

static inline uint32_t
avp16(uint8_t *b, uint32_t o, uint16_t attr, uint16_t v)
{
	uint8_t t[2];

	put16(t, 0, v);
	return avp(b, o, attr, t, 2);
}

static inline uint32_t
avp32(uint8_t *b, uint32_t o, uint16_t attr, uint32_t v)
{
	uint8_t t[4];

	put32(t, 0, v);
	return avp(b, o, attr, t, 4);
}

static inline uint32_t
l2tp_len(uint8_t *b, uint32_t n)
{
	put16(b, 2, (uint16_t)n);
	return n;
}

/*
 * SCCRQ / SCCRP (RFC 2661 §6.1-6.2, RFC 3931 §6.1-6.2): Message Type,
 * Protocol Version (2), Host Name (7), Framing Capabilities (3), Assigned
 * Tunnel ID (9) or Assigned Control Connection ID (61); v3 also Router ID
 * (60) and Pseudowire Capabilities List (62).
 */
static inline uint32_t
l2tp_sccrx(uint8_t *b, uint8_t ver, uint16_t type, uint32_t hdr_id, uint16_t nr, uint32_t assigned)
{
	uint32_t o = l2tp_hdr(b, ver, hdr_id, 0, 0, nr);

	o = avp16(b, o, 0, type);
	o = avp16(b, o, 2, 0x0100);
	o = avp(b, o, 7, (const uint8_t *)"lns.example", 11);
	o = avp32(b, o, 3, 3);
	o = ver == 2 ? avp16(b, o, 9, (uint16_t)assigned) : avp32(b, o, 61, assigned);
	if (ver == 3) {
		o = avp32(b, o, 60, 0x0a000001);              /* Router ID */
		o = avp16(b, o, 62, 5);                       /* Pseudowire Capabilities: Ethernet */
	}
	return l2tp_len(b, o);
}

static inline uint32_t
l2tp_hello(uint8_t *b, uint8_t ver, uint32_t id, uint16_t ns, uint16_t nr)
{
	uint32_t o = l2tp_hdr(b, ver, id, 0, ns, nr);

	o = avp16(b, o, 0, 6);
	return l2tp_len(b, o);
}

static inline uint32_t
l2tp_zlb(uint8_t *b, uint8_t ver, uint32_t id, uint16_t ns, uint16_t nr)
{
	return l2tp_len(b, l2tp_hdr(b, ver, id, 0, ns, nr));
}

/* A control message with only its Message Type AVP (SCCCN 3, HELLO 6, ICRP 11, ...). */
static inline uint32_t
l2tp_ctrl(uint8_t *b, uint8_t ver, uint16_t type, uint32_t id, uint16_t session, uint16_t ns, uint16_t nr)
{
	uint32_t o = l2tp_hdr(b, ver, id, session, ns, nr);

	o = avp16(b, o, 0, type);
	return l2tp_len(b, o);
}

/* ICRQ (RFC 2661 §6.6): Message Type 10, Assigned Session ID, Call Serial Number. */
static inline uint32_t
l2tp_icrq(uint8_t *b, uint16_t id, uint16_t ns, uint16_t nr, uint16_t session)
{
	uint32_t o = l2tp_hdr(b, 2, id, 0, ns, nr);

	o = avp16(b, o, 0, 10);
	o = avp16(b, o, 14, session);
	o = avp32(b, o, 15, 1);
	return l2tp_len(b, o);
}

/* A v2 data message: L bit, PPP frame. */
static inline uint32_t
l2tp_data(uint8_t *b, uint16_t tunnel, uint16_t session, uint32_t body)
{
	uint32_t o = put16(b, 0, 0x4002);

	o = put16(b, o, (uint16_t)(6 + 2 + body));
	o = put16(b, o, tunnel);
	o = put16(b, o, session);
	o = put16(b, o, 0xff03);
	return fill(b, o, body, 0x21);
}

/* ---------------------------------------------------------------- PPTP / GRE */

/* SCCRQ / SCCRP (RFC 2637 §2.1-2.2), 156 bytes. */
static inline uint32_t
pptp_sccrx(uint8_t *b, uint16_t ctype)
{
	uint32_t o = put16(b, 0, 156);

	o = put16(b, o, 1);
	o = put32(b, o, 0x1a2b3c4d);
	o = put16(b, o, ctype);
	o = put16(b, o, 0);
	o = put16(b, o, 0x0100);
	o = ctype == 1 ? put16(b, o, 0) : put16(b, o, 0x0100); /* reserved1 / result 1, error 0 */
	o = put32(b, o, 3);                                     /* framing */
	o = put32(b, o, 3);                                     /* bearer */
	o = put16(b, o, ctype == 1 ? 0 : 1);                    /* max channels */
	o = put16(b, o, 0x0601);                                /* firmware */
	o = fill(b, o, 64, 0);
	memcpy(b + o - 64, "pptp-host", 9);
	o = fill(b, o, 64, 0);
	memcpy(b + o - 64, "linux", 5);
	return o;
}

/* Echo-Request (type 5, 16 bytes). */
static inline uint32_t
pptp_echo(uint8_t *b, uint16_t ctype, uint32_t ident)
{
	uint32_t o = put16(b, 0, ctype == 5 ? 16 : 20);

	o = put16(b, o, 1);
	o = put32(b, o, 0x1a2b3c4d);
	o = put16(b, o, ctype);
	o = put16(b, o, 0);
	o = put32(b, o, ident);
	if (ctype == 6)
		o = put32(b, o, 0x01000000);
	return o;
}

static inline void
pptp_handshake(struct flow_insp *f, uint16_t port)
{
	feed(f, CLS_C2S, NULL, 0, 50000, port); /* SYN */
	feed(f, CLS_S2C, NULL, 0, 50000, port); /* SYN-ACK */
	feed(f, CLS_C2S, NULL, 0, 50000, port); /* ACK */
}

/* Enhanced GRE (RFC 2637 §4.1): with payload (S) and/or ack (A). */
static inline uint32_t
gre(uint8_t *b, uint16_t call, bool s, uint32_t seq, bool a, uint32_t ack, uint16_t plen)
{
	uint32_t o = put8(b, 0, (uint8_t)(0x20 | (s ? 0x10 : 0)));

	o = put8(b, o, (uint8_t)(0x01 | (a ? 0x80 : 0)));
	o = put16(b, o, 0x880b);
	o = put16(b, o, plen);
	o = put16(b, o, call);
	if (s)
		o = put32(b, o, seq);
	if (a)
		o = put32(b, o, ack);
	return fill(b, o, plen, 0x7e);
}

/* Any other control message: its header and fixed length, zero fields but the call id (RFC 2637 §2). */
static inline uint32_t
pptp_ctrl(uint8_t *b, uint16_t ctype, uint16_t call)
{
	static const uint16_t len[16] = { 0, 156, 156, 16, 16, 16, 20, 168, 32, 220, 24, 28, 16, 148, 40, 24 };
	uint32_t o = put16(b, 0, len[ctype & 15]);

	o = put16(b, o, 1);
	o = put32(b, o, 0x1a2b3c4d);
	o = put16(b, o, ctype);
	o = put16(b, o, 0);
	o = put16(b, o, call);
	return fill(b, o, len[ctype & 15] - 14u, 0);
}

/* Enhanced GRE carrying an LCP Configure-Request (RFC 1661 §5.1): MRU 1500, magic number. */
static inline uint32_t
gre_lcp(uint8_t *b, uint16_t call, uint32_t seq, uint8_t id, uint32_t magic)
{
	uint32_t o = gre(b, call, true, seq, false, 0, 18) - 18;

	o = put16(b, o, 0xff03);
	o = put16(b, o, 0xc021);
	o = put8(b, o, 1);
	o = put8(b, o, id);
	o = put16(b, o, 14);
	o = put16(b, o, 0x0104), o = put16(b, o, 1500);
	o = put16(b, o, 0x0506);
	return put32(b, o, magic);
}

#endif
