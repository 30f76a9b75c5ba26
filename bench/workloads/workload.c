/* bench/workloads/workload.c: main() for every workload (see workload.h).
 *
 * Output contract with the runner (bench/runner): exactly one line on stdout,
 *   RESULT workload=NAME ops=N ws=W seed=S min=A max=B threads=T seconds=X mops=Y check=C
 * where N is the number of operations done and Y = N / X / 1e6. Timed workloads (--seconds) may
 * print progress lines before it (see soak.c). Errors go to stderr with a non-zero exit status
 * (2: bad flags, 1: failure while running). */
#include "bench/workloads/workload.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_die(const char *what) {
    fprintf(stderr, "%s: %s\n", BENCH_WORKLOAD.name, what);
    exit(1);
}

static void usage(FILE *out) {
    const bench_params *d = &BENCH_WORKLOAD.defaults;
    fprintf(out,
            "usage: %s [--ops N] [--ws W] [--seed S] [--min A] [--max B] [--threads T]%s\n"
            "  %s\n"
            "  defaults: --ops %" PRIu64 " --ws %" PRIu64 " --seed %" PRIu64 " --min %" PRIu64
            " --max %" PRIu64 " --threads %" PRIu64 "\n"
            "  prints: RESULT workload=... ops=... seconds=... mops=...\n",
            BENCH_WORKLOAD.name, BENCH_WORKLOAD.timed ? " [--seconds S]" : "", BENCH_WORKLOAD.doc,
            d->ops, d->ws, d->seed, d->min, d->max, d->threads);
}

static int parse_u64(const char *flag, const char *text, uint64_t *out) {
    char *end;
    errno = 0;
    if (text == NULL || text[0] == '\0' || text[0] == '-') goto bad;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0') goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "%s: %s needs a non-negative integer, got '%s'\n", BENCH_WORKLOAD.name, flag,
            text ? text : "(nothing)");
    return -1;
}

static int parse_args(int argc, char **argv, bench_params *p) {
    static const struct {
        const char *flag;
        size_t offset;
    } flags[] = {
        {"--ops", offsetof(bench_params, ops)},   {"--ws", offsetof(bench_params, ws)},
        {"--seed", offsetof(bench_params, seed)}, {"--min", offsetof(bench_params, min)},
        {"--max", offsetof(bench_params, max)},   {"--threads", offsetof(bench_params, threads)},
        {"--seconds", offsetof(bench_params, seconds)},
    };
    const size_t nflags = sizeof flags / sizeof flags[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        /* Accept both "--ops N" and "--ops=N". */
        const char *arg = argv[i], *value, *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg), k;
        for (k = 0; k < nflags; k++)
            if (strlen(flags[k].flag) == len && strncmp(arg, flags[k].flag, len) == 0) break;
        if (k == nflags) {
            fprintf(stderr, "%s: unknown argument '%s'\n", BENCH_WORKLOAD.name, arg);
            usage(stderr);
            return -1;
        }
        value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (parse_u64(flags[k].flag, value, (uint64_t *)((char *)p + flags[k].offset)) != 0)
            return -1;
    }
    const char *bad = NULL;
    if (p->ops == 0) bad = "--ops must be > 0";
    else if (p->ws == 0 || p->ws > (1ull << 32)) bad = "--ws must be in [1, 2^32]";
    else if (p->min == 0 || p->min > p->max) bad = "need 1 <= --min <= --max";
    else if (p->max > (1ull << 32)) bad = "--max must be <= 2^32";
    else if (p->threads == 0 || p->threads > 1024) bad = "--threads must be in [1, 1024]";
    else if (p->threads != 1 && !BENCH_WORKLOAD.multithreaded)
        bad = "this workload is single-threaded: --threads must be 1";
    else if (p->seconds && !BENCH_WORKLOAD.timed)
        bad = "this workload runs --ops operations; --seconds is for timed workloads (soak)";
    else if (p->seconds > 24 * 3600)
        bad = "--seconds must be at most 86400";
    if (bad) {
        fprintf(stderr, "%s: %s\n", BENCH_WORKLOAD.name, bad);
        return -1;
    }
    return 0;
}

typedef struct {
    pthread_barrier_t *start;
    void (*body)(uint64_t, void *);
    void *arg;
    uint64_t tid;
} thread_start;

static void *thread_main(void *opaque) {
    thread_start *s = opaque;
    pthread_barrier_wait(s->start);
    s->body(s->tid, s->arg);
    return NULL;
}

double bench_parallel(uint64_t threads, void (*body)(uint64_t, void *), void *arg) {
    pthread_barrier_t start;
    thread_start *s = calloc(threads, sizeof *s);
    pthread_t *tids = calloc(threads, sizeof *tids);
    if (!s || !tids) bench_die("out of memory starting threads");
    /* The main thread is the extra party: it takes the start time when everyone is ready. */
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (uint64_t t = 0; t < threads; t++) {
        s[t] = (thread_start){.start = &start, .body = body, .arg = arg, .tid = t};
        if (pthread_create(&tids[t], NULL, thread_main, &s[t]) != 0)
            bench_die("pthread_create failed");
    }
    pthread_barrier_wait(&start);
    double t0 = bench_now();
    for (uint64_t t = 0; t < threads; t++) pthread_join(tids[t], NULL);
    double seconds = bench_now() - t0;
    pthread_barrier_destroy(&start);
    free(tids);
    free(s);
    return seconds;
}

int main(int argc, char **argv) {
    bench_params p = BENCH_WORKLOAD.defaults;
    if (parse_args(argc, argv, &p) != 0) return 2;
    bench_result r = {0, 0, 0};
    BENCH_WORKLOAD.run(&p, &r);
    if (r.seconds <= 0) r.seconds = 1e-9; /* a clock coarser than the run: never divide by 0 */
    printf("RESULT workload=%s ops=%" PRIu64 " ws=%" PRIu64 " seed=%" PRIu64 " min=%" PRIu64
           " max=%" PRIu64 " threads=%" PRIu64 " seconds=%.6f mops=%.6g check=%" PRIu64 "\n",
           BENCH_WORKLOAD.name, r.ops, p.ws, p.seed, p.min, p.max, p.threads, r.seconds,
           (double)r.ops / r.seconds / 1e6, r.checksum);
    return 0;
}
