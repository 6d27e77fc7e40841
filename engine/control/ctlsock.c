/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (--control): a unix stream socket on the control
 * lcore, one command per connection, one line of answer. Polled from the
 * live loop, never from a worker. The socket is 0600 (owner only), or
 * 0660 with --control-group; what a client sends is checked by
 * ctl_parse() (ctlcmd.c) before anything is done.
 */
#define _GNU_SOURCE
#include "ctlsock.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctlcmd.h"

/* How long a client may take to send its line: a silent one must not stall the control loop. */
#define CTL_READ_MS 200

int ctlsock_open(const char *path, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tundra: --control: path too long: %s\n", path);
		return -1;
	}
	gid_t gid = (gid_t)-1;
	if (group) {
		struct group gr, *res = NULL;
		char buf[4096];
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL) {
			fprintf(stderr, "tundra: --control-group %s: no such group\n", group);
			return -1;
		}
		gid = gr.gr_gid;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	/* Born owner-only, so that there is no moment in which anyone else may connect. */
	mode_t old = umask(0177);
	int brc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (brc != 0 || listen(fd, 8) != 0) {
		fprintf(stderr, "tundra: --control %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (group && (chown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0)) {
		fprintf(stderr, "tundra: --control-group %s: %s: %s\n", group, path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * What the client sent, up to its first newline, its end, CTL_READ_MS, or
 * more bytes than any command has (then the rest stays unread).
 */
static size_t read_request(int c, char *buf, size_t cap)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t len = 0;
	while (len < cap && memchr(buf, '\n', len) == NULL) {
		long left = CTL_READ_MS - ms_since(&t0);
		if (left <= 0)
			break;
		struct pollfd p = {.fd = c, .events = POLLIN};
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t n = read(c, buf + len, cap - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

void ctlsock_serve(struct engine *e, int lfd)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c < 0)
			return;
		/* A line of CTL_MAX_LINE bytes, its CR LF, and one byte more to tell a longer one. */
		char req[CTL_MAX_LINE + 3];
		size_t len = read_request(c, req, sizeof(req));
		/* Room for the whole stats object with every counter, which a short answer cut. */
		char reply[16384];
		enum ctl_cmd cmd = ctl_parse(req, len, reply, sizeof(reply));
		switch (cmd) {
		case CTL_RELOAD:
		case CTL_RELOAD_FORCE:
			engine_reload_registry(e, cmd == CTL_RELOAD_FORCE, reply, sizeof(reply));
			break;
		case CTL_STATS: {
			struct worker_stats s;
			engine_collect_stats(e, &s);
			reply[0] = '\0';
			FILE *m = fmemopen(reply, sizeof(reply) - 1, "w");
			if (m) {
				stats_print_json(&s, &e->ctl, m);
				fclose(m);
			}
			reply[sizeof(reply) - 1] = '\0';
			reply[strcspn(reply, "\n")] = '\0';
			break;
		}
		case CTL_HELP:
		case CTL_ERROR:
			break;
		}
		size_t rl = strlen(reply);
		reply[rl++] = '\n';
		/* The answer fits the socket's buffer; a client that left is not told. */
		if (write(c, reply, rl) < 0) {
		}
		close(c);
	}
}
