/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry loader and lookup tests: a good file exercising every format
 * feature, each kind of bad line, coexisting generations, a randomized
 * cross-check against a brute-force matcher, and a 1M-entry load.
 * Linked with stub_classifiers.c: wireguard = 1, openvpn = 2.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "check.h"
#include "registry.h"

#define APP_WG 1
#define APP_OVPN 2

struct loaded {
	int ret;
	struct registry *r;
	char path[64];
	char err[512];
	char *log;        /* everything written to errlog */
	size_t log_len;
};

static void write_file(char path[64], const char *text, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_registry_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror("temp file");
		exit(2);
	}
	close(fd);
}

static void load_len(struct loaded *l, const char *text, size_t len, uint64_t gen)
{
	FILE *log;

	memset(l, 0, sizeof(*l));
	write_file(l->path, text, len);
	log = open_memstream(&l->log, &l->log_len);
	l->ret = registry_load(l->path, gen, &l->r, l->err, sizeof(l->err), log);
	fclose(log);
	unlink(l->path);
}

static void load_text(struct loaded *l, const char *text, uint64_t gen)
{
	load_len(l, text, strlen(text), gen);
}

static void unload(struct loaded *l)
{
	registry_free(l->r);
	free(l->log);
	l->r = NULL;
	l->log = NULL;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static int64_t ts(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return (int64_t)timegm(&tm);
}


static const struct registry_entry *look(const struct registry *r, const char *ip,
					 uint16_t port, uint8_t app, int64_t now)
{
	uint8_t a[16] = { 0 };
	bool v6 = strchr(ip, ':') != NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, a) != 1) {
		fprintf(stderr, "bad test address %s\n", ip);
		exit(2);
	}
	return registry_lookup(r, v6 ? 6 : 4, a, port, app, now);
}

/* registrant_id of the match, or "-" for none: compact to assert on. */
static const char *who(const struct registry *r, const char *ip, uint16_t port, uint8_t app,
		       int64_t now)
{
	const struct registry_entry *e = look(r, ip, port, app, now);

	return e ? e->registrant_id : "-";
}

/* ---- the good file ---- */

static const char good_csv[] =
	"\xef\xbb\xbf# tundra registry test\r\n"                                     /* 1 */
	"Sector,PREFIX,registrant_id,Registrant_Name,port,protocol,valid_from,"
	"valid_until,note\r\n"                                                        /* 2 */
	"\r\n"                                                                        /* 3 */
	"bank,10.0.0.0/8,bank-1,\"Big Bank, Inc.\",,,,,covers all of 10/8\r\n"       /* 4 */
	"it,10.1.0.0/16,it-1,\"IT \"\"Crowd\"\" Ltd\",443,,,,\r\n"                   /* 5 */
	"it,10.1.0.0/16,it-2,IT WireGuard,51820,wireguard,,,\r\n"                     /* 6 */
	"mission,10.1.2.0/24,mis-1,Mission,1000-2000,openvpn,,,\r\n"                  /* 7 */
	"# comment in the middle\r\n"                                                 /* 8 */
	"university, 10.1.2.0/24 ,uni-1,University,1000-2000,,,,\r\n"                 /* 9 */
	"callcentre,10.1.2.3,cc-1,Call Centre,,,2024-01-01,2024-06-30,host\r\n"      /* 10 */
	"   \t \r\n"                                                                  /* 11 */
	"freelancer,2001:db8::/32,fl-1,Freelancer,,,,,\r\n"                           /* 12 */
	"other,2001:DB8:1::/48,ot-1,\"Other, v6\",500-600,,,,\"quoted, note\"\r\n"  /* 13 */
	"bank,2001:db8:1::1,bk-6,Bank host v6,,openvpn,,,\r\n"                        /* 14 */
	"IT,192.0.2.0/24,it-3,Uppercase sector,,,,2020-12-31,expired\r\n"            /* 15 */
	"other,10.1.2.0/24,ot-2,Single port,1500,,,,\n"                               /* 16 */
	"Bank,10.1.2.0/24,bk-2,Wide with app,1-65535,openvpn,,,";                     /* 17 */

static void check_good_entries(const struct registry *r, int64_t now)
{
	const struct registry_entry *e;

	e = look(r, "10.200.0.1", 80, 0, now);
	CHECK(e != NULL);
	if (!e)
		return;
	CHECK_STR(e->registrant_name, "Big Bank, Inc.");
	CHECK_STR(e->note, "covers all of 10/8");
	CHECK_EQ(e->line, 4);
	CHECK_EQ(e->depth, 8);
	CHECK_EQ(e->ip_version, 4);
	CHECK_EQ(e->sector, SECTOR_BANK);
	CHECK_EQ(e->port_lo, 0);
	CHECK_EQ(e->port_hi, 65535);
	CHECK(e->valid_from == INT64_MIN && e->valid_until == INT64_MAX);
	e = look(r, "10.1.9.9", 443, 0, now);
	CHECK(e && strcmp(e->registrant_name, "IT \"Crowd\" Ltd") == 0);
	CHECK(e && e->port_lo == 443 && e->port_hi == 443 && e->sector == SECTOR_IT);
	e = look(r, "10.1.2.3", 80, 0, now);
	CHECK(e && e->depth == 32 && e->line == 10 && e->sector == SECTOR_CALLCENTRE);
	CHECK(e && e->valid_from == ts(2024, 1, 1, 0, 0, 0));
	CHECK(e && e->valid_until == ts(2024, 6, 30, 23, 59, 59));
	e = look(r, "2001:db8:1::1", 1, APP_OVPN, now);
	CHECK(e && e->depth == 128 && e->ip_version == 6 && e->app == APP_OVPN);
	e = look(r, "2001:db8:1::2", 550, 0, now);
	CHECK(e && strcmp(e->note, "quoted, note") == 0 && e->line == 13);
	CHECK(e && e->addr[0] == 0x20 && e->addr[1] == 0x01 && e->addr[5] == 0x01);
	CHECK_STR(registry_sector_name(SECTOR_CALLCENTRE), "callcentre");
	CHECK_STR(registry_sector_name(200), "unknown");
}

static void check_good_v4(const struct registry *r, int64_t now)
{
	/* longest prefix wins; fallback when its port/protocol do not match */
	CHECK_STR(who(r, "10.200.0.1", 80, 0, now), "bank-1");
	CHECK_STR(who(r, "10.1.9.9", 443, 0, now), "it-1");
	CHECK_STR(who(r, "10.1.9.9", 80, 0, now), "bank-1");
	CHECK_STR(who(r, "10.1.9.9", 51820, APP_WG, now), "it-2");
	CHECK_STR(who(r, "10.1.9.9", 51820, APP_OVPN, now), "bank-1");
	CHECK_STR(who(r, "10.1.9.9", 51820, 0, now), "bank-1");
	/* same range: specific protocol before any; single port before a range */
	CHECK_STR(who(r, "10.1.2.5", 1200, APP_OVPN, now), "mis-1");
	CHECK_STR(who(r, "10.1.2.5", 1200, APP_WG, now), "uni-1");
	CHECK_STR(who(r, "10.1.2.5", 1500, APP_OVPN, now), "ot-2");
	CHECK_STR(who(r, "10.1.2.5", 1501, APP_OVPN, now), "mis-1");
	/* port range edges */
	CHECK_STR(who(r, "10.1.2.5", 1000, 0, now), "uni-1");
	CHECK_STR(who(r, "10.1.2.5", 2000, 0, now), "uni-1");
	CHECK_STR(who(r, "10.1.2.5", 999, 0, now), "bank-1");
	CHECK_STR(who(r, "10.1.2.5", 2001, 0, now), "bank-1");
	CHECK_STR(who(r, "10.1.2.5", 443, 0, now), "it-1");
	/* a wide range with an app is still found after the narrow ones */
	CHECK_STR(who(r, "10.1.2.5", 80, APP_OVPN, now), "bk-2");
	CHECK_STR(who(r, "10.1.2.5", 0, APP_OVPN, now), "bank-1");
	/* uncovered */
	CHECK_STR(who(r, "11.0.0.1", 80, 0, now), "-");
	CHECK_STR(who(r, "9.255.255.255", 80, 0, now), "-");
	CHECK_STR(who(r, "10.255.255.255", 80, 0, now), "bank-1");
}

static void check_good_validity(const struct registry *r)
{
	/* 10.1.2.3/32 valid 2024-01-01 .. 2024-06-30 inclusive */
	CHECK_STR(who(r, "10.1.2.3", 80, 0, ts(2024, 3, 1, 0, 0, 0)), "cc-1");
	CHECK_STR(who(r, "10.1.2.3", 80, 0, ts(2024, 1, 1, 0, 0, 0)), "cc-1");
	CHECK_STR(who(r, "10.1.2.3", 80, 0, ts(2023, 12, 31, 23, 59, 59)), "bank-1");
	CHECK_STR(who(r, "10.1.2.3", 80, 0, ts(2024, 6, 30, 23, 59, 59)), "cc-1");
	CHECK_STR(who(r, "10.1.2.3", 80, 0, ts(2024, 7, 1, 0, 0, 0)), "bank-1");
	CHECK_STR(who(r, "10.1.2.3", 1200, 0, ts(2024, 3, 1, 0, 0, 0)), "cc-1");
	CHECK_STR(who(r, "10.1.2.3", 1200, 0, ts(2025, 3, 1, 0, 0, 0)), "uni-1");
	/* 192.0.2.0/24 valid until 2020-12-31, nothing above it */
	CHECK_STR(who(r, "192.0.2.77", 80, 0, ts(2020, 12, 31, 23, 59, 59)), "it-3");
	CHECK_STR(who(r, "192.0.2.77", 80, 0, ts(2021, 1, 1, 0, 0, 0)), "-");
	CHECK_STR(who(r, "192.0.2.77", 80, 0, INT64_MIN), "it-3");
}

static void check_good_v6(const struct registry *r, int64_t now)
{
	uint8_t a[16] = { 10, 1, 2, 3 };

	CHECK_STR(who(r, "2001:db8:1::1", 80, APP_OVPN, now), "bk-6");
	CHECK_STR(who(r, "2001:db8:1::1", 80, APP_WG, now), "fl-1");
	CHECK_STR(who(r, "2001:db8:1::1", 550, APP_WG, now), "ot-1");
	CHECK_STR(who(r, "2001:db8:1::2", 500, 0, now), "ot-1");
	CHECK_STR(who(r, "2001:db8:1::2", 600, 0, now), "ot-1");
	CHECK_STR(who(r, "2001:db8:1::2", 601, 0, now), "fl-1");
	CHECK_STR(who(r, "2001:db8:1:ffff::1", 550, 0, now), "ot-1");
	CHECK_STR(who(r, "2001:db8:ffff::1", 550, 0, now), "fl-1");
	CHECK_STR(who(r, "2001:db9::1", 80, 0, now), "-");
	CHECK_STR(who(r, "::ffff:10.1.2.3", 80, 0, now), "-");
	/* the family decides the table, not the bytes */
	CHECK(registry_lookup(r, 6, a, 80, 0, now) == NULL);
	CHECK(registry_lookup(r, 5, a, 80, 0, now) == NULL);
	CHECK(registry_lookup(NULL, 4, a, 80, 0, now) == NULL);
}

static void check_good_stats(const struct registry *r)
{
	struct registry_stats st;

	registry_get_stats(r, ts(2024, 3, 1, 0, 0, 0), &st);
	CHECK_EQ(st.entries, 12);
	CHECK_EQ(st.v4_entries, 9);
	CHECK_EQ(st.v6_entries, 3);
	CHECK_EQ(st.v4_prefixes, 5);
	CHECK_EQ(st.v6_prefixes, 3);
	CHECK_EQ(st.per_sector[SECTOR_BANK], 3);
	CHECK_EQ(st.per_sector[SECTOR_IT], 3);
	CHECK_EQ(st.per_sector[SECTOR_MISSION], 1);
	CHECK_EQ(st.per_sector[SECTOR_UNIVERSITY], 1);
	CHECK_EQ(st.per_sector[SECTOR_CALLCENTRE], 1);
	CHECK_EQ(st.per_sector[SECTOR_FREELANCER], 1);
	CHECK_EQ(st.per_sector[SECTOR_OTHER], 2);
	CHECK_EQ(st.expired, 1);
	CHECK(st.memory_bytes > 12 * sizeof(struct registry_entry));
	registry_get_stats(r, ts(2025, 1, 1, 0, 0, 0), &st);
	CHECK_EQ(st.expired, 2);
	CHECK_EQ(registry_generation(r), 7);
}

static void test_good(void)
{
	struct loaded l;
	int64_t now = ts(2024, 3, 1, 12, 0, 0);

	load_text(&l, good_csv, 7);
	CHECK_EQ(l.ret, 0);
	CHECK_STR(l.err, "");
	CHECK_EQ(l.log_len, 0);
	CHECK(l.r != NULL);
	if (l.r) {
		check_good_entries(l.r, now);
		check_good_v4(l.r, now);
		check_good_validity(l.r);
		check_good_v6(l.r, now);
		check_good_stats(l.r);
	}
	unload(&l);
}

static void test_minimal(void)
{
	struct registry_stats st;
	struct loaded l;
	uint8_t a[16] = { 10, 0, 0, 1 };

	/* header only: valid and empty */
	load_text(&l, "prefix,registrant_id,registrant_name,sector\n", 8);
	CHECK_EQ(l.ret, 0);
	CHECK(l.r && registry_lookup(l.r, 4, a, 1, 0, 0) == NULL);
	registry_get_stats(l.r, 0, &st);
	CHECK_EQ(st.entries, 0);
	CHECK_EQ(st.v4_prefixes + st.v6_prefixes, 0);
	unload(&l);

	/* required columns only, any order, no final newline, no tables for v6 */
	load_text(&l, "# x\nsector,registrant_name,registrant_id,prefix\n"
		  "university,Uni,u.1:a_b-c,10.0.0.0/8", 9);
	CHECK_EQ(l.ret, 0);
	CHECK_STR(who(l.r, "10.9.9.9", 0, 0, 0), "u.1:a_b-c");
	CHECK_STR(who(l.r, "::1", 0, 0, 0), "-");
	unload(&l);

	/* v6 only */
	load_text(&l, "prefix,registrant_id,registrant_name,sector\n::/1,a,A,it\n", 10);
	CHECK_EQ(l.ret, 0);
	CHECK_STR(who(l.r, "7fff::1", 0, 0, 0), "a");
	CHECK_STR(who(l.r, "8000::", 0, 0, 0), "-");
	CHECK_STR(who(l.r, "10.0.0.1", 0, 0, 0), "-");
	unload(&l);
}

/* ---- bad files ---- */

#define HDR "prefix,registrant_id,registrant_name,sector,port,protocol," \
	    "valid_from,valid_until,note\n"

static void check_bad_len(int src, const char *text, size_t len, unsigned int line,
			  const char *word)
{
	int before = check_failed;
	char want[128];
	struct loaded l;

	load_len(&l, text, len, 11);
	snprintf(want, sizeof(want), "%s:%u: ", l.path, line);
	CHECK_EQ(l.ret, -EINVAL);
	CHECK(l.r == NULL);
	CHECK(strncmp(l.err, want, strlen(want)) == 0);
	CHECK(strstr(l.err, word) != NULL);
	CHECK(l.log && strstr(l.log, l.err) != NULL);
	if (check_failed != before)
		fprintf(stderr, "  case at line %d: want \"%s...%s\", got \"%s\"\n", src, want,
			word, l.err);
	unload(&l);
}

#define BAD(text, line, word) check_bad_len(__LINE__, text, sizeof(text) - 1, line, word)

static void test_bad_header(void)
{
	BAD("prefix,registrant_id,registrant_name,sector,colour\n", 1, "unknown column \"colour\"");
	BAD("prefix,registrant_id,registrant_name\n", 1, "missing required column \"sector\"");
	BAD("prefix,registrant_id,registrant_name,sector,PREFIX\n", 1, "duplicate column");
	BAD("prefix,registrant_id,registrant_name,sector,port,protocol,valid_from,valid_until,"
	    "note,a\n", 1, "too many columns");
	BAD("", 1, "missing header");
	BAD("# only a comment\n\n", 2, "missing header");
	BAD("\"prefix,registrant_id\n", 1, "unterminated quote");
	/* a broken header stops there: data lines are not judged against it */
	BAD("# c\nprefix,registrant_id,name,sector\n10.0.0.0/8,a,A,bank\n", 2, "unknown column");
}

static void test_bad_prefix(void)
{
	BAD(HDR "198.18.0.1/24,a,A,bank,,,,,\n", 2,
	    "host bits set in 198.18.0.1/24; did you mean 198.18.0.0/24?");
	BAD(HDR "2001:db8::1/32,a,A,bank,,,,,\n", 2, "did you mean 2001:db8::/32?");
	BAD(HDR "300.1.1.1/24,a,A,bank,,,,,\n", 2, "invalid prefix \"300.1.1.1/24\"");
	BAD(HDR "10.0.0/24,a,A,bank,,,,,\n", 2, "invalid prefix");
	BAD(HDR "10.0.0.0/33,a,A,bank,,,,,\n", 2, "invalid prefix length");
	BAD(HDR "10.0.0.0/0,a,A,bank,,,,,\n", 2, "invalid prefix length");
	BAD(HDR "10.0.0.0/,a,A,bank,,,,,\n", 2, "invalid prefix length");
	BAD(HDR "::/129,a,A,bank,,,,,\n", 2, "invalid prefix length");
	BAD(HDR "fe80::1%eth0,a,A,bank,,,,,\n", 2, "invalid prefix");
	BAD(HDR ",a,A,bank,,,,,\n", 2, "invalid prefix");
}

static void test_bad_fields(void)
{
	BAD(HDR "10.0.0.0/8,a,A,bank,0,,,,\n", 2, "invalid port \"0\"");
	BAD(HDR "10.0.0.0/8,a,A,bank,70000,,,,\n", 2, "invalid port");
	BAD(HDR "10.0.0.0/8,a,A,bank,80-,,,,\n", 2, "invalid port");
	BAD(HDR "10.0.0.0/8,a,A,bank,http,,,,\n", 2, "invalid port");
	BAD(HDR "10.0.0.0/8,a,A,bank,200-100,,,,\n", 2, "reversed");
	BAD(HDR "10.0.0.0/8,a,A,bank,,ipsec,,,\n", 2, "unknown protocol \"ipsec\"");
	BAD(HDR "10.0.0.0/8,a,A,army,,,,,\n", 2, "unknown sector \"army\"");
	BAD(HDR "10.0.0.0/8,,A,bank,,,,,\n", 2, "empty registrant_id");
	BAD(HDR "10.0.0.0/8,a b,A,bank,,,,,\n", 2, "invalid character ' ' in registrant_id");
	BAD(HDR "10.0.0.0/8,\xc3\xa9,A,bank,,,,,\n", 2, "invalid byte 0xc3");
	BAD(HDR "10.0.0.0/8,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,A,bank,,,,,\n", 2,
	    "registrant_id too long (48 bytes, max 47)");
	BAD(HDR "10.0.0.0/8,a,,bank,,,,,\n", 2, "empty registrant_name");
	BAD(HDR "10.0.0.0/8,a,\"A\tB\",bank,,,,,\n", 2, "control byte 0x09 in registrant_name");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,2024-02-30,,\n", 2, "invalid valid_from \"2024-02-30\"");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,2024-13-01,,\n", 2, "invalid valid_from");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,24-01-01,,\n", 2, "invalid valid_from");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,,2023-02-29,\n", 2, "invalid valid_until");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,,1969-12-31,\n", 2, "invalid valid_until");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,2024-05-02,2024-05-01,\n", 2,
	    "valid_from 2024-05-02 is after valid_until 2024-05-01");
}

static void test_bad_lengths(void)
{
	char name95[96], text[512];
	const struct registry_entry *e;
	struct loaded l;

	memset(name95, 'n', 95);
	name95[95] = '\0';
	snprintf(text, sizeof(text), HDR "10.0.0.0/8,%.47s,%s,bank,,,2024-02-29,2024-02-29,%s\n",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", name95, name95);
	load_text(&l, text, 12);
	CHECK_EQ(l.ret, 0);
	e = l.r ? look(l.r, "10.0.0.1", 1, 0, ts(2024, 2, 29, 12, 0, 0)) : NULL;
	CHECK(e && strlen(e->note) == 95 && strlen(e->registrant_name) == 95);
	CHECK(e && strlen(e->registrant_id) == 47);
	unload(&l);
	snprintf(text, sizeof(text), HDR "10.0.0.0/8,a,%sx,bank,,,,,\n", name95);
	check_bad_len(__LINE__, text, strlen(text), 2, "registrant_name too long (96 bytes");
	snprintf(text, sizeof(text), HDR "10.0.0.0/8,a,A,bank,,,,,%sx\n", name95);
	check_bad_len(__LINE__, text, strlen(text), 2, "note too long");
}

static void test_bad_lines(void)
{

	BAD(HDR "10.0.0.0/8,a,A,bank,,,,\n", 2, "expected 9 fields, found 8");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,,,,\n", 2, "expected 9 fields, found 10");
	BAD(HDR "10.0.0.0/8,a,\"Bank,bank,,,,,\n", 2, "unterminated quote");
	BAD(HDR "10.0.0.0/8,a,\"Bank\"x,bank,,,,,\n", 2, "text after closing quote");
	BAD(HDR "10.0.0.0/8,a,Ba\"nk,bank,,,,,\n", 2, "quote inside unquoted field");
	BAD(HDR "10.0.0.0/8,a,A\0B,bank,,,,,\n", 2, "NUL byte");
	/* comments, blank lines and CRLF still count as lines */
	BAD("# c\r\n\r\n" HDR "# c\r\n\r\n  \r\n10.0.0.0/8,a,A,bank,,,,,x,\r\n", 7, "found 10");
	BAD(HDR "10.0.0.0/8,a,A,bank,,,,,\n10.0.0.0/8,b,B,it,,,,,\n", 3,
	    "duplicate of line 2");
	BAD(HDR "10.0.0.0/8,a,A,bank,53,wireguard,,,\n10.0.0.0/8,b,B,it,1-2,,,,\n"
	    "10.0.0.0/8,c,C,it,53,wireguard,2020-01-01,,\n", 4, "duplicate of line 2");
	/* a header that cannot be read is the header: data is not taken for it */
	BAD("prefix,registrant_id,registrant_name,sector\0\n10.0.0.0/8,a,A,bank\n", 1, "NUL");
	BAD("\0\n", 1, "NUL byte");
}

static void test_long_lines(void)
{
	static char text[16384];
	size_t n, cr;
	/* 4096 bytes (blanks, trimmed) plus CRLF are fine; more are not */
	n = (size_t)snprintf(text, sizeof(text), HDR "10.0.0.0/8,a,A,bank,,,,,");
	memset(text + n, ' ', 4096 - (n - strlen(HDR)));
	n += 4096 - (n - strlen(HDR));
	cr = n;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\r\n11.0.0.0/8,b,B,bank,,,,,\n");
	{
		struct loaded l;

		load_len(&l, text, n, 13);
		CHECK_EQ(l.ret, 0);
		CHECK_STR(who(l.r, "11.0.0.1", 1, 0, 0), "b");
		unload(&l);
		text[cr] = ' ';  /* the CR becomes the 4097th byte */
		check_bad_len(__LINE__, text, n, 2, "line too long (4097 bytes, max 4096)");
	}
	n = (size_t)snprintf(text, sizeof(text), HDR "10.0.0.0/8,a,A,bank,,,,,");
	memset(text + n, 'x', 5000);
	n += 5000;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n11.0.0.0/8,a,A,bad,,,,,\n");
	check_bad_len(__LINE__, text, n, 2, "line too long");
	{
		struct loaded l;

		load_len(&l, text, n, 14);
		CHECK(l.log && strstr(l.log, ":3: unknown sector") != NULL);
		unload(&l);
	}
}

static void test_all_problems(void)
{
	struct loaded l;
	char want[128];

	load_text(&l, HDR
		  "10.0.0.0/8,a,A,bank,,,,,\n"              /* 2 */
		  "10.1.0.0/16,b,B,it,,,,,\n"               /* 3 */
		  "10.2.0.0/16,c,C,army,,,,,\n"             /* 4: sector */
		  "10.3.0.0/16,d,,bank,99999,,,,\n"         /* 5: name and port */
		  "10.0.0.0/8,e,E,it,,,,,\n"                /* 6: duplicate of 2 */
		  "10.1.0.0/16,f,F,it,,,,,\n"               /* 7: duplicate of 3 */
		  "10.4.0.1/8,g,G,it,,,,,\n", 15);          /* 8: host bits */
	CHECK_EQ(l.ret, -EINVAL);
	CHECK(l.r == NULL);
	CHECK_EQ(count_lines(l.log), 6);
	snprintf(want, sizeof(want), "%s:4: unknown sector \"army\"", l.path);
	CHECK(strncmp(l.err, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "%s:5: empty registrant_name\n", l.path);
	CHECK(l.log && strstr(l.log, want) != NULL);
	snprintf(want, sizeof(want), "%s:5: invalid port", l.path);
	CHECK(l.log && strstr(l.log, want) != NULL);
	snprintf(want, sizeof(want), "%s:6: duplicate of line 2", l.path);
	CHECK(l.log && strstr(l.log, want) != NULL);
	snprintf(want, sizeof(want), "%s:7: duplicate of line 3", l.path);
	CHECK(l.log && strstr(l.log, want) != NULL);
	snprintf(want, sizeof(want), "%s:8: host bits set", l.path);
	CHECK(l.log && strstr(l.log, want) != NULL);
	unload(&l);

	/* a duplicate can be the first problem in the file */
	load_text(&l, HDR "10.0.0.0/8,a,A,bank,,,,,\n10.0.0.0/8,a,A,bank,,,,,\n"
		  "10.1.0.0/8,a,A,bank,,,,,\n", 16);
	snprintf(want, sizeof(want), "%s:3: duplicate of line 2", l.path);
	CHECK(strncmp(l.err, want, strlen(want)) == 0);
	CHECK_EQ(count_lines(l.log), 2);
	unload(&l);

}

static void test_quiet_failure(void)
{
	static const char text[] = HDR "10.0.0.0/8,a,A,nope,,,,,\n";
	struct registry *r = (struct registry *)1;
	char path[64];

	/* without errlog or err the load still fails cleanly */
	write_file(path, text, sizeof(text) - 1);
	CHECK_EQ(registry_load(path, 17, &r, NULL, 0, NULL), -EINVAL);
	CHECK(r == NULL);
	unlink(path);
}

static void test_io_errors(void)
{
	struct registry *r = NULL;
	char err[256];
	int ret;

	ret = registry_load("/nonexistent/dir/registry.csv", 1, &r, err, sizeof(err), NULL);
	CHECK_EQ(ret, -ENOENT);
	CHECK(r == NULL);
	CHECK_STR(err, "/nonexistent/dir/registry.csv: No such file or directory");
	ret = registry_load("/tmp", 1, &r, err, sizeof(err), NULL);
	CHECK_EQ(ret, -EISDIR);
	CHECK_STR(err, "/tmp: Is a directory");
	CHECK_EQ(registry_load(NULL, 1, &r, err, sizeof(err), NULL), -EINVAL);
	/* a short err buffer is truncated, not overrun */
	ret = registry_load("/nonexistent/dir/registry.csv", 1, &r, err, 8, NULL);
	CHECK_EQ(ret, -ENOENT);
	CHECK_STR(err, "/nonexi");
}

static void test_generations(void)
{
	struct loaded a, b, c;

	load_text(&a, HDR "10.0.0.0/8,gen-a,A,bank,,,,,\n2001:db8::/32,gen-a6,A,bank,,,,,\n", 1);
	load_text(&b, HDR "10.0.0.0/8,gen-b,B,bank,,,,,\n2001:db8::/32,gen-b6,B,bank,,,,,\n", 2);
	CHECK_EQ(a.ret, 0);
	CHECK_EQ(b.ret, 0);
	CHECK_STR(who(a.r, "10.1.1.1", 1, 0, 0), "gen-a");
	CHECK_STR(who(b.r, "10.1.1.1", 1, 0, 0), "gen-b");
	CHECK_STR(who(a.r, "2001:db8::5", 1, 0, 0), "gen-a6");
	CHECK_STR(who(b.r, "2001:db8::5", 1, 0, 0), "gen-b6");
	/* the same generation twice is refused: the table names would clash */
	load_text(&c, HDR "10.0.0.0/8,gen-c,C,bank,,,,,\n", 1);
	CHECK_EQ(c.ret, -EEXIST);
	CHECK(c.r == NULL);
	CHECK(strstr(c.err, "cannot create IPv4 table reg4_1") != NULL);
	unload(&c);
	unload(&a);
	CHECK_STR(who(b.r, "10.1.1.1", 1, 0, 0), "gen-b");
	CHECK_STR(who(b.r, "2001:db8::5", 1, 0, 0), "gen-b6");
	/* freed names can be reused; the largest generation still fits the names */
	load_text(&a, HDR "10.0.0.0/8,gen-a,A,bank,,,,,\n", 1);
	CHECK_EQ(a.ret, 0);
	load_text(&c, HDR "10.0.0.0/8,gen-c,C,bank,,,,,\n::/8,gen-c6,C,it,,,,,\n", UINT64_MAX);
	CHECK_EQ(c.ret, 0);
	CHECK_STR(c.err, "");
	CHECK_EQ(registry_generation(c.r), UINT64_MAX);
	CHECK_STR(who(c.r, "0:1::", 1, 0, 0), "gen-c6");
	unload(&a);
	unload(&b);
	unload(&c);
}

/* ---- randomized cross-check against a brute-force matcher ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic so failures reproduce */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void mask_addr(uint8_t a[16], unsigned int depth)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bits = depth >= 8 * (i + 1) ? 8 : depth > 8 * i ? depth - 8 * i : 0;

		a[i] &= (uint8_t)(0xff00u >> bits);
	}
}

static bool covers(const struct registry_entry *e, unsigned int ver, const uint8_t a[16])
{
	uint8_t m[16];

	if (e->ip_version != ver)
		return false;
	memcpy(m, a, 16);
	mask_addr(m, e->depth);
	return memcmp(m, e->addr, 16) == 0;
}

static bool matches(const struct registry_entry *e, uint16_t port, uint8_t app, int64_t now)
{
	return port >= e->port_lo && port <= e->port_hi && (e->app == 0 || e->app == app) &&
	       now >= e->valid_from && now <= e->valid_until;
}

/* true when a is the better answer: deeper, then the registry's group order */
static bool better(const struct registry_entry *a, const struct registry_entry *b)
{
	unsigned int wa = a->port_hi - a->port_lo, wb = b->port_hi - b->port_lo;

	if (a->depth != b->depth)
		return a->depth > b->depth;
	if (wa != wb)
		return wa < wb;
	if ((a->app == 0) != (b->app == 0))
		return a->app != 0;
	if (a->app != b->app)
		return a->app < b->app;
	if (a->port_lo != b->port_lo)
		return a->port_lo < b->port_lo;
	return a->line < b->line;
}

static const struct registry_entry *brute(const struct registry_entry *all, size_t n,
					  unsigned int ver, const uint8_t a[16], uint16_t port,
					  uint8_t app, int64_t now)
{
	const struct registry_entry *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (covers(&all[i], ver, a) && matches(&all[i], port, app, now) &&
		    (!best || better(&all[i], best)))
			best = &all[i];
	return best;
}

/* A random entry in a small space (10.0/16, 2001:db8::/32) so prefixes nest. */
static void random_entry(struct registry_entry *e, bool v6)
{
	uint64_t x = rnd();

	memset(e, 0, sizeof(*e));
	e->ip_version = v6 ? 6 : 4;
	if (v6) {
		static const uint8_t base[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		memcpy(e->addr, base, 4);
		e->addr[4] = (uint8_t)(x & 3);
		e->addr[15] = (uint8_t)(x >> 8 & 7);
		e->depth = (uint8_t)(28 + rnd() % 101);
	} else {
		e->addr[0] = 10;
		e->addr[2] = (uint8_t)(x & 7);
		e->addr[3] = (uint8_t)(x >> 8 & 15);
		e->depth = (uint8_t)(12 + rnd() % 21);
	}
	mask_addr(e->addr, e->depth);
	switch (rnd() % 4) {
	case 0: e->port_lo = 0; e->port_hi = 65535; break;
	case 1: e->port_lo = e->port_hi = (uint16_t)(1 + rnd() % 8); break;
	default: e->port_lo = (uint16_t)(1 + rnd() % 8); e->port_hi = (uint16_t)(e->port_lo + rnd() % 4);
	}
	e->app = (uint8_t)(rnd() % 3);
	e->valid_from = rnd() % 3 == 0 ? (int64_t)(rnd() % 10) * 86400 : INT64_MIN;
	e->valid_until = rnd() % 3 == 0 ? (int64_t)(10 + rnd() % 10) * 86400 + 86399 : INT64_MAX;
}

static bool same_key(const struct registry_entry *a, const struct registry_entry *b)
{
	return a->ip_version == b->ip_version && a->depth == b->depth &&
	       !memcmp(a->addr, b->addr, 16) && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && a->app == b->app;
}

static size_t fmt_date(char *s, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	return strftime(s, 11, "%Y-%m-%d", &tm);
}

static void format_entry(FILE *f, const struct registry_entry *e, unsigned int i)
{
	static const char *const apps[] = { "", "wireguard", "openvpn" };
	char addr[INET6_ADDRSTRLEN], from[16] = "", until[16] = "", port[16] = "";

	inet_ntop(e->ip_version == 4 ? AF_INET : AF_INET6, e->addr, addr, sizeof(addr));
	if (e->port_hi - e->port_lo != 65535)
		snprintf(port, sizeof(port), "%u-%u", e->port_lo, e->port_hi);
	if (e->valid_from != INT64_MIN)
		fmt_date(from, e->valid_from);
	if (e->valid_until != INT64_MAX)
		fmt_date(until, e->valid_until);
	fprintf(f, "%s/%u,id%u,Name %u,other,%s,%s,%s,%s,\n", addr, e->depth, i, i, port,
		apps[e->app], from, until);
}

static void cross_check_lookups(const struct registry *r, const struct registry_entry *all,
				size_t n)
{
	unsigned int i, mismatches = 0;

	for (i = 0; i < 20000; i++) {
		bool v6 = i & 1;
		struct registry_entry probe;
		const struct registry_entry *want, *got;
		uint16_t port = (uint16_t)(rnd() % 12);
		uint8_t app = (uint8_t)(rnd() % 3);
		int64_t now = (int64_t)(rnd() % 25) * 86400 + (int64_t)(rnd() % 86400);

		random_entry(&probe, v6);
		if (v6)
			probe.addr[15] = (uint8_t)rnd();  /* any host in the space */
		else
			probe.addr[3] = (uint8_t)rnd();
		want = brute(all, n, v6 ? 6 : 4, probe.addr, port, app, now);
		got = registry_lookup(r, v6 ? 6 : 4, probe.addr, port, app, now);
		if ((want ? want->line : 0) != (got ? got->line : 0) && mismatches++ < 5)
			fprintf(stderr, "  cross-check: want line %u, got line %u\n",
				want ? want->line : 0, got ? got->line : 0);
	}
	CHECK_EQ(mismatches, 0);
}

static void test_cross_check(void)
{
	enum { N = 3000 };
	static struct registry_entry all[N];
	char *text = NULL;
	size_t len = 0, n = 0, j;
	FILE *f = open_memstream(&text, &len);
	struct loaded l;

	fputs(HDR, f);
	while (n < N) {
		random_entry(&all[n], n % 3 == 0);
		for (j = 0; j < n && !same_key(&all[j], &all[n]); j++)
			;
		if (j < n)
			continue;
		all[n].line = (uint32_t)n + 2;
		format_entry(f, &all[n], (unsigned int)n);
		n++;
	}
	fclose(f);
	load_len(&l, text, len, 20);
	CHECK_EQ(l.ret, 0);
	if (l.ret)
		fprintf(stderr, "  cross-check load: %s\n", l.err);
	if (l.r)
		cross_check_lookups(l.r, all, n);
	unload(&l);
	free(text);
}

/* ---- one million entries ---- */

struct sample {
	uint8_t ver, depth;
	uint8_t addr[16];
	uint32_t line;
};

/* Open-addressing set of (v4 address, depth) so generated prefixes are unique. */
static bool set_add(uint64_t *set, size_t mask, uint64_t key)
{
	size_t h = (size_t)((key + 1) * 0x9e3779b97f4a7c15ull >> 20) & mask;

	while (set[h]) {
		if (set[h] == key + 1)
			return false;
		h = (h + 1) & mask;
	}
	set[h] = key + 1;
	return true;
}

static void gen_v4(struct registry_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->ip_version = 4;
	e->depth = (uint8_t)(24 + rnd() % 9);
	uint32_t ip = htonl((uint32_t)rnd() & (uint32_t)(0xffffffffull << (32 - e->depth)));

	memcpy(e->addr, &ip, 4);
}

/* v6 prefixes carry their index in bytes 2..5, inside every depth used: unique */
static void gen_v6(struct registry_entry *e, uint32_t i)
{
	static const uint8_t depths[] = { 48, 56, 64, 128 };
	uint64_t x = rnd(), y = rnd();

	memset(e, 0, sizeof(*e));
	e->ip_version = 6;
	e->depth = depths[i % 4];
	e->addr[0] = 0x20;
	e->addr[1] = 0x01;
	e->addr[2] = (uint8_t)(i >> 24);
	e->addr[3] = (uint8_t)(i >> 16);
	e->addr[4] = (uint8_t)(i >> 8);
	e->addr[5] = (uint8_t)i;
	memcpy(e->addr + 6, &x, 8);
	memcpy(e->addr + 14, &y, 2);
	mask_addr(e->addr, e->depth);
}

static char *gen_million(size_t *len, struct sample *samples, unsigned int n_samples,
			 unsigned int n4, unsigned int n6)
{
	static const char *const sectors[] = { "bank", "it", "mission", "university",
					       "callcentre", "freelancer", "other" };
	size_t mask = (1u << 22) - 1;
	uint64_t *set = calloc(mask + 1, sizeof(*set));
	unsigned int i = 0, step = (n4 + n6) / n_samples;
	char *text = NULL, addr[INET6_ADDRSTRLEN];
	FILE *f = open_memstream(&text, len);
	struct registry_entry e;
	uint32_t ip;

	fputs("prefix,registrant_id,registrant_name,sector,port\n", f);
	while (i < n4 + n6) {
		if (i < n4) {
			gen_v4(&e);
			memcpy(&ip, e.addr, 4);
			if (!set_add(set, mask, (uint64_t)ip << 8 | e.depth))
				continue;
		} else {
			gen_v6(&e, i - n4);
		}
		inet_ntop(i < n4 ? AF_INET : AF_INET6, e.addr, addr, sizeof(addr));
		fprintf(f, "%s/%u,r%u,\"Registrant %u, Ltd\",%s,%s\n", addr, e.depth, i, i,
			sectors[i % 7], i % 5 == 0 ? "443" : "");
		if (i % step == 0 && i / step < n_samples) {
			struct sample *s = &samples[i / step];

			s->ver = e.ip_version;
			s->depth = e.depth;
			s->line = i + 2;
			memcpy(s->addr, e.addr, 16);
		}
		i++;
	}
	fclose(f);
	free(set);
	return text;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void check_samples(const struct registry *r, const struct sample *s, unsigned int n)
{
	unsigned int i, found = 0, shadowed = 0;

	for (i = 0; i < n; i++) {
		const struct registry_entry *e =
			registry_lookup(r, s[i].ver, s[i].addr, 443, 0, 0);

		if (e && e->line == s[i].line)
			found++;
		else if (e && e->depth > s[i].depth && e->ip_version == s[i].ver)
			shadowed++;  /* a longer random prefix covers the same address */
		else
			fprintf(stderr, "  sample line %u not found (got %u)\n", s[i].line,
				e ? e->line : 0);
	}
	CHECK_EQ(found + shadowed, n);
	CHECK(found >= n - n / 100);
	fprintf(stderr, "  1M sample: %u/%u found, %u shadowed by a longer prefix\n", found, n,
		shadowed);
}

static void test_million(void)
{
	enum { N4 = 990000, N6 = 10000, SAMPLES = 1000 };
	static struct sample samples[SAMPLES];
	struct registry_stats st;
	size_t len;
	char *text = gen_million(&len, samples, SAMPLES, N4, N6);
	char path[64], err[512];
	struct registry *r = NULL;
	long rss0 = rss_kib();
	double t0;
	int ret;

	write_file(path, text, len);
	free(text);
	t0 = mono();
	ret = registry_load(path, 1000000, &r, err, sizeof(err), NULL);
	fprintf(stderr, "  1M load: %.2f s for %.1f MB file, rc %d\n", mono() - t0,
		(double)len / 1e6, ret);
	unlink(path);
	CHECK_EQ(ret, 0);
	if (ret) {
		fprintf(stderr, "  1M load: %s\n", err);
		return;
	}
	registry_get_stats(r, 0, &st);
	fprintf(stderr, "  1M stats: %u entries (%u v4, %u v6), memory_bytes %.1f MiB, "
		"process RSS +%.1f MiB\n", st.entries, st.v4_prefixes, st.v6_prefixes,
		(double)st.memory_bytes / (1 << 20), (double)(rss_kib() - rss0) / 1024);
	CHECK_EQ(st.entries, N4 + N6);
	CHECK_EQ(st.v4_prefixes, N4);
	CHECK_EQ(st.v6_prefixes, N6);
	CHECK_EQ(st.per_sector[SECTOR_BANK], (N4 + N6 + 6) / 7);
	check_samples(r, samples, SAMPLES);
	registry_free(r);
}

int main(void)
{
	char *args[] = { "test", "--no-huge", "-m", "2048", "--no-pci", "--no-shconf",
			 "-l", "0", "--log-level=lib.eal:error", "--log-level=lib.lpm:critical" };

	/*
	 * 2 GiB, not 64 MiB: each IPv4/IPv6 table alone has a 16-64 MiB tbl24
	 * and the 1M registry needs ~1.4 GiB. lib.lpm (also rte_fib's log type)
	 * is quieted because the clashing-generation case logs on purpose.
	 */
	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])), args) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	test_good();
	test_minimal();
	test_bad_header();
	test_bad_prefix();
	test_bad_fields();
	test_bad_lengths();
	test_bad_lines();
	test_long_lines();
	test_all_problems();
	test_quiet_failure();
	test_io_errors();
	test_generations();
	test_cross_check();
	test_million();
	rte_eal_cleanup();
	CHECK_DONE();
}
