/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file's reader, on libyaml's event parser: one flat
 * mapping whose values are scalars or lists, turned into argument words;
 * anything else is refused with the file and line.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static int push(char ***v, int *n, const char *s)
{
	char **nv = realloc(*v, (size_t)(*n + 2) * sizeof(char *));
	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	nv[*n] = NULL;
	return 0;
}

/*
 * A key's value as argument words. A flag takes a boolean: true is the
 * bare flag, false leaves the default. An option with an argument takes
 * its value as written, even "true" (a bare "--registry" would swallow
 * the next option as its file). 1: the value does not fit the key.
 */
static int add_option(struct config_args *c, const struct option *o, const char *value)
{
	char flag[128];
	snprintf(flag, sizeof(flag), "--%s", o->name);
	if (o->has_arg == no_argument) {
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
			return push(&c->opts, &c->n_opts, flag);
		if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
			return 0;
		return 1;
	}
	if (push(&c->opts, &c->n_opts, flag) != 0)
		return -1;
	return push(&c->opts, &c->n_opts, value);
}

static const struct option *known_key(const struct option *known, const char *key)
{
	for (; known->name; known++)
		if (strcmp(known->name, key) == 0)
			return known;
	return NULL;
}

int config_load(const char *path, const struct option *known, struct config_args *out, char *err,
		size_t errlen)
{
	memset(out, 0, sizeof(*out));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	enum { TOP, KEY_DONE, IN_SEQ } state = TOP;
	char key[96] = "";
	int depth = 0, rc = 0, done = 0;
	err[0] = '\0';
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(err, errlen, "%s:%zu: %s", path, p.problem_mark.line + 1,
				 p.problem ? p.problem : "YAML syntax error");
			rc = -1;
			break;
		}
		unsigned long line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
			if (++depth > 1) {
				snprintf(err, errlen, "%s:%lu: nested mappings are not options (keys are flat)", path, line);
				rc = -1;
			}
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (state != KEY_DONE) {
				snprintf(err, errlen, "%s:%lu: a list must be the value of a key", path, line);
				rc = -1;
			}
			state = IN_SEQ;
			break;
		case YAML_SEQUENCE_END_EVENT:
			state = TOP;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			if (depth != 1) {
				snprintf(err, errlen, "%s:%lu: expected a mapping of option: value", path, line);
				rc = -1;
			} else if (state == TOP) {
				if (strlen(v) >= sizeof(key) || strspn(v, "abcdefghijklmnopqrstuvwxyz-") != strlen(v)) {
					snprintf(err, errlen, "%s:%lu: '%s' is not an option name", path, line, v);
					rc = -1;
				}
				snprintf(key, sizeof(key), "%s", v);
				if (rc == 0 && strcmp(key, "eal") != 0 && !known_key(known, key)) {
					snprintf(err, errlen, "%s:%lu: unknown option '%s' (see tundra --help)", path, line, key);
					rc = -1;
				}
				state = KEY_DONE;
			} else if (strcmp(key, "eal") == 0) {
				if (state != IN_SEQ) {
					snprintf(err, errlen, "%s:%lu: eal: expects a list of EAL arguments", path, line);
					rc = -1;
				} else {
					rc = push(&out->eal, &out->n_eal, v);
				}
			} else {
				rc = add_option(out, known_key(known, key), v);
				if (rc > 0) {
					snprintf(err, errlen, "%s:%lu: %s is a flag: true or false, not '%.60s'", path, line,
						 key, v);
					rc = -1;
				}
				if (state == KEY_DONE)
					state = TOP;
			}
			break;
		}
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (rc != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "%s: out of memory", path);
			break;
		}
	}
	yaml_parser_delete(&p);
	fclose(f);
	if (rc != 0)
		config_free(out);
	return rc;
}

void config_free(struct config_args *c)
{
	for (int i = 0; i < c->n_eal; i++)
		free(c->eal[i]);
	for (int i = 0; i < c->n_opts; i++)
		free(c->opts[i]);
	free(c->eal);
	free(c->opts);
	memset(c, 0, sizeof(*c));
}
