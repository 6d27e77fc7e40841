/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra's XDP enforcer: drops the packets of flows tundra judged blocked,
 * passes everything else. It decides nothing itself. The control lcore
 * (engine/control/xdp.c) writes the flows whose verdict drops into an LRU
 * hash of canonical 5-tuples, each with an expiry it keeps moving forward;
 * this program only looks packets up there.
 *
 * Fail-safe by construction:
 *   - a packet it cannot read as tundra reads it (not IP, truncated, a
 *     fragment, a third VLAN tag, too many IPv6 extension headers) passes,
 *     as tundra passes such packets uninspected;
 *   - an entry past its expiry passes (counted: expired), so entries of a
 *     tundra that stopped refreshing them stop matching on their own;
 *   - the map is an LRU: it cannot fill up and refuse an update.
 *
 * Headers are walked with byte loads as engine/packet/parse.c walks them
 * (Ethernet, up to two 802.1Q/802.1ad tags, IPv4 with options, IPv6 with up
 * to 8 extension headers), so both find the same 5-tuple; transports other
 * than TCP and UDP have ports 0 there and here.
 *
 * The license string is not GPL-compatible on purpose (the project is
 * BSD-3-Clause): the program uses no GPL-only helper, and the verifier says
 * so plainly if one is ever added.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "xdp_enforce.h"

/* Sized by the control lcore before loading (--xdp-flows plus LRU headroom). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct tundra_xdp_key);
	__type(value, struct tundra_xdp_val);
} tundra_blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tundra_xdp_counters);
} tundra_counters SEC(".maps");

#define ETH_HLEN_ 14
#define VLAN_HLEN_ 4
#define ETHERTYPE_IPV4_ 0x0800
#define ETHERTYPE_IPV6_ 0x86dd
#define IPV6_HLEN_ 40
#define IPV6_MAX_EXT_ 8

static __always_inline int is_vlan(__u16 type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* IPv6 extension headers parse.c walks through (AH and fragment apart). */
static __always_inline int is_ipv6_ext(__u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
}

/* Fills k with the packet's 5-tuple (not yet canonical); -1: pass it unlooked-at. */
static __always_inline int packet_key(const struct xdp_md *ctx, struct tundra_xdp_key *k)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	const __u8 *p = data + ETH_HLEN_;
	if (p > end)
		return -1;
	__u16 type = (__u16)(data[12] << 8 | data[13]);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!is_vlan(type))
			break;
		if (p + VLAN_HLEN_ > end)
			return -1;
		type = (__u16)(p[2] << 8 | p[3]);
		p += VLAN_HLEN_;
	}
	if (is_vlan(type))
		return -1;

	const __u8 *l4;
	__u8 proto;
	if (type == ETHERTYPE_IPV4_) {
		if (p + 20 > end || p[0] >> 4 != 4)
			return -1;
		__u32 ihl = (__u32)(p[0] & 0x0f) * 4;
		if (ihl < 20)
			return -1;
		/* MF or a fragment offset: tundra passes fragments uninspected. */
		if ((p[6] << 8 | p[7]) & 0x3fff)
			return -1;
		__builtin_memcpy(k->addr_a, p + 12, 4);
		__builtin_memcpy(k->addr_b, p + 16, 4);
		k->ip_version = 4;
		proto = p[9];
		l4 = p + ihl;
	} else if (type == ETHERTYPE_IPV6_) {
		if (p + IPV6_HLEN_ > end || p[0] >> 4 != 6)
			return -1;
		__builtin_memcpy(k->addr_a, p + 8, 16);
		__builtin_memcpy(k->addr_b, p + 24, 16);
		k->ip_version = 6;
		proto = p[6];
		l4 = p + IPV6_HLEN_;
#pragma unroll
		for (int i = 0; i < IPV6_MAX_EXT_; i++) {
			__u32 hlen;
			if (is_ipv6_ext(proto)) {
				if (l4 + 2 > end)
					return -1;
				hlen = ((__u32)l4[1] + 1) * 8;
			} else if (proto == 51) {
				if (l4 + 2 > end)
					return -1;
				hlen = ((__u32)l4[1] + 2) * 4;
			} else if (proto == 44) {
				if (l4 + 8 > end)
					return -1;
				/* A real fragment; an atomic one (RFC 6946) is a whole packet. */
				if ((l4[2] << 8 | l4[3]) & 0xfff9)
					return -1;
				hlen = 8;
			} else {
				break;
			}
			proto = l4[0];
			l4 += hlen;
		}
		if (is_ipv6_ext(proto) || proto == 51 || proto == 44)
			return -1;
	} else {
		return -1;
	}
	k->proto = proto;
	if (proto == 6 || proto == 17) {
		if (l4 + 4 > end)
			return -1;
		k->port_a[0] = l4[0];
		k->port_a[1] = l4[1];
		k->port_b[0] = l4[2];
		k->port_b[1] = l4[3];
	}
	return 0;
}

SEC("xdp")
int tundra_xdp_enforce(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct tundra_xdp_counters *c = bpf_map_lookup_elem(&tundra_counters, &zero);
	if (c == NULL)
		return XDP_PASS;
	struct tundra_xdp_key k;
	__builtin_memset(&k, 0, sizeof(k));
	if (packet_key(ctx, &k) != 0) {
		c->passed++;
		return XDP_PASS;
	}
	tundra_xdp_key_canon(&k);
	struct tundra_xdp_val *v = bpf_map_lookup_elem(&tundra_blocked, &k);
	if (v == NULL) {
		c->passed++;
		return XDP_PASS;
	}
	/* Expired or not, the flow is still sending: the control lcore keeps entries of live flows. */
	__u64 now = bpf_ktime_get_ns();
	if (now - v->last_hit_ns >= TUNDRA_XDP_HIT_NS)
		v->last_hit_ns = now;
	if (now >= v->expires_ns) {
		c->expired++;
		return XDP_PASS;
	}
	c->dropped++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "BSD";
