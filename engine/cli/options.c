/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The option table (options.h) turned into getopt's table, the defaults,
 * the parser and the usage text. Nothing here knows one option from
 * another: per-option meaning lives with the code that reads its field.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

enum opt_kind { K_FLAG, K_UINT, K_STR, K_PORT, K_MODE, K_LIST, K_STALL, K_FAULT };

enum opt_id {
	OPT_FIRST_ = 256,
#define OPT_ENUM(name, id, ...) OPT_##id,
	TUNDRA_OPTIONS(OPT_ENUM)
#undef OPT_ENUM
};

struct opt_desc {
	const char *name;
	int id;
	enum opt_kind kind;
	size_t off;
	uint32_t min, max;
	unsigned int cmds;
	const char *arg;
	const char *help;
};

static const struct opt_desc descs[] = {
#define OPT_DESC(name, id, kind, field, def, mn, mx, cmds, arg, help)                                        \
	{name, OPT_##id, K_##kind, offsetof(struct options, field), mn, mx, cmds, arg, help},
	TUNDRA_OPTIONS(OPT_DESC)
#undef OPT_DESC
};
#define N_OPTS (sizeof(descs) / sizeof(descs[0]))

static const struct option long_opts[] = {
#define OPT_GETOPT(name, id, kind, ...) {name, K_##kind == K_FLAG ? no_argument : required_argument, NULL, OPT_##id},
	TUNDRA_OPTIONS(OPT_GETOPT)
#undef OPT_GETOPT
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

const struct option *options_getopt_table(void)
{
	return long_opts;
}

void options_default(struct options *o)
{
	memset(o, 0, sizeof(*o));
#define OPT_DEF(name, id, kind, field, def, ...) o->field = (OPT_TYPE_##kind)def;
	TUNDRA_OPTIONS(OPT_DEF)
#undef OPT_DEF
}

static const char *cmd_name(unsigned int cmd)
{
	return cmd == CMD_RUN ? "run" : "classify";
}

static int parse_uint(const struct opt_desc *d, const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || x > max || x < d->min) {
		fprintf(stderr, "tundra: --%s: '%s' is not a number in %" PRIu32 "..%" PRIu64 "\n", d->name, s,
			d->min, max);
		return -1;
	}
	*v = x;
	return 0;
}

static int parse_value(const struct opt_desc *d, const char *arg, struct options *o)
{
	void *field = (char *)o + d->off;
	uint64_t v;
	switch (d->kind) {
	case K_FLAG:
		*(uint8_t *)field = 1;
		return 0;
	case K_STR:
		*(const char **)field = arg;
		return 0;
	case K_UINT:
		if (parse_uint(d, arg, d->max, &v) != 0)
			return -1;
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	case K_PORT:
		if (parse_uint(d, arg, RTE_MAX_ETHPORTS - 1, &v) != 0)
			return -1;
		*(int32_t *)field = (int32_t)v;
		return 0;
	case K_MODE:
		if (strcmp(arg, "monitor") == 0 || strcmp(arg, "enforce") == 0) {
			*(uint8_t *)field = arg[0] == 'e';
			return 0;
		}
		fprintf(stderr, "tundra: --%s: '%s' is neither monitor nor enforce\n", d->name, arg);
		return -1;
	case K_LIST: {
		struct opt_list *l = field;
		if (l->n == OPT_LIST_MAX) {
			fprintf(stderr, "tundra: --%s: at most %d\n", d->name, OPT_LIST_MAX);
			return -1;
		}
		l->v[l->n++] = arg;
		return 0;
	}
	case K_STALL: {
		struct opt_stall *st = field;
		unsigned int wi, ms, after = 0;
		char tail;
		bool at = strchr(arg, '@') != NULL;
		int n = at ? sscanf(arg, "%u:%u@%u%c", &wi, &ms, &after, &tail) : sscanf(arg, "%u:%u%c", &wi, &ms, &tail);
		if (n != (at ? 3 : 2) || ms == 0 || ms > 60000 || wi > 64 || after > 3600000 || (n == 3 && after == 0)) {
			fprintf(stderr, "tundra: --%s: expected WORKER:MS[@AFTER] (MS in 1..60000, AFTER in ms)\n",
				d->name);
			return -1;
		}
		st->worker = (int)wi;
		st->ms = ms;
		st->after_ms = after;
		return 0;
	}
	case K_FAULT: {
		struct opt_fault *ft = field;
		unsigned int wi, ms = 0;
		int used = 0;
		if (strncmp(arg, "worker-panic:", 13) != 0 ||
		    (sscanf(arg + 13, "%u%n:%u%n", &wi, &used, &ms, &used) < 1) || arg[13 + used] != '\0' ||
		    wi >= 64 || ms > 3600000) {
			fprintf(stderr, "tundra: --%s: expected worker-panic:WORKER[:MS] (MS in 0..3600000)\n", d->name);
			return -1;
		}
		ft->worker = (int)wi;
		ft->after_ms = ms;
		return 0;
	}
	}
	return -1;
}

static const struct opt_desc *desc_of(int id)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (descs[i].id == id)
			return &descs[i];
	return NULL;
}

int options_parse(int argc, char **argv, unsigned int cmd, struct options *o)
{
	optind = 1;
	opterr = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "h", long_opts, NULL);
		if (c == -1)
			break;
		if (c == 'h') {
			options_usage(stdout);
			return 1;
		}
		const struct opt_desc *d = desc_of(c);
		if (d == NULL) {
			options_usage(stderr);
			return -1;
		}
		if (!(d->cmds & cmd)) {
			fprintf(stderr, "tundra %s: --%s is an option of tundra %s only\n", cmd_name(cmd), d->name,
				cmd_name(d->cmds));
			return -1;
		}
		if (parse_value(d, optarg, o) != 0)
			return -1;
	}
	if (cmd == CMD_CLASSIFY) {
		if (optind != argc - 1) {
			fprintf(stderr, "tundra classify: give exactly one capture file\n");
			options_usage(stderr);
			return -1;
		}
		o->input = argv[optind];
	} else if (optind != argc) {
		fprintf(stderr, "tundra run: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static void usage_of(FILE *out, unsigned int cmd)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_desc *d = &descs[i];
		if ((d->cmds & CMD_BOTH) != cmd)
			continue;
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(out, "    %-32s %s\n", left, d->help);
	}
}

void options_usage(FILE *out)
{
	fputs("usage:\n"
	      "  tundra classify FILE.pcap [options]   offline, on DPDK without hugepages or NICs;\n"
	      "                                        time is the capture's time\n"
	      "  tundra run [EAL options] -- [options] live on DPDK ports; the main lcore controls,\n"
	      "                                        every other lcore is a worker with its own RX queue\n"
	      "  tundra registry check FILE            validate a registry file\n"
	      "  tundra apps | counters | --version   app labels; every counter (Markdown)\n"
	      "  any command: --config FILE.yaml (keys = long options, eal: [EAL args]; flags given win)\n"
	      "\n"
	      "options of classify and run:\n",
	      out);
	usage_of(out, CMD_BOTH);
	fputs("options of classify:\n", out);
	usage_of(out, CMD_CLASSIFY);
	fputs("options of run (SIGHUP or 'reload' on the control socket reloads the registry):\n", out);
	usage_of(out, CMD_RUN);
}
