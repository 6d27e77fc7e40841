/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the control socket's request parser (ctl_parse,
 * engine/control/ctlcmd.c): the input is what a client sends on one
 * connection. Checks the contract: the answer is one line that starts as
 * the command's kind says, a command acted on is one short printable line
 * whose words are that command's, and a small reply buffer only shortens
 * the answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The line's words joined by one space, or NULL when it is not one short printable line. */
static char *words(const uint8_t *d, size_t n, char *out)
{
	const uint8_t *nl = memchr(d, '\n', n);
	size_t line = nl ? (size_t)(nl - d) : n;
	if (nl && line + 1 != n)
		return NULL;
	if (line && d[line - 1] == '\r')
		line--;
	if (line > CTL_MAX_LINE)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < line; i++) {
		if (d[i] < 0x20 || d[i] > 0x7e)
			return NULL;
		if (d[i] == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = (char)d[i];
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reply[16384], small[128], w[CTL_MAX_LINE + 1];
	memset(reply, 'x', sizeof(reply));
	enum ctl_cmd c = ctl_parse((const char *)data, size, reply, sizeof(reply));
	/* An answer the parser gives is one terminated line. */
	if ((c == CTL_ERROR || c == CTL_HELP) && strnlen(reply, sizeof(reply)) == sizeof(reply))
		abort();
	const char *ws = words(data, size, w);
	switch (c) {
	case CTL_ERROR:
		if (strncmp(reply, "error: ", 7) != 0 || strchr(reply, '\n'))
			abort();
		break;
	case CTL_HELP:
		if (strncmp(reply, "ok: ", 4) != 0 || ws == NULL || strcmp(ws, "help") != 0)
			abort();
		break;
	case CTL_STATS:
		if (ws == NULL || strcmp(ws, "stats") != 0)
			abort();
		break;
	case CTL_RELOAD:
		if (ws == NULL || strcmp(ws, "reload") != 0)
			abort();
		break;
	case CTL_RELOAD_FORCE:
		if (ws == NULL || strcmp(ws, "reload force") != 0)
			abort();
		break;
	default:
		abort();
	}
	/* The same request, a small answer buffer: the same command, a truncated line. */
	if (ctl_parse((const char *)data, size, small, sizeof(small)) != c)
		abort();
	if ((c == CTL_ERROR || c == CTL_HELP) && strncmp(small, reply, sizeof(small) - 1) != 0)
		abort();
	return 0;
}
