// The contract of DESIGN.md section 1, function by function, with glibc's edge cases.
// Built twice from this one source (see tests/common/alloc_api.h): against the prefixed API
// (contract_test_api, also under --config=asan) and as a drop-in replacement of malloc and friends
// (contract_test_dropin).
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hakmem/config/profile.h"
#include "tests/common/alloc_api.h"
#include "tests/common/test_util.h"

namespace {

using hakt::aligned_to;
using hakt::check;
using hakt::check_sampled;
using hakt::fill;
using hakt::fill_sampled;

constexpr size_t KiB = 1024, MiB = 1024 * 1024;
constexpr size_t kSmallMax = 256 * KiB;  // the largest size class; above it blocks are "large"

size_t page_size() { return (size_t)sysconf(_SC_PAGESIZE); }

TEST(Contract, ProfileIsTheBuiltOne) {
  ASSERT_NE(hak_profile(), nullptr);
  EXPECT_STREQ(hak_profile(), HAK_PROFILE_NAME);
}

#ifdef HAKT_DROPIN
// The drop-in variant is only meaningful if the program's malloc really is hakmem: pointers from
// malloc, from C++ new and from inside glibc (strdup) are blocks hakmem knows.
TEST(Contract, DropInReplacesTheProcessAllocator) {
  void* p = malloc(100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(hak_malloc_usable_size(p), 100u);
  free(p);

  char* s = strdup("allocated inside glibc");
  ASSERT_NE(s, nullptr);
  EXPECT_GT(hak_malloc_usable_size(s), strlen(s));
  free(s);

  char* a = new char[3000];
  EXPECT_GE(hak_malloc_usable_size(a), 3000u);
  delete[] a;

  std::string big(100000, 'x');
  EXPECT_GE(hak_malloc_usable_size((void*)big.data()), 100000u);

  hak_stats_t st = hakt::stats();
  EXPECT_GT(st.bytes_mapped, 0u);
  EXPECT_GT(st.mmap_calls, 0u);
}
#endif

TEST(Contract, MallocZeroGivesUniqueFreeablePointers) {
  std::vector<void*> ps;
  for (int i = 0; i < 1000; i++) {
    void* p = ta_malloc(0);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(aligned_to(p, 16)) << p;
    ps.push_back(p);
  }
  std::vector<void*> sorted = ps;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "malloc(0) returned a pointer twice";
  for (void* p : ps) ta_free(p);
}

TEST(Contract, FreeNullIsANoOp) {
  errno = 1234;
  ta_free(nullptr);
  ta_free_sized(nullptr, 0);
  ta_free_sized(nullptr, 100);
  ta_free_aligned_sized(nullptr, 64, 100);
  EXPECT_EQ(errno, 1234);
  EXPECT_EQ(ta_usable_size(nullptr), 0u);
}

TEST(Contract, ReallocNullIsMalloc) {
  for (size_t n : {(size_t)0, (size_t)1, (size_t)100, 5000 * (size_t)1, 300 * KiB}) {
    void* p = ta_realloc(nullptr, n);
    ASSERT_NE(p, nullptr) << n;
    EXPECT_TRUE(aligned_to(p, 16));
    EXPECT_GE(ta_usable_size(p), n);
    fill(p, n, n);
    EXPECT_EQ(check(p, n, n), n);
    ta_free(p);
  }
}

TEST(Contract, ReallocToZeroFreesAndReturnsNull) {
  // 200000 blocks of 1 KiB: 200 MiB if realloc(p, 0) leaked them.
  void* warm = ta_malloc(1000);
  ta_free(ta_realloc(warm, 0));
  hak_stats_t before = hakt::stats();
  for (int i = 0; i < 200000; i++) {
    void* p = ta_malloc(1000);
    ASSERT_NE(p, nullptr);
    memset(p, 0x5a, 1000);
    ASSERT_EQ(ta_realloc(p, 0), nullptr);
  }
  // Large blocks too.
  for (int i = 0; i < 200; i++) {
    void* p = ta_malloc(3 * MiB);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(ta_realloc(p, 0), nullptr);
  }
  hak_stats_t after = hakt::stats();
  EXPECT_LT(after.bytes_mapped, before.bytes_mapped + 32 * MiB);
  EXPECT_EQ(after.large_live_blocks, before.large_live_blocks);
}

TEST(Contract, CallocOverflowIsEnomem) {
  const size_t cases[][2] = {
      {SIZE_MAX / 2 + 1, 3}, {3, SIZE_MAX / 2 + 1}, {SIZE_MAX, SIZE_MAX}, {SIZE_MAX, 2},
      {(size_t)1 << 32, (size_t)1 << 32}, {1, (size_t)PTRDIFF_MAX + 1}, {SIZE_MAX, 1}, {1, SIZE_MAX},
      {2, (size_t)PTRDIFF_MAX / 2 + 1},
  };
  for (const auto& c : cases) {
    errno = 0;
    EXPECT_EQ(ta_calloc(c[0], c[1]), nullptr) << c[0] << " x " << c[1];
    EXPECT_EQ(errno, ENOMEM) << c[0] << " x " << c[1];
  }
}

TEST(Contract, CallocOfNothingIsUniqueAndFreeable) {
  void* a = ta_calloc(0, 0);
  void* b = ta_calloc(0, 100);
  void* c = ta_calloc(100, 0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, c);
  ta_free(a);
  ta_free(b);
  ta_free(c);
}

TEST(Contract, HugeRequestsFailWithEnomem) {
  const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 4095, SIZE_MAX - 16, (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX,
                          (size_t)PTRDIFF_MAX - 4096, (size_t)1 << 62, (size_t)1 << 48, (size_t)1 << 47};
  for (size_t n : sizes) {
    errno = 0;
    EXPECT_EQ(ta_malloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_calloc(1, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_aligned_alloc(64, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_aligned_alloc(4 * MiB, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_memalign(4096, n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_valloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    errno = 0;
    EXPECT_EQ(ta_pvalloc(n), nullptr) << n;
    EXPECT_EQ(errno, ENOMEM) << n;

    void* out = (void*)0x1234;
    EXPECT_EQ(ta_posix_memalign(&out, 64, n), ENOMEM) << n;
    EXPECT_EQ(ta_posix_memalign(&out, 4 * MiB, n), ENOMEM) << n;
    EXPECT_EQ(out, (void*)0x1234) << "posix_memalign must leave *out alone on failure";

    // realloc of a live block: NULL, ENOMEM, and the block is untouched and still ours.
    for (size_t old : {(size_t)100, 300 * KiB}) {
      void* p = ta_malloc(old);
      ASSERT_NE(p, nullptr);
      fill(p, old, old);
      errno = 0;
      EXPECT_EQ(ta_realloc(p, n), nullptr) << n;
      EXPECT_EQ(errno, ENOMEM) << n;
      EXPECT_EQ(check(p, old, old), old);
      ta_free(p);
    }
  }
}

// Alignments no address space can honour: a clean ENOMEM, not a wrapped size.
TEST(Contract, ImpossibleAlignmentsFailWithEnomem) {
  for (size_t a : {(size_t)1 << 47, (size_t)1 << 62, (size_t)1 << 63}) {
    errno = 0;
    EXPECT_EQ(ta_aligned_alloc(a, 100), nullptr) << a;
    EXPECT_EQ(errno, ENOMEM) << a;
    void* out = (void*)0x1234;
    EXPECT_EQ(ta_posix_memalign(&out, a, 100), ENOMEM) << a;
    EXPECT_EQ(out, (void*)0x1234);
  }
}

TEST(Contract, ReallocarrayOverflowIsEnomem) {
  void* p = ta_reallocarray(nullptr, 10, 10);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(ta_usable_size(p), 100u);
  fill(p, 100, 7);
  errno = 0;
  EXPECT_EQ(ta_reallocarray(p, SIZE_MAX / 2 + 1, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(ta_reallocarray(p, (size_t)1 << 32, (size_t)1 << 32), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(check(p, 100, 7), 100u) << "the block survives a failed reallocarray";
  void* q = ta_reallocarray(p, 1000, 10);
  ASSERT_NE(q, nullptr);
  EXPECT_GE(ta_usable_size(q), 10000u);
  EXPECT_EQ(check(q, 100, 7), 100u);
  ta_free(q);
}

// Blocks are filled with 0xff and freed; calloc of the same sizes must hand back zeroes even when
// it reuses exactly those blocks (the thread cache is LIFO, the large cache reuses mappings).
TEST(Contract, CallocZeroesReusedMemory) {
  const size_t sizes[] = {1,        8,        16,       17,       100,      128,      129,     1000,
                          1024,     1025,     2000,     4096,     5000,     10000,    32768,   65536,
                          100000,   200000,   kSmallMax - 16, kSmallMax, kSmallMax + 1, 300000, 1 * MiB, 3 * MiB,
                          6 * MiB};
  for (size_t n : sizes) {
    const int k = n <= 64 * KiB ? 64 : 4;
    std::vector<void*> ps;
    for (int i = 0; i < k; i++) {
      void* p = ta_malloc(n);
      ASSERT_NE(p, nullptr) << n;
      memset(p, 0xff, n);
      ps.push_back(p);
    }
    for (auto it = ps.rbegin(); it != ps.rend(); ++it) ta_free(*it);
    ps.clear();
    for (int i = 0; i < k; i++) {
      // Both argument orders, and a split into elements where the size allows it.
      void* p = (i % 3 == 0) ? ta_calloc(1, n) : (i % 3 == 1) ? ta_calloc(n, 1) : (n % 8 ? ta_calloc(n, 1) : ta_calloc(n / 8, 8));
      ASSERT_NE(p, nullptr) << n;
      ASSERT_TRUE(hakt::all_zero(p, n)) << "calloc(" << n << ") returned dirty memory, block " << i;
      memset(p, 0xff, n);  // dirty again for the next calloc of this round
      ps.push_back(p);
    }
    for (auto it = ps.rbegin(); it != ps.rend(); ++it) ta_free(*it);
    // Once more, one block at a time: calloc right after the free of the same size.
    for (int i = 0; i < 8; i++) {
      void* p = ta_malloc(n);
      ASSERT_NE(p, nullptr);
      memset(p, 0xa5, n);
      ta_free(p);
      void* q = ta_calloc(1, n);
      ASSERT_NE(q, nullptr);
      ASSERT_TRUE(hakt::all_zero(q, n)) << "calloc(" << n << ") after free";
      ta_free(q);
    }
  }
}

// Whether p may be used for n bytes at alignment a: aligned, large enough, writable to the end.
void expect_aligned_block(void* p, size_t a, size_t n, const char* what) {
  ASSERT_NE(p, nullptr) << what << "(" << a << ", " << n << ")";
  EXPECT_TRUE(aligned_to(p, a < 16 ? 16 : a)) << what << "(" << a << ", " << n << ") = " << p;
  EXPECT_GE(ta_usable_size(p), n) << what << "(" << a << ", " << n << ")";
  if (n) {
    fill_sampled(p, n, a + n);
    EXPECT_EQ(check_sampled(p, n, a + n), n);
  }
}

std::vector<size_t> sizes_for_alignment(size_t a) {
  return {0, 1, 8, 24, a / 2 + 1, a, a + 1, 3 * a + 16, 1000, 70000};
}

// Every power-of-two alignment up to 1 MiB through the three functions; several blocks of each are
// kept alive at once, so that later blocks of a slab (not just the first) are checked.
TEST(Contract, EveryPowerOfTwoAlignmentUpTo1MiB) {
  for (size_t a = 1; a <= 1 * MiB; a <<= 1) {
    std::vector<void*> live;
    for (size_t n : sizes_for_alignment(a)) {
      for (int rep = 0; rep < 6; rep++) {
        if (a >= sizeof(void*)) {
          void* p = nullptr;
          ASSERT_EQ(ta_posix_memalign(&p, a, n), 0) << a << " " << n;
          expect_aligned_block(p, a, n, "posix_memalign");
          live.push_back(p);
        }
        void* q = ta_aligned_alloc(a, n);
        expect_aligned_block(q, a, n, "aligned_alloc");
        live.push_back(q);
        void* r = ta_memalign(a, n);
        expect_aligned_block(r, a, n, "memalign");
        live.push_back(r);
      }
      if (HasFatalFailure()) return;
    }
    for (void* p : live) ta_free(p);
  }
}

TEST(Contract, AlignmentsOf2And4MiB) {
  for (size_t a : {2 * MiB, 4 * MiB}) {
    for (size_t n : {(size_t)1, (size_t)100, 64 * KiB, a, a + 1, 5 * MiB}) {
      std::vector<void*> live;
      for (int rep = 0; rep < 3; rep++) {
        void* p = nullptr;
        ASSERT_EQ(ta_posix_memalign(&p, a, n), 0);
        expect_aligned_block(p, a, n, "posix_memalign");
        void* q = ta_aligned_alloc(a, n);
        expect_aligned_block(q, a, n, "aligned_alloc");
        void* r = ta_memalign(a, n);
        expect_aligned_block(r, a, n, "memalign");
        live.insert(live.end(), {p, q, r});
      }
      for (void* p : live) ta_free(p);
    }
  }
}

TEST(Contract, InvalidAlignmentsAreEinval) {
  for (size_t a : {(size_t)0, (size_t)1, (size_t)2, (size_t)3, (size_t)4, (size_t)12, (size_t)24, (size_t)48,
                   (size_t)4097, SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 63 | 8}) {
    void* out = (void*)0x5678;
    EXPECT_EQ(ta_posix_memalign(&out, a, 100), EINVAL) << a;
    EXPECT_EQ(out, (void*)0x5678) << a;
  }
  for (size_t a : {(size_t)0, (size_t)3, (size_t)24, (size_t)48, (size_t)4097, SIZE_MAX}) {
    errno = 0;
    EXPECT_EQ(ta_aligned_alloc(a, 100), nullptr) << a;
    EXPECT_EQ(errno, EINVAL) << a;
  }
  // memalign is glibc's: a non-power-of-two is rounded up, an impossible one is EINVAL.
  for (size_t a : {(size_t)3, (size_t)24, (size_t)48, (size_t)100, (size_t)4097}) {
    void* p = ta_memalign(a, 100);
    size_t up = 1;
    while (up < a) up <<= 1;
    expect_aligned_block(p, up, 100, "memalign");
    ta_free(p);
  }
  for (size_t a : {SIZE_MAX, SIZE_MAX / 2 + 2}) {
    errno = 0;
    EXPECT_EQ(ta_memalign(a, 100), nullptr) << a;
    EXPECT_EQ(errno, EINVAL) << a;
  }
}

TEST(Contract, VallocAndPvallocArePageAligned) {
  const size_t page = page_size();
  std::vector<void*> live;
  for (size_t n : {(size_t)0, (size_t)1, (size_t)100, page - 1, page, page + 1, 3 * page + 5, 100 * KiB,
                   kSmallMax + 1, 3 * MiB}) {
    for (int rep = 0; rep < 4; rep++) {
      void* v = ta_valloc(n);
      expect_aligned_block(v, page, n, "valloc");
      void* pv = ta_pvalloc(n);
      // pvalloc rounds the size up to whole pages (0 stays 0, as in glibc).
      size_t rounded = (n + page - 1) / page * page;
      expect_aligned_block(pv, page, rounded, "pvalloc");
      live.insert(live.end(), {v, pv});
    }
  }
  for (void* p : live) ta_free(p);
}

// Grows one block step by step through the classes into large sizes, then shrinks it back; the
// contents up to the smaller size survive every step.
TEST(Contract, ReallocKeepsContentsAcrossClasses) {
  const size_t up[] = {1,     8,     16,    17,     100,    128,    1000,      1024,          1025,
                       5000,  8192,  65536, 100000, 200000, kSmallMax, kSmallMax + 1, 300000, 1 * MiB,
                       3 * MiB, 10 * MiB, 33 * MiB};
  for (int direction = 0; direction < 2; direction++) {
    std::vector<size_t> steps(std::begin(up), std::end(up));
    if (direction) std::reverse(steps.begin(), steps.end());
    size_t cur = steps[0];
    void* p = ta_malloc(cur);
    ASSERT_NE(p, nullptr);
    fill_sampled(p, cur, cur);
    uint64_t seed = cur;
    for (size_t i = 1; i < steps.size(); i++) {
      size_t next = steps[i];
      void* q = ta_realloc(p, next);
      ASSERT_NE(q, nullptr) << cur << " -> " << next;
      EXPECT_TRUE(aligned_to(q, 16));
      EXPECT_GE(ta_usable_size(q), next);
      size_t kept = std::min(cur, next);
      // The bytes the old size's sampled pattern wrote, as far as the new size keeps them.
      const uint8_t* b = (const uint8_t*)q;
      for (size_t j = 0; j < kept; j++) {
        bool sampled = j < 4096 || j % 4096 == 0 || j + 4096 >= cur;
        if (sampled) ASSERT_EQ(b[j], hakt::pattern_byte(seed, j)) << cur << " -> " << next << " at " << j;
        if (j >= 4096 && j + 4096 < cur) j = std::min(j | 4095, cur - 4097);  // to the next sampled byte
      }
      p = q;
      cur = next;
      seed = cur * 31 + i;
      fill_sampled(p, cur, seed);
    }
    ta_free(p);
  }
}

// Many blocks realloc'ed at once by small random steps, every byte checked.
TEST(Contract, ReallocRandomStepsKeepEveryByte) {
  hakt::Rng rng(42);
  const int kBlocks = 64;
  std::vector<void*> ps(kBlocks, nullptr);
  std::vector<size_t> ns(kBlocks, 0);
  std::vector<uint64_t> seeds(kBlocks, 0);
  for (int round = 0; round < (HAKT_ASAN ? 2000 : 6000); round++) {
    int i = (int)rng.range(0, kBlocks - 1);
    size_t n = rng.next() % 8 == 0 ? rng.range(0, 400000) : rng.range(0, 3000);
    void* q = ta_realloc(ps[i], n);
    if (n == 0 && ps[i]) {
      ASSERT_EQ(q, nullptr);
    } else {
      ASSERT_NE(q, nullptr);
      size_t kept = std::min(n, ns[i]);
      ASSERT_EQ(check(q, kept, seeds[i]), kept) << ns[i] << " -> " << n;
    }
    ps[i] = q;
    ns[i] = q ? n : 0;
    seeds[i] = rng.next();
    if (q) fill(q, n, seeds[i]);
  }
  for (int i = 0; i < kBlocks; i++) {
    ASSERT_EQ(check(ps[i], ns[i], seeds[i]), ns[i]);
    ta_free(ps[i]);
  }
}

// malloc_usable_size covers the request, and every usable byte may really be written (in the safe
// profile a canary follows the usable bytes: writing them all must not trip it).
TEST(Contract, UsableSizeCoversTheRequest) {
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 4096; n++) sizes.push_back(n);
  for (size_t n = 4096; n <= 2 * MiB; n = n * 17 / 16 + 1) sizes.push_back(n);
  for (size_t n : {kSmallMax - 1, kSmallMax, kSmallMax + 1, 5 * MiB + 3}) sizes.push_back(n);
  for (size_t n : sizes) {
    void* p = ta_malloc(n);
    ASSERT_NE(p, nullptr) << n;
    size_t u = ta_usable_size(p);
    ASSERT_GE(u, n);
    // safe: a small block's usable size is exactly its request (the canary follows it).
    if (HAK_CFG_CANARY && n > 0 && n <= kSmallMax - 8) ASSERT_EQ(u, n);
    if (u <= 64 * KiB) memset(p, 0xee, u);
    else {
      memset(p, 0xee, 4096);
      memset((uint8_t*)p + u - 4096, 0xee, 4096);
    }
    ta_free(p);
  }
  void* q = ta_calloc(10, 10);
  EXPECT_GE(ta_usable_size(q), 100u);
  ta_free(q);
  EXPECT_EQ(ta_usable_size(nullptr), 0u);
}

// 16-byte alignment for every size up to 64 KiB (with blocks kept alive so that more than the first
// block of each slab is seen), then sizes sampled up to 64 MiB.
TEST(Contract, SixteenByteAlignmentForEverySize) {
  const int kRing = 48;
  void* ring[kRing] = {};
  int at = 0;
  for (size_t n = 0; n <= 64 * KiB; n++) {
    void* p = ta_malloc(n);
    ASSERT_NE(p, nullptr) << n;
    ASSERT_TRUE(aligned_to(p, 16)) << "malloc(" << n << ") = " << p;
    if (n) {
      ((volatile uint8_t*)p)[0] = 1;
      ((volatile uint8_t*)p)[n - 1] = 2;
    }
    ta_free(ring[at]);
    ring[at] = p;
    at = (at + 1) % kRing;
  }
  for (void*& p : ring) {
    ta_free(p);
    p = nullptr;
  }
  hakt::Rng rng(7);
  for (size_t base = 64 * KiB; base <= 64 * MiB; base = base * 9 / 8) {
    for (size_t n : {base, base + rng.range(1, 15), base + rng.range(16, 4096)}) {
      void* p = ta_malloc(n);
      ASSERT_NE(p, nullptr) << n;
      ASSERT_TRUE(aligned_to(p, 16)) << "malloc(" << n << ") = " << p;
      ((volatile uint8_t*)p)[0] = 1;
      ((volatile uint8_t*)p)[n - 1] = 2;
      void* c = ta_calloc(1, n);
      ASSERT_NE(c, nullptr) << n;
      ASSERT_TRUE(aligned_to(c, 16)) << "calloc(" << n << ") = " << c;
      ta_free(c);
      ta_free(p);
    }
  }
}

// Live blocks never overlap: random sizes, each filled with its own pattern, the address intervals
// checked directly, every pattern verified, half freed and replaced, checked again.
TEST(Contract, LiveBlocksNeverOverlap) {
  hakt::Rng rng(1234);
  const int kBlocks = HAKT_ASAN ? 8000 : 20000;
  struct Block {
    uint8_t* p;
    size_t n;
    uint64_t seed;
  };
  auto random_size = [&]() -> size_t {
    uint64_t r = rng.next() % 1000;
    if (r < 700) return rng.range(0, 256);
    if (r < 900) return rng.range(257, 4096);
    if (r < 997) return rng.range(4097, 32768);
    return rng.range(32769, 1536 * KiB);
  };
  std::vector<Block> blocks;
  auto make = [&]() {
    Block b;
    b.n = random_size();
    b.seed = rng.next();
    b.p = (uint8_t*)ta_malloc(b.n);
    if (b.n <= 64 * KiB) fill(b.p, b.n, b.seed);
    else fill_sampled(b.p, b.n, b.seed);
    return b;
  };
  auto verify_all = [&]() {
    for (const Block& b : blocks) {
      size_t bad = b.n <= 64 * KiB ? check(b.p, b.n, b.seed) : check_sampled(b.p, b.n, b.seed);
      ASSERT_EQ(bad, b.n) << "block " << (void*)b.p << " of " << b.n << " bytes overwritten at " << bad;
    }
    std::vector<Block> sorted = blocks;
    std::sort(sorted.begin(), sorted.end(), [](const Block& x, const Block& y) { return x.p < y.p; });
    for (size_t i = 1; i < sorted.size(); i++) {
      // malloc(0) blocks still own at least one byte: distinct pointers.
      size_t len = std::max<size_t>(sorted[i - 1].n, 1);
      ASSERT_LE(sorted[i - 1].p + len, sorted[i].p)
          << (void*)sorted[i - 1].p << "+" << sorted[i - 1].n << " overlaps " << (void*)sorted[i].p;
    }
  };
  for (int i = 0; i < kBlocks; i++) {
    blocks.push_back(make());
    ASSERT_NE(blocks.back().p, nullptr);
  }
  verify_all();
  for (int round = 0; round < 3; round++) {
    for (Block& b : blocks) {
      if (rng.next() & 1) {
        ta_free(b.p);
        b = make();
        ASSERT_NE(b.p, nullptr);
      }
    }
    verify_all();
  }
  for (Block& b : blocks) ta_free(b.p);
}

TEST(Contract, FreeSizedAndFreeAlignedSized) {
  hak_stats_t before = hakt::stats();
  hakt::Rng rng(99);
  for (int i = 0; i < 100000; i++) {
    size_t n = rng.next() % 16 == 0 ? rng.range(0, 300000) : rng.range(0, 2048);
    void* p = ta_malloc(n);
    ASSERT_NE(p, nullptr);
    if (n) ((volatile uint8_t*)p)[n - 1] = 1;
    ta_free_sized(p, n);
  }
  for (size_t a = 1; a <= 1 * MiB; a <<= 1) {
    for (size_t n : {a, 3 * a, (size_t)100}) {
      for (int rep = 0; rep < 20; rep++) {
        void* p = ta_aligned_alloc(a, n);
        ASSERT_NE(p, nullptr);
        ASSERT_TRUE(aligned_to(p, a < 16 ? 16 : a));
        ta_free_aligned_sized(p, a, n);
      }
    }
  }
  hak_stats_t after = hakt::stats();
  EXPECT_LT(after.bytes_mapped, before.bytes_mapped + 64 * MiB) << "free_sized leaks";
  EXPECT_EQ(after.large_live_blocks, before.large_live_blocks);
}

// The stats add up: everything mapped is SuperSlabs, large blocks (live, or free spans kept) and metadata; large
// blocks are counted as they live and die; per-class counters move in the observe profile only.
TEST(Contract, StatsAreConsistent) {
  auto mapped_parts = [](const hak_stats_t& s) {
    return s.superslabs * 2 * MiB + s.large_live_bytes + s.large_cached_bytes + s.meta_bytes;
  };
  hak_stats_t s0 = hakt::stats();
  EXPECT_EQ(s0.bytes_mapped, mapped_parts(s0));
  EXPECT_GT(s0.rss_bytes, 0u);
  for (unsigned c = 0; c < HAK_STATS_CLASSES; c++) {
    EXPECT_EQ(s0.classes[c].block_size % 16, 0u);
    if (c) EXPECT_GT(s0.classes[c].block_size, s0.classes[c - 1].block_size);
  }
  EXPECT_EQ(s0.classes[HAK_STATS_CLASSES - 1].block_size, kSmallMax);

  std::vector<void*> small, large;
  for (int i = 0; i < 1000; i++) small.push_back(ta_malloc(100));
  for (int i = 0; i < 3; i++) large.push_back(ta_malloc(kSmallMax + 1 + i * MiB));
  hak_stats_t s1 = hakt::stats();
  EXPECT_EQ(s1.bytes_mapped, mapped_parts(s1));
  EXPECT_EQ(s1.large_live_blocks, s0.large_live_blocks + 3);
  EXPECT_GE(s1.large_live_bytes, s0.large_live_bytes + 3 * (kSmallMax + 1) + 3 * MiB);
  EXPECT_GT(s1.slabs, 0u);
  for (void* p : small) ta_free(p);
  for (void* p : large) ta_free(p);
  hak_stats_t s2 = hakt::stats();
  EXPECT_EQ(s2.bytes_mapped, mapped_parts(s2));
  EXPECT_EQ(s2.large_live_blocks, s0.large_live_blocks);

  uint64_t allocs = 0, frees = 0, class_allocs = 0, class_frees = 0;
  for (unsigned c = 0; c < HAK_STATS_CLASSES; c++) {
    class_allocs += s2.classes[c].allocs - s0.classes[c].allocs;
    class_frees += s2.classes[c].frees - s0.classes[c].frees;
  }
  allocs = s2.allocs - s0.allocs;
  frees = s2.frees - s0.frees;
  EXPECT_EQ(allocs, class_allocs);
  EXPECT_EQ(frees, class_frees);
  if (HAK_CFG_STATS) {
    EXPECT_GE(allocs, 1000u);
    EXPECT_GE(frees, 1000u);
  } else {
    EXPECT_EQ(s2.allocs, 0u);
    EXPECT_EQ(s2.frees, 0u);
  }

  FILE* f = tmpfile();
  ASSERT_NE(f, nullptr);
  hak_stats_print(f);
  rewind(f);
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof line, f), nullptr);
  EXPECT_EQ(std::string(line), std::string("hakmem stats (profile ") + HAK_PROFILE_NAME + ")\n");
  fclose(f);
}

// The release policy comes from the profile or HAKMEM_RELEASE (contract_lean_test sets "lean"): a
// freed large block is kept for reuse, except under LEAN, which unmaps it at once.
TEST(Contract, ReleasePolicyDecidesWhetherFreedLargeBlocksAreKept) {
  const char* env = getenv("HAKMEM_RELEASE");
#ifdef HAKT_LEAN_VARIANT
  ASSERT_NE(env, nullptr) << "contract_lean_test runs without its environment";
  ASSERT_STREQ(env, "lean");
#endif
  bool lean = HAK_CFG_ENV_TUNING ? (env && strcmp(env, "lean") == 0) : HAK_CFG_RELEASE_POLICY == 0;
  ta_trim(0);
  hak_stats_t s0 = hakt::stats();
  EXPECT_EQ(s0.large_cached_bytes, 0u);
  void* p = ta_malloc(1 * MiB);
  ASSERT_NE(p, nullptr);
  ta_free(p);
  hak_stats_t s1 = hakt::stats();
  if (lean && HAK_CFG_CHECK_FREE) {
    // safe: the pages go back at once, the range (and its guard page) waits in the quarantine.
    EXPECT_EQ(s1.large_cached_bytes, 1 * MiB + 4096);
    EXPECT_EQ(s1.bytes_mapped, s0.bytes_mapped + 1 * MiB + 4096);
  } else if (lean) {
    EXPECT_EQ(s1.large_cached_bytes, 0u);
    EXPECT_EQ(s1.bytes_mapped, s0.bytes_mapped) << "the mapping is returned at once";
  } else {
    EXPECT_GE(s1.large_cached_bytes, 1 * MiB);
    // ... and reused: the next block of that size costs no system call. Not in safe, where a
    // freed block waits inaccessible in the quarantine and every block is a new mapping with a
    // guard page after it.
    void* q = ta_malloc(1 * MiB);
    ASSERT_NE(q, nullptr);
    if (HAK_CFG_CHECK_FREE) EXPECT_GT(hakt::stats().mmap_calls, s1.mmap_calls);
    else EXPECT_EQ(hakt::stats().mmap_calls, s1.mmap_calls);
    ta_free(q);
  }
}

TEST(Contract, TrimReleasesAndMemoryStillWorks) {
  std::vector<void*> ps;
  for (int i = 0; i < 20000; i++) {
    void* p = ta_malloc(1000 + (i % 7) * 16);
    ASSERT_NE(p, nullptr);
    memset(p, 1, 1000);
    ps.push_back(p);
  }
  for (int i = 0; i < 8; i++) ps.push_back(ta_malloc(1 * MiB + i * 4096));
  for (void* p : ps) ta_free(p);
  ps.clear();

  EXPECT_EQ(ta_trim(0), 1);
  hak_stats_t s = hakt::stats();
  EXPECT_EQ(s.retained_bytes, 0u) << "trim keeps empty pages committed";
  EXPECT_EQ(s.large_cached_bytes, 0u) << "trim keeps free large spans";

  for (int i = 0; i < 20000; i++) {
    size_t n = 1 + (size_t)(i * 37) % 5000;
    void* p = ta_malloc(n);
    ASSERT_NE(p, nullptr);
    fill(p, n, (uint64_t)i);
    ps.push_back(p);
  }
  for (int i = 0; i < 20000; i++) {
    size_t n = 1 + (size_t)(i * 37) % 5000;
    ASSERT_EQ(check(ps[(size_t)i], n, (uint64_t)i), n);
    ta_free(ps[(size_t)i]);
  }
  void* big = ta_malloc(3 * MiB);
  ASSERT_NE(big, nullptr);
  fill_sampled(big, 3 * MiB, 5);
  EXPECT_EQ(check_sampled(big, 3 * MiB, 5), 3 * MiB);
  ta_free(big);
  EXPECT_EQ(ta_trim(0), 1);
  EXPECT_EQ(ta_trim(1 * MiB), 1);
}

}  // namespace
