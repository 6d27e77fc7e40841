/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sd_notify by hand and the privilege drop (supervise.h). The notify
 * protocol is small: a datagram of "KEY=VALUE" lines to the socket
 * $NOTIFY_SOCKET names, a path or, after '@', an abstract name.
 */
#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int notify_open(struct notifier *n)
{
	n->fd = -1;
	n->watchdog_usec = 0;
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0')
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tundra: NOTIFY_SOCKET=%s: not a socket path; not notifying\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* Connected once, now: the socket stays usable after --user gives up the right to reach its path. */
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) != 0) {
		fprintf(stderr, "tundra: NOTIFY_SOCKET=%s: %s; not notifying\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n->fd = fd;
	const char *wd = getenv("WATCHDOG_USEC"), *wpid = getenv("WATCHDOG_PID");
	if (wd && (wpid == NULL || strtol(wpid, NULL, 10) == (long)getpid()))
		n->watchdog_usec = strtoull(wd, NULL, 10);
	return 0;
}

bool notify_send(struct notifier *n, const char *msg)
{
	if (n->fd < 0)
		return false;
	return send(n->fd, msg, strlen(msg), MSG_NOSIGNAL) >= 0;
}

void notify_close(struct notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		snprintf(err, errlen, "--user %s: no such user", user);
		return -1;
	}
	/* Groups first: once the uid is not root, neither setgroups nor setgid is allowed. */
	if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) {
		snprintf(err, errlen, "--user %s: %s (needs root)", user, strerror(errno));
		return -1;
	}
	if (pw.pw_uid != 0 && (setuid(0) == 0 || getuid() != pw.pw_uid || geteuid() != pw.pw_uid)) {
		snprintf(err, errlen, "--user %s: root could be taken back", user);
		return -1;
	}
	return 0;
}
