/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline input: reads pcap or pcapng with libpcap (link types, nanosecond
 * timestamps, end of file, file errors) into mbufs of the engine's mempool.
 * Captures without an Ethernet header get a synthetic one, so every later
 * stage sees the frames a NIC would deliver.
 */
#ifndef TUNDRA_PCAP_IN_H
#define TUNDRA_PCAP_IN_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

struct pcap_in;

int pcap_in_open(const char *path, struct pcap_in **out, char *err, size_t errlen);

/*
 * Next packet as an mbuf (chained when larger than one segment) with its
 * capture time in ns in the dynfield at ts_offset. 1: packet, 0: end of
 * file, -1: error, with "path: packet N: problem" in err.
 */
int pcap_in_next(struct pcap_in *p, struct rte_mempool *mp, int ts_offset, struct rte_mbuf **out,
		 char *err, size_t errlen);

uint64_t pcap_in_packets(const struct pcap_in *p);
uint64_t pcap_in_snapped(const struct pcap_in *p);   /* caplen < wire length */
const char *pcap_in_linktype(const struct pcap_in *p);
void pcap_in_close(struct pcap_in *p);

#endif
