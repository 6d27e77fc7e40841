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

/* Takes (or retakes, after a registry reload) the verdict of a flow. */
void verdict_decide(struct flow *f, const struct registry *reg, uint8_t enforce, uint64_t now_ns);

const char *verdict_name(uint8_t v);
const char *mode_name(uint8_t mode);

#endif
