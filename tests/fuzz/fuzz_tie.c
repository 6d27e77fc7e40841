/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the tie rules (engine/control/tie.c): the input is
 * a run's flow records, 16 bytes each, over a few hosts, ports and the
 * apps the rules name, so that rules match often. The live table (small,
 * so it evicts) is fed them as they come; the offline pass ties them all,
 * forwards and backwards, and must give every flow the same tie both ways
 * (the result may not depend on the order of the records).
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC_BYTES 16
#define MAX_RECS 256
#define S(x) ((uint64_t)(x) * 1000000000ull)

static const char *const apps[] = {"ike", "esp", "cisco-ipsec", "pptp", "gre", "openconnect", "tinc", "softether"};
static const uint8_t protos[] = {17, 6, 50, 47};
static const uint16_t ports[] = {500, 4500, 1723, 443, 655, 53, 10000, 0};

static const struct tie_timeouts timeouts = {
	.udp_ns = S(120), .tcp_ns = S(300), .tcp_syn_ns = S(30), .tcp_fin_ns = S(10), .other_ns = S(120),
};

static void make(const uint8_t *b, struct flow_record *f)
{
	memset(f, 0, sizeof(*f));
	uint8_t c[16] = {0}, s[16] = {0};
	c[0] = s[0] = 10;
	c[3] = (uint8_t)(1 + (b[0] & 3));
	s[3] = (uint8_t)(1 + ((b[0] >> 2) & 3));
	uint16_t cp = b[2] & 0x80 ? ports[b[2] & 7] : (uint16_t)(b[2] << 8 | b[3]);
	uint16_t sp = b[4] & 0x80 ? ports[b[4] & 7] : (uint16_t)(b[4] << 8 | b[5]);
	uint8_t proto = protos[b[1] & 3];
	if (proto != 6 && proto != 17)
		cp = sp = 0;
	int cmp = memcmp(c, s, 16);
	int c_lo = cmp < 0 || (cmp == 0 && cp <= sp);
	memcpy(f->key.addr_lo, c_lo ? c : s, 16);
	memcpy(f->key.addr_hi, c_lo ? s : c, 16);
	f->key.port_lo = c_lo ? cp : sp;
	f->key.port_hi = c_lo ? sp : cp;
	f->key.proto = proto;
	f->key.ip_version = 4;
	f->key.zone = (b[0] >> 4) & 1;
	f->client_is_lo = (uint8_t)c_lo;
	f->ts_first = S(b[7] << 8 | b[8]) + b[9];
	f->ts_last = f->ts_first + S(b[10] << 8 | b[11]);
	f->pkts[0] = b[12];
	f->pkts[1] = b[13];
	f->end = b[14] & 3;
	f->tcp_fin = (b[14] >> 2) & 1;
	unsigned int a = b[1] >> 2;
	if (a < sizeof(apps) / sizeof(apps[0])) {
		int id = classifier_id_by_name(apps[a]);
		f->app = id > 0 ? (uint8_t)id : 0;
		f->phase = FLOW_DECIDED;
		f->result = (uint8_t)(b[6] & 1);
		f->check = "own-check";
		f->decided_at_pkt = 2;
		f->verdict = (uint8_t)((b[6] >> 1) % VERDICT_COUNT);
	} else {
		f->phase = FLOW_UNDECIDED;
	}
	if (b[6] & 0x10)
		memcpy(f->facts.ja4, "t13d1516h2_8daaf6152771_02713d6af862", 37);
	f->kind = b[15] & 1 ? RECORD_VERDICT : RECORD_FLOW_END;
	f->prev_verdict = VERDICT_COUNT;
}

static void on_tie(void *arg, const struct tie_event *ev)
{
	unsigned int *n = arg;
	if (ev->child == NULL || ev->parent == NULL || ev->link == NULL || ev->link->rule == 0 ||
	    ev->link->rule > tie_n_rules || !ev->link->is_child)
		abort();
	(*n)++;
}

static int same_link(const struct tie_link *a, const struct tie_link *b)
{
	return a->rule == b->rule && a->relabel == b->relabel && a->is_child == b->is_child && a->n == b->n &&
	       (a->rule == 0 || (memcmp(&a->peer.key, &b->peer.key, sizeof(a->peer.key)) == 0 &&
				 a->peer.ts_first == b->peer.ts_first && a->peer.app == b->peer.app));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flow_record recs[MAX_RECS], rev[MAX_RECS];
	static struct tie_link links[MAX_RECS], rlinks[MAX_RECS];
	if (size < 1)
		return 0;
	size_t n = 0;
	for (size_t off = 1; off + REC_BYTES <= size && n < MAX_RECS; off += REC_BYTES) {
		make(data + off, &recs[n]);
		/* A flow is one (key, first packet): a worker never reports two. */
		size_t k = 0;
		while (k < n && !(recs[k].ts_first == recs[n].ts_first &&
				  memcmp(&recs[k].key, &recs[n].key, sizeof(recs[n].key)) == 0))
			k++;
		if (k == n)
			n++;
	}

	/* Live: a table small enough to evict; verdicts noted, ends closed. */
	struct tie_table *t = tie_table_create(4 + (data[0] & 15));
	if (t == NULL)
		abort();
	unsigned int events = 0, made = 0;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind == RECORD_VERDICT) {
			made += tie_note(t, &recs[i], on_tie, &events);
		} else {
			struct tie_link l;
			tie_end(t, &recs[i], &l, on_tie, &events);
			if (l.rule > tie_n_rules)
				abort();
			if (l.is_child && l.relabel) {
				struct flow_record f = recs[i];
				tie_relabel(&f, &l);
			}
		}
	}
	struct tie_stats st;
	tie_table_stats(t, &st);
	/* One event per tie made, whether a verdict or an end made it. */
	if (st.kept > 4 + (data[0] & 15u) || st.relabels > st.ties || st.ties != events || made > events)
		abort();
	tie_table_free(t);

	/* Offline: every record at once, in either order, the same ties. */
	long ties = tie_all(recs, n, &timeouts, links);
	for (size_t i = 0; i < n; i++)
		rev[i] = recs[n - 1 - i];
	long rties = tie_all(rev, n, &timeouts, rlinks);
	if (ties < 0 || rties != ties)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (links[i].rule > tie_n_rules || !same_link(&links[i], &rlinks[n - 1 - i]))
			abort();
	}
	return 0;
}
