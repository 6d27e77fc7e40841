/* SPDX-License-Identifier: BSD-3-Clause */
/* tundra registry check FILE: validates a registry file, as a reload would, and reports what it holds. */
#include "commands.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "engine.h"
#include "options.h"
#include "registry.h"

int cmd_registry(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "check") != 0) {
		options_usage(stderr);
		return 2;
	}
	char mb[32];
	snprintf(mb, sizeof(mb), "%" PRIu64, 128 + registry_mem_estimate_mb(argv[1]));
	char *eal_argv[] = {"tundra", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			    "--log-level=*:error", "-m", mb, "-l", "0", NULL};
	if (rte_eal_init(10, eal_argv) < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	char err[512];
	struct registry *r;
	int rc = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int lrc = registry_load(argv[1], 1, &r, err, sizeof(err), stderr);
	double load_s = engine_elapsed(&t0);
	if (lrc != 0) {
		fprintf(stderr, "tundra: %s: not valid\n", argv[1]);
		rc = 1;
	} else {
		struct registry_stats st;
		registry_get_stats(r, time(NULL), &st);
		printf("%s: valid: %u entries (%u IPv4, %u IPv6) in %u IPv4 and %u IPv6 prefixes, %u expired; "
		       "%.1f MiB of tables; loaded in %.3f s\n",
		       argv[1], st.entries, st.v4_entries, st.v6_entries, st.v4_prefixes, st.v6_prefixes, st.expired,
		       (double)st.memory_bytes / (1 << 20), load_s);
		for (unsigned int s = 0; s < SECTOR_COUNT; s++)
			if (st.per_sector[s])
				printf("  %-12s %u\n", registry_sector_name((uint8_t)s), st.per_sector[s]);
		registry_free(r);
	}
	rte_eal_cleanup();
	return rc;
}
