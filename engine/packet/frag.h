/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 and IPv6 fragment reassembly, per worker, for the classification
 * window: a datagram cut into fragments is classified as the one packet it
 * was. Plain C on a plain buffer (no EAL), so it is unit-tested and fuzzed
 * on its own.
 *
 * Memory is a fixed pool taken once when the worker starts: n contexts, each
 * with a buffer for one whole datagram (FRAG_PREFIX_MAX + 64 KiB; pages are
 * touched only as far as datagrams reach), a hash of the open ones and their
 * list in order of arrival. Nothing is allocated, freed, locked or asked of
 * the kernel per packet; a fragment costs a hash lookup, a scan of at most
 * FRAG_MAX_PIECES ranges and one copy of its data.
 *
 * A datagram is keyed by (source, destination, IP id, protocol (IPv4 only:
 * RFC 791 §3.2; RFC 8200 §4.5 keys IPv6 on addresses and id), IP version,
 * zone): the zone (parse.h) keeps apart tenants whose hosts share addresses.
 *
 * Hostile input is refused, never trusted (each refusal counted once in the
 * FRAG event counters, counters.h):
 *   - overlapping fragments abandon the datagram, IPv4 as IPv6 (RFC 5722
 *     §4): the bytes an endpoint would see depend on its own overlap policy,
 *     which an inspector cannot know, and current stacks drop such
 *     datagrams anyway. An exact duplicate (same offset, length and bytes,
 *     RFC 8200 §4.5) is dropped alone and the datagram kept;
 *   - a first fragment that does not hold the whole transport header (every
 *     IPv6 header up to the upper-layer one, RFC 7112) abandons it (RFC 1858
 *     tiny fragments: flags or ports moved into a second fragment);
 *   - a datagram that would pass 65535 bytes (RFC 791, RFC 8200 payload
 *     length) is abandoned, as are inconsistent ones: a fragment other than
 *     the last not a multiple of 8 bytes, two different ends, data past the
 *     end, more than FRAG_MAX_PIECES fragments, an IP header prefix longer
 *     than FRAG_PREFIX_MAX;
 * An abandoned datagram's context stays, dead, until its timeout, absorbing
 * the fragments still on their way instead of reopening the datagram.
 * Timeouts run from the first fragment (a trickle cannot hold a slot), on
 * the worker's clock (capture time offline). A full pool gives the oldest
 * context to the new datagram: under a flood of fragments that never
 * complete, datagrams that do complete (within microseconds, as real ones
 * do) still find a slot.
 */
#ifndef TUNDRA_FRAG_H
#define TUNDRA_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define FRAG_CTX_DEFAULT 256                       /* datagrams in reassembly at once, per worker */
#define FRAG_CTX_MAX 4096
#define FRAG_TIMEOUT_NS (2ull * 1000000000ull)
#define FRAG_MAX_PIECES 64                         /* fragments per datagram */
#define FRAG_PREFIX_MAX 512                        /* IP header, or IPv6 headers before the fragment header */
#define FRAG_DATAGRAM_MAX 65535                    /* IPv4 total length; IPv6 payload length */
#define FRAG_BUF_SIZE (FRAG_PREFIX_MAX + 65536)

struct frag_table;

/*
 * n_ctx datagrams at once (1..FRAG_CTX_MAX), timeout_ns from a datagram's
 * first fragment; events: the FRAG_EV_COUNT counters to increment (the
 * worker's own). NULL when memory is short.
 */
struct frag_table *frag_table_create(unsigned int n_ctx, uint64_t timeout_ns, uint64_t *events);
void frag_table_free(struct frag_table *t);

/*
 * One fragment: pi as parse_packet() (or parse_resume()) left it for
 * PARSE_FRAGMENT, frame the bytes its offsets refer to, now the worker's
 * time in ns (never going backwards). Returns true when this fragment
 * completes its datagram: *dg and *dg_len then hold the whole IP datagram,
 * IP header first, with its lengths set and its fragment fields cleared
 * (IPv6: the fragment header removed), ready for parse_resume(). The
 * buffer stays valid and unchanged until the next call.
 */
bool frag_input(struct frag_table *t, const uint8_t *frame, const struct pkt_info *pi, uint64_t now,
		const uint8_t **dg, uint32_t *dg_len);

/* Datagrams in reassembly (open or abandoned, waiting for their timeout). */
unsigned int frag_table_active(const struct frag_table *t);

/* Bytes frag_table_create() takes for n_ctx contexts. */
size_t frag_table_mem(unsigned int n_ctx);

#endif
