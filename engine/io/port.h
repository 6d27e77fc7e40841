/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: live ethdevs configured with one RX and one TX queue per worker and
 * a symmetric RSS key (both directions of a flow hash alike, so they meet on
 * one worker); offline, a ring-backed ethdev the pcap reader fills.
 */
#ifndef TUNDRA_PORT_H
#define TUNDRA_PORT_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

int port_init_live(uint16_t port, uint16_t n_queues, struct rte_mempool *mp, char *err, size_t errlen);
void port_close(uint16_t port);

/*
 * Offline ethdev: one RX ring per worker, exposed as a port so workers call
 * rte_eth_rx_burst() exactly as they do live. Returns the port id or -1.
 */
int port_init_rings(const char *name, struct rte_ring *const *rx, struct rte_ring *const *tx, uint16_t n,
		    struct rte_mempool *mp, char *err, size_t errlen);

/* Whether a port can give each of n workers its own RX queue with symmetric RSS. */
int port_can_spread(uint16_t port, uint16_t n);

#endif
