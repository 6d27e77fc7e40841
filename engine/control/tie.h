/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ties: flows of one VPN session that tundra sees as separate flows (the IKE
 * exchange and its ESP, the PPTP control connection and its GRE, an
 * AnyConnect DTLS channel and its TLS channel, a tinc meta connection and
 * its UDP data) are tied together, and a flow that shows nothing of its own
 * may take its partner's label.
 *
 * Symmetric RSS puts the flows of one session on different workers, which
 * share nothing, so ties are made here, on the control lcore, from the
 * records every worker already sends it: a flow's first verdict (decided or
 * window closed) and its end. Nothing here runs on the packet path, and a
 * tie never changes what a worker does with a packet (docs/architecture.md).
 *
 * The rules are one table (tie.c, docs/classifiers.md). Two ways to use it:
 *   offline: tie_all() over every record of a finished run, so the result
 *            depends only on the capture (not on which flow ended first or
 *            how many workers ran);
 *   live:    a bounded table fed as records arrive (tie_note on a flow's
 *            first verdict, tie_end on its end).
 */
#ifndef TUNDRA_TIE_H
#define TUNDRA_TIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* How a child flow must sit relative to its parent (always: same two addresses, VLAN, IP version). */
enum tie_match {
	TIE_HOSTS = 0,       /* nothing more */
	TIE_SERVER_PORT,     /* the same client and server address, the same server port */
	TIE_PORT_AT_SERVER,  /* the child's port on the parent's server address is the parent's server port */
};

/* What a child flow must be. */
enum tie_child {
	TIE_CHILD_APP = 0,   /* decided as child_app by its own classifier: linked, label kept */
	TIE_CHILD_TLS,       /* undecided TCP flow whose client opened with a TLS ClientHello */
	TIE_CHILD_UDP,       /* undecided UDP flow */
};

struct tie_rule {
	const char *name;          /* reported as check "tie:<name>" and in tied_to.rule */
	const char *check;         /* "tie:<name>" */
	const char *parent;        /* app of the parent flow */
	uint8_t parent_proto;      /* IP protocol of the parent, 0 = any */
	uint8_t child_kind;        /* enum tie_child */
	const char *child;         /* TIE_CHILD_APP: app of the child */
	uint8_t child_proto;       /* IP protocol of the child, 0 = any */
	uint8_t match;             /* enum tie_match */
	uint8_t relabel;           /* the child is reported as the parent's app, confidence likely */
};

extern const struct tie_rule tie_rules[];
extern const unsigned int tie_n_rules;

/* What is kept of a flow: enough to match it, name it and report a tie event for it. */
struct tie_flow {
	struct flow_key key;
	uint64_t ts_first, ts_last;
	uint64_t bytes[2];
	uint64_t pkts[2];
	const char *check;
	uint16_t pattern;
	uint16_t decided_at_pkt;
	uint8_t client_is_lo;
	uint8_t app;
	uint8_t phase;
	uint8_t result;
	uint8_t verdict;
	uint8_t drop;
	uint8_t tls;               /* its client sent a TLS (not DTLS) ClientHello */
	uint8_t end;               /* enum flow_end, for records that ended */
	uint8_t tcp_fin;
};

/* The partner a flow names in its record. */
struct tie_peer {
	struct flow_key key;
	uint64_t ts_first;
	uint8_t client_is_lo;
	uint8_t app;
};

/* A flow's tie, as reported: rule 0 = not tied. */
struct tie_link {
	uint8_t rule;              /* index + 1 into tie_rules */
	uint8_t relabel;           /* this flow took the partner's label */
	uint8_t is_child;
	uint32_t n;                /* flows tied to this one (a child has one parent) */
	struct tie_peer peer;      /* child: its parent; parent: its earliest child */
};

/* A tie as it is made: for the event. */
struct tie_event {
	const struct tie_flow *child, *parent;
	const struct tie_link *link;   /* the child's: names the parent */
	uint64_t ts;                   /* when the later of the two became known */
};
typedef void (*tie_event_fn)(void *arg, const struct tie_event *ev);

/* Timeouts the flow tables use (offline: how long a flow stays alive after its last packet). */
struct tie_timeouts {
	uint64_t udp_ns, tcp_ns, tcp_syn_ns, tcp_fin_ns, other_ns;
};

struct tie_stats {
	uint64_t ties;             /* ties made */
	uint64_t relabels;         /* of them: the child took the parent's label */
	uint64_t evicted;          /* live: entries dropped to make room (their ties are lost) */
	uint64_t kept;             /* live: entries held now */
};

/* The summary of a record; false when no rule can use the flow (not kept). */
bool tie_flow_of(const struct flow_record *f, struct tie_flow *s);

/* A record rebuilt from a summary (counters as they were then; no registrant, JA4 or SNI). */
void tie_flow_record(const struct tie_flow *s, struct flow_record *f);

/* Applies a relabelling tie to a record: app, confidence likely, check "tie:<rule>", no deciding packet. */
void tie_relabel(struct flow_record *f, const struct tie_link *l);

/* ---- offline ---- */

/*
 * Ties every record of a finished run: links[i] for recs[i] (zeroed when
 * not tied). Two flows tie only when both were alive at once: from the
 * first packet to the last plus the idle timeout the flow table gives it
 * (an evicted flow: to its last packet). A child with several matching parents takes the latest that started no
 * later than it, else the earliest after; a parent names its earliest
 * child. The result does not depend on the order of recs. Returns the
 * number of ties, -1 when out of memory.
 */
long tie_all(const struct flow_record *recs, size_t n, const struct tie_timeouts *to, struct tie_link *links);

/* ---- live ---- */

struct tie_table;

/* A table for at most capacity flows (>= 4). */
struct tie_table *tie_table_create(uint32_t capacity);
void tie_table_free(struct tie_table *t);

/*
 * A flow's first verdict (decided or window closed): kept when a rule can
 * use it, tied to what the table holds. fn is called once per tie made.
 * A full table first drops its oldest undecided flow, else its oldest VPN
 * flow. Returns the number of ties made.
 */
unsigned int tie_note(struct tie_table *t, const struct flow_record *f, tie_event_fn fn, void *arg);

/*
 * A flow's end: its tie (link; rule 0 when none) and the flow is forgotten.
 * A flow the table never saw (it ended before deciding, or its verdict
 * record was lost) is noted first, so it still ties to what is there.
 */
bool tie_end(struct tie_table *t, const struct flow_record *f, struct tie_link *link, tie_event_fn fn, void *arg);

void tie_table_stats(const struct tie_table *t, struct tie_stats *st);

#endif
