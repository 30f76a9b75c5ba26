/* bench/workloads/mixed.c: the random-mixed workload (the seeds' bench_random_mixed).
 *
 * A working set of `ws` slots; each operation (bench_mixed_op) picks a random slot and frees its
 * block if it holds one, else mallocs a random size in [min, max] and writes its first and last
 * byte. With the defaults (400 slots, 16..1040 bytes) the live set is ~100 KiB: this measures the
 * allocator's hot path, not the memory system. */
#include <stdlib.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed, sum = 0;

    double t0 = bench_now();
    for (uint64_t i = 0; i < p->ops; i++) bench_mixed_op(p, slot, &rng, i, &sum);
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
