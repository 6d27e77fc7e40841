/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the XDP enforcer's packet parsing, in the kernel:
 * every input is run through the loaded program (BPF_PROG_TEST_RUN) and
 * its answer held to what tundra's parser implies (tests/unit/xdp_oracle.h).
 *
 * At start the flows of the seed frames (every file in the directories on
 * the command line that parses) are blocked, so mutations of a seed that
 * keep its 5-tuple but break a length must still pass. Each input whose
 * flow is not among them is also run with its own flow blocked, and must
 * then drop. The verifier already proves the program memory-safe; what is
 * fuzzed is that it drops exactly what tundra would judge.
 *
 * Loading BPF needs root or CAP_BPF: without it the target says so and
 * exits 77, which meson reports as SKIP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp.h"
#include "../unit/xdp_oracle.h"

#define REQUIRE(c)             \
	do {                   \
		if (!(c))      \
			abort(); \
	} while (0)

/* The largest frame BPF_PROG_TEST_RUN takes for XDP is a page less head- and tailroom. */
#define MAX_FRAME 3000

static struct xdp_enforce *x;
static int prog_fd, map_fd;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void block_key(const struct tundra_xdp_key *k)
{
	struct tundra_xdp_val v = {.expires_ns = UINT64_MAX, .last_hit_ns = 0};
	REQUIRE(bpf_map_update_elem(map_fd, k, &v, BPF_ANY) == 0);
}

static void block_seeds(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		uint8_t buf[MAX_FRAME];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct tundra_xdp_key k;
		if (n >= XDP_ORACLE_MIN_LEN && xdp_oracle_key(buf, (uint32_t)n, &k))
			block_key(&k);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *none[] = {NULL};
	struct xdp_enforce_config c = {
		.ifnames = none,
		.ttl_s = 10,
		.max_flows = 1024,
		.tcp_idle_ns = 300000000000ull,
		.other_idle_ns = 120000000000ull,
	};
	char err[512];
	x = xdp_enforce_open(&c, err, sizeof(err));
	if (x == NULL) {
		fprintf(stderr, "fuzz_xdp: SKIP: this process may not load BPF programs: %s\n", err);
		exit(77);
	}
	prog_fd = xdp_enforce_prog_fd(x);
	map_fd = xdp_enforce_map_fd(x);
	for (int i = 1; i < *argc; i++)
		if ((*argv)[i][0] != '-')
			block_seeds((*argv)[i]);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < XDP_ORACLE_MIN_LEN || size > MAX_FRAME)
		return 0;
	uint32_t len = (uint32_t)size;
	/* now_ns is irrelevant: every entry here lives for ever. */
	int got = xdp_oracle_run(prog_fd, data, len);
	REQUIRE(got == xdp_oracle_expect(map_fd, data, len, 0));

	struct tundra_xdp_key k;
	struct tundra_xdp_val v;
	if (!xdp_oracle_key(data, len, &k) || bpf_map_lookup_elem(map_fd, &k, &v) == 0)
		return 0;
	block_key(&k);
	REQUIRE(xdp_oracle_run(prog_fd, data, len) == XDP_DROP);
	REQUIRE(bpf_map_delete_elem(map_fd, &k) == 0);
	REQUIRE(xdp_oracle_run(prog_fd, data, len) == XDP_PASS);
	return 0;
}
