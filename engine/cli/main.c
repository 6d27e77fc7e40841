/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra: finds VPN handshakes in traffic, looks each VPN flow's server
 * endpoint up in the registry and gives every flow a verdict.
 *
 * This file only picks the command; each command is a cmd_*.c of its own,
 * its options come from the one table in options.h, and the engine it
 * drives lives in engine/control (the control lcore) and engine/packet
 * (the workers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_version.h>

#include "classifier.h"
#include "commands.h"
#include "config.h"
#include "options.h"
#include "stats.h"

/*
 * --config FILE anywhere after the command: its options go before the
 * command line's (so the command line wins), its eal: list before the
 * command line's EAL arguments.
 */
static int apply_config(int *argc, char ***argv, struct config_args *cfg)
{
	int n = *argc, at = -1;
	char **v = *argv;
	for (int i = 2; i + 1 < n; i++)
		if (strcmp(v[i], "--config") == 0) {
			at = i;
			break;
		}
	if (at < 0)
		return 0;
	char err[512];
	if (config_load(v[at + 1], options_getopt_table(), cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return -1;
	}
	char **nv = calloc((size_t)(n + cfg->n_eal + cfg->n_opts + 2), sizeof(char *));
	if (nv == NULL)
		return -1;
	int k = 0, run = strcmp(v[1], "run") == 0, dashdash = -1;
	nv[k++] = v[0];
	nv[k++] = v[1];
	for (int i = 2; i < n; i++)
		if (strcmp(v[i], "--") == 0) {
			dashdash = i;
			break;
		}
	if (run) {
		for (int i = 0; i < cfg->n_eal; i++)
			nv[k++] = cfg->eal[i];
		for (int i = 2; i < (dashdash >= 0 ? dashdash : n); i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
		nv[k++] = "--";
		for (int i = 0; i < cfg->n_opts; i++)
			nv[k++] = cfg->opts[i];
		for (int i = dashdash >= 0 ? dashdash + 1 : n; i < n; i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
	} else {
		for (int i = 0; i < cfg->n_opts; i++)
			nv[k++] = cfg->opts[i];
		for (int i = 2; i < n; i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
	}
	nv[k] = NULL;
	*argc = k;
	*argv = nv;
	return 0;
}


static int cmd_apps(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* The app labels this build can give, one per line, in table order. */
	for (unsigned int i = 1; i <= tundra_n_classifiers; i++)
		printf("%s\n", classifier_name(i));
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("tundra %s (%s, Hyperscan %s)\n", TUNDRA_VERSION, rte_version(), hs_version());
	return 0;
}

static int cmd_counters(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	stats_print_reference(stdout);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	options_usage(stdout);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	int skip;                  /* words of argv the command does not see */
} commands[] = {
	{"classify", cmd_classify, 1},
	{"run", cmd_run, 1},
	{"registry", cmd_registry, 2},
	{"apps", cmd_apps, 1},
	{"counters", cmd_counters, 1},
	{"version", cmd_version, 1},
	{"--version", cmd_version, 1},
	{"help", cmd_help, 1},
	{"--help", cmd_help, 1},
	{"-h", cmd_help, 1},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		options_usage(stderr);
		return 2;
	}
	struct config_args cfg = {0};
	if (apply_config(&argc, &argv, &cfg) != 0)
		return 2;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - commands[i].skip, argv + commands[i].skip);
	fprintf(stderr, "tundra: unknown command '%s'\n", argv[1]);
	options_usage(stderr);
	return 2;
}
