/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: a bucketised cuckoo hash over per-worker slot arrays.
 *
 * Why not rte_hash (measured in bench/, docs/bench.md): rte_hash keeps its
 * own copy of every key beside its buckets, so a lookup reads the bucket,
 * then the key store, then the flow: three cache misses, and 76 bytes per
 * flow before the flow itself. Here the key lives only in the flow's hot
 * line, and a bucket is one cache line of eight (16-bit signature, 32-bit
 * slot) pairs, so a hit is two lines: the bucket and the flow it names.
 *
 *   bucket b1 = hash & mask, b2 = b1 ^ alt(sig); a flow sits in one of them.
 *   A full pair of buckets moves an entry to its other bucket (cuckoo),
 *   a few steps deep; the buckets are sized for at most ~80 % load, so the
 *   slot arrays fill long before the buckets refuse.
 *
 * Slots are 1-based (0 = none): hot[slot] (one line), cold[slot]. A free
 * slot has key.ip_version 0 and links the free list through ts_last.
 */
#include "flow.h"
#include "ipproto.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif
#endif

/*
 * Flows sampled when the table is full; the least valuable, then least
 * recently seen, goes. The sample grows (up to EVICT_SCAN_MAX) until it
 * holds an unjudged flow, so judged ones, VPN flows above all, are given up
 * only when nothing cheaper is near.
 */
#define EVICT_SAMPLE 8
#define EVICT_SCAN_MAX 64
/* Cuckoo moves tried before an insert gives up on a bucket pair. */
#define CUCKOO_DEPTH 8
/* Slots the paced scan visits at most per call: bounds one poll's extra work. */
#define AGE_MAX_PER_CALL 1024

_Static_assert(sizeof(struct flow_key) == 40, "keys compare as five 8-byte words");
_Static_assert(offsetof(struct flow_key, proto) == 39, "zone and ip_version fill the key's last word with proto");

struct flow_table {
	struct flow_table_layout l; /* first: flow.h's inline accessors read it */
	uint32_t n_slots;
	uint32_t free_head;         /* free slot list, 0 = empty */
	uint32_t cursor;            /* idle scan position */
	uint32_t evict_cursor;
	uint32_t rng;               /* cuckoo victim choice */
	struct flow_table_config cfg;
	uint32_t to_udp, to_tcp, to_syn, to_fin, to_other, to_window; /* timeouts in ticks */
	struct flow_table_hooks hooks;
	struct worker_stats *ctr;
	uint64_t removals;          /* flows removed so far: lets a burst tell its bulk hits went stale */
	/*
	 * Eviction spares flows seen at or after this tick: within a burst,
	 * the flows its earlier packets touched, which later stages still use.
	 */
	uint32_t spare_from;
	uint8_t sparing;
	uint64_t sweep_ns;          /* the idle scan covers the table once per this much time */
	uint64_t age_last;          /* time up to which the scan is paid for */
	uint64_t now;               /* newest time the table was told (ns) */
};

static inline uint32_t bucket_of(const struct flow_table *t, uint64_t hash)
{
	return (uint32_t)hash & t->l.bucket_mask;
}

static inline uint16_t sig_of(uint64_t hash)
{
	return (uint16_t)(hash >> 48);
}

/* The other bucket of an entry: an involution, so either bucket finds the other. */
static inline uint32_t alt_bucket(const struct flow_table *t, uint32_t b, uint16_t sig)
{
	return (b ^ ((uint32_t)sig * 0x9e3779b1u | 1u)) & t->l.bucket_mask;
}

static inline bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t x[5], y[5];
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* Entries of bucket bk whose signature is sig, one bit each. */
static inline uint32_t sig_matches(const struct ft_bucket *bk, uint16_t sig)
{
#if defined(__SSE2__)
	__m128i v = _mm_load_si128((const __m128i *)(const void *)bk->sig);
	uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig)));
	/* Two mask bits per 16-bit lane: keep one. */
	m &= 0x5555;
	m = (m | (m >> 1)) & 0x3333;
	m = (m | (m >> 2)) & 0x0f0f;
	m = (m | (m >> 4)) & 0x00ff;
	return m;
#else
	uint32_t m = 0;
	for (unsigned int i = 0; i < BUCKET_ENTRIES; i++)
		m |= (uint32_t)(bk->sig[i] == sig) << i;
	return m;
#endif
}

/* The slot holding key in bucket b, 0 when none. */
static inline uint32_t bucket_find(const struct flow_table *t, uint32_t b, uint16_t sig, const struct flow_key *key)
{
	const struct ft_bucket *bk = &t->l.buckets[b];
	for (uint32_t m = sig_matches(bk, sig); m; m &= m - 1) {
		uint32_t s = bk->slot[__builtin_ctz(m)];
		if (s != 0 && key_eq(&t->l.hot[s].key, key))
			return s;
	}
	return 0;
}

static uint32_t table_find(const struct flow_table *t, const struct flow_key *key, uint64_t hash)
{
	uint32_t b1 = bucket_of(t, hash);
	uint16_t sig = sig_of(hash);
	uint32_t s = bucket_find(t, b1, sig, key);
	return s ? s : bucket_find(t, alt_bucket(t, b1, sig), sig, key);
}

static inline int bucket_free_entry(const struct ft_bucket *bk)
{
	for (int i = 0; i < BUCKET_ENTRIES; i++)
		if (bk->slot[i] == 0)
			return i;
	return -1;
}

/*
 * Places (sig, slot) in bucket b or b2, moving other entries to their other
 * bucket when both are full (a random walk a few steps deep). False when no
 * room was found: then *lost is an entry the walk carried and could not
 * place (it may be the new one), with the two buckets it may live in.
 */
struct ft_entry {
	uint16_t sig;
	uint32_t slot;
	uint32_t b, b2;
};

static bool bucket_insert(struct flow_table *t, uint32_t b, uint32_t b2, uint16_t sig, uint32_t slot,
			  struct ft_entry *lost)
{
	for (unsigned int depth = 0;; depth++) {
		int e = bucket_free_entry(&t->l.buckets[b]);
		if (e < 0 && (e = bucket_free_entry(&t->l.buckets[b2])) >= 0)
			b = b2;
		if (e >= 0) {
			t->l.buckets[b].sig[e] = sig;
			t->l.buckets[b].slot[e] = slot;
			return true;
		}
		if (depth == CUCKOO_DEPTH) {
			*lost = (struct ft_entry){sig, slot, b, b2};
			return false;
		}
		/* Both full: put ours in place of a random entry of one of them and carry that one on. */
		t->rng = t->rng * 1103515245u + 12345u;
		unsigned int v = (t->rng >> 16) % BUCKET_ENTRIES;
		uint32_t into = (t->rng & 0x8000) ? b2 : b;
		struct ft_bucket *bk = &t->l.buckets[into];
		uint16_t vsig = bk->sig[v];
		uint32_t vslot = bk->slot[v];
		bk->sig[v] = sig;
		bk->slot[v] = slot;
		sig = vsig;
		slot = vslot;
		/* The carried entry's other home first (its own is full now). */
		b = alt_bucket(t, into, sig);
		b2 = into;
	}
}

static bool bucket_remove(struct flow_table *t, const struct flow_key *key, uint64_t hash, uint32_t slot)
{
	uint32_t b1 = bucket_of(t, hash);
	uint16_t sig = sig_of(hash);
	uint32_t bs[2] = {b1, alt_bucket(t, b1, sig)};
	for (unsigned int k = 0; k < 2; k++) {
		struct ft_bucket *bk = &t->l.buckets[bs[k]];
		for (unsigned int i = 0; i < BUCKET_ENTRIES; i++)
			if (bk->slot[i] == slot) {
				bk->slot[i] = 0;
				bk->sig[i] = 0;
				return true;
			}
	}
	(void)key;
	return false;
}

/* ---- keys ---- */

_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "flow_key_make lays the key's last word out little-endian");

#ifdef __SSE4_2__
#define KEY_CRC(w, h) ((uint32_t)_mm_crc32_u64((h), (w)))
#else
#define KEY_CRC(w, h) rte_hash_crc_8byte((w), (h))
#endif

/* Two CRC32C of the key's words: independent chains, so they cost about one. */
static inline uint64_t words_hash(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4)
{
	uint32_t a = KEY_CRC(w0, 0), b = KEY_CRC(w0, 0x9747b28cu);
	a = KEY_CRC(w1, a), b = KEY_CRC(w1, b);
	a = KEY_CRC(w2, a), b = KEY_CRC(w2, b);
	a = KEY_CRC(w3, a), b = KEY_CRC(w3, b);
	a = KEY_CRC(w4, a), b = KEY_CRC(w4, b);
	return (uint64_t)b << 32 | a;
}

static inline uint64_t key_hash(const struct flow_key *k)
{
	uint64_t w[5];
	memcpy(w, k, sizeof(w));
	return words_hash(w[0], w[1], w[2], w[3], w[4]);
}

/* The key's last word: ports, then zone (21 bits), IP version (3) and protocol, as struct flow_key has them. */
static inline uint64_t key_tail(uint16_t port_lo, uint16_t port_hi, const struct pkt_info *pi)
{
	return (uint64_t)port_lo | (uint64_t)port_hi << 16 | (uint64_t)(pi->zone & ((1u << PARSE_ZONE_BITS) - 1)) << 32 |
	       (uint64_t)(pi->ip_version & 7u) << (32 + PARSE_ZONE_BITS) | (uint64_t)pi->l4_proto << 56;
}

static inline void key_store(struct flow_key *key, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3, uint64_t w4)
{
	uint8_t *k = (uint8_t *)key;
	memcpy(k, &w0, 8);
	memcpy(k + 8, &w1, 8);
	memcpy(k + 16, &w2, 8);
	memcpy(k + 24, &w3, 8);
	memcpy(k + 32, &w4, 8);
}

/*
 * Endpoints are ordered as memcmp orders (address, port) in network byte
 * order, so both directions make one key: for IPv4 one 64-bit compare of
 * address and port, for IPv6 the address's two words, then the port. The
 * words stay in registers from the packet's fields to the key and its hash:
 * the parser has just written those fields (an IPv4 address as one 4-byte
 * store beside the zeroes of its clear), and reading them back wider, or
 * a stack copy of the words wider than they were written, would stall on
 * store forwarding several times per packet.
 */
uint64_t flow_key_make(const struct pkt_info *pi, struct flow_key *key, bool *src_is_lo)
{
	uint64_t w0, w1, w2, w3, w4;
	bool lo;
	if (likely(pi->ip_version == 4)) {
		uint32_t s, d;
		memcpy(&s, pi->src, 4);
		memcpy(&d, pi->dst, 4);
		uint64_t so = (uint64_t)rte_be_to_cpu_32(s) << 16 | pi->src_port;
		uint64_t dord = (uint64_t)rte_be_to_cpu_32(d) << 16 | pi->dst_port;
		lo = so <= dord;
		w0 = lo ? s : d;
		w1 = 0;
		w2 = lo ? d : s;
		w3 = 0;
	} else {
		uint64_t s0, s1, d0, d1;
		memcpy(&s0, pi->src, 8);
		memcpy(&s1, pi->src + 8, 8);
		memcpy(&d0, pi->dst, 8);
		memcpy(&d1, pi->dst + 8, 8);
		uint64_t a = rte_be_to_cpu_64(s0), b = rte_be_to_cpu_64(d0);
		if (a == b) {
			a = rte_be_to_cpu_64(s1);
			b = rte_be_to_cpu_64(d1);
		}
		lo = a < b || (a == b && pi->src_port <= pi->dst_port);
		w0 = lo ? s0 : d0;
		w1 = lo ? s1 : d1;
		w2 = lo ? d0 : s0;
		w3 = lo ? d1 : s1;
	}
	w4 = lo ? key_tail(pi->src_port, pi->dst_port, pi) : key_tail(pi->dst_port, pi->src_port, pi);
	key_store(key, w0, w1, w2, w3, w4);
	*src_is_lo = lo;
	return words_hash(w0, w1, w2, w3, w4);
}

unsigned int flow_worker_of(struct rte_mbuf *m, unsigned int n, uint8_t *linear)
{
	if (n == 1)
		return 0;
	/* The same view of the frame the worker will have, chained or not. */
	uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)FLOW_LINEAR_MAX);
	const uint8_t *data = rte_pktmbuf_read(m, 0, len, linear);
	struct pkt_info pi;
	enum parse_result r = parse_packet(data, len, &pi);
	if (r != PARSE_OK && r != PARSE_FRAGMENT)
		return 0;
	/*
	 * Addresses and zone only, for every packet (flow.h). A tunnel whose
	 * outer header is fragmented is the exception no distributor can
	 * cover: its later fragments show only the outer addresses, so the
	 * datagram is classified where they land (docs/architecture.md).
	 */
	pi.src_port = pi.dst_port = 0;
	pi.l4_proto = 0;
	struct flow_key k;
	bool lo;
	return (uint32_t)(flow_key_make(&pi, &k, &lo) >> 8) % n;
}

/* ---- the table ---- */

/* Bytes allocated from DPDK's heaps on every socket. */
static uint64_t heap_allocated(void)
{
	uint64_t sum = 0;
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		struct rte_malloc_socket_stats st;
		if (rte_malloc_get_socket_stats((int)s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	}
	return sum;
}

static uint32_t ticks_of(uint64_t ns)
{
	uint64_t t = ns >> FLOW_TICK_SHIFT;
	return t > INT32_MAX ? INT32_MAX : (uint32_t)t;
}

struct flow_table *flow_table_create(const char *name, int socket, const struct flow_table_config *cfg,
				     const struct flow_table_hooks *hooks, struct worker_stats *ctr)
{
	(void)name;
	if (cfg->capacity == 0 || cfg->capacity > (1u << 30))
		return NULL;
	/* What the table really costs (buckets, hot and cold lines), for the memory-per-flow figure. */
	uint64_t heap0 = heap_allocated();
	struct flow_table *t = rte_zmalloc_socket("flow_table", sizeof(*t), 64, socket);
	if (t == NULL)
		return NULL;
	/* Buckets for the slots at <= 80 % load, a power of two. */
	uint64_t want = ((uint64_t)cfg->capacity * 5 / 4 + BUCKET_ENTRIES - 1) / BUCKET_ENTRIES;
	uint32_t nb = 2;
	while (nb < want)
		nb <<= 1;
	t->l.bucket_mask = nb - 1;
	t->n_slots = cfg->capacity;
	t->l.buckets = rte_zmalloc_socket("flow_buckets", (size_t)nb * sizeof(struct ft_bucket), 64, socket);
	t->l.hot = rte_zmalloc_socket("flow_hot", ((size_t)t->n_slots + 1) * sizeof(struct flow), 64, socket);
	t->l.cold = rte_zmalloc_socket("flow_cold", ((size_t)t->n_slots + 1) * sizeof(struct flow_cold), 64, socket);
	if (t->l.buckets == NULL || t->l.hot == NULL || t->l.cold == NULL) {
		flow_table_free(t);
		return NULL;
	}
	for (uint32_t s = t->n_slots; s >= 1; s--) {
		t->l.hot[s].ts_last = t->free_head;
		t->free_head = s;
	}
	t->cfg = *cfg;
	t->to_udp = ticks_of(cfg->udp_timeout_ns);
	t->to_tcp = ticks_of(cfg->tcp_timeout_ns);
	t->to_syn = ticks_of(cfg->tcp_syn_timeout_ns);
	t->to_fin = ticks_of(cfg->tcp_closed_timeout_ns);
	t->to_other = ticks_of(cfg->other_timeout_ns);
	t->rng = 0x2545f491u ^ cfg->capacity;
	t->cursor = 1;
	t->evict_cursor = 1;
	/*
	 * A quarter of the shortest timeout: an idle flow leaves at most that
	 * late, and an idle table costs next to nothing to watch.
	 */
	uint64_t shortest = cfg->udp_timeout_ns;
	const uint64_t others[] = {cfg->tcp_timeout_ns, cfg->tcp_syn_timeout_ns, cfg->tcp_closed_timeout_ns,
				   cfg->other_timeout_ns};
	for (unsigned int i = 0; i < RTE_DIM(others); i++)
		if (others[i] != 0 && (shortest == 0 || others[i] < shortest))
			shortest = others[i];
	t->sweep_ns = RTE_MAX(shortest / 4, (uint64_t)1000000);
	t->to_window = ticks_of(cfg->window_idle_ns);
	t->hooks = *hooks;
	t->ctr = ctr;
	ctr->flow_slots = t->n_slots;
	ctr->flow_mem_bytes = heap_allocated() - heap0;
	return t;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->l.buckets);
	rte_free(t->l.hot);
	rte_free(t->l.cold);
	rte_free(t);
}

uint32_t flow_table_slots(const struct flow_table *t)
{
	return t->n_slots;
}

/* Past 7/8 full the table ages everything 8x faster, so new flows find room without eviction. */
static inline bool table_crowded(const struct flow_table *t)
{
	return t->ctr->flows_active * 8 > (uint64_t)t->n_slots * 7;
}

static inline uint32_t flow_timeout(const struct flow_table *t, const struct flow *f)
{
	uint32_t to;
	switch (f->key.proto) {
	case IPPROTO_TCP:
		to = f->tcp_fin ? t->to_fin : f->pkts[CLS_S2C] == 0 ? t->to_syn : t->to_tcp;
		break;
	case IPPROTO_UDP:
		to = t->to_udp;
		break;
	default:
		to = t->to_other;
	}
	return table_crowded(t) ? to / 8 : to;
}

static inline bool idle_past(const struct flow_table *t, const struct flow *f, uint32_t now_tick)
{
	int32_t idle = (int32_t)(now_tick - f->ts_last);
	return idle > 0 && (uint32_t)idle > flow_timeout(t, f);
}

/*
 * An inspecting flow holding an inspection slot whose last packet is older
 * than the window's idle limit. Checked on touch, by the scan and at the
 * flush alike, so the window closes on the gap alone, whichever sees it.
 */
static inline bool window_idle(const struct flow_table *t, const struct flow *f, uint32_t now_tick)
{
	return t->to_window != 0 && f->phase == FLOW_INSPECTING && f->aux != 0 &&
	       (int32_t)(now_tick - f->ts_last) > (int32_t)t->to_window && t->hooks.window_fn != NULL;
}

uint64_t flow_last_ns(const struct flow *f, uint64_t now)
{
	/* now's tick minus how far behind the flow's tick is (the clock wraps, the difference does not). */
	uint64_t now_tick = now >> FLOW_TICK_SHIFT;
	uint32_t behind = (uint32_t)now_tick - f->ts_last;
	if ((int32_t)behind < 0)
		behind = 0;
	return (now_tick - behind) << FLOW_TICK_SHIFT;
}

void flow_swap_sides(struct flow *f, struct flow_cold *c)
{
	f->client_is_lo ^= 1;
	uint32_t p = f->pkts[0], b = f->bytes[0];
	f->pkts[0] = f->pkts[1], f->pkts[1] = p;
	f->bytes[0] = f->bytes[1], f->bytes[1] = b;
	uint8_t ph = c->pkts_hi[0];
	c->pkts_hi[0] = c->pkts_hi[1], c->pkts_hi[1] = ph;
	uint16_t bh = c->bytes_hi[0];
	c->bytes_hi[0] = c->bytes_hi[1], c->bytes_hi[1] = bh;
}

/* What losing a flow costs: an unjudged flow least, a VPN flow most (its verdict is what the table is for). */
static inline unsigned int evict_class(const struct flow *f)
{
	if (f->phase == FLOW_INSPECTING)
		return EVICT_INSPECTING;
	return f->vpn ? EVICT_VPN : EVICT_PASS;
}

static void flow_remove(struct flow_table *t, uint32_t slot, enum flow_end why)
{
	struct flow *f = &t->l.hot[slot];
	bool crowded = table_crowded(t);
	unsigned int cls = evict_class(f);
	t->hooks.export_fn(t->hooks.arg, slot, why);
	bucket_remove(t, &f->key, key_hash(&f->key), slot);
	memset(f, 0, sizeof(*f));
	memset(&t->l.cold[slot], 0, sizeof(t->l.cold[slot]));
	f->ts_last = t->free_head;
	t->free_head = slot;
	t->removals++;
	t->ctr->flows_active--;
	if (why == FLOW_END_IDLE) {
		t->ctr->flows_expired++;
		t->ctr->flows_expired_emergency += crowded;
	} else if (why == FLOW_END_EVICTED) {
		t->ctr->flows_evicted[cls]++;
	} else {
		t->ctr->flows_flushed++;
	}
}

static inline bool spared(const struct flow_table *t, const struct flow *f)
{
	return t->sparing && (int32_t)(f->ts_last - t->spare_from) >= 0;
}

/* The cheaper of two flows to lose: lower class first, then the longer idle. */
static inline bool worse_victim(const struct flow *a, const struct flow *b, uint32_t now_tick)
{
	unsigned int ca = evict_class(a), cb = evict_class(b);
	if (ca != cb)
		return ca < cb;
	/* Inside a class, a flow that barely started (a SYN, one datagram) goes before a busy one. */
	bool sa = a->pkts[0] + a->pkts[1] <= 2, sb = b->pkts[0] + b->pkts[1] <= 2;
	if (sa != sb)
		return sa;
	return (uint32_t)(now_tick - a->ts_last) > (uint32_t)(now_tick - b->ts_last);
}

/* The least valuable of a few in-use slots: approximate LRU by class, at bounded cost. */
static bool flow_evict_one(struct flow_table *t, uint32_t now_tick)
{
	uint32_t best = 0;
	for (uint32_t i = 0, seen = 0; i < t->n_slots && seen < EVICT_SCAN_MAX; i++) {
		if (seen >= EVICT_SAMPLE && evict_class(&t->l.hot[best]) == EVICT_INSPECTING)
			break;
		uint32_t s = t->evict_cursor;
		t->evict_cursor = t->evict_cursor == t->n_slots ? 1 : t->evict_cursor + 1;
		const struct flow *f = &t->l.hot[s];
		if (f->key.ip_version == 0 || spared(t, f))
			continue;
		seen++;
		if (best == 0 || worse_victim(f, &t->l.hot[best], now_tick))
			best = s;
	}
	if (best == 0)
		return false;
	flow_remove(t, best, FLOW_END_EVICTED);
	return true;
}

static void flow_init(struct flow_table *t, uint32_t slot, const struct flow_key *key, bool src_is_lo, uint64_t now)
{
	struct flow *f = &t->l.hot[slot];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->client_is_lo = src_is_lo;
	f->ts_last = flow_tick(now);
	memset(&t->l.cold[slot], 0, sizeof(t->l.cold[slot]));
	t->l.cold[slot].ts_first = now;
}

/* A hit: refreshes the flow, or expires it (NULL) when it idled past its timeout. */
static __rte_always_inline struct flow *flow_touch(struct flow_table *t, uint32_t slot, bool src_is_lo, uint64_t now,
						   uint8_t *dir)
{
	struct flow *f = &t->l.hot[slot];
	uint32_t tick = flow_tick(now);
	/* Offline, time only moves with packets: expire on touch too. */
	if (idle_past(t, f, tick)) {
		flow_remove(t, slot, FLOW_END_IDLE);
		return NULL;
	}
	if (unlikely(window_idle(t, f, tick)))
		t->hooks.window_fn(t->hooks.arg, slot);
	*dir = (src_is_lo == f->client_is_lo) ? CLS_C2S : CLS_S2C;
	if ((int32_t)(tick - f->ts_last) > 0)
		f->ts_last = tick;
	return f;
}

/* Frees an entry of bucket b or b2 by evicting the cheapest flow there, never keep's. */
static bool flow_evict_from(struct flow_table *t, uint32_t b, uint32_t b2, uint32_t keep, uint32_t now_tick)
{
	uint32_t best = 0;
	const uint32_t bs[2] = {b, b2};
	for (unsigned int k = 0; k < 2; k++)
		for (unsigned int i = 0; i < BUCKET_ENTRIES; i++) {
			uint32_t s = t->l.buckets[bs[k]].slot[i];
			if (s == 0 || s == keep || spared(t, &t->l.hot[s]))
				continue;
			if (best == 0 || worse_victim(&t->l.hot[s], &t->l.hot[best], now_tick))
				best = s;
		}
	if (best == 0)
		return false;
	flow_remove(t, best, FLOW_END_EVICTED);
	return true;
}

static struct flow *flow_add(struct flow_table *t, const struct flow_key *key, uint64_t hash, bool src_is_lo,
			     uint64_t now, uint8_t *dir, uint32_t *slot_out)
{
	uint32_t tick = flow_tick(now);
	if (t->free_head == 0 && !flow_evict_one(t, tick))
		return NULL;
	uint32_t slot = t->free_head;
	uint32_t b1 = bucket_of(t, hash);
	uint16_t sig = sig_of(hash);
	t->free_head = t->l.hot[slot].ts_last;
	flow_init(t, slot, key, src_is_lo, now);
	t->ctr->flows_created++;
	t->ctr->flows_active++;
	struct ft_entry lost;
	if (!bucket_insert(t, b1, alt_bucket(t, b1, sig), sig, slot, &lost)) {
		/*
		 * Rare (the buckets run at <= 80 % load): the walk left one entry
		 * without a bucket. Make room in its pair by evicting the
		 * cheapest flow there; if every one is in use by this burst, the
		 * homeless flow itself goes (it could not be found again).
		 */
		while (!bucket_insert(t, lost.b, lost.b2, lost.sig, lost.slot, &lost)) {
			if (!flow_evict_from(t, lost.b, lost.b2, slot, tick)) {
				/* Possibly the new flow itself: then counted as created and evicted. */
				flow_remove(t, lost.slot, FLOW_END_EVICTED);
				break;
			}
		}
		if (t->l.hot[slot].key.ip_version == 0)
			return NULL;
	}
	*dir = CLS_C2S;
	*slot_out = slot;
	return &t->l.hot[slot];
}

struct flow *flow_lookup_or_add(struct flow_table *t, const struct flow_key *key, uint64_t hash, bool src_is_lo,
				uint64_t now, uint8_t *dir, uint32_t *slot)
{
	if (now > t->now)
		t->now = now;
	uint32_t s = table_find(t, key, hash);
	if (s != 0) {
		struct flow *f = flow_touch(t, s, src_is_lo, now, dir);
		if (f != NULL) {
			*slot = s;
			return f;
		}
	}
	return flow_add(t, key, hash, src_is_lo, now, dir, slot);
}

void flow_lookup_or_add_bulk(struct flow_table *t, const struct flow_key *const *keys, const uint64_t *hashes,
			     const bool *src_is_lo, uint32_t n, const uint64_t *now, struct flow **flows,
			     uint8_t *dirs, uint32_t *slots)
{
	uint32_t b1[FLOW_BULK_MAX], b2[FLOW_BULK_MAX], hit[FLOW_BULK_MAX];
	uint32_t m1[FLOW_BULK_MAX], m2[FLOW_BULK_MAX];
	uint16_t sig[FLOW_BULK_MAX];
	if (n == 0)
		return;
	/*
	 * Every primary bucket of the burst on its way before the first is
	 * read. Entries go to their primary bucket unless it is full, so at the
	 * table's load almost every flow is found there: the other bucket is
	 * fetched only for keys without a signature match in the first (new
	 * flows, and the few moved by cuckoo), which saves a cache miss per
	 * packet on a table larger than the cache.
	 */
	for (uint32_t i = 0; i < n; i++) {
		sig[i] = sig_of(hashes[i]);
		b1[i] = bucket_of(t, hashes[i]);
		rte_prefetch0(&t->l.buckets[b1[i]]);
	}
	/* Then each candidate flow's hot line, or the other bucket, before any key is compared. */
	for (uint32_t i = 0; i < n; i++) {
		m1[i] = sig_matches(&t->l.buckets[b1[i]], sig[i]);
		m2[i] = 0;
		b2[i] = alt_bucket(t, b1[i], sig[i]);
		for (uint32_t m = m1[i]; m; m &= m - 1)
			rte_prefetch0(&t->l.hot[t->l.buckets[b1[i]].slot[__builtin_ctz(m)]]);
		if (m1[i] == 0)
			rte_prefetch0(&t->l.buckets[b2[i]]);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (m1[i] != 0)
			continue;
		m2[i] = sig_matches(&t->l.buckets[b2[i]], sig[i]);
		for (uint32_t m = m2[i]; m; m &= m - 1)
			rte_prefetch0(&t->l.hot[t->l.buckets[b2[i]].slot[__builtin_ctz(m)]]);
	}
	for (uint32_t i = 0; i < n; i++) {
		hit[i] = 0;
		for (uint32_t m = m1[i]; m && hit[i] == 0; m &= m - 1) {
			uint32_t s = t->l.buckets[b1[i]].slot[__builtin_ctz(m)];
			if (s != 0 && key_eq(&t->l.hot[s].key, keys[i]))
				hit[i] = s;
		}
		/* A signature that matched another key in the first bucket: the other one too (rare). */
		if (hit[i] == 0 && m1[i] != 0)
			m2[i] = sig_matches(&t->l.buckets[b2[i]], sig[i]);
		for (uint32_t m = m2[i]; m && hit[i] == 0; m &= m - 1) {
			uint32_t s = t->l.buckets[b2[i]].slot[__builtin_ctz(m)];
			if (s != 0 && key_eq(&t->l.hot[s].key, keys[i]))
				hit[i] = s;
		}
	}
	uint64_t removals = t->removals;
	t->spare_from = flow_tick(now[0]);
	t->sparing = 1;
	for (uint32_t i = 0; i < n; i++) {
		if (now[i] > t->now)
			t->now = now[i];
		/*
		 * A removal or insert earlier in this burst (expiry, eviction, a
		 * cuckoo move) may have changed what the probe saw: such packets
		 * are looked up again.
		 */
		if (hit[i] != 0 && likely(t->removals == removals)) {
			flows[i] = flow_touch(t, hit[i], src_is_lo[i], now[i], &dirs[i]);
			if (flows[i] != NULL) {
				slots[i] = hit[i];
				continue;
			}
		}
		/* Misses, and a new flow's second packet in the same burst, land here. */
		flows[i] = flow_lookup_or_add(t, keys[i], hashes[i], src_is_lo[i], now[i], &dirs[i], &slots[i]);
	}
	t->sparing = 0;
}

void flow_table_age(struct flow_table *t, uint64_t now, uint32_t budget)
{
	uint32_t tick = flow_tick(now);
	if (now > t->now)
		t->now = now;
	for (uint32_t i = 0; i < budget; i++) {
		uint32_t s = t->cursor;
		t->cursor = t->cursor == t->n_slots ? 1 : t->cursor + 1;
		struct flow *f = &t->l.hot[s];
		if (i + 4 < budget)
			rte_prefetch0(&t->l.hot[t->cursor + 4 <= t->n_slots ? t->cursor + 4 : 1]);
		if (f->key.ip_version == 0)
			continue;
		if (idle_past(t, f, tick))
			flow_remove(t, s, FLOW_END_IDLE);
		else if (window_idle(t, f, tick))
			t->hooks.window_fn(t->hooks.arg, s);
	}
}

void flow_table_age_paced(struct flow_table *t, uint64_t now)
{
	if (t->age_last == 0 || now < t->age_last) {
		t->age_last = now;
		return;
	}
	/* Crowded tables time out 8x sooner, so they are swept 8x as often. */
	uint64_t sweep = table_crowded(t) ? t->sweep_ns / 8 : t->sweep_ns;
	uint64_t due = (uint64_t)((unsigned __int128)(now - t->age_last) * t->n_slots / sweep);
	if (due == 0)
		return;
	if (due > AGE_MAX_PER_CALL) {
		/* Pay the rest on later calls. */
		due = AGE_MAX_PER_CALL;
		t->age_last += (uint64_t)((unsigned __int128)due * sweep / t->n_slots);
	} else {
		t->age_last = now;
	}
	flow_table_age(t, now, (uint32_t)due);
}

void flow_table_flush(struct flow_table *t, uint64_t now)
{
	uint32_t tick = flow_tick(now);
	for (uint32_t s = 1; s <= t->n_slots && t->ctr->flows_active > 0; s++) {
		if (t->l.hot[s].key.ip_version == 0)
			continue;
		if (window_idle(t, &t->l.hot[s], tick))
			t->hooks.window_fn(t->hooks.arg, s);
		flow_remove(t, s, FLOW_END_FLUSH);
	}
}
