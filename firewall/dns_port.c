/* Source ports of corral's own DNS sockets (dns_port.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "../common/cleanup.h"
#include "dns_port.h"

#define SPAN	 16384u
#define MIN_SPAN 1024u
#define TRIES	 16

static bool read_range(unsigned *lo, unsigned *hi)
{
	cleanup_file FILE *f =
	    fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	return f && fscanf(f, "%u %u", lo, hi) == 2 && *lo <= *hi &&
	       *hi <= 65535;
}

bool dns_port_range(uint16_t *lo, uint16_t *hi)
{
	static int state; /* 0: not read, 1: have, -1: none */
	static uint16_t rlo, rhi;
	if (state == 0) {
		unsigned elo = 32768, ehi = 60999;
		if (!read_range(&elo, &ehi)) {
			elo = 32768; /* the kernel's default */
			ehi = 60999;
		}
		state = -1;
		if (elo >= 1024 + MIN_SPAN) {
			rlo =
			    (uint16_t)(elo - 1024 >= SPAN ? elo - SPAN : 1024);
			rhi = (uint16_t)(elo - 1);
			state = 1;
		} else if (ehi + MIN_SPAN <= 65535) {
			rlo = (uint16_t)(ehi + 1);
			rhi =
			    (uint16_t)(65535 - ehi > SPAN ? ehi + SPAN : 65535);
			state = 1;
		}
	}
	*lo = rlo;
	*hi = rhi;
	return state == 1;
}

int dns_port_bind(int fd, int family)
{
	uint16_t lo, hi;
	if (!dns_port_range(&lo, &hi))
		return -1;
	uint16_t rnd[TRIES];
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		return -1;
	unsigned span = (unsigned)hi - lo + 1;
	for (int i = 0; i < TRIES; i++) {
		uint16_t port = htons((uint16_t)(lo + rnd[i] % span));
		int rc;
		if (family == AF_INET) {
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = port};
			rc = bind(fd, (struct sockaddr *)&a, sizeof a);
		} else {
			struct sockaddr_in6 a = {.sin6_family = AF_INET6,
						 .sin6_port = port};
			rc = bind(fd, (struct sockaddr *)&a, sizeof a);
		}
		if (rc == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}
