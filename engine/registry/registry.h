/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry of registered VPN endpoints: loaded from a CSV file by the control
 * lcore into IPv4 and IPv6 longest-prefix-match tables whose next hops index
 * prefix groups of entries. Workers only call registry_lookup().
 */
#ifndef TUNDRA_REGISTRY_H
#define TUNDRA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum registry_sector {
	SECTOR_BANK = 0,
	SECTOR_IT,
	SECTOR_MISSION,
	SECTOR_UNIVERSITY,
	SECTOR_CALLCENTRE,
	SECTOR_FREELANCER,
	SECTOR_OTHER,
	SECTOR_COUNT
};

struct registry_entry {
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t depth;             /* prefix length */
	uint8_t sector;            /* enum registry_sector */
	uint8_t app;               /* classifier id, 0 = any protocol */
	uint16_t port_lo, port_hi; /* 0..65535 = any port */
	uint32_t line;             /* line in the source file */
	uint32_t registrant;       /* catalogue row + 1 (registry_intern), 0 = not interned */
	int64_t valid_from;        /* unix seconds, INT64_MIN = no bound */
	int64_t valid_until;       /* unix seconds (end of that day), INT64_MAX = no bound */
	uint8_t addr[16];          /* network address (v4 in the first 4 bytes) */
	char registrant_id[48];
	char registrant_name[96];
	char note[96];
};

struct registry;

struct registry_stats {
	uint32_t entries, v4_entries, v6_entries;
	uint32_t v4_prefixes, v6_prefixes;
	uint32_t per_sector[SECTOR_COUNT];
	uint32_t expired;          /* valid_until before the time given to check */
	size_t memory_bytes;       /* LPM tables + entry arrays */
};

/*
 * Parse and validate a CSV file and build its lookup tables. On any error
 * nothing is built, -EINVAL (or -errno) is returned and err holds
 * "file:line: problem" (all problems found are also written to errlog when it
 * is not NULL, one per line). generation names the LPM tables uniquely.
 */
int registry_load(const char *path, uint64_t generation, struct registry **out,
		  char *err, size_t errlen, FILE *errlog);

/*
 * Longest prefix first; within a prefix the most specific port range and
 * protocol; a prefix whose entries do not match port/app falls back to the
 * covering shorter prefixes. now: unix seconds (entries outside their
 * validity never match). Returns NULL when nothing matches.
 */
const struct registry_entry *registry_lookup(const struct registry *r, uint8_t ip_version,
					     const uint8_t addr[16], uint16_t port, uint8_t app,
					     int64_t now);

/*
 * The entry heading the longest prefix that covers addr, ignoring port,
 * protocol and validity: whom an unmatched endpoint belongs to, for policy
 * (e.g. a registrant's expired or wrong-port entry). NULL when uncovered.
 */
const struct registry_entry *registry_lookup_prefix(const struct registry *r, uint8_t ip_version,
						    const uint8_t addr[16]);

void registry_get_stats(const struct registry *r, int64_t now, struct registry_stats *st);

/*
 * The registrants every registry loaded so far named, each (id, name) once,
 * kept by the control lcore for the life of the process. A flow keeps only
 * its registrant's row (4 bytes), not the strings, and the row still means
 * the same registrant after the registry it came from has been replaced
 * and freed. Workers never touch it.
 */
struct registrant_catalogue;
struct registrant_catalogue *registrant_catalogue_create(void);
void registrant_catalogue_free(struct registrant_catalogue *c);
/* Fills every entry's registrant row, adding new registrants; -ENOMEM (nothing changed in r's meaning). */
int registry_intern(struct registry *r, struct registrant_catalogue *c);
/* The id and name of row + 1 ref; NULL for 0 or a row the catalogue does not have. */
const char *registrant_catalogue_id(const struct registrant_catalogue *c, uint32_t ref);
const char *registrant_catalogue_name(const struct registrant_catalogue *c, uint32_t ref);
uint32_t registrant_catalogue_size(const struct registrant_catalogue *c);
uint64_t registry_generation(const struct registry *r);
void registry_free(struct registry *r);

const char *registry_sector_name(uint8_t sector);

/* EAL memory (MiB) loading the file at path takes, for sizing -m; 0 when there is none. */
uint64_t registry_mem_estimate_mb(const char *path);

#endif
