/* bench/workloads/mixed.c: the random-mixed workload (the seeds' bench_random_mixed).
 *
 * A working set of `ws` slots; each operation picks a random slot and frees its block if it holds
 * one, else mallocs a random size in [min, max] and writes its first and last byte. Frees read
 * the first byte back into a checksum, so the stores are observable. With the defaults (400 slots,
 * 16..1040 bytes) the live set is ~100 KiB: this measures the allocator's hot path, not the
 * memory system. */
#include <stdlib.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed, sum = 0;

    double t0 = bench_now();
    for (uint64_t i = 0; i < p->ops; i++) {
        uint64_t r = bench_rand(&rng);
        unsigned char **s = &slot[bench_below((uint32_t)(r >> 32), p->ws)];
        if (*s) {
            sum += (*s)[0];
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
    out->seconds = bench_now() - t0;
    out->ops = p->ops;
    out->checksum = sum;

    for (uint64_t k = 0; k < p->ws; k++) free(slot[k]);
    free(slot);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "mixed",
    .doc = "random mixed malloc/free over a working set of --ws slots, sizes in [--min, --max]",
    .defaults = {.ops = 60000000, .ws = 400, .seed = 1, .min = 16, .max = 1040, .threads = 1},
    .multithreaded = 0,
    .run = run,
};
