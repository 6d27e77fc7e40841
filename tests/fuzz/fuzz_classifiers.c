/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the classifiers' validators. One input is one flow:
 *   byte 0        bit 0: transport (0 UDP, 1 TCP); bit 1: junk in st while
 *                 nobody owns the flow; bit 2: rescan a packet its owner
 *                 refused; bit 3: every classifier a candidate for every
 *                 packet (else only for payloads whose first bytes look like
 *                 one of its patterns, a cheap stand-in for Hyperscan);
 *                 bit 4: another IP protocol (CLS_IP, overrides bit 0),
 *                 bit 5 picks which: 0 ESP (50), 1 GRE (47); bits 6..7:
 *                 the server port, 443 / 500 / 4500 / 4501 (the IKE and
 *                 ESP validators look at ports), or, with bit 5 set and
 *                 bit 4 clear (UDP/TCP), 655 / 9993 / 41641 / 10000 (tinc,
 *                 ZeroTier, Tailscale, the cisco-ipsec validator's port)
 *   then packets  2-byte header (bit 15 = direction, bits 0..10 = length,
 *                 cut to what is left) + payload; at most 24 packets
 * Each payload is copied into its own heap buffer of exactly its length so
 * AddressSanitizer sees any read past it. Pattern-less classifiers (esp,
 * gre) are candidates for every payload of their transports, offered after
 * the pattern candidates as engine/packet/classify.c does. The engine contract of
 * classifiers/classifiers.c is followed (no Hyperscan needed), and its
 * rules are asserted: a validator that does not own the flow and answers
 * CLS_NO leaves st untouched, nobody but the engine writes st->owner, every
 * result is in range and a decision carries a check string.
 *
 * Build and run (from the repository root):
 *   clang -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Iclassifiers classifiers/[a-z]*.c \
 *     tests/fuzz/fuzz_classifiers.c -o /tmp/fuzz_classifiers
 *   /tmp/fuzz_classifiers -max_total_time=60 -max_len=4096 \
 *     /tmp/fuzz_corpus tests/data/classifiers
 * Add -DFZ_REPORT to print what each input decided (e.g. run it on the
 * seeds: every one in tests/data/classifiers decides its protocol).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef FZ_REPORT
#include <stdio.h>
#endif

#include "classifier.h"

#define FZ_MAX_PKTS 24
#define FZ_TCP 0x1
#define FZ_GARBAGE 0x2
#define FZ_RESCAN 0x4
#define FZ_ALL_CANDIDATES 0x8
#define FZ_IP 0x10
#define FZ_GRE 0x20
#define FZ_PORT_SHIFT 6

static const uint16_t fz_ports[4] = { 443, 500, 4500, 4501 };
static const uint16_t fz_ports_overlay[4] = { 655, 9993, 41641, 10000 };

#define FZ_ASSERT(c)                                                                 \
	do {                                                                         \
		if (!(c))                                                            \
			__builtin_trap();                                            \
	} while (0)

struct fz_flow {
	struct cls_state st;
	uint8_t l4, flags, ip_proto;
	uint16_t port;
	uint16_t pkt_no;
	uint32_t off[2];
	unsigned int app;
	uint32_t junk;
};

/* Rough stand-in for the patterns: the bytes each classifier anchors on. */
static int
fz_looks_like(unsigned int idx, const uint8_t *p, uint32_t len, uint8_t l4)
{
	const char *name = tundra_classifiers[idx]->name;

	if (strcmp(name, "wireguard") == 0)
		return l4 == CLS_UDP && len >= 4 && p[0] >= 1 && p[0] <= 4 && !p[1] && !p[2] && !p[3];
	if (strcmp(name, "openvpn") == 0) {
		uint32_t o = l4 == CLS_TCP ? 2 : 0;

		return len >= o + 14 && (p[o] == 0x38 || p[o] == 0x50 || p[o] == 0x40);
	}
	if (strcmp(name, "ike") == 0) {
		/* version byte of a header at 0 or behind the NAT-T marker */
		return l4 == CLS_UDP && ((len >= 20 && (p[17] == 0x10 || p[17] == 0x20)) ||
					 (len >= 24 && !p[0] && !p[1] && !p[2] && !p[3] &&
					  (p[21] == 0x10 || p[21] == 0x20)));
	}
	if (strcmp(name, "l2tp") == 0)
		return l4 == CLS_UDP && len >= 2 && p[0] == 0xc8 && (p[1] == 2 || p[1] == 3);
	if (strcmp(name, "pptp") == 0)
		return l4 == CLS_TCP && len >= 8 && p[4] == 0x1a && p[5] == 0x2b && p[6] == 0x3c &&
		       p[7] == 0x4d;
	if (strcmp(name, "tinc") == 0)
		return l4 == CLS_TCP && len >= 2 && p[0] == '0' && p[1] == ' ';
	if (strcmp(name, "zerotier") == 0)
		return l4 == CLS_UDP && len >= 28 && (p[18] & 0xb8) == 0 && p[27] == 0x01;
	if (strcmp(name, "tailscale") == 0)
		return l4 == CLS_UDP ? len >= 2 && p[0] == 'T' && p[1] == 'S' :
				       len >= 1 && (p[0] == 'G' || p[0] == 'P' || p[0] == 0x16);
	return 1;
}

static void
fz_validate(struct fz_flow *f, const struct cls_pkt *pkt, unsigned int idx, struct cls_verdict *v)
{
	*v = tundra_classifiers[idx]->validate(pkt, &f->st, (uint8_t)(idx + 1));
	FZ_ASSERT(v->result <= CLS_CONFIRMED);
	FZ_ASSERT(v->result == CLS_NO || v->result == CLS_MORE || v->check != NULL);
}

/* Offers the packet to classifier idx while nobody owns the flow; true when taken. */
static int
fz_offer(struct fz_flow *f, const struct cls_pkt *pkt, unsigned int i)
{
	struct cls_state before;
	struct cls_verdict v;
	unsigned int k;

	if (f->flags & FZ_GARBAGE) {
		for (k = 0; k < sizeof(f->st.data); k++) {
			f->junk = f->junk * 1103515245u + 12345u;
			f->st.data[k] = (uint8_t)(f->junk >> 16);
		}
		f->st.step = (uint8_t)(f->junk >> 8);
	}
	before = f->st;
	fz_validate(f, pkt, i, &v);
	FZ_ASSERT(f->st.owner == 0);
	if (v.result == CLS_NO) {
		FZ_ASSERT(memcmp(&before, &f->st, sizeof(before)) == 0);
		return 0;
	}
	if (v.result == CLS_MORE)
		f->st.owner = (uint8_t)(i + 1);
	else
		f->app = i + 1;
	return 1;
}

/* Pattern candidates in table order, then the pattern-less classifiers. */
static void
fz_scan(struct fz_flow *f, const struct cls_pkt *pkt)
{
	unsigned int i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < tundra_n_classifiers; i++) {
			const struct classifier *c = tundra_classifiers[i];

			if (!(c->l4 & pkt->l4) || (c->n_patterns == 0) != (pass == 1))
				continue;
			if (!(f->flags & FZ_ALL_CANDIDATES) && c->n_patterns != 0 &&
			    !fz_looks_like(i, pkt->payload, pkt->len, pkt->l4))
				continue;
			if (fz_offer(f, pkt, i))
				return;
		}
	}
}

static void
fz_feed(struct fz_flow *f, uint8_t dir, const uint8_t *data, uint32_t len)
{
	struct cls_pkt pkt;
	uint8_t *copy;

	if (f->app != 0)
		return;
	f->pkt_no++;
	if (len == 0)
		return;
	copy = malloc(len);
	if (copy == NULL)
		return;
	memcpy(copy, data, len);
	memset(&pkt, 0, sizeof(pkt));
	pkt.payload = copy;
	pkt.len = len;
	pkt.l4 = f->l4;
	pkt.dir = dir;
	pkt.pkt_no = f->pkt_no;
	pkt.src_port = dir ? f->port : 50000;
	pkt.dst_port = dir ? 50000 : f->port;
	pkt.ip_proto = f->ip_proto;
	pkt.tcp_offset = f->l4 == CLS_TCP ? f->off[dir] : 0;
	if (f->st.owner == 0) {
		fz_scan(f, &pkt);
	} else {
		unsigned int id = f->st.owner;
		struct cls_verdict v;

		FZ_ASSERT(id >= 1 && id <= tundra_n_classifiers);
		fz_validate(f, &pkt, id - 1, &v);
		FZ_ASSERT(f->st.owner == id);
		if (v.result == CLS_NO) {
			memset(&f->st, 0, sizeof(f->st));
			if (f->flags & FZ_RESCAN)
				fz_scan(f, &pkt);
		} else if (v.result != CLS_MORE) {
			f->app = id;
		}
	}
	if (f->l4 == CLS_TCP)
		f->off[dir] += len;
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_flow f;
	size_t pos = 1;
	unsigned int n;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.flags = data[0];
	f.l4 = (data[0] & FZ_TCP) ? CLS_TCP : CLS_UDP;
	if (data[0] & FZ_IP)
		f.l4 = CLS_IP;
	f.ip_proto = f.l4 == CLS_TCP ? 6 : f.l4 == CLS_UDP ? 17 : (data[0] & FZ_GRE) ? 47 : 50;
	f.port = fz_ports[data[0] >> FZ_PORT_SHIFT];
	if ((data[0] & (FZ_IP | FZ_GRE)) == FZ_GRE)
		f.port = fz_ports_overlay[data[0] >> FZ_PORT_SHIFT];
	f.junk = data[0] * 2654435761u;
	for (n = 0; n < FZ_MAX_PKTS && pos + 2 <= size; n++) {
		uint16_t h = (uint16_t)(data[pos] << 8 | data[pos + 1]);
		uint32_t len = h & 0x7ffu;

		pos += 2;
		if (len > size - pos)
			len = (uint32_t)(size - pos);
		fz_feed(&f, (uint8_t)(h >> 15), data + pos, len);
		pos += len;
	}
#ifdef FZ_REPORT
	/* -DFZ_REPORT: say what each input decided (to check the seeds). */
	fprintf(stderr, "decided: %s at packet %u\n", classifier_name(f.app), f.pkt_no);
#endif
	return 0;
}
