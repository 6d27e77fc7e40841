/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every line a flow record or event becomes (JSON, table, explain), from
 * struct flow_record alone: what the workers handed over is all there is.
 */
#include "output.h"
#include "ipproto.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "registry.h"
#include "verdict.h"

static void addr_str(uint8_t ipver, const uint8_t *a, char *buf, size_t len)
{
	if (inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void key_endpoints(const struct flow_key *k, uint8_t client_is_lo, char *cli, size_t cl, uint16_t *cport,
			  char *srv, size_t sl, uint16_t *sport)
{
	const uint8_t *ca = client_is_lo ? k->addr_lo : k->addr_hi;
	const uint8_t *sa = client_is_lo ? k->addr_hi : k->addr_lo;
	addr_str(k->ip_version, ca, cli, cl);
	addr_str(k->ip_version, sa, srv, sl);
	*cport = client_is_lo ? k->port_lo : k->port_hi;
	*sport = client_is_lo ? k->port_hi : k->port_lo;
}

void flow_endpoints(const struct flow_record *f, char *cli, size_t cl, uint16_t *cport, char *srv, size_t sl,
		    uint16_t *sport)
{
	key_endpoints(&f->key, f->client_is_lo, cli, cl, cport, srv, sl, sport);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void l4_json(FILE *out, uint8_t proto)
{
	if (proto == IPPROTO_UDP)
		fputs("\"udp\"", out);
	else if (proto == IPPROTO_TCP)
		fputs("\"tcp\"", out);
	else
		fprintf(out, "%u", proto);
}

static const char *end_name(uint8_t end)
{
	switch (end) {
	case FLOW_END_IDLE:
		return "idle";
	case FLOW_END_EVICTED:
		return "evicted";
	default:
		return "end";
	}
}

/* The registrant of a record, as JSON: its id, or null. */
static const char *registrant_of(const struct output_ctx *o, const struct flow_record *f)
{
	return f->registrant ? registrant_catalogue_id(o->cat, f->registrant) : NULL;
}

/* ,"ja4":...,"sni":... */
static void tls_json(FILE *out, const struct flow_record *f)
{
	fputs(",\"ja4\":", out);
	if (f->facts.ja4[0])
		json_str(out, f->facts.ja4);
	else
		fputs("null", out);
	fputs(",\"sni\":", out);
	if (f->facts.sni[0])
		json_str(out, f->facts.sni);
	else
		fputs("null", out);
}

/*
 * ,"outer":{"client":{...},"server":{...}}: what each direction's first
 * inspected packet was wrapped in (parse_outer_json), null for a plain flow
 * or a record without its inspection part.
 */
static void outer_json(FILE *out, const struct flow_record *f)
{
	if (!f->has_insp || (f->outer[CLS_C2S].kinds == 0 && f->outer[CLS_S2C].kinds == 0)) {
		fputs(",\"outer\":null", out);
		return;
	}
	fputs(",\"outer\":{\"client\":", out);
	parse_outer_json(&f->outer[CLS_C2S], out);
	fputs(",\"server\":", out);
	parse_outer_json(&f->outer[CLS_S2C], out);
	fputc('}', out);
}

/* The decision path as a JSON array: ,"path":[{"pkt":1,"classifier":...,"signature":...,"result":...},...] */
static void path_json(FILE *out, const struct flow_record *f, const struct classify_db *cdb)
{
	static const char *const res[] = {"no", "more", "likely", "confirmed"};
	unsigned int n = f->n_steps < FLOW_TRAIL_MAX ? f->n_steps : FLOW_TRAIL_MAX;
	fputs(",\"path\":[", out);
	for (unsigned int i = 0; i < n; i++) {
		const struct cls_step *s = &f->trail[i];
		fprintf(out, "%s{\"pkt\":%u,\"classifier\":", i ? "," : "", s->pkt);
		if (s->cls)
			json_str(out, classifier_name(s->cls));
		else
			fputs("null", out);
		fputs(",\"signature\":", out);
		if (s->pattern && s->pattern <= cdb->n_patterns)
			json_str(out, cdb->pattern[s->pattern - 1]->name);
		else
			fputs("null", out);
		fprintf(out, ",\"result\":\"%s\"}",
			s->result == STEP_WINDOW_END	  ? "window-end"
			: s->result == STEP_WINDOW_IDLE	  ? "window-idle"
			: s->result == STEP_WINDOW_RECLAIMED ? "window-reclaimed"
			: s->result <= CLS_CONFIRMED	  ? res[s->result]
							  : "?");
	}
	fprintf(out, "],\"path_steps\":%u", f->n_steps);
}


static void ts_json(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%06" PRIu64, ns / 1000000000u, ns % 1000000000u / 1000);
}

/* "tied_to": the partner flow, or null. */
static void tie_json(FILE *out, const struct tie_link *t)
{
	fputs(",\"tied_to\":", out);
	if (t == NULL || t->rule == 0 || t->rule > tie_n_rules) {
		fputs("null", out);
		return;
	}
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN];
	uint16_t cport, sport;
	key_endpoints(&t->peer.key, t->peer.client_is_lo, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	fprintf(out, "{\"rule\":\"%s\",\"role\":\"%s\",\"relabelled\":%s,\"app\":", tie_rules[t->rule - 1].name,
		t->is_child ? "child" : "parent", t->relabel ? "true" : "false");
	json_str(out, classifier_name(t->peer.app));
	fputs(",\"l4\":", out);
	l4_json(out, t->peer.key.proto);
	fprintf(out, ",\"src_ip\":\"%s\",\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u,\"ts_first\":", cli, cport,
		srv, sport);
	ts_json(out, t->peer.ts_first);
	fprintf(out, ",\"flows\":%u}", t->n);
}

/* The table's tied_to column: rule@l4/client>server, or "-". */
static void tie_cell(char *buf, size_t len, const struct tie_link *t)
{
	if (t == NULL || t->rule == 0 || t->rule > tie_n_rules) {
		snprintf(buf, len, "-");
		return;
	}
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], l4[8];
	uint16_t cport, sport;
	key_endpoints(&t->peer.key, t->peer.client_is_lo, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	if (t->peer.key.proto == IPPROTO_TCP)
		snprintf(l4, sizeof(l4), "tcp");
	else if (t->peer.key.proto == IPPROTO_UDP)
		snprintf(l4, sizeof(l4), "udp");
	else
		snprintf(l4, sizeof(l4), "%u", t->peer.key.proto);
	const char *fmt = t->peer.key.ip_version == 6 ? "%s@%s/[%s]:%u>[%s]:%u%s" : "%s@%s/%s:%u>%s:%u%s";
	snprintf(buf, len, fmt, tie_rules[t->rule - 1].name, l4, cli, cport, srv, sport, t->n > 1 ? "+" : "");
}

void output_tie_explain(FILE *out, const struct tie_link *t, const char *indent)
{
	if (t == NULL || t->rule == 0 || t->rule > tie_n_rules)
		return;
	char cell[160];
	tie_cell(cell, sizeof(cell), t);
	fprintf(out, "%stied as %s to %s flow %s%s\n", indent, t->is_child ? "child" : "parent",
		classifier_name(t->peer.app), cell, t->relabel ? ": relabelled by the tie (likely)" : "");
}

/* Which directions the box saw: an asymmetric route shows one. */
static const char *seen_name(const struct flow_record *f)
{
	return f->pkts[CLS_C2S] && f->pkts[CLS_S2C] ? "both" : f->pkts[CLS_C2S] ? "client" : "server";
}

void output_flow_json(FILE *out, const struct output_ctx *o, const struct flow_record *f, const struct tie_link *tie)
{
	const struct classify_db *cdb = o->cdb;
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], reason[160];
	uint16_t cport, sport;
	flow_endpoints(f, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	classify_reason(cdb, f, reason, sizeof(reason));
	fprintf(out, "{\"ts_first\":%" PRIu64 ".%06" PRIu64 ",\"ts_last\":%" PRIu64 ".%06" PRIu64,
		(uint64_t)(f->ts_first / 1000000000u), (uint64_t)(f->ts_first % 1000000000u / 1000),
		(uint64_t)(f->ts_last / 1000000000u), (uint64_t)(f->ts_last % 1000000000u / 1000));
	fprintf(out, ",\"ip_version\":%u,\"l4\":", f->key.ip_version);
	l4_json(out, f->key.proto);
	fprintf(out, ",\"src_ip\":\"%s\",\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u", cli, cport, srv, sport);
	/* A zone below the mark is a plain VLAN id (parse.h); any other is a hash of outer identifiers. */
	if (f->key.zone < PARSE_ZONE_MARK)
		fprintf(out, ",\"vlan\":%u", (unsigned int)f->key.zone);
	else
		fputs(",\"vlan\":null", out);
	fprintf(out,
		",\"zone\":%u,\"pkts_c2s\":%" PRIu64 ",\"pkts_s2c\":%" PRIu64 ",\"bytes_c2s\":%" PRIu64 ",\"bytes_s2c\":%" PRIu64
		",\"seen\":\"%s\"",
		(unsigned int)f->key.zone, f->pkts[CLS_C2S], f->pkts[CLS_S2C], f->bytes[CLS_C2S], f->bytes[CLS_S2C],
		seen_name(f));
	outer_json(out, f);
	fputs(",\"app\":", out);
	json_str(out, classifier_name(f->app));
	fprintf(out, ",\"vpn\":%s,\"verdict\":\"%s\",\"dropped\":%s", f->app ? "true" : "false",
		verdict_name(f->verdict), f->drop ? "true" : "false");
	const char *reg_id = registrant_of(o, f);
	if (reg_id) {
		fputs(",\"registrant\":", out);
		json_str(out, reg_id);
		fputs(",\"registrant_name\":", out);
		json_str(out, registrant_catalogue_name(o->cat, f->registrant));
		fprintf(out, ",\"sector\":\"%s\",\"registry_line\":%u", registry_sector_name(f->sector),
			f->reg_line);
	} else {
		fputs(",\"registrant\":null,\"registrant_name\":null,\"sector\":null,\"registry_line\":null", out);
	}
	tls_json(out, f);
	fputs(f->phase != FLOW_DECIDED		   ? ",\"confidence\":null"
	      : f->result == CLS_CONFIRMED ? ",\"confidence\":\"confirmed\""
					   : ",\"confidence\":\"likely\"",
	      out);
	fputs(f->policy == POLICY_APPLIED_APP	   ? ",\"policy\":\"app\""
	      : f->policy == POLICY_APPLIED_SECTOR ? ",\"policy\":\"sector\""
						   : ",\"policy\":null",
	      out);
	if (f->phase == FLOW_DECIDED && f->decided_at_pkt)
		fprintf(out, ",\"decided_at_pkt\":%u", f->decided_at_pkt);
	else
		fputs(",\"decided_at_pkt\":null", out);
	fputs(",\"reason\":", out);
	json_str(out, reason);
	if (o->explain)
		path_json(out, f, cdb);
	tie_json(out, tie);
	fprintf(out, ",\"end\":\"%s\"}\n", end_name(f->end));
}

void output_table_header(FILE *out)
{
	fprintf(out, "%-15s %-4s %-40s %-40s %7s %7s %-10s %-6s %-12s %-64s %s\n", "first_seen", "l4", "client",
		"server", "pkts>", "pkts<", "app", "verdict", "registrant", "reason", "tied_to");
}

/* An event's app, verdict, the verdict before it, and whose entry decided: the same in every event. */
static void verdict_json(FILE *out, const struct flow_record *f, uint8_t prev_verdict, const char *reg_id)
{
	json_str(out, classifier_name(f->app));
	fprintf(out, ",\"verdict\":\"%s\",\"previous\":", verdict_name(f->verdict));
	if (prev_verdict < VERDICT_COUNT)
		fprintf(out, "\"%s\"", verdict_name(prev_verdict));
	else
		fputs("null", out);
	fprintf(out, ",\"dropped\":%s,\"generation\":%" PRIu64 ",\"registrant\":", f->drop ? "true" : "false",
		f->reg_generation);
	if (reg_id)
		json_str(out, reg_id);
	else
		fputs("null", out);
}

void output_flow_row(FILE *out, const struct output_ctx *o, const struct flow_record *f, const struct tie_link *tie)
{
	const struct classify_db *cdb = o->cdb;
	const char *reg_id = registrant_of(o, f);
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], reason[160], ce[64], se[64], l4[8], tc[160];
	uint16_t cport, sport;
	flow_endpoints(f, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	classify_reason(cdb, f, reason, sizeof(reason));
	snprintf(ce, sizeof(ce), f->key.ip_version == 6 ? "[%s]:%u" : "%s:%u", cli, cport);
	snprintf(se, sizeof(se), f->key.ip_version == 6 ? "[%s]:%u" : "%s:%u", srv, sport);
	if (f->key.proto == IPPROTO_TCP)
		snprintf(l4, sizeof(l4), "tcp");
	else if (f->key.proto == IPPROTO_UDP)
		snprintf(l4, sizeof(l4), "udp");
	else
		snprintf(l4, sizeof(l4), "%u", f->key.proto);
	tie_cell(tc, sizeof(tc), tie);
	fprintf(out, "%15.3f %-4s %-40s %-40s %7" PRIu64 " %7" PRIu64 " %-10s %-6s %-12s %-64s %s\n",
		(double)f->ts_first / 1e9, l4, ce, se, f->pkts[CLS_C2S], f->pkts[CLS_S2C], classifier_name(f->app),
		verdict_name(f->verdict), reg_id ? reg_id : "-", reason, tc);
}

void output_event_json(FILE *out, const struct output_ctx *o, const struct flow_record *f)
{
	const struct classify_db *cdb = o->cdb;
	const char *reg_id = registrant_of(o, f);
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], reason[160];
	uint16_t cport, sport;
	flow_endpoints(f, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	classify_reason(cdb, f, reason, sizeof(reason));
	fprintf(out, "{\"event\":\"verdict\",\"ts\":%" PRIu64 ".%06" PRIu64 ",\"ip_version\":%u,\"l4\":",
		(uint64_t)(f->ts_last / 1000000000u), (uint64_t)(f->ts_last % 1000000000u / 1000), f->key.ip_version);
	l4_json(out, f->key.proto);
	fprintf(out,
		",\"src_ip\":\"%s\",\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u,\"ts_first\":%" PRIu64
		".%06" PRIu64 ",\"pkts_c2s\":%" PRIu64 ",\"pkts_s2c\":%" PRIu64 ",\"bytes_c2s\":%" PRIu64
		",\"bytes_s2c\":%" PRIu64 ",\"seen\":\"%s\""
		",\"app\":",
		cli, cport, srv, sport, (uint64_t)(f->ts_first / 1000000000u), (uint64_t)(f->ts_first % 1000000000u / 1000),
		f->pkts[CLS_C2S], f->pkts[CLS_S2C], f->bytes[CLS_C2S], f->bytes[CLS_S2C], seen_name(f));
	verdict_json(out, f, f->prev_verdict, reg_id);
	if (f->has_insp) {
		tls_json(out, f);
		outer_json(out, f);
	}
	fputs(",\"reason\":", out);
	json_str(out, reason);
	fprintf(out, ",\"vpn\":%s}\n", f->app ? "true" : "false");
}

void output_tie_event_json(FILE *out, const struct output_ctx *o, const struct flow_record *f,
			   uint8_t prev_verdict, const struct tie_link *tie, uint64_t ts)
{
	const struct classify_db *cdb = o->cdb;
	const char *reg_id = registrant_of(o, f);
	char cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], reason[160];
	uint16_t cport, sport;
	flow_endpoints(f, cli, sizeof(cli), &cport, srv, sizeof(srv), &sport);
	classify_reason(cdb, f, reason, sizeof(reason));
	fputs("{\"event\":\"tie\",\"ts\":", out);
	ts_json(out, ts);
	fprintf(out, ",\"ip_version\":%u,\"l4\":", f->key.ip_version);
	l4_json(out, f->key.proto);
	fprintf(out, ",\"src_ip\":\"%s\",\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u,\"ts_first\":", cli, cport,
		srv, sport);
	ts_json(out, f->ts_first);
	fputs(",\"app\":", out);
	verdict_json(out, f, prev_verdict, reg_id);
	fputs(",\"reason\":", out);
	json_str(out, reason);
	tie_json(out, tie);
	fprintf(out, ",\"vpn\":%s}\n", f->app ? "true" : "false");
}

int event_record_cmp(const void *a, const void *b)
{
	const struct flow_record *x = a, *y = b;
	if (x->ts_last != y->ts_last)
		return x->ts_last < y->ts_last ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

int flow_record_cmp(const void *a, const void *b)
{
	const struct flow_record *x = a, *y = b;
	if (x->ts_first != y->ts_first)
		return x->ts_first < y->ts_first ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}
