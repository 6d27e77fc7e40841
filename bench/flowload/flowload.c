/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra-flowload: tundra's live worker pipeline with millions of active
 * flows, so the fast path is measured with cold caches and real TLB
 * pressure rather than with a replay whose few thousand flows all sit in
 * cache.
 *
 * Each worker gets a port of its own made of one ring that is both its RX
 * and its TX queue (rte_eth_from_rings). The ring is filled once with a few
 * hundred frames; the worker forwards every frame back into the ring (monitor
 * mode passes everything), and an RX callback on the port rewrites each
 * frame's addresses and ports to the next flow of the worker's share as it
 * is received. So no lcore is spent generating traffic, each worker feeds
 * itself, and N workers run on N CPUs. Flows are visited in a fixed
 * pseudo-random order (index * a large odd number mod the share), each once
 * per pass: consecutive packets hit flows far apart in the table. Pass 0
 * makes the flows (window 1 packet, so each is judged on its first packet);
 * the figures are taken over later passes only, from the workers' own
 * counters (stage cycles of the sampled bursts, busy cycles, packets).
 *
 * The rewrite costs the I/O stage a few cycles per packet (counted there,
 * with the ring's dequeue and enqueue), nothing to the stages beyond I/O.
 *
 *   tundra-flowload [EAL options] -- --flows N [--seconds S] [--size B]
 *                   [--json FILE] [-- tundra run options]
 *
 * Workers are the EAL's lcores but the main one. Output: one JSON object.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "engine.h"
#include "port.h"

#define RING_SIZE 2048
#define PRELOAD 768

/* What the RX callback of one worker's port rewrites the frames with. */
struct feed {
	uint32_t share;             /* flows of this worker */
	uint32_t base;              /* its first flow's number */
	uint32_t step;              /* odd, coprime with share: the visiting order */
	uint32_t pos;
	uint64_t visits;
} __rte_cache_aligned;

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * Flow n: client 10.(n>>16).(n>>8).n:(1024 + n%50000) <-> server
 * 100.64.(n%64).1:(n%7 ? 443 : 53), one direction per pass.
 */
static inline void write_flow(struct rte_mbuf *m, uint32_t n, bool reply)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t cli = RTE_IPV4(10, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
	uint32_t srv = RTE_IPV4(100, 64, n % 64, 1 + (n >> 24));
	uint16_t cport = (uint16_t)(1024 + n % 50000), sport = n % 7 ? 443 : 53;
	ip->src_addr = rte_cpu_to_be_32(reply ? srv : cli);
	ip->dst_addr = rte_cpu_to_be_32(reply ? cli : srv);
	udp->src_port = rte_cpu_to_be_16(reply ? sport : cport);
	udp->dst_port = rte_cpu_to_be_16(reply ? cport : sport);
}

static uint16_t rewrite(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, uint16_t max, void *arg)
{
	(void)port;
	(void)queue;
	(void)max;
	struct feed *fd = arg;
	for (uint16_t i = 0; i < n; i++) {
		uint64_t v = fd->visits++;
		write_flow(pkts[i], fd->base + fd->pos, (v / fd->share) & 1);
		fd->pos += fd->step;
		if (fd->pos >= fd->share)
			fd->pos -= fd->share;
	}
	return n;
}

static void make_frame(struct rte_mbuf *m, uint16_t size)
{
	if (size < 60)
		size = 60;
	char *p = rte_pktmbuf_append(m, size);
	memset(p, 0, size);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - sizeof(*eth)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(size - sizeof(*eth) - sizeof(*ip)));
	/* A payload no signature matches: the flow's window closes on it. */
	uint8_t *pl = (uint8_t *)(udp + 1);
	for (uint16_t i = 0; i < size - sizeof(*eth) - sizeof(*ip) - sizeof(*udp); i++)
		pl[i] = (uint8_t)(0xa5 ^ i);
}

struct sample {
	double t;
	struct worker_stats s[ENGINE_MAX_WORKERS];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void take(struct engine *e, struct sample *sm)
{
	sm->t = now_s();
	for (unsigned int i = 0; i < e->n_workers; i++)
		memcpy(&sm->s[i], &e->w[i]->stats, sizeof(sm->s[i]));
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Last-level cache misses on one CPU over the measured window (the worker
 * is alone on it), from the kernel's generic hardware event. -1 where the
 * machine exposes no such counter (most VMs) or perf is not permitted:
 * the JSON then says null and why.
 */
static int llc_open(unsigned int cpu, const char **why)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CACHE_MISSES;
	a.disabled = 1;
	int fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, 0);
	if (fd < 0)
		*why = errno == ENOENT || errno == EOPNOTSUPP ? "no hardware cache-miss counter on this machine"
							      : strerror(errno);
	return fd;
}

static int64_t llc_read(int fd)
{
	uint64_t v;
	return fd >= 0 && read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? (int64_t)v : -1;
}

int main(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "flowload: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= eal;
	argv += eal;
	uint64_t flows = 1000000;
	double seconds = 5;
	unsigned int size = 64;
	const char *json = NULL;
	static const struct option lo[] = {{"flows", required_argument, NULL, 'f'},
					   {"seconds", required_argument, NULL, 's'},
					   {"size", required_argument, NULL, 'z'},
					   {"json", required_argument, NULL, 'j'},
					   {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			flows = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'z':
			size = (unsigned int)atoi(optarg);
			break;
		case 'j':
			json = optarg;
			break;
		default:
			fprintf(stderr, "usage: tundra-flowload [EAL] -- --flows N [--seconds S] [--size B] [--json F] "
					"[-- tundra options]\n");
			return 2;
		}
	}
	/* What follows a second "--" is tundra's own options. */
	int targc = 1;
	char *targv[64] = {"tundra run"};
	for (int i = optind; i < argc && targc < 63; i++)
		targv[targc++] = argv[i];

	static struct engine e;
	options_default(&e.o);
	/* Judged on its first packet: after one pass every flow is on the fast path. */
	e.o.window_pkts = 1;
	e.o.flow_log = NULL;
	e.o.stats_interval_s = 0;
	e.o.flows_per_worker = 0;
	if (options_parse(targc, targv, CMD_RUN, &e.o) != 0)
		return 2;
	e.n_workers = rte_lcore_count() - 1;
	if (e.n_workers == 0 || e.n_workers > ENGINE_MAX_WORKERS || flows < e.n_workers) {
		fprintf(stderr, "flowload: give 2.. lcores and at least one flow per worker\n");
		return 2;
	}
	uint64_t share_max = (flows + e.n_workers - 1) / e.n_workers;
	if (e.o.flows_per_worker == 0)
		e.o.flows_per_worker = (uint32_t)(share_max + share_max / 16 + 1024);
	long rss0 = rss_kib();
	if (engine_setup(&e) != 0) {
		fprintf(stderr, "flowload: engine set-up failed (raise -m?)\n");
		return 2;
	}
	e.ties = tie_table_create(TIE_LIVE_FLOWS);
	if (e.ties == NULL)
		return 2;
	long rss_setup = rss_kib();
	unsigned int n_mbufs = e.n_workers * (RING_SIZE + 512) + 4096;
	e.mp = rte_pktmbuf_pool_create("flowload_pool", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (e.mp == NULL) {
		fprintf(stderr, "flowload: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	static struct feed feeds[ENGINE_MAX_WORKERS];
	struct rte_ring *rings[ENGINE_MAX_WORKERS];
	for (unsigned int i = 0; i < e.n_workers; i++) {
		char name[32], err[256];
		snprintf(name, sizeof(name), "flowload_%u", i);
		rings[i] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL) {
			fprintf(stderr, "flowload: ring: %s\n", rte_strerror(rte_errno));
			return 2;
		}
		int port = port_init_rings(name, &rings[i], &rings[i], 1, e.mp, err, sizeof(err));
		if (port < 0) {
			fprintf(stderr, "flowload: %s\n", err);
			return 2;
		}
		struct feed *fd = &feeds[i];
		fd->base = (uint32_t)(i * share_max);
		fd->share = (uint32_t)RTE_MIN(share_max, flows - fd->base);
		fd->step = (uint32_t)(fd->share * 0.618034) | 1u;
		while (gcd(fd->step, fd->share) != 1)
			fd->step += 2;
		if (rte_eth_add_rx_callback((uint16_t)port, 0, rewrite, fd) == NULL) {
			fprintf(stderr, "flowload: RX callback: %s\n", rte_strerror(rte_errno));
			return 2;
		}
		for (unsigned int k = 0; k < PRELOAD; k++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(e.mp);
			if (m == NULL || (make_frame(m, (uint16_t)size), rte_ring_enqueue(rings[i], m)) != 0) {
				fprintf(stderr, "flowload: preloading the ring failed\n");
				return 2;
			}
		}
		struct worker *w = e.w[i];
		w->n_rxq = 1;
		w->rxq[0] = (struct worker_rxq){.port = (uint16_t)port, .queue = 0, .tx_port = port, .tx_queue = 0};
	}
	for (unsigned int i = 0; i < e.n_workers; i++)
		rte_eal_remote_launch(worker_main, e.w[i], e.w[i]->lcore);

	/* Pass 0 makes the flows; wait for it (and one more pass, so the first touches are behind). */
	double t0 = now_s();
	for (;;) {
		bool done = true;
		for (unsigned int i = 0; i < e.n_workers; i++)
			done &= feeds[i].visits >= 2ull * feeds[i].share;
		if (done)
			break;
		usleep(20000);
		engine_drain_records(&e);
		if (now_s() - t0 > 600) {
			fprintf(stderr, "flowload: warm-up did not finish in 600 s\n");
			break;
		}
	}
	double warm_s = now_s() - t0;
	int llc_fd[ENGINE_MAX_WORKERS];
	const char *llc_why = NULL;
	for (unsigned int i = 0; i < e.n_workers; i++) {
		llc_fd[i] = llc_open(rte_lcore_to_cpu_id((int)e.w[i]->lcore), &llc_why);
		if (llc_fd[i] >= 0)
			ioctl(llc_fd[i], PERF_EVENT_IOC_ENABLE, 0);
	}
	static struct sample a, b;
	take(&e, &a);
	while (now_s() - a.t < seconds) {
		usleep(20000);
		engine_drain_records(&e);
	}
	take(&e, &b);
	int64_t llc[ENGINE_MAX_WORKERS];
	for (unsigned int i = 0; i < e.n_workers; i++) {
		llc[i] = llc_read(llc_fd[i]);
		if (llc_fd[i] >= 0)
			close(llc_fd[i]);
	}
	long rss_run = rss_kib();
	e.sh->quit = 1;
	rte_eal_mp_wait_lcore();
	engine_drain_records(&e);

	FILE *out = json ? fopen(json, "w") : stdout;
	if (out == NULL)
		return 2;
	double hz = (double)rte_get_tsc_hz();
	fprintf(out, "{\"flows\":%" PRIu64 ",\"workers\":%u,\"frame_bytes\":%u,\"warmup_s\":%.2f,\"seconds\":%.3f,"
		     "\"tsc_hz\":%.0f,\"rss_kib\":{\"start\":%ld,\"set_up\":%ld,\"running\":%ld},\"per_worker\":[",
		flows, e.n_workers, size, warm_s, b.t - a.t, hz, rss0, rss_setup, rss_run);
	for (unsigned int i = 0; i < e.n_workers; i++) {
		const struct worker_stats *x = &a.s[i], *y = &b.s[i];
		uint64_t pk = y->rx_pkts - x->rx_pkts, sp = y->stage_pkts - x->stage_pkts;
		fprintf(out, "%s{\"packets\":%" PRIu64 ",\"mpps\":%.3f,\"busy_cycles_per_packet\":%.1f,\"sampled\":%" PRIu64
			     ",\"sampled_fast\":%" PRIu64 ",\"flows_active\":%" PRIu64 ",\"table_slots\":%" PRIu64
			     ",\"table_bytes\":%" PRIu64 ",\"created\":%" PRIu64 ",\"stage_cycles_per_packet\":{",
			i ? "," : "", pk, (double)pk / (b.t - a.t) / 1e6,
			pk ? (double)(y->busy_cycles - x->busy_cycles) / (double)pk : 0.0, sp,
			y->stage_fast_pkts - x->stage_fast_pkts, y->flows_active, y->flow_slots, y->flow_mem_bytes,
			y->flows_created - x->flows_created);
		for (unsigned int st = 0; st < STAGE_COUNT; st++)
			fprintf(out, "%s\"%s\":%.1f", st ? "," : "", stage_name(st),
				sp ? (double)(y->stage_cycles[st] - x->stage_cycles[st]) / (double)sp : 0.0);
		fputs("},\"llc_misses_per_packet\":", out);
		if (llc[i] >= 0 && pk)
			fprintf(out, "%.2f", (double)llc[i] / (double)pk);
		else
			fputs("null", out);
		fputs("}", out);
	}
	fputs("],\"llc_misses\":", out);
	if (llc_why)
		fprintf(out, "\"not measured: %s\"", llc_why);
	else
		fputs("\"perf cache-misses on each worker's CPU\"", out);
	fputs("}\n", out);
	if (out != stdout)
		fclose(out);
	return 0;
}
