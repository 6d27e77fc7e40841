/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: Ethernet (802.1Q, QinQ) → IPv4/IPv6 → TCP/UDP. Works on a
 * plain (data, len) buffer so it is unit-testable and fuzzable without EAL.
 * Every read is checked against len; nothing is written to the packet.
 */
#ifndef TUNDRA_PARSE_H
#define TUNDRA_PARSE_H

#include <stdint.h>

enum parse_result {
	PARSE_OK = 0,     /* IP packet with its transport located */
	PARSE_NOT_IP,     /* ARP, LLDP, ...: not inspected */
	PARSE_MALFORMED,  /* truncated or inconsistent headers */
	PARSE_FRAGMENT,   /* IPv4 or IPv6 fragment: addresses valid, no transport */
};

struct pkt_info {
	uint8_t ip_version;     /* 4 or 6 (0 when not IP) */
	uint8_t l4_proto;       /* IP protocol of the transport after extension headers */
	uint8_t tcp_flags;
	uint8_t n_vlans;        /* 0, 1 or 2 tags */
	uint16_t vlan;          /* innermost VLAN id, 0 without tag */
	uint16_t l3_off;        /* offset of the IP header */
	uint16_t l4_off;        /* offset of the transport header */
	uint16_t payload_off;   /* offset of the transport payload */
	uint16_t payload_len;   /* per IP/UDP lengths, never past len (Ethernet padding excluded) */
	uint16_t src_port;      /* host order; 0 for transports without ports */
	uint16_t dst_port;
	uint32_t tcp_seq;       /* host order */
	uint8_t src[16];        /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	const char *err;        /* for PARSE_MALFORMED: which check failed */
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

enum parse_result parse_packet(const uint8_t *data, uint32_t len, struct pkt_info *pi);

#endif
