/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra run on the control lcore, after the EAL is up: ports (RSS queues,
 * or the software distributor when a port cannot spread flows), telemetry
 * and /metrics, then the control loop: records and events out, control
 * socket, SIGHUP reloads, heartbeats, stats lines; and an orderly stop.
 */
#define _GNU_SOURCE
#include "live.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctlsock.h"
#include "metrics.h"
#include "port.h"
#include "supervise.h"
#include "telemetry.h"

static volatile sig_atomic_t got_quit, got_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_quit = 1;
}

/* The first worker whose heartbeat is not fresh, or -1 when every one beats. */
static int first_unhealthy(const struct engine *e, const uint8_t *stuck)
{
	for (unsigned int i = 0; i < e->n_workers; i++)
		if (stuck[i] || e->dead[i])
			return (int)i;
	return -1;
}

/* The pool's and the ports' own counters, into the control counters (the control lcore only). */
static void sample_pool(struct engine *e)
{
	uint64_t nombuf = 0, missed = 0;
	e->ctl.mbufs_in_use = e->mp ? rte_mempool_in_use_count(e->mp) : 0;
	for (unsigned int i = 0; i < e->n_ports; i++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(e->ports[i], &es) != 0)
			continue;
		nombuf += es.rx_nombuf;
		missed += es.imissed;
	}
	e->ctl.port_rx_nombuf = nombuf;
	e->ctl.port_rx_missed = missed;
}

int live_run(struct engine *e)
{
	int rc = 2, ctl_fd = -1;
	struct metrics_server *metrics = NULL;
	struct notifier nt;
	notify_open(&nt);
	struct rte_ring *dist_in[ENGINE_MAX_WORKERS] = {0}, *dist_out[ENGINE_MAX_WORKERS] = {0};
	/*
	 * Ports that cannot give every worker its own RSS queue (net_pcap,
	 * net_tap, single-queue NICs) are fed by the software distributor, which
	 * takes one lcore of its own.
	 */
	unsigned int lcores = rte_lcore_count();
	bool use_dist = false;
	if (lcores > 2) {
		int want[2] = {e->o.rx_port, e->o.pair_port};
		for (int k = 0; k < 2; k++)
			if (want[k] >= 0 && !port_can_spread((uint16_t)want[k], (uint16_t)(lcores - 1)))
				use_dist = true;
		use_dist |= e->o.distributor;
	}
	e->n_workers = lcores - 1 - use_dist;
	if (e->n_workers == 0 || e->n_workers > ENGINE_MAX_WORKERS) {
		fprintf(stderr, "tundra run: give 2..%d lcores (-l): the main lcore controls, the others work\n",
			ENGINE_MAX_WORKERS + 1);
		return 2;
	}
	if (e->o.events && (e->events_out = fopen(e->o.events, "w")) == NULL) {
		fprintf(stderr, "tundra: %s: %s\n", e->o.events, strerror(errno));
		goto out;
	}
	if (e->o.fault.worker >= 0 && (unsigned int)e->o.fault.worker >= e->n_workers) {
		fprintf(stderr, "tundra run: --test-fault: there is no worker %d (%u worker(s))\n", e->o.fault.worker,
			e->n_workers);
		return 2;
	}
	/* Every file is opened now, while tundra may still be root (--user). */
	if (e->o.stats_json && (e->stats_out = fopen(e->o.stats_json, "w")) == NULL) {
		fprintf(stderr, "tundra: %s: %s\n", e->o.stats_json, strerror(errno));
		goto out;
	}
	if (e->o.flow_log && strcmp(e->o.flow_log, "-") == 0)
		e->flow_out = stdout;
	else if (e->o.flow_log && (e->flow_out = fopen(e->o.flow_log, "w")) == NULL) {
		fprintf(stderr, "tundra: %s: %s\n", e->o.flow_log, strerror(errno));
		goto out;
	}
	if (engine_setup(e) != 0)
		goto out;
	if (e->o.xdp_enforce.n && engine_xdp_open(e) != 0)
		goto out;
	e->ties = tie_table_create(TIE_LIVE_FLOWS);
	if (e->ties == NULL) {
		fprintf(stderr, "tundra: no memory for the tie table\n");
		goto out;
	}
	unsigned int n_mbufs = e->o.mbufs ? e->o.mbufs : e->n_workers * 2 * (1024 + 1024 + WORKER_BURST * 2) + 4096;
	/* Each lcore keeps up to a cache of free buffers; a small pool keeps smaller caches. */
	unsigned int cache = RTE_MIN(256u, n_mbufs / 8);
	e->mp = rte_pktmbuf_pool_create("live_pool", n_mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (e->mp == NULL) {
		fprintf(stderr, "tundra: mbuf pool of %u: %s (raise -m)\n", n_mbufs, rte_strerror(rte_errno));
		goto out;
	}
	e->ctl.mbufs = n_mbufs;
	char err[512];
	int ports[2] = {e->o.rx_port, e->o.pair_port};
	int n_ports = e->o.pair_port >= 0 ? 2 : 1;
	if (e->o.tx_port >= 0 && e->o.tx_port != e->o.rx_port)
		ports[n_ports++] = e->o.tx_port;
	for (int p = 0; p < n_ports; p++)
		if (port_init_live((uint16_t)ports[p], use_dist ? 1 : (uint16_t)e->n_workers, e->mp, err, sizeof(err)) !=
		    0) {
			fprintf(stderr, "tundra: %s%s\n", err,
				e->o.mbufs ? " (--mbufs too small for the queues?)" : "");
			goto out;
		} else {
			e->ports[e->n_ports++] = (uint16_t)ports[p];
		}
	int32_t out_of_rx = e->o.pair_port >= 0 ? e->o.pair_port : e->o.tx_port;
	if (use_dist) {
		for (unsigned int i = 0; i < e->n_workers; i++) {
			char name[32];
			snprintf(name, sizeof(name), "dist_in_%u", i);
			dist_in[i] = rte_ring_create(name, 1024, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "dist_out_%u", i);
			dist_out[i] = rte_ring_create(name, 1024, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dist_in[i] == NULL || dist_out[i] == NULL) {
				fprintf(stderr, "tundra: distributor rings: %s\n", rte_strerror(rte_errno));
				goto out;
			}
		}
		int dport = port_init_rings("dist", dist_in, dist_out, (uint16_t)e->n_workers, e->mp, err, sizeof(err));
		if (dport < 0) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
		e->dist = rte_zmalloc("distributor", sizeof(*e->dist), RTE_CACHE_LINE_SIZE);
		if (e->dist == NULL)
			goto out;
		struct distributor *d = e->dist;
		d->lcore = rte_get_next_lcore(e->w[e->n_workers - 1]->lcore, 1, 0);
		d->n_workers = e->n_workers;
		d->to_worker = dist_in;
		d->from_worker = dist_out;
		d->shared = e->sh;
		for (unsigned int k = 0; k < RTE_MAX_ETHPORTS; k++)
			d->peer[k] = -1;
		d->ports[d->n_ports++] = (uint16_t)e->o.rx_port;
		d->peer[e->o.rx_port] = out_of_rx;
		if (e->o.pair_port >= 0) {
			d->ports[d->n_ports++] = (uint16_t)e->o.pair_port;
			d->peer[e->o.pair_port] = e->o.rx_port;
		}
		d->n_rx = d->n_ports;
		/* A distinct TX port is only sent on. */
		if (e->o.tx_port >= 0 && e->o.tx_port != e->o.rx_port && d->n_ports < DIST_MAX_PORTS)
			d->ports[d->n_ports++] = (uint16_t)e->o.tx_port;
		for (unsigned int i = 0; i < e->n_workers; i++) {
			struct worker *w = e->w[i];
			w->rxq[w->n_rxq++] = (struct worker_rxq){
				.port = (uint16_t)dport,
				.queue = (uint16_t)i,
				.tx_port = out_of_rx >= 0 ? dport : -1,
				.tx_queue = (uint16_t)i,
			};
			w->drain_on_quit = 1;
		}
	}
	/* Bump in the wire: each side's queue i goes out the other side's queue i. */
	for (unsigned int i = 0; i < e->n_workers && !use_dist; i++) {
		struct worker *w = e->w[i];
		w->rxq[w->n_rxq++] = (struct worker_rxq){
			.port = (uint16_t)e->o.rx_port,
			.queue = (uint16_t)i,
			.tx_port = e->o.pair_port >= 0 ? e->o.pair_port : e->o.tx_port,
			.tx_queue = (uint16_t)i,
		};
		if (e->o.pair_port >= 0)
			w->rxq[w->n_rxq++] = (struct worker_rxq){
				.port = (uint16_t)e->o.pair_port,
				.queue = (uint16_t)i,
				.tx_port = e->o.rx_port,
				.tx_queue = (uint16_t)i,
			};
		for (unsigned int k = 0; k < w->n_rxq; k++)
			w->rxq[k].has_qcount = rte_eth_rx_queue_count(w->rxq[k].port, w->rxq[k].queue) >= 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fprintf(stderr, "tundra: %u worker(s)%s, mode %s, rx port %d%s; overload detection: %s\n", e->n_workers,
		use_dist ? " behind a software distributor" : "", mode_name(e->o.mode), e->o.rx_port,
		e->o.pair_port >= 0 ? " paired" : "",
		e->w[0]->rxq[0].has_qcount ? "RX backlog" : e->o.shed_after ? "full-burst streak" : "off (PMD reports no backlog)");

	static uint8_t stuck[ENGINE_MAX_WORKERS];
	static uint16_t tv_ports[3];
	for (int p = 0; p < n_ports; p++)
		tv_ports[p] = (uint16_t)ports[p];
	struct telemetry_view tv = {
		.workers = e->w,
		.n_workers = e->n_workers,
		.extra = e->dist ? &e->dist->stats : NULL,
		.stuck = stuck,
		.ports = tv_ports,
		.n_ports = (unsigned int)n_ports,
		.ctl = &e->ctl,
		.registry_path = e->o.registry,
		.mode = mode_name(e->o.mode),
	};
	if (telemetry_register(&tv) != 0)
		fprintf(stderr, "tundra: telemetry commands not registered\n");
	if (e->o.metrics) {
		metrics = metrics_start(e->o.metrics, &tv, err, sizeof(err));
		if (metrics == NULL) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
	}
	/* What the queues took before any traffic (a NIC fills its RX ring): where the pool returns to. */
	sample_pool(e);
	e->ctl.mbufs_in_use_start = e->ctl.mbufs_in_use;
	ctl_fd = e->o.control ? ctlsock_open(e->o.control, e->o.control_group) : -1;
	if (e->o.control && ctl_fd < 0)
		goto out;
	/* Everything that needs root is done: ports, sockets, files (docs/deploy.md). */
	if (e->o.user) {
		if (drop_privileges(e->o.user, err, sizeof(err)) != 0) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
		fprintf(stderr, "tundra: running as %s (uid %u)\n", e->o.user, (unsigned int)getuid());
	}
	uint64_t last_polls[ENGINE_MAX_WORKERS] = {0};
	double last_beat[ENGINE_MAX_WORKERS] = {0};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (e->o.fault.worker >= 0) {
		const struct engine_shared *sh = e->sh;
		e->w[e->o.fault.worker]->panic_at_ns = sh->unix_ns0 +
						      (uint64_t)((double)(rte_rdtsc() - sh->tsc0) * sh->ns_per_tsc) +
						      (uint64_t)e->o.fault.after_ms * 1000000ull;
	}
	for (unsigned int i = 0; i < e->n_workers; i++)
		rte_eal_remote_launch(worker_main, e->w[i], e->w[i]->lcore);
	if (e->dist)
		rte_eal_remote_launch(distributor_main, e->dist, e->dist->lcore);
	tv.takeover = &e->takeover;

	/* Forwarding: the supervisor may consider tundra started. */
	e->startup_s = engine_elapsed(&e->t_start);
	char msg[256];
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=forwarding: %u worker(s), mode %s\nMAINPID=%ld", e->n_workers,
		 mode_name(e->o.mode), (long)getpid());
	notify_send(&nt, msg);
	fprintf(stderr, "tundra: ready: forwarding %.3f s after start%s\n", e->startup_s,
		nt.fd >= 0 ? (nt.watchdog_usec ? "; supervisor notified, watchdog on" : "; supervisor notified") : "");
	uint64_t last_rx = 0;
	double last_change = 0, last_report = 0, last_ping = -1e9;
	int withheld = -1; /* the worker the watchdog pings wait for, -1: none */
	while (!got_quit) {
		/*
		 * Wake for a control command at once, otherwise every 100 ms; with
		 * a dead worker's queues to forward, turn without sleeping.
		 */
		struct pollfd pfd = {.fd = ctl_fd, .events = POLLIN};
		if (poll(&pfd, ctl_fd >= 0 ? 1 : 0, e->n_dead ? 0 : 100) < 0 && errno != EINTR)
			break;
		if (e->n_dead)
			engine_takeover_poll(e, 64);
		engine_drain_records(e);
		engine_xdp_sync(e);
		if (ctl_fd >= 0)
			ctlsock_serve(e, ctl_fd);
		if (got_reload) {
			got_reload = 0;
			char reply[1024];
			engine_reload_registry(e, false, reply, sizeof(reply));
		}
		double now = engine_elapsed(&t0);
		sample_pool(e);
		struct worker_stats s;
		engine_collect_stats(e, &s);
		if (s.rx_pkts != last_rx) {
			last_rx = s.rx_pkts;
			last_change = now;
		}
		/* Heartbeat: a worker whose loop stopped turning is reported, once per episode. */
		for (unsigned int i = 0; i < e->n_workers; i++) {
			uint64_t polls = e->w[i]->stats.polls;
			if (polls != last_polls[i]) {
				last_polls[i] = polls;
				last_beat[i] = now;
				stuck[i] = 0;
			} else if (!stuck[i] && (now - last_beat[i]) * 1000 >= e->o.stuck_ms) {
				stuck[i] = 1;
				e->ctl.stuck_workers++;
				fprintf(stderr, "tundra: ALARM: worker %u (lcore %u) has not polled for %u ms\n", i,
					e->w[i]->lcore, e->o.stuck_ms);
			}
			/*
			 * No heartbeat and its lcore back to WAIT: the loop has ended and
			 * will not poll again, so its queues can be taken over. A worker
			 * that is only hung keeps them (a queue must not have two pollers).
			 */
			if (stuck[i] && !e->dead[i] && rte_eal_get_lcore_state(e->w[i]->lcore) == WAIT) {
				e->dead[i] = 1;
				e->n_dead++;
				e->ctl.dead_workers = e->n_dead;
				rte_rcu_qsbr_thread_offline(e->sh->qsbr, e->w[i]->id);
				rte_rcu_qsbr_thread_unregister(e->sh->qsbr, e->w[i]->id);
				fprintf(stderr,
					"tundra: ALARM: worker %u (lcore %u) is dead: its loop ended; the control lcore "
					"forwards its queues uninspected (bypassed)\n",
					i, e->w[i]->lcore);
			}
		}
		/* The watchdog is fed only while every worker's heartbeat is fresh. */
		int bad = first_unhealthy(e, stuck);
		if (bad >= 0 && withheld != bad && nt.fd >= 0) {
			snprintf(msg, sizeof(msg), "STATUS=worker %d (lcore %u) %s: watchdog pings withheld", bad,
				 e->w[bad]->lcore, e->dead[bad] ? "is dead" : "has no heartbeat");
			notify_send(&nt, msg);
			if (nt.watchdog_usec)
				fprintf(stderr, "tundra: ALARM: %s\n", msg + 7);
		} else if (bad < 0 && withheld >= 0 && nt.fd >= 0) {
			notify_send(&nt, "STATUS=forwarding: every worker's heartbeat is fresh");
			if (nt.watchdog_usec)
				fprintf(stderr, "tundra: watchdog pings resumed: every worker's heartbeat is fresh\n");
		}
		withheld = bad;
		if (bad < 0 && nt.watchdog_usec && (now - last_ping) * 2e6 >= (double)nt.watchdog_usec) {
			if (notify_send(&nt, "WATCHDOG=1"))
				e->ctl.watchdog_pings++;
			last_ping = now;
		}
		if (e->o.stats_interval_s && now - last_report >= e->o.stats_interval_s) {
			last_report = now;
			fprintf(stderr, "tundra: stats ");
			stats_print_json(&s, &e->ctl, stderr);
		}
		if (e->o.duration_s && now >= e->o.duration_s)
			break;
		if (e->o.idle_exit_s && now - last_change >= e->o.idle_exit_s)
			break;
	}
	notify_send(&nt, "STOPPING=1");
	/* Stop receiving first, let workers empty what they were handed, then let forwarded frames out. */
	if (e->dist) {
		e->sh->dist_quit = 1;
		while (!__atomic_load_n(&e->dist->rx_stopped, __ATOMIC_ACQUIRE)) {
			engine_drain_records(e);
			engine_takeover_poll(e, 64);
			usleep(1000);
		}
	}
	e->sh->quit = 1;
	for (unsigned int i = 0; i < e->n_workers; i++)
		while (rte_eal_get_lcore_state(e->w[i]->lcore) != WAIT) {
			engine_drain_records(e);
			engine_takeover_poll(e, 64);
			usleep(1000);
		}
	/* A dead worker's distributor ring is emptied by the control lcore, as a live worker empties its own. */
	if (e->dist)
		engine_takeover_poll(e, 1u << 20);
	__atomic_store_n(&e->sh->workers_done, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (e->dist && e->dist->port_tx_failed)
		fprintf(stderr, "tundra: %" PRIu64 " forwarded frames refused by the TX port\n", e->dist->port_tx_failed);
	engine_drain_records(e);
	engine_xdp_sync(e);
	/* Every lcore stopped: what is still out of the pool is in a queue, or lost. */
	sample_pool(e);
	rc = engine_finish(e, engine_elapsed(&t0)) ? 1 : 0;
	if (e->n_dead) {
		fprintf(stderr, "  ALARM: %u worker(s) died; their queues were forwarded uninspected (bypassed)\n",
			e->n_dead);
		rc = 1;
	}
	for (int p = 0; p < n_ports; p++)
		port_close((uint16_t)ports[p]);
out:
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(e->o.control); /* fails after --user where the directory is root's; the next start replaces it */
	}
	notify_close(&nt);
	if (e->stats_out)
		fclose(e->stats_out);
	e->stats_out = NULL;
	metrics_stop(metrics);
	rte_free(e->dist);
	e->dist = NULL;
	for (unsigned int i = 0; i < ENGINE_MAX_WORKERS; i++) {
		rte_ring_free(dist_in[i]);
		rte_ring_free(dist_out[i]);
	}
	if (e->events_out)
		fclose(e->events_out);
	if (e->flow_out && e->flow_out != stdout)
		fclose(e->flow_out);
	engine_teardown(e);
	rte_mempool_free(e->mp);
	e->mp = NULL;
	return rc;
}
