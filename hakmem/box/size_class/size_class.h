/* size_class box: request size (and alignment) -> class index; class -> block size and slab shape.
 *
 * 52 classes, 16 B .. 256 KiB, all multiples of 16: 16..128 in steps of 16, then four per doubling
 * (internal waste <= 25%, 12.5% on average). The tables are generated at build time
 * (tools/gen/size_classes.py). Sizes above HAK_SMALL_MAX are not classes (large box).
 * Pure functions and constant tables: thread-safe, no knobs. */
#ifndef HAKMEM_BOX_SIZE_CLASS_H
#define HAKMEM_BOX_SIZE_CLASS_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/config/profile.h"

enum {
#define HAK_CLASS(i, bs, pages, blocks, cap, cap_max) HAK_CLASS_COUNT_##i,
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
  HAK_NCLASSES
};

/* Classes [0, HAK_NCLASSES_ONE_PAGE) have slabs of one 64 KiB page (the smaller classes: the
 * table grows), so a page of theirs is its slab's head. */
enum {
  HAK_NCLASSES_ONE_PAGE = 0
#define HAK_CLASS(i, bs, pages, blocks, cap, cap_max) +((pages) == 1)
#include "hakmem/box/size_class/size_class_table.inc"
#undef HAK_CLASS
};

#define HAK_SMALL_MAX ((size_t)256 * 1024) /* largest class */
#define HAK_TABLE_MAX ((size_t)1024)       /* sizes up to here use the byte table */
#define HAK_CLASS_NONE HAK_NCLASSES        /* the class of a page that holds no blocks */

/* A live slab's magic word (superslab.h); here so that the class table can hold hak_slab_id's
 * expected value. */
#define HAK_SLAB_MAGIC 0x51ab51abu

typedef struct hak_class_info {
  uint32_t block_size;
  uint16_t slab_pages;  /* 64 KiB pages per slab */
  uint16_t blocks;      /* blocks per slab */
  uint16_t cache_cap;   /* thread cache slots: <= 128, <= max(32 KiB, 32 blocks), <= 256 KiB */
  uint16_t cache_max;   /* what a bin may grow to: <= max(32 KiB, 32 blocks), <= 256 KiB */
  uint16_t batch;       /* blocks moved per refill / flush */
  uint8_t div_shift;    /* block_size = odd * 2^div_shift */
  uint64_t inv_size;    /* ceil(2^42 / block_size): offset -> block index without a division */
  uint64_t div_mul;     /* odd^-1 mod 2^64: hak_class_block_exact */
  uint64_t slab_id;     /* a live slab's magic and block size as one word (superslab.h, hak_slab_id) */
} hak_class_info_t;

extern const hak_class_info_t hak_class_info[HAK_NCLASSES] HAK_HIDDEN;
extern const uint8_t hak_class_table[HAK_TABLE_MAX + 1] HAK_HIDDEN;

/* Class of a size in 0..HAK_TABLE_MAX: one load, indexed by the size itself (1 KiB of table; the
 * 65-entry table of 16-byte steps costs two more instructions of latency on every malloc). */
HAK_INLINE size_t hak_class_of_table(size_t size) { return hak_class_table[size]; }

/* Class of a size in (128, HAK_SMALL_MAX]: four classes per power of two. */
HAK_INLINE size_t hak_class_of_large(size_t size) {
  size_t s = size - 1;
  size_t k = 63u - (size_t)__builtin_clzl(s); /* s in [2^k, 2^(k+1)) */
  return 8u + (k - 7u) * 4u + ((s >> (k - 2u)) & 3u);
}

/* Class of any size <= HAK_SMALL_MAX. */
HAK_INLINE unsigned hak_class_of(size_t size) {
  return size <= HAK_TABLE_MAX ? hak_class_of_table(size) : hak_class_of_large(size);
}

HAK_INLINE size_t hak_class_size(size_t cls) { return hak_class_info[cls].block_size; }

/* Index of the block at byte offset off of a slab of class cls (off < slab bytes). */
HAK_INLINE uint32_t hak_class_block_index(unsigned cls, size_t off) {
  return (uint32_t)(((uint64_t)off * hak_class_info[cls].inv_size) >> 42); /* exact: off < 2^20 */
}

/* The index of the block at byte offset off of a slab of class cls when off is a whole number of
 * blocks; any other offset (also a "negative" one) gives a number above UINT64_MAX / block_size,
 * more than any slab's block count. So "off is a block of the slab" is one compare,
 * hak_class_block_exact(cls, off) < blocks, with no division and no multiply back. Why: x -> x * odd^-1
 * and the rotation are bijections of 64-bit numbers, and they take the multiples j * block_size
 * (j <= UINT64_MAX / block_size) to j; nothing else can reach those values. */
HAK_INLINE uint64_t hak_class_block_exact(unsigned cls, uint64_t off) {
  uint64_t x = off * hak_class_info[cls].div_mul;
  unsigned k = hak_class_info[cls].div_shift;
  return (x >> k) | (x << ((64 - k) & 63)); /* rotate right: one instruction */
}

/* Slabs start at least this aligned (64 KiB pages of 2 MiB-aligned SuperSlabs). */
#define HAK_SLAB_ALIGN ((size_t)64 * 1024)

/* Smallest class that holds size bytes with every block aligned to align (a power of two): the
 * block size must be a multiple of align, since slabs start HAK_SLAB_ALIGN-aligned; no class can
 * promise more than that. -1 when none. */
HAK_HIDDEN int hak_class_of_aligned(size_t size, size_t align);

#endif
