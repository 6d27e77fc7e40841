/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /metrics: every counter of the descriptor tables in Prometheus text
 * format, written into a buffer per request on libmicrohttpd's thread.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <rte_ethdev.h>

struct metrics_server {
	struct MHD_Daemon *d;
	const struct telemetry_view *view;
};

static void counter(FILE *f, const char *name, const char *help, const char *type)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample line: name{labels} value, labels joined from up to three parts. */
static void sample(FILE *f, const char *prefix, const char *metric, const char *l1, const char *l2, const char *l3,
		   uint64_t v)
{
	const char *parts[3] = {l1, l2, l3};
	fprintf(f, "%s%s", prefix, metric);
	bool open = false;
	for (unsigned int i = 0; i < 3; i++) {
		if (parts[i] == NULL)
			continue;
		fprintf(f, "%s%s", open ? "," : "{", parts[i]);
		open = true;
	}
	fprintf(f, "%s %" PRIu64 "\n", open ? "}" : "", v);
}

/* Every counter of the list under its metric; HELP and TYPE once per metric (same metrics are adjacent). */
static void worker_counters(FILE *f, const struct worker_stats *s)
{
	const char *last = "";
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		if (d->metric[0] == '\0')
			continue;
		if (strcmp(d->metric, last) != 0) {
			char name[96];
			snprintf(name, sizeof(name), "tundra_%s", d->metric);
			counter(f, name, d->help, d->type == GAUGE ? "gauge" : "counter");
			last = d->metric;
		}
		for (unsigned int i = 0; i < counter_width(d); i++) {
			char lab[64];
			if (d->labels)
				snprintf(lab, sizeof(lab), "%s=\"%s\"", d->labels->label, d->labels->names[i]);
			sample(f, "tundra_", d->metric, d->metric_label, d->labels ? lab : NULL, NULL,
			       counter_value(s, d, i));
		}
	}
}

char *metrics_render(const struct telemetry_view *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	struct worker_stats s;
	telemetry_sum(v, &s);
	worker_counters(f, &s);
	/* Per worker, each metric's samples together: one HELP/TYPE block per metric. */
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		if (!d->per_worker || d->metric[0] == '\0' || (k > 0 && strcmp(counter_descs[k - 1].metric, d->metric) == 0))
			continue;
		char name[96];
		snprintf(name, sizeof(name), "tundra_worker_%s", d->metric);
		counter(f, name, d->help, d->type == GAUGE ? "gauge" : "counter");
		for (unsigned int i = 0; i < v->n_workers; i++) {
			char wl[32];
			snprintf(wl, sizeof(wl), "worker=\"%u\"", i);
			const struct worker_stats *ws = &v->workers[i]->stats;
			for (unsigned int j = 0; j < counter_width(d); j++) {
				char lab[64];
				if (d->labels)
					snprintf(lab, sizeof(lab), "%s=\"%s\"", d->labels->label, d->labels->names[j]);
				sample(f, "tundra_worker_", d->metric, wl, d->metric_label, d->labels ? lab : NULL,
				       counter_value(ws, d, j));
			}
		}
	}
	counter(f, "tundra_worker_stuck", "1 while a worker's heartbeat has stopped.", "gauge");
	for (unsigned int i = 0; i < v->n_workers; i++)
		fprintf(f, "tundra_worker_stuck{worker=\"%u\"} %u\n", i, v->stuck ? v->stuck[i] : 0);

	const char *last = "";
	for (unsigned int k = 0; k < n_control_counter_descs; k++) {
		const struct control_counter_desc *d = &control_counter_descs[k];
		if (strcmp(d->metric, last) != 0) {
			char name[96];
			snprintf(name, sizeof(name), "tundra_%s", d->metric);
			counter(f, name, d->help, d->type == GAUGE ? "gauge" : "counter");
			last = d->metric;
		}
		sample(f, "tundra_", d->metric, d->metric_label, NULL, NULL,
		       *(const uint64_t *)(const void *)((const char *)v->ctl + d->off));
	}

	counter(f, "tundra_port_packets_total", "Port counters from the driver.", "counter");
	for (unsigned int i = 0; i < v->n_ports; i++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(v->ports[i], &es) != 0)
			continue;
		unsigned int p = v->ports[i];
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"rx\"} %" PRIu64 "\n", p, es.ipackets);
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"rx_missed\"} %" PRIu64 "\n", p, es.imissed);
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"rx_errors\"} %" PRIu64 "\n", p, es.ierrors);
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"rx_nombuf\"} %" PRIu64 "\n", p, es.rx_nombuf);
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"tx\"} %" PRIu64 "\n", p, es.opackets);
		fprintf(f, "tundra_port_packets_total{port=\"%u\",counter=\"tx_errors\"} %" PRIu64 "\n", p, es.oerrors);
	}
	fclose(f);
	return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	struct metrics_server *m = cls;
	struct MHD_Response *r;
	unsigned int status = MHD_HTTP_OK;
	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
		static const char nf[] = "not found: GET /metrics\n";
		r = MHD_create_response_from_buffer(sizeof(nf) - 1, (void *)(uintptr_t)nf, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		size_t len = 0;
		char *text = metrics_render(m->view, &len);
		if (text == NULL)
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	}
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct metrics_server *metrics_start(const char *listen, const struct telemetry_view *v, char *err, size_t errlen)
{
	char addr[64] = "127.0.0.1";
	unsigned long port;
	const char *colon = strrchr(listen, ':');
	char *end;
	if (colon) {
		size_t n = (size_t)(colon - listen);
		if (n == 0 || n >= sizeof(addr)) {
			snprintf(err, errlen, "--metrics %s: expected PORT or ADDR:PORT", listen);
			return NULL;
		}
		memcpy(addr, listen, n);
		addr[n] = '\0';
		port = strtoul(colon + 1, &end, 10);
	} else {
		port = strtoul(listen, &end, 10);
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (*end != '\0' || port == 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "--metrics %s: expected PORT or IPv4ADDR:PORT", listen);
		return NULL;
	}
	struct metrics_server *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->view = v;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, on_request, m,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (m->d == NULL) {
		snprintf(err, errlen, "--metrics %s: cannot listen (port in use?)", listen);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_stop(struct metrics_server *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
