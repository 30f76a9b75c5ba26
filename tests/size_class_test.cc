// size_class box: size (and alignment) -> class, class -> block size, offset -> block index.
#include <stdint.h>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/size_class/size_class.h"
}

namespace {

constexpr size_t KiB = 1024;

TEST(SizeClass, TableShape) {
  ASSERT_EQ(HAK_NCLASSES, 52);
  EXPECT_EQ(hak_class_size(0), 16u);
  EXPECT_EQ(hak_class_size(HAK_NCLASSES - 1), HAK_SMALL_MAX);
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    const hak_class_info_t& info = hak_class_info[c];
    SCOPED_TRACE(c);
    EXPECT_EQ(info.block_size % 16, 0u);
    if (c) EXPECT_GT(info.block_size, hak_class_info[c - 1].block_size) << "classes grow strictly";
    // The slab holds its blocks, and not much more (at most one block of tail waste).
    size_t slab_bytes = (size_t)info.slab_pages * 64 * KiB;
    EXPECT_GE(info.slab_pages, 1u);
    EXPECT_LE((size_t)info.blocks * info.block_size, slab_bytes);
    EXPECT_GT((size_t)(info.blocks + 1) * info.block_size, slab_bytes);
    EXPECT_GE(info.cache_cap, 1u);
    EXPECT_GE(info.batch, 1u);
    EXPECT_LE(info.batch, info.cache_cap);
    // The reciprocal used for offset -> index is the rounded-up 2^42 / block size.
    EXPECT_EQ(info.inv_size, (((uint64_t)1 << 42) + info.block_size - 1) / info.block_size);
    EXPECT_EQ(info.slab_pages == 1, c < HAK_NCLASSES_ONE_PAGE) << "one-page classes come first";
    // hak_class_block_exact's constants: block_size = odd * 2^div_shift, div_mul = odd^-1.
    uint64_t odd = info.block_size >> info.div_shift;
    EXPECT_EQ(odd % 2, 1u);
    EXPECT_EQ(odd * info.div_mul, 1u);
    EXPECT_EQ(info.slab_id & 0xffffffffu, HAK_SLAB_MAGIC);
    EXPECT_EQ(info.slab_id >> 32, info.block_size);
  }
}

// Every size 0..256 KiB: a class that holds it, a multiple of 16, the smallest such class (so the
// mapping is monotonic), and bounded waste.
TEST(SizeClass, EverySizeMapsToASmallFittingClass) {
  unsigned prev = 0;
  for (size_t size = 0; size <= HAK_SMALL_MAX; size++) {
    unsigned c = hak_class_of(size);
    ASSERT_LT(c, (unsigned)HAK_NCLASSES) << size;
    size_t bs = hak_class_size(c);
    ASSERT_GE(bs, size) << size;
    ASSERT_EQ(bs % 16, 0u) << size;
    ASSERT_LE((double)bs, (double)size * 1.25 + 16) << "waste for size " << size;
    ASSERT_GE(c, prev) << "class of " << size << " below the class of " << size - 1;
    if (c) ASSERT_LT(hak_class_size(c - 1), size) << "size " << size << " fits a smaller class";
    prev = c;
    // The two lookups agree where both apply.
    if (size <= HAK_TABLE_MAX) ASSERT_EQ(hak_class_of_table(size), c) << size;
    if (size > 128) ASSERT_EQ(hak_class_of_large(size), c) << size;
  }
  EXPECT_EQ(prev, (unsigned)HAK_NCLASSES - 1);
}

// Every power-of-two alignment: the class returned is the smallest whose block size is a multiple
// of the alignment and holds the size; alignments beyond what a slab's start guarantees (64 KiB)
// have no class: such blocks come from the large box.
TEST(SizeClass, ClassOfAlignedForEveryPowerOfTwo) {
  for (size_t align = 1; align <= ((size_t)1 << 22); align <<= 1) {
    for (size_t size = 0; size <= HAK_SMALL_MAX + 16; size += (size < 4096 ? 1 : size < 65536 ? 61 : 997)) {
      int c = hak_class_of_aligned(size, align);
      int expect = -1;
      if (size <= HAK_SMALL_MAX && align <= HAK_SLAB_ALIGN) {
        for (unsigned k = 0; k < HAK_NCLASSES; k++) {
          if (hak_class_size(k) >= size && hak_class_size(k) % align == 0) {
            expect = (int)k;
            break;
          }
        }
      }
      ASSERT_EQ(c, expect) << "size " << size << " align " << align;
    }
    for (size_t size : {HAK_SMALL_MAX, HAK_SMALL_MAX + 1, (size_t)1 << 30, SIZE_MAX}) {
      int c = hak_class_of_aligned(size, align);
      if (size > HAK_SMALL_MAX || align > HAK_SLAB_ALIGN) EXPECT_EQ(c, -1) << size << " " << align;
      else EXPECT_EQ(c, HAK_NCLASSES - 1) << size << " " << align;
    }
  }
  // Small alignments never cost a bigger class.
  for (size_t size = 0; size <= 4096; size++) EXPECT_EQ(hak_class_of_aligned(size, 16), (int)hak_class_of(size));
}

// hak_class_block_index is floor(offset / block size) for every byte offset of every slab: the
// route box relies on it to tell block starts from interior pointers.
TEST(SizeClass, BlockIndexIsExactForEveryOffset) {
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    const hak_class_info_t& info = hak_class_info[c];
    size_t slab_bytes = (size_t)info.slab_pages * 64 * KiB;
    size_t bs = info.block_size;
    for (size_t off = 0; off < slab_bytes; off++) {
      uint32_t want = (uint32_t)(off / bs);
      uint32_t got = hak_class_block_index(c, off);
      if (got != want) {
        FAIL() << "class " << c << " offset " << off << ": index " << got << ", expected " << want;
      }
    }
  }
}

// hak_class_block_exact is the block index for a whole number of blocks and more than any slab's
// block count for every other offset of the slab's pages, and for offsets below the slab (negative)
// or far above it: "a block start of this slab" is one compare.
TEST(SizeClass, BlockExactRejectsEveryOtherOffset) {
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    const hak_class_info_t& info = hak_class_info[c];
    size_t slab_bytes = (size_t)info.slab_pages * 64 * KiB;
    uint64_t bs = info.block_size;
    auto check = [&](uint64_t off) {
      uint64_t got = hak_class_block_exact(c, off);
      if (off % bs == 0 && off / bs < info.blocks) {
        if (got != off / bs) ADD_FAILURE() << "class " << c << " offset " << off << ": index " << got;
      } else if (off % bs != 0 && got <= UINT64_MAX / bs) {
        ADD_FAILURE() << "class " << c << " offset " << off << ": " << got << " passes for an index";
      } else if (got < info.blocks) {
        ADD_FAILURE() << "class " << c << " offset " << off << ": " << got << " is in the slab";
      }
    };
    for (uint64_t off = 0; off < slab_bytes + 2 * bs; off++) check(off);
    for (uint64_t back = 1; back < 4 * 1024 * KiB; back += 1 + back / 7) check(0 - back);
    for (uint64_t far = slab_bytes; far < ((uint64_t)1 << 47); far = far * 3 + 16) check(far);
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
