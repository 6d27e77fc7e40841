/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classification stage itself: window limits, ownership hand-back,
 * reasons, and that real handshakes decide through the shared harness.
 */
#include "check.h"
#include "cls_harness.h"

static void wg_init(uint8_t *p, uint32_t sender)
{
	memset(p, 0x5a, 148);
	p[0] = 1, p[1] = p[2] = p[3] = 0;
	memcpy(p + 4, &sender, 4);
}

static void wg_resp(uint8_t *p, uint32_t sender, uint32_t receiver)
{
	memset(p, 0xa5, 92);
	p[0] = 2, p[1] = p[2] = p[3] = 0;
	memcpy(p + 4, &sender, 4);
	memcpy(p + 8, &receiver, 4);
}

/* ---- what classify_db_build_from refuses: a table that breaks the contract ---- */

static struct cls_verdict t_first(const struct cls_pkt *pkt, void *st)
{
	(void)pkt, (void)st;
	struct cls_verdict v = {CLS_NO, NULL, 0};
	return v;
}

static const struct cls_pattern t_pat[] = {{"^\\x01", CLS_UDP, "one"}};
static const struct cls_pattern t_pat_tcp[] = {{"^\\x01", CLS_TCP, "one-tcp"}};
static const struct cls_pattern t_pat_bad[] = {{"^(", CLS_UDP, "broken"}};

#define T_CLS(var, nm, prio, pats, np, l4_, size, fl, fn)                                                   \
	static const struct classifier var = {.name = nm, .priority = prio, .patterns = pats, .n_patterns = np, \
					      .l4 = l4_, .state_size = size, .flags = fl, .first = fn}
T_CLS(t_a, "a", 10, t_pat, 1, CLS_UDP, 0, 0, t_first);
T_CLS(t_b, "b", 20, t_pat, 1, CLS_UDP, 0, 0, t_first);
T_CLS(t_same, "same", 10, t_pat, 1, CLS_UDP, 0, 0, t_first);
T_CLS(t_big, "big", 30, t_pat, 1, CLS_UDP, CLS_STATE_BYTES + 1, 0, t_first);
T_CLS(t_nofirst, "nofirst", 40, t_pat, 1, CLS_UDP, 0, 0, NULL);
T_CLS(t_nol4, "nol4", 50, t_pat, 1, 0, 0, 0, t_first);
T_CLS(t_wrongl4, "wrongl4", 60, t_pat_tcp, 1, CLS_UDP, 0, 0, t_first);
T_CLS(t_nopats, "nopats", 70, NULL, 2, CLS_UDP, 0, 0, t_first);
T_CLS(t_broken, "broken", 80, t_pat_bad, 1, CLS_UDP, 0, 0, t_first);
T_CLS(t_reader, "reader", 90, t_pat, 1, CLS_UDP, 0, CLS_F_READS_CLIENTHELLO, t_first);
T_CLS(t_claimer, "claimer", 85, t_pat, 1, CLS_UDP, 0, CLS_F_CLAIMS_CLIENTHELLO, t_first);
T_CLS(t_late_claimer, "late-claimer", 95, t_pat, 1, CLS_UDP, 0, CLS_F_CLAIMS_CLIENTHELLO, t_first);

static void refused(const struct classifier *x, const char *want)
{
	const struct classifier *tab[] = {&t_a, x};
	struct classify_db db;
	char err[256] = "";
	CHECK_EQ(classify_db_build_from(&db, tab, 2, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "table check: wanted '%s' in '%s'\n", want, err);
	CHECK(strstr(err, want) != NULL);
}

static void test_table_checks(void)
{
	refused(&t_same, "same priority 10");
	refused(&t_big, "state of 25 bytes");
	refused(&t_nofirst, "first() are required");
	refused(&t_nol4, "no transport");
	refused(&t_wrongl4, "pattern 1 needs");
	refused(&t_nopats, "patterns counted but not given");
	refused(&t_broken, "pattern broken of broken");

	/* A ClientHello reader offered them after the one that takes them all. */
	const struct classifier *bad[] = {&t_reader, &t_claimer};
	struct classify_db db;
	char err[256] = "";
	CHECK_EQ(classify_db_build_from(&db, bad, 2, err, sizeof(err)), -1);
	CHECK(strstr(err, "reader (priority 90) reads ClientHellos but claimer (priority 85)") != NULL);

	/* Priorities, not table order, decide the order of offers. */
	const struct classifier *good[] = {&t_late_claimer, &t_reader, &t_b, &t_a};
	CHECK_EQ(classify_db_build_from(&db, good, 4, err, sizeof(err)), 0);
	CHECK_EQ(db.order[0], 4);
	CHECK_EQ(db.order[1], 3);
	CHECK_EQ(db.order[2], 2);
	CHECK_EQ(db.order[3], 1);
	CHECK_EQ(db.n_patterns, 4);
	classify_db_free(&db);

	/* The real table passes its own checks. */
	CHECK_EQ(classify_db_build(&db, err, sizeof(err)), 0);
	for (unsigned int k = 1; k < db.n_cls; k++)
		CHECK(db.tab[db.order[k - 1] - 1]->priority < db.tab[db.order[k] - 1]->priority);
	classify_db_free(&db);
}

int main(void)
{
	test_table_checks();
	struct harness h;
	harness_init(&h, 8, 4096);
	uint8_t init[148], resp[92], junk[200];
	struct flow_insp f;
	char reason[160];

	/* A WireGuard exchange decides at packet 2, with its reason. */
	harness_flow(&f, 17);
	wg_init(init, 0x11223344);
	wg_resp(resp, 0x55667788, 0x11223344);
	CHECK_EQ(harness_feed(&h, &f, CLS_C2S, init, sizeof(init), 40000, 51820), FLOW_INSPECTING);
	CHECK_EQ(f.cls.owner, classifier_id_by_name("wireguard"));
	CHECK_EQ(harness_feed(&h, &f, CLS_S2C, resp, sizeof(resp), 51820, 40000), FLOW_DECIDED);
	CHECK_STR(harness_app(&f), "wireguard");
	CHECK_EQ(f.decided_at_pkt, 2);
	CHECK_EQ(f.result, CLS_CONFIRMED);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK(strncmp(reason, "wireguard/", 10) == 0 && strstr(reason, "@pkt2") != NULL);

	/* A response that does not match: the owner gives up, the flow goes back to scanning. */
	harness_flow(&f, 17);
	wg_resp(resp, 0x55667788, 0x99999999);
	harness_feed(&h, &f, CLS_C2S, init, sizeof(init), 40000, 51820);
	harness_feed(&h, &f, CLS_S2C, resp, sizeof(resp), 51820, 40000);
	CHECK(f.phase != FLOW_DECIDED);

	/* Window: 8 payload packets in one direction close it undecided. */
	harness_flow(&f, 17);
	memset(junk, 0x77, sizeof(junk));
	for (int i = 0; i < 7; i++)
		CHECK_EQ(harness_feed(&h, &f, CLS_C2S, junk, sizeof(junk), 1000, 2000), FLOW_INSPECTING);
	CHECK_EQ(harness_feed(&h, &f, CLS_C2S, junk, sizeof(junk), 1000, 2000), FLOW_UNDECIDED);
	harness_reason(&h, &f, reason, sizeof(reason));
	CHECK_STR(reason, "no-match-in-window");

	/* Window: 4 KiB in one direction close it too. */
	struct harness hb;
	harness_init(&hb, 100, 1024);
	harness_flow(&f, 6);
	for (int i = 0; i < 5; i++)
		harness_feed(&hb, &f, CLS_C2S, junk, sizeof(junk), 1000, 2000);
	CHECK_EQ(harness_feed(&hb, &f, CLS_C2S, junk, sizeof(junk), 1000, 2000), FLOW_UNDECIDED);
	harness_free(&hb);

	/* Payload-less packets count for the packet number but not for the window. */
	harness_flow(&f, 6);
	for (int i = 0; i < 20; i++)
		CHECK_EQ(harness_feed(&h, &f, i & 1, NULL, 0, 1000, 2000), FLOW_INSPECTING);

	/* Other IP protocols: undecided at once unless a classifier reads them. */
	harness_flow(&f, 50);
	harness_feed(&h, &f, CLS_C2S, junk, 64, 0, 0);
	if (!h.db.any_ip)
		CHECK_EQ(f.phase, FLOW_UNDECIDED);
	harness_free(&h);
	CHECK_DONE();
}
