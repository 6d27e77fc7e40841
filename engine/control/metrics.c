/* SPDX-License-Identifier: BSD-3-Clause */
#include "metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
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

char *metrics_render(const struct telemetry_view *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (f == NULL)
		return NULL;
	struct worker_stats s;
	telemetry_sum(v, &s);
	counter(f, "tundra_packets_total", "Packets received, by outcome (each packet has exactly one).", "counter");
	for (unsigned int o = 0; o < OUT_COUNT; o++)
		fprintf(f, "tundra_packets_total{outcome=\"%s\"} %" PRIu64 "\n", outcome_name(o), s.outcome[o]);
	counter(f, "tundra_packets_handled_total", "Packets by what became of them.", "counter");
	for (unsigned int d = 0; d < DISP_COUNT; d++)
		fprintf(f, "tundra_packets_handled_total{disposition=\"%s\"} %" PRIu64 "\n", disposition_name(d),
			s.disp[d]);
	counter(f, "tundra_received_packets_total", "Packets received by the pipeline.", "counter");
	fprintf(f, "tundra_received_packets_total %" PRIu64 "\n", s.rx_pkts);
	counter(f, "tundra_received_bytes_total", "Bytes received by the pipeline.", "counter");
	fprintf(f, "tundra_received_bytes_total %" PRIu64 "\n", s.rx_bytes);
	counter(f, "tundra_flows_active", "Flows in the flow tables.", "gauge");
	fprintf(f, "tundra_flows_active %" PRIu64 "\n", s.flows_active);
	counter(f, "tundra_flows_total", "Flow table events.", "counter");
	fprintf(f, "tundra_flows_total{event=\"created\"} %" PRIu64 "\n", s.flows_created);
	fprintf(f, "tundra_flows_total{event=\"expired\"} %" PRIu64 "\n", s.flows_expired);
	fprintf(f, "tundra_flows_total{event=\"evicted\"} %" PRIu64 "\n", s.flows_evicted);
	counter(f, "tundra_flows_decided_total", "Flows judged, by first verdict.", "counter");
	for (unsigned int k = 0; k < VERDICT_COUNT; k++)
		fprintf(f, "tundra_flows_decided_total{verdict=\"%s\"} %" PRIu64 "\n", k == 0 ? "pass" : k == 1 ? "allow" : "block",
			s.flows_decided[k]);
	counter(f, "tundra_records_lost_total", "Flow records and events not handed over (ring full).", "counter");
	fprintf(f, "tundra_records_lost_total %" PRIu64 "\n", s.records_lost);
	counter(f, "tundra_clienthello_reassembly_total",
		"TLS ClientHellos split over TCP segments, by outcome (no_buffer: pool empty).", "counter");
	fprintf(f, "tundra_clienthello_reassembly_total{result=\"done\"} %" PRIu64 "\n", s.cls.reasm_done);
	fprintf(f, "tundra_clienthello_reassembly_total{result=\"gave_up\"} %" PRIu64 "\n", s.cls.reasm_gave_up);
	fprintf(f, "tundra_clienthello_reassembly_total{result=\"no_buffer\"} %" PRIu64 "\n", s.cls.reasm_no_buffer);
	counter(f, "tundra_shed_episodes_total", "Times a worker fell behind and passed new flows uninspected.",
		"counter");
	fprintf(f, "tundra_shed_episodes_total %" PRIu64 "\n", s.shed_episodes);

	counter(f, "tundra_worker_packets_total", "Packets received, by worker.", "counter");
	for (unsigned int i = 0; i < v->n_workers; i++)
		fprintf(f, "tundra_worker_packets_total{worker=\"%u\"} %" PRIu64 "\n", i, v->workers[i]->stats.rx_pkts);
	counter(f, "tundra_worker_busy_cycles_total", "TSC cycles spent on bursts, by worker.", "counter");
	for (unsigned int i = 0; i < v->n_workers; i++)
		fprintf(f, "tundra_worker_busy_cycles_total{worker=\"%u\"} %" PRIu64 "\n", i,
			v->workers[i]->stats.busy_cycles);
	counter(f, "tundra_worker_stage_cycles_total",
		"TSC cycles by pipeline stage in the sampled bursts (1 in 64), by worker.", "counter");
	for (unsigned int i = 0; i < v->n_workers; i++)
		for (unsigned int st = 0; st < STAGE_COUNT; st++)
			fprintf(f, "tundra_worker_stage_cycles_total{worker=\"%u\",stage=\"%s\"} %" PRIu64 "\n", i,
				stage_name(st), v->workers[i]->stats.stage_cycles[st]);
	counter(f, "tundra_worker_stage_packets_total", "Packets in the sampled bursts, by worker.", "counter");
	for (unsigned int i = 0; i < v->n_workers; i++)
		fprintf(f, "tundra_worker_stage_packets_total{worker=\"%u\"} %" PRIu64 "\n", i,
			v->workers[i]->stats.stage_pkts);
	counter(f, "tundra_worker_stuck", "1 while a worker's heartbeat has stopped.", "gauge");
	for (unsigned int i = 0; i < v->n_workers; i++)
		fprintf(f, "tundra_worker_stuck{worker=\"%u\"} %u\n", i, v->stuck ? v->stuck[i] : 0);

	const struct control_stats *c = v->ctl;
	counter(f, "tundra_registry_generation", "Registry generation serving (0: none).", "gauge");
	fprintf(f, "tundra_registry_generation %" PRIu64 "\n", c->registry_generation);
	counter(f, "tundra_registry_entries", "Entries of the registry serving.", "gauge");
	fprintf(f, "tundra_registry_entries %" PRIu64 "\n", c->registry_entries);
	counter(f, "tundra_registry_reloads_total", "Registry reloads by result.", "counter");
	fprintf(f, "tundra_registry_reloads_total{result=\"ok\"} %" PRIu64 "\n", c->reloads);
	fprintf(f, "tundra_registry_reloads_total{result=\"failed\"} %" PRIu64 "\n", c->reload_failures);
	fprintf(f, "tundra_registry_reloads_total{result=\"refused\"} %" PRIu64 "\n", c->reload_refusals);
	counter(f, "tundra_registry_alarm", "1 while enforce is asked for but no registry serves.", "gauge");
	fprintf(f, "tundra_registry_alarm %" PRIu64 "\n", c->registry_alarm);
	counter(f, "tundra_enforce_active", "1 while blocked flows are dropped.", "gauge");
	fprintf(f, "tundra_enforce_active %" PRIu64 "\n", c->enforce_active);
	counter(f, "tundra_ties_total", "Flows tied to a flow of the same VPN session, and of them relabelled.",
		"counter");
	fprintf(f, "tundra_ties_total{kind=\"tied\"} %" PRIu64 "\n", c->ties);
	fprintf(f, "tundra_ties_total{kind=\"relabelled\"} %" PRIu64 "\n", c->tie_relabels);
	counter(f, "tundra_tie_evicted_total", "Flows the full tie table forgot (their ties are lost).", "counter");
	fprintf(f, "tundra_tie_evicted_total %" PRIu64 "\n", c->tie_evicted);

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
