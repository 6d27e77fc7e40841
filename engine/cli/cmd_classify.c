/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra classify FILE: offline classification of a capture. The EAL is
 * started here with arguments tundra makes itself (no hugepages unless
 * asked, no devices, memory sized to the flow tables); the run is
 * offline.c's.
 */
#define _GNU_SOURCE
#include "commands.h"

#include <inttypes.h>
#include <sched.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "offline.h"
#include "options.h"
#include "registry.h"

/* EAL arguments for offline work: no hugepages, no devices, workers float over our CPUs. */
static int offline_eal_args(unsigned int workers, uint32_t flows, const char *registry, bool huge, char **argv,
			    char *buf, size_t len)
{
	cpu_set_t set;
	unsigned int ncpu = 0, first = 0, last = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (unsigned int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set)) {
				if (ncpu == 0)
					first = c;
				last = c;
				ncpu++;
			}
	}
	if (ncpu == 0)
		ncpu = 1;
	/* Memory: flow tables (~0.5 KiB per flow with the hash), rings, mbufs. */
	uint64_t mb = 256 + (uint64_t)workers * ((uint64_t)flows * 512 / (1 << 20) + 48);
	mb += registry_mem_estimate_mb(registry);
	int argc = 0;
	char *p = buf;
	argv[argc++] = "tundra";
	/* Hugepages spare large flow tables most TLB misses; the default needs no set-up. */
	argv[argc++] = huge ? "--in-memory" : "--no-huge";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=*:error";
	argv[argc++] = "-m";
	argv[argc++] = p;
	p += snprintf(p, len, "%" PRIu64, mb) + 1;
	argv[argc++] = "--lcores";
	argv[argc++] = p;
	/* Contiguous affinity is the common case; otherwise float over all CPUs. */
	if (last - first + 1 == ncpu)
		snprintf(p, len - (size_t)(p - buf), "(0-%u)@(%u-%u)", workers, first, last);
	else
		snprintf(p, len - (size_t)(p - buf), "(0-%u)@(0-%u)", workers, last);
	argv[argc] = NULL;
	return argc;
}


int cmd_classify(int argc, char **argv)
{
	struct engine e;
	memset(&e, 0, sizeof(e));
	options_default(&e.o);
	int prc = options_parse(argc, argv, CMD_CLASSIFY, &e.o);
	if (prc != 0)
		return prc > 0 ? 0 : 2;
	e.offline = true;
	e.n_workers = e.o.workers;

	/* Open the capture first: a bad file should not cost an EAL start. */
	char err[512];
	struct pcap_in *in;
	if (pcap_in_open(e.o.input, &in, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return 2;
	}
	char *eal_argv[16], eal_buf[128];
	int eal_argc = offline_eal_args(e.n_workers, e.o.flows_per_worker, e.o.registry, e.o.hugepages, eal_argv,
					eal_buf, sizeof(eal_buf));
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		pcap_in_close(in);
		return 2;
	}
	int rc = offline_run(&e, in);
	pcap_in_close(in);
	rte_eal_cleanup();
	return rc;
}
