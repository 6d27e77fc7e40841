/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP enforcer held to tundra's own packet parser: what the program
 * must do with a frame is what parse_packet() (engine/packet/parse.c)
 * implies, given the block map's content: drop when the frame parses and
 * its 5-tuple has a live entry, pass otherwise. Shared by the unit test's
 * mutated frames (test_xdp.c) and the fuzz target (fuzz_xdp.c).
 */
#ifndef TUNDRA_XDP_ORACLE_H
#define TUNDRA_XDP_ORACLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>

#include "parse.h"
#include "xdp_enforce.h"

/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header. */
#define XDP_ORACLE_MIN_LEN 14

/* The frame's canonical key by tundra's parser; false when tundra would not judge it (not PARSE_OK) or judges
 * a tunnel's inner flow the program does not read. */
static inline bool xdp_oracle_key(const uint8_t *frame, uint32_t len, struct tundra_xdp_key *k)
{
	struct pkt_info pi;
	if (parse_packet(frame, len, &pi) != PARSE_OK)
		return false;
	/*
	 * The program reads Ethernet, up to two tags and IP: a flow tundra finds
	 * inside a tunnel (MPLS, GRE, VXLAN, GTP-U, IP in IP, Teredo) it passes
	 * unread, the fail-safe side (docs/deploy.md, "XDP enforcement").
	 */
	if (pi.outer.kinds & ~((1u << ENCAP_VLAN) | (1u << ENCAP_QINQ)))
		return false;
	memset(k, 0, sizeof(*k));
	memcpy(k->addr_a, pi.src, 16);
	memcpy(k->addr_b, pi.dst, 16);
	k->port_a[0] = (uint8_t)(pi.src_port >> 8);
	k->port_a[1] = (uint8_t)pi.src_port;
	k->port_b[0] = (uint8_t)(pi.dst_port >> 8);
	k->port_b[1] = (uint8_t)pi.dst_port;
	k->proto = pi.l4_proto;
	k->ip_version = pi.ip_version;
	tundra_xdp_key_canon(k);
	return true;
}

/* What the program must answer for the frame, by the parser and the map as they are now. */
static inline int xdp_oracle_expect(int map_fd, const uint8_t *frame, uint32_t len, uint64_t now_ns)
{
	struct tundra_xdp_key k;
	struct tundra_xdp_val v;
	if (!xdp_oracle_key(frame, len, &k) || bpf_map_lookup_elem(map_fd, &k, &v) != 0)
		return XDP_PASS;
	return now_ns < v.expires_ns ? XDP_DROP : XDP_PASS;
}

/* The program's answer, or -1 when the kernel would not run it. */
static inline int xdp_oracle_run(int prog_fd, const uint8_t *frame, uint32_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = 1);
	if (bpf_prog_test_run_opts(prog_fd, &o) != 0)
		return -1;
	return (int)o.retval;
}

#endif
