/* bench/workloads/large.c: large blocks (256 KiB to 32 MiB) replaced at random, every byte used.
 *
 * Each of --threads threads keeps --ws slots of blocks with log-uniform sizes in [min, max] (as
 * many blocks of 256-512 KiB as of 16-32 MiB). An operation picks a random slot, mallocs its new
 * block, writes every byte of it (a program uses what it asks for: an allocator that hands out
 * fresh pages pays their faults here), then frees the block the slot held, as assigning a new
 * buffer to a smart pointer does. Operations counted: mallocs and frees. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/workloads/workload.h"

typedef struct {
    const bench_params *p;
    uint64_t checksum[1024];
} large;

static void body(uint64_t tid, void *arg) {
    large *l = arg;
    const bench_params *p = l->p;
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed + tid, sum = 0, ops = p->ops / p->threads / 2;
    double span = log((double)p->max / (double)p->min);
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t r = bench_rand(&rng);
        unsigned char **s = &slot[bench_below((uint32_t)r, p->ws)];
        size_t n = bench_log_size(p, span, &rng);
        unsigned char *b = malloc(n);
        if (!b) bench_die("malloc returned NULL");
        memset(b, (int)(i & 0xff), n);
        if (*s) sum += (*s)[0];
        free(*s);
        *s = b;
    }
    for (uint64_t k = 0; k < p->ws; k++) free(slot[k]);
    free(slot);
    l->checksum[tid] = sum;
}

static void run(const bench_params *p, bench_result *out) {
    large *l = calloc(1, sizeof *l);
    if (!l) bench_die("out of memory");
    l->p = p;
    out->seconds = bench_parallel(p->threads, body, l);
    out->ops = p->ops / p->threads / 2 * 2 * p->threads;
    for (uint64_t t = 0; t < p->threads; t++) out->checksum += l->checksum[t];
    free(l);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "large",
    .doc = "--ws slots per thread of blocks of log-uniform size in [--min, --max], replaced at random, every byte written",
    .defaults = {.ops = 4000, .ws = 16, .seed = 1, .min = 256 * 1024, .max = 32 << 20, .threads = 1},
    .multithreaded = 1,
    .run = run,
};
