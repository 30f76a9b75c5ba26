/* bench/workloads/large_realloc.c: large blocks resized at random by realloc.
 *
 * --ws slots hold blocks of log-uniform sizes in [min, max]; an operation picks a random slot and
 * reallocs its block to a new random size (growing or shrinking), checks that the bytes it kept
 * survived and writes the bytes it gained. An allocator that copies at every step pays for the
 * whole block; one that resizes in place or moves pages does not. Operations counted: reallocs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    size_t *size = calloc(p->ws, sizeof *size);
    if (!slot || !size) bench_die("cannot allocate the slot arrays");
    uint64_t rng = p->seed, sum = 0;
    double span = log((double)p->max / (double)p->min);
    double t0 = bench_now();
    for (uint64_t i = 0; i < p->ops; i++) {
        uint64_t r = bench_rand(&rng);
        uint64_t k = bench_below((uint32_t)r, p->ws);
        size_t n = bench_log_size(p, span, &rng);
        unsigned char *b = realloc(slot[k], n);
        if (!b) bench_die("realloc returned NULL");
        size_t kept = size[k] < n ? size[k] : n;
        if (kept && (b[0] != (unsigned char)k || b[kept - 1] != (unsigned char)k)) bench_die("realloc lost the contents");
        if (n > size[k]) memset(b + size[k], (int)(k & 0xff), n - size[k]);
        b[0] = (unsigned char)k;
        sum += b[n / 2];
        slot[k] = b;
        size[k] = n;
    }
    out->seconds = bench_now() - t0;
    out->ops = p->ops;
    out->checksum = sum;
    for (uint64_t k = 0; k < p->ws; k++) free(slot[k]);
    free(slot);
    free(size);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "large_realloc",
    .doc = "--ws slots of large blocks, each operation reallocs a random one to a log-uniform size in [--min, --max]",
    .defaults = {.ops = 2000, .ws = 16, .seed = 1, .min = 256 * 1024, .max = 32 << 20, .threads = 1},
    .multithreaded = 0,
    .run = run,
};
