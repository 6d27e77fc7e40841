/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text endpoint (GET /metrics), served by libmicrohttpd on its
 * own thread, off the packet path: it only reads counters, like telemetry.
 */
#ifndef TUNDRA_METRICS_H
#define TUNDRA_METRICS_H

#include <stddef.h>

#include "telemetry.h"

struct metrics_server;

/* listen: "PORT" (loopback) or "ADDR:PORT"; NULL with a message in err on failure. */
struct metrics_server *metrics_start(const char *listen, const struct telemetry_view *v, char *err, size_t errlen);
void metrics_stop(struct metrics_server *m);

/* The exposition text (for the endpoint and for tests); caller frees. */
char *metrics_render(const struct telemetry_view *v, size_t *len);

#endif
