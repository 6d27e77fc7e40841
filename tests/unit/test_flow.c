/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow table: symmetric keys, client side, idle timeouts, eviction when full. */
#include <string.h>

#include <rte_eal.h>
#include <rte_hash_crc.h>

#include "check.h"
#include "flow.h"

#define NS 1000000000ull

static struct flow exported[4096];
static unsigned int n_exported;

static void on_export(void *arg, struct flow *f)
{
	(void)arg;
	if (n_exported < 4096)
		exported[n_exported] = *f;
	n_exported++;
}

static struct pkt_info v4(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t proto)
{
	struct pkt_info pi;
	memset(&pi, 0, sizeof(pi));
	unsigned int a, b, c, d;
	pi.ip_version = 4;
	pi.l4_proto = proto;
	sscanf(src, "%u.%u.%u.%u", &a, &b, &c, &d);
	pi.src[0] = (uint8_t)a, pi.src[1] = (uint8_t)b, pi.src[2] = (uint8_t)c, pi.src[3] = (uint8_t)d;
	sscanf(dst, "%u.%u.%u.%u", &a, &b, &c, &d);
	pi.dst[0] = (uint8_t)a, pi.dst[1] = (uint8_t)b, pi.dst[2] = (uint8_t)c, pi.dst[3] = (uint8_t)d;
	pi.src_port = sp;
	pi.dst_port = dp;
	return pi;
}

static struct flow *touch(struct flow_table *t, const struct pkt_info *pi, uint64_t now, uint8_t *dir)
{
	struct flow_key k;
	bool lo;
	uint32_t h = flow_key_make(pi, &k, &lo);
	return flow_lookup_or_add(t, &k, h, lo, now, dir);
}

static void test_symmetric_key(void)
{
	struct pkt_info a = v4("10.0.0.9", 40000, "10.0.0.1", 51820, 17);
	struct pkt_info b = v4("10.0.0.1", 51820, "10.0.0.9", 40000, 17);
	struct flow_key ka, kb;
	bool la, lb;
	uint32_t ha = flow_key_make(&a, &ka, &la), hb = flow_key_make(&b, &kb, &lb);
	CHECK_EQ(ha, hb);
	CHECK(memcmp(&ka, &kb, sizeof(ka)) == 0);
	CHECK(la != lb);
	/* Same addresses, other protocol or VLAN: another flow. */
	struct pkt_info c = v4("10.0.0.9", 40000, "10.0.0.1", 51820, 6);
	struct flow_key kc;
	flow_key_make(&c, &kc, &la);
	CHECK(memcmp(&ka, &kc, sizeof(ka)) != 0);
	c = a;
	c.zone = 7;
	flow_key_make(&c, &kc, &la);
	CHECK(memcmp(&ka, &kc, sizeof(ka)) != 0);
}

static void test_directions_and_timeout(void)
{
	struct flow_table_config cfg = {.capacity = 1024,
					.udp_timeout_ns = 60 * NS,
					.tcp_timeout_ns = 300 * NS,
					.tcp_syn_timeout_ns = 30 * NS,
					.tcp_closed_timeout_ns = 10 * NS,
					.other_timeout_ns = 60 * NS};
	n_exported = 0;
	struct flow_table *t = flow_table_create("t_dir", 0, &cfg, on_export, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	/* The server's address sorts lower, so the client is the "hi" side. */
	struct pkt_info c2s = v4("10.0.0.9", 40000, "10.0.0.1", 51820, 17);
	struct pkt_info s2c = v4("10.0.0.1", 51820, "10.0.0.9", 40000, 17);
	uint8_t dir = 9;
	struct flow *f1 = touch(t, &c2s, 100 * NS, &dir);
	CHECK(f1 != NULL);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f1->client_is_lo, 0);
	struct flow *f2 = touch(t, &s2c, 101 * NS, &dir);
	CHECK(f1 == f2);
	CHECK_EQ(dir, CLS_S2C);
	f2 = touch(t, &c2s, 102 * NS, &dir);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f2->ts_first, 100 * NS);
	CHECK_EQ(f2->ts_last, 102 * NS);

	/* Ageing: not yet idle at 161 s, idle past 60 s after the last packet. */
	flow_table_age(t, 161 * NS, 4096);
	CHECK_EQ(n_exported, 0);
	flow_table_age(t, 163 * NS, 4096);
	CHECK_EQ(n_exported, 1);
	CHECK_EQ(exported[0].end, FLOW_END_IDLE);

	/* Expired on touch: the old flow is exported, the next packet starts a new one whose client is its sender. */
	n_exported = 0;
	struct flow *f = touch(t, &s2c, 200 * NS, &dir);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f->client_is_lo, 1);
	f = touch(t, &c2s, 300 * NS, &dir);
	CHECK_EQ(n_exported, 1);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f->ts_first, 300 * NS);

	/* TCP: a flow only the client has spoken in ages out after the SYN timeout. */
	struct pkt_info syn = v4("10.0.0.9", 40002, "10.0.0.1", 443, 6);
	n_exported = 0;
	f = touch(t, &syn, 500 * NS, &dir);
	f->pkts[CLS_C2S] = 1;
	flow_table_age(t, 529 * NS, 4096);
	CHECK_EQ(n_exported, 1); /* only the UDP flow from 300 s */
	flow_table_age(t, 531 * NS, 4096);
	CHECK_EQ(n_exported, 2);

	/* TCP established: long timeout, short once closed. */
	struct pkt_info tcp = v4("10.0.0.9", 40001, "10.0.0.1", 443, 6);
	n_exported = 0;
	f = touch(t, &tcp, 1000 * NS, &dir);
	f->pkts[CLS_C2S] = f->pkts[CLS_S2C] = 1;
	flow_table_age(t, 1200 * NS, 4096);
	CHECK_EQ(n_exported, 0);
	CHECK(f->in_use);
	f->tcp_fin = 1;
	flow_table_age(t, 1211 * NS, 4096);
	CHECK_EQ(n_exported, 1);

	struct flow_table_stats st;
	flow_table_get_stats(t, &st);
	CHECK_EQ(st.active, 0);
	CHECK_EQ(st.created, 5);
	CHECK_EQ(st.expired, 5);
	flow_table_free(t);
}

static void test_eviction(void)
{
	struct flow_table_config cfg = {.capacity = 256,
					.udp_timeout_ns = 60 * NS,
					.tcp_timeout_ns = 300 * NS,
					.tcp_syn_timeout_ns = 30 * NS,
					.tcp_closed_timeout_ns = 10 * NS,
					.other_timeout_ns = 60 * NS};
	n_exported = 0;
	struct flow_table *t = flow_table_create("t_evict", 0, &cfg, on_export, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	unsigned int made = 0;
	for (unsigned int i = 0; i < 1000; i++) {
		struct pkt_info pi = v4("10.1.0.1", (uint16_t)(1000 + i), "10.2.0.1", 53, 17);
		if (touch(t, &pi, (uint64_t)(i + 1) * 1000, &dir) != NULL)
			made++;
	}
	struct flow_table_stats st;
	flow_table_get_stats(t, &st);
	CHECK_EQ(made, 1000);        /* a full table makes room, it never refuses */
	CHECK_EQ(st.created, 1000);
	CHECK(st.evicted > 0);
	CHECK_EQ(st.evicted, n_exported);
	CHECK_EQ(st.active + st.evicted, 1000);
	CHECK(st.active <= 256);
	/* The newest flow survived. */
	struct pkt_info last = v4("10.1.0.1", 1999, "10.2.0.1", 53, 17);
	n_exported = 0;
	struct flow *f = touch(t, &last, 1000 * 1000 + 1, &dir);
	CHECK(f != NULL && f->pkts[0] == 0 && f->ts_first == 1000 * 1000);
	for (unsigned int i = 0; i < (n_exported < 4096 ? n_exported : 0); i++)
		CHECK_EQ(exported[i].end, FLOW_END_EVICTED);
	flow_table_flush(t);
	flow_table_get_stats(t, &st);
	CHECK_EQ(st.active, 0);
	CHECK_EQ(st.flushed + st.evicted, 1000);
	flow_table_free(t);
}

static void test_emergency_timeouts(void)
{
	struct flow_table_config cfg = {.capacity = 256,
					.udp_timeout_ns = 80 * NS,
					.tcp_timeout_ns = 300 * NS,
					.tcp_syn_timeout_ns = 30 * NS,
					.tcp_closed_timeout_ns = 10 * NS,
					.other_timeout_ns = 60 * NS};
	n_exported = 0;
	struct flow_table *t = flow_table_create("t_emerg", 0, &cfg, on_export, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	struct flow_table_stats st;
	uint8_t dir;
	/* Half full: an 11 s idle UDP flow stays (timeout 80 s). */
	for (unsigned int i = 0; i < 128; i++) {
		struct pkt_info pi = v4("10.3.0.1", (uint16_t)(2000 + i), "10.4.0.1", 53, 17);
		touch(t, &pi, 100 * NS, &dir);
	}
	flow_table_age(t, 111 * NS, 4096);
	flow_table_get_stats(t, &st);
	CHECK_EQ(st.expired, 0);
	/* Nearly full (> 7/8 of the slots): timeouts shrink 8x, the same idle time now expires. */
	for (unsigned int i = 128; i < 250; i++) {
		struct pkt_info pi = v4("10.3.0.1", (uint16_t)(2000 + i), "10.4.0.1", 53, 17);
		touch(t, &pi, 100 * NS, &dir);
	}
	flow_table_get_stats(t, &st);
	CHECK_EQ(st.evicted, 0);
	CHECK_EQ(st.active, 250);
	flow_table_age(t, 111 * NS, 4096);
	flow_table_get_stats(t, &st);
	CHECK(st.expired > 0);
	CHECK_EQ(st.expired_emergency, st.expired);
	flow_table_free(t);
}

/*
 * The bulk lookup must give what packet-by-packet lookups give: the same
 * flows, directions and counts, including a new flow's second packet in the
 * same burst and flows that expire on touch.
 */
static void test_bulk_equals_single(void)
{
	struct flow_table_config cfg = {.capacity = 512,
					.udp_timeout_ns = 5 * NS,
					.tcp_timeout_ns = 300 * NS,
					.tcp_syn_timeout_ns = 30 * NS,
					.tcp_closed_timeout_ns = 10 * NS,
					.other_timeout_ns = 60 * NS};
	n_exported = 0;
	struct flow_table *ts = flow_table_create("t_single", 0, &cfg, on_export, NULL);
	struct flow_table *tb = flow_table_create("t_bulk", 0, &cfg, on_export, NULL);
	CHECK(ts != NULL && tb != NULL);
	if (!ts || !tb)
		return;
	uint32_t rnd = 12345;
	unsigned int mismatches = 0, bursts = 0;
	uint64_t now = NS;
	for (unsigned int round = 0; round < 400; round++) {
		struct pkt_info pi[FLOW_BULK_MAX];
		struct flow_key keys[FLOW_BULK_MAX];
		const struct flow_key *kp[FLOW_BULK_MAX];
		uint32_t hash[FLOW_BULK_MAX];
		bool lo[FLOW_BULK_MAX];
		uint64_t when[FLOW_BULK_MAX];
		struct flow *fb[FLOW_BULK_MAX];
		uint8_t db[FLOW_BULK_MAX];
		uint32_t n = 1 + round % FLOW_BULK_MAX;
		for (uint32_t i = 0; i < n; i++) {
			rnd = rnd * 1103515245u + 12345u;
			/* 40 client ports both ways round: repeats inside a burst, and idle gaps past 5 s. */
			uint16_t cport = (uint16_t)(30000 + (rnd >> 16) % 40);
			pi[i] = (rnd & 0x100) ? v4("10.9.0.1", cport, "10.9.0.2", 443, 17)
					      : v4("10.9.0.2", 443, "10.9.0.1", cport, 17);
			now += (rnd & 0x7000) == 0x7000 ? 6 * NS : 1000;
			when[i] = now;
			hash[i] = flow_key_make(&pi[i], &keys[i], &lo[i]);
			kp[i] = &keys[i];
		}
		flow_lookup_or_add_bulk(tb, kp, hash, lo, n, when, fb, db);
		for (uint32_t i = 0; i < n; i++) {
			uint8_t ds;
			struct flow *fs = touch(ts, &pi[i], when[i], &ds);
			if (fs == NULL || fb[i] == NULL || ds != db[i] || fs->ts_first != fb[i]->ts_first ||
			    memcmp(&fs->key, &fb[i]->key, sizeof(fs->key)) != 0)
				mismatches++;
			/* Count the packet in, as the worker does, so later expiry sees the same flows. */
			if (fs)
				fs->pkts[ds]++;
			if (fb[i])
				fb[i]->pkts[db[i]]++;
		}
		bursts++;
	}
	struct flow_table_stats ss, sb;
	flow_table_get_stats(ts, &ss);
	flow_table_get_stats(tb, &sb);
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(bursts, 400);
	CHECK_EQ(ss.created, sb.created);
	CHECK_EQ(ss.expired, sb.expired);
	CHECK(sb.expired > 0);        /* the idle gaps did expire flows on touch */
	CHECK_EQ(ss.active, sb.active);
	flow_table_free(ts);
	flow_table_free(tb);
}

/* A full table evicts, but never a flow an earlier packet of the same burst still uses. */
static unsigned int new_flows_burst(struct flow_table *t, uint16_t *port, uint32_t n, uint64_t when_ns,
				    unsigned int *reused)
{
	struct pkt_info pi[FLOW_BULK_MAX];
	struct flow_key keys[FLOW_BULK_MAX];
	const struct flow_key *kp[FLOW_BULK_MAX] = {0};
	uint32_t hash[FLOW_BULK_MAX] = {0};
	bool lo[FLOW_BULK_MAX] = {0};
	uint64_t when[FLOW_BULK_MAX] = {0};
	struct flow *f[FLOW_BULK_MAX];
	uint8_t d[FLOW_BULK_MAX];
	for (uint32_t i = 0; i < n; i++) {
		pi[i] = v4("10.8.0.1", (*port)++, "10.8.0.2", 53, 17);
		when[i] = when_ns;
		hash[i] = flow_key_make(&pi[i], &keys[i], &lo[i]);
		kp[i] = &keys[i];
	}
	flow_lookup_or_add_bulk(t, kp, hash, lo, n, when, f, d);
	unsigned int made = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (f[i] == NULL)
			continue;
		made++;
		for (uint32_t j = 0; j < i; j++)
			*reused += f[j] == f[i];
		if (memcmp(&f[i]->key, &keys[i], sizeof(keys[i])) != 0)
			(*reused)++;
	}
	return made;
}

static void test_bulk_spares_burst(void)
{
	struct flow_table_config cfg = {.capacity = 8,
					.udp_timeout_ns = 600 * NS,
					.tcp_timeout_ns = 600 * NS,
					.tcp_syn_timeout_ns = 600 * NS,
					.tcp_closed_timeout_ns = 600 * NS,
					.other_timeout_ns = 600 * NS};
	n_exported = 0;
	struct flow_table *t = flow_table_create("t_spare", 0, &cfg, on_export, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	unsigned int reused = 0;
	uint16_t port = 1000;
	/* More new flows in one burst than the table holds: the surplus finds no room. */
	unsigned int made1 = new_flows_burst(t, &port, FLOW_BULK_MAX, NS, &reused);
	struct flow_table_stats st;
	flow_table_get_stats(t, &st);
	CHECK_EQ(reused, 0);
	CHECK(made1 >= 8 && made1 < FLOW_BULK_MAX);
	CHECK_EQ(st.active, made1);
	CHECK_EQ(st.evicted, 0);
	/* A later burst: the older flows make room for as many. */
	unsigned int made2 = new_flows_burst(t, &port, made1, 2 * NS, &reused);
	flow_table_get_stats(t, &st);
	CHECK_EQ(reused, 0);
	CHECK_EQ(made2, made1);
	CHECK_EQ(st.evicted, made1);
	flow_table_free(t);
}

/* The paced scan: nothing between close polls, every idle flow gone within a sweep after its timeout. */
static void test_paced_ageing(void)
{
	struct flow_table_config cfg = {.capacity = 4096,
					.udp_timeout_ns = 8 * NS,
					.tcp_timeout_ns = 300 * NS,
					.tcp_syn_timeout_ns = 30 * NS,
					.tcp_closed_timeout_ns = 8 * NS,
					.other_timeout_ns = 60 * NS};
	n_exported = 0;
	struct flow_table *t = flow_table_create("t_paced", 0, &cfg, on_export, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	for (unsigned int i = 0; i < 1000; i++) {
		struct pkt_info pi = v4("10.6.0.1", (uint16_t)(3000 + i), "10.6.0.2", 53, 17);
		touch(t, &pi, 10 * NS, &dir);
	}
	struct flow_table_stats st;
	/* Polls 1 us apart past the timeout: a few slots each, not the table. */
	flow_table_age_paced(t, 19 * NS);
	flow_table_age_paced(t, 19 * NS + 1000);
	flow_table_get_stats(t, &st);
	CHECK(st.expired < 10);
	/* Sweep = 8 s / 4 = 2 s: polled every ms from 19 s to 21.1 s, the whole table is visited. */
	for (uint64_t now = 19 * NS; now <= 21 * NS + NS / 10; now += NS / 1000)
		flow_table_age_paced(t, now);
	flow_table_get_stats(t, &st);
	CHECK_EQ(st.expired, 1000);
	CHECK_EQ(st.active, 0);
	flow_table_free(t);
}

/* The key's hash is the table's own (rte_hash_crc), and its order is memcmp's, for random endpoints. */
static void test_key_hash_and_order(void)
{
	uint32_t rnd = 777;
	unsigned int bad_hash = 0, bad_order = 0;
	for (unsigned int i = 0; i < 20000; i++) {
		struct pkt_info pi;
		memset(&pi, 0, sizeof(pi));
		pi.ip_version = (i & 1) ? 6 : 4;
		pi.l4_proto = (i & 2) ? 6 : 17;
		for (unsigned int k = 0; k < (pi.ip_version == 6 ? 16u : 4u); k++) {
			rnd = rnd * 1103515245u + 12345u;
			pi.src[k] = (uint8_t)(rnd >> 16);
			/* Often equal prefixes, so the later words and the ports decide. */
			pi.dst[k] = (i % 3 == 0 || k < 15) && (i & 4) ? pi.src[k] : (uint8_t)(rnd >> 24);
		}
		rnd = rnd * 1103515245u + 12345u;
		pi.src_port = (uint16_t)(rnd >> 16);
		pi.dst_port = (i & 8) ? pi.src_port : (uint16_t)rnd;
		struct flow_key k;
		bool lo;
		uint32_t h = flow_key_make(&pi, &k, &lo);
		bad_hash += h != rte_hash_crc(&k, sizeof(k), 0);
		int c = memcmp(pi.src, pi.dst, 16);
		bool want = c < 0 || (c == 0 && pi.src_port <= pi.dst_port);
		bad_order += lo != want;
	}
	CHECK_EQ(bad_hash, 0);
	CHECK_EQ(bad_order, 0);
}

int main(void)
{
	char *argv[] = {"test_flow", "--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--no-telemetry",
			"-l", "0", "--log-level=*:error", NULL};
	if (rte_eal_init(10, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	test_symmetric_key();
	test_key_hash_and_order();
	test_directions_and_timeout();
	test_eviction();
	test_emergency_timeouts();
	test_bulk_equals_single();
	test_bulk_spares_burst();
	test_paced_ageing();
	rte_eal_cleanup();
	CHECK_DONE();
}
