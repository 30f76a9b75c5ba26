// central box: refill and flush in batches conserve blocks. Refill N, flush them back, refill again:
// the same blocks come back, none twice, none lost, and the slabs' counts of blocks in use return to
// zero once everything is back. Each test uses its own size class; nothing else in this process
// allocates through hakmem (gtest keeps glibc's malloc).
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/central/central.h"
#include "hakmem/box/release/release.h"
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
    ASSERT_EQ(hak_page_class(hak_page_of((uintptr_t)p)), cls);
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

// ---- ownership: a refill carves the caller's slabs, never a live other thread's -----------------

// The free info of every page of slab s names owner (free() reads the info of the block's page).
void expect_owner(hak_slab_t* s, uint16_t owner) {
  for (unsigned i = 0; i < s->npages; i++) EXPECT_EQ(hak_page_info(&s[i])->owner, owner) << "page " << i << " of the slab";
}

TEST(Central, RefillLeavesLiveOwnersSlabsAndAdoptsExitedOnes) {
  const unsigned cls = 33;  // 12 KiB blocks, 10 per two-page slab
  ASSERT_EQ(hak_class_info[cls].slab_pages, 2u);
  const uint64_t slabs0 = live_slabs();
  std::atomic<int> step{0};
  std::vector<void*> a;
  uint16_t a_id = 0;
  std::thread ta([&] {
    hak_central_thread_start();
    a_id = hak_central_self;
    a = refill(cls, 3);
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    hak_central_thread_exit();  // its blocks are still out: the slab stays, free to adopt
  });
  while (step.load() != 1) std::this_thread::yield();
  ASSERT_NE(a_id, 0);
  hak_slab_t* sa = slab_of(a[0]);
  expect_owner(sa, a_id);

  hak_central_thread_start();
  const uint16_t me = hak_central_self;
  ASSERT_NE(me, 0);
  ASSERT_NE(me, a_id);
  std::vector<void*> m = refill(cls, 3);
  for (void* p : m) EXPECT_NE(slab_of(p), sa) << "a live thread's slab was carved by another";
  expect_owner(slab_of(m[0]), me);

  step = 2;
  ta.join();
  std::vector<void*> m2 = refill(cls, 3);  // its own slab first (7 blocks left), then adopted ones
  for (void* p : m2) EXPECT_EQ(slab_of(p), slab_of(m[0]));
  std::vector<void*> c;
  uint16_t c_id = 0;
  std::thread tc([&] {  // a new thread adopts the exited one's slab, not the live main thread's
    hak_central_thread_start();
    c_id = hak_central_self;
    c = refill(cls, 3);
    hak_central_thread_exit();
  });
  tc.join();
  for (void* p : c) EXPECT_EQ(slab_of(p), sa);
  expect_owner(sa, c_id);

  for (auto* v : {&a, &m, &m2, &c}) flush(cls, *v);
  hak_central_thread_exit();
  EXPECT_EQ(hak_central_self, 0);
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// A slab hands out its free blocks lowest address first, whatever order they came back in, so that
// what a program allocates in a row lies together (docs/perf.md, "Block order").
TEST(Central, RefillHandsOutTheLowestFreeBlocksFirst) {
  const unsigned cls = 6;  // 112-byte blocks, 585 per slab
  const uint64_t slabs0 = live_slabs();
  hak_central_thread_start();
  std::vector<void*> a = refill(cls, 300);
  expect_blocks_of(cls, a);
  hak_slab_t* s = slab_of(a[0]);
  for (void* p : a) ASSERT_EQ(slab_of(p), s) << "one slab";
  // Every third block back, in a shuffled order, past the transfer cache (drained to the slab).
  std::vector<void*> back;
  for (size_t i = 0; i < a.size(); i += 3) back.push_back(a[i]);
  std::vector<void*> shuffled = back;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 37, shuffled.end());
  flush(cls, shuffled);
  hak_central_drain();
  EXPECT_EQ(s->nfree, back.size());
  std::vector<void*> again = refill(cls, (unsigned)back.size() + 5);
  std::vector<void*> first(again.begin(), again.begin() + (long)back.size());
  EXPECT_EQ(first, back) << "the free blocks, in ascending address order";
  for (size_t i = back.size(); i < again.size(); i++)
    EXPECT_EQ(again[i], (uint8_t*)a.back() + (i - back.size() + 1) * hak_class_size(cls)) << "then fresh ones, in order";
  for (size_t i = 0; i < a.size(); i += 3) a[i] = nullptr;
  a.erase(std::remove(a.begin(), a.end(), nullptr), a.end());
  flush(cls, a);
  flush(cls, again);
  hak_central_thread_exit();
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// A block flushed twice (a double free that reached the slab) is free once: the slab's count of
// blocks in use stays right, so it is not emptied under blocks still in use.
TEST(Central, ABlockFlushedTwiceIsFreedOnce) {
  const unsigned cls = 7;  // 128-byte blocks
  const uint64_t slabs0 = live_slabs();
  hak_central_thread_start();
  std::vector<void*> a = refill(cls, 10);
  hak_slab_t* s = slab_of(a[0]);
  std::vector<void*> twice = {a[3], a[3], a[4]};
  flush(cls, twice);
  hak_central_drain();
  EXPECT_EQ(s->used, 8u);
  EXPECT_EQ(s->nfree, 2u);
  std::vector<void*> rest;
  for (void* p : a)
    if (p != a[3] && p != a[4]) rest.push_back(p);
  flush(cls, {rest.begin(), rest.begin() + 7});
  hak_central_drain();
  EXPECT_EQ(s->used, 1u) << "one block still in use";
  EXPECT_EQ(s->magic, HAK_SLAB_MAGIC) << "the slab lives";
  flush(cls, {rest.back()});
  hak_central_thread_exit();
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// A refill that finds no slab of its own to carve takes the free blocks of a live thread's slab
// before it carves a new one, without carving that slab or adopting it: with threads that pass
// blocks to each other, free blocks gather in every thread's slabs, and carving past them grew
// prodcons's heap with the number of threads (docs/memory.md).
TEST(Central, RefillReusesFreeBlocksOfALiveOwnersSlabBeforeANewSlab) {
  const unsigned cls = 36;  // 20 KiB blocks, 9 per three-page slab: a free block spans 5 OS pages
  ASSERT_EQ(hak_class_info[cls].blocks, 9u);
  const uint64_t slabs0 = live_slabs();
  std::atomic<int> step{0};
  std::vector<void*> a, freed;
  uint16_t a_id = 0;
  std::thread ta([&] {
    hak_central_thread_start();
    a_id = hak_central_self;
    a = refill(cls, 5);  // 5 of its new slab's 9 carved
    freed.assign(a.begin(), a.begin() + 2);
    a.erase(a.begin(), a.begin() + 2);
    flush(cls, freed);
    hak_central_drain();  // from the transfer cache to the slab, whose free pages it purges
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    hak_central_thread_exit();
  });
  while (step.load() != 1) std::this_thread::yield();
  hak_slab_t* sa = slab_of(a[0]);
  for (void* p : freed) ASSERT_EQ(slab_of(p), sa);
  EXPECT_EQ(sa->nfree, 2u) << "the two free blocks stay free in the slab, purged or not";
  EXPECT_EQ(live_slabs(), slabs0 + 1);

  hak_central_thread_start();
  const uint16_t me = hak_central_self;
  ASSERT_NE(me, a_id);
  std::vector<void*> m = refill(cls, 3);
  expect_blocks_of(cls, m);
  EXPECT_EQ(std::set<void*>(m.begin(), m.begin() + 2), std::set<void*>(freed.begin(), freed.end()))
      << "the live thread's free blocks first";
  EXPECT_EQ(sa->carved, 5u) << "a live thread's slab is not carved by another";
  expect_owner(sa, a_id);
  hak_slab_t* sm = slab_of(m[2]);
  EXPECT_NE(sm, sa) << "then a slab of its own";
  expect_owner(sm, me);
  EXPECT_EQ(live_slabs(), slabs0 + 2);

  step = 2;
  ta.join();
  flush(cls, a);
  flush(cls, m);
  hak_central_thread_exit();
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// ---- purge: the free OS pages of a live slab go back to the OS ---------------------------------

// Whether the 4 KiB page holding p is resident.
bool resident(const void* p) {
  unsigned char v = 0;
  void* page = (void*)((uintptr_t)p & ~(uintptr_t)4095);
  EXPECT_EQ(mincore(page, 4096, &v), 0);
  return v & 1;
}

// Pages of [p, p + n) that are resident.
unsigned resident_pages(const void* p, size_t n) {
  unsigned r = 0;
  for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095; a < (uintptr_t)p + n; a += 4096) r += resident((void*)a);
  return r;
}

// Restores the profile's policy when a test changed it.
struct PolicyScope {
  explicit PolicyScope(hak_release_policy_t p) { hak_release_configure(p, 8u << 20); }
  ~PolicyScope() { hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8u << 20); }
};

// One slab of 64 blocks of 1 KiB: one block kept, the other 63 freed. A purge decommits the 15 OS
// pages that hold only free blocks, keeps the one with the kept block, and the 63 blocks all come
// back (exactly once) when the class needs them again.
TEST(Central, PurgeDecommitsTheFreePagesOfALiveSlab) {
  const unsigned cls = 19;
  ASSERT_EQ(hak_class_size(cls), 1024u);
  const unsigned n = hak_class_info[cls].blocks;
  const uint64_t slabs0 = live_slabs();
  std::vector<void*> a = refill(cls, n);
  expect_blocks_of(cls, a);
  hak_slab_t* s = slab_of(a[0]);
  for (void* p : a) {
    ASSERT_EQ(slab_of(p), s) << "one slab";
    memset(p, 0xab, 1024);
  }
  void* kept = s->start;  // block 0: OS page 0
  std::vector<void*> back;
  for (void* p : a)
    if (p != kept) back.push_back(p);
  std::reverse(back.begin(), back.end());
  flush(cls, back);
  EXPECT_EQ(resident_pages(s->start, 64 * 1024), 16u) << "nothing purged before the drain";
  hak_central_drain();
  EXPECT_TRUE(resident(kept));
  EXPECT_EQ(resident_pages(s->start, 64 * 1024), 1u) << "the 15 pages without a live block are decommitted";
  EXPECT_EQ(*(uint8_t*)kept, 0xab) << "the kept block is intact";
  EXPECT_EQ(s->used, 1u);
  EXPECT_EQ(live_slabs(), slabs0 + 1) << "the slab itself stays";

  std::vector<void*> b = refill(cls, n - 1);
  expect_blocks_of(cls, b);
  EXPECT_EQ(std::set<void*>(back.begin(), back.end()), std::set<void*>(b.begin(), b.end()));
  for (void* p : b) memset(p, 0xcd, 1024);  // usable again (the pages fault back in)
  EXPECT_EQ(*(uint8_t*)kept, 0xab);
  flush(cls, b);
  flush(cls, {kept});
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0);
}

// Blocks that straddle OS pages (80 bytes) and blocks larger than a page (7 KiB, 80 KiB): a page is
// decommitted only when every block over it is free, never under a block in use.
TEST(Central, PurgeNeverTakesAPageUnderABlockInUse) {
  for (unsigned cls : {4u, 30u, 44u}) {
    SCOPED_TRACE(testing::Message() << "class " << cls << ", " << hak_class_size(cls) << " bytes");
    const size_t bs = hak_class_size(cls);
    const unsigned n = hak_class_info[cls].blocks;
    const uint64_t slabs0 = live_slabs();
    std::vector<void*> a = refill(cls, n);
    hak_slab_t* s = slab_of(a[0]);
    for (void* p : a) ASSERT_EQ(slab_of(p), s);
    std::sort(a.begin(), a.end());
    for (size_t i = 0; i < a.size(); i++) memset(a[i], (int)(i & 0x7f) + 1, bs);
    // Keep every seventh block (and the first straddling one), free the rest.
    std::vector<void*> keep, back;
    for (size_t i = 0; i < a.size(); i++) (i % 7 == 3 ? keep : back).push_back(a[i]);
    flush(cls, back);
    hak_central_drain();
    size_t slab_len = (size_t)s->npages * 65536;
    unsigned expect_resident = 0;
    for (uintptr_t pg = (uintptr_t)s->start; pg < (uintptr_t)s->start + slab_len; pg += 4096) {
      bool under_kept = false;
      for (void* k : keep)
        if ((uintptr_t)k < pg + 4096 && (uintptr_t)k + bs > pg) under_kept = true;
      if (under_kept) {
        EXPECT_TRUE(resident((void*)pg)) << "page at offset " << (pg - (uintptr_t)s->start) << " holds a block in use";
        expect_resident++;
      }
    }
    EXPECT_EQ(resident_pages(s->start, slab_len), expect_resident) << "every other page is decommitted";
    for (void* k : keep) {
      size_t i = (size_t)(std::find(a.begin(), a.end(), k) - a.begin());
      for (size_t off = 0; off < bs; off += 61) ASSERT_EQ(((uint8_t*)k)[off], (uint8_t)((i & 0x7f) + 1));
    }
    // Everything freed comes back exactly once, in use alongside the kept blocks.
    std::vector<void*> b = refill(cls, (unsigned)back.size());
    expect_blocks_of(cls, b);
    EXPECT_EQ(std::set<void*>(back.begin(), back.end()), std::set<void*>(b.begin(), b.end()));
    flush(cls, b);
    flush(cls, keep);
    hak_central_drain();
    EXPECT_EQ(live_slabs(), slabs0);
  }
}

// LEAN purges at the flush itself: no drain needed, no transfer cache.
TEST(Central, LeanPurgesAtTheFlush) {
  PolicyScope lean(HAK_RELEASE_LEAN);
  const unsigned cls = 20;  // 1280 bytes, 51 per slab
  const unsigned n = hak_class_info[cls].blocks;
  std::vector<void*> a = refill(cls, n);
  uint8_t* start = slab_of(a[0])->start;
  for (void* p : a) memset(p, 1, hak_class_size(cls));
  std::sort(a.begin(), a.end());
  std::vector<void*> back(a.begin() + 1, a.end());
  flush(cls, back);
  EXPECT_EQ(hak_central_transfer_count(cls), 0u) << "LEAN has no transfer cache";
  EXPECT_LE(resident_pages(start, 65536), 2u) << "the flush purged the slab";
  flush(cls, {a[0]});
  // The empty slab is decommitted at once, or its SuperSlab unmapped (then mincore may not be asked).
  if (hak_region_kind((uintptr_t)start) == HAK_REGION_SUPERSLAB)
    EXPECT_EQ(resident_pages(start, 65536), 0u) << "the empty slab is decommitted at once";
}

// Random refills, flushes and purges: no block is handed out twice, none is lost, and the blocks
// held meanwhile keep their contents (a purge never decommits a page under one of them).
TEST(Central, PurgesInterleavedWithTrafficConserveBlocksAndContents) {
  const unsigned cls = 12;  // 320 bytes, 204 per slab: blocks straddle pages
  const size_t bs = hak_class_size(cls);
  const uint64_t slabs0 = live_slabs();
  std::map<void*, uint64_t> held;
  uint64_t seed = 7, tag = 0;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  for (int round = 0; round < 3000; round++) {
    unsigned take = (unsigned)(next() % 150);
    std::vector<void*> got = refill(cls, take);
    for (void* p : got) {
      ASSERT_TRUE(held.emplace(p, ++tag).second) << "handed out twice: " << p;
      for (size_t off = 0; off + 8 <= bs; off += 8) memcpy((uint8_t*)p + off, &tag, 8);
    }
    std::vector<void*> back;
    for (auto it = held.begin(); it != held.end();) {
      if (next() % 3 == 0) {
        back.push_back(it->first);
        it = held.erase(it);
      } else {
        ++it;
      }
    }
    flush(cls, back);
    if (round % 7 == 0) hak_central_drain();
    if (round % 50 == 0) {
      for (auto& [p, t] : held)
        for (size_t off = 0; off + 8 <= bs; off += 8) {
          uint64_t v;
          memcpy(&v, (uint8_t*)p + off, 8);
          ASSERT_EQ(v, t) << "block " << p << " offset " << off << " changed while held (round " << round << ")";
        }
    }
  }
  std::vector<void*> rest;
  for (auto& [p, t] : held) rest.push_back(p);
  flush(cls, rest);
  hak_central_drain();
  EXPECT_EQ(live_slabs(), slabs0) << "a block was lost: its slab never became empty";
}

}  // namespace
