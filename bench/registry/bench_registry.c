/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_registry: registry load, reload and lookup speed at a given size.
 *
 *   bench_registry N [DIR [keep]]
 *
 * Writes a registry CSV of N distinct prefixes (90% IPv4 /24 or /32, 10% IPv6
 * /64, a third with a port, some with a protocol) to DIR (default
 * /tmp), loads it (registry_load: parse + build the LPM tables), loads it
 * again as the next generation while the first still serves and frees the
 * old one (what a reload costs the control core), then times
 * registry_lookup() on 4M addresses (half inside registered prefixes, half
 * random) from one thread. Prints one JSON object on stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "registry.h"

static uint64_t st = 88172645463325252ULL;

static inline uint64_t xs(void)
{
	st ^= st << 13;
	st ^= st >> 7;
	st ^= st << 17;
	return st;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define NQ (1u << 22)

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_registry N [DIR]\n");
		return 2;
	}
	unsigned long n = strtoul(argv[1], NULL, 0);
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char *args[] = { "bench_registry", "--no-huge", "-m", "3072", "--no-pci", "--no-shconf",
			 "--no-telemetry", "-l", "0", "--log-level=lib.eal:error", "--log-level=lib.lpm:critical" };
	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/bench-registry-%lu.csv", dir, n);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		return 1;
	}
	fprintf(f, "prefix,port,protocol,registrant_id,registrant_name,sector\n");
	static const char *sectors[] = { "bank", "it", "mission", "university", "callcentre", "freelancer", "other" };
	uint32_t *v4 = malloc(sizeof(uint32_t) * (n + 1));
	uint8_t *v4d = malloc(n + 1);
	unsigned long n4 = 0;
	for (unsigned long i = 0; i < n; i++) {
		const char *proto = i % 7 == 0 ? "wireguard" : i % 11 == 0 ? "openvpn" : "";
		char port[16] = "";
		if (i % 3 == 0)
			snprintf(port, sizeof(port), "%lu", 1 + (i * 7919) % 65535);
		if (i % 10 != 9) {
			/* distinct IPv4 prefixes: a bijection on 24 bits, /24 or (one in 5) /32 */
			uint32_t a = ((uint32_t)(i * 2654435761u) & 0xffffffu) << 8;
			int depth = i % 5 == 0 ? 32 : 24;
			if (depth == 32)
				a |= (uint32_t)(1 + i % 254);
			uint32_t m = depth == 0 ? 0 : ~0u << (32 - depth);
			a &= m;
			v4[n4] = a;
			v4d[n4++] = (uint8_t)depth;
			fprintf(f, "%u.%u.%u.%u/%d,%s,%s,R-%lu,Registrant %lu,%s\n", a >> 24, (a >> 16) & 255,
				(a >> 8) & 255, a & 255, depth, port, proto, i, i, sectors[i % 7]);
		} else {
			fprintf(f, "2001:db8:%lx:%lx::/64,%s,%s,R-%lu,Registrant %lu,%s\n", (i >> 16) & 0xffff,
				i & 0xffff, port, proto, i, i, sectors[i % 7]);
		}
	}
	fclose(f);

	char err[512];
	struct registry *r = NULL, *r2 = NULL;
	double t = now_s();
	int ret = registry_load(path, 1, &r, err, sizeof(err), NULL);
	double load_s = now_s() - t;
	if (ret < 0 || !r) {
		fprintf(stderr, "bench_registry: load failed: %s\n", err);
		return 1;
	}
	t = now_s();
	ret = registry_load(path, 2, &r2, err, sizeof(err), NULL);
	registry_free(r);
	double reload_s = now_s() - t;
	if (ret < 0 || !r2) {
		fprintf(stderr, "bench_registry: reload failed: %s\n", err);
		return 1;
	}
	r = r2;
	struct registry_stats rs;
	registry_get_stats(r, 0, &rs);

	/* queries */
	uint8_t(*q)[4] = malloc(sizeof(*q) * NQ);
	for (uint32_t i = 0; i < NQ; i++) {
		uint32_t a;
		if ((i & 1) && n4) {
			uint64_t k = xs() % n4;
			a = v4[k] | (uint32_t)(xs() & (v4d[k] == 32 ? 0 : (~0u >> v4d[k])));
		} else {
			a = (uint32_t)xs();
		}
		q[i][0] = (uint8_t)(a >> 24);
		q[i][1] = (uint8_t)(a >> 16);
		q[i][2] = (uint8_t)(a >> 8);
		q[i][3] = (uint8_t)a;
	}
	uint64_t hits = 0;
	uint8_t addr[16] = { 0 };
	t = now_s();
	for (int rep = 0; rep < 2; rep++)
		for (uint32_t i = 0; i < NQ; i++) {
			memcpy(addr, q[i], 4);
			hits += registry_lookup(r, 4, addr, (uint16_t)(1 + i % 65535), (uint8_t)(i % 3),
						1700000000) != NULL;
		}
	double look_s = now_s() - t;
	printf("{\"prefixes\":%lu,\"entries\":%u,\"load_s\":%.4f,\"reload_s\":%.4f,\"memory_bytes\":%zu,"
	       "\"lookups\":%u,\"lookup_hits\":%" PRIu64 ",\"lookups_per_s\":%.0f,\"ns_per_lookup\":%.1f}\n",
	       n, rs.entries, load_s, reload_s, rs.memory_bytes, 2 * NQ, hits, 2.0 * NQ / look_s,
	       look_s * 1e9 / (2.0 * NQ));
	registry_free(r);
	if (argc < 4 || strcmp(argv[3], "keep"))
		remove(path);
	free(q);
	free(v4);
	free(v4d);
	rte_eal_cleanup();
	return 0;
}
