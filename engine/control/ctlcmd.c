/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's request parser (ctlcmd.h): checks the line's
 * length and bytes, splits it into words and names the command. Nothing
 * here allocates or keeps state.
 */
#include "ctlcmd.h"

#include <stdio.h>
#include <string.h>

#define CTL_COMMANDS "reload, reload force, stats, help"
#define CTL_MAX_WORDS 4

static enum ctl_cmd refuse(char *reply, size_t rlen, const char *why)
{
	snprintf(reply, rlen, "error: %s", why);
	return CTL_ERROR;
}

enum ctl_cmd ctl_parse(const char *buf, size_t len, char *reply, size_t rlen)
{
	const char *nl = memchr(buf, '\n', len);
	size_t line = nl ? (size_t)(nl - buf) : len;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	if (line > CTL_MAX_LINE) {
		snprintf(reply, rlen, "error: command longer than %d bytes", CTL_MAX_LINE);
		return CTL_ERROR;
	}
	if (nl && (size_t)(nl - buf) + 1 < len)
		return refuse(reply, rlen, "one command per connection (bytes after the first line)");
	for (size_t i = 0; i < line; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch < 0x20 || ch > 0x7e) {
			snprintf(reply, rlen, "error: byte 0x%02x at offset %zu is not printable ASCII", ch, i);
			return CTL_ERROR;
		}
	}
	/* Words: runs of non-spaces. */
	const char *w[CTL_MAX_WORDS];
	size_t wl[CTL_MAX_WORDS], n = 0;
	for (size_t i = 0; i < line;) {
		if (buf[i] == ' ') {
			i++;
			continue;
		}
		size_t s = i;
		while (i < line && buf[i] != ' ')
			i++;
		if (n == CTL_MAX_WORDS)
			return refuse(reply, rlen, "too many words (" CTL_COMMANDS ")");
		w[n] = buf + s;
		wl[n++] = i - s;
	}
	if (n == 0)
		return refuse(reply, rlen, "empty command (" CTL_COMMANDS ")");
#define IS(k, lit) (wl[k] == sizeof(lit) - 1 && memcmp(w[k], lit, sizeof(lit) - 1) == 0)
	if (IS(0, "reload")) {
		if (n == 1)
			return CTL_RELOAD;
		if (n == 2 && IS(1, "force"))
			return CTL_RELOAD_FORCE;
		return refuse(reply, rlen, "reload takes nothing or 'force'");
	}
	if (IS(0, "stats") || IS(0, "help")) {
		if (n != 1) {
			snprintf(reply, rlen, "error: %s takes no argument", IS(0, "stats") ? "stats" : "help");
			return CTL_ERROR;
		}
		if (IS(0, "stats"))
			return CTL_STATS;
		snprintf(reply, rlen, "ok: commands: %s", CTL_COMMANDS);
		return CTL_HELP;
	}
#undef IS
	int shown = wl[0] > 60 ? 60 : (int)wl[0];
	snprintf(reply, rlen, "error: unknown command '%.*s%s' (%s)", shown, w[0], wl[0] > 60 ? "..." : "",
		 CTL_COMMANDS);
	return CTL_ERROR;
}
