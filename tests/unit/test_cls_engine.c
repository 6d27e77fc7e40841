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

int main(void)
{
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
