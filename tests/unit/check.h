/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal test harness shared by the unit tests: each CHECK counts one
 * assertion; a failing one prints where and why and the test exits non-zero
 * from CHECK_DONE(). Kept tiny on purpose so tests have no extra dependency.
 */
#ifndef TUNDRA_CHECK_H
#define TUNDRA_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed, check_total;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		check_total++;                                                       \
		if (!(cond)) {                                                       \
			check_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
		}                                                                    \
	} while (0)

#define CHECK_EQ(a, b)                                                               \
	do {                                                                         \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);      \
		check_total++;                                                       \
		if (check_a_ != check_b_) {                                          \
			check_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);      \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *check_a_ = (a), *check_b_ = (b);                         \
		check_total++;                                                       \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {     \
			check_failed++;                                              \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s (\"%s\" != \"%s\")\n", \
				__FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
				check_b_ ? check_b_ : "(null)");                     \
		}                                                                    \
	} while (0)

#define CHECK_DONE()                                                                 \
	do {                                                                         \
		fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, check_total,   \
			check_failed);                                               \
		return check_failed ? 1 : 0;                                         \
	} while (0)

#endif
