/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's side of XDP enforcement (--xdp-enforce): what joins the
 * control lcore's records and options to the XDP module (xdp.h), which
 * knows neither. Flow records become plain tuples in xdp_tuple_of() and
 * nowhere else, so when the record changes this is the one function to
 * follow it; engine.c and live.c only call in here, one line per hook.
 */
#include "engine.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "verdict.h"

/*
 * The one place a flow record becomes what the XDP side keeps: its tuple
 * from the client, and in the tag what judging it again takes (app and how
 * sure the classifier was).
 */
static void xdp_tuple_of(const struct flow_record *f, struct xdp_tuple *t, uint64_t *tag)
{
	const struct flow_key *k = &f->key;
	t->ip_version = k->ip_version;
	t->proto = k->proto;
	memcpy(t->src, f->client_is_lo ? k->addr_lo : k->addr_hi, sizeof(t->src));
	memcpy(t->dst, f->client_is_lo ? k->addr_hi : k->addr_lo, sizeof(t->dst));
	t->sport = f->client_is_lo ? k->port_lo : k->port_hi;
	t->dport = f->client_is_lo ? k->port_hi : k->port_lo;
	*tag = (uint64_t)f->app | (uint64_t)f->result << 8;
}

/*
 * After a reload: would this blocked flow still drop under the registry now
 * serving? Judged here because a worker may never see the flow again: XDP
 * drops its packets before a mirror behind it does.
 */
static bool xdp_still_drops(void *arg, const struct xdp_tuple *t, uint64_t tag)
{
	struct engine *e = arg;
	struct flow_record f;
	memset(&f, 0, sizeof(f));
	f.key.ip_version = t->ip_version;
	f.key.proto = t->proto;
	memcpy(f.key.addr_lo, t->src, sizeof(f.key.addr_lo));
	memcpy(f.key.addr_hi, t->dst, sizeof(f.key.addr_hi));
	f.key.port_lo = t->sport;
	f.key.port_hi = t->dport;
	f.client_is_lo = 1;
	f.phase = FLOW_DECIDED;
	f.app = (uint8_t)tag;
	f.result = (uint8_t)(tag >> 8);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	verdict_decide(&f, e->sh->registry, &e->sh->policy, e->sh->can_enforce,
		       (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	return f.drop;
}

/* A verdict that drops blocks the flow in XDP, one that does not unblocks it; an end record ends it. */
void engine_xdp_record(struct engine *e, const struct flow_record *f)
{
	struct xdp_tuple t;
	uint64_t tag;
	xdp_tuple_of(f, &t, &tag);
	if (f->kind != RECORD_VERDICT)
		xdp_enforce_end(e->xdp, &t);
	else if (f->drop)
		xdp_enforce_block(e->xdp, &t, tag, xdp_now_ns());
	else
		xdp_enforce_unblock(e->xdp, &t);
}

int engine_xdp_open(struct engine *e)
{
	struct xdp_enforce_config c = {
		.ifnames = e->o.xdp_enforce.v,
		.n_ifnames = e->o.xdp_enforce.n,
		.ttl_s = e->o.xdp_ttl_s,
		.max_flows = e->o.xdp_flows,
		.tcp_idle_ns = (uint64_t)e->o.tcp_timeout_s * 1000000000ull,
		.other_idle_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.generic = e->o.xdp_generic,
	};
	char err[512];
	e->xdp = xdp_enforce_open(&c, err, sizeof(err));
	if (e->xdp == NULL) {
		fprintf(stderr, "tundra: %s\n", err);
		return -1;
	}
	engine_xdp_sync(e);
	fprintf(stderr, "tundra: XDP enforcer on %u interface(s) (%" PRIu64 " native, %" PRIu64
			" generic): up to %u blocked flows, each stops matching %u s after tundra stops refreshing it%s\n",
		c.n_ifnames, e->ctl.xdp_native, e->ctl.xdp_generic, c.max_flows, c.ttl_s,
		e->ctl.enforce_active ? "" : "; nothing is enforced (monitor mode or no registry): all passes");
	return 0;
}

void engine_xdp_sync(struct engine *e)
{
	if (e->xdp == NULL)
		return;
	xdp_enforce_age(e->xdp, xdp_now_ns());
	struct xdp_enforce_stats st;
	xdp_enforce_get_stats(e->xdp, &st);
	e->ctl.xdp_native = st.ifaces_native;
	e->ctl.xdp_generic = st.ifaces_generic;
	e->ctl.xdp_flows = st.flows;
	e->ctl.xdp_blocks = st.blocks;
	e->ctl.xdp_unblocks = st.unblocks;
	e->ctl.xdp_released = st.released;
	e->ctl.xdp_refused = st.refused;
	e->ctl.xdp_map_errors = st.map_errors;
	e->ctl.xdp_dropped = st.dropped;
	e->ctl.xdp_expired = st.expired;
	e->ctl.xdp_passed = st.passed;
}

void engine_xdp_reloaded(struct engine *e)
{
	if (e->xdp == NULL)
		return;
	unsigned int freed = xdp_enforce_revisit(e->xdp, xdp_still_drops, e);
	if (freed)
		fprintf(stderr, "tundra: %u flow(s) blocked in XDP no longer drop under generation %" PRIu64 ": unblocked\n",
			freed, e->generation);
	engine_xdp_sync(e);
}

void engine_xdp_summary(const struct engine *e, FILE *out)
{
	if (e->xdp == NULL)
		return;
	fprintf(out,
		"  xdp: dropped=%" PRIu64 " expired=%" PRIu64 " passed=%" PRIu64 " flows: blocked=%" PRIu64
		" unblocked=%" PRIu64 " released=%" PRIu64 " in_map=%" PRIu64 " refused=%" PRIu64 " map_errors=%" PRIu64 "\n",
		e->ctl.xdp_dropped, e->ctl.xdp_expired, e->ctl.xdp_passed, e->ctl.xdp_blocks, e->ctl.xdp_unblocks,
		e->ctl.xdp_released, e->ctl.xdp_flows, e->ctl.xdp_refused, e->ctl.xdp_map_errors);
}
