/* SPDX-License-Identifier: BSD-3-Clause */
#include "telemetry.h"

#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

static const struct telemetry_view *view;

static void add_u64(struct rte_tel_data *d, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(d, name, v);
}

static void add_totals(struct rte_tel_data *d, const struct worker_stats *s)
{
	add_u64(d, "rx_pkts", s->rx_pkts);
	add_u64(d, "rx_bytes", s->rx_bytes);
	for (unsigned int o = 0; o < OUT_COUNT; o++) {
		char name[40];
		snprintf(name, sizeof(name), "outcome_%s", outcome_name(o));
		add_u64(d, name, s->outcome[o]);
	}
	for (unsigned int k = 0; k < DISP_COUNT; k++) {
		char name[40];
		snprintf(name, sizeof(name), "disposition_%s", disposition_name(k));
		add_u64(d, name, s->disp[k]);
	}
	add_u64(d, "flows_active", s->flows_active);
	add_u64(d, "flows_created", s->flows_created);
	add_u64(d, "flows_expired", s->flows_expired);
	add_u64(d, "flows_evicted", s->flows_evicted);
	add_u64(d, "records_lost", s->records_lost);
	add_u64(d, "reasm_done", s->cls.reasm_done);
	add_u64(d, "reasm_gave_up", s->cls.reasm_gave_up);
	add_u64(d, "reasm_no_buffer", s->cls.reasm_no_buffer);
	add_u64(d, "shed_episodes", s->shed_episodes);
	add_u64(d, "verdict_events", s->verdict_events);
}

void telemetry_sum(const struct telemetry_view *v, struct worker_stats *out)
{
	struct worker_stats *ws[65];
	unsigned int n = 0;
	for (unsigned int i = 0; i < v->n_workers && n < 64; i++)
		ws[n++] = &v->workers[i]->stats;
	if (v->extra)
		ws[n++] = (struct worker_stats *)(uintptr_t)v->extra;
	stats_sum(ws, n, out);
}

static void sum(struct worker_stats *out)
{
	telemetry_sum(view, out);
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < view->n_ports; i++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(view->ports[i], &es) != 0)
			continue;
		struct rte_tel_data *p = rte_tel_data_alloc();
		if (p == NULL)
			return -1;
		rte_tel_data_start_dict(p);
		add_u64(p, "rx_packets", es.ipackets);
		add_u64(p, "rx_missed", es.imissed);
		add_u64(p, "rx_errors", es.ierrors);
		add_u64(p, "rx_nombuf", es.rx_nombuf);
		add_u64(p, "tx_packets", es.opackets);
		add_u64(p, "tx_errors", es.oerrors);
		char name[24];
		snprintf(name, sizeof(name), "port%u", view->ports[i]);
		rte_tel_data_add_dict_container(d, name, p, 0);
	}
	return 0;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct worker_stats s;
	sum(&s);
	rte_tel_data_start_dict(d);
	add_totals(d, &s);
	add_u64(d, "reconciled", stats_reconcile(&s, NULL) == 0);
	return 0;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < view->n_workers; i++) {
		struct rte_tel_data *w = rte_tel_data_alloc();
		if (w == NULL)
			return -1;
		const struct worker_stats *s = &view->workers[i]->stats;
		rte_tel_data_start_dict(w);
		add_u64(w, "lcore", view->workers[i]->lcore);
		add_totals(w, s);
		add_u64(w, "busy_cycles", s->busy_cycles);
		add_u64(w, "bursts", s->bursts);
		add_u64(w, "polls", s->polls);
		add_u64(w, "stage_sampled_pkts", s->stage_pkts);
		for (unsigned int st = 0; st < STAGE_COUNT; st++) {
			char key[32];
			snprintf(key, sizeof(key), "stage_%s_cycles", stage_name(st));
			add_u64(w, key, s->stage_cycles[st]);
		}
		add_u64(w, "stuck", view->stuck ? view->stuck[i] : 0);
		char name[24];
		snprintf(name, sizeof(name), "worker%u", i);
		rte_tel_data_add_dict_container(d, name, w, 0);
	}
	return 0;
}

static int cmd_registry(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	const struct control_stats *c = view->ctl;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "file", view->registry_path ? view->registry_path : "");
	rte_tel_data_add_dict_string(d, "mode", view->mode);
	add_u64(d, "generation", c->registry_generation);
	add_u64(d, "entries", c->registry_entries);
	add_u64(d, "reloads", c->reloads);
	add_u64(d, "reload_failures", c->reload_failures);
	add_u64(d, "reload_refusals", c->reload_refusals);
	add_u64(d, "alarm", c->registry_alarm);
	add_u64(d, "enforce_active", c->enforce_active);
	return 0;
}

static int cmd_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct worker_stats s;
	sum(&s);
	rte_tel_data_start_dict(d);
	add_u64(d, "active", s.flows_active);
	add_u64(d, "created", s.flows_created);
	add_u64(d, "expired", s.flows_expired);
	add_u64(d, "evicted", s.flows_evicted);
	add_u64(d, "ended_at_shutdown", s.flows_flushed);
	add_u64(d, "decided_pass", s.flows_decided[VERDICT_PASS]);
	add_u64(d, "decided_allow", s.flows_decided[VERDICT_ALLOW]);
	add_u64(d, "decided_block", s.flows_decided[VERDICT_BLOCK]);
	add_u64(d, "reverdicts", s.reverdicts);
	return 0;
}

int telemetry_register(const struct telemetry_view *v)
{
	view = v;
	int rc = 0;
	rc |= rte_telemetry_register_cmd("/tundra/stats", cmd_stats,
					 "Packet counters summed over workers: outcomes, dispositions, flows.");
	rc |= rte_telemetry_register_cmd("/tundra/workers", cmd_workers, "Per-worker counters and busy cycles.");
	rc |= rte_telemetry_register_cmd("/tundra/registry", cmd_registry,
					 "Registry serving: generation, entries, reloads, alarm, enforcement.");
	rc |= rte_telemetry_register_cmd("/tundra/flows", cmd_flows, "Flow table counters summed over workers.");
	rc |= rte_telemetry_register_cmd("/tundra/ports", cmd_ports, "Port counters: rx, missed, errors, tx.");
	return rc;
}
