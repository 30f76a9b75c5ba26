// bench/runner/manifest.h: the table of variants a runner binary links, generated per suite by
// bench_suite() (bench/bench.bzl). Paths are runfiles paths, resolved with the runfiles library.
#ifndef BENCH_RUNNER_MANIFEST_H
#define BENCH_RUNNER_MANIFEST_H

struct BenchVariantSpec {
  const char* name;     // e.g. "mimalloc"
  const char* binary;   // the workload linked with this variant's allocator
  const char* preload;  // the library --preload mode puts in LD_PRELOAD, or nullptr for none
  bool preloadable;     // --preload mode runs it (it has a library, or it is glibc: no library)
};

extern const char kBenchSuite[];         // e.g. "mixed"
extern const char kBenchBaseline[];      // the variant the ratio column divides by
extern const char kBenchPreloadBase[];   // the workload with no allocator linked (--preload)
extern const BenchVariantSpec kBenchVariants[];
extern const int kBenchVariantCount;

#endif
