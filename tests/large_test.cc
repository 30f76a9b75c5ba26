// large box: blocks above 256 KiB as page-granular spans. Whole pages found only from their first
// byte, freed spans merged and split for later requests without system calls, double frees and
// interior pointers told apart, realloc in place or by moving pages, the release policy, trim.
#include <signal.h>
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

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;

hak_large_counters_t counters() {
  hak_large_counters_t c;
  hak_large_counters_get(&c);
  return c;
}

hak_os_counters_t os() {
  hak_os_counters_t c;
  hak_os_counters_get(&c);
  return c;
}

// Bytes mapped for blocks: everything hakmem mapped but the SuperSlabs and the metadata.
uint64_t block_bytes_mapped() {
  hak_ss_counters_t ss;
  hak_ss_counters_get(&ss);
  return os().bytes_mapped - ss.superslabs * HAK_SS_SIZE - counters().meta_bytes;
}

// Runs with a release policy, then restores the profile's and leaves no free span behind.
struct Policy {
  explicit Policy(hak_release_policy_t p) {
    hak_large_trim();
    hak_release_configure(p, 8 * MiB);
  }
  ~Policy() {
    hak_large_trim();
    hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
  }
};

uint8_t* alloc(size_t size, size_t align = 16, int zero = 0) { return (uint8_t*)hak_large_alloc(size, align, zero); }
void release(void* p) {
  hak_large_t* h = hak_large_lookup(p);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->magic, HAK_LARGE_LIVE);
  hak_large_free(h);
}

// Spans, merging, reuse and resizing: every profile but safe (below).
#if !defined(HAK_PROFILE_SAFE)
TEST(Large, BlocksAreWholePagesFoundOnlyFromTheirStart) {
  Policy lean(HAK_RELEASE_LEAN);  // every block a fresh mapping
  struct Case {
    size_t size, align;
  };
  for (Case c : {Case{256 * KiB + 1, 16}, Case{1 * MiB, 16}, Case{2 * MiB, 16}, Case{7 * MiB + 5, 16},
                 Case{100, 4096}, Case{300 * KiB, 1 * MiB}, Case{1 * MiB, 2 * MiB}, Case{3 * MiB, 8 * MiB}}) {
    SCOPED_TRACE(testing::Message() << c.size << " aligned " << c.align);
    hak_large_counters_t before = counters();
    uint64_t mapped = block_bytes_mapped();
    uint8_t* p = alloc(c.size, c.align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((uintptr_t)p % c.align, 0u);
    EXPECT_EQ((uintptr_t)p % HAK_OS_PAGE, 0u);
    hak_large_t* h = hak_large_lookup(p);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->magic, HAK_LARGE_LIVE);
    EXPECT_EQ(h->user, p);
    const size_t pages = (c.size + HAK_OS_PAGE - 1) / HAK_OS_PAGE * HAK_OS_PAGE;
    EXPECT_EQ(h->size, pages);
    // Address space: the block's pages and nothing else (no header, no rounding to 2 MiB).
    EXPECT_EQ(block_bytes_mapped() - mapped, pages);
    for (size_t off : {(size_t)1, (size_t)16, (size_t)4096, pages - 4096, c.size - 1}) {
      if (off == 0 || off >= pages) continue;
      EXPECT_EQ(hak_large_lookup(p + off), nullptr) << off;
      size_t size = 0;
      EXPECT_EQ(hak_large_diagnose(p + off, &size), HAK_LARGE_INTERIOR) << off;
      EXPECT_EQ(size, pages);
    }
    EXPECT_EQ(hak_large_lookup(p - 4096), nullptr);
    size_t size;
    memset(p, 0x5a, h->size);  // every byte usable
    hak_large_counters_t live = counters();
    EXPECT_EQ(live.live_blocks, before.live_blocks + 1);
    EXPECT_EQ(live.live_bytes, before.live_bytes + pages);
    hak_large_free(h);
    hak_large_counters_t after = counters();
    EXPECT_EQ(after.live_blocks, before.live_blocks);
    EXPECT_EQ(after.live_bytes, before.live_bytes);
    EXPECT_EQ(after.free_spans, 0u) << "LEAN unmaps at once";
    EXPECT_EQ(block_bytes_mapped(), mapped);
    EXPECT_EQ(hak_large_lookup(p), nullptr) << "the range left the page map";
    EXPECT_EQ(hak_large_diagnose(p, &size), HAK_LARGE_WAS_FREED) << "its start is remembered";
    EXPECT_EQ(size, pages);
    EXPECT_EQ(hak_large_diagnose(p + 4096, &size), HAK_LARGE_NOT_OURS);
  }
}

// A freed span serves smaller requests by splitting (no system call), and the pieces merge back
// into one span as they are freed, in any order.
TEST(Large, FreedSpansSplitAndMerge) {
  Policy speed(HAK_RELEASE_SPEED);
  uint8_t* x = alloc(8 * MiB);
  ASSERT_NE(x, nullptr);
  release(x);
  ASSERT_EQ(counters().free_spans, 1u);
  ASSERT_EQ(counters().free_bytes, 8 * MiB);
  hak_os_counters_t os0 = os();
  uint8_t* a = alloc(2 * MiB);
  uint8_t* b = alloc(3 * MiB);
  uint8_t* c = alloc(3 * MiB - 4096);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls) << "carved from the free span";
  for (uint8_t* p : {a, b, c}) EXPECT_TRUE(p >= x && p < x + 8 * MiB);
  EXPECT_EQ(counters().free_spans, 1u) << "the last page is left";
  EXPECT_EQ(counters().free_bytes, 4096u);
  release(a);
  release(c);
  EXPECT_EQ(counters().free_spans, 2u);
  release(b);
  EXPECT_EQ(counters().free_spans, 1u) << "merged back";
  EXPECT_EQ(counters().free_bytes, 8 * MiB);
  uint8_t* y = alloc(8 * MiB, 16, 1);
  EXPECT_EQ(y, x);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls);
  size_t nonzero = 0;
  for (size_t i = 0; i < 8 * MiB; i += 512) nonzero += y[i] != 0;
  EXPECT_EQ(nonzero, 0u) << "a reused span is zeroed when asked";
  release(y);
  // An aligned request splits off the pages before its boundary too.
  uint8_t* z = alloc(1 * MiB, 4 * MiB);
  ASSERT_NE(z, nullptr);
  EXPECT_EQ((uintptr_t)z % (4 * MiB), 0u);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls);
  release(z);
  EXPECT_EQ(counters().free_spans, 1u);
}

// After a merge the freed block's start is still known as freed (a second free is a double free
// of that size), and a pointer into a free span past any block start is not a block.
TEST(Large, FreedStartsStayKnownAfterMerging) {
  Policy speed(HAK_RELEASE_SPEED);
  uint8_t* x = alloc(8 * MiB);
  ASSERT_NE(x, nullptr);
  release(x);
  uint8_t* a = alloc(2 * MiB);
  uint8_t* b = alloc(1 * MiB);
  ASSERT_EQ(b, a + 2 * MiB);
  release(a);
  release(b);  // merges into a's span: b's start is inside it now
  size_t size = 0;
  EXPECT_EQ(hak_large_diagnose(a, &size), HAK_LARGE_WAS_FREED);
  EXPECT_EQ(size, 2 * MiB);
  EXPECT_EQ(hak_large_diagnose(b, &size), HAK_LARGE_WAS_FREED);
  EXPECT_EQ(size, 1 * MiB);
  EXPECT_EQ(hak_large_diagnose(a + 4096, &size), HAK_LARGE_NOT_OURS);
  EXPECT_EQ(hak_large_lookup(b), nullptr);
  hak_large_t* h = hak_large_lookup(a);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->magic, HAK_LARGE_FREED) << "a free span, not a block";
}

// realloc: shrinking gives the tail back; growing takes the free span that follows, in place; with
// none, the OS moves the pages (one mremap, no copy) and the contents follow.
TEST(Large, ResizeInPlaceOrByMovingPages) {
  Policy speed(HAK_RELEASE_SPEED);
  uint8_t* x = alloc(8 * MiB);
  ASSERT_NE(x, nullptr);
  for (size_t i = 0; i < 8 * MiB; i += 4096) x[i] = (uint8_t)(i >> 12);
  hak_large_t* h = hak_large_lookup(x);
  EXPECT_EQ(hak_large_resize(h, 3 * MiB), x);
  EXPECT_EQ(h->size, 3 * MiB);
  EXPECT_EQ(counters().live_bytes, 3 * MiB);
  EXPECT_EQ(counters().free_bytes, 5 * MiB) << "the tail is a free span";
  hak_os_counters_t os0 = os();
  EXPECT_EQ(hak_large_resize(h, 6 * MiB + 1), x) << "grows into the free tail";
  EXPECT_EQ(h->size, 6 * MiB + 4096);
  EXPECT_EQ(os().mremap_calls, os0.mremap_calls);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls);
  EXPECT_EQ(counters().free_bytes, 2 * MiB - 4096);
  size_t bad = 0;
  for (size_t i = 0; i < 3 * MiB; i += 4096) bad += x[i] != (uint8_t)(i >> 12);
  EXPECT_EQ(bad, 0u);
  // Beyond the free tail: moved by the OS.
  uint8_t* q = (uint8_t*)hak_large_resize(h, 40 * MiB);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(os().mremap_calls, os0.mremap_calls + 1);
  EXPECT_EQ(hak_large_lookup(q), h);
  EXPECT_EQ(h->size, 40 * MiB);
  bad = 0;
  for (size_t i = 0; i < 3 * MiB; i += 4096) bad += q[i] != (uint8_t)(i >> 12);
  EXPECT_EQ(bad, 0u) << "contents moved";
  memset(q, 0xab, 40 * MiB);
  if (q != x) EXPECT_EQ(hak_large_lookup(x), nullptr) << "the old start left the page map";
  EXPECT_EQ(counters().live_bytes, 40 * MiB);
  hak_large_free(h);
  EXPECT_EQ(counters().live_blocks, 0u);
}

// Growing where no free span follows: the pages move over the start of a free span elsewhere that
// holds the new size (one mremap, no new mapping), which keeps the rest of its pages.
TEST(Large, ResizeMovesIntoAFreeSpan) {
  Policy speed(HAK_RELEASE_SPEED);
  uint8_t* x = alloc(1 * MiB);
  uint8_t* guard = alloc(1 * MiB);
  uint8_t* y = alloc(16 * MiB);
  ASSERT_TRUE(x && guard && y);
  memset(y, 0x77, 16 * MiB);
  release(y);
  for (size_t i = 0; i < 1 * MiB; i += 4096) x[i] = (uint8_t)(i >> 12);
  hak_large_t* h = hak_large_lookup(x);
  hak_large_t* after = hak_large_lookup(x + 1 * MiB);
  uint8_t* plug = nullptr;  // where the OS put y right after x: a page of it keeps x from growing in place
  if (after && after->magic == HAK_LARGE_FREED) {
    plug = alloc(4096);
    ASSERT_EQ(plug, x + 1 * MiB);
  }
  hak_os_counters_t os0 = os();
  uint8_t* q = (uint8_t*)hak_large_resize(h, 8 * MiB);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(q >= y && q + 8 * MiB <= y + 16 * MiB) << "inside the free span";
  EXPECT_EQ(os().mremap_calls, os0.mremap_calls + 1);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls);
  size_t bad = 0;
  for (size_t i = 0; i < 1 * MiB; i += 4096) bad += q[i] != (uint8_t)(i >> 12);
  EXPECT_EQ(bad, 0u) << "contents moved";
  EXPECT_EQ(q[1 * MiB], 0x77) << "the span's own pages past the moved ones stay (not zeroed: realloc)";
  EXPECT_EQ(hak_large_lookup(x), nullptr) << "the old range left the page map";
  EXPECT_EQ(counters().live_bytes, 9 * MiB);
  release(q);
  release(guard);
  if (plug) release(plug);
}

// BALANCED keeps freed spans up to its budget or three times what its large blocks have in use,
// whichever is more, and unmaps the oldest beyond it.
TEST(Large, BalancedKeepsWithinThreeTimesItsLargeBlocksOldestGoesFirst) {
  Policy balanced(HAK_RELEASE_BALANCED);
  // The six blocks below carved in order from one free span (kept under SPEED): three 2 MiB live
  // blocks keep the freed 8 MiB ones apart (unmerged), 6 MiB in use, so up to 18 MiB of free spans
  // stay (over the budget's floor). Two 8 MiB spans fit, a third does not.
  hak_release_configure(HAK_RELEASE_SPEED, 8 * MiB);
  release(alloc(30 * MiB));
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  uint8_t* a = alloc(8 * MiB);
  uint8_t* g1 = alloc(2 * MiB);
  uint8_t* b = alloc(8 * MiB);
  uint8_t* g2 = alloc(2 * MiB);
  uint8_t* c = alloc(8 * MiB);
  uint8_t* g3 = alloc(2 * MiB);
  ASSERT_TRUE(a && g1 && b && g2 && c && g3);
  ASSERT_TRUE(g1 == a + 8 * MiB && c == b + 10 * MiB && g3 == c + 8 * MiB) << "carved in order";
  size_t retained = hak_release_retained_of(HAK_RETAINED_LARGE);
  release(a);
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_LARGE), retained + 8 * MiB);
  release(b);
  EXPECT_EQ(counters().free_bytes, 16 * MiB) << "within three times the large blocks in use";
  release(c);
  hak_large_counters_t k = counters();
  EXPECT_EQ(k.free_spans, 2u);
  EXPECT_EQ(k.free_bytes, 16 * MiB);
  EXPECT_EQ(hak_large_lookup(a), nullptr) << "the oldest went first";
  EXPECT_NE(hak_large_lookup(b), nullptr);
  EXPECT_NE(hak_large_lookup(c), nullptr);
  // With the live blocks gone, the budget alone: the two spans merge with the guards' and go.
  release(g1);
  release(g2);
  release(g3);
  EXPECT_LE(counters().free_bytes, hak_release_budget()) << "little in use: the budget";
}

TEST(Large, TrimUnmapsEveryFreeSpan) {
  Policy speed(HAK_RELEASE_SPEED);
  std::vector<uint8_t*> ps;
  for (int i = 0; i < 20; i++) ps.push_back(alloc(300 * KiB + i * 64 * KiB));
  uint64_t mapped = block_bytes_mapped();
  for (uint8_t* p : ps) {
    ASSERT_NE(p, nullptr);
    release(p);
  }
  EXPECT_GT(counters().free_spans, 0u);
  EXPECT_EQ(block_bytes_mapped(), mapped) << "SPEED keeps them";
  hak_large_trim();
  EXPECT_EQ(counters().free_spans, 0u);
  EXPECT_EQ(counters().free_bytes, 0u);
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_LARGE), 0u);
  EXPECT_EQ(block_bytes_mapped(), 0u);
  size_t size;
  for (uint8_t* p : ps) EXPECT_EQ(hak_large_lookup(p), nullptr);
  // A freed block's start is known as freed after its pages went back to the OS.
  EXPECT_EQ(hak_large_diagnose(ps.back(), &size), HAK_LARGE_WAS_FREED);
  EXPECT_EQ(size, 300 * KiB + 19 * 64 * KiB);
}

#endif  // !HAK_PROFILE_SAFE

#if defined(HAK_PROFILE_SAFE)
// How a stray access ends: killed by SIGSEGV; under AddressSanitizer, its report and exit code 1.
#if defined(__SANITIZE_ADDRESS__)
#define HAKT_FAULTED ::testing::ExitedWithCode(1)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAKT_FAULTED ::testing::ExitedWithCode(1)
#endif
#endif
#ifndef HAKT_FAULTED
#define HAKT_FAULTED ::testing::KilledBySignal(SIGSEGV)
#endif

// safe (HAK_CFG_CHECK_FREE): every block a new mapping with an inaccessible guard page after it; a freed block
// inaccessible in the quarantine (at most HAK_LARGE_QUARANTINE blocks and
// HAK_LARGE_QUARANTINE_BYTES), then unmapped, its start still known as freed.
TEST(Large, SafeGuardsEveryBlockAndQuarantinesFreedOnes) {
  hak_large_trim();
  release(alloc(1 * MiB));  // the page map's leaf and a descriptor pool: mapped once
  hak_os_counters_t os0 = os();
  uint8_t* p = alloc(1 * MiB);
  ASSERT_NE(p, nullptr);
  memset(p, 1, 1 * MiB);
  EXPECT_EQ(os().mmap_calls, os0.mmap_calls + 1) << "a new mapping, though a freed block of that size waits";
  const void* block = nullptr;
  size_t size = 0;
  EXPECT_EQ(hak_large_fault((uintptr_t)p + 1 * MiB, &block, &size), HAK_LARGE_OVERFLOW);
  EXPECT_EQ(block, p);
  EXPECT_EQ(size, 1 * MiB);
  EXPECT_EQ(hak_large_fault((uintptr_t)p + 4096, &block, &size), HAK_LARGE_NO_FAULT) << "inside a live block";
  EXPECT_EXIT(p[1 * MiB] = 1, HAKT_FAULTED, "") << "the guard page";
  release(p);
  EXPECT_EQ(hak_large_fault((uintptr_t)p + 100, &block, &size), HAK_LARGE_FREED_ACCESS);
  EXPECT_EQ(block, p);
  EXPECT_EXIT(p[100] = 1, HAKT_FAULTED, "") << "freed: inaccessible";
  size_t was = 0;
  EXPECT_EQ(hak_large_diagnose(p, &was), HAK_LARGE_WAS_FREED);
  EXPECT_EQ(was, 1 * MiB);
  // 80 more freed blocks of 300 KiB: the first leaves the quarantine, whose bounds hold.
  std::vector<uint8_t*> ps;
  for (int i = 0; i < 80; i++) ps.push_back(alloc(300 * KiB));
  for (uint8_t* q : ps) release(q);
  EXPECT_EQ(hak_large_fault((uintptr_t)p + 100, &block, &size), HAK_LARGE_NO_FAULT) << "left the quarantine";
  EXPECT_EQ(hak_large_diagnose(p, &was), HAK_LARGE_WAS_FREED) << "still known as freed";
  EXPECT_LE(counters().free_bytes, HAK_LARGE_QUARANTINE_BYTES);
  EXPECT_EQ(hak_large_fault((uintptr_t)ps.back(), &block, &size), HAK_LARGE_FREED_ACCESS);
  // Growing moves the pages into a new guarded block (no copy); the old range is a freed block.
  uint8_t* r = alloc(1 * MiB);
  memset(r, 7, 1 * MiB);
  hak_os_counters_t os1 = os();
  uint8_t* g = (uint8_t*)hak_large_resize(hak_large_lookup(r), 2 * MiB);
  ASSERT_NE(g, nullptr);
  EXPECT_NE(g, r);
  EXPECT_EQ(os().mremap_calls, os1.mremap_calls + 1) << "moved by the OS, not copied";
  EXPECT_EQ(g[0], 7);
  EXPECT_EQ(g[1 * MiB - 1], 7);
  EXPECT_EQ(hak_large_lookup(g)->size, 2 * MiB);
  EXPECT_EQ(hak_large_fault((uintptr_t)g + 2 * MiB, &block, &size), HAK_LARGE_OVERFLOW) << "its guard page";
  EXPECT_EQ(hak_large_fault((uintptr_t)r + 100, &block, &size), HAK_LARGE_FREED_ACCESS) << "the old range";
  EXPECT_EQ(block, r);
  EXPECT_EQ(size, 1 * MiB);
  EXPECT_EXIT(r[100] = 1, HAKT_FAULTED, "") << "the old range: inaccessible";
  release(g);
  hak_large_trim();
  EXPECT_EQ(counters().free_bytes, 0u);
  EXPECT_EQ(hak_large_fault((uintptr_t)ps.back(), &block, &size), HAK_LARGE_NO_FAULT) << "trim empties it";
}
#endif

TEST(Large, ImpossibleSizesFail) {
  for (size_t n : {SIZE_MAX, SIZE_MAX / 2, ((size_t)1 << 47) + 1})
    EXPECT_EQ(hak_large_alloc(n, 16, 0), nullptr) << n;
  EXPECT_EQ(hak_large_alloc(1 * MiB, (size_t)1 << 48, 0), nullptr);
  EXPECT_EQ(counters().live_blocks, 0u);
}

}  // namespace
