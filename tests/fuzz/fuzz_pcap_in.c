/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the offline reader: any bytes as a capture file go
 * through libpcap and the link-layer normalisation into mbufs, then through
 * the parser, as classify does. Errors are fine; crashes and leaks of mbufs
 * are not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "parse.h"
#include "pcap_in.h"

static struct rte_mempool *mp;
static int ts_offset;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *eal[] = {"fuzz", "--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--no-telemetry",
		       "-l", "0", "--log-level=*:error", NULL};
	if (rte_eal_init(10, eal) < 0)
		abort();
	uint64_t flag;
	if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &flag) != 0)
		abort();
	mp = rte_pktmbuf_pool_create("fuzz_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_pcap_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	char err[512];
	struct pcap_in *in;
	if (pcap_in_open(path, &in, err, sizeof(err)) == 0) {
		struct rte_mbuf *m;
		static uint8_t linear[65536 + 128];
		for (int n = 0; n < 64 && pcap_in_next(in, mp, ts_offset, &m, err, sizeof(err)) == 1; n++) {
			uint32_t len = rte_pktmbuf_pkt_len(m) < sizeof(linear) ? rte_pktmbuf_pkt_len(m)
									    : (uint32_t)sizeof(linear);
			const uint8_t *d = rte_pktmbuf_read(m, 0, len, linear);
			struct pkt_info pi;
			if (d)
				parse_packet(d, len, &pi);
			rte_pktmbuf_free(m);
		}
		pcap_in_close(in);
	}
	unlink(path);
	if (rte_mempool_avail_count(mp) != 1024)
		abort(); /* an mbuf leaked */
	return 0;
}
