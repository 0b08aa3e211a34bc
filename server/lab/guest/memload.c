/*
 * memload: keeps a guest's memory busy so that live-migration numbers mean something.
 *
 *   memload <fill_mib> [dirty_mib_per_s]
 *
 * Allocates fill_mib MiB, fills every byte with pseudo-random data (so zero-page and
 * compression shortcuts cannot skip it), then rewrites random whole pages at
 * dirty_mib_per_s MiB/s forever. Pre-copy migration has to resend those pages.
 * A rate of 0 means fill once and then sleep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define SLICE_NS 10000000L /* pace in 10 ms slices so the dirty rate is smooth */
#define NS_PER_S 1000000000L

static uint64_t rng_state;

/* xorshift64*: fast, and random enough that pages do not compress or dedupe. */
static inline uint64_t next_rand(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void fill_page(uint64_t *p)
{
	for (unsigned i = 0; i < PAGE / sizeof(uint64_t); i++)
		p[i] = next_rand();
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void sleep_until(int64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / NS_PER_S, .tv_nsec = deadline % NS_PER_S };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	long fill_mib, rate_mib = 0;
	if (argc < 2 || argc > 3 || parse_count(argv[1], 1L << 20, &fill_mib) != 0 ||
	    (argc == 3 && parse_count(argv[2], 1L << 16, &rate_mib) != 0)) {
		fprintf(stderr, "usage: memload <fill_mib> [dirty_mib_per_s]\n");
		return 2;
	}
	if (fill_mib == 0)
		return 0;

	size_t bytes = (size_t)fill_mib << 20;
	size_t pages = bytes / PAGE;
	uint64_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("memload: mmap");
		return 1;
	}

	rng_state = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0)
		rng_state = 1;

	int64_t t0 = now_ns();
	for (size_t i = 0; i < pages; i++)
		fill_page(mem + i * (PAGE / sizeof(uint64_t)));
	fprintf(stderr, "memload: filled %ld MiB in %lld ms, dirtying %ld MiB/s\n", fill_mib,
		(long long)((now_ns() - t0) / 1000000), rate_mib);

	if (rate_mib == 0) {
		for (;;)
			pause();
	}

	/* Pages per slice, kept as a fraction of SLICE_NS so low rates still dirty something. */
	const uint64_t pages_per_s = (uint64_t)rate_mib * ((1u << 20) / PAGE);
	uint64_t owed = 0; /* page budget in units of 1/(slices per second) */
	int64_t deadline = now_ns();
	for (;;) {
		owed += pages_per_s;
		uint64_t n = owed / (NS_PER_S / SLICE_NS);
		owed -= n * (NS_PER_S / SLICE_NS);
		for (uint64_t k = 0; k < n; k++)
			fill_page(mem + (next_rand() % pages) * (PAGE / sizeof(uint64_t)));

		deadline += SLICE_NS;
		int64_t now = now_ns();
		/* If we fell far behind (CPU starved, guest paused), do not burst to catch up. */
		if (now - deadline > NS_PER_S)
			deadline = now;
		sleep_until(deadline);
	}
}
