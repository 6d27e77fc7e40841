/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tie table (engine/control/tie.c): which flows of one session are tied, that
 * the result does not depend on the order records arrive in (offline and
 * live), that nothing ties across host pairs, VLANs or to a TLS flow on
 * another port, that offline ties need both flows alive at once, and that
 * the live table stays within its bound.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tie.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)

static struct tie_timeouts timeouts = {
	.udp_ns = S(120), .tcp_ns = S(300), .tcp_syn_ns = S(30), .tcp_fin_ns = S(10), .other_ns = S(120),
};

static int app(const char *name)
{
	int id = classifier_id_by_name(name);
	return id > 0 ? id : 0;
}

/* A flow record as a worker hands it over: canonical key, client = first sender. */
static struct flow_record mk(const char *cli, uint16_t cport, const char *srv, uint16_t sport, uint8_t proto,
		      const char *name, uint64_t t0, uint64_t t1)
{
	struct flow_record f;
	uint8_t c[16] = {0}, s[16] = {0};
	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, cli, c);
	inet_pton(AF_INET, srv, s);
	int cmp = memcmp(c, s, 16);
	bool c_lo = cmp < 0 || (cmp == 0 && cport <= sport);
	memcpy(f.key.addr_lo, c_lo ? c : s, 16);
	memcpy(f.key.addr_hi, c_lo ? s : c, 16);
	f.key.port_lo = c_lo ? cport : sport;
	f.key.port_hi = c_lo ? sport : cport;
	f.key.proto = proto;
	f.key.ip_version = 4;
	f.client_is_lo = c_lo;
	f.ts_first = t0;
	f.ts_last = t1;
	f.pkts[0] = f.pkts[1] = 5;
	f.end = FLOW_END_FLUSH;
	if (name) {
		f.app = (uint8_t)app(name);
		f.phase = FLOW_DECIDED;
		f.result = CLS_CONFIRMED;
		f.check = "own-check";
		f.decided_at_pkt = 2;
		f.verdict = VERDICT_BLOCK;
	} else {
		f.phase = FLOW_UNDECIDED;
	}
	return f;
}

static struct flow_record tls(struct flow_record f)
{
	snprintf(f.facts.ja4, sizeof(f.facts.ja4), "t13d1516h2_8daaf6152771_02713d6af862");
	return f;
}

/* The scenario: four sessions and flows that must stay untied. */
enum {
	IKE, ESP, PPTP, GRE, OC_DTLS, OC_TLS, TLS_OTHER_PORT, TCP_NO_TLS, TINC_TCP, TINC_UDP, DNS_SAME_HOSTS,
	ESP_OTHER_HOSTS, TLS_OTHER_CLIENT, UDP_OTHER_VLAN, QUIC_SAME_SERVER, N_FLOWS
};

static void scenario(struct flow_record *f)
{
	f[IKE] = mk("10.0.0.2", 500, "10.0.0.1", 500, 17, "ike", S(100), S(101));
	f[ESP] = mk("10.0.0.2", 0, "10.0.0.1", 0, 50, "esp", S(101), S(160));
	f[PPTP] = mk("10.0.1.2", 40000, "10.0.1.1", 1723, 6, "pptp", S(100), S(200));
	f[GRE] = mk("10.0.1.2", 0, "10.0.1.1", 0, 47, "gre", S(102), S(199));
	f[OC_DTLS] = mk("10.0.2.2", 50000, "10.0.2.1", 443, 17, "openconnect", S(103), S(200));
	f[OC_TLS] = tls(mk("10.0.2.2", 50001, "10.0.2.1", 443, 6, NULL, S(101), S(200)));
	f[TLS_OTHER_PORT] = tls(mk("10.0.2.2", 50002, "10.0.2.1", 8443, 6, NULL, S(101), S(200)));
	f[TCP_NO_TLS] = mk("10.0.2.2", 50003, "10.0.2.1", 443, 6, NULL, S(101), S(200));
	f[TINC_TCP] = mk("10.0.3.2", 40001, "10.0.3.1", 655, 6, "tinc", S(100), S(200));
	f[TINC_UDP] = mk("10.0.3.2", 655, "10.0.3.1", 655, 17, NULL, S(100), S(200));
	f[DNS_SAME_HOSTS] = mk("10.0.3.2", 53000, "10.0.3.1", 53, 17, NULL, S(110), S(111));
	f[ESP_OTHER_HOSTS] = mk("10.0.9.2", 0, "10.0.0.1", 0, 50, "esp", S(101), S(160));
	f[TLS_OTHER_CLIENT] = tls(mk("10.0.4.2", 50001, "10.0.2.1", 443, 6, NULL, S(101), S(200)));
	f[UDP_OTHER_VLAN] = mk("10.0.3.2", 655, "10.0.3.1", 655, 17, NULL, S(100), S(200));
	f[UDP_OTHER_VLAN].key.zone = 7;
	/* QUIC to the AnyConnect server: undecided UDP, but no rule ties UDP to openconnect. */
	f[QUIC_SAME_SERVER] = mk("10.0.2.2", 50004, "10.0.2.1", 443, 17, NULL, S(101), S(200));
}

/* Which flow each flow is tied to (-1: none), by matching the link's peer against the scenario. */
static void partners(const struct flow_record *f, size_t n, const struct tie_link *l, int *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = -1;
		if (l[i].rule == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (memcmp(&f[j].key, &l[i].peer.key, sizeof(f[j].key)) == 0 &&
			    f[j].ts_first == l[i].peer.ts_first)
				out[i] = (int)j;
	}
}

static const int expected[N_FLOWS] = {
	[IKE] = ESP, [ESP] = IKE, [PPTP] = GRE, [GRE] = PPTP, [OC_DTLS] = OC_TLS, [OC_TLS] = OC_DTLS,
	[TLS_OTHER_PORT] = -1, [TCP_NO_TLS] = -1, [TINC_TCP] = TINC_UDP, [TINC_UDP] = TINC_TCP,
	[DNS_SAME_HOSTS] = -1, [ESP_OTHER_HOSTS] = -1, [TLS_OTHER_CLIENT] = -1, [UDP_OTHER_VLAN] = -1,
	[QUIC_SAME_SERVER] = -1,
};

static void check_scenario_links(const struct flow_record *f, const struct tie_link *l, const char *what)
{
	int got[N_FLOWS];
	partners(f, N_FLOWS, l, got);
	int bad = 0;
	for (int i = 0; i < N_FLOWS; i++)
		if (got[i] != expected[i]) {
			fprintf(stderr, "%s: flow %d tied to %d, expected %d\n", what, i, got[i], expected[i]);
			bad++;
		}
	CHECK_EQ(bad, 0);
	CHECK_STR(tie_rules[l[ESP].rule - 1].name, "ike+esp");
	CHECK_STR(tie_rules[l[GRE].rule - 1].name, "pptp+gre");
	CHECK_STR(tie_rules[l[OC_TLS].rule - 1].name, "openconnect-dtls+tls");
	CHECK_STR(tie_rules[l[TINC_UDP].rule - 1].name, "tinc-meta+udp");
	CHECK(l[OC_TLS].relabel && l[TINC_UDP].relabel && !l[ESP].relabel && !l[GRE].relabel);
	CHECK(l[ESP].is_child && !l[IKE].is_child && l[IKE].n == 1);
	/* A relabelled child is named by its parent with the label it takes. */
	CHECK_EQ(l[OC_DTLS].peer.app, app("openconnect"));
	CHECK_EQ(l[OC_TLS].peer.app, app("openconnect"));
}

static void shuffle(int *order, int n, unsigned int *seed)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rand_r(seed) % (unsigned int)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* Offline: the same links whatever order the records are in. */
static void test_offline_order(void)
{
	struct flow_record f[N_FLOWS], g[N_FLOWS];
	struct tie_link l[N_FLOWS], lg[N_FLOWS], back[N_FLOWS];
	scenario(f);
	CHECK_EQ(tie_all(f, N_FLOWS, &timeouts, l), 4);
	check_scenario_links(f, l, "offline");
	unsigned int seed = 7;
	int same = 1;
	for (int round = 0; round < 300; round++) {
		int order[N_FLOWS];
		shuffle(order, N_FLOWS, &seed);
		for (int i = 0; i < N_FLOWS; i++)
			g[i] = f[order[i]];
		CHECK_EQ(tie_all(g, N_FLOWS, &timeouts, lg), 4);
		for (int i = 0; i < N_FLOWS; i++)
			back[order[i]] = lg[i];
		same &= memcmp(back, l, sizeof(l)) == 0;
	}
	CHECK(same);
}

struct ev_count {
	int ties, relabels;
	int child_of[N_FLOWS];
	const struct flow_record *f;
};

static void count_event(void *arg, const struct tie_event *ev)
{
	struct ev_count *c = arg;
	c->ties++;
	c->relabels += ev->link->relabel;
	CHECK(ev->ts >= ev->child->ts_last && ev->ts >= ev->parent->ts_last);
	CHECK(ev->ts == ev->child->ts_last || ev->ts == ev->parent->ts_last);
}

/* Live: every order of first verdicts, then every order of ends, gives the offline links. */
static void test_live_order(void)
{
	struct flow_record f[N_FLOWS];
	struct tie_link offline[N_FLOWS], l[N_FLOWS];
	scenario(f);
	tie_all(f, N_FLOWS, &timeouts, offline);
	unsigned int seed = 11;
	int same = 1;
	for (int round = 0; round < 300; round++) {
		struct tie_table *t = tie_table_create(64);
		struct ev_count ec = {0};
		int order[N_FLOWS];
		shuffle(order, N_FLOWS, &seed);
		/* Some flows are only seen at their end (ended before deciding, or a lost verdict record). */
		for (int i = 0; i < N_FLOWS; i++)
			if (order[i] % 3 != 0 || round % 2 == 0)
				tie_note(t, &f[order[i]], count_event, &ec);
		shuffle(order, N_FLOWS, &seed);
		for (int i = 0; i < N_FLOWS; i++)
			tie_end(t, &f[order[i]], &l[order[i]], count_event, &ec);
		int got[N_FLOWS], want[N_FLOWS];
		partners(f, N_FLOWS, l, got);
		partners(f, N_FLOWS, offline, want);
		/* A child ending before its parent was seen is not tied live: only the rest is compared. */
		for (int i = 0; i < N_FLOWS; i++)
			if (got[i] != want[i] && got[i] != -1)
				same = 0;
		if (round % 2 == 0) {
			same &= memcmp(l, offline, sizeof(l)) == 0;
			CHECK_EQ(ec.ties, 4);
			CHECK_EQ(ec.relabels, 2);
		}
		struct tie_stats st;
		tie_table_stats(t, &st);
		CHECK_EQ(st.kept, 0);
		CHECK_EQ(st.evicted, 0);
		tie_table_free(t);
	}
	CHECK(same);
}

/* A flow seen only at its end still ties to what the table holds. */
static void test_live_end_only(void)
{
	struct flow_record f[N_FLOWS];
	struct tie_link l;
	scenario(f);
	struct tie_table *t = tie_table_create(16);
	struct ev_count ec = {0};
	tie_note(t, &f[TINC_TCP], count_event, &ec);
	f[TINC_UDP].phase = FLOW_INSPECTING; /* ended inside its window */
	CHECK(tie_end(t, &f[TINC_UDP], &l, count_event, &ec));
	CHECK(l.is_child && l.relabel && l.peer.app == app("tinc"));
	CHECK(tie_end(t, &f[TINC_TCP], &l, count_event, &ec));
	CHECK(!l.is_child && l.n == 1);
	/* Once the parent is gone, a child deciding later stays untied. */
	tie_note(t, &f[PPTP], count_event, &ec);
	CHECK(!tie_end(t, &f[PPTP], &l, count_event, &ec));
	CHECK(!tie_end(t, &f[GRE], &l, count_event, &ec));
	CHECK_EQ(ec.ties, 1);
	tie_table_free(t);
}

/* A relabelled record: the parent's app, likely, check tie:<rule>, no deciding packet. */
static void test_relabel(void)
{
	struct flow_record f[N_FLOWS];
	struct tie_link l[N_FLOWS];
	scenario(f);
	tie_all(f, N_FLOWS, &timeouts, l);
	struct flow_record r = f[OC_TLS];
	tie_relabel(&r, &l[OC_TLS]);
	CHECK_EQ(r.app, app("openconnect"));
	CHECK_EQ(r.phase, FLOW_DECIDED);
	CHECK_EQ(r.result, CLS_LIKELY);
	CHECK_STR(r.check, "tie:openconnect-dtls+tls");
	CHECK_EQ(r.decided_at_pkt, 0);
	/* A linked child keeps its own label. */
	r = f[ESP];
	tie_relabel(&r, &l[ESP]);
	CHECK(memcmp(&r, &f[ESP], sizeof(r)) == 0);
	/* The summary round-trips the fields a tie event reports. */
	struct tie_flow s;
	CHECK(tie_flow_of(&f[GRE], &s));
	tie_flow_record(&s, &r);
	CHECK(memcmp(&r.key, &f[GRE].key, sizeof(r.key)) == 0 && r.app == f[GRE].app && r.ts_first == f[GRE].ts_first &&
	      r.verdict == f[GRE].verdict && r.client_is_lo == f[GRE].client_is_lo);
	/* A wireguard flow has no rule: not kept. */
	struct flow_record wg = mk("10.0.5.2", 40000, "10.0.5.1", 51820, 17, "wireguard", S(1), S(2));
	CHECK(!tie_flow_of(&wg, &s));
}

/* Offline: two flows tie only when both were alive at once (last packet + idle timeout). */
static void test_offline_alive(void)
{
	struct flow_record f[2];
	struct tie_link l[2];
	f[0] = mk("10.0.0.2", 500, "10.0.0.1", 500, 17, "ike", S(100), S(101));
	f[0].end = FLOW_END_IDLE;
	f[1] = mk("10.0.0.2", 0, "10.0.0.1", 0, 50, "esp", S(101) + S(120) + 1, S(400));
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 0);
	f[1].ts_first = S(101) + S(120); /* the IKE flow is still in the table */
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 1);
	/* An evicted flow was alive only to its last packet. */
	f[0].end = FLOW_END_EVICTED;
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 0);
	/* A TCP flow after FIN: the short timeout. */
	f[0] = mk("10.0.1.2", 40000, "10.0.1.1", 1723, 6, "pptp", S(100), S(101));
	f[0].end = FLOW_END_IDLE;
	f[0].tcp_fin = 1;
	f[1] = mk("10.0.1.2", 0, "10.0.1.1", 0, 47, "gre", S(112), S(130));
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 0);
	f[1].ts_first = S(110);
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 1);
	/* A child that started before its parent, while alive, ties too. */
	f[1].ts_first = S(50);
	f[1].ts_last = S(99);
	f[1].end = FLOW_END_FLUSH;
	CHECK_EQ(tie_all(f, 2, &timeouts, l), 1);
}

/* Several parents: the latest that started no later than the child; a parent names its earliest child. */
static void test_choice(void)
{
	struct flow_record f[5];
	struct tie_link l[5];
	f[0] = mk("10.0.0.2", 500, "10.0.0.1", 500, 17, "ike", S(100), S(300));
	f[1] = mk("10.0.0.2", 4500, "10.0.0.1", 4500, 17, "ike", S(150), S(300));
	f[2] = mk("10.0.0.2", 0, "10.0.0.1", 0, 50, "esp", S(160), S(300));
	f[3] = mk("10.0.0.2", 4501, "10.0.0.1", 4501, 17, "esp", S(120), S(300)); /* ESP in UDP 4501 */
	f[4] = mk("10.0.0.2", 4600, "10.0.0.1", 4600, 17, "ike", S(400), S(500));
	CHECK_EQ(tie_all(f, 5, &timeouts, l), 2);
	CHECK(l[2].is_child && l[2].peer.ts_first == S(150)); /* the 4500 IKE flow, latest before it */
	CHECK(l[3].is_child && l[3].peer.ts_first == S(100)); /* only the 500 one had started */
	CHECK(!l[0].is_child && l[0].n == 1 && l[1].n == 1 && l[4].rule == 0);
	/* Live, the same set noted in any order gives the same (all present before the children). */
	struct tie_table *t = tie_table_create(8);
	int order[] = {4, 1, 0, 3, 2};
	for (int i = 0; i < 5; i++)
		tie_note(t, &f[order[i]], NULL, NULL);
	struct tie_link e;
	tie_end(t, &f[2], &e, NULL, NULL);
	CHECK(e.peer.ts_first == S(150));
	tie_end(t, &f[3], &e, NULL, NULL);
	CHECK(e.peer.ts_first == S(100));
	tie_table_free(t);
	/* Live keeps the first tie: a better parent arriving later does not take a tied child. */
	t = tie_table_create(8);
	CHECK_EQ(tie_note(t, &f[0], NULL, NULL), 0);
	CHECK_EQ(tie_note(t, &f[2], NULL, NULL), 1);
	CHECK_EQ(tie_note(t, &f[1], NULL, NULL), 0);
	CHECK(tie_end(t, &f[2], &e, NULL, NULL) && e.peer.ts_first == S(100));
	CHECK(!tie_end(t, &f[1], &e, NULL, NULL) && e.n == 0);
	CHECK(tie_end(t, &f[0], &e, NULL, NULL) && e.n == 1);
	tie_table_free(t);
	/* One parent, three children: n = 3, named the earliest. */
	f[1] = mk("10.0.0.2", 0, "10.0.0.1", 0, 50, "esp", S(140), S(300));
	CHECK_EQ(tie_all(f, 4, &timeouts, l), 3);
	CHECK(l[0].n == 3 && l[0].peer.ts_first == S(120));
}

/* The live table never holds more than its capacity; undecided flows go before VPN flows. */
static void test_bounded(void)
{
	struct tie_table *t = tie_table_create(4);
	struct tie_stats st;
	struct flow_record ike = mk("10.0.0.2", 500, "10.0.0.1", 500, 17, "ike", S(1), S(2));
	struct flow_record esp = mk("10.0.0.2", 0, "10.0.0.1", 0, 50, "esp", S(3), S(4));
	tie_note(t, &ike, NULL, NULL);
	char ip[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.2", i);
		struct flow_record u = mk(ip, 4000, "10.1.0.1", 53, 17, NULL, S(2), S(3));
		tie_note(t, &u, NULL, NULL);
		tie_table_stats(t, &st);
		CHECK(st.kept <= 4);
	}
	tie_table_stats(t, &st);
	CHECK_EQ(st.kept, 4);
	CHECK_EQ(st.evicted, 17);
	/* The IKE flow outlived the undecided ones: its ESP still ties. */
	CHECK_EQ(tie_note(t, &esp, NULL, NULL), 1);
	/* Only VPN flows left: the oldest of them goes. */
	struct flow_record ikes[6];
	for (int i = 0; i < 6; i++) {
		snprintf(ip, sizeof(ip), "10.2.%d.2", i);
		ikes[i] = mk(ip, 500, "10.2.0.1", 500, 17, "ike", S(10 + i), S(11 + i));
		tie_note(t, &ikes[i], NULL, NULL);
	}
	tie_table_stats(t, &st);
	CHECK_EQ(st.kept, 4);
	struct tie_link l;
	struct flow_record late_esp = mk("10.2.0.2", 0, "10.2.0.1", 0, 50, "esp", S(20), S(21));
	CHECK(!tie_end(t, &late_esp, &l, NULL, NULL)); /* its IKE flow was evicted */
	late_esp = mk("10.2.5.2", 0, "10.2.0.1", 0, 50, "esp", S(20), S(21));
	CHECK(tie_end(t, &late_esp, &l, NULL, NULL));  /* the newest is still there */
	/* Ends empty the table; entries are reused. */
	for (int i = 0; i < 6; i++)
		tie_end(t, &ikes[i], &l, NULL, NULL);
	tie_end(t, &ike, &l, NULL, NULL);
	tie_end(t, &esp, &l, NULL, NULL);
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.2", i);
		struct flow_record u = mk(ip, 4000, "10.1.0.1", 53, 17, NULL, S(2), S(3));
		tie_end(t, &u, &l, NULL, NULL);
	}
	tie_table_stats(t, &st);
	CHECK_EQ(st.kept, 0);
	CHECK(tie_table_create(2) == NULL);
	tie_table_free(t);
}

/* Many flows on one host pair: the table and the offline pass stay correct. */
static void test_crowd(void)
{
	enum { N = 2000 };
	struct flow_record *f = calloc(N, sizeof(*f));
	struct tie_link *l = calloc(N, sizeof(*l));
	f[0] = mk("10.0.2.2", 50000, "10.0.2.1", 443, 17, "openconnect", S(100), S(200));
	for (int i = 1; i < N; i++)
		f[i] = tls(mk("10.0.2.2", (uint16_t)(1000 + i), "10.0.2.1", (uint16_t)(i % 2 ? 443 : 444), 6, NULL,
			      S(100) + (uint64_t)i, S(200)));
	CHECK_EQ(tie_all(f, N, &timeouts, l), N / 2);
	CHECK_EQ(l[0].n, N / 2);
	CHECK(l[0].peer.ts_first == S(100) + 1);
	struct tie_table *t = tie_table_create(N);
	for (int i = N - 1; i >= 0; i--)
		tie_note(t, &f[i], NULL, NULL);
	struct tie_stats st;
	tie_table_stats(t, &st);
	CHECK_EQ(st.ties, N / 2);
	CHECK_EQ(st.relabels, N / 2);
	tie_table_free(t);
	free(f);
	free(l);
}

/* SoftEther: its VPN-over-DNS flow ties every TLS flow between the same two hosts, any port; nothing else. */
static void test_softether(void)
{
	enum { DNS, TLS443, TLS5555, TLS_OTHER_CLIENT, TCP_PLAIN, ICMP, TLS_BY_ICMP, N };
	struct flow_record f[N];
	struct tie_link l[N];
	f[DNS] = mk("10.0.6.2", 40000, "10.0.6.1", 53, 17, "softether", S(100), S(101));
	f[TLS443] = tls(mk("10.0.6.2", 50000, "10.0.6.1", 443, 6, NULL, S(99), S(200)));
	f[TLS5555] = tls(mk("10.0.6.2", 50001, "10.0.6.1", 5555, 6, NULL, S(150), S(200)));
	f[TLS_OTHER_CLIENT] = tls(mk("10.0.7.2", 50000, "10.0.6.1", 443, 6, NULL, S(99), S(200)));
	f[TCP_PLAIN] = mk("10.0.6.2", 50002, "10.0.6.1", 80, 6, NULL, S(99), S(200));
	/* Its ICMP transport is decided too, but is no parent: nothing ties to it. */
	f[ICMP] = mk("10.0.8.1", 0, "10.0.8.2", 0, 1, "softether", S(100), S(101));
	f[TLS_BY_ICMP] = tls(mk("10.0.8.2", 50000, "10.0.8.1", 443, 6, NULL, S(99), S(200)));
	CHECK_EQ(tie_all(f, N, &timeouts, l), 2);
	CHECK(l[TLS443].rule != 0 && l[TLS5555].rule != 0);
	CHECK(l[TLS_OTHER_CLIENT].rule == 0 && l[TCP_PLAIN].rule == 0 && l[TLS_BY_ICMP].rule == 0 && l[ICMP].rule == 0);
	if (l[TLS443].rule) {
		CHECK_STR(tie_rules[l[TLS443].rule - 1].name, "softether-udp+tls");
		struct flow_record r = f[TLS443];
		tie_relabel(&r, &l[TLS443]);
		CHECK_EQ(r.app, app("softether"));
		CHECK_EQ(r.result, CLS_LIKELY);
		CHECK_STR(r.check, "tie:softether-udp+tls");
	}
	CHECK(l[DNS].rule != 0 && l[DNS].n == 2);
}

int main(void)
{
	CHECK(app("ike") && app("esp") && app("pptp") && app("gre") && app("openconnect") && app("tinc"));
	test_offline_order();
	test_live_order();
	test_live_end_only();
	test_relabel();
	test_offline_alive();
	test_choice();
	test_bounded();
	test_crowd();
	test_softether();
	CHECK_DONE();
}
