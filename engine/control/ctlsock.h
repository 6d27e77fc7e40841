/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: reload, reload force, stats, help (docs/registry.md, docs/deploy.md). */
#ifndef TUNDRA_CTLSOCK_H
#define TUNDRA_CTLSOCK_H

#include "engine.h"

/*
 * A listening socket at path (an old one there is replaced), mode 0600, or
 * 0660 owned by group when one is named; -1 when it cannot be made (reported).
 */
int ctlsock_open(const char *path, const char *group);
/* Answers every connection waiting on lfd, without blocking on a silent client. */
void ctlsock_serve(struct engine *e, int lfd);

#endif
