/* bench/dyn_add CONFIG: applies CONFIG (its backend line decides which
 * backend), then times adding one learned address at a time, as the DNS
 * forwarder does before it releases an answer: prints the median of 50
 * adds in microseconds.  Built and run by bench/backend in a network
 * namespace of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/policy.h"
#include "../firewall/backend.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dyn_add CONFIG\n");
		return 2;
	}
	char err[512];
	struct policy p;
	struct config_source src = {.config_path = argv[1]};
	struct nft_opts o = {.owner = true};
	int fd = -1;
	if (policy_load(&p, &src, err, sizeof err) < 0 ||
	    fw_apply(&p, NULL, 0, &o, &fd, err, sizeof err) < 0) {
		fprintf(stderr, "dyn_add: %s\n", err);
		return 1;
	}
	enum { N = 50 };
	double t[N];
	for (int i = 0; i < N; i++) {
		struct nft_dyn_elem e = {
		    .addr = {.family = AF_INET,
			     .b = {10, 250, 0, (uint8_t)(i + 1)}},
		    .timeout = 300};
		double t0 = now_us();
		if (fw_dyn_add(&fd, &p, &e, 1, err, sizeof err) < 0) {
			fprintf(stderr, "dyn_add: %s\n", err);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	qsort(t, N, sizeof t[0], cmp);
	printf("%.0f\n", t[N / 2]);
	fw_stop();
	return 0;
}
