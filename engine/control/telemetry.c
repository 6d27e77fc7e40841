/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry callbacks: each builds its dictionary from the same
 * descriptor tables the other exporters use, reading counters only.
 */
#include "telemetry.h"

#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

static const struct telemetry_view *view;

static void add_u64(struct rte_tel_data *d, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(d, name, v);
}

/*
 * Counters as telemetry names: group_key, and key_value for each element of
 * an array ("outcome_pass", "flows_decided_allow"); with strip_group, the
 * counters of that group only, without its prefix (/tundra/flows).
 */
static void add_counters(struct rte_tel_data *d, const struct worker_stats *s, const char *only_group)
{
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *c = &counter_descs[k];
		if (only_group && strcmp(c->group, only_group) != 0)
			continue;
		const char *g = only_group || c->group[0] == '\0' ? "" : c->group;
		for (unsigned int i = 0; i < counter_width(c); i++) {
			char name[64];
			if (c->labels)
				snprintf(name, sizeof(name), "%s%s%s_%s", g, g[0] ? "_" : "", c->key, c->labels->names[i]);
			else
				snprintf(name, sizeof(name), "%s%s%s", g, g[0] ? "_" : "", c->key);
			add_u64(d, name, counter_value(s, c, i));
		}
	}
}

void telemetry_sum(const struct telemetry_view *v, struct worker_stats *out)
{
	struct worker_stats *ws[66];
	unsigned int n = 0;
	for (unsigned int i = 0; i < v->n_workers && n < 64; i++)
		ws[n++] = &v->workers[i]->stats;
	if (v->extra)
		ws[n++] = (struct worker_stats *)(uintptr_t)v->extra;
	if (v->takeover)
		ws[n++] = (struct worker_stats *)(uintptr_t)v->takeover;
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
	add_counters(d, &s, NULL);
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
		add_counters(w, s, NULL);
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
	for (unsigned int k = 0; k < n_control_counter_descs; k++) {
		const struct control_counter_desc *cd = &control_counter_descs[k];
		add_u64(d, cd->key, *(const uint64_t *)(const void *)((const char *)c + cd->off));
	}
	return 0;
}

static int cmd_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct worker_stats s;
	sum(&s);
	rte_tel_data_start_dict(d);
	add_counters(d, &s, "flows");
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
