/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The distributor lcore's loop and the ring ethdevs between it and the
 * workers; a frame no worker ring can take is forwarded uninspected (fail
 * open) and counted.
 */
#include "distributor.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

/* Sends frames towards the peers of the ports they came from; returns how many left. */
static uint16_t send_to_peers(struct distributor *d, struct rte_mbuf **pkts, uint16_t n, uint64_t *failed)
{
	struct rte_mbuf *out[DIST_MAX_PORTS][WORKER_BURST];
	uint16_t nout[DIST_MAX_PORTS] = {0}, sent = 0;
	for (uint16_t i = 0; i < n; i++) {
		int32_t peer = d->peer[pkts[i]->port];
		uint16_t k = 0;
		while (k < d->n_ports && d->ports[k] != peer)
			k++;
		if (peer < 0 || k == d->n_ports) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		out[k][nout[k]++] = pkts[i];
	}
	for (uint16_t k = 0; k < d->n_ports; k++) {
		if (nout[k] == 0)
			continue;
		uint16_t s = rte_eth_tx_burst(d->ports[k], 0, out[k], nout[k]);
		if (s < nout[k]) {
			rte_pktmbuf_free_bulk(out[k] + s, nout[k] - s);
			*failed += nout[k] - s;
		}
		sent += s;
	}
	return sent;
}

/* A worker's ring is full: the frame passes uninspected rather than wait or drop. */
static void pass_uninspected(struct distributor *d, struct rte_mbuf **pkts, uint16_t n)
{
	d->stats.rx_pkts += n;
	for (uint16_t i = 0; i < n; i++)
		d->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	d->stats.outcome[OUT_SHED] += n;
	uint16_t with_peer = 0;
	for (uint16_t i = 0; i < n; i++)
		with_peer += d->peer[pkts[i]->port] >= 0;
	uint64_t failed = 0;
	uint16_t sent = send_to_peers(d, pkts, n, &failed);
	d->stats.disp[DISP_TX] += sent;
	d->stats.disp[DISP_TX_FAILED] += failed;
	d->stats.disp[DISP_CONSUMED] += (uint16_t)(n - with_peer);
}

static void drain_workers(struct distributor *d)
{
	struct rte_mbuf *pkts[WORKER_BURST];
	for (unsigned int w = 0; w < d->n_workers; w++) {
		unsigned int n;
		while ((n = rte_ring_dequeue_burst(d->from_worker[w], (void **)pkts, WORKER_BURST, NULL)) > 0)
			send_to_peers(d, pkts, (uint16_t)n, &d->port_tx_failed);
	}
}

int distributor_main(void *arg)
{
	struct distributor *d = arg;
	struct engine_shared *sh = d->shared;
	struct rte_mbuf *pkts[WORKER_BURST];
	struct rte_mbuf *stage[MAX_WORKERS_DIST][WORKER_BURST];
	uint16_t nst[MAX_WORKERS_DIST] = {0};

	for (;;) {
		if (!sh->dist_quit) {
			for (uint16_t k = 0; k < d->n_rx; k++) {
				uint16_t n = rte_eth_rx_burst(d->ports[k], 0, pkts, WORKER_BURST);
				for (uint16_t i = 0; i < n; i++) {
					unsigned int w = flow_worker_of(pkts[i], d->n_workers, d->linear);
					stage[w][nst[w]++] = pkts[i];
				}
				for (unsigned int w = 0; w < d->n_workers; w++) {
					if (nst[w] == 0)
						continue;
					unsigned int ok = rte_ring_enqueue_burst(d->to_worker[w], (void **)stage[w], nst[w],
										 NULL);
					if (ok < nst[w])
						pass_uninspected(d, stage[w] + ok, (uint16_t)(nst[w] - ok));
					nst[w] = 0;
				}
			}
		} else if (!d->rx_stopped) {
			__atomic_store_n(&d->rx_stopped, 1, __ATOMIC_RELEASE);
		}
		drain_workers(d);
		if (d->rx_stopped && __atomic_load_n(&sh->workers_done, __ATOMIC_ACQUIRE)) {
			drain_workers(d);
			break;
		}
	}
	return 0;
}
