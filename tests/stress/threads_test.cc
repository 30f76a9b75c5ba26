// Threads and fork (DESIGN.md section 1: any thread may free any pointer, a thread's exit loses no
// memory for good, fork() in a multi-threaded program leaves a child that can allocate).
// Built twice like the contract suite: threads_test_api (also under --config=asan) and
// threads_test_dropin.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/common/alloc_api.h"
#include "tests/common/test_util.h"

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

// ---- the first calls ----------------------------------------------------------------------------

// Declared first so that in threads_test_api it runs before anything else has used hakmem: 8 threads
// released at once make the process's first calls concurrently (initialisation, thread caches).
TEST(Threads, ConcurrentFirstCalls) {
  const int kThreads = 8;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++) {
    ts.emplace_back([&, t] {
      ready++;
      while (!go.load()) {
      }
      void* p = t % 4 == 0 ? ta_malloc(24) : t % 4 == 1 ? ta_calloc(3, 300) : t % 4 == 2 ? ta_aligned_alloc(256, 4000) : ta_malloc(1 * MiB);
      if (!p) {
        failures++;
        return;
      }
      memset(p, t, 24);
      std::vector<void*> more;
      for (int i = 0; i < 2000; i++) more.push_back(ta_malloc((size_t)(16 + (i * 37 + t) % 3000)));
      for (void* q : more) {
        if (!q) failures++;
        ta_free(q);
      }
      ta_free(p);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- pointers exchanged between threads ---------------------------------------------------------

// Every block starts with its own description; the rest is the pattern of (thread, seq).
struct Header {
  uint32_t thread;
  uint32_t seq;
  uint64_t size;
};

uint64_t seed_of(uint32_t thread, uint32_t seq) { return ((uint64_t)thread << 32) | seq; }

// Content checked in full up to this many bytes, sampled beyond (large blocks).
constexpr size_t kFullCheck = 4096;

void* make_block(hakt::Rng& rng, uint32_t thread, uint32_t seq) {
  uint64_t r = rng.next() % 1000;
  size_t n = r < 800 ? rng.range(sizeof(Header), 256)
             : r < 980 ? rng.range(257, 4096)
             : r < 999 ? rng.range(4097, 64 * KiB)
                       : rng.range(256 * KiB + 1, 600 * KiB);
  uint8_t* p = (uint8_t*)ta_malloc(n);
  if (!p) return nullptr;
  Header h = {thread, seq, n};
  memcpy(p, &h, sizeof h);
  size_t body = n - sizeof h;
  if (body <= kFullCheck) hakt::fill(p + sizeof h, body, seed_of(thread, seq));
  else hakt::fill_sampled(p + sizeof h, body, seed_of(thread, seq));
  return p;
}

// Whether a block still holds what its maker wrote.
bool block_intact(const void* v, uint32_t threads) {
  const uint8_t* p = (const uint8_t*)v;
  Header h;
  memcpy(&h, p, sizeof h);
  if (h.thread >= threads || h.size < sizeof h || h.size > 600 * KiB) return false;
  size_t body = h.size - sizeof h;
  uint64_t seed = seed_of(h.thread, h.seq);
  size_t bad = body <= kFullCheck ? hakt::check(p + sizeof h, body, seed) : hakt::check_sampled(p + sizeof h, body, seed);
  return bad == body;
}

// One inbox per thread; blocks travel in batches so that the lock is taken once per batch.
struct Inbox {
  std::mutex lock;
  std::vector<std::vector<void*>> batches;
};

// 8 threads; each makes blocks and sends them to the other threads, which check and free them:
// almost every free is a remote free.
TEST(Threads, RemoteFreesOfExchangedBlocks) {
  const uint32_t kThreads = 8;
  const uint32_t kPerThread = HAKT_ASAN ? 40000 : 300000;  // 2.4 M blocks: 4.8 M malloc + free
  const size_t kBatch = 32;
  const long kMaxInFlight = 100000;
  std::vector<Inbox> inboxes(kThreads);
  std::atomic<long> in_flight{0};
  std::atomic<uint64_t> freed{0};
  std::atomic<uint64_t> corrupt{0};
  std::atomic<uint64_t> null_blocks{0};
  std::atomic<uint64_t> freed_by_maker{0};
  const uint64_t total = (uint64_t)kThreads * kPerThread;

  auto worker = [&](uint32_t self) {
    hakt::Rng rng(1000 + self);
    std::vector<std::vector<void*>> outgoing(kThreads);
    uint32_t made = 0;
    auto drain_inbox = [&]() {
      std::vector<std::vector<void*>> got;
      {
        std::lock_guard<std::mutex> g(inboxes[self].lock);
        got.swap(inboxes[self].batches);
      }
      for (auto& batch : got) {
        for (void* p : batch) {
          if (!block_intact(p, kThreads)) corrupt++;
          Header h;
          memcpy(&h, p, sizeof h);
          if (h.thread == self) freed_by_maker++;
          ta_free(p);
        }
        in_flight -= (long)batch.size();
        freed += batch.size();
      }
      return !got.empty();
    };
    auto send = [&](uint32_t to) {
      std::lock_guard<std::mutex> g(inboxes[to].lock);
      inboxes[to].batches.push_back(std::move(outgoing[to]));
      outgoing[to].clear();
    };
    while (made < kPerThread) {
      if (in_flight.load(std::memory_order_relaxed) > kMaxInFlight) {
        if (!drain_inbox()) std::this_thread::yield();
        continue;
      }
      for (int i = 0; i < 64 && made < kPerThread; i++, made++) {
        void* p = make_block(rng, self, made);
        if (!p) {
          null_blocks++;
          continue;
        }
        uint32_t to = (self + 1 + (uint32_t)(rng.next() % (kThreads - 1))) % kThreads;
        outgoing[to].push_back(p);
        in_flight++;
        if (outgoing[to].size() == kBatch) send(to);
      }
      drain_inbox();
    }
    for (uint32_t to = 0; to < kThreads; to++)
      if (!outgoing[to].empty()) send(to);
    while (freed.load() + null_blocks.load() < total) {
      if (!drain_inbox()) std::this_thread::yield();
    }
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; t++) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();

  EXPECT_EQ(null_blocks.load(), 0u);
  EXPECT_EQ(corrupt.load(), 0u);
  EXPECT_EQ(freed.load(), total);
  EXPECT_EQ(freed_by_maker.load(), 0u) << "blocks are only sent to other threads";
  EXPECT_EQ(in_flight.load(), 0);
}

// Blocks made by threads that have exited, freed by the main thread; and blocks the main thread
// made, freed by short-lived threads. Memory is reused: repeating it does not grow the heap.
TEST(Threads, FreesAcrossThreadExit) {
  auto round = [](int r) {
    std::vector<void*> blocks;
    std::thread maker([&] {
      hakt::Rng rng(r);
      for (uint32_t i = 0; i < 3000; i++) blocks.push_back(make_block(rng, 0, i));
    });
    maker.join();
    for (void* p : blocks) {
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(block_intact(p, 1));
      ta_free(p);
    }
    blocks.clear();
    hakt::Rng rng(r + 1);
    for (uint32_t i = 0; i < 3000; i++) blocks.push_back(make_block(rng, 1, i));
    std::thread freer([&] {
      for (void* p : blocks) {
        EXPECT_TRUE(block_intact(p, 2));
        ta_free(p);
      }
    });
    freer.join();
  };
  for (int r = 0; r < 5; r++) round(r);  // warm-up
  hak_stats_t before = hakt::stats();
  for (int r = 0; r < 60; r++) {
    round(r);
    if (HasFatalFailure()) return;
  }
  hak_stats_t after = hakt::stats();
  // 60 rounds x 6000 blocks of ~1.8 KiB on average: about 650 MiB if nothing were reused.
  EXPECT_LT(after.bytes_mapped, before.bytes_mapped + 48 * MiB)
      << "before " << before.bytes_mapped << " after " << after.bytes_mapped;
  EXPECT_EQ(after.large_live_blocks, before.large_live_blocks);
}

// 200 rounds of 4 threads, each allocating a mix of sizes and freeing it in the same thread before
// it exits: the blocks sit in the exiting thread's caches, which must go back to the process.
TEST(Threads, ThreadChurnDoesNotGrowTheHeap) {
  const int kRounds = HAKT_ASAN ? 100 : 200;
  auto one_thread = [](int id) {
    hakt::Rng rng(id);
    std::vector<void*> blocks;
    for (int i = 0; i < 1000; i++) {
      size_t n = rng.next() % 50 == 0 ? rng.range(4097, 100 * KiB) : rng.range(1, 2048);
      void* p = ta_malloc(n);
      if (!p) {
        ADD_FAILURE() << "malloc(" << n << ") failed";
        return;
      }
      memset(p, 0x3c, n < 64 ? n : 64);
      blocks.push_back(p);
    }
    // Frees everything, shuffled, in this thread: the blocks fill its caches, and the program leaks
    // nothing, so whatever grows is the allocator's.
    for (size_t i = blocks.size(); i > 1; i--) std::swap(blocks[i - 1], blocks[rng.next() % i]);
    for (void* p : blocks) ta_free(p);
    void* last = ta_malloc(100);
    ta_free(last);
  };
  auto run_round = [&](int r) {
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++) ts.emplace_back(one_thread, r * 4 + t);
    for (auto& t : ts) t.join();
  };
  for (int r = 0; r < 10; r++) run_round(r);  // warm-up: the heap reaches its working size
  hak_stats_t before = hakt::stats();
  for (int r = 10; r < 10 + kRounds; r++) run_round(r);
  hak_stats_t after = hakt::stats();
  // Each round's threads cache about 1 MiB; 200 rounds would keep 800 MiB if exits lost caches.
  EXPECT_LT(after.bytes_mapped, before.bytes_mapped + 32 * MiB)
      << "before " << before.bytes_mapped << " after " << after.bytes_mapped;
  EXPECT_LE(after.superslabs, before.superslabs + 16);
}

// The first operation of a new thread is a free (of a block from another thread), or a large block,
// or an aligned block: each must start the thread's caches correctly.
TEST(Threads, FirstOperationOfANewThread) {
  void* p = ta_malloc(100);
  void* big = ta_malloc(1 * MiB);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(big, nullptr);
  std::thread([&] {
    ta_free(p);
    ta_free(big);
  }).join();
  std::thread([] {
    void* q = ta_malloc(2 * MiB);
    EXPECT_NE(q, nullptr);
    ta_free(q);
  }).join();
  std::thread([] {
    void* q = ta_aligned_alloc(4096, 100);
    EXPECT_NE(q, nullptr);
    EXPECT_TRUE(hakt::aligned_to(q, 4096));
    ta_free(q);
  }).join();
  std::thread([] {
    void* q = ta_calloc(10, 10);
    EXPECT_NE(q, nullptr);
    EXPECT_TRUE(hakt::all_zero(q, 100));
    ta_free(q);
  }).join();
  std::thread([] {
    void* q = ta_realloc(nullptr, 50);
    EXPECT_NE(q, nullptr);
    q = ta_realloc(q, 5000);
    EXPECT_NE(q, nullptr);
    ta_free(q);
  }).join();
}

// Passive false sharing (bench cache_scratch): a thread that frees another thread's small block
// must not hand that block out again itself, or two threads end up writing one cache line. Its
// next mallocs of the class get other blocks (the freed one goes back through the central box).
TEST(Threads, AFreedBlockOfAnotherThreadIsNotReusedByTheFreeingThread) {
  for (size_t size : {8, 24, 100, 3000}) {
    void* p = ta_malloc(size);
    ASSERT_NE(p, nullptr);
    int reused = 0;
    std::thread([&] {
      ta_free(p);
      void* got[200];
      for (void*& q : got) {
        q = ta_malloc(size);
        reused += q == p;
      }
      for (void* q : got) ta_free(q);
    }).join();
    EXPECT_EQ(reused, 0) << size << "-byte block";
  }
}

// Other pthread keys' destructors run after hakmem's own (its key is older): by then the thread's
// caches are gone, and the thread must still be able to free and allocate, every kind of block.
std::atomic<int> g_destructor_runs{0};
std::atomic<int> g_destructor_failures{0};

void late_destructor(void* v) {
  void* block = v;
  if (hakt::check(block, 200, 42) != 200) g_destructor_failures++;
  ta_free(block);
  std::vector<void*> ps;
  for (int i = 0; i < 300; i++) {
    size_t n = i % 50 == 0 ? 300 * KiB : (size_t)(1 + i * 13);
    void* p = i % 7 == 0 ? ta_aligned_alloc(64, n) : ta_malloc(n);
    if (!p) {
      g_destructor_failures++;
      continue;
    }
    hakt::fill(p, n < 256 ? n : 256, (uint64_t)i);
    ps.push_back(p);
  }
  for (size_t i = 0; i < ps.size(); i++) {
    size_t n = i % 50 == 0 ? 300 * KiB : (size_t)(1 + i * 13);
    size_t k = n < 256 ? n : 256;
    if (hakt::check(ps[i], k, (uint64_t)i) != k) g_destructor_failures++;
    ta_free(ps[i]);
  }
  g_destructor_runs++;
}

TEST(Threads, AllocationAfterTheThreadCacheIsGone) {
  // A first thread so that hakmem's key exists before ours.
  std::thread([] { ta_free(ta_malloc(10)); }).join();
  pthread_key_t key;
  ASSERT_EQ(pthread_key_create(&key, late_destructor), 0);
  hak_stats_t before = hakt::stats();
  const int kThreads = 100;
  for (int t = 0; t < kThreads; t++) {
    std::thread([key] {
      void* p = ta_malloc(200);
      hakt::fill(p, 200, 42);
      pthread_setspecific(key, p);
      for (int i = 0; i < 500; i++) ta_free(ta_malloc((size_t)(8 + i)));
    }).join();
  }
  pthread_key_delete(key);
  EXPECT_EQ(g_destructor_runs.load(), kThreads);
  EXPECT_EQ(g_destructor_failures.load(), 0);
  hak_stats_t after = hakt::stats();
  EXPECT_LT(after.bytes_mapped, before.bytes_mapped + 16 * MiB);
  EXPECT_EQ(after.large_live_blocks, before.large_live_blocks);
}

// hak_trim from one thread while others allocate, free and check their blocks.
TEST(Threads, TrimWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; t++) {
    ts.emplace_back([&, t] {
      hakt::Rng rng(500 + t);
      const int kLive = 512;
      std::vector<void*> live(kLive, nullptr);
      std::vector<size_t> sizes(kLive, 0);
      std::vector<uint64_t> seeds(kLive, 0);
      while (!stop.load(std::memory_order_relaxed)) {
        size_t i = rng.next() % kLive;
        if (live[i]) {
          if (hakt::check_sampled(live[i], sizes[i], seeds[i]) != sizes[i]) bad++;
          ta_free(live[i]);
        }
        sizes[i] = rng.next() % 64 == 0 ? rng.range(256 * KiB, 3 * MiB) : rng.range(1, 20000);
        seeds[i] = rng.next();
        live[i] = ta_malloc(sizes[i]);
        if (!live[i]) {
          bad++;
          continue;
        }
        hakt::fill_sampled(live[i], sizes[i], seeds[i]);
      }
      for (size_t i = 0; i < live.size(); i++) {
        if (live[i] && hakt::check_sampled(live[i], sizes[i], seeds[i]) != sizes[i]) bad++;
        ta_free(live[i]);
      }
    });
  }
  for (int i = 0; i < (HAKT_ASAN ? 100 : 300); i++) {
    EXPECT_EQ(ta_trim(0), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0u);
}

// ---- fork ---------------------------------------------------------------------------------------

// What the child does: allocations of every kind, contents checked; exit status 0 when all is well.
// Its bookkeeping lives in blocks of the allocator under test, not in std::vector: in the api
// variant under AddressSanitizer the process allocator is ASan's, which (LLVM 14) is not fork-safe
// and may deadlock a child whose parent had a thread inside it; hakmem must not.
int child_work(int round) {
  alarm(30);  // a deadlocked child (a lock held across fork) fails the test instead of hanging it
  hakt::Rng rng(round);
  const int kOps = 4000;
  void** blocks = (void**)ta_calloc(kOps, sizeof(void*));
  size_t* sizes = (size_t*)ta_calloc(kOps, sizeof(size_t));
  if (!blocks || !sizes) return 1;
  int count = 0;
  for (int i = 0; i < kOps; i++) {
    size_t n = i % 200 == 0 ? rng.range(300 * KiB, 5 * MiB) : rng.range(1, 8 * KiB);
    void* p = ta_malloc(n);
    if (!p) return 2;
    hakt::fill_sampled(p, n, (uint64_t)i);
    blocks[count] = p;
    sizes[count] = n;
    count++;
    if (i % 3 == 2) {
      int j = (int)(rng.next() % (uint64_t)count);
      if (blocks[j]) {
        if (hakt::check_sampled(blocks[j], sizes[j], (uint64_t)j) != sizes[j]) return 3;
        ta_free(blocks[j]);
        blocks[j] = nullptr;
      }
    }
  }
  for (int j = 0; j < count; j++) {
    if (!blocks[j]) continue;
    if (hakt::check_sampled(blocks[j], sizes[j], (uint64_t)j) != sizes[j]) return 4;
    ta_free(blocks[j]);
  }
  ta_free(blocks);
  ta_free(sizes);
#if !HAKT_ASAN
  // Threads in the child, too (creating one allocates through the process allocator).
  std::atomic<int> bad{0};
  std::thread t([&] {
    for (int i = 0; i < 1000; i++) {
      void* p = ta_malloc((size_t)(64 + i));
      if (!p) {
        bad++;
        return;
      }
      ta_free(p);
    }
  });
  t.join();
  if (bad) return 5;
#endif
  return 0;
}

TEST(Threads, ForkWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0};
  std::vector<std::thread> busy;
  for (int t = 0; t < 4; t++) {
    busy.emplace_back([&, t] {
      hakt::Rng rng(t + 77);
      std::vector<void*> live(256, nullptr);
      while (!stop.load(std::memory_order_relaxed)) {
        size_t i = rng.next() % live.size();
        ta_free(live[i]);
        size_t n = rng.next() % 100 == 0 ? rng.range(256 * KiB + 1, 2 * MiB) : rng.range(1, 4096);
        live[i] = ta_malloc(n);
        ((volatile uint8_t*)live[i])[0] = 1;
        ops++;
      }
      for (void* p : live) ta_free(p);
    });
  }
  const int kForks = HAKT_ASAN ? 6 : 12;
  for (int r = 0; r < kForks; r++) {
    // Let the threads get going (and be inside the allocator) before each fork.
    uint64_t start = ops.load();
    while (ops.load() < start + 2000) std::this_thread::yield();
    pid_t pid = fork();
    ASSERT_GE(pid, 0) << strerror(errno);
    if (pid == 0) _exit(child_work(r));
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << "child of round " << r << " died: signal "
                                   << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (WIFEXITED(status)) EXPECT_EQ(WEXITSTATUS(status), 0) << "child of round " << r;
  }
  stop = true;
  for (auto& t : busy) t.join();
}

}  // namespace
