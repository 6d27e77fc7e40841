/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classification stage: the Hyperscan database and its table checks,
 * offering payloads to candidates in priority order, ownership and
 * conclude(), the inspection slot pool, ClientHello reassembly, and the
 * reason and explain text of a decision.
 */
#include "classify.h"
#include "ipproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/*
 * What the engine relies on in a table, checked before anything runs: every
 * classifier complete, its state within the bytes a flow has for it,
 * priorities unique (they are the order candidates are offered a payload),
 * and every classifier that decides on some TLS ClientHellos offered before
 * one that takes every ClientHello (which would otherwise hide them).
 */
static int table_check(const struct classifier *const *tab, unsigned int n, char *err, size_t errlen)
{
	for (unsigned int c = 0; c < n; c++) {
		const struct classifier *cl = tab[c];
		if (cl->name == NULL || cl->first == NULL) {
			snprintf(err, errlen, "classifier %u (%s): a name and first() are required", c + 1,
				 cl->name ? cl->name : "?");
			return -1;
		}
		if (cl->l4 == 0 || (cl->n_patterns != 0 && cl->patterns == NULL)) {
			snprintf(err, errlen, "classifier %s: no transport, or patterns counted but not given", cl->name);
			return -1;
		}
		for (unsigned int p = 0; p < cl->n_patterns; p++)
			if (cl->patterns[p].regex == NULL || cl->patterns[p].name == NULL ||
			    (cl->patterns[p].l4 & ~cl->l4) != 0 || cl->patterns[p].l4 == 0) {
				snprintf(err, errlen, "classifier %s: pattern %u needs a regex, a name and transports of its own",
					 cl->name, p + 1);
				return -1;
			}
		if ((cl->any_l4 & ~cl->l4) != 0) {
			snprintf(err, errlen, "classifier %s: any_l4 names a transport it does not apply to", cl->name);
			return -1;
		}
		if (cl->state_size > CLS_STATE_BYTES) {
			snprintf(err, errlen, "classifier %s: state of %u bytes, a flow has %u", cl->name, cl->state_size,
				 CLS_STATE_BYTES);
			return -1;
		}
		for (unsigned int d = 0; d < n; d++) {
			const struct classifier *o = tab[d];
			if (d != c && o->priority == cl->priority) {
				snprintf(err, errlen, "classifiers %s and %s have the same priority %u", cl->name, o->name,
					 cl->priority);
				return -1;
			}
			if ((cl->flags & CLS_F_READS_CLIENTHELLO) && (o->flags & CLS_F_CLAIMS_CLIENTHELLO) &&
			    o->priority < cl->priority) {
				snprintf(err, errlen,
					 "classifier %s (priority %u) reads ClientHellos but %s (priority %u), which takes "
					 "every ClientHello, is offered them first",
					 cl->name, cl->priority, o->name, o->priority);
				return -1;
			}
		}
	}
	return 0;
}

int classify_db_build_from(struct classify_db *cdb, const struct classifier *const *tab, unsigned int n_cls,
			   char *err, size_t errlen)
{
	memset(cdb, 0, sizeof(*cdb));
	unsigned int n = 0;
	if (n_cls > CLASSIFY_MAX_CLASSIFIERS) {
		snprintf(err, errlen, "%u classifiers, at most %u", n_cls, CLASSIFY_MAX_CLASSIFIERS);
		return -1;
	}
	if (table_check(tab, n_cls, err, errlen) != 0)
		return -1;
	cdb->tab = tab;
	cdb->n_cls = n_cls;
	for (unsigned int c = 0; c < n_cls; c++)
		n += tab[c]->n_patterns;
	if (n == 0) {
		/* Hyperscan needs at least one pattern; a table of pattern-less classifiers is odd. */
		snprintf(err, errlen, "no classifier patterns");
		return -1;
	}
	/* Ids in priority order: the order candidates are offered a payload. */
	for (unsigned int c = 0; c < n_cls; c++)
		cdb->order[c] = (uint8_t)(c + 1);
	for (unsigned int i = 1; i < n_cls; i++)
		for (unsigned int j = i; j > 0 && tab[cdb->order[j] - 1]->priority < tab[cdb->order[j - 1] - 1]->priority;
		     j--) {
			uint8_t t = cdb->order[j];
			cdb->order[j] = cdb->order[j - 1];
			cdb->order[j - 1] = t;
		}
	const char **exprs = calloc(n, sizeof(*exprs));
	unsigned int *flags = calloc(n, sizeof(*flags));
	unsigned int *ids = calloc(n, sizeof(*ids));
	cdb->pattern_cls = calloc(n, sizeof(*cdb->pattern_cls));
	cdb->pattern = calloc(n, sizeof(*cdb->pattern));
	int rc = -1;
	if (!exprs || !flags || !ids || !cdb->pattern_cls || !cdb->pattern) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	unsigned int i = 0;
	for (unsigned int c = 0; c < n_cls; c++) {
		const struct classifier *cl = tab[c];
		if (cl->pkts_needed > cdb->max_pkts_needed)
			cdb->max_pkts_needed = cl->pkts_needed;
		if (cl->l4 & CLS_IP)
			cdb->any_ip = 1;
		for (unsigned int p = 0; p < cl->n_patterns; p++, i++) {
			exprs[i] = cl->patterns[p].regex;
			/* SINGLEMATCH: one callback per pattern is all a candidate needs. */
			flags[i] = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH;
			ids[i] = i;
			cdb->pattern_cls[i] = (uint8_t)(c + 1);
			cdb->pattern[i] = &cl->patterns[p];
		}
	}
	for (unsigned int k = 0; k < n_cls; k++) {
		const struct classifier *cl = tab[cdb->order[k] - 1];
		/* Pattern-less: every payload of its transports; with patterns: those of any_l4. */
		uint8_t any = cl->n_patterns == 0 ? cl->l4 : cl->any_l4;
		for (unsigned int b = 0; b < 3; b++)
			if (any & (1u << b))
				cdb->always[b][cdb->n_always[b]++] = cdb->order[k];
	}
	hs_compile_error_t *cerr = NULL;
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &cdb->db, &cerr) != HS_SUCCESS) {
		int bad = cerr->expression;
		snprintf(err, errlen, "hyperscan: pattern %s of %s: %s",
			 bad >= 0 ? cdb->pattern[bad]->name : "?",
			 bad >= 0 ? tab[cdb->pattern_cls[bad] - 1]->name : "?", cerr->message);
		hs_free_compile_error(cerr);
		goto out;
	}
	cdb->n_patterns = n;
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	if (rc != 0)
		classify_db_free(cdb);
	return rc;
}

int classify_db_build(struct classify_db *cdb, char *err, size_t errlen)
{
	return classify_db_build_from(cdb, tundra_classifiers, tundra_n_classifiers, err, errlen);
}

void classify_db_free(struct classify_db *cdb)
{
	if (cdb->db)
		hs_free_database(cdb->db);
	free(cdb->pattern_cls);
	free(cdb->pattern);
	memset(cdb, 0, sizeof(*cdb));
}

int classify_ctx_init(struct classify_ctx *ctx, const struct classify_db *cdb, uint16_t window_pkts,
		      uint32_t window_bytes, unsigned int reasm_bufs, uint32_t insp_slots, struct worker_stats *ctr)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ctr = ctr;
	ctx->cdb = cdb;
	ctx->window_pkts = window_pkts;
	ctx->window_bytes = window_bytes;
	if (reasm_bufs > UINT16_MAX)
		return -1;
	if (reasm_bufs > 0) {
		ctx->reasm = calloc(reasm_bufs + 1, sizeof(*ctx->reasm));
		ctx->reasm_data = malloc((size_t)reasm_bufs * CLASSIFY_REASM_STRIDE);
		if (ctx->reasm == NULL || ctx->reasm_data == NULL) {
			classify_ctx_free(ctx);
			return -1;
		}
		ctx->reasm_bufs = (uint16_t)reasm_bufs;
		for (unsigned int i = reasm_bufs; i >= 1; i--) {
			ctx->reasm[i].next = ctx->reasm_free;
			ctx->reasm_free = (uint16_t)i;
		}
		ctx->reasm_n_free = (uint16_t)reasm_bufs;
	}
	if (insp_slots > 0) {
		/* Touched page by page only as flows come: a large pool costs what is used. */
		ctx->insp = calloc((size_t)insp_slots + 1, sizeof(*ctx->insp));
		if (ctx->insp == NULL) {
			classify_ctx_free(ctx);
			return -1;
		}
		ctx->insp_n = insp_slots;
		ctx->insp_n_free = insp_slots;
		ctx->insp_fresh = 1;
	}
	if (hs_alloc_scratch(cdb->db, &ctx->scratch) != HS_SUCCESS) {
		classify_ctx_free(ctx);
		return -1;
	}
	return 0;
}

/* In-use list: oldest lent first, for taking back the stalest. */
static void insp_unlink(struct classify_ctx *ctx, uint32_t ix)
{
	struct flow_insp *e = &ctx->insp[ix];
	if (e->prev)
		ctx->insp[e->prev].next = e->next;
	else
		ctx->insp_oldest = e->next;
	if (e->next)
		ctx->insp[e->next].prev = e->prev;
	else
		ctx->insp_newest = e->prev;
	e->next = e->prev = 0;
}

static void insp_append(struct classify_ctx *ctx, uint32_t ix)
{
	struct flow_insp *e = &ctx->insp[ix];
	e->next = 0;
	e->prev = ctx->insp_newest;
	if (ctx->insp_newest)
		ctx->insp[ctx->insp_newest].next = ix;
	else
		ctx->insp_oldest = ix;
	ctx->insp_newest = ix;
}

uint32_t classify_insp_get(struct classify_ctx *ctx, uint32_t flow_slot)
{
	uint32_t ix = ctx->insp_free;
	struct flow_insp *e;
	if (ix != 0) {
		e = &ctx->insp[ix];
		ctx->insp_free = e->next;
	} else if (ctx->insp_fresh != 0 && ctx->insp_fresh <= ctx->insp_n) {
		ix = ctx->insp_fresh++;
		e = &ctx->insp[ix];
	} else {
		return 0;
	}
	ctx->insp_n_free--;
	memset(e, 0, sizeof(*e));
	e->slot = flow_slot;
	insp_append(ctx, ix);
	return ix;
}

void classify_insp_put(struct classify_ctx *ctx, uint32_t ix)
{
	if (ix == 0 || ix > ctx->insp_n)
		return;
	struct flow_insp *e = &ctx->insp[ix];
	classify_flow_end(ctx, e);
	insp_unlink(ctx, ix);
	e->slot = 0;
	e->next = ctx->insp_free;
	ctx->insp_free = ix;
	ctx->insp_n_free++;
}

uint32_t classify_insp_reclaimable(struct classify_ctx *ctx, uint64_t now, uint64_t min_idle_ns)
{
	/* A few looks only: the pool is empty because flows are busy, not because the list is long. */
	for (unsigned int tries = 0; tries < 8 && ctx->insp_oldest != 0; tries++) {
		uint32_t ix = ctx->insp_oldest;
		struct flow_insp *e = &ctx->insp[ix];
		if (now > e->ts_last && now - e->ts_last >= min_idle_ns)
			return e->slot;
		if (ix == ctx->insp_newest)
			break;
		insp_unlink(ctx, ix);
		insp_append(ctx, ix);
	}
	return 0;
}

void classify_ctx_free(struct classify_ctx *ctx)
{
	if (ctx->scratch)
		hs_free_scratch(ctx->scratch);
	ctx->scratch = NULL;
	free(ctx->reasm);
	free(ctx->reasm_data);
	free(ctx->insp);
	ctx->insp = NULL;
	ctx->insp_n = ctx->insp_n_free = ctx->insp_free = ctx->insp_oldest = ctx->insp_newest = ctx->insp_fresh = 0;
	ctx->reasm = NULL;
	ctx->reasm_data = NULL;
	ctx->reasm_bufs = ctx->reasm_n_free = ctx->reasm_free = 0;
	ctx->reasm_oldest = ctx->reasm_newest = 0;
}

/* Candidates of one scan: first matching pattern per classifier. */
struct candidates {
	const struct classify_db *cdb;
	uint8_t l4;
	uint16_t first_pattern[CLASSIFY_MAX_CLASSIFIERS + 1]; /* by id: pattern index + 1 */
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		    void *arg)
{
	(void)from;
	(void)to;
	(void)flags;
	struct candidates *c = arg;
	if (!(c->cdb->pattern[id]->l4 & c->l4))
		return 0;
	uint8_t cls = c->cdb->pattern_cls[id];
	if (c->first_pattern[cls] == 0 || id + 1 < c->first_pattern[cls])
		c->first_pattern[cls] = (uint16_t)(id + 1);
	return 0;
}

static void decide(struct flow_insp *f, uint8_t app, struct cls_verdict v, uint16_t pkt_no, uint16_t pattern)
{
	f->phase = FLOW_DECIDED;
	f->app = app;
	f->result = (uint8_t)v.result;
	f->check = v.check;
	f->server = v.server;
	f->decided_at_pkt = pkt_no;
	if (pattern)
		f->pattern = pattern;
}

/* Records a step of the decision path; past the trail's end only counts it. */
static inline void step(struct flow_insp *f, uint16_t pkt, uint8_t cls, uint8_t result, uint16_t pattern)
{
	if (f->n_steps < FLOW_TRAIL_MAX)
		f->trail[f->n_steps] = (struct cls_step){.pkt = pkt, .pattern = pattern, .cls = cls, .result = result};
	if (f->n_steps < UINT8_MAX)
		f->n_steps++;
}

static void release(struct cls_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* First-record reassembly --------------------------------------------------- */

/*
 * Invariant: a flow holds a buffer only between its own packets, and only
 * while nothing of its first client record has been offered to a validator.
 * So a decision or a closing window never finds a buffer held; only a flow
 * that leaves the table does (classify_flow_end). What a record is and how
 * long it is, the classifiers say (cls_first_record): the engine only
 * gathers bytes in sequence order.
 */

static inline uint8_t *reasm_buf(const struct classify_ctx *ctx, uint16_t i)
{
	return ctx->reasm_data + (size_t)(i - 1) * CLASSIFY_REASM_STRIDE;
}

static void reasm_put(struct classify_ctx *ctx, struct flow_insp *f)
{
	uint16_t i = f->reasm;
	f->reasm = 0;
	if (i == 0 || i > ctx->reasm_bufs || ctx->reasm[i].flow != f)
		return;
	struct classify_reasm *r = &ctx->reasm[i];
	if (r->prev)
		ctx->reasm[r->prev].next = r->next;
	else
		ctx->reasm_oldest = r->next;
	if (r->next)
		ctx->reasm[r->next].prev = r->prev;
	else
		ctx->reasm_newest = r->prev;
	memset(r, 0, sizeof(*r));
	r->next = ctx->reasm_free;
	ctx->reasm_free = i;
	ctx->reasm_n_free++;
}

void classify_reasm_drop(struct classify_ctx *ctx, struct flow_insp *f)
{
	ctx->ctr->reasm_gave_up++;
	reasm_put(ctx, f);
}

static uint16_t reasm_get(struct classify_ctx *ctx, struct flow_insp *f)
{
	if (ctx->reasm_free == 0 && ctx->reasm_oldest != 0) {
		/*
		 * A ClientHello's segments follow each other within a round trip or
		 * a retransmission: a flow idle this long mid-record has stalled,
		 * and would otherwise pin its buffer until its idle timeout.
		 */
		struct flow_insp *v = ctx->reasm[ctx->reasm_oldest].flow;
		if (f->ts_last > v->ts_last && f->ts_last - v->ts_last > CLASSIFY_REASM_IDLE_NS)
			classify_reasm_drop(ctx, v);
	}
	uint16_t i = ctx->reasm_free;
	if (i == 0)
		return 0;
	struct classify_reasm *r = &ctx->reasm[i];
	ctx->reasm_free = r->next;
	ctx->reasm_n_free--;
	r->flow = f;
	r->next = 0;
	r->prev = ctx->reasm_newest;
	if (ctx->reasm_newest)
		ctx->reasm[ctx->reasm_newest].next = i;
	else
		ctx->reasm_oldest = i;
	ctx->reasm_newest = i;
	f->reasm = i;
	return i;
}

/*
 * The client's first payload: the facts its record gives (whole), or, when a
 * TCP segment holds only the start of it, the segment kept for reassembly.
 * True when kept (nothing to inspect yet).
 */
static bool first_record(struct classify_ctx *ctx, struct flow_insp *f, const struct cls_pkt *p, uint32_t seq)
{
	uint32_t need = 0;
	enum cls_record st = cls_first_record(p->payload, p->len, p->l4, &need, &f->facts);
	if (st != CLS_RECORD_PART || p->l4 != CLS_TCP || ctx->reasm_bufs == 0 || need > CLASSIFY_REASM_CAP ||
	    need <= p->len)
		return false;
	uint16_t i = reasm_get(ctx, f);
	if (i == 0) {
		ctx->ctr->reasm_no_buffer++;
		return false;
	}
	struct classify_reasm *r = &ctx->reasm[i];
	memcpy(reasm_buf(ctx, i), p->payload, p->len);
	r->have = p->len;
	r->need = need;
	r->next_seq = seq + p->len;
	r->segs = 1;
	f->tcp_off[CLS_C2S] = p->len;
	return true;
}

enum reasm_step { RS_HELD, RS_DONE, RS_GAVE_UP };

/* One more client segment; *used: bytes of it up to the record's end. */
static enum reasm_step reasm_add(struct classify_ctx *ctx, struct flow_insp *f, const struct cls_pkt *p, uint32_t seq,
				 uint32_t *used)
{
	struct classify_reasm *r = &ctx->reasm[f->reasm];
	if (++r->segs > CLASSIFY_REASM_MAX_SEGS)
		return RS_GAVE_UP;
	/* Sequence numbers wrap: compare by their difference. */
	if ((int32_t)(seq - r->next_seq) > 0)
		return RS_GAVE_UP; /* a gap: lost or reordered, not waited for */
	uint32_t skip = r->next_seq - seq;
	if (skip >= p->len)
		return RS_HELD; /* a retransmission of bytes already here */
	/* A retransmission may also carry new bytes after old ones (segments coalesced): take those. */
	uint8_t *buf = reasm_buf(ctx, f->reasm);
	uint32_t off = skip;
	while (off < p->len) {
		uint32_t take = r->need - r->have;
		if (take > p->len - off)
			take = p->len - off;
		memcpy(buf + r->have, p->payload + off, take);
		r->have += take;
		r->next_seq += take;
		f->tcp_off[CLS_C2S] += take;
		off += take;
		if (r->have < r->need)
			continue;
		/* As much as was asked for: whole now, or a longer record than known so far. */
		uint32_t need = 0;
		struct cls_facts facts;
		enum cls_record st = cls_first_record(buf, r->have, CLS_TCP, &need, &facts);
		if (st == CLS_RECORD_WHOLE)
			break;
		if (st != CLS_RECORD_PART || need <= r->have || need > CLASSIFY_REASM_CAP) {
			*used = off;
			return RS_GAVE_UP;
		}
		r->need = need;
	}
	*used = off;
	return r->have >= r->need ? RS_DONE : RS_HELD;
}

static bool inspect(struct classify_ctx *ctx, struct flow_insp *f, const struct cls_pkt *p, bool new_pkt);

/*
 * A packet of a flow whose ClientHello is being reassembled. Whole: the
 * validators get the record as the client's first payload, exactly as if it
 * had come in one segment, then whatever the segment carried past it. Given
 * up (a gap, the server speaking, too many segments): they get what was
 * gathered, then this packet, as they would have without reassembly.
 */
static bool reasm_packet(struct classify_ctx *ctx, struct flow_insp *f, struct cls_pkt *p, uint32_t seq)
{
	uint32_t used = 0;
	enum reasm_step s = p->dir == CLS_C2S ? reasm_add(ctx, f, p, seq, &used) : RS_GAVE_UP;
	if (s == RS_HELD)
		return false;
	struct classify_reasm *r = &ctx->reasm[f->reasm];
	struct cls_pkt first = *p;
	first.payload = reasm_buf(ctx, f->reasm);
	first.len = r->have;
	first.dir = CLS_C2S;
	first.tcp_offset = 0;
	if (p->dir != CLS_C2S) {
		first.src_port = p->dst_port;
		first.dst_port = p->src_port;
	}
	uint32_t need;
	if (s == RS_DONE && cls_first_record(first.payload, first.len, CLS_TCP, &need, &f->facts) == CLS_RECORD_WHOLE)
		ctx->ctr->reasm_done++;
	else
		ctx->ctr->reasm_gave_up++;
	bool changed = inspect(ctx, f, &first, true);
	reasm_put(ctx, f);
	if (changed || used >= p->len)
		return changed;
	p->payload += used;
	p->len -= used;
	p->tcp_offset = f->tcp_off[p->dir];
	/* Bytes past a whole record came with it: the same packet, so not counted as another. */
	return inspect(ctx, f, p, s != RS_DONE);
}

/* Offers a payload to one candidate with a fresh state; true when it decided or took ownership. */
static bool offer(const struct classify_db *cdb, struct flow_insp *f, const struct cls_pkt *p, uint8_t id,
		  uint16_t pat, bool *decided)
{
	const struct classifier *cl = cdb->tab[id - 1];
	struct cls_state st;
	memset(&st, 0, sizeof(st));
	struct cls_pkt q = *p;
	q.first_dir = p->dir;
	struct cls_verdict v = cl->first(&q, st.data);
	step(f, p->pkt_no, id, (uint8_t)v.result, pat);
	if (v.result >= CLS_LIKELY) {
		decide(f, id, v, p->pkt_no, pat);
		*decided = true;
		return true;
	}
	if (v.result == CLS_MORE) {
		f->cls = st;
		f->cls.owner = id;
		f->cls.first_dir = p->dir;
		f->pattern = pat;
		return true;
	}
	return false;
}

/* A payload of an owned flow, to its owner alone; past max_owned without a decision it is given up. */
static struct cls_verdict to_owner(const struct classify_db *cdb, struct flow_insp *f, const struct cls_pkt *p)
{
	const struct classifier *cl = cdb->tab[f->cls.owner - 1];
	if (cl->max_owned != 0 && ++f->cls.owned > cl->max_owned) {
		struct cls_verdict v = {CLS_NO, "no-decision-in-window", CLS_SERVER_UNSAID};
		return v;
	}
	if (cl->owned == NULL) {
		/* It claimed a flow it has no way to follow: a broken classifier, not evidence. */
		struct cls_verdict v = {CLS_NO, "owner-has-no-owned", CLS_SERVER_UNSAID};
		return v;
	}
	struct cls_pkt q = *p;
	q.first_dir = f->cls.first_dir;
	return cl->owned(&q, f->cls.data);
}

/*
 * The owner has seen all it will (why: enum cls_end): it decides on that
 * when it can (one direction, a flow that ended early). True when decided.
 */
static bool conclude(const struct classify_db *cdb, struct flow_insp *f, uint16_t pkt_no, uint8_t why)
{
	if (f->phase != FLOW_INSPECTING || f->cls.owner == 0)
		return false;
	const struct classifier *cl = cdb->tab[f->cls.owner - 1];
	if (cl->conclude == NULL)
		return false;
	struct cls_verdict v = cl->conclude(f->cls.data, f->cls.first_dir, why);
	if (v.result < CLS_LIKELY)
		return false;
	step(f, pkt_no, f->cls.owner, (uint8_t)v.result, 0);
	/* What one side or an unfinished exchange shows is never more than likely. */
	v.result = CLS_LIKELY;
	decide(f, f->cls.owner, v, pkt_no, 0);
	return true;
}

/* Offers one payload to the classifiers and keeps the window; true when the phase changed. */
static bool inspect(struct classify_ctx *ctx, struct flow_insp *f, const struct cls_pkt *p, bool new_pkt)
{
	const struct classify_db *cdb = ctx->cdb;
	uint8_t dir = p->dir;
	if (new_pkt)
		f->win_pkts[dir]++;
	f->win_bytes[dir] += p->len;
	f->tcp_off[dir] = p->tcp_offset + p->len;

	if (f->cls.owner != 0) {
		uint8_t owner = f->cls.owner;
		struct cls_verdict v = to_owner(cdb, f, p);
		step(f, p->pkt_no, owner, (uint8_t)v.result, 0);
		if (v.result >= CLS_LIKELY) {
			decide(f, owner, v, p->pkt_no, 0);
			return true;
		}
		if (v.result == CLS_NO) {
			release(&f->cls);
			f->pattern = 0;
		}
		goto window;
	}

	struct candidates c = {.cdb = cdb, .l4 = p->l4};
	if (cdb->n_patterns && hs_scan(cdb->db, (const char *)p->payload, p->len, 0, ctx->scratch, on_match, &c) !=
				       HS_SUCCESS)
		ctx->ctr->hs_errors++;
	/* Priority order: the first classifier that claims the payload wins; pattern-less ones after. */
	bool decided = false;
	for (unsigned int k = 0; k < cdb->n_cls; k++) {
		uint8_t id = cdb->order[k];
		if (c.first_pattern[id] && offer(cdb, f, p, id, c.first_pattern[id], &decided))
			goto claimed;
	}
	unsigned int b = (unsigned int)__builtin_ctz(p->l4);
	for (unsigned int k = 0; k < cdb->n_always[b]; k++)
		if (!c.first_pattern[cdb->always[b][k]] && offer(cdb, f, p, cdb->always[b][k], 0, &decided))
			goto claimed;
	goto window;
claimed:
	if (decided)
		return true;
window:
	if (f->win_pkts[dir] >= ctx->window_pkts || f->win_bytes[dir] >= ctx->window_bytes) {
		if (conclude(cdb, f, p->pkt_no, CLS_END_WINDOW))
			return true;
		f->phase = FLOW_UNDECIDED;
		step(f, p->pkt_no, f->cls.owner, STEP_WINDOW_END, 0);
		return true;
	}
	return false;
}

void classify_close_window(const struct classify_db *cdb, struct flow_insp *f, uint16_t pkt_no, uint8_t why)
{
	if (f->phase != FLOW_INSPECTING)
		return;
	if (conclude(cdb, f, pkt_no, CLS_END_IDLE))
		return;
	f->phase = FLOW_UNDECIDED;
	f->closed = why;
	step(f, pkt_no, f->cls.owner,
	     why == WINDOW_IDLE ? STEP_WINDOW_IDLE : why == WINDOW_RECLAIMED ? STEP_WINDOW_RECLAIMED : STEP_WINDOW_END, 0);
}

bool classify_flow_ends(const struct classify_db *cdb, struct flow_insp *f, uint16_t pkt_no)
{
	return conclude(cdb, f, pkt_no, CLS_END_FLOW);
}

bool classify_packet(struct classify_ctx *ctx, struct flow_insp *f, const uint8_t *payload, uint32_t len,
		     uint8_t l4, uint8_t ip_proto, uint8_t dir, uint16_t pkt_no, uint16_t src_port,
		     uint16_t dst_port, uint32_t tcp_seq)
{
	struct cls_pkt p = {
		.payload = payload,
		.len = len,
		.l4 = l4,
		.dir = dir,
		.pkt_no = pkt_no,
		.src_port = src_port,
		.dst_port = dst_port,
		.tcp_offset = f->tcp_off[dir],
		.ip_proto = ip_proto,
	};
	if (f->reasm != 0)
		return reasm_packet(ctx, f, &p, tcp_seq);
	/* Once per flow: what the client's first record says (JA4, SNI), whoever decides. */
	if (dir == CLS_C2S && f->tcp_off[dir] == 0 && f->win_pkts[CLS_C2S] == 0 && l4 != CLS_IP &&
	    first_record(ctx, f, &p, tcp_seq))
		return false;
	return inspect(ctx, f, &p, true);
}

void classify_explain(const struct classify_db *cdb, const struct flow_record *f, const char *indent, FILE *out)
{
	static const char *const said[] = {"not this protocol", "consistent, needs more packets",
					   "decided: likely", "decided: confirmed"};
	if (f->n_steps == 0) {
		fprintf(out, "%s%s\n", indent,
			f->phase == FLOW_INSPECTING ? "ended inside the window with no candidate yet"
			: f->app == 0 && f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP && !cdb->any_ip
				? "no classifier reads this IP protocol: judged at its first packet"
				: "no signature matched and no pattern-less classifier claimed a payload");
		return;
	}
	unsigned int n = f->n_steps < FLOW_TRAIL_MAX ? f->n_steps : FLOW_TRAIL_MAX;
	for (unsigned int i = 0; i < n; i++) {
		const struct cls_step *s = &f->trail[i];
		if (s->result == STEP_WINDOW_IDLE || s->result == STEP_WINDOW_RECLAIMED) {
			fprintf(out, "%spkt %-3u window closed with no decision: %s\n", indent, s->pkt,
				s->result == STEP_WINDOW_IDLE ? "the flow went quiet"
							      : "its inspection slot was needed for a new flow");
			continue;
		}
		if (s->result == STEP_WINDOW_END) {
			fprintf(out, "%spkt %-3u window closed with no decision (%u packets, %u payload bytes inspected in one direction)\n",
				indent, s->pkt, f->win_pkts[0] > f->win_pkts[1] ? f->win_pkts[0] : f->win_pkts[1],
				f->win_bytes[0] > f->win_bytes[1] ? f->win_bytes[0] : f->win_bytes[1]);
			continue;
		}
		const char *how = "owns the flow's state";
		char sig[96];
		if (s->pattern && s->pattern <= cdb->n_patterns) {
			snprintf(sig, sizeof(sig), "signature %s", cdb->pattern[s->pattern - 1]->name);
			how = sig;
		} else if (i == 0 || f->trail[i - 1].cls != s->cls || f->trail[i - 1].result == CLS_NO) {
			how = "pattern-less candidate";
		}
		fprintf(out, "%spkt %-3u %-13s %s -> %s", indent, s->pkt, classifier_name(s->cls), how,
			s->result <= CLS_CONFIRMED ? said[s->result] : "?");
		if (s->result >= CLS_LIKELY && f->check)
			fprintf(out, " (check %s)", f->check);
		fputc('\n', out);
	}
	if (f->n_steps > n)
		fprintf(out, "%s... %u more step%s not kept\n", indent, f->n_steps - n, f->n_steps - n > 1 ? "s" : "");
}

int classify_reason(const struct classify_db *cdb, const struct flow_record *f, char *buf, size_t len)
{
	if (f->phase != FLOW_DECIDED)
		return snprintf(buf, len, f->phase == FLOW_INSPECTING	     ? "ended-before-decision"
					  : f->closed == WINDOW_IDLE	     ? "window-idle"
					  : f->closed == WINDOW_RECLAIMED ? "window-reclaimed"
									 : "no-match-in-window");
	const char *sig = "-";
	if (f->pattern && f->pattern <= cdb->n_patterns)
		sig = cdb->pattern[f->pattern - 1]->name;
	int n = snprintf(buf, len, "%s/%s/%s/%s", classifier_name(f->app), sig, f->check ? f->check : "-",
			 f->result == CLS_CONFIRMED ? "confirmed" : "likely");
	/* A label a tie gave (check "tie:...") was decided by no packet of this flow. */
	if (f->decided_at_pkt && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "@pkt%u", f->decided_at_pkt);
	return n;
}
