/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What tundra's XDP enforcer (xdp_enforce.bpf.c, in the kernel) and the
 * control lcore (engine/control/xdp.c) share: the layout of the block map's
 * keys and values, the program's counters, and the one function that makes
 * a key canonical. Both sides include this file, so a key the control lcore
 * writes is byte for byte the key the program builds from a packet of
 * either direction; a second copy of the ordering rule could drift and
 * silently stop matching.
 *
 * Kernel-only types (__u8 ... __u64 from <linux/types.h>) because the BPF
 * side has no libc.
 */
#ifndef TUNDRA_XDP_ENFORCE_H
#define TUNDRA_XDP_ENFORCE_H

#include <linux/types.h>

/*
 * One flow, both directions: the endpoint that sorts first (address bytes
 * in network order, then port number) is a, the other b. No VLAN: the
 * mirror tundra reads and the interface it enforces on may tag differently.
 */
struct tundra_xdp_key {
	__u8 addr_a[16];            /* IPv4 in the first 4 bytes, the rest zero */
	__u8 addr_b[16];
	__u8 port_a[2];             /* as on the wire (network order); 0 without ports */
	__u8 port_b[2];
	__u8 proto;                 /* IP protocol after IPv6 extension headers */
	__u8 ip_version;            /* 4 or 6 */
	__u8 pad[2];                /* zero: the map hashes every byte */
};

/*
 * An entry drops only until expires_ns. The control lcore moves it forward
 * while tundra lives and judges the flow blocked; nothing else does, so a
 * stopped or hung tundra's entries stop matching on their own.
 */
struct tundra_xdp_val {
	__u64 expires_ns;           /* bpf_ktime_get_ns() clock, i.e. CLOCK_MONOTONIC */
	__u64 last_hit_ns;          /* the program's: a packet of the flow arrived (coarse) */
};

/* last_hit_ns is rewritten at most this often: one cache line bounced per 100 ms, not per packet. */
#define TUNDRA_XDP_HIT_NS 100000000ull

/*
 * Per CPU, one element: every packet the program sees is counted exactly
 * once, so dropped + expired + passed = packets seen.
 */
struct tundra_xdp_counters {
	__u64 dropped;              /* a live entry matched: XDP_DROP */
	__u64 expired;              /* an entry matched but had expired: passed */
	__u64 passed;               /* no entry, or not a packet tundra would judge: passed */
};

#define TUNDRA_XDP_MAP_BLOCKED "tundra_blocked"
#define TUNDRA_XDP_MAP_COUNTERS "tundra_counters"
#define TUNDRA_XDP_PROG "tundra_xdp_enforce"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline int tundra_xdp_endpoint_cmp(const __u8 *a, const __u8 *pa, const __u8 *b, const __u8 *pb)
{
	for (int i = 0; i < 16; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	for (int i = 0; i < 2; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return 0;
}

/* Puts the lower endpoint first; the key of either direction of a flow comes out the same. */
static __always_inline void tundra_xdp_key_canon(struct tundra_xdp_key *k)
{
	if (tundra_xdp_endpoint_cmp(k->addr_a, k->port_a, k->addr_b, k->port_b) <= 0)
		return;
	for (int i = 0; i < 16; i++) {
		__u8 t = k->addr_a[i];
		k->addr_a[i] = k->addr_b[i];
		k->addr_b[i] = t;
	}
	for (int i = 0; i < 2; i++) {
		__u8 t = k->port_a[i];
		k->port_a[i] = k->port_b[i];
		k->port_b[i] = t;
	}
}

#endif
