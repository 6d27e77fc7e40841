/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpcap in offline mode, a frame at a time into mbufs, with the
 * capture's timestamp in an mbuf dynamic field; damage is reported with
 * the packet number and whatever came before it stays classified.
 */
#include "pcap_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_mbuf_dyn.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

enum link_kind { LINK_ETHER, LINK_SLL, LINK_SLL2, LINK_RAW, LINK_NULL_HOST, LINK_NULL_NET };

struct pcap_in {
	pcap_t *pc;
	char path[512];
	enum link_kind kind;
	int dlt;
	uint64_t packets;
	uint64_t snapped;
};

int pcap_in_open(const char *path, struct pcap_in **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -1;
	}
	int dlt = pcap_datalink(pc);
	enum link_kind kind;
	switch (dlt) {
	case DLT_EN10MB:
		kind = LINK_ETHER;
		break;
	case DLT_LINUX_SLL:
		kind = LINK_SLL;
		break;
	case DLT_LINUX_SLL2:
		kind = LINK_SLL2;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
#if defined(DLT_RAW) && DLT_RAW != 12
	case 12:
#endif
		kind = LINK_RAW;
		break;
	case DLT_NULL:
		kind = LINK_NULL_HOST;
		break;
	case DLT_LOOP:
		kind = LINK_NULL_NET;
		break;
	default: {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen,
			 "%s: link type %s (%d) is not supported; supported: Ethernet, Linux cooked "
			 "(SLL, SLL2), raw IP, BSD loopback",
			 path, name ? name : "unknown", dlt);
		pcap_close(pc);
		return -1;
	}
	}
	struct pcap_in *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		pcap_close(pc);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	p->pc = pc;
	p->kind = kind;
	p->dlt = dlt;
	snprintf(p->path, sizeof(p->path), "%s", path);
	*out = p;
	return 0;
}

static uint16_t ethertype_from_version(const uint8_t *ip, uint32_t len)
{
	if (len < 1)
		return 0;
	switch (ip[0] >> 4) {
	case 4:
		return 0x0800;
	case 6:
		return 0x86dd;
	default:
		return 0;
	}
}

/* Loopback family values differ by OS: IPv4 is 2 everywhere, IPv6 is 24, 28 or 30. */
static uint16_t ethertype_from_family(uint32_t fam)
{
	if (fam == 2)
		return 0x0800;
	if (fam == 24 || fam == 28 || fam == 30)
		return 0x86dd;
	return 0;
}

/*
 * Where the network-layer bytes start and which ethertype they carry, for
 * link types without an Ethernet header. Returns 0 when the header is cut.
 */
static int strip_link(const struct pcap_in *p, const uint8_t *d, uint32_t len, uint32_t *skip,
		      uint16_t *etype)
{
	switch (p->kind) {
	case LINK_SLL: /* 16 bytes, protocol at 14 */
		if (len < 16)
			return 0;
		*skip = 16;
		*etype = (uint16_t)(d[14] << 8 | d[15]);
		return 1;
	case LINK_SLL2: /* 20 bytes, protocol at 0 */
		if (len < 20)
			return 0;
		*skip = 20;
		*etype = (uint16_t)(d[0] << 8 | d[1]);
		return 1;
	case LINK_RAW:
		*skip = 0;
		*etype = ethertype_from_version(d, len);
		return 1;
	case LINK_NULL_HOST:
	case LINK_NULL_NET: {
		if (len < 4)
			return 0;
		uint32_t fam;
		memcpy(&fam, d, 4);
		if (p->kind == LINK_NULL_NET)
			fam = __builtin_bswap32(fam);
		else if (fam > 0xffff) /* written on a host of the other byte order */
			fam = __builtin_bswap32(fam);
		*skip = 4;
		*etype = ethertype_from_family(fam);
		return 1;
	}
	case LINK_ETHER:
		break;
	}
	*skip = 0;
	*etype = 0;
	return 1;
}

/* Appends bytes to an mbuf chain, adding segments as each fills. */
static int append_bytes(struct rte_mbuf *head, struct rte_mempool *mp, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *seg = rte_pktmbuf_lastseg(head);
	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(seg);
		if (room == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(mp);
			if (n == NULL)
				return -1;
			if (rte_pktmbuf_chain(head, n) != 0) {
				rte_pktmbuf_free(n);
				return -1;
			}
			seg = n;
			continue;
		}
		uint16_t take = (uint16_t)(len < room ? len : room);
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, take);
		seg->data_len += take;
		head->pkt_len += take;
		src += take;
		len -= take;
	}
	return 0;
}

int pcap_in_next(struct pcap_in *p, struct rte_mempool *mp, int ts_offset, struct rte_mbuf **out,
		 char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(p->pc, &h, &d);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "%s: packet %" PRIu64 ": %s", p->path, p->packets + 1, pcap_geterr(p->pc));
		return -1;
	}
	p->packets++;
	if (h->caplen < h->len)
		p->snapped++;

	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL) {
		snprintf(err, errlen, "%s: packet %" PRIu64 ": mbuf pool exhausted", p->path, p->packets);
		return -1;
	}
	uint32_t skip = 0;
	uint16_t etype = 0;
	int ok = strip_link(p, d, h->caplen, &skip, &etype);
	int arc = 0;
	if (p->kind != LINK_ETHER && ok) {
		/* Synthetic Ethernet header: zero MACs, the link layer's own protocol. */
		uint8_t eth[14] = {0};
		eth[12] = (uint8_t)(etype >> 8);
		eth[13] = (uint8_t)etype;
		arc = append_bytes(m, mp, eth, sizeof(eth));
		if (arc == 0)
			arc = append_bytes(m, mp, d + skip, h->caplen - skip);
	} else {
		/* Ethernet, or a link header cut short: hand it on as is, the parser counts it. */
		arc = append_bytes(m, mp, d, h->caplen);
	}
	if (arc != 0) {
		rte_pktmbuf_free(m);
		snprintf(err, errlen, "%s: packet %" PRIu64 ": mbuf pool exhausted", p->path, p->packets);
		return -1;
	}
	*RTE_MBUF_DYNFIELD(m, ts_offset, uint64_t *) =
		(uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	*out = m;
	return 1;
}

uint64_t pcap_in_packets(const struct pcap_in *p)
{
	return p->packets;
}

uint64_t pcap_in_snapped(const struct pcap_in *p)
{
	return p->snapped;
}

const char *pcap_in_linktype(const struct pcap_in *p)
{
	const char *n = pcap_datalink_val_to_name(p->dlt);
	return n ? n : "unknown";
}

void pcap_in_close(struct pcap_in *p)
{
	if (p == NULL)
		return;
	pcap_close(p->pc);
	free(p);
}
