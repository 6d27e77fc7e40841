/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter descriptor tables (made from the X-macro lists) and what walks
 * them: the sum over workers, the reconciliation check, the JSON and the
 * summary. A new counter is a line in packet/counters.h, nothing here.
 */
#include "stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#define LABEL_NAME(E, name, help) name,
static const char *const outcome_names[] = {TUNDRA_OUTCOMES(LABEL_NAME)};
static const char *const disposition_names[] = {TUNDRA_DISPOSITIONS(LABEL_NAME)};
static const char *const stage_names[] = {TUNDRA_STAGES(LABEL_NAME)};
static const char *const verdict_names[] = {TUNDRA_VERDICTS(LABEL_NAME)};
static const char *const eviction_names[] = {TUNDRA_EVICTIONS(LABEL_NAME)};
static const char *const encap_names[] = {TUNDRA_ENCAPS(LABEL_NAME)};
static const char *const frag_names[] = {TUNDRA_FRAG_EVENTS(LABEL_NAME)};
#undef LABEL_NAME

const struct label_set labels_outcome = {"outcome", OUT_COUNT, outcome_names};
const struct label_set labels_disposition = {"disposition", DISP_COUNT, disposition_names};
const struct label_set labels_stage = {"stage", STAGE_COUNT, stage_names};
const struct label_set labels_verdict = {"verdict", VERDICT_COUNT, verdict_names};
const struct label_set labels_eviction = {"evicted", EVICT_COUNT, eviction_names};
const struct label_set labels_encap = {"encap", ENCAP_COUNT, encap_names};
const struct label_set labels_frag = {"event", FRAG_EV_COUNT, frag_names};

#define COUNTER_LABELS_ONE NULL
#define COUNTER_LABELS_OUTCOME &labels_outcome
#define COUNTER_LABELS_DISPOSITION &labels_disposition
#define COUNTER_LABELS_STAGE &labels_stage
#define COUNTER_LABELS_VERDICT &labels_verdict
#define COUNTER_LABELS_EVICTION &labels_eviction
#define COUNTER_LABELS_ENCAP &labels_encap
#define COUNTER_LABELS_FRAG &labels_frag

const struct counter_desc counter_descs[] = {
#define COUNTER_DESC(field, labels, group, key, metric, mlabel, type, pw, help)                              \
	{#field, offsetof(struct worker_stats, field), COUNTER_LABELS_##labels, group, key, metric, mlabel, type, pw, help},
	TUNDRA_WORKER_COUNTERS(COUNTER_DESC)
#undef COUNTER_DESC
};
const unsigned int n_counter_descs = sizeof(counter_descs) / sizeof(counter_descs[0]);

const struct control_counter_desc control_counter_descs[] = {
#define CONTROL_DESC(field, key, metric, mlabel, type, help)                                                 \
	{offsetof(struct control_stats, field), key, metric, mlabel, type, help},
	TUNDRA_CONTROL_COUNTERS(CONTROL_DESC)
#undef CONTROL_DESC
};
const unsigned int n_control_counter_descs = sizeof(control_counter_descs) / sizeof(control_counter_descs[0]);

const char *outcome_name(unsigned int o)
{
	return o < OUT_COUNT ? outcome_names[o] : "?";
}

const char *disposition_name(unsigned int d)
{
	return d < DISP_COUNT ? disposition_names[d] : "?";
}

const char *stage_name(unsigned int st)
{
	return st < STAGE_COUNT ? stage_names[st] : "?";
}

void stats_sum(struct worker_stats *const *w, unsigned int n, struct worker_stats *out)
{
	const size_t words = sizeof(*out) / sizeof(uint64_t);
	uint64_t *o = (uint64_t *)out;
	for (size_t k = 0; k < words; k++)
		o[k] = 0;
	for (unsigned int i = 0; i < n; i++) {
		const volatile uint64_t *s = (const volatile uint64_t *)w[i];
		for (size_t k = 0; k < words; k++)
			o[k] += s[k];
	}
}

int stats_reconcile(const struct worker_stats *s, FILE *err)
{
	uint64_t out = 0, disp = 0;
	for (unsigned int o = 0; o < OUT_COUNT; o++)
		out += s->outcome[o];
	for (unsigned int d = 0; d < DISP_COUNT; d++)
		disp += s->disp[d];
	int bad = 0;
	if (out != s->rx_pkts) {
		bad = 1;
		if (err)
			fprintf(err, "stats: received %" PRIu64 " != sum of outcomes %" PRIu64 "\n", s->rx_pkts, out);
	}
	if (disp != s->rx_pkts) {
		bad = 1;
		if (err)
			fprintf(err, "stats: received %" PRIu64 " != sum of dispositions %" PRIu64 "\n", s->rx_pkts,
				disp);
	}
	return bad;
}

/* The value of one counter: a number, or for an array an object keyed by label value. */
static void json_counter(const struct worker_stats *s, const struct counter_desc *d, FILE *out)
{
	if (d->labels == NULL) {
		fprintf(out, "%" PRIu64, counter_value(s, d, 0));
		return;
	}
	fputc('{', out);
	for (unsigned int i = 0; i < d->labels->n; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", d->labels->names[i], counter_value(s, d, i));
	fputc('}', out);
}

void stats_print_json(const struct worker_stats *s, const struct control_stats *c, FILE *out)
{
	/* Counters of one group are adjacent in the list: each group is one nested object. */
	const char *group = "";
	bool first = true, first_in_group = true;
	fputc('{', out);
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		if (strcmp(d->group, group) != 0) {
			if (group[0])
				fputc('}', out);
			group = d->group;
			if (group[0]) {
				fprintf(out, "%s\"%s\":{", first ? "" : ",", group);
				first = false;
				first_in_group = true;
			}
		}
		bool *f = group[0] ? &first_in_group : &first;
		fprintf(out, "%s\"%s\":", *f ? "" : ",", d->key);
		*f = false;
		json_counter(s, d, out);
	}
	if (group[0])
		fputc('}', out);
	if (c) {
		fputs(",\"control\":{", out);
		for (unsigned int k = 0; k < n_control_counter_descs; k++) {
			const struct control_counter_desc *d = &control_counter_descs[k];
			fprintf(out, "%s\"%s\":%" PRIu64, k ? "," : "", d->key,
				*(const uint64_t *)(const void *)((const char *)c + d->off));
		}
		fputc('}', out);
	}
	fputs("}\n", out);
}

void stats_print_summary(const struct worker_stats *s, FILE *out)
{
	/* Arrays one line each, then each group's single counters on a line of their own. */
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		/* The stage split is shown per packet below. */
		if (d->labels == NULL || d->labels == &labels_stage)
			continue;
		fprintf(out, "  %s%s%s:", d->group, d->group[0] ? " " : "", d->key);
		for (unsigned int i = 0; i < d->labels->n; i++)
			fprintf(out, " %s=%" PRIu64, d->labels->names[i], counter_value(s, d, i));
		fputc('\n', out);
	}
	const char *group = NULL;
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		if (d->labels != NULL)
			continue;
		if (group == NULL || strcmp(d->group, group) != 0) {
			if (group != NULL)
				fputc('\n', out);
			group = d->group;
			fprintf(out, "  %s:", group[0] ? group : "counters");
		}
		fprintf(out, " %s=%" PRIu64, d->key, counter_value(s, d, 0));
	}
	if (group != NULL)
		fputc('\n', out);
	/* The workers' own packets: not those the control lcore forwarded for a dead one. */
	uint64_t wpkts = s->rx_pkts - s->outcome[OUT_BYPASSED];
	fprintf(out, "  workers: %.0f cycles/packet busy, %.1f packets/burst",
		wpkts ? (double)s->busy_cycles / (double)wpkts : 0.0, s->bursts ? (double)wpkts / (double)s->bursts : 0.0);
	if (s->stage_pkts) {
		fputs("\n  stages (cycles/packet, 1 burst in 64 timed):", out);
		for (unsigned int st = 0; st < STAGE_COUNT; st++)
			fprintf(out, " %s=%.0f", stage_name(st), (double)s->stage_cycles[st] / (double)s->stage_pkts);
	}
	fputc('\n', out);
}

static void reference_names(const char *json, const char *tel, const char *metric, const char *mlabel,
			    const struct label_set *labels, bool pw, const char *help, FILE *out)
{
	fprintf(out, "| `%s` | `%s` | ", json, tel);
	if (metric[0]) {
		fprintf(out, "`tundra_%s", metric);
		if (mlabel || labels)
			fprintf(out, "{%s%s%s%s}", mlabel ? mlabel : "", mlabel && labels ? "," : "",
				labels ? labels->label : "", labels ? "=…" : "");
		fputc('`', out);
		if (pw)
			fprintf(out, ", per worker `tundra_worker_%s`", metric);
	} else {
		fputs("—", out);
	}
	fprintf(out, " | %s", help);
	if (labels) {
		fputs(" Values:", out);
		for (unsigned int i = 0; i < labels->n; i++)
			fprintf(out, "%s `%s`", i ? "," : "", labels->names[i]);
		fputc('.', out);
	}
	fputs(" |\n", out);
}

void stats_print_reference(FILE *out)
{
	fputs("| --stats-json | telemetry | /metrics | meaning |\n|---|---|---|---|\n", out);
	for (unsigned int k = 0; k < n_counter_descs; k++) {
		const struct counter_desc *d = &counter_descs[k];
		char json[96], tel[96];
		snprintf(json, sizeof(json), "%s%s%s%s", d->group, d->group[0] ? "." : "", d->key, d->labels ? ".*" : "");
		snprintf(tel, sizeof(tel), "%s%s%s%s", d->group, d->group[0] ? "_" : "", d->key, d->labels ? "_*" : "");
		reference_names(json, tel, d->metric, d->metric_label, d->labels, d->per_worker, d->help, out);
	}
	for (unsigned int k = 0; k < n_control_counter_descs; k++) {
		const struct control_counter_desc *d = &control_counter_descs[k];
		char json[96];
		snprintf(json, sizeof(json), "control.%s", d->key);
		reference_names(json, d->key, d->metric, d->metric_label, NULL, false, d->help, out);
	}
}
