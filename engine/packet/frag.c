/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IP fragment reassembly (frag.h for the policy). A context holds one
 * datagram: the ranges of payload received (at most FRAG_MAX_PIECES, never
 * overlapping, so "complete" is "bytes held == the end the last fragment
 * gave"), the first fragment's IP header prefix, and the payload itself at
 * its final place in the context's buffer:
 *
 *   buf: [ ... free ... | prefix (IP header) | payload: offset 0 ... total ]
 *        0                                   FRAG_PREFIX_MAX
 *
 * so the finished datagram is contiguous without a second copy, whatever
 * order the fragments came in. Open and dead contexts sit in a hash (chains
 * of 16-bit indexes) and in one list in order of creation, which is also
 * the order they time out in: expiry looks at the head only.
 */
#include "frag.h"
#include "ipproto.h"

#include <stdlib.h>
#include <string.h>

#define NONE 0xffffu
#define TOTAL_UNKNOWN UINT32_MAX
#define IPV4_MIN_HDR 20
#define IPV6_HDR_LEN 40
#define IPV6_FRAG_HDR_LEN 8

enum ctx_state {
	CTX_FREE = 0,
	CTX_OPEN,   /* collecting fragments */
	CTX_DEAD,   /* abandoned: absorbs its late fragments until it times out */
	CTX_HELD,   /* complete: its buffer is the caller's until the next call */
};

struct frag_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint32_t id;
	uint32_t zone;
	uint8_t version;
	uint8_t proto;
	uint8_t pad[2];
};

struct frag_ctx {
	struct frag_key key;
	uint32_t hash;
	uint16_t chain;             /* next in its hash bucket */
	uint16_t older, newer;      /* creation order */
	uint8_t state;              /* enum ctx_state */
	uint8_t n_pieces;
	uint8_t v6_nh;              /* IPv6: next header of the first fragment's fragment header */
	uint16_t prefix_len;        /* 0 until the first fragment is in */
	uint16_t v6_nh_off;         /* IPv6: offset in the prefix of the next-header byte to rewrite */
	uint32_t total;             /* payload length, from the last fragment */
	uint32_t have;              /* payload bytes held */
	uint64_t t_first;
	uint32_t piece_start[FRAG_MAX_PIECES];
	uint32_t piece_end[FRAG_MAX_PIECES];
	uint8_t *buf;               /* FRAG_BUF_SIZE */
};

struct frag_table {
	unsigned int n;
	uint32_t mask;              /* buckets - 1 */
	uint64_t timeout_ns;
	uint64_t *ev;
	uint16_t oldest, newest;
	uint16_t held;
	uint16_t n_free;
	unsigned int active;
	uint16_t *free_list;
	uint16_t *bucket;
	struct frag_ctx *ctx;
	uint8_t *mem;
};

static uint32_t buckets_for(unsigned int n)
{
	uint32_t b = 1;
	while (b < 2 * n)
		b <<= 1;
	return b;
}

size_t frag_table_mem(unsigned int n_ctx)
{
	return sizeof(struct frag_table) + (size_t)n_ctx * (sizeof(struct frag_ctx) + sizeof(uint16_t) + FRAG_BUF_SIZE) +
	       (size_t)buckets_for(n_ctx) * sizeof(uint16_t);
}

struct frag_table *frag_table_create(unsigned int n_ctx, uint64_t timeout_ns, uint64_t *events)
{
	if (n_ctx == 0 || n_ctx > FRAG_CTX_MAX || events == NULL)
		return NULL;
	struct frag_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	uint32_t nb = buckets_for(n_ctx);
	t->n = n_ctx;
	t->mask = nb - 1;
	t->timeout_ns = timeout_ns;
	t->ev = events;
	t->oldest = t->newest = t->held = NONE;
	t->ctx = calloc(n_ctx, sizeof(*t->ctx));
	t->free_list = calloc(n_ctx, sizeof(*t->free_list));
	t->bucket = malloc(nb * sizeof(*t->bucket));
	/* Not cleared: a buffer's pages are touched only as far as its datagrams reach. */
	t->mem = malloc((size_t)n_ctx * FRAG_BUF_SIZE);
	if (t->ctx == NULL || t->free_list == NULL || t->bucket == NULL || t->mem == NULL) {
		frag_table_free(t);
		return NULL;
	}
	for (uint32_t b = 0; b < nb; b++)
		t->bucket[b] = NONE;
	for (unsigned int i = 0; i < n_ctx; i++) {
		t->ctx[i].buf = t->mem + (size_t)i * FRAG_BUF_SIZE;
		/* Lowest index on top: the first datagrams use the first buffers. */
		t->free_list[i] = (uint16_t)(n_ctx - 1 - i);
	}
	t->n_free = (uint16_t)n_ctx;
	return t;
}

void frag_table_free(struct frag_table *t)
{
	if (t == NULL)
		return;
	free(t->ctx);
	free(t->free_list);
	free(t->bucket);
	free(t->mem);
	free(t);
}

unsigned int frag_table_active(const struct frag_table *t)
{
	return t->active;
}

static uint32_t key_hash(const struct frag_key *k)
{
	uint32_t w[sizeof(*k) / 4];
	memcpy(w, k, sizeof(w));
	uint32_t h = 0x811c9dc5u;
	for (unsigned int i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0x01000193u;
		h ^= h >> 15;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

/* Out of the hash and the age list (the context keeps its state). */
static void ctx_unlink(struct frag_table *t, uint16_t i)
{
	struct frag_ctx *c = &t->ctx[i];
	uint16_t *p = &t->bucket[c->hash & t->mask];
	while (*p != i && *p != NONE)
		p = &t->ctx[*p].chain;
	if (*p == i)
		*p = c->chain;
	if (c->older != NONE)
		t->ctx[c->older].newer = c->newer;
	else
		t->oldest = c->newer;
	if (c->newer != NONE)
		t->ctx[c->newer].older = c->older;
	else
		t->newest = c->older;
	c->chain = c->older = c->newer = NONE;
}

static void ctx_release(struct frag_table *t, uint16_t i)
{
	struct frag_ctx *c = &t->ctx[i];
	if (c->state != CTX_HELD)
		ctx_unlink(t, i);
	c->state = CTX_FREE;
	t->free_list[t->n_free++] = i;
	t->active--;
}

static void expire(struct frag_table *t, uint64_t now)
{
	while (t->oldest != NONE) {
		struct frag_ctx *c = &t->ctx[t->oldest];
		if (!(now > c->t_first && now - c->t_first > t->timeout_ns))
			break;
		/* A dead datagram was counted when it died. */
		if (c->state == CTX_OPEN)
			t->ev[FRAG_TIMED_OUT]++;
		ctx_release(t, t->oldest);
	}
}

static uint16_t lookup(const struct frag_table *t, const struct frag_key *k, uint32_t h)
{
	for (uint16_t i = t->bucket[h & t->mask]; i != NONE; i = t->ctx[i].chain)
		if (t->ctx[i].hash == h && memcmp(&t->ctx[i].key, k, sizeof(*k)) == 0)
			return i;
	return NONE;
}

static uint16_t ctx_open(struct frag_table *t, const struct frag_key *k, uint32_t h, uint64_t now)
{
	if (t->n_free == 0) {
		/* Full: the oldest datagram gives way (frag.h says why). */
		if (t->ctx[t->oldest].state == CTX_OPEN)
			t->ev[FRAG_EVICTED]++;
		ctx_release(t, t->oldest);
	}
	uint16_t i = t->free_list[--t->n_free];
	struct frag_ctx *c = &t->ctx[i];
	c->key = *k;
	c->hash = h;
	c->state = CTX_OPEN;
	c->n_pieces = 0;
	c->prefix_len = 0;
	c->total = TOTAL_UNKNOWN;
	c->have = 0;
	c->t_first = now;
	c->chain = t->bucket[h & t->mask];
	t->bucket[h & t->mask] = i;
	c->newer = NONE;
	c->older = t->newest;
	if (t->newest != NONE)
		t->ctx[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
	t->active++;
	return i;
}

static bool ctx_kill(struct frag_table *t, struct frag_ctx *c, enum frag_event why)
{
	t->ev[why]++;
	c->state = CTX_DEAD;
	return false;
}

/*
 * RFC 1858 §3 / RFC 7112 §5: the first fragment holds the whole transport
 * header, and for IPv6 every extension header before it.
 */
static bool transport_whole(uint8_t proto, const uint8_t *d, uint32_t len, bool v6)
{
	for (unsigned int n = 0; v6 && n < 8; n++) {
		uint32_t hlen;
		if (proto == IPPROTO_HOPOPTS || proto == IPPROTO_ROUTING || proto == IPPROTO_DSTOPTS || proto == IPPROTO_MH ||
		    proto == IPPROTO_HIP || proto == IPPROTO_SHIM6) {
			if (len < 2)
				return false;
			hlen = ((uint32_t)d[1] + 1) * 8;
		} else if (proto == IPPROTO_AH) {
			if (len < 2)
				return false;
			hlen = ((uint32_t)d[1] + 2) * 4;
		} else {
			break;
		}
		if (len < hlen)
			return false;
		proto = d[0];
		d += hlen;
		len -= hlen;
	}
	switch (proto) {
	case IPPROTO_TCP:
		return len >= 20 && len >= (uint32_t)(d[12] >> 4) * 4;
	case IPPROTO_UDP:
		return len >= 8;
	case IPPROTO_IPIP:
		return len >= IPV4_MIN_HDR;
	case IPPROTO_IPV6:
		return len >= IPV6_HDR_LEN;
	case IPPROTO_GRE:
		return len >= 4 && len >= 4 + 4 * (uint32_t)(!!(d[0] & 0x80) + !!(d[0] & 0x20) + !!(d[0] & 0x10));
	case IPPROTO_NONE:
		return true;
	default:
		/* ICMP, ICMPv6, ESP, SCTP, ...: 8 bytes, the least of them and RFC 791's least fragment. */
		return len >= 8;
	}
}

bool frag_input(struct frag_table *t, const uint8_t *frame, const struct pkt_info *pi, uint64_t now,
		const uint8_t **dg, uint32_t *dg_len)
{
	/* The last datagram handed out is done with: the caller's stages ran in between. */
	if (t->held != NONE) {
		ctx_release(t, t->held);
		t->held = NONE;
	}
	expire(t, now);

	bool v6 = pi->ip_version == 6;
	struct frag_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, pi->src, 16);
	memcpy(k.dst, pi->dst, 16);
	k.id = pi->frag.id;
	k.zone = pi->zone;
	k.version = pi->ip_version;
	k.proto = v6 ? 0 : pi->l4_proto;
	uint32_t h = key_hash(&k);
	uint16_t i = lookup(t, &k, h);
	if (i == NONE)
		i = ctx_open(t, &k, h, now);
	struct frag_ctx *c = &t->ctx[i];
	if (c->state == CTX_DEAD)
		return false;

	uint32_t off = pi->frag.offset, len = pi->payload_len, end = off + len;
	const uint8_t *data = frame + pi->payload_off;

	/* RFC 791 §3.2, RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes. */
	if (pi->frag.more && (len == 0 || len % 8 != 0))
		return ctx_kill(t, c, FRAG_INVALID);
	/* The least header an IPv4 datagram has counts against its 65535 bytes; IPv6's is outside them. */
	if (end > FRAG_DATAGRAM_MAX - (v6 ? 0 : IPV4_MIN_HDR))
		return ctx_kill(t, c, FRAG_TOO_BIG);
	uint32_t plen = 0;
	if (off == 0) {
		/* The prefix: the IP header, or IPv6's headers in front of its fragment header. */
		plen = (uint32_t)pi->payload_off - pi->l3_off - (v6 ? IPV6_FRAG_HDR_LEN : 0);
		if (plen > FRAG_PREFIX_MAX || (v6 && pi->frag.nh_off >= plen))
			return ctx_kill(t, c, FRAG_INVALID);
		if (!transport_whole(pi->l4_proto, data, len, v6))
			return ctx_kill(t, c, FRAG_TINY);
	}
	if (!pi->frag.more) {
		if (c->total != TOTAL_UNKNOWN && c->total != end)
			return ctx_kill(t, c, FRAG_INVALID);
		for (unsigned int p = 0; p < c->n_pieces; p++)
			if (c->piece_end[p] > end)
				return ctx_kill(t, c, FRAG_INVALID);
	} else if (c->total != TOTAL_UNKNOWN && end > c->total) {
		return ctx_kill(t, c, FRAG_INVALID);
	}
	uint8_t *payload = c->buf + FRAG_PREFIX_MAX;
	for (unsigned int p = 0; p < c->n_pieces; p++) {
		if (off < c->piece_end[p] && c->piece_start[p] < end) {
			if (c->piece_start[p] == off && c->piece_end[p] == end && memcmp(payload + off, data, len) == 0) {
				t->ev[FRAG_DUPLICATE]++;
				return false;
			}
			return ctx_kill(t, c, FRAG_OVERLAP);
		}
	}
	if (len > 0) {
		if (c->n_pieces == FRAG_MAX_PIECES)
			return ctx_kill(t, c, FRAG_INVALID);
		memcpy(payload + off, data, len);
		c->piece_start[c->n_pieces] = off;
		c->piece_end[c->n_pieces] = end;
		c->n_pieces++;
		c->have += len;
	}
	if (off == 0) {
		memcpy(payload - plen, frame + pi->l3_off, plen);
		c->prefix_len = (uint16_t)plen;
		if (v6) {
			c->v6_nh = pi->l4_proto;
			c->v6_nh_off = pi->frag.nh_off;
		}
	}
	if (!pi->frag.more)
		c->total = end;
	if (c->prefix_len == 0 || c->total == TOTAL_UNKNOWN || c->have != c->total)
		return false;

	/* Whole: the first fragment's header, told it is whole again. */
	uint8_t *ip = payload - c->prefix_len;
	if (v6) {
		uint32_t pl = c->prefix_len - IPV6_HDR_LEN + c->total;
		if (pl > FRAG_DATAGRAM_MAX)
			return ctx_kill(t, c, FRAG_TOO_BIG);
		ip[4] = (uint8_t)(pl >> 8);
		ip[5] = (uint8_t)pl;
		ip[c->v6_nh_off] = c->v6_nh;
	} else {
		uint32_t tot = c->prefix_len + c->total;
		if (tot > FRAG_DATAGRAM_MAX)
			return ctx_kill(t, c, FRAG_TOO_BIG);
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[6] &= 0x40; /* DF stays; MF and the offset go */
		ip[7] = 0;
	}
	*dg = ip;
	*dg_len = c->prefix_len + c->total;
	t->ev[FRAG_REASSEMBLED]++;
	ctx_unlink(t, i);
	c->state = CTX_HELD;
	t->held = i;
	return true;
}
