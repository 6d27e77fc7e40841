/* SPDX-License-Identifier: BSD-3-Clause */
#include "verdict.h"

#include <string.h>

void verdict_decide(struct flow *f, const struct registry *reg, uint8_t enforce, uint64_t now_ns)
{
	f->reg_generation = reg ? registry_generation(reg) : 0;
	f->registrant_id[0] = '\0';
	f->registrant_name[0] = '\0';
	f->reg_line = 0;
	f->sector = 0;
	if (f->phase != FLOW_DECIDED || f->app == 0) {
		f->verdict = VERDICT_PASS;
		f->drop = 0;
		return;
	}
	/* The server is whoever did not send first. */
	const uint8_t *addr = f->client_is_lo ? f->key.addr_hi : f->key.addr_lo;
	uint16_t port = f->client_is_lo ? f->key.port_hi : f->key.port_lo;
	const struct registry_entry *e = NULL;
	if (reg)
		e = registry_lookup(reg, f->key.ip_version, addr, port, f->app, (int64_t)(now_ns / 1000000000ull));
	if (e) {
		f->verdict = VERDICT_ALLOW;
		memcpy(f->registrant_id, e->registrant_id, sizeof(f->registrant_id));
		memcpy(f->registrant_name, e->registrant_name, sizeof(f->registrant_name));
		f->sector = e->sector;
		f->reg_line = e->line;
	} else {
		f->verdict = VERDICT_BLOCK;
	}
	f->drop = (f->verdict == VERDICT_BLOCK) & (enforce != 0);
}

const char *verdict_name(uint8_t v)
{
	static const char *const names[VERDICT_COUNT] = {"pass", "allow", "block"};
	return v < VERDICT_COUNT ? names[v] : "?";
}

const char *mode_name(uint8_t mode)
{
	return mode == MODE_ENFORCE ? "enforce" : "monitor";
}
