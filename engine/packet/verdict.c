/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy rules parsed at start, and the one registry lookup a flow gets
 * when it is decided (or a reload makes its verdict stale).
 */
#include "verdict.h"

#include <string.h>

static const char *const action_names[] = {"default", "allow", "monitor", "enforce"};
#define VERDICT_NAME(E, name, help) name,
static const char *const verdict_names[] = {TUNDRA_VERDICTS(VERDICT_NAME)};
#undef VERDICT_NAME

int policy_parse(struct policy *p, const char *rule, char *err, size_t errlen)
{
	char kind[16], name[64], action[16];
	if (sscanf(rule, "%15[a-z]=%63[^:]:%15s", kind, name, action) != 3) {
		snprintf(err, errlen, "policy '%s': expected app=NAME:ACTION or sector=NAME:ACTION", rule);
		return -1;
	}
	uint8_t act = 0;
	for (uint8_t a = POLICY_ALLOW; a <= POLICY_ENFORCE; a++)
		if (strcmp(action, action_names[a]) == 0)
			act = a;
	if (act == 0) {
		snprintf(err, errlen, "policy '%s': action '%s' is not allow, monitor or enforce", rule, action);
		return -1;
	}
	if (strcmp(kind, "app") == 0) {
		int id = classifier_id_by_name(name);
		if (id < 1 || id >= POLICY_MAX_APPS) {
			snprintf(err, errlen, "policy '%s': unknown app '%s'", rule, name);
			return -1;
		}
		p->app[id] = act;
		return 0;
	}
	if (strcmp(kind, "sector") == 0) {
		for (uint8_t s = 0; s < SECTOR_COUNT; s++)
			if (strcmp(name, registry_sector_name(s)) == 0) {
				if (act == POLICY_ALLOW) {
					/* Allowing a sector wholesale would let anyone claim it. */
					snprintf(err, errlen, "policy '%s': a sector can be monitor or enforce, not allow",
						 rule);
					return -1;
				}
				p->sector[s] = act;
				p->any_sector_rule = 1;
				return 0;
			}
		snprintf(err, errlen, "policy '%s': unknown sector '%s'", rule, name);
		return -1;
	}
	snprintf(err, errlen, "policy '%s': '%s' is neither app nor sector", rule, kind);
	return -1;
}

void verdict_decide(struct flow_record *f, const struct registry *reg, const struct policy *pol,
		    uint8_t can_enforce, uint64_t now_ns)
{
	f->reg_generation = reg ? registry_generation(reg) : 0;
	f->registrant = 0;
	f->reg_line = 0;
	f->sector = 0;
	f->policy = 0;
	f->drop = 0;
	if (f->phase != FLOW_DECIDED || f->app == 0) {
		f->verdict = VERDICT_PASS;
		return;
	}
	uint8_t app_rule = f->app < POLICY_MAX_APPS ? pol->app[f->app] : POLICY_DEFAULT;
	if (app_rule == POLICY_ALLOW) {
		f->verdict = VERDICT_ALLOW;
		f->policy = POLICY_APPLIED_APP;
		return;
	}
	/* The server is whoever did not send first. */
	const uint8_t *addr = f->client_is_lo ? f->key.addr_hi : f->key.addr_lo;
	uint16_t port = f->client_is_lo ? f->key.port_hi : f->key.port_lo;
	const struct registry_entry *e = NULL;
	int64_t now_s = (int64_t)(now_ns / 1000000000ull);
	if (reg) {
		e = registry_lookup(reg, f->key.ip_version, addr, port, f->app, now_s);
		/*
		 * Mesh protocols have no server, and some decisions cannot say
		 * which end serves: the registered end may be the one that
		 * happened to speak first.
		 */
		if (!e && classifier_ends_are_peers(f->app, f->check))
			e = registry_lookup(reg, f->key.ip_version, f->client_is_lo ? f->key.addr_lo : f->key.addr_hi,
					    f->client_is_lo ? f->key.port_lo : f->key.port_hi, f->app, now_s);
	}
	if (e) {
		f->verdict = VERDICT_ALLOW;
		f->registrant = e->registrant;
		f->sector = e->sector;
		f->reg_line = e->line;
		return;
	}
	f->verdict = VERDICT_BLOCK;
	uint8_t enforce = pol->mode == MODE_ENFORCE;
	if (app_rule != POLICY_DEFAULT) {
		enforce = app_rule == POLICY_ENFORCE;
		f->policy = POLICY_APPLIED_APP;
	} else if (pol->any_sector_rule && reg) {
		const struct registry_entry *near = registry_lookup_prefix(reg, f->key.ip_version, addr);
		if (near && pol->sector[near->sector] != POLICY_DEFAULT) {
			enforce = pol->sector[near->sector] == POLICY_ENFORCE;
			f->policy = POLICY_APPLIED_SECTOR;
			f->sector = near->sector;
		}
	}
	uint8_t sure = f->result == CLS_CONFIRMED || pol->enforce_likely;
	f->drop = enforce & sure & (can_enforce != 0);
}

const char *policy_action_name(uint8_t a)
{
	return a <= POLICY_ENFORCE ? action_names[a] : "?";
}

const char *verdict_name(uint8_t v)
{
	return v < VERDICT_COUNT ? verdict_names[v] : "?";
}

const char *mode_name(uint8_t mode)
{
	return mode == MODE_ENFORCE ? "enforce" : "monitor";
}
