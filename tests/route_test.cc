// route box: pointer -> {small block, large block, not hakmem's}, with validation. Every kind of
// address a program may hand to free(): hakmem's blocks, their interiors, hakmem's own metadata,
// other allocators' memory, the stack, globals, code, tiny and non-canonical addresses. None may
// crash, and only block starts route as blocks.
#include <stdint.h>
#include <stdlib.h>

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hakmem/include/hakmem.h"

extern "C" {
#include "hakmem/box/route/route.h"
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/superslab/superslab.h"
}

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * 1024;
constexpr size_t kCanary = HAK_CFG_CANARY ? 8 : 0;  // the safe profile's canary (front box)

int g_global[64];

hak_route_t route_of(uintptr_t a) { return hak_route((const void*)a); }

void expect_bad(uintptr_t a, hak_error_t err, const char* what) {
  hak_route_t r = route_of(a);
  EXPECT_EQ(r.kind, HAK_ROUTE_BAD) << what << " " << (void*)a;
  EXPECT_EQ(r.error, err) << what << " " << (void*)a;
}

TEST(Route, SmallBlock) {
  for (size_t n : {(size_t)(HAK_CFG_CHECK_FREE ? 1 : 0), (size_t)1, (size_t)100, (size_t)1000, (size_t)5000, 100 * KiB, HAK_SMALL_MAX - kCanary}) {
    void* p = hak_malloc(n);
    ASSERT_NE(p, nullptr);
    hak_route_t r = hak_route(p);
    unsigned cls = hak_class_of(n + kCanary);
    ASSERT_EQ(r.kind, HAK_ROUTE_SMALL) << n;
    EXPECT_EQ(r.cls, (int)cls) << n;
    EXPECT_EQ(r.block_size, hak_class_size(cls)) << n;
    ASSERT_NE(r.slab, nullptr);
    EXPECT_EQ(r.slab->magic, HAK_SLAB_MAGIC);
    EXPECT_EQ(hak_page_class(r.slab), cls);
    EXPECT_EQ(r.slab->start + (size_t)r.index * r.block_size, (uint8_t*)p) << n;
    EXPECT_LT(r.index, r.slab->capacity);
    EXPECT_EQ(r.large, nullptr);
    hak_free(p);
  }
}

// Every block of a full slab routes to itself; every other 16-byte offset of the slab is interior.
// safe's malloc(0): a live block of the zero box routes as one with usable size 0; freed, a
// double free; between slots, or a slot never handed out, not hakmem's. Elsewhere malloc(0) is a
// smallest block.
TEST(Route, ZeroSizeBlocks) {
  void* p = hak_malloc(0);
  ASSERT_NE(p, nullptr);
  void* q = hak_malloc(0);
  ASSERT_NE(q, p) << "unique";
  hak_route_t r = hak_route(p);
  if (!HAK_CFG_CHECK_FREE) {
    EXPECT_EQ(r.kind, HAK_ROUTE_SMALL);
    EXPECT_EQ(r.cls, 0);
    hak_free(p);
    hak_free(q);
    return;
  }
  EXPECT_EQ(r.kind, HAK_ROUTE_ZERO);
  EXPECT_EQ(r.block_size, 0u);
  EXPECT_EQ(hak_malloc_usable_size(p), 0u);
  expect_bad((uintptr_t)p + 1, HAK_ERR_INVALID_POINTER, "inside a slot");
  expect_bad((uintptr_t)q + HAK_ZERO_SLOT, HAK_ERR_INVALID_POINTER, "a slot never handed out");
  hak_free(p);
  expect_bad((uintptr_t)p, HAK_ERR_DOUBLE_FREE, "freed");
  void* grown = hak_realloc(q, 100);
  ASSERT_NE(grown, nullptr);
  EXPECT_EQ(hak_route(grown).kind, HAK_ROUTE_SMALL) << "realloc of a zero-size block moves it";
  expect_bad((uintptr_t)q, HAK_ERR_DOUBLE_FREE, "realloc freed it");
  hak_free(grown);
}

TEST(Route, EveryOffsetOfASlab) {
  const size_t n = 112 - kCanary;  // class 6: 112-byte blocks, 585 per slab, 16 bytes of tail
  const unsigned cls = hak_class_of(n + kCanary);
  ASSERT_EQ(hak_class_size(cls), 112u);
  std::vector<void*> blocks;
  std::map<hak_slab_t*, size_t> mine;  // our blocks per slab
  hak_slab_t* slab = nullptr;
  // Allocate until one slab has handed out every one of its blocks to us.
  for (int i = 0; i < 20000 && !slab; i++) {
    void* p = hak_malloc(n);
    ASSERT_NE(p, nullptr);
    blocks.push_back(p);
    hak_route_t r = hak_route(p);
    ASSERT_EQ(r.kind, HAK_ROUTE_SMALL);
    if (++mine[r.slab] == r.slab->capacity) slab = r.slab;
  }
  ASSERT_NE(slab, nullptr) << "no slab filled with our blocks";
  const size_t slab_bytes = (size_t)hak_class_info[cls].slab_pages * HAK_PAGE_SIZE;
  for (size_t off = 0; off < slab_bytes; off += 16) {
    uintptr_t a = (uintptr_t)slab->start + off;
    hak_route_t r = route_of(a);
    if (off % 112 == 0 && off / 112 < slab->capacity) {
      ASSERT_EQ(r.kind, HAK_ROUTE_SMALL) << off;
      ASSERT_EQ(r.index, off / 112);
      ASSERT_EQ(r.slab, slab);
    } else {
      // Interior, or the tail after the last block.
      ASSERT_EQ(r.kind, HAK_ROUTE_BAD) << off;
      ASSERT_EQ(r.error, HAK_ERR_INTERIOR_POINTER) << off;
      ASSERT_EQ(r.cls, (int)cls);
      ASSERT_EQ(r.block_size, 112u);
    }
  }
  // Odd offsets too, in the first blocks.
  for (size_t off = 1; off < 4 * 112; off++) {
    if (off % 112 == 0) continue;
    expect_bad((uintptr_t)slab->start + off, HAK_ERR_INTERIOR_POINTER, "interior");
  }
  for (void* p : blocks) hak_free(p);
}

TEST(Route, FreedAndNeverAllocatedSmallBlocks) {
  void* p = hak_malloc(64 - kCanary);
  void* q = hak_malloc(64 - kCanary);
  ASSERT_NE(p, nullptr);
  hak_route_t live = hak_route(p);
  ASSERT_EQ(live.kind, HAK_ROUTE_SMALL);
  hak_free(p);
  hak_route_t freed = hak_route(p);
  if (HAK_CFG_CHECK_FREE) {
    EXPECT_EQ(freed.kind, HAK_ROUTE_BAD);
    EXPECT_EQ(freed.error, HAK_ERR_DOUBLE_FREE);
  } else {
    // Without per-block state a freed block looks like any block: the route is still exact.
    EXPECT_EQ(freed.kind, HAK_ROUTE_SMALL);
    EXPECT_EQ(freed.index, live.index);
  }
  // The last block of the slab has never been handed out (the slab is carved in order).
  hak_slab_t* s = live.slab;
  if (s->carved < s->capacity) {
    uintptr_t last = (uintptr_t)s->start + (size_t)(s->capacity - 1) * s->block_size;
    hak_route_t r = route_of(last);
    if (HAK_CFG_CHECK_FREE) {
      EXPECT_EQ(r.kind, HAK_ROUTE_BAD);
      EXPECT_EQ(r.error, HAK_ERR_INVALID_POINTER);
    } else {
      EXPECT_EQ(r.kind, HAK_ROUTE_SMALL);
    }
  }
  hak_free(q);
}

// The SuperSlab's own header page and pages without a slab are hakmem's but hold no blocks.
TEST(Route, SuperSlabMetadataAndEmptyPages) {
  void* p = hak_malloc(100);
  ASSERT_NE(p, nullptr);
  uintptr_t ss = (uintptr_t)p & ~(uintptr_t)(HAK_SS_SIZE - 1);
  ASSERT_EQ(hak_region_kind(ss), (unsigned)HAK_REGION_SUPERSLAB);
  for (uintptr_t off : {(uintptr_t)0, (uintptr_t)8, (uintptr_t)64, (uintptr_t)4096, HAK_PAGE_SIZE - 16})
    expect_bad(ss + off, HAK_ERR_INVALID_POINTER, "superslab header");
  for (unsigned page = HAK_SS_HEADER_PAGES; page < HAK_SS_PAGES; page++) {
    hak_slab_t* entry = hak_page_of(ss + page * HAK_PAGE_SIZE);
    if (hak_page_class(entry) == HAK_CLASS_NONE) {
      expect_bad(ss + page * HAK_PAGE_SIZE, HAK_ERR_INVALID_POINTER, "empty page");
      expect_bad(ss + page * HAK_PAGE_SIZE + 4096, HAK_ERR_INVALID_POINTER, "empty page");
    }
  }
  hak_free(p);
}

TEST(Route, LargeBlocks) {
  struct Case {
    size_t size, align;
  };
  for (Case c : {Case{HAK_SMALL_MAX + 1, 16}, Case{1 * MiB, 16}, Case{5 * MiB + 3, 16}, Case{100, 2 * MiB},
                 Case{3 * MiB, 4 * MiB}, Case{300 * KiB, 512 * KiB}}) {
    void* p = c.align > 16 ? hak_aligned_alloc(c.align, c.size) : hak_malloc(c.size);
    ASSERT_NE(p, nullptr);
    hak_route_t r = hak_route(p);
    ASSERT_EQ(r.kind, HAK_ROUTE_LARGE) << c.size << " " << c.align;
    ASSERT_NE(r.large, nullptr);
    EXPECT_EQ(r.large->user, (uint8_t*)p);
    EXPECT_EQ(r.large->magic, HAK_LARGE_LIVE);
    EXPECT_GE(r.block_size, c.size);
    EXPECT_EQ(r.cls, -1);
    EXPECT_EQ(r.slab, nullptr);
    uintptr_t a = (uintptr_t)p;
    for (uintptr_t off : {(uintptr_t)1, (uintptr_t)16, (uintptr_t)64, (uintptr_t)4096, (uintptr_t)HAK_SS_SIZE,
                          (uintptr_t)c.size - 1}) {
      if (off >= c.size) continue;
      expect_bad(a + off, HAK_ERR_INTERIOR_POINTER, "large interior");
    }
    // The header in front of the block.
    EXPECT_EQ(route_of(a - 16).kind, HAK_ROUTE_BAD);
    EXPECT_EQ(route_of((uintptr_t)r.large).kind, HAK_ROUTE_BAD);
    hak_free(p);
    // Freed: kept for reuse (the header says freed) or unmapped (not hakmem's any more).
    hak_route_t after = hak_route(p);
    EXPECT_EQ(after.kind, HAK_ROUTE_BAD);
    EXPECT_TRUE(after.error == HAK_ERR_DOUBLE_FREE || after.error == HAK_ERR_INVALID_POINTER) << after.error;
  }
}

TEST(Route, ForeignPointers) {
  int on_stack[16];
  void* from_glibc = malloc(100);
  void* big_from_glibc = malloc(8 * MiB);  // glibc maps it on its own
  ASSERT_NE(from_glibc, nullptr);
  ASSERT_NE(big_from_glibc, nullptr);
  const uintptr_t foreign[] = {
      (uintptr_t)on_stack,        (uintptr_t)&on_stack[15],   (uintptr_t)g_global, (uintptr_t)&g_global[63],
      (uintptr_t)from_glibc,      (uintptr_t)big_from_glibc,  (uintptr_t)&route_of,
      (uintptr_t)&hak_malloc,     (uintptr_t) "a string literal",
  };
  for (uintptr_t a : foreign) expect_bad(a, HAK_ERR_INVALID_POINTER, "foreign");
  free(from_glibc);
  free(big_from_glibc);
}

TEST(Route, TinyAndNonCanonicalAddresses) {
  const uintptr_t addrs[] = {
      1, 8, 15, 16, 4095, 4096, 65536, HAK_SS_SIZE - 1, HAK_SS_SIZE, 2 * HAK_SS_SIZE + 64,
      ((uintptr_t)1 << 47) - 16,  // the last chunk of the registry
      (uintptr_t)1 << 47, ((uintptr_t)1 << 47) + 16, (uintptr_t)1 << 48, ((uintptr_t)1 << 56) + 64,
      (uintptr_t)1 << 63, 0xffff800000000000ull, 0xffffffffff600000ull /* vsyscall */, UINTPTR_MAX - 15,
      UINTPTR_MAX,
  };
  for (uintptr_t a : addrs) {
    expect_bad(a, HAK_ERR_INVALID_POINTER, "tiny or non-canonical");
    EXPECT_EQ(hak_region_kind(a), (unsigned)HAK_REGION_NONE) << (void*)a;
  }
  // Through the API as well: malloc_usable_size of such an address is 0 and reported as an invalid
  // pointer, without touching it. Only where a report does not abort (report is the default there).
  if (!HAK_CFG_CHECK_FREE) {
    testing::internal::CaptureStderr();
    for (uintptr_t a : addrs) EXPECT_EQ(hak_malloc_usable_size((const void*)a), 0u);
    std::string err = testing::internal::GetCapturedStderr();
    size_t reports = 0;
    for (size_t at = 0; (at = err.find("hakmem: error: invalid pointer", at)) != std::string::npos; at++) reports++;
    EXPECT_EQ(reports, sizeof addrs / sizeof addrs[0]) << err;
  }
}

}  // namespace
