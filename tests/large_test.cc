// large box: blocks above 256 KiB in their own 2 MiB-aligned mappings. Alignment, the header found
// from the user pointer (and from nothing else), the registry, growth by moving pages, the reuse
// cache (zeroing on reuse when asked) and trim. The release policy is the profile's default here.
#include <stdint.h>
#include <string.h>

#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/large/large.h"
#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/superslab/superslab.h"
}
#include "tests/common/vm_flags.h"

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

hak_large_counters_t counters() {
  hak_large_counters_t c;
  hak_large_counters_get(&c);
  return c;
}

TEST(Large, BlocksAndTheirHeaders) {
  struct Case {
    size_t size, align;
  };
  for (Case c : {Case{256 * KiB + 1, 16}, Case{1 * MiB, 16}, Case{2 * MiB - 64, 16}, Case{2 * MiB, 16},
                 Case{7 * MiB + 5, 16}, Case{100, 4096}, Case{300 * KiB, 1 * MiB}, Case{1 * MiB, 2 * MiB},
                 Case{3 * MiB, 8 * MiB}}) {
    SCOPED_TRACE(testing::Message() << c.size << " aligned " << c.align);
    hak_large_counters_t before = counters();
    uint8_t* p = (uint8_t*)hak_large_alloc(c.size, c.align, 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((uintptr_t)p % c.align, 0u);
    EXPECT_EQ((uintptr_t)p % 16, 0u);
    hak_large_t* h = hak_large_lookup(p);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ((uintptr_t)h % HAK_SS_SIZE, 0u);
    EXPECT_EQ(h->magic, HAK_LARGE_LIVE);
    EXPECT_EQ(h->user, p);
    EXPECT_GE(h->size, c.size);
    EXPECT_EQ(h->map_size % HAK_SS_SIZE, 0u);
    EXPECT_EQ((uint8_t*)h + h->map_size, p + h->size) << "the usable size reaches the end of the mapping";
    // Registry: the header's chunk, then tail chunks to the end of the mapping.
    EXPECT_EQ(hak_region_kind((uintptr_t)h), (unsigned)HAK_REGION_LARGE);
    for (size_t off = HAK_SS_SIZE; off < h->map_size; off += HAK_SS_SIZE)
      EXPECT_EQ(hak_region_kind((uintptr_t)h + off), (unsigned)HAK_REGION_LARGE_TAIL);
    // Only the user pointer finds the header.
    for (size_t off : {(size_t)1, (size_t)16, (size_t)4096, c.size - 1})
      EXPECT_EQ(hak_large_lookup(p + off), nullptr) << off;
    EXPECT_EQ(hak_large_lookup((uint8_t*)h), nullptr);
    EXPECT_EQ(hak_large_lookup(p - 16), nullptr);
    // Every byte usable.
    p[0] = 1;
    p[h->size - 1] = 2;
    hak_large_counters_t live = counters();
    EXPECT_EQ(live.live_blocks, before.live_blocks + 1);
    EXPECT_EQ(live.live_bytes, before.live_bytes + h->map_size);
    hak_large_free(h);
    hak_large_counters_t after = counters();
    EXPECT_EQ(after.live_blocks, before.live_blocks);
    EXPECT_EQ(after.live_bytes, before.live_bytes);
  }
  hak_large_trim();
}

// realloc beyond the mapping: the pages move to a larger 2 MiB-aligned mapping with one mremap, the
// header and the offset with them; the contents stay, the new tail reads zero, the old range
// leaves the registry, and the counters follow.
TEST(Large, GrowMovesThePagesWithoutCopying) {
  hak_large_trim();  // no cached mapping to grow into: the tail is fresh memory
  for (size_t align : {(size_t)16, 4 * MiB}) {
    SCOPED_TRACE(testing::Message() << "aligned " << align);
    hak_large_counters_t before = counters();
    uint8_t* p = (uint8_t*)hak_large_alloc(1 * MiB, align, 0);
    ASSERT_NE(p, nullptr);
    hak_large_t* h = hak_large_lookup(p);
    ASSERT_NE(h, nullptr);
    const size_t off = (size_t)(p - (uint8_t*)h), old_size = h->size, old_map = h->map_size;
    for (size_t i = 0; i < old_size; i++) p[i] = (uint8_t)(i * 7 + 1);
    hak_os_counters_t os0;
    hak_os_counters_get(&os0);

    uint8_t* q = (uint8_t*)hak_large_grow(h, 9 * MiB);
    ASSERT_NE(q, nullptr);
    hak_os_counters_t os1;
    hak_os_counters_get(&os1);
    EXPECT_EQ(os1.mremap_calls, os0.mremap_calls + 1);
    hak_large_t* g = hak_large_lookup(q);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ((uintptr_t)g % HAK_SS_SIZE, 0u);
    EXPECT_EQ((size_t)(q - (uint8_t*)g), off) << "the same offset from the header";
    EXPECT_EQ(g->magic, HAK_LARGE_LIVE);
    EXPECT_GE(g->size, 9 * MiB);
    EXPECT_EQ((uint8_t*)g + g->map_size, q + g->size);
    size_t bad = 0;
    for (size_t i = 0; i < old_size; i++) bad += q[i] != (uint8_t)(i * 7 + 1);
    EXPECT_EQ(bad, 0u) << "contents moved";
    EXPECT_EQ(q[g->size - 1], 0) << "the new tail is fresh memory";
    memset(q, 0xab, g->size);  // every byte of the new size usable
    EXPECT_EQ(hak_region_kind((uintptr_t)h), (unsigned)HAK_REGION_NONE) << "the old range left the registry";
    for (size_t o = HAK_SS_SIZE; o < g->map_size; o += HAK_SS_SIZE)
      EXPECT_EQ(hak_region_kind((uintptr_t)g + o), (unsigned)HAK_REGION_LARGE_TAIL);
    hak_large_counters_t live = counters();
    EXPECT_EQ(live.live_blocks, before.live_blocks + 1);
    EXPECT_EQ(live.live_bytes, before.live_bytes + g->map_size);
    EXPECT_GT(g->map_size, old_map);
    hak_large_free(g);
    EXPECT_EQ(counters().live_bytes, before.live_bytes);
  }
  hak_large_trim();
}

// Growing takes a cached mapping of about the new size when there is one (no new mapping).
TEST(Large, GrowIntoACachedMapping) {
  hak_large_trim();
  hak_release_configure(HAK_RELEASE_SPEED, 8 * MiB);  // keeps freed mappings whatever their size
  void* big = hak_large_alloc(8 * MiB, 16, 0);
  ASSERT_NE(big, nullptr);
  hak_large_free(hak_large_lookup(big));
  ASSERT_EQ(counters().cached_maps, 1u);
  uint8_t* p = (uint8_t*)hak_large_alloc(1 * MiB, 16, 0);
  ASSERT_NE(p, nullptr);
  hak_large_t* h = hak_large_lookup(p);
  for (size_t i = 0; i < h->size; i++) p[i] = (uint8_t)(i * 13 + 5);
  const size_t old_size = h->size;
  hak_os_counters_t os0;
  hak_os_counters_get(&os0);
  uint8_t* q = (uint8_t*)hak_large_grow(h, 7 * MiB);
  ASSERT_NE(q, nullptr);
  hak_os_counters_t os1;
  hak_os_counters_get(&os1);
  EXPECT_EQ(os1.mmap_calls, os0.mmap_calls) << "the cached mapping, no new one";
  EXPECT_EQ(counters().cached_maps, 0u);
  hak_large_t* g = hak_large_lookup(q);
  ASSERT_NE(g, nullptr);
  EXPECT_GE(g->size, 7 * MiB);
  size_t bad = 0;
  for (size_t i = 0; i < old_size; i++) bad += q[i] != (uint8_t)(i * 13 + 5);
  EXPECT_EQ(bad, 0u);
  memset(q, 1, g->size);
  hak_large_free(g);
  hak_large_trim();
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// The cache holds at most 64 MiB whatever the policy: big mappings not asked for again go back.
TEST(Large, CacheIsBoundedInBytes) {
  hak_large_trim();
  hak_release_configure(HAK_RELEASE_SPEED, 8 * MiB);
  std::vector<void*> ps;
  for (int i = 0; i < 5; i++) ps.push_back(hak_large_alloc(19 * MiB, 16, 0));  // 20 MiB mappings
  for (void* p : ps) {
    ASSERT_NE(p, nullptr);
    hak_large_free(hak_large_lookup(p));
  }
  hak_large_counters_t c = counters();
  EXPECT_EQ(c.cached_maps, 3u) << "three 20 MiB mappings fit in 64 MiB, not a fourth";
  EXPECT_LE(c.cached_bytes, 64 * MiB);
  hak_large_trim();
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// BALANCED beyond its budget keeps a freed mapping decommitted (its pages read zero, no RSS), and a
// new block reuses it without a new mapping.
TEST(Large, BalancedKeepsAMappingBeyondItsBudgetDecommitted) {
  hak_large_trim();
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);  // little in use: the 1 MiB floor
  uint8_t* p = (uint8_t*)hak_large_alloc(4 * MiB, 16, 0);
  ASSERT_NE(p, nullptr);
  memset(p, 0xee, 4 * MiB);
  hak_large_t* h = hak_large_lookup(p);
  ASSERT_FALSE(hak_release_keep_region(0, h->map_size));
  size_t retained_before = hak_release_retained_of(HAK_RETAINED_LARGE);
  hak_large_free(h);
  EXPECT_EQ(counters().cached_maps, 1u);
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_LARGE) - retained_before, 4096u) << "the header page only";
  // Or khugepaged, where THP is "always", could make it resident again around the header.
  EXPECT_TRUE(hakt::HugePagesKeptOut(p));
  hak_os_counters_t os0;
  hak_os_counters_get(&os0);
  uint8_t* q = (uint8_t*)hak_large_alloc(4 * MiB, 16, 0);
  hak_os_counters_t os1;
  hak_os_counters_get(&os1);
  EXPECT_EQ(q, p) << "the cached mapping is reused";
  EXPECT_EQ(os1.mmap_calls, os0.mmap_calls);
  size_t nonzero = 0;
  for (size_t i = 4096; i < 4 * MiB; i += 64) nonzero += q[i] != 0;
  EXPECT_EQ(nonzero, 0u) << "decommitted pages read zero";
  hak_large_free(hak_large_lookup(q));
  hak_large_trim();
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_LARGE), retained_before);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// A freed mapping is reused (when the policy keeps it), and a zeroed request gets zeroes even then.
TEST(Large, ReuseCacheAndZeroing) {
  hak_large_trim();
  uint8_t* p = (uint8_t*)hak_large_alloc(1 * MiB, 16, 0);
  ASSERT_NE(p, nullptr);
  memset(p, 0xff, 1 * MiB);
  hak_large_t* h = hak_large_lookup(p);
  bool committed = hak_release_keep_region(0, h->map_size);
  size_t retained_before = hak_release_retained_of(HAK_RETAINED_LARGE);
  hak_large_free(h);
  bool kept = counters().cached_maps == 1;
  EXPECT_EQ(kept, hak_release_policy() != HAK_RELEASE_LEAN) << "LEAN unmaps; the others keep it";
  if (kept) {
    EXPECT_EQ(h->magic, HAK_LARGE_FREED);
    EXPECT_EQ(counters().cached_bytes, h->map_size);
    // Within the budget it stays committed; beyond it (BALANCED) only its header page counts.
    EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_LARGE) - retained_before, committed ? h->map_size : 4096);
  } else {
    EXPECT_EQ(hak_region_kind((uintptr_t)h), (unsigned)HAK_REGION_NONE);
  }
  uint8_t* q = (uint8_t*)hak_large_alloc(1 * MiB + 4096, 16, 1);
  ASSERT_NE(q, nullptr);
  if (kept) EXPECT_EQ(q, p) << "the cached mapping is reused";
  for (size_t i = 0; i < 1 * MiB + 4096; i += 8) {
    uint64_t w;
    memcpy(&w, q + i, 8);
    ASSERT_EQ(w, 0u) << "offset " << i;
  }
  hak_large_free(hak_large_lookup(q));
  hak_large_trim();
  EXPECT_EQ(counters().cached_maps, 0u);
  EXPECT_EQ(counters().cached_bytes, 0u);
  EXPECT_EQ(hak_region_kind((uintptr_t)h), (unsigned)HAK_REGION_NONE) << "trim unmaps and unregisters";
}

// The cache is bounded however many blocks are freed.
TEST(Large, CacheIsBounded) {
  hak_large_trim();
  std::vector<uint8_t*> ps;
  for (int i = 0; i < 40; i++) ps.push_back((uint8_t*)hak_large_alloc(300 * KiB, 16, 0));
  for (uint8_t* p : ps) {
    ASSERT_NE(p, nullptr);
    hak_large_free(hak_large_lookup(p));
  }
  hak_large_counters_t c = counters();
  EXPECT_LE(c.cached_maps, 16u);
  EXPECT_EQ(c.live_blocks, 0u);
  hak_large_trim();
  EXPECT_EQ(counters().cached_maps, 0u);
}

TEST(Large, ImpossibleSizesFail) {
  for (size_t n : {SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 47, ((size_t)1 << 47) - 4096})
    EXPECT_EQ(hak_large_alloc(n, 16, 0), nullptr) << n;
  EXPECT_EQ(counters().live_blocks, 0u);
}

}  // namespace
