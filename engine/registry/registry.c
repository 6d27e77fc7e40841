/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VPN endpoint registry: a CSV file parsed and validated on the control
 * lcore, then frozen into lookup tables that workers only read.
 *
 * Entries are sorted by (family, network, depth, specificity); entries with
 * the same network form a group. The IPv4 and IPv6 longest-prefix tables map
 * an address to its most specific group, and each group knows its parent
 * (the longest shorter prefix covering it), so when no entry of a group
 * matches port, app and time the lookup walks up without another table
 * lookup.
 *
 * IPv4 uses rte_fib (DIR-24-8) rather than rte_lpm: in DPDK 22.11 rte_lpm
 * finds a free tbl8 group and an existing rule by linear scans, so loading a
 * million prefixes longer than /24 takes tens of minutes; rte_fib has the
 * same DIR-24-8 lookup but a free list of tbl8 groups and a RIB for rules.
 * IPv6 uses rte_lpm6, whose rules live in a hash and tbl8s in a free list.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lpm6.h>
#include <rte_memory.h>

#include "classifier.h"
#include "registry.h"

#define LINE_MAX_BYTES 4096
#define MSG_LEN 256
#define SHOWN_LEN 48
#define NO_GROUP UINT32_MAX
/* Beyond this the entry array alone would pass 4 GiB: surely a wrong file. */
#define MAX_ENTRIES (1u << 24)
/* rte_lpm6 keeps 21-bit next hops and at most 2^21 tbl8 groups. */
#define V6_MAX_GROUPS (1u << 21)
#define V6_MAX_TBL8 (1u << 21)
/* Both DIR-24-8 tables index their first level with 24 bits. */
#define TBL24_ENTRIES (1u << 24)
#define TBL8_ENTRIES 256u

enum column {
	COL_PREFIX,
	COL_REGISTRANT_ID,
	COL_REGISTRANT_NAME,
	COL_SECTOR,
	COL_PORT,
	COL_PROTOCOL,
	COL_VALID_FROM,
	COL_VALID_UNTIL,
	COL_NOTE,
	COL_COUNT
};

/* The first N_REQUIRED columns must be present in the header. */
#define N_REQUIRED 4

static const char *const column_names[COL_COUNT] = {
	"prefix", "registrant_id", "registrant_name", "sector", "port",
	"protocol", "valid_from", "valid_until", "note",
};

static const char *const sector_names[SECTOR_COUNT] = {
	"bank", "it", "mission", "university", "callcentre", "freelancer", "other",
};

struct reg_group {
	uint32_t first;   /* first entry, in registry order */
	uint32_t count;
	uint32_t parent;  /* covering group, NO_GROUP at the top */
};

struct registry {
	uint64_t generation;
	struct registry_entry *entries;
	uint32_t n_entries;
	struct reg_group *groups;  /* IPv4 groups first, then IPv6 */
	uint32_t n_groups, n_groups4;
	struct rte_fib *fib4;      /* next hop: group + 1, 0 = miss */
	struct rte_lpm6 *lpm6;     /* next hop: group - n_groups4 */
	/*
	 * Host entries (/32, /128) are most of a real registry; in DIR-24-8
	 * each costs a whole second-level table (1 KiB+) and a slow insert, so
	 * they live in an exact-match hash instead, looked up first.
	 */
	struct rte_hash *hosts;    /* host_key → group */
	uint32_t *host_group;      /* by hash position */
	uint32_t n_hosts;
	size_t memory_bytes;
};

struct line_buf {
	char text[LINE_MAX_BYTES + 2];  /* the line (CR dropped), NUL-terminated */
	size_t len;                     /* its full length, even past text */
	bool nul;                       /* it holds a NUL byte */
};

struct loader {
	const char *path;
	FILE *errlog;
	char *err;
	size_t errlen;
	uint32_t err_line;    /* line of the message held in err */
	unsigned long n_errors;
	int status;           /* -errno once reading cannot go on */
	uint32_t line;
	bool have_header, header_ok, too_many;
	int n_cols;
	int field_of[COL_COUNT];  /* field index of each column, -1 absent */
	struct registry_entry *entries;
	uint32_t n_entries, cap_entries;
	struct line_buf lb;
	char scratch[LINE_MAX_BYTES + 2];
};

/* ---- error reporting ---- */

static void put_err(struct loader *ld, uint32_t line, const char *msg)
{
	if (ld->errlog)
		fprintf(ld->errlog, "%s\n", msg);
	/* err holds the problem with the lowest line, the first in the file */
	if (ld->err && ld->errlen && line < ld->err_line) {
		snprintf(ld->err, ld->errlen, "%s", msg);
		ld->err_line = line;
	}
}

static void __attribute__((format(printf, 3, 4)))
report(struct loader *ld, uint32_t line, const char *fmt, ...)
{
	char msg[MSG_LEN], full[MSG_LEN + 512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%.400s:%" PRIu32 ": %s", ld->path, line, msg);
	ld->n_errors++;
	put_err(ld, line, full);
}

/*
 * A resource or I/O failure: no line to blame. As line 0 it takes err from
 * any line's message, since it is why the load stopped.
 */
static int __attribute__((format(printf, 3, 4)))
sys_error(struct loader *ld, int errnum, const char *fmt, ...)
{
	char msg[MSG_LEN], full[MSG_LEN + 512];
	va_list ap;

	msg[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	snprintf(full, sizeof(full), "%.400s: %s%s%s", ld->path, msg, fmt ? ": " : "",
		 rte_strerror(errnum));
	put_err(ld, 0, full);
	ld->status = -errnum;
	return -errnum;
}

/*
 * A field value as it may appear in a message: printable ASCII only and
 * shortened, so a crafted file can neither forge log lines nor flood them.
 */
static const char *shown(const char *s, char buf[SHOWN_LEN])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SHOWN_LEN - 4; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	strcpy(buf + i, s[i] != '\0' ? "..." : "");
	return buf;
}

/* ---- field parsers: 0 on success, -1 with msg set ---- */

/* Decimal digits only (no sign, no blanks), value at most max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* Clears the bits past depth into net; true when addr had none set. */
static bool mask_prefix(const uint8_t *addr, unsigned int depth, uint8_t net[16])
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bits = depth >= 8 * (i + 1) ? 8 : depth > 8 * i ? depth - 8 * i : 0;

		net[i] = addr[i] & (uint8_t)(0xff00u >> bits);
	}
	return memcmp(net, addr, 16) == 0;
}

static int check_host_bits(const char *s, struct registry_entry *e, char *msg, size_t n)
{
	char text[INET6_ADDRSTRLEN], v[SHOWN_LEN];
	uint8_t net[16];

	if (mask_prefix(e->addr, e->depth, net))
		return 0;
	inet_ntop(e->ip_version == 4 ? AF_INET : AF_INET6, net, text, sizeof(text));
	snprintf(msg, n, "host bits set in %s; did you mean %s/%u?", shown(s, v), text,
		 e->depth);
	return -1;
}

static int parse_prefix(const char *s, struct registry_entry *e, char *msg, size_t n)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	char addr[INET6_ADDRSTRLEN + 1], v[SHOWN_LEN];
	unsigned long max, depth;
	bool v6;

	memset(e->addr, 0, sizeof(e->addr));
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, e->addr) != 1)
		goto bad;
	e->ip_version = v6 ? 6 : 4;
	max = v6 ? 128 : 32;
	depth = max;
	if (slash && (parse_uint(slash + 1, max, &depth) < 0 || depth == 0)) {
		/* /0 would claim every address: never a real endpoint */
		snprintf(msg, n, "invalid prefix length in \"%s\" (1..%lu)", shown(s, v), max);
		return -1;
	}
	e->depth = (uint8_t)depth;
	return check_host_bits(s, e, msg, n);
bad:
	snprintf(msg, n, "invalid prefix \"%s\" (expected a.b.c.d/len or x::y/len)",
		 shown(s, v));
	return -1;
}

static int parse_port(const char *s, struct registry_entry *e, char *msg, size_t n)
{
	char lo_text[8], v[SHOWN_LEN];
	const char *dash = strchr(s, '-');
	size_t lo_len = dash ? (size_t)(dash - s) : strlen(s);
	unsigned long lo, hi;

	if (*s == '\0') {
		e->port_lo = 0;
		e->port_hi = UINT16_MAX;
		return 0;
	}
	if (lo_len >= sizeof(lo_text))
		goto bad;
	memcpy(lo_text, s, lo_len);
	lo_text[lo_len] = '\0';
	if (parse_uint(lo_text, UINT16_MAX, &lo) < 0 || lo == 0)
		goto bad;
	hi = lo;
	if (dash && (parse_uint(dash + 1, UINT16_MAX, &hi) < 0 || hi == 0))
		goto bad;
	if (lo > hi) {
		snprintf(msg, n, "port range \"%s\" is reversed", shown(s, v));
		return -1;
	}
	e->port_lo = (uint16_t)lo;
	e->port_hi = (uint16_t)hi;
	return 0;
bad:
	snprintf(msg, n, "invalid port \"%s\" (expected N or N-M, 1..65535)", shown(s, v));
	return -1;
}

static int parse_protocol(const char *s, uint8_t *app, char *msg, size_t n)
{
	char v[SHOWN_LEN];
	int id;

	if (*s == '\0') {
		*app = 0;
		return 0;
	}
	id = classifier_id_by_name(s);
	if (id < 1 || id > UINT8_MAX) {
		snprintf(msg, n, "unknown protocol \"%s\"", shown(s, v));
		return -1;
	}
	*app = (uint8_t)id;
	return 0;
}

static bool id_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

/* Length and content checks shared by the text columns. */
static int check_text(const char *s, size_t cap, const char *what, bool required,
		      char *msg, size_t n)
{
	size_t len = strlen(s), i;

	if (required && len == 0) {
		snprintf(msg, n, "empty %s", what);
		return -1;
	}
	if (len >= cap) {
		snprintf(msg, n, "%s too long (%zu bytes, max %zu)", what, len, cap - 1);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* control bytes would corrupt the logs and reports names go to */
		if (c < 0x20 || c == 0x7f) {
			snprintf(msg, n, "control byte 0x%02x in %s", c, what);
			return -1;
		}
	}
	return 0;
}

static int parse_registrant_id(const char *s, char *dst, size_t cap, char *msg, size_t n)
{
	size_t i;

	if (check_text(s, cap, "registrant_id", true, msg, n) < 0)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!id_char_ok(c)) {
			if (c < 0x80)
				snprintf(msg, n, "invalid character '%c' in registrant_id "
					 "(allowed: A-Z a-z 0-9 . _ : -)", c);
			else
				snprintf(msg, n, "invalid byte 0x%02x in registrant_id "
					 "(allowed: A-Z a-z 0-9 . _ : -)", c);
			return -1;
		}
	}
	memcpy(dst, s, i + 1);
	return 0;
}

static int parse_text(const char *s, char *dst, size_t cap, const char *what, bool required,
		      char *msg, size_t n)
{
	if (check_text(s, cap, what, required, msg, n) < 0)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_sector(const char *s, uint8_t *sector, char *msg, size_t n)
{
	char v[SHOWN_LEN];
	unsigned int i;

	for (i = 0; i < SECTOR_COUNT; i++) {
		if (strcasecmp(s, sector_names[i]) == 0) {
			*sector = (uint8_t)i;
			return 0;
		}
	}
	snprintf(msg, n, "unknown sector \"%s\" (expected bank, it, mission, university, "
		 "callcentre, freelancer or other)", shown(s, v));
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1). */
static int64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
	unsigned int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static unsigned int days_in_month(unsigned int y, unsigned int m)
{
	static const uint8_t dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dim[m - 1] + (m == 2 && leap);
}

/* YYYY-MM-DD, UTC; end selects the last second of the day (inclusive bound). */
static int parse_date(const char *s, bool end, int64_t *out, const char *what, char *msg,
		      size_t n)
{
	unsigned int y = 0, m = 0, d = 0, i;
	char v[SHOWN_LEN];

	if (*s == '\0')
		return 0;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		if (i < 4)
			y = y * 10 + (unsigned int)(s[i] - '0');
		else if (i < 7)
			m = m * 10 + (unsigned int)(s[i] - '0');
		else
			d = d * 10 + (unsigned int)(s[i] - '0');
	}
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		goto bad;
	*out = days_from_civil(y, m, d) * 86400 + (end ? 86399 : 0);
	return 0;
bad:
	snprintf(msg, n, "invalid %s \"%s\" (expected YYYY-MM-DD, year >= 1970)", what,
		 shown(s, v));
	return -1;
}

static int parse_field(enum column c, const char *s, struct registry_entry *e, char *msg,
		       size_t n)
{
	switch (c) {
	case COL_PREFIX:
		return parse_prefix(s, e, msg, n);
	case COL_REGISTRANT_ID:
		return parse_registrant_id(s, e->registrant_id, sizeof(e->registrant_id), msg, n);
	case COL_REGISTRANT_NAME:
		return parse_text(s, e->registrant_name, sizeof(e->registrant_name),
				  "registrant_name", true, msg, n);
	case COL_SECTOR:
		return parse_sector(s, &e->sector, msg, n);
	case COL_PORT:
		return parse_port(s, e, msg, n);
	case COL_PROTOCOL:
		return parse_protocol(s, &e->app, msg, n);
	case COL_VALID_FROM:
		return parse_date(s, false, &e->valid_from, "valid_from", msg, n);
	case COL_VALID_UNTIL:
		return parse_date(s, true, &e->valid_until, "valid_until", msg, n);
	case COL_NOTE:
		return parse_text(s, e->note, sizeof(e->note), "note", false, msg, n);
	default:
		return 0;
	}
}

/* ---- CSV lines ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* One quoted field after its opening quote; returns the text after it or NULL. */
static const char *split_quoted(const char *s, char **out)
{
	for (;;) {
		if (*s == '\0')
			return NULL;
		if (*s == '"') {
			if (s[1] != '"')
				return s + 1;
			s++;
		}
		*(*out)++ = *s++;
	}
}

/*
 * Splits one line into fields (RFC 4180: quoted fields, "" for a quote).
 * Blanks around a field are dropped, inside quotes kept. Decoded fields go
 * to out, which needs strlen(s) + 1 bytes; the first max field pointers go
 * to f. Returns the number of fields, or -1 with msg set.
 */
static int split_csv(const char *s, char *out, char **f, int max, char *msg, size_t n)
{
	int count = 0;

	for (;;) {
		char *start = out;

		s = skip_blanks(s);
		if (*s == '"') {
			s = split_quoted(s + 1, &out);
			if (!s) {
				snprintf(msg, n, "unterminated quote in field %d", count + 1);
				return -1;
			}
			s = skip_blanks(s);
			if (*s != ',' && *s != '\0') {
				snprintf(msg, n, "text after closing quote in field %d", count + 1);
				return -1;
			}
		} else {
			for (; *s != ',' && *s != '\0'; s++) {
				if (*s == '"') {
					snprintf(msg, n, "quote inside unquoted field %d", count + 1);
					return -1;
				}
				*out++ = *s;
			}
			while (out > start && is_blank(out[-1]))
				out--;
		}
		*out++ = '\0';
		if (count < max)
			f[count] = start;
		count++;
		if (*s++ == '\0')
			return count;
	}
}

static void parse_header(struct loader *ld, char **f, int n)
{
	unsigned long before = ld->n_errors;
	char v[SHOWN_LEN];
	int i, c;

	ld->have_header = true;
	if (n > COL_COUNT) {
		report(ld, ld->line, "too many columns in header (%d, at most %d)", n, COL_COUNT);
		return;
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < COL_COUNT && strcasecmp(f[i], column_names[c]) != 0; c++)
			;
		if (c == COL_COUNT)
			report(ld, ld->line, "unknown column \"%s\"", shown(f[i], v));
		else if (ld->field_of[c] >= 0)
			report(ld, ld->line, "duplicate column \"%s\"", column_names[c]);
		else
			ld->field_of[c] = i;
	}
	for (c = 0; c < N_REQUIRED; c++)
		if (ld->field_of[c] < 0)
			report(ld, ld->line, "missing required column \"%s\"", column_names[c]);
	ld->n_cols = n;
	ld->header_ok = ld->n_errors == before;
}

static void append_entry(struct loader *ld, const struct registry_entry *e)
{
	if (ld->n_entries == ld->cap_entries) {
		uint32_t cap = ld->cap_entries ? ld->cap_entries * 2 : 256;
		void *p;

		if (ld->cap_entries >= MAX_ENTRIES) {
			if (!ld->too_many)
				report(ld, ld->line, "too many entries (max %u)", MAX_ENTRIES);
			ld->too_many = true;
			return;
		}
		p = realloc(ld->entries, (size_t)cap * sizeof(*e));
		if (!p) {
			sys_error(ld, ENOMEM, NULL);
			return;
		}
		ld->entries = p;
		ld->cap_entries = cap;
	}
	ld->entries[ld->n_entries++] = *e;
}

static void parse_record(struct loader *ld, char **f)
{
	struct registry_entry e;
	char msg[MSG_LEN], v1[SHOWN_LEN], v2[SHOWN_LEN];
	bool ok = true;
	int c;

	memset(&e, 0, sizeof(e));
	e.port_hi = UINT16_MAX;
	e.valid_from = INT64_MIN;
	e.valid_until = INT64_MAX;
	e.line = ld->line;
	for (c = 0; c < COL_COUNT; c++) {
		if (ld->field_of[c] < 0)
			continue;
		if (parse_field((enum column)c, f[ld->field_of[c]], &e, msg, sizeof(msg)) < 0) {
			report(ld, ld->line, "%s", msg);
			ok = false;
		}
	}
	if (ok && e.valid_from > e.valid_until) {
		report(ld, ld->line, "valid_from %s is after valid_until %s",
		       shown(f[ld->field_of[COL_VALID_FROM]], v1),
		       shown(f[ld->field_of[COL_VALID_UNTIL]], v2));
		ok = false;
	}
	if (ok)
		append_entry(ld, &e);
}

static bool skipped_line(const char *s)
{
	/* comments start in the first column; blank lines may hold blanks */
	return *s == '#' || *skip_blanks(s) == '\0';
}

/* Line-level checks, before the line is split; false when reported. */
static bool line_ok(struct loader *ld, const char *s)
{
	if (ld->lb.len > LINE_MAX_BYTES)
		report(ld, ld->line, "line too long (%zu bytes, max %d)", ld->lb.len,
		       LINE_MAX_BYTES);
	else if (ld->lb.nul)
		report(ld, ld->line, "NUL byte in line");
	else
		return true;
	/* where the header belongs, a broken line is the (broken) header */
	if (*s != '#')
		ld->have_header = true;
	return false;
}

static void handle_line(struct loader *ld)
{
	char *s = ld->lb.text, *f[COL_COUNT];
	char msg[MSG_LEN];
	int n;

	if (ld->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	if (!line_ok(ld, s) || skipped_line(s) || (ld->have_header && !ld->header_ok))
		return;
	n = split_csv(s, ld->scratch, f, ld->have_header ? ld->n_cols : COL_COUNT, msg,
		      sizeof(msg));
	if (n < 0) {
		report(ld, ld->line, "%s", msg);
		ld->have_header = true;  /* a broken header is still the header */
	} else if (!ld->have_header) {
		parse_header(ld, f, n);
	} else if (n != ld->n_cols) {
		report(ld, ld->line, "expected %d fields, found %d", ld->n_cols, n);
	} else {
		parse_record(ld, f);
	}
}

/* Reads one line: 1 when read, 0 at end of file, -errno on error. */
static int read_line(FILE *f, struct line_buf *lb)
{
	size_t kept = 0;
	int c;

	lb->len = 0;
	lb->nul = false;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (kept < sizeof(lb->text) - 1)
			lb->text[kept++] = (char)c;
		lb->nul |= c == '\0';
		lb->len++;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	if (c == EOF && lb->len == 0)
		return 0;
	/* the CR of a CRLF belongs to the terminator, not to the line */
	if (kept > 0 && kept == lb->len && lb->text[kept - 1] == '\r') {
		kept--;
		lb->len--;
	}
	lb->text[kept] = '\0';
	return 1;
}

static int read_registry(struct loader *ld)
{
	FILE *f = fopen(ld->path, "re");
	int rc = 0;

	if (!f)
		return sys_error(ld, errno, NULL);
	/* Size the entry array from the file once instead of doubling it through 1M lines. */
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0) {
		uint64_t guess = (uint64_t)st.st_size / 32 + 16;
		if (guess > MAX_ENTRIES)
			guess = MAX_ENTRIES;
		struct registry_entry *p = malloc(guess * sizeof(*p));
		if (p) {
			ld->entries = p;
			ld->cap_entries = (uint32_t)guess;
		}
	}
	while (ld->status == 0 && (rc = read_line(f, &ld->lb)) > 0) {
		ld->line++;
		handle_line(ld);
	}
	fclose(f);
	if (rc < 0)
		return sys_error(ld, -rc, NULL);
	if (ld->status)
		return ld->status;
	if (!ld->have_header)
		report(ld, ld->line ? ld->line : 1, "missing header line (expected columns "
		       "prefix,registrant_id,registrant_name,sector[,port,protocol,"
		       "valid_from,valid_until,note])");
	return 0;
}

/* ---- sorting and duplicates ---- */

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/* Registry order: by network, then most specific port range and protocol first. */
/*
 * Entries sort by family, address, depth (so a prefix's entries are
 * adjacent), then most specific first: narrower port range, a named
 * protocol before any, then port and line. Encoded as a 24-byte string so
 * sorting moves 28-byte keys instead of whole entries.
 */
struct sort_key {
	uint8_t k[24];
	uint32_t idx;   /* entries are in line order, so idx breaks ties as line does */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int cmp_sort_key(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	int c = memcmp(a->k, b->k, sizeof(a->k));
	return c ? c : cmp_u32(a->idx, b->idx);
}

static int sort_entries(struct loader *ld)
{
	uint32_t n = ld->n_entries;
	struct sort_key *keys = malloc(((size_t)n + 1) * sizeof(*keys));
	struct registry_entry *out = malloc(((size_t)n + 1) * sizeof(*out));
	if (!keys || !out) {
		free(keys);
		free(out);
		return sys_error(ld, ENOMEM, NULL);
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct registry_entry *e = &ld->entries[i];
		uint8_t *k = keys[i].k;
		k[0] = e->ip_version;
		memcpy(k + 1, e->addr, 16);
		k[17] = e->depth;
		put16(k + 18, (uint32_t)(e->port_hi - e->port_lo));
		k[20] = e->app == 0;
		k[21] = e->app;
		put16(k + 22, e->port_lo);
		keys[i].idx = i;
	}
	qsort(keys, n, sizeof(*keys), cmp_sort_key);
	for (uint32_t i = 0; i < n; i++)
		out[i] = ld->entries[keys[i].idx];
	free(keys);
	free(ld->entries);
	ld->entries = out;
	ld->cap_entries = n;
	return 0;
}

static bool same_prefix(const struct registry_entry *a, const struct registry_entry *b)
{
	return a->ip_version == b->ip_version && a->depth == b->depth &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool same_key(const struct registry_entry *a, const struct registry_entry *b)
{
	return same_prefix(a, b) && a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->app == b->app;
}

struct dup {
	uint32_t line, first;
};

static int cmp_dup(const void *pa, const void *pb)
{
	return cmp_u32(((const struct dup *)pa)->line, ((const struct dup *)pb)->line);
}

/*
 * Sorting puts entries with the same key next to each other, ordered by
 * line; each later one is reported against the first, in line order.
 */
static void report_duplicates(struct loader *ld)
{
	struct registry_entry *e = ld->entries;
	struct dup *dups = NULL;
	uint32_t i, first = 0, n = 0;

	for (i = 1; i < ld->n_entries; i++) {
		if (!same_key(&e[i - 1], &e[i])) {
			first = i;
			continue;
		}
		if (!dups && !(dups = malloc(ld->n_entries * sizeof(*dups)))) {
			sys_error(ld, ENOMEM, NULL);
			return;
		}
		dups[n].line = e[i].line;
		dups[n++].first = e[first].line;
	}
	if (n)
		qsort(dups, n, sizeof(*dups), cmp_dup);
	for (i = 0; i < n; i++)
		report(ld, dups[i].line, "duplicate of line %" PRIu32
		       " (same prefix, port range and protocol)", dups[i].first);
	free(dups);
}

/* ---- lookup tables ---- */

struct host_key {
	uint8_t addr[16];
	uint8_t ip_version;
	uint8_t pad[3];
};

static bool is_host(const struct registry_entry *e)
{
	return e->depth == (e->ip_version == 4 ? 32 : 128);
}

static uint32_t v4_of(const uint8_t addr[16])
{
	return (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 |
	       addr[3];
}

static const struct registry_entry *group_head(const struct registry *r, uint32_t g)
{
	return &r->entries[r->groups[g].first];
}

static uint32_t group_of_v4(const struct registry *r, const uint8_t addr[16])
{
	uint32_t ip = v4_of(addr);
	uint64_t nh = 0;

	if (!r->fib4 || rte_fib_lookup_bulk(r->fib4, &ip, &nh, 1) < 0 || nh == 0)
		return NO_GROUP;
	return (uint32_t)nh - 1;
}

static uint32_t group_of_v6(const struct registry *r, const uint8_t addr[16])
{
	uint32_t nh;

	if (!r->lpm6 || rte_lpm6_lookup(r->lpm6, addr, &nh) < 0)
		return NO_GROUP;
	return r->n_groups4 + nh;
}

static uint32_t count_prefix_groups(const struct registry *r, uint32_t first, uint32_t end)
{
	uint32_t n = 0;
	for (uint32_t g = first; g < end; g++)
		n += !is_host(group_head(r, g));
	return n;
}

static int make_groups(struct loader *ld, struct registry *r)
{
	const struct registry_entry *e = r->entries;
	uint32_t i, n = 0;

	for (i = 0; i < r->n_entries; i++)
		n += i == 0 || !same_prefix(&e[i - 1], &e[i]);
	r->groups = malloc((n ? n : 1) * sizeof(*r->groups));
	if (!r->groups)
		return sys_error(ld, ENOMEM, NULL);
	for (i = 0; i < r->n_entries; i++) {
		if (i == 0 || !same_prefix(&e[i - 1], &e[i])) {
			r->groups[r->n_groups++] = (struct reg_group){ i, 0, NO_GROUP };
			r->n_groups4 += e[i].ip_version == 4;
		}
		r->groups[r->n_groups - 1].count++;
	}
	r->memory_bytes += (size_t)r->n_entries * sizeof(*e) + (size_t)n * sizeof(*r->groups);
	return 0;
}

/*
 * tbl8 groups DIR-24-8 needs below byte `bytes`: one per distinct first
 * `bytes` bytes among prefixes longer than that. Groups are sorted by
 * address, so equal leading bytes are adjacent.
 */
static uint32_t count_tbl8(const struct registry *r, uint32_t first, uint32_t end,
			   unsigned int bytes)
{
	const uint8_t *prev = NULL;
	uint32_t g, count = 0;

	for (g = first; g < end; g++) {
		const struct registry_entry *e = group_head(r, g);

		if (e->depth <= bytes * 8 || is_host(e))
			continue;
		if (!prev || memcmp(prev, e->addr, bytes) != 0)
			count++;
		prev = e->addr;
	}
	return count;
}

/* Groups [first, end) in ascending depth (counting sort), for parent links. */
static uint32_t *depth_order(const struct registry *r, uint32_t first, uint32_t end)
{
	uint32_t start[130] = { 0 }, *order, g;
	unsigned int d;

	order = malloc(((size_t)(end - first) + 1) * sizeof(*order));
	if (!order)
		return NULL;
	for (g = first; g < end; g++)
		start[group_head(r, g)->depth + 1]++;
	for (d = 1; d < 130; d++)
		start[d] += start[d - 1];
	for (g = first; g < end; g++)
		order[start[group_head(r, g)->depth]++] = g;
	return order;
}

/* Smallest next-hop size that holds every group + 1; smaller tables. */
static enum rte_fib_dir24_8_nh_sz v4_nh_size(uint32_t n_groups, unsigned int *bytes)
{
	if (n_groups < (1u << 7) - 1) {
		*bytes = 1;
		return RTE_FIB_DIR24_8_1B;
	}
	if (n_groups < (1u << 15) - 1) {
		*bytes = 2;
		return RTE_FIB_DIR24_8_2B;
	}
	*bytes = 4;
	return RTE_FIB_DIR24_8_4B;
}

static int create_fib4(struct loader *ld, struct registry *r)
{
	uint32_t tbl8 = count_tbl8(r, 0, r->n_groups4, 3);
	struct rte_fib_conf conf = { .type = RTE_FIB_DIR24_8, .default_nh = 0 };
	char name[RTE_LPM6_NAMESIZE];  /* same 32-byte limit */
	unsigned int nh_bytes;

	/* hex keeps the derived RIB, mempool and ring names within 32 bytes */
	snprintf(name, sizeof(name), "reg4_%" PRIx64, r->generation);
	conf.max_routes = (int)count_prefix_groups(r, 0, r->n_groups4);
	conf.dir24_8.nh_sz = v4_nh_size(r->n_groups4, &nh_bytes);
	conf.dir24_8.num_tbl8 = tbl8 ? tbl8 : 1;
	r->fib4 = rte_fib_create(name, SOCKET_ID_ANY, &conf);
	if (!r->fib4)
		return sys_error(ld, rte_errno, "cannot create IPv4 table %s", name);
	/* tables, tbl8 bitmap, RIB nodes (two per route, ~192 bytes each in their mempool) */
	r->memory_bytes += (size_t)nh_bytes * (TBL24_ENTRIES + ((size_t)conf.dir24_8.num_tbl8 + 1) *
					       TBL8_ENTRIES) +
			   (size_t)conf.dir24_8.num_tbl8 / 8 + (size_t)r->n_groups4 * 2 * 192;
	return 0;
}

static int fill_fib4(struct loader *ld, struct registry *r)
{
	uint32_t *order = depth_order(r, 0, r->n_groups4), k;
	int ret = 0;

	if (!order)
		return sys_error(ld, ENOMEM, NULL);
	for (k = 0; k < r->n_groups4 && ret == 0; k++) {
		uint32_t g = order[k];
		const struct registry_entry *e = group_head(r, g);

		if (is_host(e))
			continue;  /* in the host hash, parented after the tables are full */
		/* only shorter prefixes are in yet: the longest covering one is the parent */
		r->groups[g].parent = group_of_v4(r, e->addr);
		ret = rte_fib_add(r->fib4, v4_of(e->addr), e->depth, (uint64_t)g + 1);
		if (ret < 0)
			sys_error(ld, -ret, "line %" PRIu32 ": cannot add prefix to IPv4 table",
				  e->line);
	}
	free(order);
	return ret;
}

static int make_v4_table(struct loader *ld, struct registry *r)
{
	if (count_prefix_groups(r, 0, r->n_groups4) == 0)
		return 0;  /* no table: IPv4 lookups only see hosts */
	if (create_fib4(ld, r) < 0)
		return ld->status;
	return fill_fib4(ld, r);
}

static int create_lpm6(struct loader *ld, struct registry *r)
{
	struct rte_lpm6_config conf = { .max_rules = count_prefix_groups(r, r->n_groups4, r->n_groups) };
	char name[RTE_LPM6_NAMESIZE];
	uint64_t tbl8 = 0;
	unsigned int b;

	for (b = 3; b < 16; b++)
		tbl8 += count_tbl8(r, r->n_groups4, r->n_groups, b);
	if (conf.max_rules > V6_MAX_GROUPS || tbl8 > V6_MAX_TBL8) {
		report(ld, group_head(r, r->n_groups - 1)->line,
		       "too many IPv6 prefixes (%" PRIu32 " prefixes needing %" PRIu64
		       " tbl8 groups; max %u and %u)", conf.max_rules, tbl8, V6_MAX_GROUPS,
		       V6_MAX_TBL8);
		return -EINVAL;
	}
	conf.number_tbl8s = tbl8 ? (uint32_t)tbl8 : 1;
	snprintf(name, sizeof(name), "reg6_%" PRIx64, r->generation);
	r->lpm6 = rte_lpm6_create(name, SOCKET_ID_ANY, &conf);
	if (!r->lpm6)
		return sys_error(ld, rte_errno, "cannot create IPv6 table %s", name);
	/* tables, tbl8 headers and free list, rule hash (~64 bytes a rule) */
	r->memory_bytes += 4 * ((size_t)TBL24_ENTRIES + (size_t)conf.number_tbl8s * TBL8_ENTRIES) +
			   (size_t)conf.number_tbl8s * 16 + (size_t)conf.max_rules * 64;
	return 0;
}

static int fill_lpm6(struct loader *ld, struct registry *r)
{
	uint32_t *order = depth_order(r, r->n_groups4, r->n_groups), k;
	uint32_t n = r->n_groups - r->n_groups4;
	int ret = 0;

	if (!order)
		return sys_error(ld, ENOMEM, NULL);
	for (k = 0; k < n && ret == 0; k++) {
		uint32_t g = order[k];
		const struct registry_entry *e = group_head(r, g);

		if (is_host(e))
			continue;
		r->groups[g].parent = group_of_v6(r, e->addr);
		ret = rte_lpm6_add(r->lpm6, e->addr, e->depth, g - r->n_groups4);
		if (ret < 0)
			sys_error(ld, -ret, "line %" PRIu32 ": cannot add prefix to IPv6 table",
				  e->line);
	}
	free(order);
	return ret;
}

static int make_v6_table(struct loader *ld, struct registry *r)
{
	int ret;

	if (count_prefix_groups(r, r->n_groups4, r->n_groups) == 0)
		return 0;
	ret = create_lpm6(ld, r);
	return ret < 0 ? ret : fill_lpm6(ld, r);
}

static uint32_t host_group_of(const struct registry *r, uint8_t ip_version, const uint8_t addr[16])
{
	struct host_key k;
	if (!r->hosts)
		return NO_GROUP;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, ip_version == 4 ? 4 : 16);
	k.ip_version = ip_version;
	int32_t pos = rte_hash_lookup(r->hosts, &k);
	return pos < 0 ? NO_GROUP : r->host_group[pos];
}

/* After the prefix tables are complete: each host's parent is its longest covering prefix. */
static int make_host_table(struct loader *ld, struct registry *r)
{
	uint32_t n = r->n_groups - count_prefix_groups(r, 0, r->n_groups);
	if (n == 0)
		return 0;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "regh_%" PRIx64, r->generation);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = n < 8 ? 8 : n,
		.key_len = sizeof(struct host_key),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
		/* full means full: no bucket collision may refuse a host */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	r->hosts = rte_hash_create(&hp);
	if (!r->hosts)
		return sys_error(ld, rte_errno, "cannot create host table %s", name);
	r->host_group = malloc(((size_t)rte_hash_max_key_id(r->hosts) + 1) * sizeof(uint32_t));
	if (!r->host_group)
		return sys_error(ld, ENOMEM, NULL);
	for (uint32_t g = 0; g < r->n_groups; g++) {
		const struct registry_entry *e = group_head(r, g);
		if (!is_host(e))
			continue;
		struct host_key k;
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, e->addr, e->ip_version == 4 ? 4 : 16);
		k.ip_version = e->ip_version;
		int32_t pos = rte_hash_add_key(r->hosts, &k);
		if (pos < 0)
			return sys_error(ld, -pos, "line %" PRIu32 ": cannot add host to host table", e->line);
		r->host_group[pos] = g;
		r->groups[g].parent = e->ip_version == 4 ? group_of_v4(r, e->addr) : group_of_v6(r, e->addr);
		r->n_hosts++;
	}
	/* key store, buckets and the position map, approximately */
	r->memory_bytes += (size_t)(rte_hash_max_key_id(r->hosts) + 1) * (sizeof(struct host_key) + 8 + 4) +
			   (size_t)n * 16;
	return 0;
}

static int build(struct loader *ld, uint64_t generation, struct registry **out)
{
	struct registry *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return sys_error(ld, ENOMEM, NULL);
	r->generation = generation;
	r->entries = ld->entries;
	r->n_entries = ld->n_entries;
	ld->entries = NULL;
	ret = make_groups(ld, r);
	if (ret == 0)
		ret = make_v4_table(ld, r);
	if (ret == 0)
		ret = make_v6_table(ld, r);
	if (ret == 0)
		ret = make_host_table(ld, r);
	if (ret < 0) {
		registry_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int registry_load(const char *path, uint64_t generation, struct registry **out, char *err,
		  size_t errlen, FILE *errlog)
{
	struct loader *ld;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	/* ~8 KiB of line buffers: too much for a worker-sized stack */
	ld = calloc(1, sizeof(*ld));
	if (!ld) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	ld->path = path;
	ld->errlog = errlog;
	ld->err = err;
	ld->errlen = errlen;
	ld->err_line = UINT32_MAX;
	memset(ld->field_of, -1, sizeof(ld->field_of));
	ret = read_registry(ld);
	if (ret == 0 && ld->n_entries > 1) {
		if (sort_entries(ld) < 0)
			return ld->status;
		report_duplicates(ld);
		ret = ld->status;
	}
	if (ret == 0 && ld->n_errors)
		ret = -EINVAL;
	if (ret == 0)
		ret = build(ld, generation, out);
	free(ld->entries);
	free(ld);
	return ret;
}

/* ---- lookup (workers) ---- */

static const struct registry_entry *match_group(const struct registry *r,
						const struct reg_group *g, uint16_t port,
						uint8_t app, int64_t now)
{
	const struct registry_entry *e = &r->entries[g->first], *end = e + g->count;

	for (; e < end; e++) {
		if (port >= e->port_lo && port <= e->port_hi && (e->app == 0 || e->app == app) &&
		    now >= e->valid_from && now <= e->valid_until)
			return e;
	}
	return NULL;
}

const struct registry_entry *registry_lookup(const struct registry *r, uint8_t ip_version,
					     const uint8_t addr[16], uint16_t port, uint8_t app,
					     int64_t now)
{
	uint32_t g;

	if (!r || !addr)
		return NULL;
	if (ip_version != 4 && ip_version != 6)
		return NULL;
	g = host_group_of(r, ip_version, addr);
	if (g == NO_GROUP)
		g = ip_version == 4 ? group_of_v4(r, addr) : group_of_v6(r, addr);
	for (; g != NO_GROUP; g = r->groups[g].parent) {
		const struct registry_entry *e = match_group(r, &r->groups[g], port, app, now);

		if (e)
			return e;
	}
	return NULL;
}

const struct registry_entry *registry_lookup_prefix(const struct registry *r, uint8_t ip_version,
						    const uint8_t addr[16])
{
	if (!r || !addr || (ip_version != 4 && ip_version != 6))
		return NULL;
	uint32_t g = host_group_of(r, ip_version, addr);
	if (g == NO_GROUP)
		g = ip_version == 4 ? group_of_v4(r, addr) : group_of_v6(r, addr);
	return g == NO_GROUP ? NULL : group_head(r, g);
}

/* ---- control path ---- */

void registry_get_stats(const struct registry *r, int64_t now, struct registry_stats *st)
{
	uint32_t i;

	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	st->entries = r->n_entries;
	st->v4_prefixes = r->n_groups4;
	st->v6_prefixes = r->n_groups - r->n_groups4;
	st->memory_bytes = r->memory_bytes + sizeof(*r);
	for (i = 0; i < r->n_entries; i++) {
		const struct registry_entry *e = &r->entries[i];

		st->v4_entries += e->ip_version == 4;
		st->v6_entries += e->ip_version == 6;
		if (e->sector < SECTOR_COUNT)
			st->per_sector[e->sector]++;
		st->expired += e->valid_until < now;
	}
}

uint64_t registry_generation(const struct registry *r)
{
	return r ? r->generation : 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	rte_fib_free(r->fib4);
	rte_lpm6_free(r->lpm6);
	rte_hash_free(r->hosts);
	free(r->host_group);
	free(r->groups);
	free(r->entries);
	free(r);
}

const char *registry_sector_name(uint8_t sector)
{
	return sector < SECTOR_COUNT ? sector_names[sector] : "unknown";
}

/*
 * EAL memory a registry file needs: two 64 MiB first-level tables (IPv4 FIB,
 * IPv6 LPM) plus up to ~2 KiB of tables and entry per line (~40 bytes
 * of CSV). Without hugepages this is anonymous memory, touched only when used.
 */
uint64_t registry_mem_estimate_mb(const char *path)
{
	struct stat rs;
	if (path == NULL || stat(path, &rs) != 0)
		return 0;
	return 160 + (uint64_t)rs.st_size * 64 / (1 << 20);
}

/* ---- registrant catalogue (control lcore) ---- */

struct registrant_row {
	char id[48];
	char name[96];
};

struct registrant_catalogue {
	struct registrant_row *rows;
	uint32_t n, cap;
	uint32_t *index;           /* open addressing: row + 1, 0 = empty */
	uint32_t index_mask;
};

struct registrant_catalogue *registrant_catalogue_create(void)
{
	return calloc(1, sizeof(struct registrant_catalogue));
}

void registrant_catalogue_free(struct registrant_catalogue *c)
{
	if (c == NULL)
		return;
	free(c->rows);
	free(c->index);
	free(c);
}

static uint32_t row_hash(const char *id, const char *name)
{
	return rte_jhash(id, (uint32_t)strlen(id), rte_jhash(name, (uint32_t)strlen(name), 0x7e11u));
}

static int catalogue_reindex(struct registrant_catalogue *c, uint32_t slots)
{
	uint32_t *idx = calloc(slots, sizeof(*idx));
	if (idx == NULL)
		return -ENOMEM;
	for (uint32_t r = 0; r < c->n; r++) {
		uint32_t h = row_hash(c->rows[r].id, c->rows[r].name) & (slots - 1);
		while (idx[h] != 0)
			h = (h + 1) & (slots - 1);
		idx[h] = r + 1;
	}
	free(c->index);
	c->index = idx;
	c->index_mask = slots - 1;
	return 0;
}

static int catalogue_ref(struct registrant_catalogue *c, const char *id, const char *name, uint32_t *ref)
{
	if (c->index == NULL || (c->n + 1) * 2 > c->index_mask + 1) {
		uint32_t slots = c->index ? (c->index_mask + 1) * 2 : 1024;
		if (catalogue_reindex(c, slots) != 0)
			return -ENOMEM;
	}
	uint32_t h = row_hash(id, name) & c->index_mask;
	for (; c->index[h] != 0; h = (h + 1) & c->index_mask) {
		const struct registrant_row *row = &c->rows[c->index[h] - 1];
		if (strcmp(row->id, id) == 0 && strcmp(row->name, name) == 0) {
			*ref = c->index[h];
			return 0;
		}
	}
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 256;
		struct registrant_row *rows = realloc(c->rows, (size_t)cap * sizeof(*rows));
		if (rows == NULL)
			return -ENOMEM;
		c->rows = rows;
		c->cap = cap;
	}
	struct registrant_row *row = &c->rows[c->n];
	snprintf(row->id, sizeof(row->id), "%s", id);
	snprintf(row->name, sizeof(row->name), "%s", name);
	c->index[h] = ++c->n;
	*ref = c->n;
	return 0;
}

int registry_intern(struct registry *r, struct registrant_catalogue *c)
{
	for (uint32_t i = 0; i < r->n_entries; i++) {
		struct registry_entry *e = &r->entries[i];
		if (catalogue_ref(c, e->registrant_id, e->registrant_name, &e->registrant) != 0)
			return -ENOMEM;
	}
	return 0;
}

const char *registrant_catalogue_id(const struct registrant_catalogue *c, uint32_t ref)
{
	return c && ref >= 1 && ref <= c->n ? c->rows[ref - 1].id : NULL;
}

const char *registrant_catalogue_name(const struct registrant_catalogue *c, uint32_t ref)
{
	return c && ref >= 1 && ref <= c->n ? c->rows[ref - 1].name : NULL;
}

uint32_t registrant_catalogue_size(const struct registrant_catalogue *c)
{
	return c ? c->n : 0;
}
