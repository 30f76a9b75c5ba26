// central box: refill and flush in batches conserve blocks. Refill N, flush them back, refill again:
// the same blocks come back, none twice, none lost, and the slabs' counts of blocks in use return to
// zero once everything is back. Each test uses its own size class; nothing else in this process
// allocates through hakmem (gtest keeps glibc's malloc).
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/central/central.h"
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/superslab/superslab.h"
}

namespace {

hak_slab_t* slab_of(void* p) { return hak_slab_head(hak_page_of((uintptr_t)p)); }

// Checks that the blocks are distinct starts of blocks of class cls.
void expect_blocks_of(unsigned cls, const std::vector<void*>& blocks) {
  std::set<void*> seen;
  for (void* p : blocks) {
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(seen.insert(p).second) << "block " << p << " handed out twice";
    ASSERT_EQ(hak_region_kind((uintptr_t)p), (unsigned)HAK_REGION_SUPERSLAB);
    hak_slab_t* s = slab_of(p);
    ASSERT_EQ(hak_page_of((uintptr_t)p)->cls, cls);
    ASSERT_EQ(s->magic, HAK_SLAB_MAGIC);
    size_t off = (size_t)((uint8_t*)p - s->start);
    ASSERT_EQ(off % s->block_size, 0u);
    ASSERT_LT(off / s->block_size, s->capacity);
  }
}

// Blocks in use per slab, as the slabs count them.
uint64_t used_in_slabs(const std::vector<void*>& blocks) {
  std::set<hak_slab_t*> slabs;
  for (void* p : blocks) slabs.insert(slab_of(p));
  uint64_t used = 0;
  for (hak_slab_t* s : slabs) used += s->used;
  return used;
}

uint64_t live_slabs() {
  hak_ss_counters_t c;
  hak_ss_counters_get(&c);
  return c.slabs;
}

std::vector<void*> refill(unsigned cls, unsigned n) {
  std::vector<void*> out(n);
  unsigned got = hak_central_refill(cls, out.data(), n);
  EXPECT_EQ(got, n) << "class " << cls;
  out.resize(got);
  return out;
}

void flush(unsigned cls, const std::vector<void*>& blocks) {
  hak_central_flush(cls, blocks.data(), (unsigned)blocks.size());
}

TEST(Central, RoundTripReturnsTheSameBlocks) {
  const unsigned cls = 5;
  const uint64_t slabs0 = live_slabs();
  std::vector<void*> a = refill(cls, 50);
  expect_blocks_of(cls, a);
  EXPECT_EQ(used_in_slabs(a), 50u);
  flush(cls, a);
  EXPECT_EQ(hak_central_transfer_count(cls), 50u);
  EXPECT_EQ(used_in_slabs(a), 50u) << "blocks in the transfer cache still count as used";
  std::vector<void*> b = refill(cls, 50);
  expect_blocks_of(cls, b);
  EXPECT_EQ(std::set<void*>(a.begin(), a.end()), std::set<void*>(b.begin(), b.end()));
  EXPECT_EQ(hak_central_transfer_count(cls), 0u);
  flush(cls, b);
  hak_central_drain();
  EXPECT_EQ(hak_central_transfer_count(cls), 0u);
  EXPECT_EQ(live_slabs(), slabs0) << "an empty slab is given back";
}

// More blocks than the transfer cache holds: the rest go back to their slab's free list, and the
// next refill takes both, in any order of the flush.
TEST(Central, RoundTripBeyondTheTransferCache) {
  const unsigned cls = 0;  // 16-byte blocks, 4096 per slab
  const uint64_t slabs0 = live_slabs();
  std::vector<void*> a = refill(cls, 3000);
  expect_blocks_of(cls, a);
  // The owner writes into its blocks (the first word is the free-list link once flushed).
  for (size_t i = 0; i < a.size(); i++) memcpy(a[i], &i, sizeof i);
  std::vector<void*> shuffled = a;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 1234, shuffled.end());
  // In batches of 64, as thread caches flush.
  for (size_t i = 0; i < shuffled.size(); i += 64) {
    std::vector<void*> batch(shuffled.begin() + i, shuffled.begin() + std::min(i + 64, shuffled.size()));
    flush(cls, batch);
  }
  EXPECT_GT(hak_central_transfer_count(cls), 0u);
  EXPECT_LT(hak_central_transfer_count(cls), 3000u) << "the transfer cache is bounded";
  EXPECT_EQ(used_in_slabs(a), hak_central_transfer_count(cls)) << "only transfer-cached blocks count as used";
  std::vector<void*> b = refill(cls, 3000);
  expect_blocks_of(cls, b);
  EXPECT_EQ(std::set<void*>(a.begin(), a.end()), std::set<void*>(b.begin(), b.end()));
  EXPECT_EQ(used_in_slabs(b), 3000u);
  flush(cls, b);
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// Big blocks: a few per slab, so one refill spans several slabs.
TEST(Central, RoundTripAcrossSlabs) {
  const unsigned cls = HAK_NCLASSES - 1;  // 256 KiB blocks, 4 per slab
  const uint64_t slabs0 = live_slabs();
  std::vector<void*> a = refill(cls, 10);
  expect_blocks_of(cls, a);
  std::set<hak_slab_t*> slabs;
  for (void* p : a) slabs.insert(slab_of(p));
  EXPECT_GE(slabs.size(), 3u);
  for (void* p : a) memset(p, 0x77, hak_class_size(cls));  // the whole block is usable
  flush(cls, a);
  std::vector<void*> b = refill(cls, 10);
  EXPECT_EQ(std::set<void*>(a.begin(), a.end()), std::set<void*>(b.begin(), b.end()));
  flush(cls, b);
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// Repeated round trips of varying sizes never duplicate a block and never lose one.
TEST(Central, ManyRoundTripsConserveBlocks) {
  const unsigned cls = 8;  // 160-byte blocks, 409 per slab
  const uint64_t slabs0 = live_slabs();
  std::vector<void*> held;
  uint64_t seed = 1;
  for (int round = 0; round < 2000; round++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    unsigned take = (unsigned)(seed >> 33) % 200;
    std::vector<void*> got = refill(cls, take);
    held.insert(held.end(), got.begin(), got.end());
    unsigned give = held.empty() ? 0 : (unsigned)(seed >> 17) % (unsigned)held.size();
    // Give back a slice from the middle.
    size_t from = held.size() - give;
    std::vector<void*> back(held.begin() + (long)from, held.end());
    held.resize(from);
    flush(cls, back);
    if (round % 100 == 0) {
      expect_blocks_of(cls, held);
      if (HasFatalFailure()) return;
    }
  }
  expect_blocks_of(cls, held);
  flush(cls, held);
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0) << "a block was lost: its slab never became empty";
}

// Threads refill and flush the same class concurrently; a block written by one thread must not be
// handed to another while it holds it.
TEST(Central, ConcurrentRefillAndFlush) {
  const unsigned cls = 10;  // 224-byte blocks
  const uint64_t slabs0 = live_slabs();
  std::atomic<uint64_t> clashes{0};
  std::atomic<uint64_t> short_refills{0};
  auto worker = [&](uint64_t id) {
    void* blocks[64];
    for (int round = 0; round < 5000; round++) {
      unsigned n = 1 + (unsigned)((id * 31 + (uint64_t)round * 7) % 64);
      unsigned got = hak_central_refill(cls, blocks, n);
      if (got != n) short_refills++;
      uint64_t tag = (id << 32) | (uint64_t)round;
      for (unsigned i = 0; i < got; i++) {
        memcpy(blocks[i], &tag, sizeof tag);
        memcpy((uint8_t*)blocks[i] + 200, &tag, sizeof tag);
      }
      std::this_thread::yield();
      for (unsigned i = 0; i < got; i++) {
        uint64_t a, b;
        memcpy(&a, blocks[i], sizeof a);
        memcpy(&b, (uint8_t*)blocks[i] + 200, sizeof b);
        if (a != tag || b != tag) clashes++;
      }
      hak_central_flush(cls, blocks, got);
    }
  };
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; t++) threads.emplace_back(worker, t + 1);
  for (auto& t : threads) t.join();
  EXPECT_EQ(clashes.load(), 0u);
  EXPECT_EQ(short_refills.load(), 0u);
  hak_central_drain();
  EXPECT_EQ(hak_central_transfer_count(cls), 0u);
  EXPECT_EQ(live_slabs(), slabs0);
}

}  // namespace
