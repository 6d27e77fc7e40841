/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

/* Slots sampled when the table is full; the least recently seen is evicted. */
#define EVICT_SAMPLE 8

struct flow_table {
	struct rte_hash *hash;
	struct flow *flows;         /* indexed by rte_hash key position */
	uint32_t n_slots;
	uint32_t cursor;            /* idle scan position */
	uint32_t evict_cursor;
	struct flow_table_config cfg;
	flow_export_fn export_fn;
	void *export_arg;
	struct flow_table_stats st;
	uint64_t removals;          /* flows removed so far: lets a burst tell its bulk hits went stale */
	/*
	 * Eviction spares flows seen at or after this time: within a burst,
	 * the flows its earlier packets touched, which later stages still use.
	 */
	uint64_t spare_from;
	uint64_t sweep_ns;          /* the idle scan covers the table once per this much time */
	uint64_t age_last;          /* time up to which the scan is paid for */
};

/* Slots the paced scan visits at most per call: bounds one poll's extra work. */
#define AGE_MAX_PER_CALL 1024

/* rte_hash has no tuned compare for 40-byte keys and would call memcmp. */
_Static_assert(sizeof(struct flow_key) == 40, "flow_key_eq compares 40 bytes");
_Static_assert(offsetof(struct flow_key, proto) == 39, "zone and ip_version fill the key's last word with proto");

static int flow_key_eq(const void *k1, const void *k2, size_t len)
{
	(void)len;
	const uint8_t *a = k1, *b = k2;
	uint64_t x[5], y[5];
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) != 0;
}

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

struct flow_table *flow_table_create(const char *name, int socket, const struct flow_table_config *cfg,
				     flow_export_fn export_fn, void *export_arg)
{
	/* What the table really costs (hash, key store, flows), for the memory-per-flow figure. */
	uint64_t heap0 = heap_allocated();
	struct flow_table *t = rte_zmalloc_socket("flow_table", sizeof(*t), 64, socket);
	if (t == NULL)
		return NULL;
	/*
	 * EXT_TABLE: without it a bucket collision can refuse a key long before
	 * the table is full, which would evict flows needlessly.
	 */
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = cfg->capacity,
		.key_len = sizeof(struct flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL)
		goto fail;
	rte_hash_set_cmp_func(t->hash, flow_key_eq);
	t->n_slots = (uint32_t)rte_hash_max_key_id(t->hash) + 1;
	t->flows = rte_zmalloc_socket("flows", (size_t)t->n_slots * sizeof(struct flow), 64, socket);
	if (t->flows == NULL)
		goto fail;
	t->cfg = *cfg;
	t->spare_from = UINT64_MAX;
	t->st.slots = t->n_slots;
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
	t->st.mem_bytes = heap_allocated() - heap0;
	t->export_fn = export_fn;
	t->export_arg = export_arg;
	return t;
fail:
	flow_table_free(t);
	return NULL;
}

void flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	rte_free(t->flows);
	rte_free(t);
}

/* Orders endpoints as memcmp would (network byte order), in two 64-bit compares. */
static inline int addr_port_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	a0 = rte_be_to_cpu_64(a0), b0 = rte_be_to_cpu_64(b0);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	a1 = rte_be_to_cpu_64(a1), b1 = rte_be_to_cpu_64(b1);
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return (int)pa - (int)pb;
}


uint32_t flow_key_make(const struct pkt_info *pi, struct flow_key *key, bool *src_is_lo)
{
	bool lo = addr_port_cmp(pi->src, pi->src_port, pi->dst, pi->dst_port) <= 0;
	const uint8_t *a_lo = lo ? pi->src : pi->dst, *a_hi = lo ? pi->dst : pi->src;
	memcpy(key->addr_lo, a_lo, 16);
	memcpy(key->addr_hi, a_hi, 16);
	key->port_lo = lo ? pi->src_port : pi->dst_port;
	key->port_hi = lo ? pi->dst_port : pi->src_port;
	key->zone = pi->zone;
	key->proto = pi->l4_proto;
	key->ip_version = pi->ip_version;
	*src_is_lo = lo;
	return rte_hash_crc(key, sizeof(*key), 0);
}

/* Past 7/8 full the table ages everything 8x faster, so new flows find room without eviction. */
static inline bool table_crowded(const struct flow_table *t)
{
	return t->st.active * 8 > (uint64_t)t->n_slots * 7;
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
	return (flow_key_make(&pi, &k, &lo) >> 8) % n;
}

static inline uint64_t flow_timeout(const struct flow_table *t, const struct flow *f)
{
	uint64_t to;
	switch (f->key.proto) {
	case 6:
		to = f->tcp_fin ? t->cfg.tcp_closed_timeout_ns
		     : f->pkts[CLS_S2C] == 0 ? t->cfg.tcp_syn_timeout_ns
					    : t->cfg.tcp_timeout_ns;
		break;
	case 17:
		to = t->cfg.udp_timeout_ns;
		break;
	default:
		to = t->cfg.other_timeout_ns;
	}
	return table_crowded(t) ? to / 8 : to;
}

static void flow_remove(struct flow_table *t, uint32_t pos, enum flow_end why)
{
	struct flow *f = &t->flows[pos];
	bool crowded = table_crowded(t);
	f->end = (uint8_t)why;
	t->export_fn(t->export_arg, f);
	rte_hash_del_key(t->hash, &f->key);
	f->in_use = 0;
	t->removals++;
	t->st.active--;
	if (why == FLOW_END_IDLE) {
		t->st.expired++;
		t->st.expired_emergency += crowded;
	}
	else if (why == FLOW_END_EVICTED)
		t->st.evicted++;
	else
		t->st.flushed++;
}

/* Least recently seen of a few slots: approximate LRU at bounded cost. */
static bool flow_evict_one(struct flow_table *t)
{
	uint32_t best = UINT32_MAX;
	uint64_t best_ts = UINT64_MAX;
	for (uint32_t i = 0, seen = 0; i < t->n_slots && seen < EVICT_SAMPLE; i++) {
		uint32_t pos = t->evict_cursor;
		t->evict_cursor = (t->evict_cursor + 1) % t->n_slots;
		if (!t->flows[pos].in_use || t->flows[pos].ts_last >= t->spare_from)
			continue;
		seen++;
		if (t->flows[pos].ts_last < best_ts) {
			best_ts = t->flows[pos].ts_last;
			best = pos;
		}
	}
	if (best == UINT32_MAX)
		return false;
	flow_remove(t, best, FLOW_END_EVICTED);
	return true;
}

static void flow_init(struct flow *f, const struct flow_key *key, bool src_is_lo, uint64_t now)
{
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->in_use = 1;
	f->client_is_lo = src_is_lo;
	f->ts_first = now;
	f->ts_last = now;
}

/* A hit: refreshes the flow, or expires it (NULL) when it idled past its timeout. */
static __rte_always_inline struct flow *flow_touch(struct flow_table *t, uint32_t pos, bool src_is_lo,
						   uint64_t now, uint8_t *dir)
{
	struct flow *f = &t->flows[pos];
	/* Offline, time only moves with packets: expire on touch too. */
	if (now > f->ts_last && now - f->ts_last > flow_timeout(t, f)) {
		flow_remove(t, pos, FLOW_END_IDLE);
		return NULL;
	}
	*dir = (src_is_lo == f->client_is_lo) ? CLS_C2S : CLS_S2C;
	if (now > f->ts_last)
		f->ts_last = now;
	return f;
}

static struct flow *flow_add(struct flow_table *t, const struct flow_key *key, uint32_t hash, bool src_is_lo,
			     uint64_t now, uint8_t *dir)
{
	int32_t pos = rte_hash_add_key_with_hash(t->hash, key, hash);
	if (pos == -ENOSPC) {
		if (!flow_evict_one(t))
			return NULL;
		pos = rte_hash_add_key_with_hash(t->hash, key, hash);
	}
	if (pos < 0 || (uint32_t)pos >= t->n_slots)
		return NULL;
	struct flow *f = &t->flows[pos];
	flow_init(f, key, src_is_lo, now);
	t->st.created++;
	t->st.active++;
	*dir = CLS_C2S;
	return f;
}

struct flow *flow_lookup_or_add(struct flow_table *t, const struct flow_key *key, uint32_t hash,
				bool src_is_lo, uint64_t now, uint8_t *dir)
{
	int32_t pos = rte_hash_lookup_with_hash(t->hash, key, hash);
	if (pos >= 0) {
		struct flow *f = flow_touch(t, (uint32_t)pos, src_is_lo, now, dir);
		if (f != NULL)
			return f;
	}
	return flow_add(t, key, hash, src_is_lo, now, dir);
}

void flow_lookup_or_add_bulk(struct flow_table *t, const struct flow_key *const *keys, const uint32_t *hashes,
			     const bool *src_is_lo, uint32_t n, const uint64_t *now, struct flow **flows,
			     uint8_t *dirs)
{
	int32_t pos[FLOW_BULK_MAX];
	/*
	 * One bulk probe prefetches every bucket of the burst before comparing
	 * keys, instead of taking the cache misses one packet at a time.
	 */
	if (n == 0)
		return;
	if (rte_hash_lookup_with_hash_bulk(t->hash, (const void **)(uintptr_t)keys,
						     (hash_sig_t *)(uintptr_t)hashes, n, pos) != 0) {
		for (uint32_t i = 0; i < n; i++)
			pos[i] = -ENOENT;
	}
	/* Every hit's first two lines (key, times, counters) on their way before the first is read. */
	for (uint32_t i = 0; i < n; i++)
		if (pos[i] >= 0) {
			rte_prefetch0(&t->flows[pos[i]]);
			rte_prefetch0((const char *)&t->flows[pos[i]] + RTE_CACHE_LINE_SIZE);
		}
	uint64_t removals = t->removals;
	t->spare_from = now[0];
	for (uint32_t i = 0; i < n; i++) {
		/*
		 * A removal earlier in this burst (expiry, eviction) may have freed
		 * or reused a slot the probe returned: look such packets up again.
		 */
		if (pos[i] >= 0 && likely(t->removals == removals)) {
			flows[i] = flow_touch(t, (uint32_t)pos[i], src_is_lo[i], now[i], &dirs[i]);
			if (flows[i] != NULL)
				continue;
		}
		/* Misses, and a new flow's second packet in the same burst, land here. */
		flows[i] = flow_lookup_or_add(t, keys[i], hashes[i], src_is_lo[i], now[i], &dirs[i]);
	}
	t->spare_from = UINT64_MAX;
}

void flow_table_age(struct flow_table *t, uint64_t now, uint32_t budget)
{
	for (uint32_t i = 0; i < budget; i++) {
		uint32_t pos = t->cursor;
		t->cursor = (t->cursor + 1) % t->n_slots;
		struct flow *f = &t->flows[pos];
		if (f->in_use && now > f->ts_last && now - f->ts_last > flow_timeout(t, f))
			flow_remove(t, pos, FLOW_END_IDLE);
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

void flow_table_flush(struct flow_table *t)
{
	/* Slots are handed out low first: stop once the last live flow is out. */
	for (uint32_t pos = 0; pos < t->n_slots && t->st.active > 0; pos++)
		if (t->flows[pos].in_use)
			flow_remove(t, pos, FLOW_END_FLUSH);
}

void flow_table_get_stats(const struct flow_table *t, struct flow_table_stats *st)
{
	*st = t->st;
}
