/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the registry loader: the input is a whole registry
 * file. Valid ones are built into real DPDK tables and probed, so the
 * parser, the sort/duplicate pass and the table building are all covered.
 * Link with tests/unit/stub_classifiers.c (wireguard = 1, openvpn = 2).
 */
#define _GNU_SOURCE

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "registry.h"

static int input_fd = -1;
static char input_path[64];
static uint64_t generation;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = { "fuzz", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=lib.eal:error", "--log-level=lib.lpm:critical" };

	(void)argc;
	(void)argv;
	/* one table pair needs ~130 MiB of DPDK memory; 512 leaves room */
	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		abort();
	}
	/* a memfd keeps the inputs off the disk; /proc gives it a path */
	input_fd = memfd_create("fuzz_registry", 0);
	if (input_fd < 0) {
		perror("memfd_create");
		abort();
	}
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (ftruncate(input_fd, 0) < 0 || lseek(input_fd, 0, SEEK_SET) < 0)
		abort();
	while (off < size) {
		ssize_t n = write(input_fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

/* Probes addresses made from the input so lookups hit the loaded prefixes. */
static void probe(const struct registry *r, const uint8_t *data, size_t size)
{
	struct registry_stats st;
	uint8_t addr[16] = { 0 };
	size_t i;

	for (i = 0; i + 16 <= size && i < 16 * 64; i += 16) {
		memcpy(addr, data + i, 16);
		registry_lookup(r, 4, addr, (uint16_t)(addr[4] << 8 | addr[5]), addr[6] % 4,
				(int64_t)addr[7] << 28);
		registry_lookup(r, 6, addr, (uint16_t)(addr[8] << 8 | addr[9]), addr[10] % 4,
				(int64_t)addr[11] << 28);
	}
	memset(addr, 0, sizeof(addr));
	registry_lookup(r, 4, addr, 0, 0, 0);
	registry_lookup(r, 6, addr, 65535, 1, INT64_MAX);
	registry_get_stats(r, 0, &st);
	if (st.entries != st.v4_entries + st.v6_entries)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry *r = NULL;
	char err[512];
	int ret;

	write_input(data, size);
	ret = registry_load(input_path, generation++, &r, err, sizeof(err), NULL);
	/* the contract: success builds a registry, failure builds nothing and says why */
	if ((ret == 0) != (r != NULL) || (ret != 0 && err[0] == '\0'))
		abort();
	if (r) {
		probe(r, data, size);
		registry_free(r);
	}
	return 0;
}
