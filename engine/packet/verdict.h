/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Verdict stage: a flow that a classifier called a VPN is looked up by its
 * server endpoint in the registry; registered → allow, otherwise block.
 * Everything else passes. Whether a block drops packets is the mode's
 * business, folded into flow->drop here once per decision, never per packet.
 */
#ifndef TUNDRA_VERDICT_H
#define TUNDRA_VERDICT_H

#include <stdint.h>

#include "flow.h"
#include "registry.h"

enum tundra_mode { MODE_MONITOR = 0, MODE_ENFORCE };

/* Policy override actions. */
enum policy_action {
	POLICY_DEFAULT = 0, /* the mode decides */
	POLICY_ALLOW,       /* app only: allowed whatever the registry says */
	POLICY_MONITOR,     /* blocked flows reported, never dropped */
	POLICY_ENFORCE,     /* blocked flows dropped even in monitor mode */
};

#define POLICY_MAX_APPS 64

/*
 * Overrides fixed at start (--policy app=ike:allow, sector=mission:monitor).
 * An app rule beats a sector rule; a sector rule applies to a blocked flow
 * whose server lies in a prefix registered to that sector (wrong port,
 * protocol or dates). No rule can make tundra drop without a registry.
 */
struct policy {
	uint8_t mode;                         /* enum tundra_mode */
	uint8_t app[POLICY_MAX_APPS];         /* by classifier id */
	uint8_t sector[SECTOR_COUNT];
	uint8_t any_sector_rule;
	/*
	 * By default only confirmed VPN flows (structure and the peer's reply
	 * verified) are dropped; likely ones (one side, fingerprints) are
	 * reported and passed. --enforce-likely drops them too.
	 */
	uint8_t enforce_likely;
};

/* Parses "app=NAME:ACTION" or "sector=NAME:ACTION" into p; -1 with a message in err. */
int policy_parse(struct policy *p, const char *rule, char *err, size_t errlen);

/*
 * Takes (or retakes, after a registry reload) the verdict of a flow: reads
 * its key, sides, phase, app and confidence; sets verdict, drop,
 * registrant, registry line, sector, policy and the generation.
 * can_enforce: a registry serves, or an empty one was explicitly allowed.
 */
void verdict_decide(struct flow_record *f, const struct registry *reg, const struct policy *pol,
		    uint8_t can_enforce, uint64_t now_ns);

const char *verdict_name(uint8_t v);
const char *policy_action_name(uint8_t a);
const char *mode_name(uint8_t mode);

#endif
