/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra run [EAL options] -- [options]: the live engine on DPDK ports.
 * The EAL takes its own arguments first; the run is live.c's.
 */
#include "commands.h"

#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "live.h"
#include "options.h"

int cmd_run(int argc, char **argv)
{
	struct timespec t_start;
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= eal;
	argv += eal;
	argv[0] = "tundra run";

	struct engine e;
	memset(&e, 0, sizeof(e));
	e.t_start = t_start;
	options_default(&e.o);
	int rc = options_parse(argc, argv, CMD_RUN, &e.o);
	if (rc == 0 && e.o.tx_port >= 0 && e.o.pair_port >= 0) {
		fprintf(stderr, "tundra run: --tx-port and --pair exclude each other\n");
		rc = -1;
	}
	if (rc == 0)
		rc = live_run(&e);
	else
		rc = rc > 0 ? 0 : 2;
	rte_eal_cleanup();
	return rc;
}
