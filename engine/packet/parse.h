/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: Ethernet (802.1Q, QinQ) → carrier encapsulations (MPLS,
 * GRE, VXLAN, GTP-U, IP-in-IP, 6in4, 6in6, Teredo) → the subscriber's
 * IPv4/IPv6 → TCP/UDP. Works on a plain (data, len) buffer so it is
 * unit-testable and fuzzable without EAL. Every read is checked against len;
 * nothing is written to the packet.
 *
 * pkt_info describes the INNER packet: the flow the rest of the pipeline
 * classifies is the subscriber's, not the carrier's tunnel. What was peeled
 * on the way is in pkt_info.outer, and folded into pkt_info.zone, the part
 * of the flow key that keeps apart tenants whose address spaces overlap.
 */
#ifndef TUNDRA_PARSE_H
#define TUNDRA_PARSE_H

#include <stdint.h>
#include <stdio.h>

#include "counters.h"

enum parse_result {
	PARSE_OK = 0,     /* IP packet with its transport located */
	PARSE_NOT_IP,     /* ARP, LLDP, ...: not inspected */
	PARSE_MALFORMED,  /* truncated or inconsistent headers */
	PARSE_FRAGMENT,   /* IPv4 or IPv6 fragment: addresses and pkt_info.frag valid, no transport */
};

/* Tunnel headers peeled at most (VLAN tags do not count); one more is malformed. */
#define PARSE_MAX_ENCAP 4
/* Headers recorded in pkt_outer.layer[] (VLAN/QinQ and tunnels); later ones only counted in kinds. */
#define PARSE_MAX_LAYERS 8

/*
 * The zone: which address space a flow lives in (flow_key_make). 21 bits, the
 * most the 40-byte flow key has room for beside ip_version and proto:
 *   0                 no zone identifier (untagged, or tunnels without one)
 *   1..4095           exactly one VLAN tag and nothing else that identifies a
 *                     tenant: the VLAN id itself, as before encapsulations were
 *                     parsed (VLAN 0, a priority tag, is zone 0)
 *   PARSE_ZONE_MARK|h any other set of identifiers: h is a hash of every VLAN
 *                     id (all Ethernet headers, in order), the VXLAN VNI and
 *                     the GRE key (its VSID part under NVGRE); the mark bit
 *                     keeps it from ever equalling a plain VLAN id
 * GTP-U TEIDs and MPLS labels are not in it: each direction of a flow carries
 * its own (docs/architecture.md, "Encapsulations and fragments").
 */
#define PARSE_ZONE_BITS 21
#define PARSE_ZONE_MARK (1u << (PARSE_ZONE_BITS - 1))

#define OUTER_HAS_GRE_KEY 0x01

/*
 * The outer headers of a packet, for counters and the flow record. Only the
 * first word is cleared per packet; every other field is valid only where
 * the header it comes from was seen (a kinds bit, n_layers, n_vlans, the
 * flags), so a plain packet pays for one store.
 */
struct pkt_outer {
	uint16_t kinds;         /* 1 << enum encap (counters.h) of every header peeled */
	uint8_t depth;          /* tunnel headers peeled, at most PARSE_MAX_ENCAP */
	uint8_t n_layers;       /* entries of layer[] */
	uint8_t n_vlans;        /* VLAN tags seen, every Ethernet header together */
	uint8_t flags;          /* OUTER_HAS_GRE_KEY */
	uint8_t zone_ids;       /* identifiers folded into zone_acc */
	uint8_t layer[PARSE_MAX_LAYERS]; /* enum encap of each header peeled, outermost first */
	uint8_t zone_kind0;     /* kind of the first zone identifier (parse.c) */
	uint16_t vlan[2];       /* the first two VLAN ids in wire order (S-tag, C-tag) */
	uint32_t mpls_top;      /* label (20 bits) on top of the outermost MPLS stack (ENCAP_MPLS) */
	uint32_t mpls_bottom;   /* label with the bottom-of-stack bit, same stack */
	uint32_t gre_key;       /* key of the outermost GRE with one (OUTER_HAS_GRE_KEY) */
	uint32_t vni;           /* VXLAN network identifier, outermost (ENCAP_VXLAN) */
	uint32_t teid;          /* GTP-U tunnel endpoint id, outermost (ENCAP_GTPU): one per direction */
	uint32_t zone_acc;      /* the first zone identifier, then a running hash of them all (parse.c) */
};

/* Where a fragment sits in its datagram (PARSE_FRAGMENT only; frag.c). */
struct pkt_frag {
	uint32_t id;            /* IPv4 identification (16 bits) or IPv6 fragment id */
	uint16_t offset;        /* of this fragment's data in the datagram's payload, bytes */
	uint16_t nh_off;        /* IPv6: offset from l3_off of the next-header byte naming the fragment header */
	uint8_t more;           /* more fragments follow (MF / M) */
};

struct pkt_info {
	/* What every later stage reads: the inner packet. */
	uint8_t ip_version;     /* 4 or 6 (0 when not IP) */
	uint8_t l4_proto;       /* IP protocol of the transport after extension headers */
	uint8_t tcp_flags;
	uint16_t l3_off;        /* offset of the inner IP header (for a fragment: of the fragmented one) */
	uint16_t l4_off;        /* offset of the transport header */
	uint16_t payload_off;   /* offset of the transport payload */
	uint16_t payload_len;   /* per IP/UDP lengths, never past len (Ethernet padding excluded) */
	uint16_t src_port;      /* host order; 0 for transports without ports */
	uint16_t dst_port;
	uint32_t tcp_seq;       /* host order */
	uint32_t zone;          /* PARSE_ZONE_BITS: see above */
	uint8_t src[16];        /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	const char *err;        /* for PARSE_MALFORMED: which check failed */
	struct pkt_outer outer;
	struct pkt_frag frag;
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

enum parse_result parse_packet(const uint8_t *data, uint32_t len, struct pkt_info *pi);

/*
 * Parses a reassembled datagram (frag.c): ip holds one whole IP datagram,
 * IP header first. The outer headers and zone state already in pi (from the
 * fragment's own parse) are kept and added to, as if the datagram had
 * arrived whole behind them; every other field is set anew, offsets relative
 * to ip.
 */
enum parse_result parse_resume(const uint8_t *ip, uint32_t len, struct pkt_info *pi);

/* Name of an enum encap value ("vlan", "vxlan", ...). */
const char *parse_encap_name(unsigned int kind);

/*
 * The outer identifiers as one JSON object, for a flow record:
 * {"encap":["qinq","ipip"],"vlan":[1624,505],"mpls":{"top":T,"bottom":B},
 *  "gre_key":K,"vni":V,"teid":T}; keys only for what was seen, {} for none.
 */
void parse_outer_json(const struct pkt_outer *o, FILE *out);

#endif
