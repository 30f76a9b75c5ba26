/* bench/workloads/workload.h: what every benchmark workload shares.
 *
 * A workload is one .c file that defines `const bench_workload BENCH_WORKLOAD`; workload.c owns
 * main(): it parses the common flags, calls run() and prints the one RESULT line the runner reads.
 * Workloads call plain malloc/free (built with -fno-builtin-malloc etc., so the compiler cannot
 * elide a pair): they measure whichever allocator is linked in or LD_PRELOADed. */
#ifndef BENCH_WORKLOADS_WORKLOAD_H
#define BENCH_WORKLOADS_WORKLOAD_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
    uint64_t ops;     /* operations in total, over all threads (one malloc or one free each) */
    uint64_t ws;      /* working set: live slots per thread */
    uint64_t seed;    /* PRNG seed; thread t uses seed + t */
    uint64_t min;     /* smallest request, bytes */
    uint64_t max;     /* largest request, bytes */
    uint64_t threads; /* worker threads (single-threaded workloads accept only 1) */
    uint64_t seconds; /* run for this long instead of --ops (0: --ops); timed workloads only */
} bench_params;

/* What run() measured. */
typedef struct {
    double seconds;    /* the timed part only: the operations, not set-up or the final frees */
    uint64_t ops;      /* operations done (--ops, or near it where threads round it) */
    uint64_t checksum; /* depends on the memory touched, printed so no store is optimised away */
} bench_result;

typedef struct {
    const char *name;
    const char *doc;        /* one line for --help */
    bench_params defaults;
    int multithreaded;      /* 0: --threads must be 1 */
    int timed;              /* 1: accepts --seconds (and prints PROGRESS lines) */
    /* Runs the workload. Failures (malloc returning NULL) call bench_die(). */
    void (*run)(const bench_params *p, bench_result *r);
} bench_workload;

extern const bench_workload BENCH_WORKLOAD;

/* splitmix64: tiny, fast, good enough to pick slots and sizes; seeded per thread. */
static inline uint64_t bench_rand(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A value in [0, n) from 32 random bits, without a division (Lemire's multiply-shift). */
static inline uint64_t bench_below(uint32_t r, uint64_t n) { return ((uint64_t)r * n) >> 32; }

/* Monotonic seconds. */
double bench_now(void);

/* A request size in [p->min, p->max] from 32 random bits. */
static inline uint64_t bench_size(const bench_params *p, uint32_t r) {
    return p->min + bench_below(r, p->max - p->min + 1);
}

/* A size in [p->min, p->max], log-uniform (as many in [m, 2m) as in [2m, 4m)), from rng; span is
 * log(max / min), computed once by the caller. */
static inline uint64_t bench_log_size(const bench_params *p, double span, uint64_t *rng) {
    double u = (double)(bench_rand(rng) >> 11) * 0x1p-53;
    uint64_t n = (uint64_t)((double)p->min * exp(u * span));
    return n < p->min ? p->min : n > p->max ? p->max : n;
}

/* Multithreaded workloads: starts `threads` threads running body(tid, arg) (tid = 0..threads-1),
 * lets them all start at once and returns the seconds from that start until the last one ends.
 * Thread creation and joining are outside the measured time. */
double bench_parallel(uint64_t threads, void (*body)(uint64_t tid, void *arg), void *arg);

/* Prints "<workload>: <what>" on stderr and exits 1: for allocation failures inside run(). */
void bench_die(const char *what) __attribute__((noreturn));

/* One operation of the random-mixed loop (mixed, soak) on the working set slot[p->ws]: a random
 * slot; free its block if it holds one (its first byte read into *sum, so the stores are
 * observable), else malloc a random size in [min, max] and write its first and last byte (from
 * i). Inline: this is the loop whose instructions tools/instr_per_op reports as the workload's. */
static inline void bench_mixed_op(const bench_params *p, unsigned char **slot, uint64_t *rng, uint64_t i,
                                  uint64_t *sum) {
    uint64_t r = bench_rand(rng);
    unsigned char **s = &slot[bench_below((uint32_t)(r >> 32), p->ws)];
    if (*s) {
        *sum += (*s)[0];
        free(*s);
        *s = NULL;
    } else {
        size_t n = bench_size(p, (uint32_t)r);
        unsigned char *b = malloc(n);
        if (!b) bench_die("malloc returned NULL");
        b[0] = (unsigned char)i;
        b[n - 1] = (unsigned char)(i >> 8);
        *s = b;
    }
}

#endif
