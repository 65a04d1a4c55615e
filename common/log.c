#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool log_verbose;

__attribute__((format(printf, 2, 0))) static void vlog(const char *level,
						       const char *fmt, va_list ap,
						       int err)
{
	/* One fprintf per line keeps lines whole when several processes share
	 * stderr (docker logs). */
	char buf[1024];
	int off = snprintf(buf, sizeof buf, "corral: %s%s", level ? level : "",
			   level ? ": " : "");
	if (off < 0 || (size_t)off >= sizeof buf)
		off = 0;
	int n = vsnprintf(buf + off, sizeof buf - (size_t)off, fmt, ap);
	if (n < 0)
		n = 0;
	size_t len = strnlen(buf, sizeof buf);
	if (err)
		snprintf(buf + len, sizeof buf - len, ": %s", strerror(err));
	fprintf(stderr, "%s\n", buf);
}

void log_msg(const char *level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

void die_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap, err);
	va_end(ap);
	exit(1);
}
