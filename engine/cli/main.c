/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tundra: finds VPN handshakes in traffic, looks each VPN flow's server
 * endpoint up in the registry and gives every flow a verdict.
 *
 * The main lcore is the control core: it owns everything slow (registry
 * load, the pcap reader offline, flow records, stats). Worker lcores run
 * the packet pipeline (worker.c) and never lock, allocate or block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_pause.h>
#include <rte_version.h>

#include "classify.h"
#include "config.h"
#include "output.h"
#include "parse.h"
#include "pcap_in.h"
#include "distributor.h"
#include "port.h"
#include "registry.h"
#include "stats.h"
#include "metrics.h"
#include "telemetry.h"
#include "tie.h"
#include "verdict.h"
#include "worker.h"

#define RECORD_RING_SIZE 4096
#define OFFLINE_RING_SIZE 1024
#define MAX_WORKERS 64
/* Live: flows the tie table holds (about 200 bytes each); past it the oldest undecided go first. */
#define TIE_LIVE_FLOWS 65536
/* Segments the largest capture record (256 KiB) can take. */
#define READER_MIN_FREE_MBUFS 160

struct options {
	const char *input;          /* classify: capture file */
	const char *registry;
	const char *stats_json;     /* write the final counters as JSON here */
	const char *flow_log;       /* run: JSON lines of finished flows ("-" = stdout) */
	const char *events;         /* JSON lines of verdict events (audit) */
	const char *control;        /* run: unix socket for control commands */
	uint8_t allow_empty_registry;
	uint8_t enforce_likely;
	uint8_t distributor;        /* run: force the software distributor */
	const char *metrics;        /* run: Prometheus endpoint, PORT or ADDR:PORT */
	uint32_t stuck_ms;          /* run: a worker without heartbeat this long is reported */
	uint32_t stats_interval_s;  /* run: a stats line on stderr this often (0: never) */
	int stall_worker;           /* run, fault injection: this worker stops polling once */
	uint32_t stall_ms;
	uint32_t max_shrink_pct;    /* a reload may remove at most this share of entries unforced */
	uint32_t shed_backlog, shed_after;
	const char *policy[32];     /* --policy rules, parsed at set-up */
	unsigned int n_policy;
	uint8_t mode;
	uint8_t json;
	uint8_t summary;            /* classify: totals only, no per-flow lines (and no records kept) */
	uint8_t explain;            /* classify: each flow's decision path */
	uint8_t hugepages;          /* classify: take EAL memory from hugepages */
	unsigned int workers;       /* classify only; live takes the EAL's worker lcores */
	uint16_t window_pkts;
	uint32_t window_bytes;
	uint32_t flows_per_worker;
	uint32_t udp_timeout_s, tcp_timeout_s, tcp_syn_timeout_s, tcp_fin_timeout_s;
	uint32_t idle_exit_s, duration_s;
	int rx_port, tx_port, pair_port;
};

struct tally {
	uint64_t flows[VERDICT_COUNT];
	uint64_t pkts[VERDICT_COUNT];
};

/* Offline: a tie's event, written among the verdict events. */
struct tie_offline_event {
	struct flow f;              /* the child as the tie leaves it */
	struct tie_link link;
	uint64_t ts;
	uint8_t prev;               /* its verdict before */
};

struct engine {
	struct options o;
	struct classify_db cdb;
	struct engine_shared *sh;
	struct worker *w[MAX_WORKERS];
	unsigned int n_workers;
	struct rte_mempool *mp;
	struct flow *recs;          /* offline: every record, printed sorted at the end */
	size_t n_recs, cap_recs;
	FILE *flow_out;             /* live: records streamed here */
	struct tally *tally;        /* [app] */
	uint64_t records;
	struct flow *events;        /* offline: every verdict event, written sorted at the end */
	size_t n_events, cap_events;
	struct tie_offline_event *tie_events; /* offline, with --events: one per tie, sorted by time */
	size_t n_ties;
	FILE *events_out;           /* live: events streamed here */
	struct control_stats ctl;
	struct distributor *dist;   /* live, ports without RSS: the software distributor */
	struct tie_table *ties;     /* live: flows of one session tied as their records arrive */
	uint64_t generation;        /* of the registry serving, 0 = none */
	int failed;
};

static volatile sig_atomic_t got_quit, got_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_reload = 1;
	else
		got_quit = 1;
}

static void usage(FILE *out)
{
	fputs("usage:\n"
	      "  tundra classify FILE.pcap [--registry FILE] [--json] [--workers N] [--mode monitor|enforce]\n"
	      "                  [--window-pkts N] [--window-bytes N] [--flows N] [--udp-timeout S]\n"
	      "                  [--tcp-timeout S] [--tcp-syn-timeout S] [--tcp-fin-timeout S]\n"
	      "                  [--stats-json FILE] [--events FILE] [--summary] [--explain]\n"
	      "                  [--hugepages]  (EAL memory from mounted hugepages instead of anonymous memory)\n"
	      "  tundra run [EAL options] -- [--port P] [--tx-port P | --pair P] [--registry FILE]\n"
	      "                  [--mode monitor|enforce] [--flow-log FILE|-] [--idle-exit S] [--duration S]\n"
	      "                  [--window-pkts N] [--window-bytes N] [--flows N] [--stats-json FILE]\n"
	      "                  [--events FILE] [--control SOCKET] [--max-shrink PCT] [--allow-empty-registry]\n"
	      "                  [--shed-backlog DESCS] [--shed-after BURSTS] [--distributor]\n"
	      "                  [--metrics [ADDR:]PORT] [--stuck-ms MS] [--stats-interval S]\n"
	      "                  [--test-stall-worker W:MS]  (fault injection: worker W stops polling once)\n"
	      "  both: --policy app=NAME:allow|monitor|enforce, --policy sector=NAME:monitor|enforce (repeatable)\n"
	      "        --enforce-likely: also drop VPN flows decided on one-sided evidence (default: confirmed only)\n"
	      "  tundra registry check FILE\n"
	      "  tundra apps | --version\n"
	      "  any command: --config FILE.yaml (keys = long options, eal: [EAL args]; flags given win)\n"
	      "\n"
	      "classify: offline, DPDK without hugepages or NICs; time is the capture's time.\n"
	      "run: live on DPDK ports; one RX queue per worker lcore; SIGHUP or 'reload' on the\n"
	      "     control socket reloads the registry ('reload force' past the --max-shrink guard).\n"
	      "mode monitor (default) only reports; enforce drops packets of blocked flows.\n",
	      out);
}

static int parse_uint(const char *opt, const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || *s == '-' || x > max) {
		fprintf(stderr, "tundra: %s: '%s' is not a number in 0..%" PRIu64 "\n", opt, s, max);
		return -1;
	}
	*v = x;
	return 0;
}

enum {
	OPT_REGISTRY = 256,
	OPT_JSON,
	OPT_SUMMARY,
	OPT_EXPLAIN,
	OPT_HUGEPAGES,
	OPT_WORKERS,
	OPT_MODE,
	OPT_WINDOW_PKTS,
	OPT_WINDOW_BYTES,
	OPT_FLOWS,
	OPT_UDP_TIMEOUT,
	OPT_TCP_TIMEOUT,
	OPT_STATS_JSON,
	OPT_FLOW_LOG,
	OPT_IDLE_EXIT,
	OPT_DURATION,
	OPT_PORT,
	OPT_TX_PORT,
	OPT_PAIR,
	OPT_EVENTS,
	OPT_CONTROL,
	OPT_MAX_SHRINK,
	OPT_ALLOW_EMPTY,
	OPT_SHED_BACKLOG,
	OPT_SHED_AFTER,
	OPT_POLICY,
	OPT_TCP_SYN_TIMEOUT,
	OPT_TCP_FIN_TIMEOUT,
	OPT_ENFORCE_LIKELY,
	OPT_DISTRIBUTOR,
	OPT_METRICS,
	OPT_STUCK_MS,
	OPT_STATS_INTERVAL,
	OPT_TEST_STALL,
};

static const struct option long_opts[] = {
	{"registry", required_argument, NULL, OPT_REGISTRY},
	{"json", no_argument, NULL, OPT_JSON},
	{"summary", no_argument, NULL, OPT_SUMMARY},
	{"explain", no_argument, NULL, OPT_EXPLAIN},
	{"hugepages", no_argument, NULL, OPT_HUGEPAGES},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"mode", required_argument, NULL, OPT_MODE},
	{"window-pkts", required_argument, NULL, OPT_WINDOW_PKTS},
	{"window-bytes", required_argument, NULL, OPT_WINDOW_BYTES},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"udp-timeout", required_argument, NULL, OPT_UDP_TIMEOUT},
	{"tcp-timeout", required_argument, NULL, OPT_TCP_TIMEOUT},
	{"stats-json", required_argument, NULL, OPT_STATS_JSON},
	{"flow-log", required_argument, NULL, OPT_FLOW_LOG},
	{"idle-exit", required_argument, NULL, OPT_IDLE_EXIT},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"port", required_argument, NULL, OPT_PORT},
	{"tx-port", required_argument, NULL, OPT_TX_PORT},
	{"pair", required_argument, NULL, OPT_PAIR},
	{"events", required_argument, NULL, OPT_EVENTS},
	{"control", required_argument, NULL, OPT_CONTROL},
	{"max-shrink", required_argument, NULL, OPT_MAX_SHRINK},
	{"allow-empty-registry", no_argument, NULL, OPT_ALLOW_EMPTY},
	{"shed-backlog", required_argument, NULL, OPT_SHED_BACKLOG},
	{"shed-after", required_argument, NULL, OPT_SHED_AFTER},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"tcp-syn-timeout", required_argument, NULL, OPT_TCP_SYN_TIMEOUT},
	{"tcp-fin-timeout", required_argument, NULL, OPT_TCP_FIN_TIMEOUT},
	{"enforce-likely", no_argument, NULL, OPT_ENFORCE_LIKELY},
	{"distributor", no_argument, NULL, OPT_DISTRIBUTOR},
	{"metrics", required_argument, NULL, OPT_METRICS},
	{"stuck-ms", required_argument, NULL, OPT_STUCK_MS},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{"test-stall-worker", required_argument, NULL, OPT_TEST_STALL},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Parses app options; offline takes one positional argument, the capture. */
static int parse_options(int argc, char **argv, struct options *o, int offline)
{
	uint64_t v;
	optind = 1;
	opterr = 1;
	for (;;) {
		int c = getopt_long(argc, argv, "h", long_opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case OPT_REGISTRY:
			o->registry = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_SUMMARY:
			o->summary = 1;
			break;
		case OPT_EXPLAIN:
			o->explain = 1;
			break;
		case OPT_HUGEPAGES:
			o->hugepages = 1;
			break;
		case OPT_WORKERS:
			if (parse_uint("--workers", optarg, MAX_WORKERS, &v) || v == 0)
				return -1;
			o->workers = (unsigned int)v;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "monitor") == 0)
				o->mode = MODE_MONITOR;
			else if (strcmp(optarg, "enforce") == 0)
				o->mode = MODE_ENFORCE;
			else {
				fprintf(stderr, "tundra: --mode: '%s' is neither monitor nor enforce\n", optarg);
				return -1;
			}
			break;
		case OPT_WINDOW_PKTS:
			if (parse_uint("--window-pkts", optarg, 1000, &v) || v == 0)
				return -1;
			o->window_pkts = (uint16_t)v;
			break;
		case OPT_WINDOW_BYTES:
			if (parse_uint("--window-bytes", optarg, 1 << 20, &v) || v == 0)
				return -1;
			o->window_bytes = (uint32_t)v;
			break;
		case OPT_FLOWS:
			if (parse_uint("--flows", optarg, 1u << 26, &v) || v < 64)
				return -1;
			o->flows_per_worker = (uint32_t)v;
			break;
		case OPT_UDP_TIMEOUT:
			if (parse_uint("--udp-timeout", optarg, 86400, &v) || v == 0)
				return -1;
			o->udp_timeout_s = (uint32_t)v;
			break;
		case OPT_TCP_TIMEOUT:
			if (parse_uint("--tcp-timeout", optarg, 86400, &v) || v == 0)
				return -1;
			o->tcp_timeout_s = (uint32_t)v;
			break;
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case OPT_TEST_STALL: {
			unsigned int wi, ms;
			if (sscanf(optarg, "%u:%u", &wi, &ms) != 2 || ms == 0 || ms > 60000) {
				fprintf(stderr, "tundra: --test-stall-worker: expected WORKER:MS\n");
				return -1;
			}
			o->stall_worker = (int)wi;
			o->stall_ms = ms;
			break;
		}
		case OPT_STATS_INTERVAL:
			if (parse_uint("--stats-interval", optarg, 86400, &v))
				return -1;
			o->stats_interval_s = (uint32_t)v;
			break;
		case OPT_STUCK_MS:
			if (parse_uint("--stuck-ms", optarg, 600000, &v) || v < 10)
				return -1;
			o->stuck_ms = (uint32_t)v;
			break;
		case OPT_DISTRIBUTOR:
			o->distributor = 1;
			break;
		case OPT_ENFORCE_LIKELY:
			o->enforce_likely = 1;
			break;
		case OPT_TCP_SYN_TIMEOUT:
			if (parse_uint("--tcp-syn-timeout", optarg, 86400, &v) || v == 0)
				return -1;
			o->tcp_syn_timeout_s = (uint32_t)v;
			break;
		case OPT_TCP_FIN_TIMEOUT:
			if (parse_uint("--tcp-fin-timeout", optarg, 86400, &v) || v == 0)
				return -1;
			o->tcp_fin_timeout_s = (uint32_t)v;
			break;
		case OPT_STATS_JSON:
			o->stats_json = optarg;
			break;
		case OPT_FLOW_LOG:
			o->flow_log = optarg;
			break;
		case OPT_IDLE_EXIT:
			if (parse_uint("--idle-exit", optarg, 86400, &v))
				return -1;
			o->idle_exit_s = (uint32_t)v;
			break;
		case OPT_DURATION:
			if (parse_uint("--duration", optarg, 1u << 30, &v))
				return -1;
			o->duration_s = (uint32_t)v;
			break;
		case OPT_PORT:
		case OPT_TX_PORT:
		case OPT_PAIR:
			if (parse_uint("port", optarg, RTE_MAX_ETHPORTS - 1, &v))
				return -1;
			if (c == OPT_PORT)
				o->rx_port = (int)v;
			else if (c == OPT_TX_PORT)
				o->tx_port = (int)v;
			else
				o->pair_port = (int)v;
			break;
		case OPT_EVENTS:
			o->events = optarg;
			break;
		case OPT_CONTROL:
			o->control = optarg;
			break;
		case OPT_MAX_SHRINK:
			if (parse_uint("--max-shrink", optarg, 100, &v))
				return -1;
			o->max_shrink_pct = (uint32_t)v;
			break;
		case OPT_ALLOW_EMPTY:
			o->allow_empty_registry = 1;
			break;
		case OPT_SHED_BACKLOG:
			if (parse_uint("--shed-backlog", optarg, 1u << 20, &v) || v == 0)
				return -1;
			o->shed_backlog = (uint32_t)v;
			break;
		case OPT_POLICY:
			if (o->n_policy == sizeof(o->policy) / sizeof(o->policy[0])) {
				fprintf(stderr, "tundra: too many --policy rules\n");
				return -1;
			}
			o->policy[o->n_policy++] = optarg;
			break;
		case OPT_SHED_AFTER:
			if (parse_uint("--shed-after", optarg, 1u << 30, &v))
				return -1;
			o->shed_after = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (offline) {
		if (optind != argc - 1) {
			fprintf(stderr, "tundra classify: give exactly one capture file\n");
			usage(stderr);
			return -1;
		}
		o->input = argv[optind];
	} else if (optind != argc) {
		fprintf(stderr, "tundra run: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->tx_port >= 0 && o->pair_port >= 0) {
		fprintf(stderr, "tundra run: --tx-port and --pair exclude each other\n");
		return -1;
	}
	return 0;
}

static void options_default(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_MONITOR;
	o->workers = 1;
	o->window_pkts = 8;
	o->window_bytes = 4096;
	o->udp_timeout_s = 120;
	o->tcp_timeout_s = 300;
	o->tcp_syn_timeout_s = 30;
	o->tcp_fin_timeout_s = 10;
	o->rx_port = 0;
	o->tx_port = -1;
	o->pair_port = -1;
	o->flow_log = "-";
	o->max_shrink_pct = 10;
	o->shed_backlog = 768; /* three quarters of the 1024 RX descriptors */
	o->stuck_ms = 1000;
	o->stats_interval_s = 1;
	o->stall_worker = -1;
}

/* ---- flow records on the control lcore ---- */

static void account_record(struct engine *e, const struct flow *f)
{
	struct tally *t = &e->tally[f->app];
	t->flows[f->verdict]++;
	t->pkts[f->verdict] += (uint64_t)f->pkts[0] + f->pkts[1];
	e->records++;
}

static int keep_record(struct engine *e, const struct flow *f)
{
	if (e->n_recs == e->cap_recs) {
		size_t cap = e->cap_recs ? e->cap_recs * 2 : 4096;
		struct flow *n = realloc(e->recs, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		e->recs = n;
		e->cap_recs = cap;
	}
	e->recs[e->n_recs++] = *f;
	return 0;
}

static void take_event(struct engine *e, const struct flow *f, int offline)
{
	e->ctl.verdict_events++;
	if (offline) {
		if (e->o.events == NULL)
			return;
		if (e->n_events == e->cap_events) {
			size_t cap = e->cap_events ? e->cap_events * 2 : 1024;
			struct flow *n = realloc(e->events, cap * sizeof(*n));
			if (n == NULL) {
				e->failed = 1;
				return;
			}
			e->events = n;
			e->cap_events = cap;
		}
		e->events[e->n_events++] = *f;
	} else if (e->events_out) {
		output_event_json(e->events_out, f, &e->cdb);
	}
}

/*
 * A flow a tie relabelled is judged again here, as a worker would judge it
 * (registry lookup of its server endpoint under the new app), for the
 * report. Its packets stay what the worker made them: a tie is cross-flow
 * evidence and never drops, so drop keeps the worker's value (0 for the
 * undecided flows a tie relabels).
 */
static void rejudge(struct engine *e, struct flow *f)
{
	uint8_t drop = f->drop;
	verdict_decide(f, e->sh->registry, &e->sh->policy, e->sh->can_enforce, f->ts_last);
	f->drop = drop;
}

/* Live: a tie was made; its event tells the audit trail (the child as the tie leaves it). */
static void on_tie(void *arg, const struct tie_event *ev)
{
	struct engine *e = arg;
	struct flow f;
	tie_flow_record(ev->child, &f);
	uint8_t prev = f.verdict;
	tie_relabel(&f, ev->link);
	rejudge(e, &f);
	if (e->events_out)
		output_tie_event_json(e->events_out, &f, prev, ev->link, ev->ts, &e->cdb);
}

static void drain_records(struct engine *e, int offline)
{
	struct flow buf[32];
	for (unsigned int i = 0; i < e->n_workers; i++) {
		unsigned int n;
		while ((n = rte_ring_dequeue_burst_elem(e->w[i]->records, buf, sizeof(buf[0]), 32, NULL)) > 0) {
			for (unsigned int k = 0; k < n; k++) {
				if (buf[k].kind == RECORD_VERDICT) {
					take_event(e, &buf[k], offline);
					/* A flow's first verdict is what ties are made from. */
					if (!offline && buf[k].prev_verdict == VERDICT_COUNT)
						tie_note(e->ties, &buf[k], on_tie, e);
					continue;
				}
				if (offline && e->o.summary) {
					/* Totals only: no records kept, so no ties either. */
					account_record(e, &buf[k]);
					continue;
				}
				if (offline) {
					/* Offline, ties are made and records counted once all are in. */
					if (keep_record(e, &buf[k]) != 0 && !e->failed) {
						fprintf(stderr, "tundra: out of memory keeping flow records\n");
						e->failed = 1;
					}
					continue;
				}
				struct tie_link tie;
				tie_end(e->ties, &buf[k], &tie, on_tie, e);
				if (tie.is_child && tie.relabel) {
					tie_relabel(&buf[k], &tie);
					rejudge(e, &buf[k]);
				}
				account_record(e, &buf[k]);
				if (e->flow_out)
					output_flow_json(e->flow_out, &buf[k], &tie, &e->cdb);
			}
		}
	}
	if (!offline) {
		struct tie_stats ts;
		tie_table_stats(e->ties, &ts);
		e->ctl.ties = ts.ties;
		e->ctl.tie_relabels = ts.relabels;
		e->ctl.tie_evicted = ts.evicted;
	}
	if (!offline && e->flow_out)
		fflush(e->flow_out);
	if (!offline && e->events_out)
		fflush(e->events_out);
}

/*
 * Fail-safe: enforcement needs a registry. Without one every VPN would be
 * blocked, so enforce degrades to monitor and raises the alarm, unless the
 * operator said an empty registry is what they mean.
 */
static void set_enforce(struct engine *e)
{
	const struct registry *r = e->sh->registry;
	struct registry_stats st;
	registry_get_stats(r, time(NULL), &st);
	e->ctl.registry_generation = e->generation;
	e->ctl.registry_entries = r ? st.entries : 0;
	int want = e->o.mode == MODE_ENFORCE;
	for (unsigned int a = 0; a < POLICY_MAX_APPS; a++)
		want |= e->sh->policy.app[a] == POLICY_ENFORCE;
	for (unsigned int s = 0; s < SECTOR_COUNT; s++)
		want |= e->sh->policy.sector[s] == POLICY_ENFORCE;
	int have = r != NULL || e->o.allow_empty_registry;
	e->ctl.registry_alarm = want && !have;
	e->ctl.enforce_active = want && have;
	if (e->ctl.registry_alarm)
		fprintf(stderr, "tundra: ALARM: enforce asked for but no registry serves: monitoring only "
				"(--allow-empty-registry to enforce anyway)\n");
	__atomic_store_n(&e->sh->can_enforce, (uint8_t)have, __ATOMIC_RELEASE);
}

/* ---- set-up shared by classify and run ---- */

static int setup_engine(struct engine *e, int offline)
{
	char err[512];
	if (classify_db_build(&e->cdb, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return -1;
	}
	if (e->o.window_pkts < e->cdb.max_pkts_needed)
		fprintf(stderr, "tundra: note: --window-pkts %u is below the %u packets some classifiers need\n",
			e->o.window_pkts, e->cdb.max_pkts_needed);
	e->tally = calloc(tundra_n_classifiers + 1, sizeof(*e->tally));
	e->sh = rte_zmalloc("shared", sizeof(*e->sh), RTE_CACHE_LINE_SIZE);
	if (e->tally == NULL || e->sh == NULL)
		return -1;
	e->sh->policy.mode = e->o.mode;
	e->sh->policy.enforce_likely = e->o.enforce_likely;
	for (unsigned int i = 0; i < e->o.n_policy; i++)
		if (policy_parse(&e->sh->policy, e->o.policy[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "tundra: %s\n", err);
			return -1;
		}
	uint64_t ts_flag;
	if (rte_mbuf_dyn_rx_timestamp_register(&e->sh->ts_offset, &ts_flag) != 0) {
		fprintf(stderr, "tundra: cannot register the mbuf timestamp field\n");
		return -1;
	}
	if (e->o.registry) {
		struct registry *r;
		if (registry_load(e->o.registry, 1, &r, err, sizeof(err), stderr) == 0) {
			e->sh->registry = r;
			e->generation = 1;
		} else if (offline) {
			fprintf(stderr, "tundra: registry not loaded: %s\n", err);
			return -1;
		} else {
			/* Live, a bad registry must not take the network down: run, report, never drop. */
			fprintf(stderr, "tundra: ALARM: registry not loaded: %s\n", err);
		}
	}
	set_enforce(e);
	size_t qs = rte_rcu_qsbr_get_memsize(e->n_workers);
	e->sh->qsbr = rte_zmalloc("qsbr", qs, RTE_CACHE_LINE_SIZE);
	if (e->sh->qsbr == NULL || rte_rcu_qsbr_init(e->sh->qsbr, e->n_workers) != 0)
		return -1;
	e->sh->tsc0 = rte_rdtsc();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->sh->unix_ns0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	e->sh->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();

	struct flow_table_config fc = {
		.capacity = e->o.flows_per_worker,
		.udp_timeout_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.tcp_timeout_ns = (uint64_t)e->o.tcp_timeout_s * 1000000000ull,
		.tcp_syn_timeout_ns = (uint64_t)e->o.tcp_syn_timeout_s * 1000000000ull,
		.tcp_closed_timeout_ns = (uint64_t)e->o.tcp_fin_timeout_s * 1000000000ull,
		.other_timeout_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
	};
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned int i = 0; i < e->n_workers; i++, lcore = rte_get_next_lcore(lcore, 1, 0)) {
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct worker *w = rte_zmalloc_socket("worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			return -1;
		e->w[i] = w;
		w->id = i;
		w->lcore = lcore;
		w->offline = (uint8_t)offline;
		w->shared = e->sh;
		w->shed_backlog = e->o.shed_backlog;
		if ((int)i == e->o.stall_worker) {
			w->stall_at_poll = 1000;
			w->stall_ms = e->o.stall_ms;
		}
		w->shed_after = e->o.shed_after;
		char name[32];
		snprintf(name, sizeof(name), "flows_%u", i);
		w->flows = flow_table_create(name, socket, &fc, worker_export_flow, w);
		snprintf(name, sizeof(name), "records_%u", i);
		w->records = rte_ring_create_elem(name, sizeof(struct flow), RECORD_RING_SIZE, socket,
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->flows == NULL || w->records == NULL) {
			fprintf(stderr, "tundra: worker %u: no memory for %u flows (raise -m or lower --flows)\n", i,
				e->o.flows_per_worker);
			return -1;
		}
		if (classify_ctx_init(&w->cls, &e->cdb, e->o.window_pkts, e->o.window_bytes, CLASSIFY_REASM_BUFS) !=
		    0) {
			fprintf(stderr, "tundra: worker %u: hyperscan scratch or ClientHello buffers\n", i);
			return -1;
		}
	}
	return 0;
}

static void teardown_engine(struct engine *e)
{
	for (unsigned int i = 0; i < e->n_workers; i++) {
		struct worker *w = e->w[i];
		if (w == NULL)
			continue;
		classify_ctx_free(&w->cls);
		flow_table_free(w->flows);
		rte_ring_free(w->records);
		rte_free(w);
	}
	if (e->sh) {
		registry_free((struct registry *)(uintptr_t)e->sh->registry);
		rte_free(e->sh->qsbr);
		rte_free(e->sh);
	}
	classify_db_free(&e->cdb);
	tie_table_free(e->ties);
	free(e->tally);
	free(e->recs);
	free(e->events);
	free(e->tie_events);
}

static void collect_stats(struct engine *e, struct worker_stats *sum)
{
	struct worker_stats *ws[MAX_WORKERS + 1];
	unsigned int n = 0;
	for (unsigned int i = 0; i < e->n_workers; i++)
		ws[n++] = &e->w[i]->stats;
	if (e->dist)
		ws[n++] = &e->dist->stats;
	stats_sum(ws, n, sum);
}

static void print_summary(struct engine *e, const struct worker_stats *s, double secs, FILE *out)
{
	fprintf(out, "tundra: %" PRIu64 " packets, %" PRIu64 " flows in %.6f s (%.0f packets/s), mode %s\n",
		s->rx_pkts, e->records, secs, secs > 0 ? (double)s->rx_pkts / secs : 0.0, mode_name(e->o.mode));
	fprintf(out, "  %-12s %-8s %10s %12s\n", "app", "verdict", "flows", "packets");
	for (unsigned int a = 0; a <= tundra_n_classifiers; a++)
		for (unsigned int v = 0; v < VERDICT_COUNT; v++)
			if (e->tally[a].flows[v])
				fprintf(out, "  %-12s %-8s %10" PRIu64 " %12" PRIu64 "\n", classifier_name(a),
					verdict_name((uint8_t)v), e->tally[a].flows[v], e->tally[a].pkts[v]);
	fputs("  packets:", out);
	for (unsigned int o = 0; o < OUT_COUNT; o++)
		fprintf(out, " %s=%" PRIu64, outcome_name(o), s->outcome[o]);
	fputs("\n  handled:", out);
	for (unsigned int d = 0; d < DISP_COUNT; d++)
		fprintf(out, " %s=%" PRIu64, disposition_name(d), s->disp[d]);
	fprintf(out, "\n  workers: %.0f cycles/packet busy, %.1f packets/burst",
		s->rx_pkts ? (double)s->busy_cycles / (double)s->rx_pkts : 0.0,
		s->bursts ? (double)s->rx_pkts / (double)s->bursts : 0.0);
	if (s->stage_pkts) {
		fputs("\n  stages (cycles/packet, 1 burst in 64 timed):", out);
		for (unsigned int st = 0; st < STAGE_COUNT; st++)
			fprintf(out, " %s=%.0f", stage_name(st), (double)s->stage_cycles[st] / (double)s->stage_pkts);
	}
	fprintf(out, "\n  flows: created=%" PRIu64 " expired=%" PRIu64 " evicted=%" PRIu64 " at-end=%" PRIu64
		     " records-lost=%" PRIu64 "\n",
		s->flows_created, s->flows_expired, s->flows_evicted, s->flows_flushed, s->records_lost);
}

static int finish(struct engine *e, double secs)
{
	struct worker_stats s;
	collect_stats(e, &s);
	print_summary(e, &s, secs, stderr);
	int bad = stats_reconcile(&s, stderr);
	fprintf(stderr, "  counters reconcile: %s\n", bad ? "NO" : "yes");
	if (e->ctl.registry_alarm)
		fprintf(stderr, "  ALARM: enforce was asked for but no registry served\n");
	if (e->o.stats_json) {
		FILE *f = fopen(e->o.stats_json, "w");
		if (f == NULL) {
			fprintf(stderr, "tundra: %s: %s\n", e->o.stats_json, strerror(errno));
			return 1;
		}
		/* The totals, then each worker's own share (which flows it saw). */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m) {
			stats_print_json(&s, &e->ctl, m);
			fclose(m);
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '}'))
			buf[--len] = '\0';
		fprintf(f, "%s},\"workers\":[", buf ? buf : "{");
		free(buf);
		for (unsigned int i = 0; i < e->n_workers; i++) {
			const struct worker_stats *w = &e->w[i]->stats;
			fprintf(f, "%s{\"lcore\":%u,\"rx_pkts\":%" PRIu64 ",\"flows_created\":%" PRIu64 "}", i ? "," : "",
				e->w[i]->lcore, w->rx_pkts, w->flows_created);
		}
		fprintf(f, "],\"distributor\":");
		if (e->dist)
			fprintf(f, "{\"passed_uninspected\":%" PRIu64 ",\"port_tx_failed\":%" PRIu64 "}}\n",
				e->dist->stats.rx_pkts, e->dist->port_tx_failed);
		else
			fputs("null}\n", f);
		fclose(f);
	}
	return bad;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- classify: offline ---- */

/*
 * EAL memory a registry file needs: two 64 MiB first-level tables (IPv4 FIB,
 * IPv6 LPM) plus up to ~2 KiB of tables and entry per line (~40 bytes
 * of CSV). Without hugepages this is anonymous memory, touched only when used.
 */
static uint64_t registry_mem_mb(const char *path)
{
	struct stat rs;
	if (path == NULL || stat(path, &rs) != 0)
		return 0;
	return 160 + (uint64_t)rs.st_size * 64 / (1 << 20);
}

/* EAL arguments for offline work: no hugepages, no devices, workers float over our CPUs. */
static int offline_eal_args(unsigned int workers, uint32_t flows, const char *registry, bool huge, char **argv,
			    char *buf, size_t len)
{
	cpu_set_t set;
	unsigned int ncpu = 0, first = 0, last = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (unsigned int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set)) {
				if (ncpu == 0)
					first = c;
				last = c;
				ncpu++;
			}
	}
	if (ncpu == 0)
		ncpu = 1;
	/* Memory: flow tables (~0.5 KiB per flow with the hash), rings, mbufs. */
	uint64_t mb = 256 + (uint64_t)workers * ((uint64_t)flows * 512 / (1 << 20) + 48);
	mb += registry_mem_mb(registry);
	int argc = 0;
	char *p = buf;
	argv[argc++] = "tundra";
	/* Hugepages spare large flow tables most TLB misses; the default needs no set-up. */
	argv[argc++] = huge ? "--in-memory" : "--no-huge";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=*:error";
	argv[argc++] = "-m";
	argv[argc++] = p;
	p += snprintf(p, len, "%" PRIu64, mb) + 1;
	argv[argc++] = "--lcores";
	argv[argc++] = p;
	/* Contiguous affinity is the common case; otherwise float over all CPUs. */
	if (last - first + 1 == ncpu)
		snprintf(p, len - (size_t)(p - buf), "(0-%u)@(%u-%u)", workers, first, last);
	else
		snprintf(p, len - (size_t)(p - buf), "(0-%u)@(0-%u)", workers, last);
	argv[argc] = NULL;
	return argc;
}

/* Hands a worker its batch; with wait, drains records until the ring took all of it. */
static void hand_over(struct engine *e, struct rte_ring *r, struct rte_mbuf **b, unsigned int *n, bool wait)
{
	unsigned int done = 0;
	while (done < *n) {
		done += rte_ring_enqueue_burst(r, (void **)&b[done], *n - done, NULL);
		if (done == *n || !wait)
			break;
		drain_records(e, 1);
		sched_yield(); /* let a worker that shares this CPU catch up */
	}
	if (done < *n)
		memmove(b, b + done, (*n - done) * sizeof(*b));
	*n -= done;
}

/* First verdict events of the run by flow (key, first packet), for the time each flow was decided. */
static int first_event_cmp(const void *a, const void *b)
{
	const struct flow *x = *(const struct flow *const *)a, *y = *(const struct flow *const *)b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));
	if (c == 0 && x->ts_first != y->ts_first)
		c = x->ts_first < y->ts_first ? -1 : 1;
	return c;
}

/* When a flow became known to the control lcore: its first verdict, else (never decided) its end. */
static uint64_t known_at(const struct flow *const *idx, size_t n, const struct flow_key *key, uint64_t ts_first,
			 uint64_t fallback)
{
	struct flow probe;
	probe.key = *key;
	probe.ts_first = ts_first;
	const struct flow *pp = &probe;
	const struct flow *const *hit = idx ? bsearch(&pp, idx, n, sizeof(*idx), first_event_cmp) : NULL;
	return hit ? (*hit)->ts_last : fallback;
}

static int tie_event_cmp(const void *a, const void *b)
{
	const struct tie_offline_event *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(&x->f.key, &y->f.key, sizeof(x->f.key));
}

/*
 * Offline ties: made over every record once the run is over, so they depend
 * only on the capture. Relabels and judges again the children a rule
 * relabels; with --events, makes one tie event per tie, timed when the later
 * of the two flows was decided (as live makes it). Returns the links (one
 * per record), NULL when out of memory (reported; no ties then).
 */
static struct tie_link *tie_offline(struct engine *e)
{
	struct tie_link *links = calloc(e->n_recs ? e->n_recs : 1, sizeof(*links));
	struct tie_timeouts to = {
		.udp_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
		.tcp_ns = (uint64_t)e->o.tcp_timeout_s * 1000000000ull,
		.tcp_syn_ns = (uint64_t)e->o.tcp_syn_timeout_s * 1000000000ull,
		.tcp_fin_ns = (uint64_t)e->o.tcp_fin_timeout_s * 1000000000ull,
		.other_ns = (uint64_t)e->o.udp_timeout_s * 1000000000ull,
	};
	long n = links ? tie_all(e->recs, e->n_recs, &to, links) : -1;
	if (n < 0) {
		fprintf(stderr, "tundra: out of memory tying flows\n");
		e->failed = 1;
		free(links);
		return NULL;
	}
	const struct flow **idx = NULL;
	size_t n_idx = 0;
	if (e->o.events && n > 0) {
		idx = malloc((e->n_events ? e->n_events : 1) * sizeof(*idx));
		e->tie_events = calloc((size_t)n, sizeof(*e->tie_events));
		if (idx == NULL || e->tie_events == NULL) {
			fprintf(stderr, "tundra: out of memory for tie events\n");
			e->failed = 1;
		} else {
			for (size_t i = 0; i < e->n_events; i++)
				if (e->events[i].prev_verdict == VERDICT_COUNT)
					idx[n_idx++] = &e->events[i];
			qsort(idx, n_idx, sizeof(*idx), first_event_cmp);
		}
	}
	for (size_t i = 0; i < e->n_recs; i++) {
		const struct tie_link *l = &links[i];
		if (!l->is_child)
			continue;
		struct flow *f = &e->recs[i];
		uint8_t prev = f->verdict;
		e->ctl.ties++;
		if (l->relabel) {
			tie_relabel(f, l);
			rejudge(e, f);
			e->ctl.tie_relabels++;
		}
		if (idx && e->tie_events) {
			struct tie_offline_event *t = &e->tie_events[e->n_ties++];
			uint64_t c = known_at(idx, n_idx, &f->key, f->ts_first, f->ts_last);
			uint64_t p = known_at(idx, n_idx, &l->peer.key, l->peer.ts_first, 0);
			t->f = *f;
			t->link = *l;
			t->prev = prev;
			t->ts = c > p ? c : p;
		}
	}
	free(idx);
	if (e->tie_events)
		qsort(e->tie_events, e->n_ties, sizeof(*e->tie_events), tie_event_cmp);
	return links;
}

static int cmd_classify(int argc, char **argv)
{
	struct engine e;
	memset(&e, 0, sizeof(e));
	options_default(&e.o);
	e.o.flows_per_worker = 262144;
	if (parse_options(argc, argv, &e.o, 1) != 0)
		return 2;
	e.n_workers = e.o.workers;

	/* Open the capture first: a bad file should not cost an EAL start. */
	char err[512];
	struct pcap_in *in;
	if (pcap_in_open(e.o.input, &in, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return 2;
	}
	char *eal_argv[16], eal_buf[128];
	int eal_argc = offline_eal_args(e.n_workers, e.o.flows_per_worker, e.o.registry, e.o.hugepages, eal_argv,
					 eal_buf, sizeof(eal_buf));
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		pcap_in_close(in);
		return 2;
	}
	int rc = 2;
	struct rte_ring *rings[MAX_WORKERS] = {0};
	struct tie_link *links = NULL;
	if (setup_engine(&e, 1) != 0)
		goto out;
	/* Room for full rings even when every frame is a chain of a few segments. */
	unsigned int n_mbufs = e.n_workers * (OFFLINE_RING_SIZE + WORKER_BURST * 2) * 4 + 8192;
	/*
	 * Per-lcore caches: the reader allocates and the workers free in
	 * bursts, so mbufs move between cores in batches, not one ring
	 * operation each. Caches (at most 256 per lcore) stay small next to
	 * the pool.
	 */
	e.mp = rte_pktmbuf_pool_create("offline_pool", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (e.mp == NULL) {
		fprintf(stderr, "tundra: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	for (unsigned int i = 0; i < e.n_workers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "offline_rx_%u", i);
		rings[i] = rte_ring_create(name, OFFLINE_RING_SIZE, (int)rte_socket_id(),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL) {
			fprintf(stderr, "tundra: ring: %s\n", rte_strerror(rte_errno));
			goto out;
		}
	}
	int port = port_init_rings("offline", rings, rings, (uint16_t)e.n_workers, e.mp, err, sizeof(err));
	if (port < 0) {
		fprintf(stderr, "tundra: %s\n", err);
		goto out;
	}
	for (unsigned int i = 0; i < e.n_workers; i++) {
		e.w[i]->n_rxq = 1;
		e.w[i]->rxq[0] = (struct worker_rxq){.port = (uint16_t)port, .queue = (uint16_t)i, .tx_port = -1};
	}

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < e.n_workers; i++)
		rte_eal_remote_launch(worker_main, e.w[i], e.w[i]->lcore);

	/* Reader: hand packets out by flow hash, draining records whenever a ring is full. */
	struct rte_mbuf *batch[MAX_WORKERS][WORKER_BURST];
	static uint8_t reader_linear[FLOW_LINEAR_MAX];
	unsigned int nb[MAX_WORKERS] = {0};
	int input_rc;
	/*
	 * Mbufs the reader may still take before it must look at the pool again:
	 * counting the pool walks every lcore's cache, too dear per packet. The
	 * pool had at least READER_MIN_FREE_MBUFS + spare free at the last look,
	 * and only the reader allocates, so that many more are safe.
	 */
	int64_t spare = -1;
	for (;;) {
		struct rte_mbuf *m;
		/* Never fail on a busy pool: wait for the workers to free mbufs. */
		while (spare < 0) {
			unsigned int avail = rte_mempool_avail_count(e.mp);
			if (avail >= READER_MIN_FREE_MBUFS) {
				spare = (int64_t)avail - READER_MIN_FREE_MBUFS;
				break;
			}
			for (unsigned int i = 0; i < e.n_workers; i++)
				hand_over(&e, rings[i], batch[i], &nb[i], false);
			drain_records(&e, 1);
			sched_yield();
		}
		input_rc = pcap_in_next(in, e.mp, e.sh->ts_offset, &m, err, sizeof(err));
		unsigned int wi = 0;
		if (input_rc == 1) {
			spare -= m->nb_segs;
			wi = flow_worker_of(m, e.n_workers, reader_linear);
			batch[wi][nb[wi]++] = m;
		}
		for (unsigned int i = 0; i < e.n_workers; i++) {
			if (nb[i] == 0 || (input_rc == 1 && (i != wi || nb[i] < WORKER_BURST)))
				continue;
			hand_over(&e, rings[i], batch[i], &nb[i], true);
		}
		if (input_rc != 1)
			break;
	}
	__atomic_store_n(&e.sh->input_done, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < e.n_workers; i++)
		while (rte_eal_get_lcore_state(e.w[i]->lcore) != WAIT) {
			drain_records(&e, 1);
			sched_yield();
		}
	rte_eal_mp_wait_lcore();
	double secs = elapsed(&t0);
	drain_records(&e, 1);

	if (e.n_recs > 0)
		qsort(e.recs, e.n_recs, sizeof(*e.recs), flow_record_cmp);
	links = tie_offline(&e);
	for (size_t i = 0; i < e.n_recs; i++)
		account_record(&e, &e.recs[i]);
	if (e.o.events) {
		/* Sorted by the time of the packet that decided, like the flows by their first. */
		if (e.n_events > 0)
			qsort(e.events, e.n_events, sizeof(*e.events), event_record_cmp);
		FILE *ev = fopen(e.o.events, "w");
		if (ev == NULL) {
			fprintf(stderr, "tundra: %s: %s\n", e.o.events, strerror(errno));
			e.failed = 1;
		} else {
			/* Verdict and tie events merged in time order (a verdict first at equal times). */
			size_t t = 0;
			for (size_t i = 0; i <= e.n_events; i++) {
				for (; t < e.n_ties && (i == e.n_events || e.tie_events[t].ts < e.events[i].ts_last); t++) {
					const struct tie_offline_event *te = &e.tie_events[t];
					output_tie_event_json(ev, &te->f, te->prev, &te->link, te->ts, &e.cdb);
				}
				if (i < e.n_events)
					output_event_json(ev, &e.events[i], &e.cdb);
			}
			fclose(ev);
		}
	}
	if (!e.o.json && !e.o.summary)
		output_table_header(stdout);
	output_set_explain(e.o.explain);
	for (size_t i = 0; i < e.n_recs; i++) {
		if (e.o.json) {
			output_flow_json(stdout, &e.recs[i], links ? &links[i] : NULL, &e.cdb);
		} else {
			output_flow_row(stdout, &e.recs[i], links ? &links[i] : NULL, &e.cdb);
			if (e.o.explain) {
				classify_explain(&e.cdb, &e.recs[i], "    ", stdout);
				output_tie_explain(stdout, links ? &links[i] : NULL, "    ");
			}
		}
	}
	fflush(stdout);
	fprintf(stderr, "tundra: %s: %" PRIu64 " packets read (%s)", e.o.input, pcap_in_packets(in),
		pcap_in_linktype(in));
	if (pcap_in_snapped(in))
		fprintf(stderr, ", %" PRIu64 " cut short by the capture's snap length", pcap_in_snapped(in));
	fputc('\n', stderr);
	rc = finish(&e, secs) ? 1 : 0;
	if (input_rc < 0) {
		/* Everything before the damage was classified and reported above. */
		fprintf(stderr, "tundra: %s\n", err);
		rc = 2;
	}
	if (e.failed)
		rc = 2;
	port_close((uint16_t)port);
out:
	free(links);
	pcap_in_close(in);
	teardown_engine(&e);
	for (unsigned int i = 0; i < e.n_workers; i++)
		rte_ring_free(rings[i]);
	rte_mempool_free(e.mp);
	rte_eal_cleanup();
	return rc;
}

/* ---- run: live ports ---- */

/*
 * Swaps in a new registry; the old one is freed once every worker has moved
 * past it. Refused, with the old one serving on, when the file has errors or
 * would remove more than --max-shrink of the entries without force. Writes
 * the outcome to reply (the control socket's answer) and to stderr.
 */
static void reload_registry(struct engine *e, int force, char *reply, size_t rlen)
{
	char err[512];
	struct registry *r;
	if (e->o.registry == NULL) {
		snprintf(reply, rlen, "error: no --registry file to reload");
		goto out;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (registry_load(e->o.registry, e->generation + 1, &r, err, sizeof(err), stderr) != 0) {
		e->ctl.reload_failures++;
		snprintf(reply, rlen, "error: reload failed, generation %" PRIu64 " still serving: %s", e->generation,
			 err);
		goto out;
	}
	struct registry_stats st;
	registry_get_stats(r, time(NULL), &st);
	uint64_t old = e->ctl.registry_entries;
	if (!force && e->sh->registry && old > 0 && st.entries < old &&
	    (old - st.entries) * 100 > old * e->o.max_shrink_pct) {
		e->ctl.reload_refusals++;
		snprintf(reply, rlen,
			 "error: reload refused: %s would remove %" PRIu64 " of %" PRIu64
			 " entries, more than --max-shrink %u%%; generation %" PRIu64 " still serving ('reload force' to accept)",
			 e->o.registry, old - st.entries, old, e->o.max_shrink_pct, e->generation);
		registry_free(r);
		goto out;
	}
	const struct registry *prev = __atomic_exchange_n(&e->sh->registry, r, __ATOMIC_ACQ_REL);
	e->generation++;
	e->ctl.reloads++;
	set_enforce(e);
	rte_rcu_qsbr_synchronize(e->sh->qsbr, RTE_QSBR_THRID_INVALID);
	registry_free((struct registry *)(uintptr_t)prev);
	snprintf(reply, rlen, "ok: registry generation %" PRIu64 " serving: %u entries, loaded and swapped in %.3f s",
		 e->generation, st.entries, elapsed(&t0));
out:
	fprintf(stderr, "tundra: %s\n", reply);
}

/* Control socket: one command per connection, one line of answer. */
static int control_open(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tundra: --control: path too long: %s\n", path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		fprintf(stderr, "tundra: --control %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void control_serve(struct engine *e, int lfd)
{
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return;
		/* The client writes its line at once; do not let a silent one stall the control loop. */
		struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char cmd[128] = "";
		ssize_t n = read(c, cmd, sizeof(cmd) - 1);
		cmd[n > 0 ? n : 0] = '\0';
		cmd[strcspn(cmd, "\r\n")] = '\0';
		char reply[1024];
		if (strcmp(cmd, "reload") == 0 || strcmp(cmd, "reload force") == 0) {
			reload_registry(e, cmd[6] != '\0', reply, sizeof(reply));
		} else if (strcmp(cmd, "stats") == 0) {
			struct worker_stats s;
			collect_stats(e, &s);
			FILE *m = fmemopen(reply, sizeof(reply) - 1, "w");
			if (m) {
				stats_print_json(&s, &e->ctl, m);
				fclose(m);
			}
			reply[sizeof(reply) - 1] = '\0';
			reply[strcspn(reply, "\n")] = '\0';
		} else {
			snprintf(reply, sizeof(reply), "error: unknown command '%.60s' (reload, reload force, stats)", cmd);
		}
		size_t len = strlen(reply);
		reply[len++] = '\n';
		if (write(c, reply, len) < 0) {
			/* the client left: nothing to tell it */
		}
		close(c);
	}
}

static int cmd_run(int argc, char **argv)
{
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= eal;
	argv += eal;
	argv[0] = "tundra run";

	struct engine e;
	memset(&e, 0, sizeof(e));
	options_default(&e.o);
	e.o.flows_per_worker = 262144;
	int rc = 2, ctl_fd = -1;
	struct metrics_server *metrics = NULL;
	struct rte_ring *dist_in[MAX_WORKERS] = {0}, *dist_out[MAX_WORKERS] = {0};
	if (parse_options(argc, argv, &e.o, 0) != 0)
		goto out_eal;
	/*
	 * Ports that cannot give every worker its own RSS queue (net_pcap,
	 * net_tap, single-queue NICs) are fed by the software distributor, which
	 * takes one lcore of its own.
	 */
	unsigned int lcores = rte_lcore_count();
	bool use_dist = false;
	if (lcores > 2) {
		int want[2] = {e.o.rx_port, e.o.pair_port};
		for (int k = 0; k < 2; k++)
			if (want[k] >= 0 && !port_can_spread((uint16_t)want[k], (uint16_t)(lcores - 1)))
				use_dist = true;
		use_dist |= e.o.distributor;
	}
	e.n_workers = lcores - 1 - use_dist;
	if (e.n_workers == 0 || e.n_workers > MAX_WORKERS) {
		fprintf(stderr, "tundra run: give 2..%d lcores (-l): the main lcore controls, the others work\n",
			MAX_WORKERS + 1);
		goto out_eal;
	}
	if (e.o.events && (e.events_out = fopen(e.o.events, "w")) == NULL) {
		fprintf(stderr, "tundra: %s: %s\n", e.o.events, strerror(errno));
		goto out_eal;
	}
	if (e.o.flow_log && strcmp(e.o.flow_log, "-") == 0)
		e.flow_out = stdout;
	else if (e.o.flow_log && (e.flow_out = fopen(e.o.flow_log, "w")) == NULL) {
		fprintf(stderr, "tundra: %s: %s\n", e.o.flow_log, strerror(errno));
		goto out_eal;
	}
	if (setup_engine(&e, 0) != 0)
		goto out;
	e.ties = tie_table_create(TIE_LIVE_FLOWS);
	if (e.ties == NULL) {
		fprintf(stderr, "tundra: no memory for the tie table\n");
		goto out;
	}
	unsigned int n_mbufs = e.n_workers * 2 * (1024 + 1024 + WORKER_BURST * 2) + 4096;
	e.mp = rte_pktmbuf_pool_create("live_pool", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (e.mp == NULL) {
		fprintf(stderr, "tundra: mbuf pool of %u: %s (raise -m)\n", n_mbufs, rte_strerror(rte_errno));
		goto out;
	}
	char err[512];
	int ports[2] = {e.o.rx_port, e.o.pair_port};
	int n_ports = e.o.pair_port >= 0 ? 2 : 1;
	if (e.o.tx_port >= 0 && e.o.tx_port != e.o.rx_port)
		ports[n_ports++] = e.o.tx_port;
	for (int p = 0; p < n_ports; p++)
		if (port_init_live((uint16_t)ports[p], use_dist ? 1 : (uint16_t)e.n_workers, e.mp, err, sizeof(err)) !=
		    0) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
	int32_t out_of_rx = e.o.pair_port >= 0 ? e.o.pair_port : e.o.tx_port;
	if (use_dist) {
		for (unsigned int i = 0; i < e.n_workers; i++) {
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
		int dport = port_init_rings("dist", dist_in, dist_out, (uint16_t)e.n_workers, e.mp, err, sizeof(err));
		if (dport < 0) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
		e.dist = rte_zmalloc("distributor", sizeof(*e.dist), RTE_CACHE_LINE_SIZE);
		if (e.dist == NULL)
			goto out;
		struct distributor *d = e.dist;
		d->lcore = rte_get_next_lcore(e.w[e.n_workers - 1]->lcore, 1, 0);
		d->n_workers = e.n_workers;
		d->to_worker = dist_in;
		d->from_worker = dist_out;
		d->shared = e.sh;
		for (unsigned int k = 0; k < RTE_MAX_ETHPORTS; k++)
			d->peer[k] = -1;
		d->ports[d->n_ports++] = (uint16_t)e.o.rx_port;
		d->peer[e.o.rx_port] = out_of_rx;
		if (e.o.pair_port >= 0) {
			d->ports[d->n_ports++] = (uint16_t)e.o.pair_port;
			d->peer[e.o.pair_port] = e.o.rx_port;
		}
		d->n_rx = d->n_ports;
		/* A distinct TX port is only sent on. */
		if (e.o.tx_port >= 0 && e.o.tx_port != e.o.rx_port && d->n_ports < DIST_MAX_PORTS)
			d->ports[d->n_ports++] = (uint16_t)e.o.tx_port;
		for (unsigned int i = 0; i < e.n_workers; i++) {
			struct worker *w = e.w[i];
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
	for (unsigned int i = 0; i < e.n_workers && !use_dist; i++) {
		struct worker *w = e.w[i];
		w->rxq[w->n_rxq++] = (struct worker_rxq){
			.port = (uint16_t)e.o.rx_port,
			.queue = (uint16_t)i,
			.tx_port = e.o.pair_port >= 0 ? e.o.pair_port : e.o.tx_port,
			.tx_queue = (uint16_t)i,
		};
		if (e.o.pair_port >= 0)
			w->rxq[w->n_rxq++] = (struct worker_rxq){
				.port = (uint16_t)e.o.pair_port,
				.queue = (uint16_t)i,
				.tx_port = e.o.rx_port,
				.tx_queue = (uint16_t)i,
			};
		for (unsigned int k = 0; k < w->n_rxq; k++)
			w->rxq[k].has_qcount = rte_eth_rx_queue_count(w->rxq[k].port, w->rxq[k].queue) >= 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fprintf(stderr, "tundra: %u worker(s)%s, mode %s, rx port %d%s; overload detection: %s\n", e.n_workers,
		use_dist ? " behind a software distributor" : "", mode_name(e.o.mode), e.o.rx_port,
		e.o.pair_port >= 0 ? " paired" : "",
		e.w[0]->rxq[0].has_qcount ? "RX backlog" : e.o.shed_after ? "full-burst streak" : "off (PMD reports no backlog)");

	static uint8_t stuck[MAX_WORKERS];
	static uint16_t tv_ports[3];
	for (int p = 0; p < n_ports; p++)
		tv_ports[p] = (uint16_t)ports[p];
	struct telemetry_view tv = {
		.workers = e.w,
		.n_workers = e.n_workers,
		.extra = e.dist ? &e.dist->stats : NULL,
		.stuck = stuck,
		.ports = tv_ports,
		.n_ports = (unsigned int)n_ports,
		.ctl = &e.ctl,
		.registry_path = e.o.registry,
		.mode = mode_name(e.o.mode),
	};
	if (telemetry_register(&tv) != 0)
		fprintf(stderr, "tundra: telemetry commands not registered\n");
	if (e.o.metrics) {
		metrics = metrics_start(e.o.metrics, &tv, err, sizeof(err));
		if (metrics == NULL) {
			fprintf(stderr, "tundra: %s\n", err);
			goto out;
		}
	}
	uint64_t last_polls[MAX_WORKERS] = {0};
	double last_beat[MAX_WORKERS] = {0};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int i = 0; i < e.n_workers; i++)
		rte_eal_remote_launch(worker_main, e.w[i], e.w[i]->lcore);
	if (e.dist)
		rte_eal_remote_launch(distributor_main, e.dist, e.dist->lcore);

	ctl_fd = e.o.control ? control_open(e.o.control) : -1;
	if (e.o.control && ctl_fd < 0)
		goto out;
	uint64_t last_rx = 0;
	double last_change = 0, last_report = 0;
	while (!got_quit) {
		/* Wake for a control command at once, otherwise every 100 ms. */
		struct pollfd pfd = {.fd = ctl_fd, .events = POLLIN};
		if (poll(&pfd, ctl_fd >= 0 ? 1 : 0, 100) < 0 && errno != EINTR)
			break;
		drain_records(&e, 0);
		if (ctl_fd >= 0)
			control_serve(&e, ctl_fd);
		if (got_reload) {
			got_reload = 0;
			char reply[1024];
			reload_registry(&e, 0, reply, sizeof(reply));
		}
		double now = elapsed(&t0);
		struct worker_stats s;
		collect_stats(&e, &s);
		if (s.rx_pkts != last_rx) {
			last_rx = s.rx_pkts;
			last_change = now;
		}
		/* Heartbeat: a worker whose loop stopped turning is reported, once per episode. */
		for (unsigned int i = 0; i < e.n_workers; i++) {
			uint64_t polls = e.w[i]->stats.polls;
			if (polls != last_polls[i]) {
				last_polls[i] = polls;
				last_beat[i] = now;
				stuck[i] = 0;
			} else if (!stuck[i] && (now - last_beat[i]) * 1000 >= e.o.stuck_ms) {
				stuck[i] = 1;
				e.ctl.stuck_workers++;
				fprintf(stderr, "tundra: ALARM: worker %u (lcore %u) has not polled for %u ms\n", i,
					e.w[i]->lcore, e.o.stuck_ms);
			}
		}
		if (e.o.stats_interval_s && now - last_report >= e.o.stats_interval_s) {
			last_report = now;
			fprintf(stderr, "tundra: stats ");
			stats_print_json(&s, &e.ctl, stderr);
		}
		if (e.o.duration_s && now >= e.o.duration_s)
			break;
		if (e.o.idle_exit_s && now - last_change >= e.o.idle_exit_s)
			break;
	}
	/* Stop receiving first, let workers empty what they were handed, then let forwarded frames out. */
	if (e.dist) {
		e.sh->dist_quit = 1;
		while (!__atomic_load_n(&e.dist->rx_stopped, __ATOMIC_ACQUIRE)) {
			drain_records(&e, 0);
			usleep(1000);
		}
	}
	e.sh->quit = 1;
	for (unsigned int i = 0; i < e.n_workers; i++)
		while (rte_eal_get_lcore_state(e.w[i]->lcore) != WAIT) {
			drain_records(&e, 0);
			usleep(1000);
		}
	__atomic_store_n(&e.sh->workers_done, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (e.dist && e.dist->port_tx_failed)
		fprintf(stderr, "tundra: %" PRIu64 " forwarded frames refused by the TX port\n", e.dist->port_tx_failed);
	drain_records(&e, 0);
	rc = finish(&e, elapsed(&t0)) ? 1 : 0;
	for (int p = 0; p < n_ports; p++)
		port_close((uint16_t)ports[p]);
out:
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(e.o.control);
	}
	metrics_stop(metrics);
	rte_free(e.dist);
	e.dist = NULL;
	for (unsigned int i = 0; i < MAX_WORKERS; i++) {
		rte_ring_free(dist_in[i]);
		rte_ring_free(dist_out[i]);
	}
	if (e.events_out)
		fclose(e.events_out);
	if (e.flow_out && e.flow_out != stdout)
		fclose(e.flow_out);
	teardown_engine(&e);
	rte_mempool_free(e.mp);
out_eal:
	rte_eal_cleanup();
	return rc;
}

/* ---- registry check ---- */

static int cmd_registry(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "check") != 0) {
		usage(stderr);
		return 2;
	}
	char mb[32];
	snprintf(mb, sizeof(mb), "%" PRIu64, 128 + registry_mem_mb(argv[1]));
	char *eal_argv[] = {"tundra", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
			    "--log-level=*:error", "-m", mb, "-l", "0", NULL};
	if (rte_eal_init(10, eal_argv) < 0) {
		fprintf(stderr, "tundra: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	char err[512];
	struct registry *r;
	int rc = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int lrc = registry_load(argv[1], 1, &r, err, sizeof(err), stderr);
	double load_s = elapsed(&t0);
	if (lrc != 0) {
		fprintf(stderr, "tundra: %s: not valid\n", argv[1]);
		rc = 1;
	} else {
		struct registry_stats st;
		registry_get_stats(r, time(NULL), &st);
		printf("%s: valid: %u entries (%u IPv4, %u IPv6) in %u IPv4 and %u IPv6 prefixes, %u expired; "
		       "%.1f MiB of tables; loaded in %.3f s\n",
		       argv[1], st.entries, st.v4_entries, st.v6_entries, st.v4_prefixes, st.v6_prefixes, st.expired,
		       (double)st.memory_bytes / (1 << 20), load_s);
		for (unsigned int s = 0; s < SECTOR_COUNT; s++)
			if (st.per_sector[s])
				printf("  %-12s %u\n", registry_sector_name((uint8_t)s), st.per_sector[s]);
		registry_free(r);
	}
	rte_eal_cleanup();
	return rc;
}

/*
 * --config FILE anywhere after the command: its options go before the
 * command line's (so the command line wins), its eal: list before the
 * command line's EAL arguments.
 */
static int apply_config(int *argc, char ***argv, struct config_args *cfg)
{
	int n = *argc, at = -1;
	char **v = *argv;
	for (int i = 2; i + 1 < n; i++)
		if (strcmp(v[i], "--config") == 0) {
			at = i;
			break;
		}
	if (at < 0)
		return 0;
	char err[512];
	if (config_load(v[at + 1], long_opts, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tundra: %s\n", err);
		return -1;
	}
	char **nv = calloc((size_t)(n + cfg->n_eal + cfg->n_opts + 2), sizeof(char *));
	if (nv == NULL)
		return -1;
	int k = 0, run = strcmp(v[1], "run") == 0, dashdash = -1;
	nv[k++] = v[0];
	nv[k++] = v[1];
	for (int i = 2; i < n; i++)
		if (strcmp(v[i], "--") == 0) {
			dashdash = i;
			break;
		}
	if (run) {
		for (int i = 0; i < cfg->n_eal; i++)
			nv[k++] = cfg->eal[i];
		for (int i = 2; i < (dashdash >= 0 ? dashdash : n); i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
		nv[k++] = "--";
		for (int i = 0; i < cfg->n_opts; i++)
			nv[k++] = cfg->opts[i];
		for (int i = dashdash >= 0 ? dashdash + 1 : n; i < n; i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
	} else {
		for (int i = 0; i < cfg->n_opts; i++)
			nv[k++] = cfg->opts[i];
		for (int i = 2; i < n; i++)
			if (i != at && i != at + 1)
				nv[k++] = v[i];
	}
	nv[k] = NULL;
	*argc = k;
	*argv = nv;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	struct config_args cfg = {0};
	if (apply_config(&argc, &argv, &cfg) != 0)
		return 2;
	if (strcmp(argv[1], "classify") == 0)
		return cmd_classify(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "registry") == 0)
		return cmd_registry(argc - 2, argv + 2);
	if (strcmp(argv[1], "apps") == 0) {
		/* The app labels this build can give, one per line, in table order. */
		for (unsigned int i = 1; i <= tundra_n_classifiers; i++)
			printf("%s\n", classifier_name(i));
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("tundra %s (%s, Hyperscan %s)\n", TUNDRA_VERSION, rte_version(), hs_version());
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "tundra: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
