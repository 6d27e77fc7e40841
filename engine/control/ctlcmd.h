/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's request parser, apart from the socket and the
 * engine so that it is unit-tested and fuzzed on plain buffers. A request
 * is one line of printable ASCII words, at most CTL_MAX_LINE bytes, ended
 * by a newline (or by the client closing its end); anything else is
 * answered with one "error: ..." line, never acted on.
 */
#ifndef TUNDRA_CTLCMD_H
#define TUNDRA_CTLCMD_H

#include <stddef.h>

#define CTL_MAX_LINE 4096

enum ctl_cmd {
	CTL_ERROR = 0,        /* refused: the reason is in reply */
	CTL_RELOAD,           /* reload */
	CTL_RELOAD_FORCE,     /* reload force */
	CTL_STATS,            /* stats */
	CTL_HELP,             /* help: the answer is in reply */
};

/*
 * Parses what a client sent on one connection: buf holds len bytes (not
 * NUL-terminated; they may contain NULs). Returns the command; for
 * CTL_ERROR and CTL_HELP, reply (rlen >= 128) holds the whole answer line
 * without its newline.
 */
enum ctl_cmd ctl_parse(const char *buf, size_t len, char *reply, size_t rlen);

#endif
