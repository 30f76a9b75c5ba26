/* bench/workloads/soak.c: the mixed workload for a duration, in one or more threads.
 *
 * Each thread runs mixed.c's loop (bench_mixed_op) on its own working set of `ws` slots. With --seconds S it runs for S seconds and the main thread prints, once a second,
 *   PROGRESS t=SECONDS ops=TOTAL
 * on stdout (flushed), the operations of all threads so far: tools/soak follows throughput with
 * it while it samples the process's RSS. Without --seconds it runs --ops operations in total, like
 * mixed, and prints no progress. The RESULT line counts the operations done and the time the
 * threads ran (the final frees of the working sets excluded). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/workloads/workload.h"

#define BATCH 1024 /* operations between two updates of a thread's counter */

typedef struct {
    _Alignas(64) uint64_t ops; /* done so far (relaxed atomic: read by the main thread) */
    double end;                /* when its loop stopped */
    uint64_t checksum;
    uint64_t limit;            /* operations to do (UINT64_MAX: until told to stop) */
    uint64_t tid;
    const bench_params *p;
} worker;

static int g_stop;

static void *work(void *arg) {
    worker *w = arg;
    const bench_params *p = w->p;
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed + w->tid, sum = 0, i = 0;
    while (i < w->limit && !__atomic_load_n(&g_stop, __ATOMIC_RELAXED)) {
        uint64_t n = w->limit - i < BATCH ? w->limit - i : BATCH;
        for (uint64_t k = 0; k < n; k++, i++) bench_mixed_op(p, slot, &rng, i, &sum);
        __atomic_store_n(&w->ops, i, __ATOMIC_RELAXED);
    }
    w->end = bench_now();
    w->checksum = sum;
    for (uint64_t k = 0; k < p->ws; k++) free(slot[k]);
    free(slot);
    return NULL;
}

static uint64_t total_ops(worker *w, uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t t = 0; t < n; t++) sum += __atomic_load_n(&w[t].ops, __ATOMIC_RELAXED);
    return sum;
}

/* Sleeps until the monotonic time `at` (seconds). */
static void sleep_until(double at) {
    struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

static void run(const bench_params *p, bench_result *out) {
    uint64_t n = p->threads;
    worker *w = calloc(n, sizeof *w);
    pthread_t *tids = calloc(n, sizeof *tids);
    if (!w || !tids) bench_die("out of memory starting threads");
    for (uint64_t t = 0; t < n; t++) {
        w[t].tid = t;
        w[t].p = p;
        /* --ops: shared out; the first threads take the remainder. */
        w[t].limit = p->seconds ? UINT64_MAX : p->ops / n + (t < p->ops % n);
    }
    double t0 = bench_now();
    for (uint64_t t = 0; t < n; t++)
        if (pthread_create(&tids[t], NULL, work, &w[t]) != 0) bench_die("pthread_create failed");
    if (p->seconds) {
        for (uint64_t s = 1; s <= p->seconds; s++) {
            sleep_until(t0 + (double)s);
            printf("PROGRESS t=%.3f ops=%llu\n", bench_now() - t0, (unsigned long long)total_ops(w, n));
            fflush(stdout);
        }
        __atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
    }
    double end = t0;
    for (uint64_t t = 0; t < n; t++) {
        pthread_join(tids[t], NULL);
        if (w[t].end > end) end = w[t].end;
        out->checksum += w[t].checksum;
    }
    out->ops = total_ops(w, n);
    out->seconds = end - t0;
    free(tids);
    free(w);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "soak",
    .doc = "mixed's loop in --threads threads (each its own --ws slots), for --seconds with a PROGRESS "
           "line a second, or --ops in total",
    .defaults = {.ops = 60000000, .ws = 400, .seed = 1, .min = 16, .max = 1040, .threads = 1},
    .multithreaded = 1,
    .timed = 1,
    .run = run,
};
