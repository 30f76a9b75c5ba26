/* bench/workloads/lifetimes.c: random lifetimes and random sizes up to 64 KiB, some blocks freed by
 * another thread (the allocator suites' random-lifetime tests).
 *
 * Each of --threads threads keeps --ws slots. An operation picks a random slot: a block there is
 * freed (one in eight is handed to the next thread through a shared exchange array, where whatever
 * it displaces is freed by this thread), and a new block takes the slot. Sizes are log-uniform in
 * [min, max] (as many blocks of 16-32 B as of 32-64 KiB: most blocks small, most bytes large), the
 * first and last byte written. A block lives until its slot is picked again: lifetimes are
 * geometric, from one operation to many thousands. The blocks left at the end are freed after the
 * timed part, as mixed does. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench/workloads/workload.h"

#define EXCHANGE 1024

typedef struct {
    const bench_params *p;
    _Atomic(unsigned char *) *exchange; /* [threads][EXCHANGE] */
    unsigned char **slots[1024];        /* each thread's slots, freed after the timed part */
    uint64_t checksum[1024];
} lifetimes;

static void body(uint64_t tid, void *arg) {
    lifetimes *l = arg;
    const bench_params *p = l->p;
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed + tid, sum = 0, next = (tid + 1) % p->threads, ops = p->ops / p->threads / 2;
    double span = log((double)p->max / (double)p->min);
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t r = bench_rand(&rng);
        unsigned char **s = &slot[bench_below((uint32_t)r, p->ws)];
        if (*s) {
            sum += (*s)[0];
            if ((r >> 32 & 7) == 0 && p->threads > 1) {
                unsigned char *old = atomic_exchange_explicit(&l->exchange[next * EXCHANGE + (r >> 40) % EXCHANGE], *s,
                                                              memory_order_acq_rel);
                free(old);
            } else {
                free(*s);
            }
        }
        size_t n = bench_log_size(p, span, &rng);
        unsigned char *b = malloc(n);
        if (!b) bench_die("malloc returned NULL");
        b[0] = (unsigned char)i;
        b[n - 1] = (unsigned char)tid;
        *s = b;
    }
    l->slots[tid] = slot;
    l->checksum[tid] = sum;
}

static void run(const bench_params *p, bench_result *out) {
    lifetimes *l = calloc(1, sizeof *l);
    if (!l || !(l->exchange = calloc(p->threads * EXCHANGE, sizeof *l->exchange))) bench_die("out of memory");
    l->p = p;
    out->seconds = bench_parallel(p->threads, body, l);
    out->ops = p->ops / p->threads / 2 * 2 * p->threads;
    for (uint64_t i = 0; i < p->threads * EXCHANGE; i++) free(atomic_load(&l->exchange[i]));
    for (uint64_t t = 0; t < p->threads; t++) {
        for (uint64_t k = 0; k < p->ws; k++) free(l->slots[t][k]);
        free(l->slots[t]);
    }
    for (uint64_t t = 0; t < p->threads; t++) out->checksum += l->checksum[t];
    free(l->exchange);
    free(l);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "lifetimes",
    .doc = "random lifetimes over --ws slots per thread, log-uniform sizes in [--min, --max], one free in eight by the next thread",
    .defaults = {.ops = 20000000, .ws = 10000, .seed = 1, .min = 16, .max = 65536, .threads = 2},
    .multithreaded = 1,
    .run = run,
};
