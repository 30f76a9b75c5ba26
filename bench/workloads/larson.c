/* bench/workloads/larson.c: Larson-style server workload (after Larson & Krishnan, 1998).
 *
 * Each thread works on an array of --ws slots, all holding blocks: each step frees a random
 * slot's block and mallocs a new one (random size in [min, max]) into it (two operations). Every
 * epoch (2 * ws steps) the threads pass their arrays on to the next thread, so most frees are of
 * blocks another thread allocated: the long-lived-server pattern that the original models by
 * handing a dying thread's objects to its successor. */
#include <pthread.h>
#include <stdlib.h>

#include "bench/workloads/workload.h"

typedef struct {
    const bench_params *p;
    unsigned char ***arrays;  /* p->threads arrays of p->ws slots */
    pthread_barrier_t epoch;
    uint64_t steps;           /* free+malloc steps per thread */
    uint64_t steps_per_epoch;
    uint64_t checksum[1024];  /* per thread (--threads <= 1024) */
} larson;

static void body(uint64_t tid, void *arg) {
    larson *l = arg;
    const bench_params *p = l->p;
    uint64_t rng = p->seed + tid, sum = 0;
    for (uint64_t done = 0, e = 0; done < l->steps; e++) {
        /* In epoch e, thread t owns array (t + e) % threads: every thread sees the same number
         * of epochs, so the barrier below always has all of them. */
        unsigned char **slot = l->arrays[(tid + e) % p->threads];
        uint64_t end = done + l->steps_per_epoch < l->steps ? done + l->steps_per_epoch : l->steps;
        for (; done < end; done++) {
            uint64_t r = bench_rand(&rng);
            unsigned char **s = &slot[bench_below((uint32_t)(r >> 32), p->ws)];
            sum += (*s)[0];
            free(*s);
            size_t n = bench_size(p, (uint32_t)r);
            unsigned char *b = malloc(n);
            if (!b) bench_die("malloc returned NULL");
            b[0] = (unsigned char)done;
            b[n - 1] = (unsigned char)e;
            *s = b;
        }
        pthread_barrier_wait(&l->epoch);
    }
    l->checksum[tid] = sum;
}

static void run(const bench_params *p, bench_result *out) {
    larson *l = calloc(1, sizeof *l);
    if (!l) bench_die("out of memory");
    l->p = p;
    l->steps = p->ops / 2 / p->threads;
    if (l->steps == 0) l->steps = 1;
    l->steps_per_epoch = 2 * p->ws;
    /* Start full, allocated by the main thread (outside the timed part). */
    uint64_t rng = p->seed ^ 0x5bd1e995u;
    if (!(l->arrays = calloc(p->threads, sizeof *l->arrays))) bench_die("out of memory");
    for (uint64_t t = 0; t < p->threads; t++) {
        if (!(l->arrays[t] = calloc(p->ws, sizeof **l->arrays))) bench_die("out of memory");
        for (uint64_t k = 0; k < p->ws; k++) {
            size_t n = bench_size(p, (uint32_t)bench_rand(&rng));
            if (!(l->arrays[t][k] = malloc(n))) bench_die("malloc returned NULL");
            l->arrays[t][k][0] = 1;
        }
    }
    pthread_barrier_init(&l->epoch, NULL, (unsigned)p->threads);

    out->seconds = bench_parallel(p->threads, body, l);
    out->ops = 2 * l->steps * p->threads;

    for (uint64_t t = 0; t < p->threads; t++) {
        out->checksum += l->checksum[t];
        for (uint64_t k = 0; k < p->ws; k++) free(l->arrays[t][k]);
        free(l->arrays[t]);
    }
    pthread_barrier_destroy(&l->epoch);
    free(l->arrays);
    free(l);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "larson",
    .doc = "Larson-style: each thread replaces random blocks of its --ws slots; threads pass "
           "their slot arrays on every 2*ws steps, so most frees are of another thread's blocks",
    .defaults = {.ops = 40000000, .ws = 1000, .seed = 1, .min = 16, .max = 512, .threads = 2},
    .multithreaded = 1,
    .run = run,
};
