/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ndpi_bench: the nDPI baseline for bench/run. Reads a pcap with libpcap and
 * classifies it the way ndpiReader does: one flow table (both directions of
 * a 5-tuple in one entry, the first sender is the client), every packet of a
 * flow goes to ndpi_detection_process_packet() until the flow is detected
 * (and no extra dissection is wanted) or it has seen ndpiReader's limits
 * (80 TCP / 24 UDP packets); flows still undetected at the end get
 * ndpi_detection_giveup() with guessing on, as ndpiReader does.
 *
 *   ndpi_bench FILE.pcap [--flows-out FILE.csv]
 *
 * stderr: "ndpi: N packets, M flows in S s (R packets/s)", timing the whole
 * read-and-classify loop on one thread. --flows-out: one CSV line per flow
 * (l4, client, server, protocol name, packets).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ndpi_api.h>

#define MAX_TCP_PKTS 80
#define MAX_UDP_PKTS 24

struct flow {
	uint8_t used, ipv, proto, done;
	uint16_t lo_port, hi_port;
	uint8_t lo[16], hi[16];
	uint8_t client_is_lo;
	uint32_t pkts;
	struct ndpi_flow_struct *nf;
	ndpi_protocol p;
};

static struct flow *tab;
static size_t tab_size, n_flows;

static uint64_t hash_key(const struct flow *k)
{
	uint64_t h = 1469598103934665603ULL;
	const uint8_t *parts[2] = { k->lo, k->hi };
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 16; b++)
			h = (h ^ parts[i][b]) * 1099511628211ULL;
	h = (h ^ ((uint64_t)k->lo_port << 16 | k->hi_port)) * 1099511628211ULL;
	h = (h ^ k->proto) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static struct flow *find(const struct flow *k, int *created)
{
	size_t i = hash_key(k) & (tab_size - 1);
	for (;;) {
		struct flow *f = &tab[i];
		if (!f->used) {
			*f = *k;
			f->used = 1;
			n_flows++;
			*created = 1;
			return f;
		}
		if (f->proto == k->proto && f->lo_port == k->lo_port && f->hi_port == k->hi_port &&
		    !memcmp(f->lo, k->lo, 16) && !memcmp(f->hi, k->hi, 16)) {
			*created = 0;
			return f;
		}
		i = (i + 1) & (tab_size - 1);
	}
}

static void grow(void)
{
	struct flow *old = tab;
	size_t os = tab_size;
	tab_size = os ? os * 2 : 1 << 16;
	tab = calloc(tab_size, sizeof(*tab));
	if (!tab) {
		perror("ndpi_bench");
		exit(1);
	}
	n_flows = 0;
	for (size_t i = 0; i < os; i++)
		if (old[i].used) {
			int c;
			struct flow *f = find(&old[i], &c);
			*f = old[i];
		}
	free(old);
}

int main(int argc, char **argv)
{
	const char *in = NULL, *flows_out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flows-out") && i + 1 < argc)
			flows_out = argv[++i];
		else if (!in)
			in = argv[i];
		else
			in = NULL, i = argc;
	}
	if (!in) {
		fprintf(stderr, "usage: ndpi_bench FILE.pcap [--flows-out FILE.csv]\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(in, err);
	if (!pc) {
		fprintf(stderr, "ndpi_bench: %s\n", err);
		return 1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "ndpi_bench: %s: only Ethernet captures\n", in);
		return 1;
	}
	struct ndpi_detection_module_struct *nd = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(nd, &all);
	ndpi_finalize_initialization(nd);
	grow();

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t pkts = 0, ip_pkts = 0, detect_calls = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		pkts++;
		uint32_t off = 14, cap = h->caplen;
		if (cap < 14)
			continue;
		uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
		while ((et == 0x8100 || et == 0x88a8) && cap >= off + 4) {
			et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
			off += 4;
		}
		struct flow k;
		memset(&k, 0, sizeof(k));
		const uint8_t *ip = d + off, *sa, *da;
		uint32_t l4off, iplen;
		if (et == 0x0800 && cap >= off + 20) {
			k.ipv = 4;
			k.proto = ip[9];
			l4off = (ip[0] & 0xf) * 4u;
			iplen = (uint32_t)(ip[2] << 8 | ip[3]);
			sa = ip + 12;
			da = ip + 16;
			if ((ip[6] << 8 | ip[7]) & 0x1fff)
				continue;
		} else if (et == 0x86dd && cap >= off + 40) {
			k.ipv = 6;
			k.proto = ip[6];
			l4off = 40;
			iplen = 40u + (uint32_t)(ip[4] << 8 | ip[5]);
			sa = ip + 8;
			da = ip + 24;
		} else {
			continue;
		}
		if (iplen > cap - off)
			iplen = cap - off;
		ip_pkts++;
		int alen = k.ipv == 4 ? 4 : 16;
		uint16_t sp = 0, dp = 0;
		if ((k.proto == 6 || k.proto == 17) && iplen >= l4off + 4) {
			sp = (uint16_t)(ip[l4off] << 8 | ip[l4off + 1]);
			dp = (uint16_t)(ip[l4off + 2] << 8 | ip[l4off + 3]);
		}
		int cmp = memcmp(sa, da, (size_t)alen);
		int src_lo = cmp < 0 || (cmp == 0 && sp <= dp);
		memcpy(k.lo, src_lo ? sa : da, (size_t)alen);
		memcpy(k.hi, src_lo ? da : sa, (size_t)alen);
		k.lo_port = src_lo ? sp : dp;
		k.hi_port = src_lo ? dp : sp;
		if (n_flows * 2 >= tab_size)
			grow();
		int created;
		struct flow *f = find(&k, &created);
		if (created) {
			f->client_is_lo = (uint8_t)src_lo;
			f->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
			memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
		}
		f->pkts++;
		if (f->done)
			continue;
		uint64_t ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		f->p = ndpi_detection_process_packet(nd, f->nf, ip, (unsigned short)iplen, ms);
		detect_calls++;
		if ((f->p.app_protocol != NDPI_PROTOCOL_UNKNOWN || f->p.master_protocol != NDPI_PROTOCOL_UNKNOWN) &&
		    !ndpi_extra_dissection_possible(nd, f->nf))
			f->done = 1;
		else if ((k.proto == 6 && f->pkts >= MAX_TCP_PKTS) || (k.proto != 6 && f->pkts >= MAX_UDP_PKTS))
			f->done = 2;
	}
	/* flows still undetected: give up (with guessing), as ndpiReader does at the end */
	uint64_t undetected = 0;
	for (size_t i = 0; i < tab_size; i++) {
		struct flow *f = &tab[i];
		if (!f->used)
			continue;
		if (f->p.app_protocol == NDPI_PROTOCOL_UNKNOWN && f->p.master_protocol == NDPI_PROTOCOL_UNKNOWN) {
			uint8_t guessed = 0;
			f->p = ndpi_detection_giveup(nd, f->nf, 1, &guessed);
			if (f->p.app_protocol == NDPI_PROTOCOL_UNKNOWN && f->p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
				undetected++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	fprintf(stderr, "ndpi: %" PRIu64 " packets, %zu flows in %.3f s (%.0f packets/s)\n", pkts, n_flows, s,
		(double)pkts / s);
	fprintf(stderr, "ndpi: %" PRIu64 " IP packets, %" PRIu64 " packets dissected, %" PRIu64
		" flows unknown, nDPI %s, flow struct %u bytes\n",
		ip_pkts, detect_calls, undetected, ndpi_revision(), (unsigned)SIZEOF_FLOW_STRUCT);

	if (flows_out) {
		FILE *o = fopen(flows_out, "w");
		if (!o) {
			perror(flows_out);
			return 1;
		}
		fprintf(o, "l4,client_ip,client_port,server_ip,server_port,ndpi,pkts\n");
		for (size_t i = 0; i < tab_size; i++) {
			struct flow *f = &tab[i];
			if (!f->used)
				continue;
			char cs[64], ss[64], name[64];
			int af = f->ipv == 4 ? AF_INET : AF_INET6;
			const uint8_t *c = f->client_is_lo ? f->lo : f->hi, *sv = f->client_is_lo ? f->hi : f->lo;
			inet_ntop(af, c, cs, sizeof(cs));
			inet_ntop(af, sv, ss, sizeof(ss));
			ndpi_protocol2name(nd, f->p, name, sizeof(name));
			const char *l4 = f->proto == 6 ? "tcp" : f->proto == 17 ? "udp" : NULL;
			char l4b[8];
			if (!l4) {
				snprintf(l4b, sizeof(l4b), "%u", f->proto);
				l4 = l4b;
			}
			fprintf(o, "%s,%s,%u,%s,%u,%s,%u\n", l4, cs, f->client_is_lo ? f->lo_port : f->hi_port, ss,
				f->client_is_lo ? f->hi_port : f->lo_port, name, f->pkts);
		}
		fclose(o);
	}
	for (size_t i = 0; i < tab_size; i++)
		if (tab[i].used)
			ndpi_flow_free(tab[i].nf);
	free(tab);
	ndpi_exit_detection_module(nd);
	pcap_close(pc);
	return 0;
}
