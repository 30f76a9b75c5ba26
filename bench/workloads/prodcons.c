/* bench/workloads/prodcons.c: producer/consumer ring, where every free is remote.
 *
 * Threads form a ring: thread t mallocs blocks (random size in [min, max], first and last byte
 * written) and passes them through a single-producer single-consumer queue of --ws entries to
 * thread t+1, which frees them. With --threads >= 2 no block is freed by the thread that
 * allocated it: this measures the allocator's cross-thread free path. */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bench/workloads/workload.h"

/* The producer writes head and the consumer tail, each on its own cache line. */
typedef struct {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) unsigned char **slot;
    uint64_t mask; /* capacity - 1, capacity a power of two */
} queue;

typedef struct {
    const bench_params *p;
    queue *q;         /* q[t]: from thread t to thread (t + 1) % threads */
    uint64_t blocks;  /* blocks each thread allocates (and frees) */
    uint64_t checksum[1024];
} prodcons;

static void body(uint64_t tid, void *arg) {
    prodcons *pc = arg;
    const bench_params *p = pc->p;
    queue *out = &pc->q[tid], *in = &pc->q[(tid + p->threads - 1) % p->threads];
    uint64_t rng = p->seed + tid, sum = 0, made = 0, freed = 0, idle = 0;
    while (made < pc->blocks || freed < pc->blocks) {
        int progress = 0;
        uint64_t h = atomic_load_explicit(&out->head, memory_order_relaxed);
        if (made < pc->blocks &&
            h - atomic_load_explicit(&out->tail, memory_order_acquire) <= out->mask) {
            uint64_t r = bench_rand(&rng);
            size_t n = bench_size(p, (uint32_t)r);
            unsigned char *b = malloc(n);
            if (!b) bench_die("malloc returned NULL");
            b[0] = (unsigned char)made;
            b[n - 1] = (unsigned char)tid;
            out->slot[h & out->mask] = b;
            atomic_store_explicit(&out->head, h + 1, memory_order_release);
            made++;
            progress = 1;
        }
        uint64_t t = atomic_load_explicit(&in->tail, memory_order_relaxed);
        if (freed < pc->blocks && t < atomic_load_explicit(&in->head, memory_order_acquire)) {
            unsigned char *b = in->slot[t & in->mask];
            atomic_store_explicit(&in->tail, t + 1, memory_order_release);
            sum += b[0];
            free(b);
            freed++;
            progress = 1;
        }
        /* Blocked (queue full, or nothing to free): let the other side run if it shares our CPU. */
        if (progress) idle = 0;
        else if (++idle > 64) sched_yield();
    }
    pc->checksum[tid] = sum;
}

static void run(const bench_params *p, bench_result *out) {
    prodcons *pc = calloc(1, sizeof *pc);
    uint64_t cap = 1;
    while (cap < p->ws) cap *= 2;
    if (!pc || !(pc->q = aligned_alloc(64, p->threads * sizeof(queue)))) bench_die("out of memory");
    for (uint64_t t = 0; t < p->threads; t++) {
        atomic_init(&pc->q[t].head, 0);
        atomic_init(&pc->q[t].tail, 0);
        pc->q[t].mask = cap - 1;
        if (!(pc->q[t].slot = calloc(cap, sizeof(unsigned char *)))) bench_die("out of memory");
    }
    pc->p = p;
    pc->blocks = p->ops / 2 / p->threads;
    if (pc->blocks == 0) pc->blocks = 1;

    out->seconds = bench_parallel(p->threads, body, pc);
    out->ops = 2 * pc->blocks * p->threads;

    for (uint64_t t = 0; t < p->threads; t++) {
        out->checksum += pc->checksum[t];
        free(pc->q[t].slot);
    }
    free(pc->q);
    free(pc);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "prodcons",
    .doc = "threads in a ring: each mallocs blocks and queues them (--ws deep) to the next thread, "
           "which frees them: every free is remote",
    .defaults = {.ops = 20000000, .ws = 1024, .seed = 1, .min = 16, .max = 1040, .threads = 2},
    .multithreaded = 1,
    .run = run,
};
