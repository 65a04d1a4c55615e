/* Logging and fatal errors.  Before the child runs, setup may die() with one
 * line that names the cause and the fix; afterwards code logs and carries on. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdbool.h>

extern bool log_verbose;

void log_msg(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);

#define warn(...)                                                              \
	do {                                                                   \
		log_msg("warning", __VA_ARGS__);                               \
	} while (0)
#define info(...)                                                              \
	do {                                                                   \
		log_msg(NULL, __VA_ARGS__);                                    \
	} while (0)
#define debug(...)                                                             \
	do {                                                                   \
		if (log_verbose)                                               \
			log_msg("debug", __VA_ARGS__);                         \
	} while (0)

#endif
