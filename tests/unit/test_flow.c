/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: symmetric keys, client side, idle timeouts, eviction when
 * full (and what it evicts first), the bulk lookup against single lookups,
 * the cuckoo buckets holding every slot, counters that spill, idle windows
 * handed back.
 */
#include <string.h>

#include <rte_eal.h>
#include <rte_hash_crc.h>

#include "check.h"
#include "flow.h"

#define NS 1000000000ull

struct exported_flow {
	struct flow_key key;
	uint64_t ts_first;
	enum flow_end why;
	uint8_t vpn;
};
static struct exported_flow exported[4096];
static unsigned int n_exported;
static struct flow_table *cur; /* the table the hooks report on */
static struct worker_stats st;
static uint32_t windows_closed;

static void on_export(void *arg, uint32_t slot, enum flow_end why)
{
	(void)arg;
	const struct flow *f = flow_table_flow(cur, slot);
	if (n_exported < 4096)
		exported[n_exported] =
			(struct exported_flow){f->key, flow_table_cold(cur, slot)->ts_first, why, (uint8_t)f->vpn};
	n_exported++;
}

static void on_window(void *arg, uint32_t slot)
{
	(void)arg;
	/* What a worker does: the window closes undecided, the inspection slot goes back. */
	struct flow *f = flow_table_flow(cur, slot);
	f->phase = FLOW_UNDECIDED;
	f->aux = 0;
	windows_closed++;
}

static struct flow_table *make(const char *name, const struct flow_table_config *cfg, struct worker_stats *ctr)
{
	static const struct flow_table_hooks hooks = {.export_fn = on_export, .window_fn = on_window};
	memset(ctr, 0, sizeof(*ctr));
	n_exported = 0;
	windows_closed = 0;
	struct flow_table *t = flow_table_create(name, 0, cfg, &hooks, ctr);
	cur = t;
	return t;
}

static uint64_t evicted(const struct worker_stats *s)
{
	uint64_t n = 0;
	for (unsigned int k = 0; k < EVICT_COUNT; k++)
		n += s->flows_evicted[k];
	return n;
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

static struct flow *touch_slot(struct flow_table *t, const struct pkt_info *pi, uint64_t now, uint8_t *dir,
			       uint32_t *slot)
{
	struct flow_key k;
	bool lo;
	uint64_t h = flow_key_make(pi, &k, &lo);
	return flow_lookup_or_add(t, &k, h, lo, now, dir, slot);
}

static struct flow *touch(struct flow_table *t, const struct pkt_info *pi, uint64_t now, uint8_t *dir)
{
	uint32_t slot;
	return touch_slot(t, pi, now, dir, &slot);
}

static struct flow_table_config cfg_std(uint32_t cap)
{
	struct flow_table_config c = {.capacity = cap,
				      .udp_timeout_ns = 60 * NS,
				      .tcp_timeout_ns = 300 * NS,
				      .tcp_syn_timeout_ns = 30 * NS,
				      .tcp_closed_timeout_ns = 10 * NS,
				      .other_timeout_ns = 60 * NS};
	return c;
}

static void test_symmetric_key(void)
{
	struct pkt_info a = v4("10.0.0.9", 40000, "10.0.0.1", 51820, 17);
	struct pkt_info b = v4("10.0.0.1", 51820, "10.0.0.9", 40000, 17);
	struct flow_key ka, kb;
	bool la, lb;
	uint64_t ha = flow_key_make(&a, &ka, &la), hb = flow_key_make(&b, &kb, &lb);
	CHECK(ha == hb);
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
	struct flow_table_config cfg = cfg_std(1024);
	struct flow_table *t = make("t_dir", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	/* The server's address sorts lower, so the client is the "hi" side. */
	struct pkt_info c2s = v4("10.0.0.9", 40000, "10.0.0.1", 51820, 17);
	struct pkt_info s2c = v4("10.0.0.1", 51820, "10.0.0.9", 40000, 17);
	uint8_t dir = 9;
	uint32_t s1, s2;
	struct flow *f1 = touch_slot(t, &c2s, 100 * NS, &dir, &s1);
	CHECK(f1 != NULL);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f1->client_is_lo, 0);
	struct flow *f2 = touch_slot(t, &s2c, 101 * NS, &dir, &s2);
	CHECK(f1 == f2);
	CHECK_EQ(s1, s2);
	CHECK_EQ(dir, CLS_S2C);
	f2 = touch(t, &c2s, 102 * NS, &dir);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(flow_table_cold(t, s1)->ts_first, 100 * NS);
	CHECK_EQ(f2->ts_last, flow_tick(102 * NS));
	/* The last packet's time comes back to within a tick. */
	CHECK_EQ(flow_last_ns(f2, 150 * NS), (102 * NS) >> FLOW_TICK_SHIFT << FLOW_TICK_SHIFT);

	/* Ageing: not yet idle at 161 s, idle past 60 s after the last packet. */
	flow_table_age(t, 161 * NS, 4096);
	CHECK_EQ(n_exported, 0);
	flow_table_age(t, 163 * NS, 4096);
	CHECK_EQ(n_exported, 1);
	CHECK_EQ(exported[0].why, FLOW_END_IDLE);

	/* Expired on touch: the old flow is exported, the next packet starts a new one whose client is its sender. */
	n_exported = 0;
	uint32_t s;
	struct flow *f = touch_slot(t, &s2c, 200 * NS, &dir, &s);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(f->client_is_lo, 1);
	f = touch_slot(t, &c2s, 300 * NS, &dir, &s);
	CHECK_EQ(n_exported, 1);
	CHECK_EQ(dir, CLS_C2S);
	CHECK_EQ(flow_table_cold(t, s)->ts_first, 300 * NS);

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
	CHECK(f->key.ip_version == 4);
	f->tcp_fin = 1;
	flow_table_age(t, 1211 * NS, 4096);
	CHECK_EQ(n_exported, 1);

	CHECK_EQ(st.flows_active, 0);
	CHECK_EQ(st.flows_created, 5);
	CHECK_EQ(st.flows_expired, 5);
	flow_table_free(t);
}

static void test_eviction(void)
{
	struct flow_table_config cfg = cfg_std(256);
	struct flow_table *t = make("t_evict", &cfg, &st);
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
	CHECK_EQ(made, 1000);        /* a full table makes room, it never refuses */
	CHECK_EQ(st.flows_created, 1000);
	CHECK(evicted(&st) > 0);
	CHECK_EQ(evicted(&st), n_exported);
	CHECK_EQ(st.flows_evicted[EVICT_INSPECTING], evicted(&st)); /* all undecided here */
	CHECK_EQ(st.flows_active + evicted(&st), 1000);
	CHECK(st.flows_active <= 256);
	/* The newest flow survived. */
	struct pkt_info last = v4("10.1.0.1", 1999, "10.2.0.1", 53, 17);
	n_exported = 0;
	uint32_t slot;
	struct flow *f = touch_slot(t, &last, 1000 * 1000 + 1, &dir, &slot);
	CHECK(f != NULL && f->pkts[0] == 0 && flow_table_cold(t, slot)->ts_first == 1000 * 1000);
	for (unsigned int i = 0; i < (n_exported < 4096 ? n_exported : 0); i++)
		CHECK_EQ(exported[i].why, FLOW_END_EVICTED);
	flow_table_flush(t, 2 * NS);
	CHECK_EQ(st.flows_active, 0);
	CHECK_EQ(st.flows_flushed + evicted(&st), 1000);
	flow_table_free(t);
}

/*
 * A full table gives up the cheapest flows first: under a flood of new
 * one-packet flows, VPN flows keep their state and decided flows outlive
 * undecided ones.
 */
static void test_eviction_order(void)
{
	struct flow_table_config cfg = cfg_std(128);
	struct flow_table *t = make("t_evorder", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	/* 16 VPN flows, 32 decided non-VPN flows, busy before the flood. */
	for (unsigned int i = 0; i < 48; i++) {
		struct pkt_info pi = v4("10.5.0.1", (uint16_t)(5000 + i), "10.5.0.2", 51820, 17);
		struct flow *f = touch(t, &pi, NS + i, &dir);
		f->pkts[0] = f->pkts[1] = 10;
		f->phase = FLOW_DECIDED;
		f->vpn = i < 16;
		f->verdict = i < 16 ? VERDICT_BLOCK : VERDICT_PASS;
	}
	/* A flood of new flows, each seen once, later than the others. */
	for (unsigned int i = 0; i < 2000; i++) {
		struct pkt_info pi = v4("192.0.2.1", (uint16_t)(10000 + i), "10.5.0.2", 80, 6);
		CHECK(touch(t, &pi, 2 * NS + i, &dir) != NULL);
	}
	CHECK_EQ(st.flows_evicted[EVICT_VPN], 0);
	CHECK_EQ(st.flows_evicted[EVICT_PASS], 0);
	CHECK(st.flows_evicted[EVICT_INSPECTING] > 1800);
	unsigned int vpn_gone = 0;
	for (unsigned int i = 0; i < (n_exported < 4096 ? n_exported : 0); i++)
		vpn_gone += exported[i].vpn;
	CHECK_EQ(vpn_gone, 0);
	/* When only decided flows are left to choose from, a non-VPN one goes before a VPN one. */
	for (unsigned int i = 48; i < 128; i++) {
		struct pkt_info pi = v4("10.5.0.1", (uint16_t)(5000 + i), "10.5.0.2", 51820, 17);
		struct flow *f = touch(t, &pi, 3 * NS + i, &dir);
		if (f) {
			f->pkts[0] = f->pkts[1] = 10;
			f->phase = FLOW_DECIDED;
		}
	}
	struct pkt_info more = v4("192.0.2.9", 1, "10.5.0.2", 80, 6);
	touch(t, &more, 4 * NS, &dir);
	CHECK_EQ(st.flows_evicted[EVICT_VPN], 0);
	flow_table_free(t);
}

/* Every slot can be used: the cuckoo buckets never refuse before the slots run out. */
static void test_fill_to_capacity(void)
{
	const uint32_t caps[] = {64, 1000, 4096, 100000};
	for (unsigned int c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct flow_table_config cfg = cfg_std(caps[c]);
		struct flow_table *t = make("t_fill", &cfg, &st);
		CHECK(t != NULL);
		if (!t)
			return;
		uint8_t dir;
		unsigned int made = 0;
		for (uint32_t i = 0; i < caps[c]; i++) {
			struct pkt_info pi = v4("10.7.0.1", (uint16_t)i, "10.7.0.2", (uint16_t)(i >> 16), 17);
			pi.src[2] = (uint8_t)(i >> 8);
			made += touch(t, &pi, NS, &dir) != NULL;
		}
		CHECK_EQ(made, caps[c]);
		CHECK_EQ(evicted(&st), 0);
		CHECK_EQ(st.flows_active, caps[c]);
		/* Every one is found again, in both directions. */
		unsigned int found = 0;
		for (uint32_t i = 0; i < caps[c]; i++) {
			struct pkt_info pi = v4("10.7.0.2", (uint16_t)(i >> 16), "10.7.0.1", (uint16_t)i, 17);
			pi.dst[2] = (uint8_t)(i >> 8);
			struct flow *f = touch(t, &pi, NS + 1, &dir);
			found += f != NULL && dir == CLS_S2C;
		}
		CHECK_EQ(found, caps[c]);
		CHECK_EQ(st.flows_created, caps[c]);
		flow_table_free(t);
	}
}

static void test_emergency_timeouts(void)
{
	struct flow_table_config cfg = cfg_std(256);
	cfg.udp_timeout_ns = 80 * NS;
	struct flow_table *t = make("t_emerg", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	/* Half full: an 11 s idle UDP flow stays (timeout 80 s). */
	for (unsigned int i = 0; i < 128; i++) {
		struct pkt_info pi = v4("10.3.0.1", (uint16_t)(2000 + i), "10.4.0.1", 53, 17);
		touch(t, &pi, 100 * NS, &dir);
	}
	flow_table_age(t, 111 * NS, 4096);
	CHECK_EQ(st.flows_expired, 0);
	/* Nearly full (> 7/8 of the slots): timeouts shrink 8x, the same idle time now expires. */
	for (unsigned int i = 128; i < 250; i++) {
		struct pkt_info pi = v4("10.3.0.1", (uint16_t)(2000 + i), "10.4.0.1", 53, 17);
		touch(t, &pi, 100 * NS, &dir);
	}
	CHECK_EQ(evicted(&st), 0);
	CHECK_EQ(st.flows_active, 250);
	flow_table_age(t, 111 * NS, 4096);
	CHECK(st.flows_expired > 0);
	CHECK_EQ(st.flows_expired_emergency, st.flows_expired);
	flow_table_free(t);
}

/*
 * The bulk lookup must give what packet-by-packet lookups give: the same
 * flows, directions and counts, including a new flow's second packet in the
 * same burst and flows that expire on touch.
 */
static void test_bulk_equals_single(void)
{
	struct flow_table_config cfg = cfg_std(512);
	cfg.udp_timeout_ns = 5 * NS;
	struct worker_stats ss, sb;
	struct flow_table *ts = make("t_single", &cfg, &ss);
	struct flow_table *tb = make("t_bulk", &cfg, &sb);
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
		uint64_t hash[FLOW_BULK_MAX];
		bool lo[FLOW_BULK_MAX];
		uint64_t when[FLOW_BULK_MAX];
		struct flow *fb[FLOW_BULK_MAX];
		uint8_t db[FLOW_BULK_MAX];
		uint32_t sl[FLOW_BULK_MAX];
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
		/* Packet by packet first, then the burst in bulk: both tables see the same sequence. */
		struct flow *fs[FLOW_BULK_MAX];
		uint8_t ds[FLOW_BULK_MAX];
		uint32_t ss_slot[FLOW_BULK_MAX];
		cur = ts;
		for (uint32_t i = 0; i < n; i++) {
			fs[i] = touch_slot(ts, &pi[i], when[i], &ds[i], &ss_slot[i]);
			/* Count the packet in, as the worker does, so later expiry sees the same flows. */
			if (fs[i])
				fs[i]->pkts[ds[i]]++;
		}
		cur = tb;
		flow_lookup_or_add_bulk(tb, kp, hash, lo, n, when, fb, db, sl);
		for (uint32_t i = 0; i < n; i++)
			if (fb[i])
				fb[i]->pkts[db[i]]++;
		/* What each packet got, read after the burst (a slot may hold a newer flow by then, in both). */
		for (uint32_t i = 0; i < n; i++)
			if (fs[i] == NULL || fb[i] == NULL || ds[i] != db[i] || ss_slot[i] != sl[i] ||
			    flow_table_cold(ts, ss_slot[i])->ts_first != flow_table_cold(tb, sl[i])->ts_first ||
			    memcmp(&fs[i]->key, &fb[i]->key, sizeof(fs[i]->key)) != 0 || flow_table_flow(tb, sl[i]) != fb[i])
				mismatches++;
		bursts++;
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(bursts, 400);
	CHECK_EQ(ss.flows_created, sb.flows_created);
	CHECK_EQ(ss.flows_expired, sb.flows_expired);
	CHECK(sb.flows_expired > 0);        /* the idle gaps did expire flows on touch */
	CHECK_EQ(ss.flows_active, sb.flows_active);
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
	uint64_t hash[FLOW_BULK_MAX] = {0};
	bool lo[FLOW_BULK_MAX] = {0};
	uint64_t when[FLOW_BULK_MAX] = {0};
	struct flow *f[FLOW_BULK_MAX];
	uint8_t d[FLOW_BULK_MAX];
	uint32_t sl[FLOW_BULK_MAX];
	for (uint32_t i = 0; i < n; i++) {
		pi[i] = v4("10.8.0.1", (*port)++, "10.8.0.2", 53, 17);
		when[i] = when_ns;
		hash[i] = flow_key_make(&pi[i], &keys[i], &lo[i]);
		kp[i] = &keys[i];
	}
	flow_lookup_or_add_bulk(t, kp, hash, lo, n, when, f, d, sl);
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
	struct flow_table *t = make("t_spare", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	unsigned int reused = 0;
	uint16_t port = 1000;
	/* More new flows in one burst than the table holds: the surplus finds no room. */
	unsigned int made1 = new_flows_burst(t, &port, FLOW_BULK_MAX, NS, &reused);
	CHECK_EQ(reused, 0);
	CHECK_EQ(made1, 8);
	CHECK_EQ(st.flows_active, made1);
	CHECK_EQ(evicted(&st), 0);
	/* A later burst: the older flows make room for as many. */
	unsigned int made2 = new_flows_burst(t, &port, made1, 2 * NS, &reused);
	CHECK_EQ(reused, 0);
	CHECK_EQ(made2, made1);
	CHECK_EQ(evicted(&st), made1);
	flow_table_free(t);
}

/* The paced scan: nothing between close polls, every idle flow gone within a sweep after its timeout. */
static void test_paced_ageing(void)
{
	struct flow_table_config cfg = cfg_std(4096);
	cfg.udp_timeout_ns = 8 * NS;
	cfg.tcp_closed_timeout_ns = 8 * NS;
	struct flow_table *t = make("t_paced", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	for (unsigned int i = 0; i < 1000; i++) {
		struct pkt_info pi = v4("10.6.0.1", (uint16_t)(3000 + i), "10.6.0.2", 53, 17);
		touch(t, &pi, 10 * NS, &dir);
	}
	/* Polls 1 us apart past the timeout: a few slots each, not the table. */
	flow_table_age_paced(t, 19 * NS);
	flow_table_age_paced(t, 19 * NS + 1000);
	CHECK(st.flows_expired < 10);
	/* Sweep = 8 s / 4 = 2 s: polled every ms from 19 s to 21.1 s, the whole table is visited. */
	for (uint64_t now = 19 * NS; now <= 21 * NS + NS / 10; now += NS / 1000)
		flow_table_age_paced(t, now);
	CHECK_EQ(st.flows_expired, 1000);
	CHECK_EQ(st.flows_active, 0);
	flow_table_free(t);
}

/* An inspecting flow that holds an inspection slot and idles past the window limit gets its window closed. */
static void test_idle_window(void)
{
	struct flow_table_config cfg = cfg_std(64);
	cfg.window_idle_ns = 5 * NS;
	struct flow_table *t = make("t_window", &cfg, &st);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t dir;
	struct pkt_info a = v4("10.6.1.1", 3000, "10.6.1.2", 443, 6);
	struct pkt_info b = v4("10.6.1.1", 3001, "10.6.1.2", 443, 6);
	struct flow *fa = touch(t, &a, 10 * NS, &dir);
	struct flow *fb = touch(t, &b, 10 * NS, &dir);
	fa->aux = 7; /* holds an inspection slot */
	fb->aux = 0; /* never needed one (no payload yet) */
	fa->pkts[0] = fa->pkts[1] = fb->pkts[0] = fb->pkts[1] = 1;
	flow_table_age(t, 14 * NS, 64);
	CHECK_EQ(windows_closed, 0);
	flow_table_age(t, 16 * NS, 64);
	CHECK_EQ(windows_closed, 1);
	CHECK_EQ(fa->phase, FLOW_UNDECIDED);
	CHECK_EQ(fb->phase, FLOW_INSPECTING);
	CHECK_EQ(st.flows_expired, 0);
	/* The next packet after such a gap closes it first, even when no scan has come by. */
	struct pkt_info c = v4("10.6.1.1", 3002, "10.6.1.2", 443, 6);
	struct flow *fc = touch(t, &c, 20 * NS, &dir);
	fc->aux = 9;
	fc->pkts[0] = fc->pkts[1] = 1;
	struct flow *again = touch(t, &c, 26 * NS, &dir);
	CHECK(again == fc);
	CHECK_EQ(windows_closed, 2);
	CHECK_EQ(fc->phase, FLOW_UNDECIDED);
	/* And at the flush, as of the end time given. */
	struct pkt_info d = v4("10.6.1.1", 3003, "10.6.1.2", 443, 6);
	struct flow *fd = touch(t, &d, 29 * NS, &dir);
	fd->aux = 11;
	fd->pkts[0] = fd->pkts[1] = 1;
	struct pkt_info e = v4("10.6.1.1", 3004, "10.6.1.2", 443, 6);
	struct flow *fe = touch(t, &e, 38 * NS, &dir);
	fe->aux = 12;
	fe->pkts[0] = fe->pkts[1] = 1;
	flow_table_flush(t, 40 * NS);
	CHECK_EQ(windows_closed, 3); /* fd (idle 10 s+), not fe (2 s) */
	CHECK_EQ(st.flows_flushed, 5);
	flow_table_free(t);
}

/* 64-bit counters: the hot 32 bits spill into the cold part; turning the flow round swaps them. */
static void test_counters(void)
{
	struct flow f;
	struct flow_cold c;
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.pkts[0] = UINT32_MAX;
	f.bytes[0] = UINT32_MAX - 10;
	flow_count(&f, &c, 0, 100);
	CHECK_EQ(flow_pkts(&f, &c, 0), (uint64_t)UINT32_MAX + 1);
	CHECK_EQ(flow_bytes(&f, &c, 0), (uint64_t)UINT32_MAX - 10 + 100);
	flow_count(&f, &c, 1, 60);
	flow_swap_sides(&f, &c);
	CHECK_EQ(flow_pkts(&f, &c, 1), (uint64_t)UINT32_MAX + 1);
	CHECK_EQ(flow_pkts(&f, &c, 0), 1);
	CHECK_EQ(flow_bytes(&f, &c, 0), 60);
	CHECK_EQ(f.client_is_lo, 1);
	f.pkts[0] = 40000;
	f.pkts[1] = 40000;
	CHECK_EQ(flow_pkt_no(&f), UINT16_MAX);
}

/* The key's hash: its low half is rte_hash_crc's, and its order is memcmp's, for random endpoints. */
static void test_key_hash_and_order(void)
{
	uint32_t rnd = 777;
	unsigned int bad_hash = 0, bad_order = 0, bad_key = 0;
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
		rnd = rnd * 1103515245u + 12345u;
		pi.zone = (i & 16) ? (rnd >> 8) & ((1u << PARSE_ZONE_BITS) - 1) : 0;
		struct flow_key k;
		bool lo;
		uint64_t h = flow_key_make(&pi, &k, &lo);
		bad_hash += (uint32_t)h != rte_hash_crc(&k, sizeof(k), 0);
		int c = memcmp(pi.src, pi.dst, 16);
		bool want = c < 0 || (c == 0 && pi.src_port <= pi.dst_port);
		bad_order += lo != want;
		/* The words flow_key_make builds are the struct's fields, every bit of them. */
		struct flow_key ref;
		memset(&ref, 0, sizeof(ref));
		memcpy(ref.addr_lo, want ? pi.src : pi.dst, 16);
		memcpy(ref.addr_hi, want ? pi.dst : pi.src, 16);
		ref.port_lo = want ? pi.src_port : pi.dst_port;
		ref.port_hi = want ? pi.dst_port : pi.src_port;
		ref.zone = pi.zone;
		ref.ip_version = pi.ip_version;
		ref.proto = pi.l4_proto;
		bad_key += memcmp(&ref, &k, sizeof(k)) != 0;
	}
	CHECK_EQ(bad_hash, 0);
	CHECK_EQ(bad_order, 0);
	CHECK_EQ(bad_key, 0);
}

int main(void)
{
	char *argv[] = {"test_flow", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
			"-l", "0", "--log-level=*:error", NULL};
	if (rte_eal_init(10, argv) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	test_symmetric_key();
	test_key_hash_and_order();
	test_counters();
	test_directions_and_timeout();
	test_eviction();
	test_eviction_order();
	test_fill_to_capacity();
	test_emergency_timeouts();
	test_bulk_equals_single();
	test_bulk_spares_burst();
	test_paced_ageing();
	test_idle_window();
	rte_eal_cleanup();
	CHECK_DONE();
}
