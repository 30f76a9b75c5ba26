#include "hakmem/box/size_class/size_class.h"

#define HAK_BATCH(cap) ((cap) / 2 > 0 ? (cap) / 2 : 1)
#define HAK_INV(bs) ((((uint64_t)1 << 42) + (bs) - 1) / (bs))

const hak_class_info_t hak_class_info[HAK_NCLASSES] = {
#define HAK_CLASS(i, bs, pages, blocks, cap) {bs, pages, blocks, cap, HAK_BATCH(cap), HAK_INV(bs)},
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
};

/* hak_class_table[i] = class of size 16*i (and of every size in (16*(i-1), 16*i]). */
#define T8(a) a, a, a, a, a, a, a, a
const uint8_t hak_class_table[HAK_TABLE_MAX / 16 + 1] = {
    0, 0, 1, 2, 3, 4, 5, 6, 7,    /* 0, 16 .. 128 */
    8, 8, 9, 9, 10, 10, 11, 11,   /* 144 .. 256 */
    12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15, /* 272 .. 512 */
    T8(16), T8(17), T8(18), T8(19), /* 528 .. 1024 */
};

int hak_class_of_aligned(size_t size, size_t align) {
  /* A block size that is a multiple of 128 KiB does not make a block 128 KiB-aligned when its slab
   * starts on an odd 64 KiB page. */
  if (size > HAK_SMALL_MAX || align > HAK_SLAB_ALIGN) return -1;
  for (unsigned cls = hak_class_of(size); cls < HAK_NCLASSES; cls++)
    if ((hak_class_info[cls].block_size & (align - 1)) == 0) return (int)cls;
  return -1;
}
