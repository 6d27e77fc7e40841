/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore's side of XDP enforcement (xdp.h): loads the program
 * built from engine/bpf/xdp_enforce.bpf.c (embedded in the binary, so a
 * deployed tundra cannot load a program from another build), attaches it
 * through BPF links, and keeps the block map in step with tundra's verdicts.
 *
 * The map holds only what tundra put there, so this side keeps its own
 * table of those flows (tuple, tag, when refreshed, when last seen): the
 * ageing walk visits that table, never the kernel's map, and a flow is one
 * map entry however many times it is blocked. The table is sized once at
 * open to --xdp-flows, nothing is allocated afterwards, and its entries are
 * kept dense so a walk costs the flows blocked, not the table's size.
 *
 * Why BPF links rather than netlink attachment: a link belongs to the file
 * descriptors that hold it, so when tundra exits in any way (SIGKILL, a
 * crash) the kernel detaches the program with the process's last
 * descriptor. A netlink-attached program would outlive tundra, held back
 * only by the expiry of its entries.
 */
#define _GNU_SOURCE
#include "xdp.h"
#include "ipproto.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_enforce.h"

/* The program's ELF object, made from xdp_enforce.bpf.c by the build (meson.build). */
extern const unsigned char tundra_xdp_obj[];
extern const size_t tundra_xdp_obj_size;

struct xdp_entry {
	struct tundra_xdp_key key;
	struct xdp_tuple t;
	uint64_t hash;
	uint64_t tag;
	uint64_t refreshed_ns;      /* the expiry in the map is refreshed_ns + ttl */
	uint64_t seen_ns;           /* latest of: blocked, XDP's last sighting */
	uint8_t ended;              /* the worker's flow is over */
};

struct xdp_link {
	char name[IF_NAMESIZE];
	int fd;
	uint8_t generic;
};

struct xdp_enforce {
	struct bpf_object *obj;
	int prog_fd, map_fd, cnt_fd;
	struct xdp_link link[XDP_MAX_IFACES];
	unsigned int n_links;
	uint64_t ttl_ns, refresh_ns, tcp_idle_ns, other_idle_ns;
	uint64_t last_walk_ns;
	uint64_t seed;
	struct xdp_entry *ent;      /* the n blocked flows, densely: walks cost what is blocked, not cap */
	uint32_t *slot;             /* open addressing, linear probing: entry index + 1, 0 = empty */
	uint32_t mask;
	uint32_t cap, n;
	int n_cpus;
	struct tundra_xdp_counters *percpu;
	struct xdp_enforce_stats st;
};

/*
 * Without a reason to live, an entry of a flow still in a worker's table is
 * kept this many idle timeouts: enough never to cut a live flow, and a
 * bound on what an end record lost to a full ring (records_lost) can pin.
 */
#define XDP_UNENDED_IDLE_FACTOR 10

uint64_t xdp_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* libbpf's warnings (a verifier log among them) go to stderr as tundra's; its chatter does not. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	fputs("tundra: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static void key_of(const struct xdp_tuple *t, struct tundra_xdp_key *k)
{
	memset(k, 0, sizeof(*k));
	unsigned int alen = t->ip_version == 6 ? 16 : 4;
	memcpy(k->addr_a, t->src, alen);
	memcpy(k->addr_b, t->dst, alen);
	k->port_a[0] = (uint8_t)(t->sport >> 8);
	k->port_a[1] = (uint8_t)t->sport;
	k->port_b[0] = (uint8_t)(t->dport >> 8);
	k->port_b[1] = (uint8_t)t->dport;
	k->proto = t->proto;
	k->ip_version = t->ip_version;
	tundra_xdp_key_canon(k);
}

/* Seeded per process: flows are chosen by whoever sends them, the probe chains must not be. */
static uint64_t key_hash(const struct xdp_enforce *x, const struct tundra_xdp_key *k)
{
	uint64_t w[sizeof(*k) / 8], h = x->seed;
	_Static_assert(sizeof(*k) % 8 == 0, "key is whole words");
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

/* The slot holding k's entry, or -1. */
static int64_t find(const struct xdp_enforce *x, const struct tundra_xdp_key *k, uint64_t h)
{
	for (uint32_t i = (uint32_t)h & x->mask;; i = (i + 1) & x->mask) {
		uint32_t s = x->slot[i];
		if (s == 0)
			return -1;
		const struct xdp_entry *e = &x->ent[s - 1];
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return i;
	}
}

/* Backward-shift deletion: the probe chains stay unbroken without tombstones. */
static void slot_clear(struct xdp_enforce *x, uint32_t i)
{
	for (uint32_t j = i;;) {
		j = (j + 1) & x->mask;
		if (x->slot[j] == 0)
			break;
		uint32_t home = (uint32_t)x->ent[x->slot[j] - 1].hash & x->mask;
		/* An entry whose home lies cyclically in (i, j] cannot move back to i. */
		if (j > i ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		x->slot[i] = x->slot[j];
		i = j;
	}
	x->slot[i] = 0;
}

static int map_write(struct xdp_enforce *x, struct xdp_entry *e, uint64_t now_ns, uint64_t last_hit)
{
	struct tundra_xdp_val v = {.expires_ns = now_ns + x->ttl_ns, .last_hit_ns = last_hit};
	if (bpf_map_update_elem(x->map_fd, &e->key, &v, BPF_ANY) != 0) {
		x->st.map_errors++;
		return -1;
	}
	e->refreshed_ns = now_ns;
	return 0;
}

/* The slot of entry idx (it is in the table). */
static uint32_t slot_of(const struct xdp_enforce *x, uint32_t idx)
{
	uint32_t i = (uint32_t)x->ent[idx].hash & x->mask;
	while (x->slot[i] != idx + 1)
		i = (i + 1) & x->mask;
	return i;
}

/* Takes entry idx out of the map and the table; the last entry moves into its place. */
static void drop_entry(struct xdp_enforce *x, uint32_t idx)
{
	/* Gone already is fine: the LRU may have made room with it. */
	if (bpf_map_delete_elem(x->map_fd, &x->ent[idx].key) != 0 && errno != ENOENT)
		x->st.map_errors++;
	slot_clear(x, slot_of(x, idx));
	uint32_t last = --x->n;
	if (idx != last) {
		x->slot[slot_of(x, last)] = idx + 1;
		x->ent[idx] = x->ent[last];
	}
}

int xdp_enforce_block(struct xdp_enforce *x, const struct xdp_tuple *t, uint64_t tag, uint64_t now_ns)
{
	struct tundra_xdp_key k;
	key_of(t, &k);
	uint64_t h = key_hash(x, &k);
	int64_t s = find(x, &k, h);
	if (s >= 0) {
		struct xdp_entry *e = &x->ent[x->slot[s] - 1];
		e->tag = tag;
		e->ended = 0;
		e->seen_ns = now_ns > e->seen_ns ? now_ns : e->seen_ns;
		return 0;
	}
	if (x->n == x->cap) {
		x->st.refused++;
		return -1;
	}
	uint32_t idx = x->n;
	struct xdp_entry *e = &x->ent[idx];
	*e = (struct xdp_entry){.key = k, .t = *t, .hash = h, .tag = tag, .seen_ns = now_ns};
	if (map_write(x, e, now_ns, 0) != 0)
		return -1;
	uint32_t i = (uint32_t)h & x->mask;
	while (x->slot[i] != 0)
		i = (i + 1) & x->mask;
	x->slot[i] = idx + 1;
	x->n++;
	x->st.blocks++;
	return 0;
}

void xdp_enforce_unblock(struct xdp_enforce *x, const struct xdp_tuple *t)
{
	struct tundra_xdp_key k;
	key_of(t, &k);
	int64_t s = find(x, &k, key_hash(x, &k));
	if (s < 0)
		return;
	drop_entry(x, x->slot[s] - 1);
	x->st.unblocks++;
}

void xdp_enforce_end(struct xdp_enforce *x, const struct xdp_tuple *t)
{
	struct tundra_xdp_key k;
	key_of(t, &k);
	int64_t s = find(x, &k, key_hash(x, &k));
	if (s >= 0)
		x->ent[x->slot[s] - 1].ended = 1;
}

static void read_counters(struct xdp_enforce *x)
{
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(x->cnt_fd, &zero, x->percpu) != 0) {
		x->st.map_errors++;
		return;
	}
	struct tundra_xdp_counters sum = {0};
	for (int c = 0; c < x->n_cpus; c++) {
		sum.dropped += x->percpu[c].dropped;
		sum.expired += x->percpu[c].expired;
		sum.passed += x->percpu[c].passed;
	}
	x->st.dropped = sum.dropped;
	x->st.expired = sum.expired;
	x->st.passed = sum.passed;
}

void xdp_enforce_age(struct xdp_enforce *x, uint64_t now_ns)
{
	/*
	 * Walks four times per refresh period: an expiry is at most 5/12 of the
	 * TTL old when renewed. A clock seen going backwards walks at once
	 * rather than wait for it to catch up with refreshes stopped.
	 */
	if (now_ns >= x->last_walk_ns && now_ns - x->last_walk_ns < x->refresh_ns / 4)
		return;
	x->last_walk_ns = now_ns;
	/* A dropped entry's place is taken by the last one, which is visited next. */
	for (uint32_t idx = 0; idx < x->n;) {
		struct xdp_entry *e = &x->ent[idx];
		if (now_ns < e->refreshed_ns + x->refresh_ns) {
			idx++;
			continue;
		}
		struct tundra_xdp_val v;
		int in_map = bpf_map_lookup_elem(x->map_fd, &e->key, &v) == 0;
		if (in_map && v.last_hit_ns > e->seen_ns)
			e->seen_ns = v.last_hit_ns;
		uint64_t idle = e->t.proto == IPPROTO_TCP ? x->tcp_idle_ns : x->other_idle_ns;
		uint64_t quiet = now_ns > e->seen_ns ? now_ns - e->seen_ns : 0;
		if (quiet >= (e->ended ? idle : idle * XDP_UNENDED_IDLE_FACTOR)) {
			drop_entry(x, idx);
			x->st.released++;
			continue;
		}
		/* Not in the map (the LRU took it, or someone deleted it): put it back. */
		map_write(x, e, now_ns, in_map ? v.last_hit_ns : 0);
		idx++;
	}
}

unsigned int xdp_enforce_revisit(struct xdp_enforce *x, bool (*keep)(void *arg, const struct xdp_tuple *t, uint64_t tag),
				 void *arg)
{
	unsigned int n = 0;
	for (uint32_t idx = 0; idx < x->n;) {
		struct xdp_entry *e = &x->ent[idx];
		if (keep(arg, &e->t, e->tag)) {
			idx++;
			continue;
		}
		drop_entry(x, idx);
		x->st.unblocks++;
		n++;
	}
	return n;
}

void xdp_enforce_get_stats(struct xdp_enforce *x, struct xdp_enforce_stats *st)
{
	read_counters(x);
	*st = x->st;
	st->flows = x->n;
}

int xdp_enforce_prog_fd(const struct xdp_enforce *x)
{
	return x->prog_fd;
}

int xdp_enforce_map_fd(const struct xdp_enforce *x)
{
	return x->map_fd;
}

void xdp_enforce_close(struct xdp_enforce *x)
{
	if (x == NULL)
		return;
	/* Closing a link's last descriptor detaches the program from its interface. */
	for (unsigned int i = 0; i < x->n_links; i++) {
		close(x->link[i].fd);
		fprintf(stderr, "tundra: XDP enforcer detached from %s\n", x->link[i].name);
	}
	bpf_object__close(x->obj);
	free(x->ent);
	free(x->slot);
	free(x->percpu);
	free(x);
}

static int attach(struct xdp_enforce *x, const char *name, unsigned int ifindex, bool generic, char *err,
		  size_t errlen)
{
	struct xdp_link *l = &x->link[x->n_links];
	snprintf(l->name, sizeof(l->name), "%s", name);
	int fd = -1, native_errno = 0;
	if (!generic) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
		fd = bpf_link_create(x->prog_fd, (int)ifindex, BPF_XDP, &lo);
		native_errno = fd < 0 ? errno : 0;
		/* Busy is busy in every mode: another program owns the hook. */
		if (fd < 0 && (native_errno == EBUSY || native_errno == EEXIST)) {
			snprintf(err, errlen,
				 "cannot attach XDP to %s: it has an XDP program already (%s); remove it first "
				 "(ip link set dev %s xdp off)",
				 name, strerror(native_errno), name);
			return -1;
		}
	}
	if (fd < 0) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_SKB_MODE);
		fd = bpf_link_create(x->prog_fd, (int)ifindex, BPF_XDP, &lo);
		if (fd < 0) {
			snprintf(err, errlen, "cannot attach XDP to %s: %s", name, strerror(errno));
			return -1;
		}
		l->generic = 1;
		if (!generic)
			fprintf(stderr,
				"tundra: --xdp-enforce %s: native XDP refused (%s); attached in generic (SKB) mode: "
				"same verdicts, more CPU per packet\n",
				name, strerror(native_errno));
	}
	l->fd = fd;
	x->n_links++;
	return 0;
}

static uint32_t pow2_at_least(uint64_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

struct xdp_enforce *xdp_enforce_open(const struct xdp_enforce_config *c, char *err, size_t errlen)
{
	unsigned int ifindex[XDP_MAX_IFACES];
	if (c->n_ifnames > XDP_MAX_IFACES) {
		snprintf(err, errlen, "--xdp-enforce: at most %d interfaces", XDP_MAX_IFACES);
		return NULL;
	}
	/* Names first: a typo is the likeliest mistake and must not cost a program load to report. */
	for (unsigned int i = 0; i < c->n_ifnames; i++) {
		ifindex[i] = if_nametoindex(c->ifnames[i]);
		if (ifindex[i] == 0) {
			snprintf(err, errlen, "--xdp-enforce %s: no such interface", c->ifnames[i]);
			return NULL;
		}
		for (unsigned int j = 0; j < i; j++)
			if (ifindex[j] == ifindex[i]) {
				snprintf(err, errlen, "--xdp-enforce %s: given twice", c->ifnames[i]);
				return NULL;
			}
	}
	struct xdp_enforce *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "--xdp-enforce: out of memory");
		return NULL;
	}
	x->prog_fd = x->map_fd = x->cnt_fd = -1;
	x->cap = c->max_flows;
	x->ttl_ns = (uint64_t)c->ttl_s * 1000000000ull;
	x->refresh_ns = x->ttl_ns / 3;
	x->tcp_idle_ns = c->tcp_idle_ns;
	x->other_idle_ns = c->other_idle_ns;
	x->mask = pow2_at_least((uint64_t)x->cap * 2) - 1;
	x->n_cpus = libbpf_num_possible_cpus();
	if (getrandom(&x->seed, sizeof(x->seed), 0) != sizeof(x->seed))
		x->seed = xdp_now_ns();
	if (x->n_cpus > 0) {
		x->ent = calloc(x->cap, sizeof(*x->ent));
		x->slot = calloc((size_t)x->mask + 1, sizeof(*x->slot));
		x->percpu = calloc((size_t)x->n_cpus, sizeof(*x->percpu));
	}
	if (x->ent == NULL || x->slot == NULL || x->percpu == NULL) {
		snprintf(err, errlen, "--xdp-enforce: no memory for %u flows", x->cap);
		goto fail;
	}

	libbpf_print_fn_t prev_log = libbpf_set_print(libbpf_log);
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "tundra_xdp");
	x->obj = bpf_object__open_mem(tundra_xdp_obj, tundra_xdp_obj_size, &oo);
	int rc = x->obj == NULL ? -errno : 0;
	struct bpf_map *blocked = NULL;
	if (rc == 0) {
		blocked = bpf_object__find_map_by_name(x->obj, TUNDRA_XDP_MAP_BLOCKED);
		/*
		 * Room beyond what tundra fills: an LRU map keeps up to 128 free
		 * nodes per CPU on local lists and may evict before it is full.
		 */
		uint64_t entries = (uint64_t)x->cap + x->cap / 8 + 128ull * (uint64_t)x->n_cpus;
		rc = blocked ? bpf_map__set_max_entries(blocked, (uint32_t)entries) : -ENOENT;
	}
	if (rc == 0)
		rc = bpf_object__load(x->obj);
	libbpf_set_print(prev_log);
	if (rc != 0) {
		snprintf(err, errlen, "cannot load the XDP program: %s%s", strerror(-rc),
			 rc == -EPERM ? " (needs root, or CAP_BPF and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(x->obj, TUNDRA_XDP_PROG);
	struct bpf_map *counters = bpf_object__find_map_by_name(x->obj, TUNDRA_XDP_MAP_COUNTERS);
	if (prog == NULL || counters == NULL) {
		snprintf(err, errlen, "cannot load the XDP program: program or counters missing from the object");
		goto fail;
	}
	x->prog_fd = bpf_program__fd(prog);
	x->map_fd = bpf_map__fd(blocked);
	x->cnt_fd = bpf_map__fd(counters);
	for (unsigned int i = 0; i < c->n_ifnames; i++)
		if (attach(x, c->ifnames[i], ifindex[i], c->generic, err, errlen) != 0)
			goto fail;
	for (unsigned int i = 0; i < x->n_links; i++) {
		if (x->link[i].generic)
			x->st.ifaces_generic++;
		else
			x->st.ifaces_native++;
	}
	return x;
fail:
	xdp_enforce_close(x);
	return NULL;
}
