/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the configuration file reader (config_load,
 * engine/cli/config.c) with tundra's own option table: the input is a
 * whole YAML file. Checks the contract: success gives NULL-terminated
 * word lists whose keys are known options, failure gives nothing and a
 * message naming the file.
 */
#define _GNU_SOURCE

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "options.h"

static int input_fd = -1;
static char input_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	input_fd = memfd_create("fuzz_config", 0);
	if (input_fd < 0)
		abort();
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	return 0;
}

static int known(const struct option *t, const char *word)
{
	if (strncmp(word, "--", 2) != 0)
		return 0;
	for (; t->name; t++)
		if (strcmp(t->name, word + 2) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(input_fd, 0) < 0 || lseek(input_fd, 0, SEEK_SET) < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(input_fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	const struct option *table = options_getopt_table();
	struct config_args c;
	char err[512];
	int rc = config_load(input_path, table, &c, err, sizeof(err));
	if (rc != 0) {
		if (strncmp(err, input_path, strlen(input_path)) != 0 || c.n_opts || c.n_eal || c.opts || c.eal)
			abort();
		return 0;
	}
	if ((c.n_eal && c.eal[c.n_eal] != NULL) || (c.n_opts && c.opts[c.n_opts] != NULL))
		abort();
	/* Every option word is a known "--key", followed by its value unless it is a flag. */
	for (int i = 0; i < c.n_opts; i++) {
		if (!known(table, c.opts[i]))
			abort();
		const struct option *o = table;
		while (strcmp(o->name, c.opts[i] + 2) != 0)
			o++;
		if (o->has_arg == required_argument)
			i++;
	}
	config_free(&c);
	return 0;
}
