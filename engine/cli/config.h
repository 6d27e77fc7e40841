/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration file: a YAML mapping whose keys are tundra's long options,
 * plus `eal:`, a list of EAL arguments. It is turned into arguments placed
 * before the command line's, so any flag given on the command line wins.
 *
 *   eal: [-l, "1,2-5", -a, "0000:3b:00.0"]
 *   port: 0
 *   pair: 1
 *   mode: enforce
 *   registry: /etc/tundra/registry.csv
 *   policy: [app=ike:allow, sector=mission:monitor]
 *   enforce-likely: false
 */
#ifndef TUNDRA_CONFIG_H
#define TUNDRA_CONFIG_H

#include <stddef.h>

struct config_args {
	char **eal;         /* EAL arguments */
	int n_eal;
	char **opts;        /* "--key", "value", ... */
	int n_opts;
};

struct option;

/* 0 on success; -1 with "file:line: problem" in err. Keys must be among known (plus eal). */
int config_load(const char *path, const struct option *known, struct config_args *out, char *err,
		size_t errlen);
void config_free(struct config_args *c);

#endif
