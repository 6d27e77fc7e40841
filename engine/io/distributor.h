/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software distributor for ports without RSS (net_pcap, net_tap, single
 * queue NICs): one lcore receives from the real ports, hashes each frame's
 * flow key symmetrically and hands it to the owning worker over a
 * single-producer/single-consumer ring. The rings are an ethdev, so workers
 * run exactly the same pipeline as on a multi-queue NIC. Frames the workers
 * forward come back over per-worker rings and leave by the real port paired
 * with the one they arrived on.
 */
#ifndef TUNDRA_DISTRIBUTOR_H
#define TUNDRA_DISTRIBUTOR_H

#include <stdint.h>

#include <rte_ring.h>

#include "flow.h"
#include "counters.h"
#include "worker.h"

#define DIST_MAX_PORTS 2

struct distributor {
	/*
	 * Frames no worker could take (its ring full) pass uninspected, as a
	 * shed packet would: counted here with the same outcome/disposition
	 * scheme, so the sum over workers and distributor reconciles.
	 */
	struct worker_stats stats;
	unsigned int lcore;
	unsigned int n_workers;
	uint16_t n_ports;                  /* ports frames may leave by */
	uint16_t n_rx;                     /* the first n_rx of them are received on */
	uint16_t ports[DIST_MAX_PORTS];
	int32_t peer[RTE_MAX_ETHPORTS];    /* where a frame received on a port leaves; -1: nowhere */
	struct rte_ring *const *to_worker;
	struct rte_ring *const *from_worker;
	struct engine_shared *shared;
	volatile uint8_t rx_stopped;
	uint64_t port_tx_failed;           /* handed to TX by a worker, refused by the real port */
	uint8_t linear[FLOW_LINEAR_MAX];
} __rte_cache_aligned;

int distributor_main(void *arg);

#endif
