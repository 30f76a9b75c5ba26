/* route box: pointer -> {small block in a SuperSlab, large block, not hakmem's}, with validation.
 *
 * The conversion point for every path that receives a pointer from the program outside the
 * malloc/free fast paths (free's slow path, realloc, malloc_usable_size, the safe profile's checks).
 * Never dereferences memory the registry does not mark as hakmem's. Validation checks, in order:
 * the registry, a page that holds a slab, the slab's magic, the offset being a whole number of
 * blocks, and (safe profile) the block's allocated state (its state byte and its tail word).
 * Thread-safe: reads only. */
#ifndef HAKMEM_BOX_ROUTE_H
#define HAKMEM_BOX_ROUTE_H

#include "hakmem/box/large/large.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/box/zero/zero.h"
#include "hakmem/config/profile.h"

/* ZERO: safe's malloc(0) block (zero box), usable size 0. */
typedef enum hak_route_kind { HAK_ROUTE_BAD = 0, HAK_ROUTE_SMALL, HAK_ROUTE_LARGE, HAK_ROUTE_ZERO } hak_route_kind_t;

typedef struct hak_route {
  hak_route_kind_t kind;
  hak_error_t error;  /* when kind is HAK_ROUTE_BAD */
  int cls;            /* small: the class; -1 otherwise */
  size_t block_size;  /* small: the block size; large: the usable size */
  hak_slab_t* slab;   /* small: the slab (head page entry) */
  uint32_t index;     /* small: the block's index in its slab */
  hak_large_t* large; /* large: the header */
} hak_route_t;

HAK_INLINE hak_route_t hak_route_bad(hak_error_t err, int cls, size_t block_size) {
  hak_route_t r = {HAK_ROUTE_BAD, err, cls, block_size, NULL, 0, NULL};
  return r;
}

/* Safe profile: the last word of a small block (the canary, HAK_CANARY_BYTES in front.h) holds
 * its state while a thread has it (state byte HAK_BLOCK_OUT): hak_tail_live(a) while the program
 * has it, hak_tail_cached(a) in a thread cache. malloc and free read and write that word in the
 * block itself, not the state bytes' lines. Per address, with high bits that no user-space pointer
 * and no small number has (no multiply: it is computed at every malloc and free): program data
 * (an overflow, a write after free) does not match either by chance, and the program never sees
 * the word (it is past the usable size). */
#define HAK_TAIL_SECRET 0x9e3779b97f4a7c15ull
HAK_INLINE uint64_t hak_tail_live(uintptr_t a) { return a ^ HAK_TAIL_SECRET; }
HAK_INLINE uint64_t hak_tail_cached(uintptr_t a) { return ~hak_tail_live(a); }

/* Blocks are 16-byte aligned; the type may alias whatever the program stored there. */
typedef uint64_t __attribute__((may_alias)) hak_word_t;
HAK_INLINE uint64_t hak_tail_load(uintptr_t a, size_t bs) { return *(const hak_word_t*)(a + bs - 8); }
HAK_INLINE void hak_tail_store(uintptr_t a, size_t bs, uint64_t v) { *(hak_word_t*)(a + bs - 8) = v; }
/* Live <-> cached in place (one instruction; the tags are each other's complement). */
HAK_INLINE void hak_tail_flip(uintptr_t a, size_t bs) {
  volatile hak_word_t* w = (volatile hak_word_t*)(a + bs - 8);
  *w = ~*w;
}

/* Safe profile: the state of block index of slab s, at a: the state byte, or for HAK_BLOCK_OUT
 * what its tail says (HAK_BLOCK_FREED: in a thread cache; HAK_BLOCK_ALLOCATED otherwise, also
 * when an overflow overwrote the tail: free's check names it). A FRESH block was never handed out. */
HAK_INLINE unsigned hak_block_state(const hak_slab_t* s, uint32_t index, uintptr_t a, size_t bs) {
  unsigned state = s->states[index];
  if (state == HAK_BLOCK_FRESH) return HAK_BLOCK_NEVER;
  if (state != HAK_BLOCK_OUT) return state;
  return hak_tail_load(a, bs) == hak_tail_cached(a) ? HAK_BLOCK_FREED : HAK_BLOCK_ALLOCATED;
}

/* Whether slab s is live and of class cls (its magic and block size, one compare). */
HAK_INLINE int hak_slab_is(const hak_slab_t* s, unsigned cls) { return hak_slab_id(s) == hak_class_info[cls].slab_id; }

/* The index of the block at a in slab s of class cls, or a number >= s->capacity when a is not
 * the start of one of its blocks (one compare: hak_class_block_exact). */
HAK_INLINE uint64_t hak_slab_block_at(const hak_slab_t* s, unsigned cls, uintptr_t a) {
  return hak_class_block_exact(cls, a - (uintptr_t)s->start);
}

/* Validates address a inside a SuperSlab whose page entry is page, but for the block's state.
 * Inline: the safe profile's free has both already and checks the state from the tail itself. */
HAK_INLINE hak_route_t hak_route_block(uintptr_t a, hak_slab_t* page) {
  unsigned cls = hak_page_class(page);
  if (cls >= HAK_NCLASSES) return hak_route_bad(HAK_ERR_INVALID_POINTER, -1, 0);
  hak_slab_t* s = hak_slab_head(page);
  size_t bs = hak_class_size(cls);
  if (!hak_slab_is(s, cls)) return hak_route_bad(HAK_ERR_METADATA_CORRUPT, (int)cls, bs);
  uint64_t index = hak_slab_block_at(s, cls, a);
  if (index >= s->capacity) return hak_route_bad(HAK_ERR_INTERIOR_POINTER, (int)cls, bs);
  hak_route_t r = {HAK_ROUTE_SMALL, HAK_ERR_COUNT, (int)cls, bs, s, (uint32_t)index, NULL};
  return r;
}

/* hak_route_block, and (safe profile) the block must be allocated. */
HAK_INLINE hak_route_t hak_route_small(uintptr_t a, hak_slab_t* page) {
  hak_route_t r = hak_route_block(a, page);
  if (HAK_CFG_CHECK_FREE && r.kind == HAK_ROUTE_SMALL) {
    unsigned state = hak_block_state(r.slab, r.index, a, r.block_size);
    if (state != HAK_BLOCK_ALLOCATED) {
      if (state == HAK_BLOCK_NEVER) return hak_route_bad(HAK_ERR_INVALID_POINTER, r.cls, r.block_size);
      if (state == HAK_BLOCK_FREED || state == HAK_BLOCK_QUARANTINED) return hak_route_bad(HAK_ERR_DOUBLE_FREE, r.cls, r.block_size);
      return hak_route_bad(HAK_ERR_METADATA_CORRUPT, r.cls, r.block_size);
    }
  }
  return r;
}

/* Routes and validates p (not NULL). */
HAK_HIDDEN hak_route_t hak_route(const void* p);
/* Reports a bad route for p in func, with what is known of its class. */
HAK_HIDDEN void hak_route_report(const hak_route_t* r, const void* p, const char* func);

#endif
