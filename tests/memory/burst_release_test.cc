// Burst release. Two threads allocate 1 GiB of small and medium blocks (16 B..256 KiB),
// write all of it, hand a quarter of their blocks to each other, and free everything in random
// order. Then the main thread samples the process's RSS (/proc/self/statm, no allocation) without
// calling the allocator:
//   LEAN      back to baseline + 10% at the first sample after the last free;
//   BALANCED  back to baseline + 10% within 2 s of the last free (it releases at the frees that find
//             it over its budget, so in practice at the first sample too);
//   SPEED     keeps the memory (prewarm); malloc_trim(0) then returns it, to baseline + 10%.
// "Baseline" is the RSS before the burst of a process that has already done the same kind of work
// on a smaller scale (two warm-up bursts of 64 MiB): the allocator's reserves and the main
// thread's cache are warm, so what is measured is whether the burst leaves anything behind.
//
// BurstByThreadsThatExit: the burst's threads exit after their last free (their caches go back to
// the central lists at exit): the target, asserted as stated.
// BurstByThreadsThatStayIdle: the threads stay alive and idle, their caches full. Those blocks are
// not free as far as the allocator knows, and the pages they sit on stay resident: the test
// asserts that nothing else does (RSS <= baseline + 10% + what the two caches can pin, computed
// from the size-class table, + under BALANCED the hold's cap), e.g. that a slab is not kept whole
// for one cached block.
//
// The policy is HAKMEM_RELEASE from the test's environment (tests/memory/BUILD.bazel); the fast
// profile is not tunable and runs SPEED whatever the environment says.
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"
extern "C" {
#include "hakmem/box/release/release.h"
}
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/config/profile.h"
#include "hakmem/include/hakmem.h"
#include "tests/common/test_util.h"

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;
constexpr size_t kBurstBytes = 1024 * MiB;  // over both threads
constexpr size_t kWarmBytes = 64 * MiB;
constexpr size_t kMine = 330000, kGive = 120000;  // pointer slots per thread (~250k blocks per 512 MiB)
constexpr double kSpecSeconds = 2.0;

enum Policy { LEAN = 0, BALANCED = 1, SPEED = 2 };
const char* const kPolicyNames[] = {"lean", "balanced", "speed"};

Policy effective_policy() {
  if (!HAK_CFG_ENV_TUNING) return (Policy)HAK_CFG_RELEASE_POLICY;
  const char* e = getenv("HAKMEM_RELEASE");
  if (!e) return (Policy)HAK_CFG_RELEASE_POLICY;
  if (!strcmp(e, "lean")) return LEAN;
  if (!strcmp(e, "speed")) return SPEED;
  return BALANCED;
}

size_t rss_bytes() { return hakt::statm_bytes(1); }

double now_s() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double mib(size_t b) { return (double)b / MiB; }

void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// A request size. By count: 95.7% small (16 B..1 KiB), 3.3% 1..16 KiB, 1% medium (16..256 KiB); by
// bytes about a quarter, an eighth and the rest: ~250k blocks per 512 MiB, every class used.
size_t pick_size(hakt::Rng& rng) {
  uint64_t r = rng.next() % 1000;
  if (r < 957) return rng.range(16, 1024);
  if (r < 990) return rng.range(1024, 16 * KiB);
  return rng.range(16 * KiB, 256 * KiB);
}

// Pointer arrays outside the allocator (mmap), touched before any baseline.
void** map_array(size_t n) {
  void* p = mmap(nullptr, n * sizeof(void*), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) abort();
  memset(p, 0, n * sizeof(void*));
  return (void**)p;
}

struct Worker {
  void** mine = nullptr;  // blocks this thread frees
  size_t nmine = 0;
  void** give = nullptr;  // blocks handed to the other thread
  size_t ngive = 0;
  uint64_t seed = 0;
};

// Two threads, one round of allocate / exchange / free at a time, barriers between the steps.
struct Burst {
  pthread_barrier_t bar;
  Worker w[2];
  size_t bytes_per_thread = 0;
  std::atomic<size_t> allocated{0};
  std::atomic<int> failures{0};
  std::atomic<double> last_free{0};  // when the last free of the round returned
  std::atomic<double> frees_begin{0};  // when the first thread started freeing
  double begin = 0;                     // when the round started

  Burst() {
    pthread_barrier_init(&bar, nullptr, 2);
    for (int t = 0; t < 2; t++) {
      w[t].mine = map_array(kMine);
      w[t].give = map_array(kGive);
      w[t].seed = 1000 * (t + 1);
    }
  }
  ~Burst() {
    pthread_barrier_destroy(&bar);
    for (Worker& x : w) {
      munmap(x.mine, kMine * sizeof(void*));
      munmap(x.give, kGive * sizeof(void*));
    }
  }
};

void shuffle(void** a, size_t n, hakt::Rng& rng) {
  for (size_t i = n; i > 1; i--) std::swap(a[i - 1], a[rng.next() % i]);
}

// Thread t's part of one round: allocates bytes_per_thread and writes every byte, keeps three
// quarters, takes the quarter the other thread hands over, frees all of it in random order.
void round(Burst* b, int t) {
  Worker* me = &b->w[t];
  Worker* other = &b->w[1 - t];
  hakt::Rng rng(me->seed++);
  size_t total = 0;
  me->nmine = me->ngive = 0;
  while (total < b->bytes_per_thread) {
    if (me->nmine + kGive >= kMine || me->ngive == kGive) {
      b->failures++;  // the arrays are too small for the mix
      break;
    }
    size_t n = pick_size(rng);
    void* p = malloc(n);
    if (!p) {
      b->failures++;
      break;
    }
    memset(p, 0x5a, n);
    total += n;
    if (rng.next() % 4 == 0) me->give[me->ngive++] = p;
    else me->mine[me->nmine++] = p;
  }
  b->allocated += total;
  pthread_barrier_wait(&b->bar);
  for (size_t i = 0; i < other->ngive; i++) me->mine[me->nmine++] = other->give[i];
  pthread_barrier_wait(&b->bar);
  shuffle(me->mine, me->nmine, rng);
  double f0 = 0;
  b->frees_begin.compare_exchange_strong(f0, now_s());
  for (size_t i = 0; i < me->nmine; i++) free(me->mine[i]);
  me->nmine = 0;
  double t1 = now_s(), seen = b->last_free.load();
  while (t1 > seen && !b->last_free.compare_exchange_weak(seen, t1)) {
  }
}

// One round by two new threads that exit when done.
void burst_by_new_threads(Burst* b, size_t bytes) {
  b->bytes_per_thread = bytes / 2;
  b->allocated = 0;
  b->last_free = 0;
  b->frees_begin = 0;
  b->begin = now_s();
  std::thread t0(round, b, 0), t1(round, b, 1);
  t0.join();
  t1.join();
}

// RSS samples from the last free on, every 10 ms, without allocating.
struct Samples {
  static constexpr int kMax = 512;
  double at[kMax];
  size_t rss[kMax];
  int n = 0;

  void take(double from, double until) {
    n = 0;
    while (n < kMax) {
      at[n] = now_s() - from;
      rss[n] = rss_bytes();
      if (at[n++] >= until) break;
      sleep_s(0.01);
    }
  }
  // Index of the first sample at or below limit, or -1.
  int first_within(size_t limit) const {
    for (int i = 0; i < n; i++)
      if (rss[i] <= limit) return i;
    return -1;
  }
  std::string describe() const {
    std::string s;
    char line[64];
    for (int i = 0; i < n; i += std::max(1, n / 20)) {
      snprintf(line, sizeof line, "  t=%.2fs rss=%.1f MiB\n", at[i], mib(rss[i]));
      s += line;
    }
    snprintf(line, sizeof line, "  t=%.2fs rss=%.1f MiB (last)\n", at[n - 1], mib(rss[n - 1]));
    return s + line;
  }
};

std::string timing(const Burst& b) {
  char line[160];
  snprintf(line, sizeof line, "burst: %.1f MiB, allocated and written in %.2f s, freed in %.2f s\n",
           mib(b.allocated.load()), b.frees_begin.load() - b.begin, b.last_free.load() - b.frees_begin.load());
  return line;
}

std::string stats_table() {
  char* text = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  hak_stats_print(f);
  fclose(f);
  std::string s(text, len);
  free(text);
  return s;
}

void expect_policy_in_force(Policy policy) {
  ASSERT_STREQ(hak_profile(), HAK_PROFILE_NAME);
  hak_stats_t s;
  hak_stats_get(&s);
  ASSERT_EQ((int)s.release_policy, (int)policy) << "the environment did not reach the allocator";
}

TEST(BurstRelease, BurstByThreadsThatExit) {
  Policy policy = effective_policy();
  SCOPED_TRACE(kPolicyNames[policy]);
  free(malloc(1));  // initialises hakmem (the environment is read at the first call)
  expect_policy_in_force(policy);
  static Burst b;
  for (int i = 0; i < 2; i++) burst_by_new_threads(&b, kWarmBytes);
  // The two warm-ups are a cycle of the same memory, which earns BALANCED a hold of about that
  // cycle, kept in the baseline; the burst's fresh memory can then raise the hold (up to its cap)
  // and what is retained after the burst lands anywhere within it (RSS 12-121 MiB against a
  // baseline of 80, by the order of the frees). malloc_trim(0) forgets that history: what is asserted is the
  // return of a one-off burst, as stated. BurstByThreadsThatStayIdle keeps the history and bounds
  // it by the hold's cap.
  malloc_trim(0);
  const size_t baseline = rss_bytes(), limit = baseline + baseline / 10;

  burst_by_new_threads(&b, kBurstBytes);
  ASSERT_EQ(b.failures.load(), 0);
  ASSERT_GE(b.allocated.load(), kBurstBytes);
  static Samples s;
  s.take(b.last_free.load(), kSpecSeconds);
  int ok = s.first_within(limit);
  std::string what = timing(b) + "baseline " + std::to_string(mib(baseline)) + " MiB, limit " +
                     std::to_string(mib(limit)) + " MiB; RSS after the last free:\n" + s.describe();
  if (policy == LEAN) {
    EXPECT_EQ(ok, 0) << "LEAN must have returned the burst by the first sample\n" << what << stats_table();
  } else if (policy == BALANCED) {
    EXPECT_GE(ok, 0) << "BALANCED must return the burst within 2 s\n" << what << stats_table();
    EXPECT_LE(s.rss[s.n - 1], limit) << "and stay there\n" << what;
  } else {
    // SPEED keeps the burst's memory for reuse...
    EXPECT_GT(s.rss[s.n - 1], baseline + 256 * MiB) << "SPEED returned memory by itself\n" << what;
    // ... and malloc_trim returns it at once.
    malloc_trim(0);
    size_t trimmed = rss_bytes();
    EXPECT_LE(trimmed, limit) << "after malloc_trim(0): " << mib(trimmed) << " MiB\n" << what << stats_table();
  }
  fprintf(stderr, "[%s] %s", kPolicyNames[policy], what.c_str());
}

// Worker threads that outlive the burst: they wait on a barrier between rounds, caches full.
struct IdleWorkers {
  Burst* b;
  pthread_barrier_t go;  // main + 2 workers
  std::atomic<bool> quit{false};
  std::thread t[2];

  explicit IdleWorkers(Burst* burst) : b(burst) {
    pthread_barrier_init(&go, nullptr, 3);
    for (int i = 0; i < 2; i++) t[i] = std::thread([this, i] {
        for (;;) {
          pthread_barrier_wait(&go);
          if (quit) return;
          round(b, i);
          pthread_barrier_wait(&go);
        }
      });
  }
  void run(size_t bytes) {
    b->bytes_per_thread = bytes / 2;
    b->allocated = 0;
    b->last_free = 0;
    b->frees_begin = 0;
    b->begin = now_s();
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&go);
  }
  ~IdleWorkers() {
    quit = true;
    pthread_barrier_wait(&go);
    for (auto& x : t) x.join();
    pthread_barrier_destroy(&go);
  }
};

// What the thread caches of n idle threads can keep resident: every cached block and the OS pages
// it overlaps (a block not aligned to 4 KiB straddles one more).
size_t cache_reach(int threads) {
  size_t per_thread = 0;
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    size_t pages = (hak_class_info[c].block_size + 4095) / 4096 + 1;
    per_thread += (size_t)hak_class_info[c].cache_max * pages * 4096;
  }
  return per_thread * (size_t)threads;
}

TEST(BurstRelease, BurstByThreadsThatStayIdle) {
  Policy policy = effective_policy();
  SCOPED_TRACE(kPolicyNames[policy]);
  static Burst b;
  IdleWorkers workers(&b);
  for (int i = 0; i < 2; i++) workers.run(kWarmBytes);
  const size_t baseline = rss_bytes();
  // BALANCED also keeps what its hold allows: the warm-ups are cycles of the same memory, and their
  // return earns a hold, which the burst's own commits can raise to its cap. Those frees decide
  // with the hold of their moment; the hold decays later, but the threads stay idle and nothing
  // frees again to act on it. So the bound adds the hold's cap (the policy's documented maximum);
  // BurstByThreadsThatExit checks the burst's return without it.
  const size_t hold_cap = policy == BALANCED ? hak_release_retain_cap() * HAK_RELEASE_HOLD_FACTOR : 0;
  const size_t limit = baseline + baseline / 10 + cache_reach(2) + hold_cap;

  workers.run(kBurstBytes);
  ASSERT_EQ(b.failures.load(), 0);
  static Samples s;
  s.take(b.last_free.load(), kSpecSeconds);
  int ok = s.first_within(limit);
  std::string what = timing(b) + "baseline " + std::to_string(mib(baseline)) + " MiB, limit " +
                     std::to_string(mib(limit)) + " MiB (of which the idle caches' reach " + std::to_string(mib(cache_reach(2))) +
                     " MiB, the hold's cap " + std::to_string(mib(hold_cap)) + " MiB); RSS after the last free:\n" + s.describe();
  if (policy == LEAN) {
    EXPECT_EQ(ok, 0) << what << stats_table();
  } else if (policy == BALANCED) {
    EXPECT_GE(ok, 0) << what << stats_table();
  } else {
    malloc_trim(0);  // the calling thread's cache and the central lists; the workers' caches stay
    EXPECT_LE(rss_bytes(), limit) << "after malloc_trim(0)\n" << what << stats_table();
  }
  fprintf(stderr, "[%s, idle threads] %s", kPolicyNames[policy], what.c_str());
}

}  // namespace
