/* SPDX-License-Identifier: BSD-3-Clause */
/* tundra run's run, after the EAL is up. */
#ifndef TUNDRA_LIVE_H
#define TUNDRA_LIVE_H

#include "engine.h"

/*
 * Sets up e (options filled in), starts the workers on the ports the
 * options name and runs the control loop until a signal, --duration or
 * --idle-exit; then stops in order and tears e down. Returns 0, 1 when the
 * counters do not reconcile, 2 on a failure.
 */
int live_run(struct engine *e);

#endif
