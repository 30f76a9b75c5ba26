/* bench/workloads/realloc_grow.c: a buffer grown by realloc, as a vector or a string builder does.
 *
 * Starts a block of --min bytes and reallocs it to 1.5x its size until it holds --max bytes, then
 * frees it and starts again; each step writes one byte in every new 4 KiB page (so every allocator
 * pays the same page faults) and checks the first and last byte the previous step wrote. An
 * allocator that copies the block at every step pays for the whole buffer each time; one that
 * moves or extends the mapping does not. Operations counted: reallocs. */
#include <stdlib.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    if (p->min < 1 || p->max < p->min) bench_die("needs 1 <= --min <= --max");
    uint64_t sum = 0, done = 0;
    double t0 = bench_now();
    while (done < p->ops) {
        size_t cap = p->min;
        unsigned char *b = malloc(cap);
        if (!b) bench_die("malloc returned NULL");
        b[0] = 1;
        b[cap - 1] = 2;
        while (cap < p->max && done < p->ops) {
            size_t next = cap + cap / 2 + 1;
            if (next > p->max) next = p->max;
            b = realloc(b, next);
            if (!b) bench_die("realloc returned NULL");
            done++;
            if (b[0] != 1 || b[cap - 1] != 2) bench_die("realloc lost the contents");
            b[cap - 1] = 0;
            for (size_t k = cap; k < next; k += 4096) b[k] = 3;
            b[next - 1] = 2;
            cap = next;
        }
        sum += b[cap - 1];
        free(b);
    }
    out->seconds = bench_now() - t0;
    out->ops = done;
    out->checksum = sum;
}

const bench_workload BENCH_WORKLOAD = {
    .name = "realloc_grow",
    .doc = "a buffer grown by realloc 1.5x at a time from --min to --max bytes, again and again",
    .defaults = {.ops = 400, .ws = 1, .seed = 1, .min = 300 * 1024, .max = 64 << 20, .threads = 1},
    .multithreaded = 0,
    .run = run,
};
