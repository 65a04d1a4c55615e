/* A tiny TAP harness for the unit tests: each check prints "ok N - what" or
 * "not ok N - what" and the program exits non-zero when any failed. */
#ifndef CORRAL_TAP_H
#define CORRAL_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                          \
	do {                                                                   \
		int tap_ok_ = !!(cond);                                        \
		printf("%sok %d - ", tap_ok_ ? "" : "not ", ++tap_n);          \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!tap_ok_) {                                                \
			tap_failed++;                                          \
			printf("#   failed at %s:%d: %s\n", __FILE__,          \
			       __LINE__, #cond);                               \
		}                                                              \
	} while (0)

#define is_str(got, want, ...)                                                 \
	do {                                                                   \
		const char *tap_g_ = (got), *tap_w_ = (want);                  \
		int tap_eq_ = tap_g_ && tap_w_ && strcmp(tap_g_, tap_w_) == 0; \
		ok(tap_eq_, __VA_ARGS__);                                      \
		if (!tap_eq_)                                                  \
			printf("#   got:  '%s'\n#   want: '%s'\n",             \
			       tap_g_ ? tap_g_ : "(null)",                     \
			       tap_w_ ? tap_w_ : "(null)");                    \
	} while (0)

#define is_int(got, want, ...)                                                 \
	do {                                                                   \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		ok(tap_g_ == tap_w_, __VA_ARGS__);                             \
		if (tap_g_ != tap_w_)                                          \
			printf("#   got:  %lld\n#   want: %lld\n", tap_g_,     \
			       tap_w_);                                        \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
