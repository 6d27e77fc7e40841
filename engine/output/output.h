/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as people and programs read them: a JSON line per flow, or a
 * table row. Runs on the control lcore only.
 */
#ifndef TUNDRA_OUTPUT_H
#define TUNDRA_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "classify.h"
#include "flow.h"
#include "registry.h"
#include "tie.h"

/* What writing a record needs besides the record. */
struct output_ctx {
	const struct classify_db *cdb;           /* signature names */
	const struct registrant_catalogue *cat;  /* registrant names */
	bool explain;                            /* JSON records carry the decision path ("path") */
};

/* tie: the flow's tie (NULL or rule 0: not tied), reported as "tied_to". */
void output_flow_json(FILE *out, const struct output_ctx *o, const struct flow_record *f, const struct tie_link *tie);
/* --explain, table: the tie as a line of the decision path. */
void output_tie_explain(FILE *out, const struct tie_link *t, const char *indent);
void output_table_header(FILE *out);
void output_flow_row(FILE *out, const struct output_ctx *o, const struct flow_record *f, const struct tie_link *tie);

/* Client and server endpoints of a flow, as text. */
void flow_endpoints(const struct flow_record *f, char *cli, size_t cl, uint16_t *cport, char *srv, size_t sl,
		    uint16_t *sport);
int flow_record_cmp(const void *a, const void *b);
/* A verdict event: the flow, its new and previous verdict, the registry generation. */
void output_event_json(FILE *out, const struct output_ctx *o, const struct flow_record *f);
int event_record_cmp(const void *a, const void *b);
/*
 * A tie event: the child flow as the tie leaves it (relabelled and judged
 * again when the rule relabels), its verdict before, the parent in tie.
 */
void output_tie_event_json(FILE *out, const struct output_ctx *o, const struct flow_record *child,
			   uint8_t prev_verdict, const struct tie_link *tie, uint64_t ts);

#endif
