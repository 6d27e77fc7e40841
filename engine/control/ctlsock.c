/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (--control): a unix stream socket on the control
 * lcore, one command per connection, one line of answer. Polled from the
 * live loop, never from a worker.
 */
#define _GNU_SOURCE
#include "ctlsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Control socket: one command per connection, one line of answer. */
int ctlsock_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tundra: --control: path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		fprintf(stderr, "tundra: --control %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void ctlsock_serve(struct engine *e, int lfd)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return;
		/* The client writes its line at once; do not let a silent one stall the control loop. */
		struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char cmd[128] = "";
		ssize_t n = read(c, cmd, sizeof(cmd) - 1);
		cmd[n > 0 ? n : 0] = '\0';
		cmd[strcspn(cmd, "\r\n")] = '\0';
		/* Room for the stats object (about 1.3 KB, growing with each counter) many times over. */
		char reply[8192];
		if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "reload force") == 0) {
			engine_reload_registry(e, cmd[6] != '\0', reply, sizeof(reply));
		} else if (strcmp(cmd, "stats") == 0) {
			struct worker_stats s;
			engine_collect_stats(e, &s);
			FILE *m = fmemopen(reply, sizeof(reply) - 1, "w");
			if (m) {
				stats_print_json(&s, &e->ctl, m);
				fclose(m);
			}
			reply[sizeof(reply) - 1] = '\0';
			reply[strcspn(reply, "\n")] = '\0';
		} else {
			snprintf(reply, sizeof(reply), "error: unknown command '%.60s' (reload, reload force, stats)", cmd);
		}
		size_t len = strlen(reply);
		reply[len++] = '\n';
		if (write(c, reply, len) < 0) {
			/* the client left: nothing to tell it */
		}
		close(c);
	}
}
