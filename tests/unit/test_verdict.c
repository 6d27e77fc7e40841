/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verdict stage against a real registry: which endpoint is looked up (the
 * server, or either end for peer-to-peer apps), what a block drops in each
 * mode, and how app and sector rules override the mode.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "check.h"
#include "verdict.h"

static const char registry_csv[] =
	"sector,prefix,registrant_id,registrant_name,port,protocol,valid_from,valid_until,note\n"
	"bank,198.51.100.10,bank-1,Bank,1194,openvpn,,,server\n"          /* 2 */
	"it,203.0.113.5,it-1,Mesh office,655,tinc,,,one mesh node\n"      /* 3 */
	"mission,192.0.2.0/24,mis-1,Mission,500,ike,,,\n";                  /* 4 */

static struct registry *load(void)
{
	char path[] = "/tmp/test_verdict_XXXXXX", err[256];
	int fd = mkstemp(path);
	struct registry *r = NULL;

	if (fd < 0 || write(fd, registry_csv, sizeof(registry_csv) - 1) != (ssize_t)(sizeof(registry_csv) - 1)) {
		perror("temp file");
		exit(2);
	}
	close(fd);
	if (registry_load(path, 7, &r, err, sizeof(err), NULL) != 0) {
		fprintf(stderr, "registry: %s\n", err);
		exit(2);
	}
	unlink(path);
	return r;
}

/* A decided IPv4 flow: client = the first sender (a), server = b. */
static struct flow_record flow(const char *app, const char *a, uint16_t pa, const char *b, uint16_t pb,
			       uint8_t result)
{
	struct flow_record f;
	uint8_t x[4], y[4];

	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, a, x);
	inet_pton(AF_INET, b, y);
	f.key.ip_version = 4;
	f.key.proto = 17;
	f.client_is_lo = memcmp(x, y, 4) < 0;
	memcpy(f.client_is_lo ? f.key.addr_lo : f.key.addr_hi, x, 4);
	memcpy(f.client_is_lo ? f.key.addr_hi : f.key.addr_lo, y, 4);
	if (f.client_is_lo) {
		f.key.port_lo = pa;
		f.key.port_hi = pb;
	} else {
		f.key.port_lo = pb;
		f.key.port_hi = pa;
	}
	f.phase = FLOW_DECIDED;
	f.app = (uint8_t)classifier_id_by_name(app);
	f.result = result;
	return f;
}

static void test_server_lookup(const struct registry *r, const struct policy *mon)
{
	struct flow_record f = flow("openvpn", "10.0.0.1", 40000, "198.51.100.10", 1194, CLS_CONFIRMED);

	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_ALLOW);
	CHECK_EQ(f.reg_line, 2);
	CHECK_EQ(f.reg_generation, 7);
	CHECK_EQ(f.drop, 0);

	/* The registered address as the client does not make the flow registered. */
	f = flow("openvpn", "198.51.100.10", 1194, "10.0.0.1", 40000, CLS_CONFIRMED);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.reg_line, 0);

	/* Right address, wrong app. */
	f = flow("wireguard", "10.0.0.1", 40000, "198.51.100.10", 1194, CLS_CONFIRMED);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);

	/* Not a VPN, or not decided: passes whatever the registry says. */
	f = flow("openvpn", "10.0.0.1", 40000, "10.9.9.9", 1194, CLS_CONFIRMED);
	f.phase = FLOW_UNDECIDED;
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_PASS);
	f = flow("openvpn", "10.0.0.1", 40000, "10.9.9.9", 1194, CLS_CONFIRMED);
	f.app = 0;
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_PASS);
}

static void test_peers(const struct registry *r, const struct policy *mon)
{
	/* tinc is a mesh: the registered node may have spoken first. */
	struct flow_record f = flow("tinc", "203.0.113.5", 655, "10.0.0.1", 655, CLS_CONFIRMED);

	CHECK(tundra_classifiers[f.app - 1]->flags & CLS_F_PEERS);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_ALLOW);
	CHECK_EQ(f.reg_line, 3);

	f = flow("tinc", "10.0.0.1", 655, "203.0.113.5", 655, CLS_CONFIRMED);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_ALLOW);
	CHECK_EQ(f.reg_line, 3);

	/* Neither end registered. */
	f = flow("tinc", "10.0.0.1", 655, "10.0.0.2", 655, CLS_CONFIRMED);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);

	/* The client's port must match too: the entry is for port 655. */
	f = flow("tinc", "203.0.113.5", 40000, "10.0.0.1", 655, CLS_CONFIRMED);
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
}

static void test_modes(const struct registry *r)
{
	struct policy enf = { .mode = MODE_ENFORCE };
	struct flow_record f = flow("openvpn", "10.0.0.1", 40000, "10.9.9.9", 1194, CLS_CONFIRMED);

	verdict_decide(&f, r, &enf, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.drop, 1);

	/* Without a registry that may enforce, nothing is dropped. */
	verdict_decide(&f, r, &enf, 0, 0);
	CHECK_EQ(f.drop, 0);
	verdict_decide(&f, NULL, &enf, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.reg_generation, 0);

	/* One side's evidence is reported, not dropped, unless asked. */
	f = flow("openvpn", "10.0.0.1", 40000, "10.9.9.9", 1194, CLS_LIKELY);
	verdict_decide(&f, r, &enf, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.drop, 0);
	enf.enforce_likely = 1;
	verdict_decide(&f, r, &enf, 1, 0);
	CHECK_EQ(f.drop, 1);
}

static void test_rules(const struct registry *r)
{
	struct policy p = { .mode = MODE_MONITOR };
	char err[128];
	struct flow_record f;

	CHECK_EQ(policy_parse(&p, "app=openvpn:enforce", err, sizeof(err)), 0);
	CHECK_EQ(policy_parse(&p, "app=wireguard:allow", err, sizeof(err)), 0);
	CHECK_EQ(policy_parse(&p, "sector=mission:enforce", err, sizeof(err)), 0);
	CHECK_EQ(policy_parse(&p, "sector=mission:allow", err, sizeof(err)), -1);
	CHECK(strstr(err, "not allow") != NULL);
	CHECK_EQ(policy_parse(&p, "app=nosuch:allow", err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown app") != NULL);

	f = flow("openvpn", "10.0.0.1", 40000, "10.9.9.9", 1194, CLS_CONFIRMED);
	verdict_decide(&f, r, &p, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.drop, 1);
	CHECK_EQ(f.policy, POLICY_APPLIED_APP);

	f = flow("wireguard", "10.0.0.1", 40000, "10.9.9.9", 51820, CLS_CONFIRMED);
	verdict_decide(&f, r, &p, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_ALLOW);
	CHECK_EQ(f.policy, POLICY_APPLIED_APP);

	/* Mission's prefix on the wrong port: blocked, and the sector rule drops it. */
	f = flow("ike", "10.0.0.1", 500, "192.0.2.9", 4500, CLS_CONFIRMED);
	verdict_decide(&f, r, &p, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	CHECK_EQ(f.policy, POLICY_APPLIED_SECTOR);
	CHECK_EQ(f.drop, 1);
	CHECK_STR(registry_sector_name(f.sector), "mission");

	/* Registered: allowed, rules do not matter. */
	f = flow("ike", "10.0.0.1", 500, "192.0.2.9", 500, CLS_CONFIRMED);
	verdict_decide(&f, r, &p, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_ALLOW);
	CHECK_EQ(f.drop, 0);
}

/*
 * OpenVPN has a client and a server, but a data channel picked up without
 * its handshake does not say which end is which: after those checks alone
 * (peer_checks) both ends are asked.
 */
static void test_peer_checks(const struct registry *r, const struct policy *mon)
{
	/* The registered server spoke first: the record calls it the client. */
	struct flow_record f = flow("openvpn", "198.51.100.10", 1194, "10.0.0.1", 40000, CLS_LIKELY);
	const struct classifier *ov = tundra_classifiers[f.app - 1];

	CHECK(!(ov->flags & CLS_F_PEERS));
	CHECK(ov->peer_checks != NULL && ov->peer_checks[0] != NULL);
	for (unsigned int i = 0; ov->peer_checks && ov->peer_checks[i]; i++) {
		f.check = ov->peer_checks[i];
		CHECK(classifier_ends_are_peers(f.app, f.check));
		verdict_decide(&f, r, mon, 1, 0);
		CHECK_EQ(f.verdict, VERDICT_ALLOW);
		CHECK_EQ(f.reg_line, 2);
	}
	/* A decision that named the server (here wrongly) asks about the server alone. */
	static const char handshake[] = "hard-reset-server+control-one-dir-plain";
	f.check = handshake;
	CHECK(!classifier_ends_are_peers(f.app, f.check));
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	f.check = NULL;
	CHECK(!classifier_ends_are_peers(f.app, f.check));
	verdict_decide(&f, r, mon, 1, 0);
	CHECK_EQ(f.verdict, VERDICT_BLOCK);
	/* Peers whatever the check; no app, no peers. */
	CHECK(classifier_ends_are_peers((unsigned int)classifier_id_by_name("wireguard"), NULL));
	CHECK(classifier_ends_are_peers((unsigned int)classifier_id_by_name("tinc"), handshake));
	CHECK(!classifier_ends_are_peers(0, NULL));
	CHECK(!classifier_ends_are_peers(0, ov->peer_checks ? ov->peer_checks[0] : NULL));
	CHECK(!classifier_ends_are_peers(tundra_n_classifiers + 1, NULL));
}

int main(void)
{
	char *args[] = { "test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=lib.eal:error" };
	struct policy mon = { .mode = MODE_MONITOR };
	struct registry *r;

	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	r = load();
	test_server_lookup(r, &mon);
	test_peers(r, &mon);
	test_peer_checks(r, &mon);
	test_modes(r);
	test_rules(r);
	registry_free(r);
	CHECK_DONE();
}
