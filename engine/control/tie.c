/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ties between flows of one VPN session (tie.h). Runs on the control lcore
 * only, offline after the run or live as records arrive; plain C, no DPDK.
 */
#include "tie.h"
#include "ipproto.h"

#include <stdlib.h>
#include <string.h>

/*
 * The rules. A parent is a flow its own classifier decided; a child is
 * either a flow decided as another app of the same session (linked, label
 * kept) or an undecided flow that shows nothing of its own (it takes the
 * parent's label with confidence likely). Every rule needs the same two
 * addresses (and VLAN); the match column narrows it further. The first rule
 * that finds a parent for a child wins.
 */
const struct tie_rule tie_rules[] = {
	/* IKE negotiated the SAs; their ESP runs between the same hosts (IP 50, or UDP 4500/4501). */
	{"ike+esp", "tie:ike+esp", "ike", IPPROTO_UDP, TIE_CHILD_APP, "esp", 0, TIE_HOSTS, 0},
	/* Cisco "IPsec over UDP" (10000): ESP whose SAs an IKEv1 exchange between the same hosts set up. */
	{"ike+cisco-ipsec", "tie:ike+cisco-ipsec", "ike", IPPROTO_UDP, TIE_CHILD_APP, "cisco-ipsec", IPPROTO_UDP, TIE_HOSTS, 0},
	/*
	 * The PPTP control connection negotiates the call ids its enhanced GRE
	 * carries. tundra keys GRE by the two addresses (one GRE flow per host
	 * pair), so the host pair is the match; the call ids are exchanged after
	 * the control connection is decided (SCCRQ/SCCRP) and are not kept.
	 */
	{"pptp+gre", "tie:pptp+gre", "pptp", IPPROTO_TCP, TIE_CHILD_APP, "gre", IPPROTO_GRE, TIE_HOSTS, 0},
	/*
	 * An AnyConnect/ocserv DTLS channel is opened with keys handed out in
	 * its TLS channel (CSTP) to the same server address and port; TLS 1.3
	 * shows nothing AnyConnect-specific, the DTLS channel does.
	 */
	{"openconnect-dtls+tls", "tie:openconnect-dtls+tls", "openconnect", IPPROTO_UDP, TIE_CHILD_TLS, NULL, IPPROTO_TCP,
	 TIE_SERVER_PORT, 1},
	/*
	 * tinc sends its encrypted data over UDP between the same nodes, from
	 * and to their tinc ports: the meta connection's server port is the UDP
	 * flow's port on that node.
	 */
	{"tinc-meta+udp", "tie:tinc-meta+udp", "tinc", IPPROTO_TCP, TIE_CHILD_UDP, NULL, IPPROTO_UDP, TIE_PORT_AT_SERVER, 1},
	/*
	 * SoftEther's client runs its session over TLS (nothing SoftEther-specific
	 * in clear) and, to the same server, a UDP transport decided on its own
	 * bytes (VPN over DNS, never from port 53; UDP acceleration, whose ports
	 * the TLS session hands out): TLS flows between those two hosts belong
	 * to that client's session.
	 */
	{"softether-udp+tls", "tie:softether-udp+tls", "softether", IPPROTO_UDP, TIE_CHILD_TLS, NULL, IPPROTO_TCP, TIE_HOSTS, 1},
};
const unsigned int tie_n_rules = sizeof(tie_rules) / sizeof(tie_rules[0]);

#define TIE_MAX_RULES 32

/* Classifier ids of each rule's apps, resolved once (0: not in this build). */
static uint8_t parent_id[TIE_MAX_RULES], child_id[TIE_MAX_RULES];
static int ids_ready;

static void resolve_ids(void)
{
	if (ids_ready)
		return;
	for (unsigned int r = 0; r < tie_n_rules && r < TIE_MAX_RULES; r++) {
		int p = classifier_id_by_name(tie_rules[r].parent);
		int c = tie_rules[r].child ? classifier_id_by_name(tie_rules[r].child) : 0;
		parent_id[r] = p > 0 ? (uint8_t)p : 0;
		child_id[r] = c > 0 ? (uint8_t)c : 0;
	}
	ids_ready = 1;
}

static bool parent_ok(unsigned int r, const struct tie_flow *s)
{
	const struct tie_rule *rule = &tie_rules[r];
	return parent_id[r] != 0 && s->phase == FLOW_DECIDED && s->app == parent_id[r] &&
	       (rule->parent_proto == 0 || s->key.proto == rule->parent_proto);
}

static bool child_ok(unsigned int r, const struct tie_flow *s)
{
	const struct tie_rule *rule = &tie_rules[r];
	if (rule->child_proto != 0 && s->key.proto != rule->child_proto)
		return false;
	switch (rule->child_kind) {
	case TIE_CHILD_APP:
		return child_id[r] != 0 && s->phase == FLOW_DECIDED && s->app == child_id[r];
	case TIE_CHILD_TLS:
		return s->phase != FLOW_DECIDED && s->key.proto == IPPROTO_TCP && s->tls;
	case TIE_CHILD_UDP:
		return s->phase != FLOW_DECIDED && s->key.proto == IPPROTO_UDP;
	default:
		return false;
	}
}

/* Rules in which s can be a parent (bit r) and a child. */
static void roles(const struct tie_flow *s, uint32_t *pm, uint32_t *cm)
{
	resolve_ids();
	*pm = *cm = 0;
	for (unsigned int r = 0; r < tie_n_rules && r < TIE_MAX_RULES; r++) {
		if (parent_ok(r, s))
			*pm |= 1u << r;
		if (child_ok(r, s))
			*cm |= 1u << r;
	}
}

bool tie_flow_of(const struct flow_record *f, struct tie_flow *s)
{
	memset(s, 0, sizeof(*s));
	s->key = f->key;
	s->ts_first = f->ts_first;
	s->ts_last = f->ts_last;
	s->bytes[0] = f->bytes[0];
	s->bytes[1] = f->bytes[1];
	s->pkts[0] = f->pkts[0];
	s->pkts[1] = f->pkts[1];
	s->check = f->check;
	s->pattern = f->pattern;
	s->decided_at_pkt = f->decided_at_pkt;
	s->client_is_lo = f->client_is_lo;
	s->app = f->app;
	s->phase = f->phase;
	s->result = f->result;
	s->verdict = f->verdict;
	s->drop = f->drop;
	/* JA4's first letter: t = TLS over TCP (q = QUIC, d = DTLS). */
	s->tls = f->facts.ja4[0] == 't';
	s->end = f->end;
	s->tcp_fin = f->tcp_fin;
	uint32_t pm, cm;
	roles(s, &pm, &cm);
	return (pm | cm) != 0;
}

void tie_flow_record(const struct tie_flow *s, struct flow_record *f)
{
	memset(f, 0, sizeof(*f));
	f->key = s->key;
	f->client_is_lo = s->client_is_lo;
	f->phase = s->phase;
	f->verdict = s->verdict;
	f->drop = s->drop;
	f->app = s->app;
	f->tcp_fin = s->tcp_fin;
	f->end = s->end;
	f->ts_first = s->ts_first;
	f->ts_last = s->ts_last;
	f->pkts[0] = s->pkts[0];
	f->pkts[1] = s->pkts[1];
	f->bytes[0] = s->bytes[0];
	f->bytes[1] = s->bytes[1];
	f->decided_at_pkt = s->decided_at_pkt;
	f->result = s->result;
	f->pattern = s->pattern;
	f->check = s->check;
}

void tie_relabel(struct flow_record *f, const struct tie_link *l)
{
	if (l->rule == 0 || !l->relabel || l->rule > tie_n_rules)
		return;
	f->app = l->peer.app;
	f->phase = FLOW_DECIDED;
	f->result = CLS_LIKELY;
	f->check = tie_rules[l->rule - 1].check;
	f->pattern = 0;
	f->decided_at_pkt = 0;
}

/* ---- matching, shared by both modes ---- */

static bool same_hosts(const struct flow_key *a, const struct flow_key *b)
{
	return a->ip_version == b->ip_version && a->zone == b->zone && memcmp(a->addr_lo, b->addr_lo, 16) == 0 &&
	       memcmp(a->addr_hi, b->addr_hi, 16) == 0;
}

static const uint8_t *server_addr(const struct tie_flow *s)
{
	return s->client_is_lo ? s->key.addr_hi : s->key.addr_lo;
}

static uint16_t server_port(const struct tie_flow *s)
{
	return s->client_is_lo ? s->key.port_hi : s->key.port_lo;
}

static bool placed(unsigned int r, const struct tie_flow *p, const struct tie_flow *c)
{
	if (!same_hosts(&p->key, &c->key))
		return false;
	const uint8_t *srv = server_addr(p);
	switch (tie_rules[r].match) {
	case TIE_HOSTS:
		return true;
	case TIE_SERVER_PORT:
		return memcmp(server_addr(c), srv, 16) == 0 && server_port(c) == server_port(p);
	case TIE_PORT_AT_SERVER:
		/* Either side may sit on the server's address when both addresses are one host. */
		return (memcmp(c->key.addr_lo, srv, 16) == 0 && c->key.port_lo == server_port(p)) ||
		       (memcmp(c->key.addr_hi, srv, 16) == 0 && c->key.port_hi == server_port(p));
	default:
		return false;
	}
}

/* Total order on flows: first packet, then key. */
static int flow_order(const struct tie_flow *a, const struct tie_flow *b)
{
	if (a->ts_first != b->ts_first)
		return a->ts_first < b->ts_first ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/* Is parent a a better match for child c than parent b? */
static bool better_parent(const struct tie_flow *c, const struct tie_flow *a, const struct tie_flow *b)
{
	bool a_before = a->ts_first <= c->ts_first, b_before = b->ts_first <= c->ts_first;
	if (a_before != b_before)
		return a_before;
	if (a->ts_first != b->ts_first)
		return a_before ? a->ts_first > b->ts_first : a->ts_first < b->ts_first;
	return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

static void peer_of(const struct tie_flow *s, struct tie_peer *p)
{
	p->key = s->key;
	p->ts_first = s->ts_first;
	p->client_is_lo = s->client_is_lo;
	p->app = s->app;
}

/* Records the tie of child c (its link cl) to parent p (link pl) under rule r. */
static void link_pair(unsigned int r, const struct tie_flow *p, struct tie_link *pl, const struct tie_flow *c,
		      struct tie_link *cl)
{
	cl->rule = (uint8_t)(r + 1);
	cl->relabel = tie_rules[r].relabel;
	cl->is_child = 1;
	cl->n = 1;
	peer_of(p, &cl->peer);
	/* A parent names its earliest child; n counts them all. */
	struct tie_flow named = {.key = pl->peer.key, .ts_first = pl->peer.ts_first};
	if (pl->n == 0 || flow_order(c, &named) < 0) {
		pl->rule = (uint8_t)(r + 1);
		peer_of(c, &pl->peer);
		if (tie_rules[r].relabel)
			pl->peer.app = p->app; /* the child is reported with the parent's label */
	}
	pl->relabel = 0;
	pl->is_child = 0;
	pl->n++;
}

/* ---- offline ---- */

struct tie_rec {
	struct tie_flow s;
	uint64_t alive_to;
	uint32_t pm, cm;
	size_t i;                  /* index into recs */
};

static uint64_t idle_timeout(const struct tie_flow *s, const struct tie_timeouts *to)
{
	switch (s->key.proto) {
	case IPPROTO_TCP:
		return s->tcp_fin ? to->tcp_fin_ns : s->pkts[CLS_S2C] == 0 ? to->tcp_syn_ns : to->tcp_ns;
	case IPPROTO_UDP:
		return to->udp_ns;
	default:
		return to->other_ns;
	}
}

static int host_pair_cmp(const struct flow_key *a, const struct flow_key *b)
{
	int c = memcmp(a->addr_lo, b->addr_lo, 16);
	if (c == 0)
		c = memcmp(a->addr_hi, b->addr_hi, 16);
	if (c == 0)
		c = (int)a->ip_version - (int)b->ip_version;
	if (c == 0)
		c = (int)a->zone - (int)b->zone;
	return c;
}

static int tie_rec_cmp(const void *x, const void *y)
{
	const struct tie_rec *a = x, *b = y;
	int c = host_pair_cmp(&a->s.key, &b->s.key);
	return c ? c : flow_order(&a->s, &b->s);
}

long tie_all(const struct flow_record *recs, size_t n, const struct tie_timeouts *to, struct tie_link *links)
{
	memset(links, 0, n * sizeof(*links));
	struct tie_rec *v = malloc((n ? n : 1) * sizeof(*v));
	size_t *parents = malloc((n ? n : 1) * sizeof(*parents));
	if (v == NULL || parents == NULL) {
		free(v);
		free(parents);
		return -1;
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct tie_rec *t = &v[m];
		if (!tie_flow_of(&recs[i], &t->s))
			continue;
		roles(&t->s, &t->pm, &t->cm);
		t->i = i;
		/*
		 * A flow idle past its timeout is dead even when the table's
		 * bounded scan has not reached it yet (it would be started anew on
		 * its next packet), so the end of input does not keep it alive.
		 */
		if (t->s.end == FLOW_END_EVICTED)
			t->alive_to = t->s.ts_last;
		else {
			uint64_t d = idle_timeout(&t->s, to);
			t->alive_to = t->s.ts_last > UINT64_MAX - d ? UINT64_MAX : t->s.ts_last + d;
		}
		m++;
	}
	/* Canonical order: the result cannot depend on the order records came in. */
	qsort(v, m, sizeof(*v), tie_rec_cmp);
	long ties = 0;
	for (size_t g = 0; g < m;) {
		size_t end = g + 1;
		while (end < m && host_pair_cmp(&v[g].s.key, &v[end].s.key) == 0)
			end++;
		size_t np = 0;
		for (size_t k = g; k < end; k++)
			if (v[k].pm)
				parents[np++] = k;
		for (size_t k = g; k < end && np; k++) {
			struct tie_rec *c = &v[k];
			if (!c->cm)
				continue;
			for (unsigned int r = 0; r < tie_n_rules && r < TIE_MAX_RULES; r++) {
				if (!(c->cm & (1u << r)))
					continue;
				struct tie_rec *best = NULL;
				for (size_t j = 0; j < np; j++) {
					struct tie_rec *p = &v[parents[j]];
					if (!(p->pm & (1u << r)) || !placed(r, &p->s, &c->s))
						continue;
					/* Both alive at once. */
					if (c->s.ts_first > p->alive_to || p->s.ts_first > c->alive_to)
						continue;
					if (best == NULL || better_parent(&c->s, &p->s, &best->s))
						best = p;
				}
				if (best) {
					link_pair(r, &best->s, &links[best->i], &c->s, &links[c->i]);
					ties++;
					break;
				}
			}
		}
		g = end;
	}
	free(v);
	free(parents);
	return ties;
}

/* ---- live ---- */

#define NIL 0u                 /* indexes below are index + 1; 0 = none */
enum { LIST_UNDECIDED = 0, LIST_DECIDED = 1 };

struct tie_entry {
	struct tie_flow s;
	struct tie_link link;
	uint32_t pm, cm;
	uint32_t hnext;            /* next in its bucket, or in the free list */
	uint32_t prev, next;       /* its age list: oldest at head */
	uint8_t list;
	uint8_t used;
};

struct tie_table {
	uint32_t cap, n, mask;
	uint32_t *bucket;
	struct tie_entry *e;
	uint32_t free_head;
	uint32_t head[2], tail[2];
	struct tie_stats st;
};

static uint32_t host_pair_hash(const struct flow_key *k)
{
	uint32_t h = 2166136261u;
	for (unsigned int i = 0; i < 16; i++)
		h = (h ^ k->addr_lo[i]) * 16777619u;
	for (unsigned int i = 0; i < 16; i++)
		h = (h ^ k->addr_hi[i]) * 16777619u;
	h = (h ^ k->ip_version) * 16777619u;
	h = (h ^ (k->zone & 0xff)) * 16777619u;
	h = (h ^ (k->zone >> 8)) * 16777619u;
	return h ^ (h >> 15);
}

struct tie_table *tie_table_create(uint32_t capacity)
{
	if (capacity < 4 || capacity > (1u << 28))
		return NULL;
	struct tie_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	uint32_t nb = 1;
	while (nb < capacity)
		nb <<= 1;
	t->cap = capacity;
	t->mask = nb - 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	t->e = calloc(capacity, sizeof(*t->e));
	if (t->bucket == NULL || t->e == NULL) {
		tie_table_free(t);
		return NULL;
	}
	for (uint32_t i = 0; i < capacity; i++)
		t->e[i].hnext = i + 2 <= capacity ? i + 2 : NIL;
	t->free_head = 1;
	return t;
}

void tie_table_free(struct tie_table *t)
{
	if (t == NULL)
		return;
	free(t->bucket);
	free(t->e);
	free(t);
}

static struct tie_entry *at(struct tie_table *t, uint32_t idx)
{
	return idx == NIL ? NULL : &t->e[idx - 1];
}

static uint32_t find(struct tie_table *t, const struct flow_key *key, uint64_t ts_first)
{
	for (uint32_t i = t->bucket[host_pair_hash(key) & t->mask]; i != NIL; i = t->e[i - 1].hnext) {
		const struct tie_entry *x = &t->e[i - 1];
		if (x->s.ts_first == ts_first && memcmp(&x->s.key, key, sizeof(*key)) == 0)
			return i;
	}
	return NIL;
}

static void remove_entry(struct tie_table *t, uint32_t idx)
{
	struct tie_entry *x = at(t, idx);
	uint32_t *pp = &t->bucket[host_pair_hash(&x->s.key) & t->mask];
	while (*pp != idx)
		pp = &t->e[*pp - 1].hnext;
	*pp = x->hnext;
	if (x->prev)
		at(t, x->prev)->next = x->next;
	else
		t->head[x->list] = x->next;
	if (x->next)
		at(t, x->next)->prev = x->prev;
	else
		t->tail[x->list] = x->prev;
	memset(x, 0, sizeof(*x));
	x->hnext = t->free_head;
	t->free_head = idx;
	t->n--;
}

static uint32_t insert(struct tie_table *t, const struct tie_flow *s, uint32_t pm, uint32_t cm)
{
	if (t->n == t->cap) {
		/* Room: the oldest undecided flow goes first, VPN flows only when none is left. */
		uint32_t victim = t->head[LIST_UNDECIDED] ? t->head[LIST_UNDECIDED] : t->head[LIST_DECIDED];
		remove_entry(t, victim);
		t->st.evicted++;
	}
	uint32_t idx = t->free_head;
	struct tie_entry *x = at(t, idx);
	t->free_head = x->hnext;
	memset(x, 0, sizeof(*x));
	x->s = *s;
	x->pm = pm;
	x->cm = cm;
	x->used = 1;
	x->list = s->phase == FLOW_DECIDED ? LIST_DECIDED : LIST_UNDECIDED;
	uint32_t *b = &t->bucket[host_pair_hash(&s->key) & t->mask];
	x->hnext = *b;
	*b = idx;
	x->prev = t->tail[x->list];
	if (x->prev)
		at(t, x->prev)->next = idx;
	else
		t->head[x->list] = idx;
	t->tail[x->list] = idx;
	t->n++;
	return idx;
}

static void made(struct tie_table *t, unsigned int r, struct tie_entry *p, struct tie_entry *c, tie_event_fn fn,
		 void *arg)
{
	link_pair(r, &p->s, &p->link, &c->s, &c->link);
	t->st.ties++;
	t->st.relabels += tie_rules[r].relabel;
	if (fn) {
		struct tie_event ev = {
			.child = &c->s,
			.parent = &p->s,
			.link = &c->link,
			.ts = c->s.ts_last > p->s.ts_last ? c->s.ts_last : p->s.ts_last,
		};
		fn(arg, &ev);
	}
}

unsigned int tie_note(struct tie_table *t, const struct flow_record *f, tie_event_fn fn, void *arg)
{
	struct tie_flow s;
	if (!tie_flow_of(f, &s) || find(t, &s.key, s.ts_first) != NIL)
		return 0;
	uint32_t pm, cm;
	roles(&s, &pm, &cm);
	uint32_t idx = insert(t, &s, pm, cm);
	struct tie_entry *x = at(t, idx);
	uint32_t head = t->bucket[host_pair_hash(&s.key) & t->mask];
	unsigned int ties = 0;
	/* As a child: the best parent the table holds, under the first rule that has one. */
	for (unsigned int r = 0; cm && r < tie_n_rules && r < TIE_MAX_RULES; r++) {
		if (!(cm & (1u << r)))
			continue;
		struct tie_entry *best = NULL;
		for (uint32_t i = head; i != NIL; i = t->e[i - 1].hnext) {
			struct tie_entry *p = &t->e[i - 1];
			if (p == x || !(p->pm & (1u << r)) || !placed(r, &p->s, &s))
				continue;
			if (best == NULL || better_parent(&s, &p->s, &best->s))
				best = p;
		}
		if (best) {
			made(t, r, best, x, fn, arg);
			ties++;
			break;
		}
	}
	/*
	 * As a parent: every untied child it fits. An untied child found no
	 * parent when it came, so this one is the only candidate it has.
	 */
	for (uint32_t i = head; pm && i != NIL; i = t->e[i - 1].hnext) {
		struct tie_entry *c = &t->e[i - 1];
		if (c == x || !c->cm || c->link.rule != 0)
			continue;
		for (unsigned int r = 0; r < tie_n_rules && r < TIE_MAX_RULES; r++)
			if ((c->cm & pm & (1u << r)) && placed(r, &s, &c->s)) {
				made(t, r, x, c, fn, arg);
				ties++;
				break;
			}
	}
	return ties;
}

bool tie_end(struct tie_table *t, const struct flow_record *f, struct tie_link *link, tie_event_fn fn, void *arg)
{
	memset(link, 0, sizeof(*link));
	uint32_t idx = find(t, &f->key, f->ts_first);
	if (idx == NIL) {
		tie_note(t, f, fn, arg);
		idx = find(t, &f->key, f->ts_first);
		if (idx == NIL)
			return false;
	}
	*link = at(t, idx)->link;
	remove_entry(t, idx);
	return link->rule != 0;
}

void tie_table_stats(const struct tie_table *t, struct tie_stats *st)
{
	*st = t->st;
	st->kept = t->n;
}
