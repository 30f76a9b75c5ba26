#include "hakmem/box/size_class/size_class.h"

#define HAK_BATCH(cap) ((cap) / 2 > 0 ? (cap) / 2 : 1)
#define HAK_INV(bs) ((((uint64_t)1 << 42) + (bs) - 1) / (bs))
/* bs = odd * 2^HAK_SHIFT(bs); odd^-1 mod 2^64 by Newton's iteration (x = odd is right to 3 bits,
 * each step doubles them: 5 steps give 96). */
#define HAK_SHIFT(bs) __builtin_ctz(bs)
#define HAK_ODD(bs) ((uint64_t)(bs) >> HAK_SHIFT(bs))
#define HAK_NEWTON(d, x) ((x) * (2 - (d) * (x)))
#define HAK_DIV_MUL(bs) \
  HAK_NEWTON(HAK_ODD(bs), HAK_NEWTON(HAK_ODD(bs), HAK_NEWTON(HAK_ODD(bs), HAK_NEWTON(HAK_ODD(bs), HAK_NEWTON(HAK_ODD(bs), HAK_ODD(bs))))))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HAK_SLAB_ID(bs) ((uint64_t)(bs) << 32 | HAK_SLAB_MAGIC)
#else
#define HAK_SLAB_ID(bs) ((uint64_t)HAK_SLAB_MAGIC << 32 | (bs))
#endif

const hak_class_info_t hak_class_info[HAK_NCLASSES] = {
#define HAK_CLASS(i, bs, pages, blocks, cap, cap_max) \
  {bs, pages, blocks, cap, cap_max, HAK_BATCH(cap), HAK_SHIFT(bs), HAK_INV(bs), HAK_DIV_MUL(bs), HAK_SLAB_ID(bs)},
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
};

/* hak_class_table[n] = class of size n, for n in 0..HAK_TABLE_MAX. */
const uint8_t hak_class_table[HAK_TABLE_MAX + 1] = {
#define HAK_SIZE_TABLE(...) __VA_ARGS__,
#define HAK_CLASS(i, bs, pages, blocks, cap, cap_max)
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
