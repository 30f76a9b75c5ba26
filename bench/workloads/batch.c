/* bench/workloads/batch.c: allocate a batch of blocks, then free them all (glibc's own malloc
 * benchmark, a GC sweep, a request's objects torn down together).
 *
 * Each round mallocs --ws blocks (random sizes in [min, max], first and last byte written) and
 * then frees every one of them, in turn in the order they were made, in reverse order and in a
 * random order. A batch larger than a thread cache holds sends most blocks through the
 * allocator's shared lists, whatever its fast path costs. */
#include <stdlib.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    unsigned char **block = calloc(p->ws, sizeof *block);
    uint32_t *order = calloc(p->ws, sizeof *order);
    if (!block || !order) bench_die("cannot allocate the batch arrays");
    uint64_t rng = p->seed, sum = 0, rounds = p->ops / (2 * p->ws);
    if (rounds == 0) rounds = 1;
    for (uint64_t i = 0; i < p->ws; i++) order[i] = (uint32_t)i;

    double t0 = bench_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < p->ws; i++) {
            size_t n = bench_size(p, (uint32_t)bench_rand(&rng));
            unsigned char *b = malloc(n);
            if (!b) bench_die("malloc returned NULL");
            b[0] = (unsigned char)i;
            b[n - 1] = (unsigned char)r;
            block[i] = b;
        }
        if (r % 3 == 2) /* a new random order (Fisher-Yates) */
            for (uint64_t i = p->ws - 1; i > 0; i--) {
                uint64_t j = bench_below((uint32_t)bench_rand(&rng), i + 1);
                uint32_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        for (uint64_t i = 0; i < p->ws; i++) {
            uint64_t k = r % 3 == 0 ? i : r % 3 == 1 ? p->ws - 1 - i : order[i];
            sum += block[k][0];
            free(block[k]);
        }
    }
    out->seconds = bench_now() - t0;
    out->ops = rounds * 2 * p->ws;
    out->checksum = sum;
    free(order);
    free(block);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "batch",
    .doc = "malloc --ws blocks of [--min, --max] bytes, then free them all (in order, reversed, random)",
    .defaults = {.ops = 40000000, .ws = 1600, .seed = 1, .min = 16, .max = 64, .threads = 1},
    .multithreaded = 0,
    .run = run,
};
