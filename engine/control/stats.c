/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#include <inttypes.h>

const char *outcome_name(unsigned int o)
{
	static const char *const n[OUT_COUNT] = {"nonip", "malformed", "fragment", "no_flow",
						 "inspecting", "pass", "allow", "block", "shed"};
	return o < OUT_COUNT ? n[o] : "?";
}

const char *disposition_name(unsigned int d)
{
	static const char *const n[DISP_COUNT] = {"tx", "tx_failed", "dropped", "consumed"};
	return d < DISP_COUNT ? n[d] : "?";
}

const char *stage_name(unsigned int st)
{
	static const char *const n[STAGE_COUNT] = {"io", "parse", "flow", "classify", "verdict"};
	return st < STAGE_COUNT ? n[st] : "?";
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

void stats_print_json(const struct worker_stats *s, const struct control_stats *c, FILE *out)
{
	fprintf(out, "{\"rx_pkts\":%" PRIu64 ",\"rx_bytes\":%" PRIu64, s->rx_pkts, s->rx_bytes);
	fprintf(out, ",\"outcome\":{");
	for (unsigned int o = 0; o < OUT_COUNT; o++)
		fprintf(out, "%s\"%s\":%" PRIu64, o ? "," : "", outcome_name(o), s->outcome[o]);
	fprintf(out, "},\"disposition\":{");
	for (unsigned int d = 0; d < DISP_COUNT; d++)
		fprintf(out, "%s\"%s\":%" PRIu64, d ? "," : "", disposition_name(d), s->disp[d]);
	fprintf(out,
		"},\"flows\":{\"created\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"expired_emergency\":%" PRIu64
		",\"evicted\":%" PRIu64
		",\"flushed\":%" PRIu64 ",\"table_slots\":%" PRIu64 ",\"table_bytes\":%" PRIu64 ",\"pass\":%" PRIu64 ",\"allow\":%" PRIu64 ",\"block\":%" PRIu64
		"},\"records_lost\":%" PRIu64 ",\"hs_errors\":%" PRIu64 ",\"reasm_done\":%" PRIu64
		",\"reasm_gave_up\":%" PRIu64 ",\"reasm_no_buffer\":%" PRIu64 ",\"reverdicts\":%" PRIu64
		",\"verdict_events\":%" PRIu64 ",\"shed_episodes\":%" PRIu64,
		s->flows_created, s->flows_expired, s->flows_expired_emergency, s->flows_evicted, s->flows_flushed,
		s->flow_slots, s->flow_mem_bytes,
		s->flows_decided[VERDICT_PASS], s->flows_decided[VERDICT_ALLOW],
		s->flows_decided[VERDICT_BLOCK], s->records_lost, s->cls.hs_errors, s->cls.reasm_done,
		s->cls.reasm_gave_up, s->cls.reasm_no_buffer, s->reverdicts, s->verdict_events,
		s->shed_episodes);
	fprintf(out, ",\"cycles\":{\"busy\":%" PRIu64 ",\"bursts\":%" PRIu64 ",\"sampled_pkts\":%" PRIu64
		",\"sampled_fast_pkts\":%" PRIu64, s->busy_cycles, s->bursts, s->stage_pkts, s->stage_fast_pkts);
	for (unsigned int st = 0; st < STAGE_COUNT; st++)
		fprintf(out, ",\"%s\":%" PRIu64, stage_name(st), s->stage_cycles[st]);
	fputc('}', out);
	if (c)
		fprintf(out,
			",\"control\":{\"registry_generation\":%" PRIu64 ",\"registry_entries\":%" PRIu64
			",\"reloads\":%" PRIu64 ",\"reload_failures\":%" PRIu64 ",\"reload_refusals\":%" PRIu64
			",\"registry_alarm\":%" PRIu64 ",\"enforce_active\":%" PRIu64 ",\"verdict_events\":%" PRIu64 ",\"stuck_workers\":%" PRIu64
			",\"ties\":%" PRIu64 ",\"tie_relabels\":%" PRIu64 ",\"tie_evicted\":%" PRIu64 "}",
			c->registry_generation, c->registry_entries, c->reloads, c->reload_failures,
			c->reload_refusals, c->registry_alarm, c->enforce_active, c->verdict_events,
			c->stuck_workers, c->ties, c->tie_relabels, c->tie_evicted);
	fputs("}\n", out);
}
