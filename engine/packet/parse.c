/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: Ethernet (802.1Q, QinQ) → carrier encapsulations → IPv4/IPv6
 * (+ extension headers) → TCP/UDP. Runs per packet on the worker hot path,
 * so it allocates nothing, makes no calls beyond memset/memcpy, and a plain
 * Ethernet/IP/TCP-UDP frame runs straight-line inlined code: encapsulations
 * are decoded in separate, non-inlined functions entered only when the outer
 * header says so (an MPLS ethertype, IP protocol 4/41/47, or a UDP port of
 * VXLAN, GTP-U or Teredo), so the common case pays one switch case or a few
 * port compares. It never trusts a length field: every read is checked
 * against the captured length and, past L3, against the end the enclosing
 * header announces (an inner packet never reads past its tunnel's payload).
 *
 * Nesting: a tunnel header's decoder calls back into the Ethernet or IP
 * parser for what it carries, so the recursion is bounded by
 * PARSE_MAX_ENCAP (each decoder counts itself in before descending), and
 * every inner header starts below PARSE_MAX_INNER_OFF.
 *
 * What a decoder does with a header it cannot use depends on how sure the
 * guess was:
 *   - protocol numbers (MPLS ethertype, IP protocol 4/41/47) are
 *     unambiguous: a truncated or inconsistent tunnel header, or a carried
 *     packet that fails to parse, makes the packet MALFORMED (counted,
 *     passed); a GRE that is not ours to peel (version 1, PPTP's; RFC 1701
 *     routing; a protocol type we do not decode) stays a GRE flow, as
 *     before encapsulations were parsed;
 *   - UDP ports are only a hint: anyone can send anything to 2152, 3544 or
 *     4789. Unless the tunnel header is valid AND what it carries parses to
 *     an IP packet (or fragment), the packet is the outer UDP flow, exactly
 *     as without the decoder. A VPN moved to a tunnel's port is still
 *     classified instead of hiding as malformed; GTP-U signalling (echo,
 *     error indication, end marker) and VXLAN carrying ARP are UDP flows
 *     between the tunnel endpoints.
 *
 * All arithmetic on offsets is done in uint32_t and every offset is checked
 * against len before it is used. The uint16_t fields of pkt_info always fit:
 * an inner header starts below PARSE_MAX_INNER_OFF (32 KiB), an IP header
 * chain is at most 40 + 8 x 2 KiB, a transport header at most 60 bytes, and
 * the payload lengths come from 16-bit IP/UDP length fields.
 */
#include "parse.h"

#include "ipproto.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* The plain path's parsers, inlined into every entry point (several use them, which would stop GCC). */
#define PARSE_INLINE static inline __attribute__((always_inline))

#define ETH_HDR_LEN	14
#define VLAN_TAG_LEN	4
#define MAX_VLANS	2	/* per Ethernet header */

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100	/* 802.1Q C-tag */
#define ETHERTYPE_QINQ	0x88a8	/* 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD 0x9100	/* pre-802.1ad S-tag still seen in the field */
#define ETHERTYPE_MPLS	0x8847
#define ETHERTYPE_MPLS_MC 0x8848
#define ETHERTYPE_TEB	0x6558	/* transparent Ethernet bridging (GRE protocol type) */

#define IPV4_MIN_HDR	20
#define IPV6_HDR_LEN	40
#define IPV6_MAX_EXT	8

#define TCP_MIN_HDR	20
#define UDP_HDR_LEN	8
#define IPV6_FRAG_HDR_LEN 8

#define PORT_VXLAN	4789
#define PORT_VXLAN_LINUX 8472	/* the Linux kernel's default before IANA assigned 4789 */
#define PORT_GTPU	2152
#define PORT_TEREDO	3544

#define MPLS_MAX_LABELS	8	/* deeper stacks are not seen in carrier networks: garbage or evasion */
#define GRE_MIN_HDR	4
#define VXLAN_HDR_LEN	8
#define GTPU_MIN_HDR	8
#define GTPU_MAX_EXT	8	/* extension headers in one G-PDU */
#define GTPU_MSG_GPDU	255

#define PARSE_MAX_INNER_OFF 32768

/*
 * Byte-wise big-endian loads: no alignment assumption on the packet (VLAN
 * tags and IP options shift everything by non-multiples of 4) and no
 * dependency on host byte order.
 */
static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline enum parse_result
malformed(struct pkt_info *pi, const char *why)
{
	pi->err = why;
	/* An outer UDP header may have set them: a malformed packet has no ports. */
	pi->src_port = 0;
	pi->dst_port = 0;
	return PARSE_MALFORMED;
}

/*
 * Non-IP behind an outer IP header (an MPLS pseudowire's OAM over GRE):
 * nothing of the outer IP layer may pass for the packet's own.
 */
static enum parse_result
not_ip(struct pkt_info *pi)
{
	if (pi->ip_version != 0)
		memset(pi, 0, offsetof(struct pkt_info, outer));
	return PARSE_NOT_IP;
}

/* ---- outer identifiers and the zone ---- */

static inline void
add_layer(struct pkt_outer *o, unsigned int kind)
{
	o->kinds |= (uint16_t)(1u << kind);
	if (o->n_layers < PARSE_MAX_LAYERS)
		o->layer[o->n_layers++] = (uint8_t)kind;
}

/* A tunnel header counts against the depth before what it carries is parsed. */
static inline bool
enter_tunnel(struct pkt_info *pi, unsigned int kind)
{
	if (pi->outer.depth == PARSE_MAX_ENCAP)
		return false;
	pi->outer.depth++;
	add_layer(&pi->outer, kind);
	return true;
}

/* One identifier into the zone hash (murmur3's mixing round, kind and value both). */
static inline uint32_t
zone_mix(uint32_t h, uint32_t kind, uint32_t id)
{
	uint32_t k = id * 0xcc9e2d51u;
	k = (k << 15 | k >> 17) * 0x1b873593u;
	h ^= k;
	h = (h << 13 | h >> 19) * 5 + 0xe6546b64u;
	return h ^ kind * 0x85ebca6bu;
}

#define ZONE_SEED 0x9747b28cu

/*
 * The identifiers are hashed in order, so an S-tag/C-tag pair differs from
 * the swapped one. The first is held as it is until a second comes: a lone
 * VLAN id is the zone itself, and a single-tagged link should not pay for
 * a hash.
 */
static inline void
zone_add(struct pkt_outer *o, uint32_t kind, uint32_t id)
{
	if (o->zone_ids == 0) {
		o->zone_acc = id;
		o->zone_kind0 = (uint8_t)kind;
		o->zone_ids = 1;
		return;
	}
	if (o->zone_ids == 1)
		o->zone_acc = zone_mix(ZONE_SEED, o->zone_kind0, o->zone_acc);
	o->zone_acc = zone_mix(o->zone_acc, kind, id);
	if (o->zone_ids < 255)
		o->zone_ids++;
}

static uint32_t
zone_finish(const struct pkt_outer *o)
{
	uint32_t h = o->zone_acc;
	if (o->zone_ids == 1) {
		/* One identifier that is a VLAN id: the VLAN id, as before tunnels were parsed. */
		if (o->zone_kind0 == ENCAP_VLAN)
			return o->zone_acc;
		h = zone_mix(ZONE_SEED, o->zone_kind0, h);
	}
	h ^= o->zone_ids;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return PARSE_ZONE_MARK | (h & (PARSE_ZONE_MARK - 1));
}

static inline void
vlan_add(struct pkt_outer *o, uint16_t vid)
{
	if (o->n_vlans < 2)
		o->vlan[o->n_vlans] = vid;
	if (o->n_vlans < 255)
		o->n_vlans++;
	zone_add(o, ENCAP_VLAN, vid);
}

/* ---- the plain path: Ethernet, IP, transport ---- */

static enum parse_result decap_mpls(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi);
static enum parse_result decap_ip(const uint8_t *data, uint32_t off, uint32_t end, uint8_t proto,
				  struct pkt_info *pi);
static enum parse_result decap_udp(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi);

/* The whole IP payload as the transport's bytes: ESP, GRE, ICMP, SCTP, ... */
static inline enum parse_result
l4_opaque(uint32_t off, uint32_t end, uint8_t proto, struct pkt_info *pi)
{
	pi->l4_proto = proto;
	pi->l4_off = (uint16_t)off;
	pi->payload_off = (uint16_t)off;
	pi->payload_len = (uint16_t)(end - off);
	return PARSE_OK;
}

/*
 * Locates the transport at off, proto being the last next-header value.
 * end is the end of the IP payload as the IP header states it, already
 * checked to be <= len, so bounds checks here only need end.
 */
PARSE_INLINE enum parse_result
parse_l4(const uint8_t *data, uint32_t off, uint32_t end, uint8_t proto, struct pkt_info *pi)
{
	pi->l4_proto = proto;
	pi->l4_off = (uint16_t)off;

	switch (proto) {
	case IPPROTO_TCP: {
		if (end - off < TCP_MIN_HDR)
			return malformed(pi, "truncated tcp header");
		const uint8_t *t = data + off;
		uint32_t hlen = (uint32_t)(t[12] >> 4) * 4;
		if (hlen < TCP_MIN_HDR)
			return malformed(pi, "bad tcp data offset");
		if (end - off < hlen)
			return malformed(pi, "truncated tcp options");
		pi->src_port = rd16(t);
		pi->dst_port = rd16(t + 2);
		pi->tcp_seq = rd32(t + 4);
		pi->tcp_flags = t[13];
		pi->payload_off = (uint16_t)(off + hlen);
		pi->payload_len = (uint16_t)(end - off - hlen);
		return PARSE_OK;
	}
	case IPPROTO_UDP: {
		if (end - off < UDP_HDR_LEN)
			return malformed(pi, "truncated udp header");
		const uint8_t *u = data + off;
		/*
		 * The UDP length, not the IP one, bounds the payload: some
		 * stacks pad inside the IP datagram. 0 is the RFC 2675 jumbo
		 * marker, which a 64 KiB-bounded parser cannot honour.
		 */
		uint32_t ulen = rd16(u + 4);
		if (ulen < UDP_HDR_LEN)
			return malformed(pi, "bad udp length");
		if (ulen > end - off)
			return malformed(pi, "udp length exceeds ip payload");
		uint16_t sp = rd16(u), dp = rd16(u + 2);
		pi->src_port = sp;
		pi->dst_port = dp;
		pi->payload_off = (uint16_t)(off + UDP_HDR_LEN);
		pi->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
		/* VXLAN and GTP-U by destination port (both directions use it), Teredo's server either side. */
		if (unlikely(dp == PORT_VXLAN || dp == PORT_VXLAN_LINUX || dp == PORT_GTPU || dp == PORT_TEREDO ||
			     sp == PORT_TEREDO))
			return decap_udp(data, off + UDP_HDR_LEN, off + ulen, pi);
		return PARSE_OK;
	}
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
	case IPPROTO_GRE:
		return decap_ip(data, off, end, proto, pi);
	case IPPROTO_NONE:
		/* RFC 8200 §4.7: octets after no-next-header are ignored. */
		pi->payload_off = (uint16_t)off;
		return PARSE_OK;
	default:
		/*
		 * ESP, ICMP, SCTP, ...: no ports to extract here, but the
		 * classifiers may still look at the bytes, so expose them all.
		 */
		return l4_opaque(off, end, proto, pi);
	}
}

/*
 * Non-first and first fragments alike carry no usable transport: the ports
 * of a first fragment would be trusted without the rest of the header being
 * checkable. The fragment data is located and its place in the datagram
 * noted, for reassembly (frag.c).
 */
static inline enum parse_result
fragment(uint32_t off, uint32_t end, uint8_t proto, uint32_t id, uint32_t offset, bool more, uint32_t nh_off,
	 struct pkt_info *pi)
{
	pi->l4_proto = proto;
	pi->l4_off = (uint16_t)off;
	pi->payload_off = (uint16_t)off;
	pi->payload_len = (uint16_t)(end - off);
	pi->src_port = 0;
	pi->dst_port = 0;
	pi->tcp_seq = 0;
	pi->tcp_flags = 0;
	pi->frag.id = id;
	pi->frag.offset = (uint16_t)offset;
	pi->frag.nh_off = (uint16_t)nh_off;
	pi->frag.more = more;
	return PARSE_FRAGMENT;
}

PARSE_INLINE enum parse_result
parse_ipv4(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi)
{
	if (len - off < IPV4_MIN_HDR)
		return malformed(pi, "truncated ipv4 header");
	const uint8_t *ip = data + off;
	if (ip[0] >> 4 != 4)
		return malformed(pi, "bad ipv4 version");
	uint32_t hlen = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HDR)
		return malformed(pi, "bad ipv4 ihl");
	if (len - off < hlen)
		return malformed(pi, "truncated ipv4 options");
	uint32_t tot = rd16(ip + 2);
	if (tot < hlen)
		return malformed(pi, "bad ipv4 total length");
	/* Bytes past tot are Ethernet minimum-frame padding: never payload. */
	if (tot > len - off)
		return malformed(pi, "truncated ipv4");

	pi->ip_version = 4;
	pi->l3_off = (uint16_t)off;
	memcpy(pi->src, ip + 12, 4);
	memcpy(pi->dst, ip + 16, 4);

	/*
	 * The header checksum is not verified: the NIC checks it on receive
	 * (the mbuf's RX offload flags carry the verdict for the caller to
	 * act on) and recomputing it per packet would cost cycles on the hot
	 * path for nothing the parser needs; locating fields does not depend
	 * on it.
	 */
	uint16_t frag = rd16(ip + 6);
	/* MF (0x2000) or a non-zero offset (0x1fff); DF is irrelevant. RFC 791 §3.2: offset in 8-byte units. */
	if (frag & 0x3fff)
		return fragment(off + hlen, off + tot, ip[9], rd16(ip + 4), (uint32_t)(frag & 0x1fff) * 8,
				frag & 0x2000, 0, pi);
	return parse_l4(data, off + hlen, off + tot, ip[9], pi);
}

PARSE_INLINE enum parse_result
parse_ipv6(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi)
{
	if (len - off < IPV6_HDR_LEN)
		return malformed(pi, "truncated ipv6 header");
	const uint8_t *ip = data + off;
	if (ip[0] >> 4 != 6)
		return malformed(pi, "bad ipv6 version");
	uint32_t plen = rd16(ip + 4);
	/* Bytes past the payload length are Ethernet padding, as for IPv4. */
	if (plen > len - off - IPV6_HDR_LEN)
		return malformed(pi, "truncated ipv6");

	pi->ip_version = 6;
	pi->l3_off = (uint16_t)off;
	memcpy(pi->src, ip + 8, 16);
	memcpy(pi->dst, ip + 24, 16);

	uint32_t l3 = off;
	uint32_t end = off + IPV6_HDR_LEN + plen;
	uint8_t nh = ip[6];
	uint32_t nh_at = off + 6;  /* where nh was read: reassembly rewrites it (frag.c) */
	off += IPV6_HDR_LEN;

	/*
	 * Bounded walk: a chain longer than any real stack emits is an
	 * evasion attempt or garbage, and the cap also bounds the cost per
	 * packet and keeps every offset below 64 KiB.
	 */
	for (unsigned int n = 0;; n++) {
		uint32_t hlen;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
		case IPPROTO_HIP:
		case IPPROTO_SHIM6:
			if (end - off < 2)
				return malformed(pi, "truncated ipv6 extension header");
			hlen = ((uint32_t)data[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			/* RFC 4302: AH counts 32-bit words, minus 2. */
			if (end - off < 2)
				return malformed(pi, "truncated ipv6 extension header");
			hlen = ((uint32_t)data[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			hlen = IPV6_FRAG_HDR_LEN;
			break;
		default:
			/* Transport, ESP, a tunnel or no-next-header: the chain ends. */
			return parse_l4(data, off, end, nh, pi);
		}
		if (n == IPV6_MAX_EXT)
			return malformed(pi, "too many ipv6 extension headers");
		if (end - off < hlen)
			return malformed(pi, "truncated ipv6 extension header");

		const uint8_t *ext = data + off;
		uint32_t ext_off = off;
		off += hlen;
		/*
		 * Offset (upper 13 bits) or M (bit 0) set: a real fragment
		 * (RFC 8200 §4.5). An atomic fragment (RFC 6946: both zero) is
		 * a whole packet and the walk simply continues with its next
		 * header.
		 */
		if (nh == IPPROTO_FRAGMENT && (rd16(ext + 2) & 0xfff9) != 0)
			return fragment(off, end, ext[0], rd32(ext + 4), rd16(ext + 2) & 0xfff8, rd16(ext + 2) & 1,
					nh_at - l3, pi);
		nh_at = ext_off;
		nh = ext[0];
	}
}

static inline bool
is_vlan_tpid(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

PARSE_INLINE enum parse_result
parse_eth(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi)
{
	if (len - off < ETH_HDR_LEN)
		return malformed(pi, "truncated ethernet header");
	uint16_t type = rd16(data + off + 12);
	off += ETH_HDR_LEN;

	/*
	 * Any of the three TPIDs is accepted at either position: switches
	 * disagree on which one an S-tag uses, and only the count matters to
	 * bound the walk.
	 */
	if (unlikely(is_vlan_tpid(type))) {
		unsigned int tags = 0;
		do {
			if (tags == MAX_VLANS)
				return malformed(pi, "too many VLAN tags");
			if (len - off < VLAN_TAG_LEN)
				return malformed(pi, "truncated vlan tag");
			vlan_add(&pi->outer, rd16(data + off) & 0x0fff);
			tags++;
			type = rd16(data + off + 2);
			off += VLAN_TAG_LEN;
		} while (is_vlan_tpid(type));
		add_layer(&pi->outer, tags == 1 ? ENCAP_VLAN : ENCAP_QINQ);
	}

	switch (type) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(data, off, len, pi);
	case ETHERTYPE_IPV6:
		return parse_ipv6(data, off, len, pi);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MC:
		return decap_mpls(data, off, len, pi);
	default:
		/* ARP, LLDP, 802.3 length frames (< 0x0600), PPPoE, ... */
		return not_ip(pi);
	}
}

/* ---- what a tunnel carries: the same parsers, out of line ---- */

static enum parse_result __attribute__((noinline))
parse_eth_inner(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi)
{
	if (off > PARSE_MAX_INNER_OFF)
		return malformed(pi, "encapsulation headers too long");
	/* The outer IP layer's addresses and ports are not the inner frame's (see parse_ip_inner). */
	memset(pi, 0, offsetof(struct pkt_info, outer));
	return parse_eth(data, off, len, pi);
}

static enum parse_result __attribute__((noinline))
parse_ip_inner(const uint8_t *data, uint32_t off, uint32_t len, unsigned int version, struct pkt_info *pi)
{
	if (off > PARSE_MAX_INNER_OFF)
		return malformed(pi, "encapsulation headers too long");
	/*
	 * Nothing of the outer packet may show through: an outer IPv6 header
	 * filled all 16 address bytes where an inner IPv4 one writes 4, an
	 * outer UDP header set ports an inner ICMP packet does not have.
	 */
	memset(pi, 0, offsetof(struct pkt_info, outer));
	return version == 4 ? parse_ipv4(data, off, len, pi) : parse_ipv6(data, off, len, pi);
}

/*
 * MPLS label stack, RFC 3032 §2.1: 4-byte entries (label 20 bits, TC 3,
 * bottom-of-stack 1, TTL 8) down to the one with S set. The stack does not
 * say what it carries; RFC 4385 §3 / RFC 4928 fix the first nibble after
 * it: 4 or 6 is IP, 0 is the pseudowire control word (4 bytes) in front of
 * an RFC 4448 Ethernet frame, 1 is a PW associated channel (OAM, not user
 * traffic). Anything else is a pseudowire without control word whose frame
 * cannot be told from garbage: not IP, passed.
 */
static enum parse_result __attribute__((noinline))
decap_mpls(const uint8_t *data, uint32_t off, uint32_t len, struct pkt_info *pi)
{
	struct pkt_outer *o = &pi->outer;
	bool first = !(o->kinds & (1u << ENCAP_MPLS));
	if (!enter_tunnel(pi, ENCAP_MPLS))
		return malformed(pi, "too many encapsulations");
	if (first)
		o->mpls_top = o->mpls_bottom = 0;
	uint32_t label;
	for (unsigned int n = 0;; n++) {
		if (n == MPLS_MAX_LABELS)
			return malformed(pi, "mpls label stack too deep");
		if (len - off < 4)
			return malformed(pi, "truncated mpls label stack");
		uint32_t lse = rd32(data + off);
		off += 4;
		label = lse >> 12;
		if (n == 0 && first)
			o->mpls_top = label;
		if (lse & 0x100)
			break;
	}
	if (first)
		o->mpls_bottom = label;
	if (len - off < 1)
		return malformed(pi, "truncated mpls payload");
	switch (data[off] >> 4) {
	case 4:
		return parse_ip_inner(data, off, len, 4, pi);
	case 6:
		return parse_ip_inner(data, off, len, 6, pi);
	case 0:
		if (len - off < 4)
			return malformed(pi, "truncated pseudowire control word");
		return parse_eth_inner(data, off + 4, len, pi);
	default:
		return not_ip(pi);
	}
}

/*
 * GRE, RFC 2784 §2 with RFC 2890's key and sequence number: 4 bytes of
 * flags (C 0x8000, K 0x2000, S 0x1000, version in the low 3 bits) and
 * protocol type, then checksum+reserved1, key, sequence number, 4 bytes
 * each, in that order, when their bit is set.
 */
static enum parse_result
decap_gre(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi)
{
	if (end - off < GRE_MIN_HDR)
		return l4_opaque(off, end, IPPROTO_GRE, pi);
	uint16_t fl = rd16(data + off), ptype = rd16(data + off + 2);
	/*
	 * Ours to peel: version 0 (RFC 2784 §2.5; version 1 is PPTP's enhanced
	 * GRE, RFC 2637, a flow of its own that the gre classifier reads),
	 * without RFC 1701's routing and strict-source-route bits (RFC 2784
	 * §2.3: a receiver that does not implement RFC 1701 ignores none of
	 * them), carrying IP, Ethernet or MPLS (RFC 4023). Anything else stays
	 * the GRE flow it was before encapsulations were parsed.
	 */
	if ((fl & 0x0007) != 0 || (fl & 0x4800) != 0 ||
	    (ptype != ETHERTYPE_IPV4 && ptype != ETHERTYPE_IPV6 && ptype != ETHERTYPE_TEB && ptype != ETHERTYPE_MPLS &&
	     ptype != ETHERTYPE_MPLS_MC))
		return l4_opaque(off, end, IPPROTO_GRE, pi);
	uint32_t c = (fl & 0x8000) ? 4 : 0;
	uint32_t hlen = GRE_MIN_HDR + c + ((fl & 0x2000) ? 4 : 0) + ((fl & 0x1000) ? 4 : 0);
	if (end - off < hlen)
		return malformed(pi, "truncated gre header");
	unsigned int kind = ptype == ETHERTYPE_TEB ? ENCAP_GRE_TEB : ENCAP_GRE;
	struct pkt_outer *o = &pi->outer;
	if (fl & 0x2000) {
		uint32_t key = rd32(data + off + GRE_MIN_HDR + c);
		if (!(o->flags & OUTER_HAS_GRE_KEY)) {
			o->gre_key = key;
			o->flags |= OUTER_HAS_GRE_KEY;
		}
		/*
		 * Under NVGRE (RFC 7637 §3.2) the key's low byte is a per-flow
		 * entropy FlowID that need not match across directions: only
		 * the 24-bit VSID names the tenant.
		 */
		zone_add(o, ENCAP_GRE, kind == ENCAP_GRE_TEB ? key & 0xffffff00u : key);
	}
	if (!enter_tunnel(pi, kind))
		return malformed(pi, "too many encapsulations");
	off += hlen;
	switch (ptype) {
	case ETHERTYPE_IPV4:
		return parse_ip_inner(data, off, end, 4, pi);
	case ETHERTYPE_IPV6:
		return parse_ip_inner(data, off, end, 6, pi);
	case ETHERTYPE_TEB:
		return parse_eth_inner(data, off, end, pi);
	default:
		return decap_mpls(data, off, end, pi);
	}
}

/* IP protocol 4, 41 or 47 after an IPv4 header or an IPv6 header chain. */
static enum parse_result __attribute__((noinline))
decap_ip(const uint8_t *data, uint32_t off, uint32_t end, uint8_t proto, struct pkt_info *pi)
{
	switch (proto) {
	case IPPROTO_IPIP:
		/* RFC 2003 §3 (in IPv4), RFC 2473 §5 (in IPv6): the inner header right after the outer one. */
		if (!enter_tunnel(pi, ENCAP_IPIP))
			return malformed(pi, "too many encapsulations");
		return parse_ip_inner(data, off, end, 4, pi);
	case IPPROTO_IPV6:
		/* RFC 4213 §3.5 (6in4, protocol 41), RFC 2473 §5 (6in6, next header 41). */
		if (!enter_tunnel(pi, pi->ip_version == 4 ? ENCAP_6IN4 : ENCAP_6IN6))
			return malformed(pi, "too many encapsulations");
		return parse_ip_inner(data, off, end, 6, pi);
	default:
		return decap_gre(data, off, end, pi);
	}
}

/*
 * VXLAN, RFC 7348 §5: 8 bytes, flags with the I bit (0x08) that says the
 * VNI is valid (the other flag and reserved bits are ignored on receipt),
 * a 24-bit VNI, then an Ethernet frame without FCS.
 */
static enum parse_result
decap_vxlan(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi)
{
	if (end - off < VXLAN_HDR_LEN || !(data[off] & 0x08))
		return PARSE_NOT_IP;
	struct pkt_outer *o = &pi->outer;
	uint32_t vni = rd32(data + off + 4) >> 8;
	if (!(o->kinds & (1u << ENCAP_VXLAN)))
		o->vni = vni;
	if (!enter_tunnel(pi, ENCAP_VXLAN))
		return malformed(pi, "too many encapsulations");
	zone_add(o, ENCAP_VXLAN, vni);
	return parse_eth_inner(data, off + VXLAN_HDR_LEN, end, pi);
}

/*
 * GTP-U, 3GPP TS 29.281 §5.1: version 1 and PT 1 in the top bits of the
 * first octet, E/S/PN flags in its low 3 bits, message type, a length
 * counting what follows the 8 mandatory octets, the TEID; with any of E, S,
 * PN set, sequence number (2), N-PDU number (1) and next extension header
 * type (1) follow. §5.2.1: each extension header gives its length in 4-octet
 * units in its first octet and the next type in its last, 0 ending the
 * chain (e.g. the PDU Session Container, type 0x85, of 5G). Only a G-PDU
 * (type 255) carries a user packet (§6.1): IPv4 or IPv6 by its version.
 */
static enum parse_result
decap_gtpu(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi)
{
	if (end - off < GTPU_MIN_HDR)
		return PARSE_NOT_IP;
	const uint8_t *g = data + off;
	if ((g[0] & 0xf0) != 0x30 || g[1] != GTPU_MSG_GPDU)
		return PARSE_NOT_IP;
	uint32_t glen = rd16(g + 2);
	if (glen > end - off - GTPU_MIN_HDR)
		return PARSE_NOT_IP;
	uint32_t gend = off + GTPU_MIN_HDR + glen;
	uint32_t teid = rd32(g + 4);
	uint8_t flags = g[0];
	off += GTPU_MIN_HDR;
	if (flags & 0x07) {
		if (gend - off < 4)
			return PARSE_NOT_IP;
		/* The next-type octet means something only with E set. */
		uint8_t next = (flags & 0x04) ? data[off + 3] : 0;
		off += 4;
		for (unsigned int n = 0; next != 0; n++) {
			if (n == GTPU_MAX_EXT || gend - off < 4)
				return PARSE_NOT_IP;
			uint32_t elen = (uint32_t)data[off] * 4;
			if (elen == 0 || gend - off < elen)
				return PARSE_NOT_IP;
			next = data[off + elen - 1];
			off += elen;
		}
	}
	if (gend == off)
		return PARSE_NOT_IP;
	unsigned int v = data[off] >> 4;
	if (v != 4 && v != 6)
		return PARSE_NOT_IP;
	struct pkt_outer *o = &pi->outer;
	if (!(o->kinds & (1u << ENCAP_GTPU)))
		o->teid = teid;
	if (!enter_tunnel(pi, ENCAP_GTPU))
		return malformed(pi, "too many encapsulations");
	return parse_ip_inner(data, off, gend, v, pi);
}

/*
 * Teredo, RFC 4380 §5.1.1: an IPv6 packet as the whole UDP payload,
 * possibly behind an authentication indicator (0x0001, client-id length,
 * auth-value length, the two values, 8-byte nonce, confirmation byte) and
 * then an origin indication (0x0000, port, IPv4 address: 8 bytes). With no
 * header of its own, the IPv6 length must fill the payload exactly.
 */
static enum parse_result
decap_teredo(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi)
{
	if (end - off >= 2 && rd16(data + off) == 0x0001) {
		if (end - off < 4)
			return PARSE_NOT_IP;
		uint32_t alen = 4 + (uint32_t)data[off + 2] + data[off + 3] + 8 + 1;
		if (end - off < alen)
			return PARSE_NOT_IP;
		off += alen;
	}
	if (end - off >= 2 && rd16(data + off) == 0x0000) {
		if (end - off < 8)
			return PARSE_NOT_IP;
		off += 8;
	}
	if (end - off < IPV6_HDR_LEN || data[off] >> 4 != 6 || IPV6_HDR_LEN + (uint32_t)rd16(data + off + 4) != end - off)
		return PARSE_NOT_IP;
	if (!enter_tunnel(pi, ENCAP_TEREDO))
		return malformed(pi, "too many encapsulations");
	return parse_ip_inner(data, off, end, 6, pi);
}

/*
 * The UDP payload at [off, end) is on a tunnel's port. The port is only a
 * hint (see the top of this file): unless the decoder finds its header
 * and an IP packet or fragment inside, the packet is the outer UDP flow.
 */
static enum parse_result __attribute__((noinline, cold))
decap_udp(const uint8_t *data, uint32_t off, uint32_t end, struct pkt_info *pi)
{
	struct pkt_info outer_flow = *pi;
	uint16_t dp = pi->dst_port;
	enum parse_result r;
	if (dp == PORT_VXLAN || dp == PORT_VXLAN_LINUX)
		r = decap_vxlan(data, off, end, pi);
	else if (dp == PORT_GTPU)
		r = decap_gtpu(data, off, end, pi);
	else if (pi->ip_version == 4)
		r = decap_teredo(data, off, end, pi);
	else
		return PARSE_OK; /* Teredo is IPv6 over IPv4 only */
	if (r == PARSE_OK || r == PARSE_FRAGMENT)
		return r;
	*pi = outer_flow;
	return PARSE_OK;
}

/* ---- entry points ---- */

enum parse_result
parse_packet(const uint8_t *data, uint32_t len, struct pkt_info *pi)
{
	/*
	 * Callers reuse one pkt_info per burst: nothing may leak across. Of
	 * the outer part only the counts and flags are cleared (the first 8
	 * bytes: one store); the values behind them are valid only where
	 * those say so.
	 */
	memset(pi, 0, offsetof(struct pkt_info, outer) + 8);
	enum parse_result r = parse_eth(data, 0, len, pi);
	if (unlikely(pi->outer.zone_ids != 0))
		pi->zone = zone_finish(&pi->outer);
	return r;
}

enum parse_result
parse_resume(const uint8_t *ip, uint32_t len, struct pkt_info *pi)
{
	memset(pi, 0, offsetof(struct pkt_info, outer));
	enum parse_result r;
	if (len == 0)
		r = malformed(pi, "empty datagram");
	else if (ip[0] >> 4 == 4)
		r = parse_ipv4(ip, 0, len, pi);
	else if (ip[0] >> 4 == 6)
		r = parse_ipv6(ip, 0, len, pi);
	else
		r = malformed(pi, "bad ip version");
	if (pi->outer.zone_ids != 0)
		pi->zone = zone_finish(&pi->outer);
	return r;
}
