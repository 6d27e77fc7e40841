/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_parse: cycles per packet of the parse stage's per-packet work
 * (parse_packet, then flow_key_make's canonical key and CRC) over the frames
 * of a pcap held in memory, without EAL, NIC or flow table. The frames are
 * parsed in bursts of 32 into one array of pkt_info, as the worker does, so
 * the figure is the hot-cache cost of the code itself: the live stage adds
 * the cache misses on packet data that the prefetches do not hide.
 *
 * bench_parse FILE.pcap [ROUNDS]: prints the median over ROUNDS (default 31)
 * of the cycles per packet of a pass over every frame, for parse alone and
 * for parse + key + hash.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "flow.h"
#include "parse.h"

#define BURST 32
#define MAX_FRAMES 200000

static const uint8_t *frame[MAX_FRAMES];
static uint32_t frame_len[MAX_FRAMES];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pass(uint32_t n, int with_key, uint64_t *sink)
{
	struct pkt_info pi[BURST];
	struct flow_key key[BURST];
	uint64_t t0 = rte_rdtsc();
	for (uint32_t i = 0; i < n; i += BURST) {
		uint32_t m = n - i < BURST ? n - i : BURST;
		for (uint32_t j = 0; j < m; j++) {
			enum parse_result r = parse_packet(frame[i + j], frame_len[i + j], &pi[j]);
			if (with_key && r == PARSE_OK) {
				bool lo;
				*sink += flow_key_make(&pi[j], &key[j], &lo);
			} else {
				*sink += (uint64_t)r + pi[j].payload_off;
			}
		}
	}
	return rte_rdtsc() - t0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_parse FILE.pcap [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 31;
	if (rounds < 1 || rounds > 1001)
		rounds = 31;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (p == NULL) {
		fprintf(stderr, "bench_parse: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t n = 0;
	while (n < MAX_FRAMES && pcap_next_ex(p, &h, &d) == 1) {
		uint8_t *copy = malloc(h->caplen ? h->caplen : 1);
		if (copy == NULL)
			return 1;
		memcpy(copy, d, h->caplen);
		frame[n] = copy;
		frame_len[n++] = h->caplen;
	}
	pcap_close(p);
	if (n == 0) {
		fprintf(stderr, "bench_parse: no frames\n");
		return 2;
	}
	uint64_t sink = 0, *t = calloc((size_t)rounds, sizeof(*t));
	if (t == NULL)
		return 1;
	for (int with_key = 0; with_key <= 1; with_key++) {
		pass(n, with_key, &sink); /* warm the caches and the branch predictors */
		for (int r = 0; r < rounds; r++)
			t[r] = pass(n, with_key, &sink);
		qsort(t, (size_t)rounds, sizeof(*t), cmp_u64);
		printf("%s: %.1f cycles/packet (median of %d passes over %u frames)\n",
		       with_key ? "parse + key + hash" : "parse", (double)t[rounds / 2] / n, rounds, n);
	}
	fprintf(stderr, "(%" PRIu64 ")\n", sink);
	free(t);
	return 0;
}
