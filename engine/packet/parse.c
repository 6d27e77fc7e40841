/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: Ethernet (802.1Q, QinQ) → IPv4/IPv6 (+ extension headers) →
 * TCP/UDP. Runs per packet on the worker hot path, so it allocates nothing,
 * makes no calls beyond memset/memcpy and is straight-line code the compiler
 * can inline. It never trusts a length field: every read is checked against
 * the captured length and, past L3, against the end the IP header announces.
 *
 * All arithmetic on offsets is done in uint32_t and every offset is checked
 * against len before it is used; the uint16_t fields of pkt_info always fit
 * because an IP datagram is at most 64 KiB past a header of bounded size
 * (at most 8 IPv6 extension headers of at most 2 KiB each).
 */
#include "parse.h"

#include <string.h>

#define ETH_HDR_LEN	14
#define VLAN_TAG_LEN	4
#define MAX_VLANS	2

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100	/* 802.1Q C-tag */
#define ETHERTYPE_QINQ	0x88a8	/* 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD 0x9100	/* pre-802.1ad S-tag still seen in the field */

#define IPV4_MIN_HDR	20
#define IPV6_HDR_LEN	40
#define IPV6_MAX_EXT	8

#define IPPROTO_HOPOPTS_	0
#define IPPROTO_TCP_		6
#define IPPROTO_UDP_		17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_AH_		51
#define IPPROTO_NONE_		59
#define IPPROTO_DSTOPTS_	60
#define IPPROTO_MH_		135
#define IPPROTO_HIP_		139
#define IPPROTO_SHIM6_		140

#define TCP_MIN_HDR	20
#define UDP_HDR_LEN	8
#define IPV6_FRAG_HDR_LEN 8

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
	return PARSE_MALFORMED;
}

/*
 * Locates the transport at off, proto being the last next-header value.
 * end is the end of the IP payload as the IP header states it, already
 * checked to be <= len, so bounds checks here only need end.
 */
static inline enum parse_result
parse_l4(const uint8_t *data, uint32_t off, uint32_t end, uint8_t proto, struct pkt_info *pi)
{
	pi->l4_proto = proto;
	pi->l4_off = (uint16_t)off;

	switch (proto) {
	case IPPROTO_TCP_: {
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
	case IPPROTO_UDP_: {
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
		pi->src_port = rd16(u);
		pi->dst_port = rd16(u + 2);
		pi->payload_off = (uint16_t)(off + UDP_HDR_LEN);
		pi->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
		return PARSE_OK;
	}
	case IPPROTO_NONE_:
		/* RFC 8200 §4.7: octets after no-next-header are ignored. */
		pi->payload_off = (uint16_t)off;
		return PARSE_OK;
	default:
		/*
		 * ESP, GRE, ICMP, SCTP, ...: no ports to extract here, but the
		 * classifiers may still look at the bytes, so expose them all.
		 */
		pi->payload_off = (uint16_t)off;
		pi->payload_len = (uint16_t)(end - off);
		return PARSE_OK;
	}
}

/*
 * Non-first and first fragments alike carry no usable transport: the ports
 * of a first fragment would be trusted without the rest of the header being
 * checkable. The fragment data is still located so a later reassembly or
 * byte count does not have to re-walk the headers.
 */
static inline enum parse_result
fragment(uint32_t off, uint32_t end, uint8_t proto, struct pkt_info *pi)
{
	pi->l4_proto = proto;
	pi->l4_off = (uint16_t)off;
	pi->payload_off = (uint16_t)off;
	pi->payload_len = (uint16_t)(end - off);
	return PARSE_FRAGMENT;
}

static inline enum parse_result
parse_ipv4(const uint8_t *data, uint32_t len, uint32_t off, struct pkt_info *pi)
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
	/* MF (0x2000) or a non-zero offset (0x1fff); DF is irrelevant. */
	if (frag & 0x3fff)
		return fragment(off + hlen, off + tot, ip[9], pi);
	return parse_l4(data, off + hlen, off + tot, ip[9], pi);
}

static inline enum parse_result
parse_ipv6(const uint8_t *data, uint32_t len, uint32_t off, struct pkt_info *pi)
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
	memcpy(pi->src, ip + 8, 16);
	memcpy(pi->dst, ip + 24, 16);

	uint32_t end = off + IPV6_HDR_LEN + plen;
	uint8_t nh = ip[6];
	off += IPV6_HDR_LEN;

	/*
	 * Bounded walk: a chain longer than any real stack emits is an
	 * evasion attempt or garbage, and the cap also bounds the cost per
	 * packet and keeps every offset below 64 KiB.
	 */
	for (unsigned int n = 0;; n++) {
		uint32_t hlen;

		switch (nh) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_MH_:
		case IPPROTO_HIP_:
		case IPPROTO_SHIM6_:
			if (end - off < 2)
				return malformed(pi, "truncated ipv6 extension header");
			hlen = ((uint32_t)data[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH_:
			/* RFC 4302: AH counts 32-bit words, minus 2. */
			if (end - off < 2)
				return malformed(pi, "truncated ipv6 extension header");
			hlen = ((uint32_t)data[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT_:
			hlen = IPV6_FRAG_HDR_LEN;
			break;
		default:
			/* Transport, ESP or no-next-header: the chain ends. */
			return parse_l4(data, off, end, nh, pi);
		}
		if (n == IPV6_MAX_EXT)
			return malformed(pi, "too many ipv6 extension headers");
		if (end - off < hlen)
			return malformed(pi, "truncated ipv6 extension header");

		const uint8_t *ext = data + off;
		off += hlen;
		/*
		 * Offset (upper 13 bits) or M (bit 0) set: a real fragment.
		 * An atomic fragment (RFC 6946: both zero) is a whole packet
		 * and the walk simply continues with its next header.
		 */
		if (nh == IPPROTO_FRAGMENT_ && (rd16(ext + 2) & 0xfff9) != 0)
			return fragment(off, end, ext[0], pi);
		nh = ext[0];
	}
}

enum parse_result
parse_packet(const uint8_t *data, uint32_t len, struct pkt_info *pi)
{
	/* Callers reuse one pkt_info per burst: nothing may leak across. */
	memset(pi, 0, sizeof(*pi));

	if (len < ETH_HDR_LEN)
		return malformed(pi, "truncated ethernet header");

	uint32_t off = ETH_HDR_LEN;
	uint16_t type = rd16(data + 12);

	/*
	 * Any of the three TPIDs is accepted at either position: switches
	 * disagree on which one an S-tag uses, and only the count matters to
	 * bound the walk.
	 */
	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		if (pi->n_vlans == MAX_VLANS)
			return malformed(pi, "too many VLAN tags");
		if (len - off < VLAN_TAG_LEN)
			return malformed(pi, "truncated vlan tag");
		pi->vlan = rd16(data + off) & 0x0fff;
		pi->n_vlans++;
		type = rd16(data + off + 2);
		off += VLAN_TAG_LEN;
	}

	pi->l3_off = (uint16_t)off;
	switch (type) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(data, len, off, pi);
	case ETHERTYPE_IPV6:
		return parse_ipv6(data, len, off, pi);
	default:
		/* ARP, LLDP, 802.3 length frames (< 0x0600), MPLS, ... */
		pi->l3_off = 0;
		return PARSE_NOT_IP;
	}
}
