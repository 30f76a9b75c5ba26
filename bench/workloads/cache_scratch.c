/* bench/workloads/cache_scratch.c: passive false sharing (after Hoard's cache-scratch).
 *
 * The main thread mallocs one small block per thread (likely neighbours in one cache line) and
 * hands block t to thread t, which frees it. Then each thread repeatedly mallocs a block (random
 * size in [min, max], default 8 bytes), writes every byte of it --ws times and frees it. An
 * allocator that gives a thread memory from a cache line another thread is writing (as the
 * freed neighbour would be) makes the writes slow. Operations counted: mallocs and frees. */
#include <stdlib.h>

#include "bench/workloads/workload.h"

typedef struct {
    const bench_params *p;
    unsigned char **first; /* the main thread's blocks, one per thread */
    uint64_t pairs;        /* malloc+free pairs per thread */
} scratch;

static void body(uint64_t tid, void *arg) {
    scratch *s = arg;
    const bench_params *p = s->p;
    uint64_t rng = p->seed + tid;
    free(s->first[tid]);
    for (uint64_t i = 0; i < s->pairs; i++) {
        size_t n = bench_size(p, (uint32_t)bench_rand(&rng));
        volatile unsigned char *b = malloc(n);
        if (!b) bench_die("malloc returned NULL");
        for (uint64_t w = 0; w < p->ws; w++)
            for (size_t k = 0; k < n; k++) b[k] = (unsigned char)(b[k] + 1);
        free((void *)b);
    }
}

static void run(const bench_params *p, bench_result *out) {
    scratch s = {.p = p, .pairs = p->ops / 2 / p->threads};
    if (s.pairs == 0) s.pairs = 1;
    uint64_t rng = p->seed ^ 0x9e3779b9u;
    if (!(s.first = calloc(p->threads, sizeof *s.first))) bench_die("out of memory");
    for (uint64_t t = 0; t < p->threads; t++) {
        size_t n = bench_size(p, (uint32_t)bench_rand(&rng));
        if (!(s.first[t] = malloc(n))) bench_die("malloc returned NULL");
        s.first[t][0] = 1;
    }

    out->seconds = bench_parallel(p->threads, body, &s);
    out->ops = 2 * s.pairs * p->threads;
    out->checksum = s.pairs;
    free(s.first);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "cache_scratch",
    .doc = "passive false sharing: threads malloc a small block, write each byte --ws times, "
           "free, repeat; their first blocks came from the main thread, side by side",
    .defaults = {.ops = 4000000, .ws = 50, .seed = 1, .min = 8, .max = 8, .threads = 2},
    .multithreaded = 1,
    .run = run,
};
