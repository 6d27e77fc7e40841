/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * XDP enforcement (--xdp-enforce): tundra's verdicts applied in the kernel,
 * on interfaces that stay on the Linux stack, while tundra itself reads a
 * mirror or an AF_XDP port. The control lcore owns everything here: it
 * loads the XDP program (engine/bpf/xdp_enforce.bpf.c), attaches it, and
 * keeps the program's block map in step with the flows whose verdict drops.
 * Nothing here runs on a worker.
 *
 * The interface takes plain 5-tuples, not tundra's flow records, so it does
 * not move when the record does; engine.c converts in one place.
 *
 * Life of an entry: block() puts a flow in the map with an expiry ttl
 * ahead; age() moves the expiry forward every ttl/3 while the flow lives,
 * which is while its flow is in a worker's table (no end() yet) or, after
 * end(), while the XDP program still sees its packets within the flow's idle
 * timeout (a mirror taken behind XDP shows tundra nothing of a blocked flow,
 * so the worker's flow idles out while the client keeps trying). unblock()
 * (its verdict no longer drops) and revisit() (a registry reload) take it
 * out. If tundra stops refreshing, the program stops matching the entry
 * after at most ttl; if the process dies, the kernel detaches the program
 * with the process's last file descriptor on its link.
 */
#ifndef TUNDRA_XDP_H
#define TUNDRA_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One flow as seen from its client; ports in host order, 0 for transports without ports. */
struct xdp_tuple {
	uint8_t ip_version;         /* 4 or 6 */
	uint8_t proto;
	uint8_t src[16];            /* IPv4 in the first 4 bytes, the rest zero */
	uint8_t dst[16];
	uint16_t sport, dport;
};

#define XDP_MAX_IFACES 8

struct xdp_enforce_config {
	const char *const *ifnames; /* interfaces to attach to; none: loaded only (tests) */
	unsigned int n_ifnames;
	uint32_t ttl_s;             /* an entry not refreshed stops matching after this */
	uint32_t max_flows;         /* flows tundra keeps in the map at once */
	uint64_t tcp_idle_ns;       /* after end(): kept while XDP saw a packet within this */
	uint64_t other_idle_ns;
	bool generic;               /* attach in generic (SKB) mode without trying native */
};

struct xdp_enforce_stats {
	uint64_t ifaces_native, ifaces_generic;
	uint64_t flows;             /* in the map now */
	uint64_t blocks, unblocks, released; /* released: aged out (flow over) */
	uint64_t refused;           /* block refused: max_flows reached */
	uint64_t map_errors;        /* map updates or reads the kernel refused */
	uint64_t dropped, expired, passed; /* the program's counters, summed over CPUs */
};

struct xdp_enforce;

/*
 * Loads the program, sizes its map, attaches it to every interface (native
 * mode, generic where the driver has none), each through a BPF link owned by
 * this process. NULL with err filled when an interface does not exist, the
 * kernel refuses BPF or an attach fails; nothing stays attached then.
 */
struct xdp_enforce *xdp_enforce_open(const struct xdp_enforce_config *c, char *err, size_t errlen);

/* CLOCK_MONOTONIC in ns: the program's bpf_ktime_get_ns() clock, the now_ns every call takes. */
uint64_t xdp_now_ns(void);

/*
 * Puts t's flow (both directions) in the map, or refreshes it and clears
 * end(). tag is the caller's, handed back by revisit(). 0, or -1 when the
 * table is full or the kernel refused (counted).
 */
int xdp_enforce_block(struct xdp_enforce *x, const struct xdp_tuple *t, uint64_t tag, uint64_t now_ns);

/* Takes t's flow out of the map; nothing when it is not there. */
void xdp_enforce_unblock(struct xdp_enforce *x, const struct xdp_tuple *t);

/* t's flow left the worker's flow table: from now on only XDP's sightings keep it. */
void xdp_enforce_end(struct xdp_enforce *x, const struct xdp_tuple *t);

/* Refreshes live entries, releases finished ones. Call often: it walks its table only every ttl/12. */
void xdp_enforce_age(struct xdp_enforce *x, uint64_t now_ns);

/* Every entry is offered to keep(); those it answers false for are unblocked. Returns how many. */
unsigned int xdp_enforce_revisit(struct xdp_enforce *x, bool (*keep)(void *arg, const struct xdp_tuple *t, uint64_t tag),
				 void *arg);

/* The table's counters and the program's (read from the kernel, summed over CPUs). */
void xdp_enforce_get_stats(struct xdp_enforce *x, struct xdp_enforce_stats *st);

/* Detaches from every interface and frees the program and its map. NULL is fine. */
void xdp_enforce_close(struct xdp_enforce *x);

/* For tests: the loaded program and the block map. */
int xdp_enforce_prog_fd(const struct xdp_enforce *x);
int xdp_enforce_map_fd(const struct xdp_enforce *x);

#endif
