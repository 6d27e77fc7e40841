/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra classify's run, after the EAL is up: the control lcore reads the
 * capture and hands it to the workers, then reports every flow.
 */
#ifndef TUNDRA_OFFLINE_H
#define TUNDRA_OFFLINE_H

#include "engine.h"
#include "pcap_in.h"

/*
 * Sets up e (options filled in, e->offline true), classifies every packet
 * of in, prints the flows (table or JSON), writes --events and
 * --stats-json, tears e down. Returns 0, 1 when the counters do not
 * reconcile, 2 on a failure or a damaged capture (all before the damage is
 * still reported). in stays open.
 */
int offline_run(struct engine *e, struct pcap_in *in);

#endif
