/* bench/workloads/testonly_fail.c: a workload that fails as BENCH_TEST_FAIL says, so the smoke
 * tests can check how the runner reports a variant that crashes, hangs or prints no RESULT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/workloads/workload.h"

static void run(const bench_params *p, bench_result *out) {
    (void)p;
    (void)out;
    const char *how = getenv("BENCH_TEST_FAIL");
    if (how && strcmp(how, "hang") == 0) {
        for (;;) pause();
    }
    if (how && strcmp(how, "silent") == 0) exit(0);
    fprintf(stderr, "testonly_fail: aborting on purpose\n");
    abort();
}

const bench_workload BENCH_WORKLOAD = {
    .name = "testonly_fail",
    .doc = "fails on purpose: BENCH_TEST_FAIL=abort (default), hang or silent",
    .defaults = {.ops = 1, .ws = 1, .seed = 1, .min = 1, .max = 1, .threads = 1},
    .multithreaded = 1,
    .run = run,
};
