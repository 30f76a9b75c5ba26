/* bench/workloads/churn.c: threads that come and go, with memory that cycles (a server's workers,
 * a stress test in the style of the allocator suites).
 *
 * Each round starts --threads new threads. A thread works on --ws slots of its own for 4 x ws
 * steps: a random slot is filled (malloc, random size in [min, max], first and last byte written)
 * or, if it holds a block, emptied: freed, or (one in four) handed to the next thread through a
 * shared exchange array, where whatever it displaces is freed by this thread, or (one in 64)
 * kept in a list of long-lived blocks that outlive the round, displacing an older one. At the end
 * of its round a thread frees its slots and exits. The heap so grows and shrinks every round: an
 * allocator that gives the memory back at each shrink makes the next round fault it in again. */
#include <stdatomic.h>
#include <stdlib.h>

#include "bench/workloads/workload.h"

#define EXCHANGE 1024 /* slots of each thread's exchange array */
#define KEPT 256      /* long-lived blocks */

typedef struct {
    const bench_params *p;
    _Atomic(unsigned char *) *exchange; /* [threads][EXCHANGE]: blocks handed to thread t */
    _Atomic(unsigned char *) kept[KEPT];
    uint64_t round;
    uint64_t checksum[1024];
} churn;

/* Replaces *at with b (or NULL) and frees what was there. */
static uint64_t put(_Atomic(unsigned char *) *at, unsigned char *b) {
    unsigned char *old = atomic_exchange_explicit(at, b, memory_order_acq_rel);
    if (!old) return 0;
    uint64_t v = old[0];
    free(old);
    return v;
}

static void body(uint64_t tid, void *arg) {
    churn *c = arg;
    const bench_params *p = c->p;
    unsigned char **slot = calloc(p->ws, sizeof *slot);
    if (!slot) bench_die("cannot allocate the slot array");
    uint64_t rng = p->seed + tid + 7919 * c->round, sum = 0, next = (tid + 1) % p->threads;
    for (uint64_t step = 0; step < 4 * p->ws; step++) {
        uint64_t r = bench_rand(&rng);
        unsigned char **s = &slot[bench_below((uint32_t)r, p->ws)];
        if (!*s) {
            size_t n = bench_size(p, (uint32_t)(r >> 32));
            unsigned char *b = malloc(n);
            if (!b) bench_die("malloc returned NULL");
            b[0] = (unsigned char)step;
            b[n - 1] = (unsigned char)tid;
            *s = b;
            continue;
        }
        uint32_t pick = (uint32_t)(r >> 32) & 255;
        if (pick < 4) sum += put(&c->kept[(r >> 40) % KEPT], *s);
        else if (pick < 68 && p->threads > 1) sum += put(&c->exchange[next * EXCHANGE + (r >> 40) % EXCHANGE], *s);
        else {
            sum += (*s)[0];
            free(*s);
        }
        *s = NULL;
    }
    for (uint64_t k = 0; k < p->ws; k++) free(slot[k]);
    free(slot);
    c->checksum[tid] += sum;
}

static void run(const bench_params *p, bench_result *out) {
    churn *c = calloc(1, sizeof *c);
    if (!c || !(c->exchange = calloc(p->threads * EXCHANGE, sizeof *c->exchange))) bench_die("out of memory");
    c->p = p;
    uint64_t per_round = p->threads * 4 * p->ws, rounds = p->ops / per_round;
    if (rounds == 0) rounds = 1;
    out->seconds = 0;
    for (c->round = 0; c->round < rounds; c->round++) out->seconds += bench_parallel(p->threads, body, c);
    out->ops = rounds * per_round;
    for (uint64_t i = 0; i < p->threads * EXCHANGE; i++) put(&c->exchange[i], NULL);
    for (uint64_t i = 0; i < KEPT; i++) put(&c->kept[i], NULL);
    for (uint64_t t = 0; t < p->threads; t++) out->checksum += c->checksum[t];
    free(c->exchange);
    free(c);
}

const bench_workload BENCH_WORKLOAD = {
    .name = "churn",
    .doc = "threads started every round on --ws slots each, blocks handed between them and kept across rounds",
    .defaults = {.ops = 8000000, .ws = 4000, .seed = 1, .min = 16, .max = 8192, .threads = 2},
    .multithreaded = 1,
    .run = run,
};
