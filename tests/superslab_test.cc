// superslab box: slabs cut from 2 MiB SuperSlabs, the page entries free() reads, the registry.
// Slabs are taken and given back directly here (the central box is bypassed); the rest of the
// allocator is linked but idle in this process.
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <set>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/os/os.h"
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/superslab/superslab.h"
}
#include "tests/common/vm_flags.h"

namespace {

hak_superslab_t* ss_of(const void* p) {
  return (hak_superslab_t*)((uintptr_t)p & ~(uintptr_t)(HAK_SS_SIZE - 1));
}

hak_ss_counters_t counters() {
  hak_ss_counters_t c;
  hak_ss_counters_get(&c);
  return c;
}

// The free info of page i of the SuperSlab at ss, as the colouring places it: slot i of the
// 128-byte chunk that address bits 21..24 pick.
hak_free_info_t* coloured_info(hak_superslab_t* ss, unsigned i) {
  return &ss->free_info[((uintptr_t)ss >> HAK_SS_SHIFT) % HAK_INFO_COLORS * HAK_SS_PAGES + i];
}

// Everything a fresh slab of class cls must satisfy.
void expect_fresh_slab(hak_slab_t* s, unsigned cls) {
  ASSERT_NE(s, nullptr);
  const hak_class_info_t& info = hak_class_info[cls];
  hak_superslab_t* ss = ss_of(s);
  unsigned first = (unsigned)(s - ss->pages);
  EXPECT_GE(first, (unsigned)HAK_SS_HEADER_PAGES) << "a slab over the header pages";
  EXPECT_LE(first + info.slab_pages, (unsigned)HAK_SS_PAGES);
  EXPECT_EQ(s->magic, HAK_SLAB_MAGIC);
  EXPECT_EQ(hak_page_class(s), cls);
  EXPECT_EQ(s->head, first);
  EXPECT_EQ(s->npages, info.slab_pages);
  EXPECT_EQ(s->capacity, info.blocks);
  EXPECT_EQ(s->block_size, info.block_size);
  EXPECT_EQ(s->used, 0u);
  EXPECT_EQ(s->carved, 0u);
  EXPECT_EQ(s->nfree, 0u);
  EXPECT_EQ(s->scan, 0u);
  EXPECT_EQ(s->start, (uint8_t*)ss + (size_t)first * HAK_PAGE_SIZE);
  EXPECT_EQ((uintptr_t)s->start % HAK_SLAB_ALIGN, 0u);
  EXPECT_EQ(hak_region_kind((uintptr_t)s->start), (unsigned)HAK_REGION_SUPERSLAB);
  if (HAK_CFG_CHECK_FREE) {
    ASSERT_NE(s->states, nullptr);
    for (unsigned i = 0; i < s->capacity; i++) ASSERT_EQ(s->states[i], HAK_BLOCK_NEVER) << i;
  }
  // Every page of the slab names the class and the head; every byte of it maps to those pages.
  for (unsigned i = 0; i < info.slab_pages; i++) {
    hak_slab_t* page = &ss->pages[first + i];
    EXPECT_EQ(hak_page_class(page), cls);
    EXPECT_EQ(coloured_info(ss, first + i)->owner, 0u) << "a new slab has no owner";
    EXPECT_EQ(page->head, first);
    EXPECT_EQ(hak_slab_head(page), s);
    uintptr_t base = (uintptr_t)s->start + (size_t)i * HAK_PAGE_SIZE;
    for (uintptr_t off : {(uintptr_t)0, (uintptr_t)1, (uintptr_t)4096, HAK_PAGE_SIZE - 1}) {
      EXPECT_EQ(hak_page_of(base + off), page);
      EXPECT_EQ(hak_free_info_of(base + off), coloured_info(ss, first + i));
    }
  }
  // The slab's memory is usable: write its last byte.
  s->start[(size_t)info.slab_pages * HAK_PAGE_SIZE - 1] = 0x5a;
}

// After hak_ss_slab_free: the pages hold no slab (unless the SuperSlab, now empty, was unmapped).
void expect_released(hak_superslab_t* ss, unsigned first, unsigned npages) {
  if (hak_region_kind((uintptr_t)ss) != HAK_REGION_SUPERSLAB) return;
  for (unsigned i = 0; i < npages; i++) {
    EXPECT_EQ(coloured_info(ss, first + i)->cls, (unsigned)HAK_CLASS_NONE);
    EXPECT_EQ(ss->pages[first + i].head, first + i);
  }
}

TEST(SuperSlab, PageOfIsArithmetic) {
  const uintptr_t ss = (uintptr_t)0x7f0000000000ull;  // 2 MiB-aligned; never dereferenced
  for (unsigned page = 0; page < HAK_SS_PAGES; page++) {
    for (uintptr_t off : {(uintptr_t)0, (uintptr_t)17, HAK_PAGE_SIZE / 2, HAK_PAGE_SIZE - 1}) {
      uintptr_t a = ss + page * HAK_PAGE_SIZE + off;
      EXPECT_EQ((uintptr_t)hak_page_of(a), ss + offsetof(hak_superslab_t, pages) + page * sizeof(hak_slab_t))
          << page << " " << off;
    }
  }
}

// HAK_INFO_COLORS SuperSlabs in a row keep their free infos in as many different pairs of cache
// sets (L1: 64 sets of 64 bytes), none shared with the page entries, each two whole lines in the
// header's first OS page, and every page's info in its pair.
TEST(SuperSlab, FreeInfoColours) {
  const uintptr_t first_ss = (uintptr_t)0x7f0000000000ull;  // 2 MiB-aligned; never dereferenced
  std::set<uintptr_t> sets;
  for (unsigned k = 0; k < HAK_INFO_COLORS; k++) {
    uintptr_t ss = first_ss + (uintptr_t)k * HAK_SS_SIZE;
    uintptr_t info0 = (uintptr_t)hak_free_info_of(ss);
    EXPECT_EQ(info0 % 128, 0u) << "SuperSlab " << k;
    EXPECT_LE(info0 + 128, ss + offsetof(hak_superslab_t, pages)) << "before the page entries";
    sets.insert(info0 % 4096 / 128);
    for (unsigned page = 0; page < HAK_SS_PAGES; page++)
      EXPECT_EQ((uintptr_t)hak_free_info_of(ss + page * HAK_PAGE_SIZE + 99), info0 + page * sizeof(hak_free_info_t))
          << k << " " << page;
  }
  EXPECT_EQ(sets.size(), (size_t)HAK_INFO_COLORS);
}

// Every SuperSlab, and the registry, is advised MADV_NOHUGEPAGE before its first touch: where THP
// is "always", a touched SuperSlab would otherwise be 2 MiB resident, and khugepaged would fill
// decommitted pages back in (docs/memory.md).
TEST(SuperSlab, NoHugePages) {
  hak_os_counters_t c0;
  hak_os_counters_get(&c0);
  std::vector<hak_slab_t*> slabs;
  std::set<hak_superslab_t*> seen;
  // Slabs of the largest class until two SuperSlabs are new to this test.
  while (seen.size() < 2) {
    hak_slab_t* s = hak_ss_slab_alloc(HAK_NCLASSES - 1);
    ASSERT_NE(s, nullptr);
    slabs.push_back(s);
    seen.insert(ss_of(s));
  }
  hak_os_counters_t c1;
  hak_os_counters_get(&c1);
  for (hak_superslab_t* ss : seen) {
    EXPECT_TRUE(hakt::HugePagesKeptOut(ss));
  }
  // So is the registry (8 MiB of .bss, of which a few words are written).
  uintptr_t entry = (uintptr_t)&hak_region_bits[((uintptr_t)*seen.begin() >> HAK_SS_SHIFT) / 64];
  EXPECT_TRUE(hakt::HugePagesKeptOut((void*)entry));
  if (c1.mmap_calls > c0.mmap_calls)
    EXPECT_GE(c1.madvise_calls - c0.madvise_calls, c1.mmap_calls - c0.mmap_calls);
  for (hak_slab_t* s : slabs) hak_ss_slab_free(s);
}

TEST(SuperSlab, SlabOfEveryClass) {
  hak_ss_counters_t before = counters();
  std::vector<hak_slab_t*> slabs;
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    hak_slab_t* s = hak_ss_slab_alloc(cls);
    expect_fresh_slab(s, cls);
    if (HasFatalFailure()) return;
    slabs.push_back(s);
  }
  EXPECT_EQ(counters().slabs, before.slabs + HAK_NCLASSES);
  // No two slabs share a page.
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  for (hak_slab_t* s : slabs) {
    uintptr_t a = (uintptr_t)s->start;
    ranges.push_back({a, a + (size_t)s->npages * HAK_PAGE_SIZE});
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); i++) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  for (hak_slab_t* s : slabs) {
    hak_superslab_t* ss = ss_of(s);
    unsigned first = (unsigned)(s - ss->pages), n = s->npages;
    hak_ss_slab_free(s);
    expect_released(ss, first, n);
  }
  EXPECT_EQ(counters().slabs, before.slabs);
}

// More one-page slabs than a SuperSlab holds: a second SuperSlab is mapped and registered; giving
// everything back returns the count to where it was and (policy permitting) unmaps what is empty.
TEST(SuperSlab, ManySlabsSpanSuperSlabs) {
  hak_ss_counters_t before = counters();
  const unsigned kSlabs = 3 * HAK_SS_PAGES;
  std::vector<hak_slab_t*> slabs;
  std::set<hak_superslab_t*> supers;
  std::set<uint8_t*> starts;
  for (unsigned i = 0; i < kSlabs; i++) {
    hak_slab_t* s = hak_ss_slab_alloc(3);
    expect_fresh_slab(s, 3);
    if (HasFatalFailure()) return;
    EXPECT_TRUE(starts.insert(s->start).second) << "a page handed out twice";
    supers.insert(ss_of(s));
    slabs.push_back(s);
  }
  EXPECT_GE(supers.size(), 3u);
  hak_ss_counters_t mid = counters();
  EXPECT_EQ(mid.slabs, before.slabs + kSlabs);
  EXPECT_GE(mid.superslabs, supers.size());  // (empty ones kept from earlier tests may be reused)
  for (hak_superslab_t* ss : supers) {
    EXPECT_EQ(hak_region_kind((uintptr_t)ss), (unsigned)HAK_REGION_SUPERSLAB);
    EXPECT_EQ(hak_region_kind((uintptr_t)ss + HAK_SS_SIZE - 1), (unsigned)HAK_REGION_SUPERSLAB);
  }
  for (hak_slab_t* s : slabs) hak_ss_slab_free(s);
  hak_ss_counters_t after = counters();
  EXPECT_EQ(after.slabs, before.slabs);
  // Empty SuperSlabs beyond the release policy's spare are unmapped at once, the rest by trim.
  hak_ss_trim();
  after = counters();
  EXPECT_LE(after.superslabs, before.superslabs);
  EXPECT_EQ(after.retained_bytes, 0u);
  for (hak_superslab_t* ss : supers) {
    // Unmapped ones are no longer hakmem's in the registry.
    unsigned kind = hak_region_kind((uintptr_t)ss);
    EXPECT_TRUE(kind == HAK_REGION_SUPERSLAB || kind == HAK_REGION_NONE);
  }
}

// A freed slab's pages are reused by the next slab, and the reused memory is handed out afresh.
TEST(SuperSlab, FreedPagesAreReused) {
  hak_slab_t* a = hak_ss_slab_alloc(10);
  expect_fresh_slab(a, 10);
  uint8_t* start = a->start;
  hak_ss_slab_free(a);
  // Nothing else allocates in this process: unless the release policy unmapped the now empty
  // SuperSlab, the next slab (of another class) takes the same first free page.
  bool still_mapped = hak_region_kind((uintptr_t)start) == HAK_REGION_SUPERSLAB;
  hak_slab_t* b = hak_ss_slab_alloc(20);
  expect_fresh_slab(b, 20);
  if (still_mapped) EXPECT_EQ(b->start, start) << "the first free run is reused";
  hak_ss_slab_free(b);
}

TEST(SuperSlab, RegistryMarksRegions) {
  hak_ss_slab_free(hak_ss_slab_alloc(0));  // a real SuperSlab first: it places the fast window
  // A range of the address space nobody maps (64 TiB): only the registry is touched.
  const uintptr_t base = (uintptr_t)1 << 46;
  hak_registry_set(base, 3 * HAK_SS_SIZE, HAK_REGION_SUPERSLAB);
  EXPECT_EQ(hak_region_kind(base - 1), (unsigned)HAK_REGION_NONE);
  EXPECT_EQ(hak_region_kind(base), (unsigned)HAK_REGION_SUPERSLAB);
  EXPECT_EQ(hak_region_kind(base + HAK_SS_SIZE - 1), (unsigned)HAK_REGION_SUPERSLAB);
  EXPECT_EQ(hak_region_kind(base + HAK_SS_SIZE), (unsigned)HAK_REGION_SUPERSLAB);
  EXPECT_EQ(hak_region_kind(base + 3 * HAK_SS_SIZE - 1), (unsigned)HAK_REGION_SUPERSLAB);
  EXPECT_EQ(hak_region_kind(base + 3 * HAK_SS_SIZE), (unsigned)HAK_REGION_NONE);
  hak_registry_set(base, 3 * HAK_SS_SIZE, HAK_REGION_NONE);
  // The fast window (4 TiB around the first SuperSlab) mirrors the bits, both ends included.
  const uintptr_t first = hak_fast_first_chunk << HAK_SS_SHIFT;
  ASSERT_LT(first, (uintptr_t)1 << HAK_ADDR_BITS) << "a SuperSlab was registered: the window is set";
  for (uintptr_t w : {first, first + ((HAK_FAST_CHUNKS - 1) << HAK_SS_SHIFT)}) {
    if (hak_region_kind(w) == HAK_REGION_SUPERSLAB) continue;  // (one of ours: leave it)
    hak_registry_set(w, HAK_SS_SIZE, HAK_REGION_SUPERSLAB);
    EXPECT_TRUE(hak_region_fast_superslab(w)) << (void*)w;
    EXPECT_TRUE(hak_region_fast_superslab(w + HAK_SS_SIZE - 1)) << (void*)w;
    EXPECT_FALSE(hak_region_fast_superslab(w - 1)) << (void*)w;
    hak_registry_set(w, HAK_SS_SIZE, HAK_REGION_NONE);
    EXPECT_FALSE(hak_region_fast_superslab(w)) << (void*)w;
  }
  EXPECT_FALSE(hak_region_fast_superslab(first + (HAK_FAST_CHUNKS << HAK_SS_SHIFT))) << "past the window";
  for (uintptr_t off = 0; off < 3 * HAK_SS_SIZE; off += HAK_SS_SIZE)
    EXPECT_EQ(hak_region_kind(base + off), (unsigned)HAK_REGION_NONE);
  // Outside the 47-bit space: never hakmem's, and no read beyond the registry.
  for (uintptr_t a : {(uintptr_t)1 << 47, ((uintptr_t)1 << 47) + HAK_SS_SIZE, (uintptr_t)1 << 63, UINTPTR_MAX})
    EXPECT_EQ(hak_region_kind(a), (unsigned)HAK_REGION_NONE) << (void*)a;
}

// The os box beneath: aligned mappings, counted; decommitted pages read back as zero.
TEST(SuperSlab, OsMappingsAreAlignedCountedAndDecommitZeroes) {
  hak_os_counters_t c0;
  hak_os_counters_get(&c0);
  for (size_t align : {(size_t)4096, (size_t)64 * 1024, HAK_SS_SIZE, 4 * HAK_SS_SIZE}) {
    size_t size = 3 * HAK_SS_SIZE;
    uint8_t* p = (uint8_t*)hak_os_map_aligned(size, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((uintptr_t)p % align, 0u) << align;
    hak_os_counters_t c1;
    hak_os_counters_get(&c1);
    EXPECT_EQ(c1.bytes_mapped, c0.bytes_mapped + size) << "the over-mapped slack is unmapped";
    EXPECT_GT(c1.mmap_calls, c0.mmap_calls);
    memset(p, 0xab, size);
    hak_os_no_huge_pages(p, size);
    EXPECT_TRUE(hakt::HugePagesKeptOut(p));
    hak_os_decommit(p + HAK_PAGE_SIZE, HAK_PAGE_SIZE);
    for (size_t i = 0; i < HAK_PAGE_SIZE; i++) ASSERT_EQ(p[HAK_PAGE_SIZE + i], 0) << i;
    EXPECT_EQ(p[HAK_PAGE_SIZE - 1], 0xab);
    EXPECT_EQ(p[2 * HAK_PAGE_SIZE], 0xab);
    hak_os_unmap(p, size);
    hak_os_counters_t c2;
    hak_os_counters_get(&c2);
    EXPECT_EQ(c2.bytes_mapped, c0.bytes_mapped);
    EXPECT_GT(c2.munmap_calls, c1.munmap_calls);
    EXPECT_GT(c2.madvise_calls, c0.madvise_calls);
  }
}

}  // namespace
