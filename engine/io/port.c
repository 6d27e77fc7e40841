/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev configuration: one RX and TX queue per worker, the symmetric RSS
 * key and hash types where the PMD offers them, and the offline port the
 * pcap reader fills.
 */
#include "port.h"

#include <stdio.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>

#define RX_DESC 1024
#define TX_DESC 1024

/*
 * A Toeplitz key of repeated 0x6d5a makes the hash symmetric in source and
 * destination (Woo and Park), which is what lets one worker see both
 * directions of a flow without any hand-off between cores.
 */
static uint8_t symmetric_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

static int setup_queues(uint16_t port, uint16_t n, struct rte_mempool *mp, const struct rte_eth_conf *conf,
			char *err, size_t errlen)
{
	int rc = rte_eth_dev_configure(port, n, n, conf);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: configure %u queues: %s", port, n, strerror(-rc));
		return -1;
	}
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = 0;
	for (uint16_t q = 0; q < n; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrx, (unsigned int)socket, NULL, mp);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: rx queue %u: %s", port, q, strerror(-rc));
			return -1;
		}
		rc = rte_eth_tx_queue_setup(port, q, ntx, (unsigned int)socket, NULL);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: tx queue %u: %s", port, q, strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: start: %s", port, strerror(-rc));
		return -1;
	}
	return 0;
}

int port_init_live(uint16_t port, uint16_t n_queues, struct rte_mempool *mp, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	if (!rte_eth_dev_is_valid_port(port) || rte_eth_dev_info_get(port, &info) != 0) {
		snprintf(err, errlen, "port %u does not exist (%u ports available)", port,
			 rte_eth_dev_count_avail());
		return -1;
	}
	if (info.max_rx_queues < n_queues || info.max_tx_queues < n_queues) {
		snprintf(err, errlen,
			 "port %u (%s) has %u rx / %u tx queues, %u workers need one each; "
			 "run fewer worker lcores",
			 port, info.driver_name, info.max_rx_queues, info.max_tx_queues, n_queues);
		return -1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (n_queues > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (hf == 0) {
			snprintf(err, errlen, "port %u (%s) cannot spread flows by RSS; run one worker per port",
				 port, info.driver_name);
			return -1;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = symmetric_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(symmetric_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf = hf;
	}
	if (setup_queues(port, n_queues, mp, &conf, err, errlen) != 0)
		return -1;
	/* A tap or bump in the wire sees frames for any MAC; not all vdevs support it. */
	rte_eth_promiscuous_enable(port);
	return 0;
}

void port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
}

int port_can_spread(uint16_t port, uint16_t n)
{
	struct rte_eth_dev_info info;
	if (!rte_eth_dev_is_valid_port(port) || rte_eth_dev_info_get(port, &info) != 0)
		return 1; /* let port_init_live() say what is wrong with it */
	if (n <= 1)
		return 1;
	return info.max_rx_queues >= n && info.max_tx_queues >= n &&
	       (info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)) != 0;
}

int port_init_rings(const char *name, struct rte_ring *const *rx, struct rte_ring *const *tx, uint16_t n,
		    struct rte_mempool *mp, char *err, size_t errlen)
{
	int port = rte_eth_from_rings(name, rx, n, tx, n, (unsigned int)rte_socket_id());
	if (port < 0) {
		snprintf(err, errlen, "offline port: %s", rte_strerror(rte_errno));
		return -1;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (setup_queues((uint16_t)port, n, mp, &conf, err, errlen) != 0)
		return -1;
	return port;
}
