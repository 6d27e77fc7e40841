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
 * to 8 extension headers, TCP and UDP header checks), so both find the same
 * 5-tuple in the same packets; transports other than TCP and UDP have
 * ports 0 there and here.
 *
 * The license string is not GPL-compatible on purpose (the project is
 * BSD-3-Clause): the program uses no GPL-only helper, and the verifier says
 * so plainly if one is ever added.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>

#include <bpf/bpf_helpers.h>

#include "xdp_enforce.h"

/* Not in every kernel's uapi headers (RFC 7401, RFC 5533). */
#ifndef IPPROTO_HIP
#define IPPROTO_HIP 139
#endif
#ifndef IPPROTO_SHIM6
#define IPPROTO_SHIM6 140
#endif

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
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS || nh == IPPROTO_MH ||
	       nh == IPPROTO_HIP || nh == IPPROTO_SHIM6;
}

/*
 * Fills k with the packet's 5-tuple (not yet canonical); -1: pass it
 * unlooked-at. Every check parse.c makes is made here, in its order, so a
 * packet tundra would call malformed is never dropped (tests/unit/test_xdp.c
 * holds the two to that on mutated frames). Lengths are checked as offsets
 * from the IP header against the length the header states (iplen), and
 * against the frame's end by pointer comparison, the form the verifier
 * accepts from any loader.
 */
static __always_inline int packet_key(const struct xdp_md *ctx, struct tundra_xdp_key *k)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;
	if (data + ETH_HLEN_ > end)
		return -1;
	__u16 type = (__u16)(data[12] << 8 | data[13]);
	const __u8 *ip = data + ETH_HLEN_;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!is_vlan(type))
			break;
		if (ip + VLAN_HLEN_ > end)
			return -1;
		type = (__u16)(ip[2] << 8 | ip[3]);
		ip += VLAN_HLEN_;
	}
	if (is_vlan(type))
		return -1;

	__u32 l4, iplen;
	__u8 proto;
	if (type == ETHERTYPE_IPV4_) {
		if (ip + 20 > end || ip[0] >> 4 != 4)
			return -1;
		__u32 hlen = (__u32)(ip[0] & 0x0f) * 4;
		if (hlen < 20 || ip + hlen > end)
			return -1;
		iplen = (__u32)(ip[2] << 8 | ip[3]);
		/* Bytes past the stated length are Ethernet padding; fewer are a truncated packet. */
		if (iplen < hlen || ip + iplen > end)
			return -1;
		/* MF or a fragment offset: tundra passes fragments uninspected. */
		if ((ip[6] << 8 | ip[7]) & 0x3fff)
			return -1;
		__builtin_memcpy(k->addr_a, ip + 12, 4);
		__builtin_memcpy(k->addr_b, ip + 16, 4);
		k->ip_version = 4;
		proto = ip[9];
		l4 = hlen;
	} else if (type == ETHERTYPE_IPV6_) {
		if (ip + IPV6_HLEN_ > end || ip[0] >> 4 != 6)
			return -1;
		iplen = IPV6_HLEN_ + (__u32)(ip[4] << 8 | ip[5]);
		if (ip + iplen > end)
			return -1;
		__builtin_memcpy(k->addr_a, ip + 8, 16);
		__builtin_memcpy(k->addr_b, ip + 24, 16);
		k->ip_version = 6;
		proto = ip[6];
		l4 = IPV6_HLEN_;
		/* Up to 8 extension headers; a ninth is malformed to tundra. l4 <= iplen throughout. */
#pragma unroll
		for (int i = 0; i <= IPV6_MAX_EXT_; i++) {
			const __u8 *q = ip + l4;
			__u32 hlen;
			if (is_ipv6_ext(proto) || proto == IPPROTO_AH) {
				if (iplen - l4 < 2 || q + 2 > end)
					return -1;
				/* RFC 4302: AH counts 32-bit words, minus 2. */
				hlen = proto == IPPROTO_AH ? ((__u32)q[1] + 2) * 4 : ((__u32)q[1] + 1) * 8;
			} else if (proto == IPPROTO_FRAGMENT) {
				hlen = 8;
			} else {
				break;
			}
			if (i == IPV6_MAX_EXT_ || iplen - l4 < hlen || q + 4 > end)
				return -1;
			l4 += hlen;
			/* A real fragment; an atomic one (RFC 6946) is a whole packet. */
			if (proto == IPPROTO_FRAGMENT && (q[2] << 8 | q[3]) & 0xfff9)
				return -1;
			proto = q[0];
		}
	} else {
		return -1;
	}
	k->proto = proto;
	const __u8 *t = ip + l4;
	if (proto == IPPROTO_TCP) {
		if (iplen - l4 < 20 || t + 20 > end)
			return -1;
		__u32 thl = (__u32)(t[12] >> 4) * 4;
		if (thl < 20 || iplen - l4 < thl)
			return -1;
	} else if (proto == IPPROTO_UDP) {
		if (iplen - l4 < 8 || t + 8 > end)
			return -1;
		/* The UDP length bounds the payload; 0 (the jumbogram marker) is malformed to tundra. */
		__u32 ulen = (__u32)(t[4] << 8 | t[5]);
		if (ulen < 8 || ulen > iplen - l4)
			return -1;
	} else {
		return 0;
	}
	k->port_a[0] = t[0];
	k->port_a[1] = t[1];
	k->port_b[0] = t[2];
	k->port_b[1] = t[3];
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
