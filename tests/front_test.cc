// front box: what a thread's cache may keep. Every thread can fill one bin of each class it uses
// (its stack of freed blocks and its remote batch share the bin's slots), so the caps are the
// memory each thread holds back: a bin starts with cache_cap slots, at most max(32 KiB, 32 blocks),
// never more than 128 blocks nor 256 KiB, and at least 32 blocks up to 8 KiB so that refills stay
// rare (docs/memory.md, "Thread caches"); it grows to cache_max (the same byte bound without the
// 128-block limit) only when the thread's own frees overflow it. The threads here free far more blocks than a bin holds and
// count what their bins kept; nothing else in this process allocates through hakmem (gtest keeps
// glibc's malloc).
#include <stdint.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "hakmem/include/hakmem.h"

extern "C" {
#include "hakmem/box/front/front.h"
#include "hakmem/box/size_class/size_class.h"
}

namespace {

constexpr size_t KiB = 1024;

// The most a bin of cls may hold, in bytes.
size_t bound_bytes(unsigned cls) {
  size_t bs = hak_class_size(cls);
  return std::max(32 * KiB, 32 * bs);
}

TEST(ThreadCache, CapsBoundEveryBin) {
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    const hak_class_info_t& info = hak_class_info[c];
    SCOPED_TRACE(info.block_size);
    size_t bytes = (size_t)info.cache_cap * info.block_size;
    EXPECT_LE(info.cache_cap, 128u);
    EXPECT_LE(bytes, bound_bytes(c));
    EXPECT_LE(bytes, std::max<size_t>(256 * KiB, 2u * info.block_size));
    if (info.block_size <= 8 * KiB) EXPECT_GE(info.cache_cap, 32u) << "refills would be frequent";
    EXPECT_GE(info.cache_max, info.cache_cap);
    EXPECT_LE((size_t)info.cache_max * info.block_size, bound_bytes(c));
    EXPECT_LE((size_t)info.cache_max * info.block_size, std::max<size_t>(256 * KiB, 2u * info.block_size));
  }
  // Over 16-1040 B (the benches' default sizes) a thread keeps at most 471 KiB in all (960 before the 32 KiB bound).
  size_t sum = 0;
  for (unsigned c = 0; c <= hak_class_of(1040); c++) sum += (size_t)hak_class_info[c].cache_cap * hak_class_size(c);
  EXPECT_LE(sum, 471 * KiB);
}

// Request sizes of classes below, at and above the 32 KiB bound (the class itself from the size,
// with the safe profile's canary). Not the class of a thread's bin storage (20 KiB): a thread
// starting its cache may adopt an exited thread's slab of that class, blocks another thread
// allocated included, and then frees them as its own.
const size_t kRequests[] = {48, 600, 1000, 3000, 6000, 12000};

unsigned class_of_request(size_t n) { return hak_class_of(n + HAK_CANARY_BYTES); }

TEST(ThreadCache, RequestsAvoidTheStorageClass) {
  size_t slots = 0;
  for (unsigned c = 0; c < HAK_NCLASSES; c++) slots += hak_class_info[c].cache_max;
  for (size_t n : kRequests) EXPECT_NE(class_of_request(n), hak_class_of(slots * sizeof(void*))) << n;
}

// Blocks in the calling thread's bin of cls: its stack and its remote batch.
size_t cached_blocks(unsigned cls) {
  size_t stack = (size_t)(hak_tc.top[cls] - hak_tc.base[cls]);
  size_t remote = (size_t)(hak_tc.base[cls] + hak_tc.cap[cls] - hak_tc.end[cls]);
  return stack + remote;
}

TEST(ThreadCache, ThreadKeepsAtMostItsCapOfTheBlocksItFrees) {
  std::thread([] {
    for (size_t n : kRequests) {
      unsigned cls = class_of_request(n);
      SCOPED_TRACE(hak_class_size(cls));
      std::vector<void*> blocks(4 * hak_class_info[cls].cache_cap);
      for (void*& p : blocks) ASSERT_NE(p = hak_malloc(n), nullptr);
      for (void* p : blocks) hak_free(p);
      size_t kept = cached_blocks(cls);
      EXPECT_GE(kept, 1u) << "the bin keeps freed blocks for the next malloc";
      EXPECT_LE(kept, hak_class_info[cls].cache_max);
      EXPECT_LE(hak_tc.cap[cls], hak_class_info[cls].cache_max);
      EXPECT_LE(kept * hak_class_size(cls), bound_bytes(cls));
    }
  }).join();
}

// A batch freed at once: the bin of a small class grows to hold the whole batch (up to cache_max),
// so that the next batch is served from it without the central box; a class whose bin is already
// at its byte bound does not grow.
TEST(ThreadCache, OwnFreesGrowTheBinToTheBatch) {
  std::thread([] {
    unsigned cls = class_of_request(48);
    const hak_class_info_t& info = hak_class_info[cls];
    ASSERT_LT(info.cache_cap, info.cache_max) << "48 B blocks: 128 slots to start, 32 KiB / 48 B at most";
    EXPECT_EQ(hak_tc.cap[cls], 0u) << "no bin before the thread's first malloc";
    // A batch that fits the grown bin with what the last refill left in it (less than a batch).
    std::vector<void*> blocks(info.cache_max - info.batch);
    for (void*& p : blocks) ASSERT_NE(p = hak_malloc(48), nullptr);
    EXPECT_EQ(hak_tc.cap[cls], info.cache_cap) << "allocating does not grow a bin";
    size_t left = cached_blocks(cls);
    ASSERT_LT(left, (size_t)info.batch);
    for (void* p : blocks) hak_free(p);
    EXPECT_EQ(hak_tc.cap[cls], info.cache_max);
    EXPECT_EQ(cached_blocks(cls), left + blocks.size()) << "the whole batch stays in the bin";
    for (void*& p : blocks) ASSERT_NE(p = hak_malloc(48), nullptr);
    EXPECT_EQ(cached_blocks(cls), left) << "and the next batch comes from it, with no refill";
    for (void* p : blocks) hak_free(p);
    unsigned big = class_of_request(3000);
    EXPECT_EQ(hak_class_info[big].cache_cap, hak_class_info[big].cache_max) << "already at 32 KiB";
  }).join();
}

// A refill's blocks go out in the order the central box listed them: carved from a new slab, one
// after another in ascending addresses, so that a program walking what it allocated walks memory
// forwards.
TEST(ThreadCache, CarvedBlocksGoOutInAscendingOrder) {
  std::thread([] {
    const size_t n = 1500;  // a class no other test here uses: its first refill carves a new slab
    unsigned cls = class_of_request(n);
    std::vector<void*> blocks(hak_class_info[cls].batch);
    for (void*& p : blocks) ASSERT_NE(p = hak_malloc(n), nullptr);
    for (size_t i = 1; i < blocks.size(); i++)
      EXPECT_EQ((uintptr_t)blocks[i], (uintptr_t)blocks[i - 1] + hak_class_size(cls)) << i;
    for (void* p : blocks) hak_free(p);
  }).join();
}

TEST(ThreadCache, RemoteBatchKeepsAtMostTheCap) {
  for (size_t n : kRequests) {
    unsigned cls = class_of_request(n);
    SCOPED_TRACE(hak_class_size(cls));
    std::vector<void*> blocks(4 * hak_class_info[cls].cache_cap);
    std::atomic<int> step{0};  // 1: the owner has allocated; 2: the other thread has freed
    std::thread owner([&] {
      for (void*& p : blocks) p = hak_malloc(n);
      step = 1;
      while (step.load() != 2) std::this_thread::yield();  // alive: its slabs stay its own
    });
    std::thread([&] {
      while (step.load() != 1) std::this_thread::yield();
      for (void* p : blocks) ASSERT_NE(p, nullptr);
      for (void* p : blocks) hak_free(p);  // every one remote: into the bin's remote batch
      EXPECT_EQ(hak_tc.top[cls], hak_tc.base[cls]) << "a remote block on this thread's stack";
      EXPECT_EQ(hak_tc.cap[cls], hak_class_info[cls].cache_cap) << "remote frees never grow a bin";
      size_t kept = cached_blocks(cls);
      EXPECT_GE(kept, 1u);
      EXPECT_LE(kept, hak_class_info[cls].cache_cap);
      EXPECT_LE(kept * hak_class_size(cls), bound_bytes(cls));
    }).join();
    step = 2;
    owner.join();
  }
}

}  // namespace
