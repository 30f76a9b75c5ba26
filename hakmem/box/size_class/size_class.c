#include "hakmem/box/size_class/size_class.h"

#define HAK_BATCH(cap) ((cap) / 2 > 0 ? (cap) / 2 : 1)
#define HAK_INV(bs) ((((uint64_t)1 << 42) + (bs) - 1) / (bs))

const hak_class_info_t hak_class_info[HAK_NCLASSES] = {
#define HAK_CLASS(i, bs, pages, blocks, cap) {bs, pages, blocks, cap, HAK_BATCH(cap), HAK_INV(bs)},
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
};

/* hak_class_table[n] = class of size n, for n in 0..HAK_TABLE_MAX. */
const uint8_t hak_class_table[HAK_TABLE_MAX + 1] = {
#define HAK_SIZE_TABLE(...) __VA_ARGS__,
#define HAK_CLASS(i, bs, pages, blocks, cap)
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
#undef HAK_SIZE_TABLE
};

int hak_class_of_aligned(size_t size, size_t align) {
  /* A block size that is a multiple of 128 KiB does not make a block 128 KiB-aligned when its slab
   * starts on an odd 64 KiB page. */
  if (size > HAK_SMALL_MAX || align > HAK_SLAB_ALIGN) return -1;
  for (unsigned cls = hak_class_of(size); cls < HAK_NCLASSES; cls++)
    if ((hak_class_info[cls].block_size & (align - 1)) == 0) return (int)cls;
  return -1;
}
