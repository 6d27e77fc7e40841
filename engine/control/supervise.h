/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What tundra tells its supervisor, and what it gives up once it is
 * running (docs/deploy.md, "When tundra fails"):
 *
 * - the sd_notify protocol, written out here (one datagram per message on
 *   the unix socket named by $NOTIFY_SOCKET; no libsystemd): READY=1 once
 *   the workers forward, WATCHDOG=1 every half of $WATCHDOG_USEC while
 *   every worker's heartbeat is fresh, STATUS= lines, RELOADING=1 and
 *   STOPPING=1. Without $NOTIFY_SOCKET every call does nothing.
 * - --user: root given up for a named user once the EAL, the ports, the
 *   sockets and the output files are set up.
 *
 * Control lcore only, never a worker.
 */
#ifndef TUNDRA_SUPERVISE_H
#define TUNDRA_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notifier {
	int fd;                    /* -1: no supervisor listening */
	uint64_t watchdog_usec;    /* 0: the supervisor wants no watchdog pings */
};

/* Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID and connects; -1 when the socket is unusable (reported). */
int notify_open(struct notifier *n);
/* Sends one message (e.g. "READY=1\nSTATUS=..."); false when it could not be sent. */
bool notify_send(struct notifier *n, const char *msg);
void notify_close(struct notifier *n);

/* setgroups/setgid/setuid to user; 0, or -1 with the reason in err. */
int drop_privileges(const char *user, char *err, size_t errlen);

#endif
