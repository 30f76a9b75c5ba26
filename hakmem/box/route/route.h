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

/* Safe profile: the last word of a small block (the tail, HAK_CANARY_BYTES in front.h) holds its
 * state while a thread has it (state byte HAK_BLOCK_OUT): hak_tail_live(a, request) while the
 * program has it, with the size it asked for; hak_tail_cached(a) in a thread cache. malloc and free
 * read and write that word in the block itself, not the state bytes' lines. Per address (a >> 4:
 * blocks are 16-byte aligned and user space ends below 2^48), with high bits that no user-space
 * pointer and no small number has (no multiply: it is computed at every malloc and free): program
 * data (an overflow, a write after free) does not match either by chance, and the program never
 * sees the word (it is past the usable size). The requested size (20 bits hold every small
 * request) is in it three times, at bits 0, 20 and 44 (over the address's bits): a write that
 * changes it in one place and not the others, as any one byte does, no longer reads as live. A
 * cached tag is the complement of the live tag of size 0, which no live tag equals (bits 40..43). */
#define HAK_TAIL_SECRET 0x9e3779b97f4a7c15ull
HAK_INLINE uint64_t hak_tail_request_bits(uint64_t request) { return request | request << 20 | request << 44; }
HAK_INLINE uint64_t hak_tail_live(uintptr_t a, size_t request) {
  return (a >> 4) ^ hak_tail_request_bits(request) ^ HAK_TAIL_SECRET;
}
HAK_INLINE uint64_t hak_tail_cached(uintptr_t a) { return ~hak_tail_live(a, 0); }
/* The requested size in tail, a live tag of the block at a; HAK_TAIL_NOT_LIVE when tail is not. */
#define HAK_TAIL_NOT_LIVE UINT64_MAX
HAK_INLINE uint64_t hak_tail_request(uintptr_t a, uint64_t tail) {
  uint64_t x = tail ^ hak_tail_live(a, 0), request = x >> 44;
  return x == hak_tail_request_bits(request) ? request : HAK_TAIL_NOT_LIVE;
}

/* Blocks are 16-byte aligned; the type may alias whatever the program stored there. */
typedef uint64_t __attribute__((may_alias)) hak_word_t;
HAK_INLINE uint64_t hak_tail_load(uintptr_t a, size_t bs) { return *(const hak_word_t*)(a + bs - 8); }
HAK_INLINE void hak_tail_store(uintptr_t a, size_t bs, uint64_t v) { *(hak_word_t*)(a + bs - 8) = v; }

/* Safe profile: the canary, up to 8 bytes right after the request (before the tail), so that an
 * overflow past the requested size is seen whatever the class rounded it up to. Its word starts at
 * the request, or at bs - 16 when fewer than 8 bytes remain before the tail (then it also covers
 * the request's last bytes, which only malloc writes: hak_canary_arm). The value varies with the
 * address (a byte pattern would match a program filling with that byte). */
typedef uint64_t __attribute__((may_alias, aligned(1))) hak_uword_t;
HAK_INLINE size_t hak_canary_at(size_t request, size_t bs) { return request < bs - 16 ? request : bs - 16; }
#define HAK_CANARY_SECRET 0xc2b2ae3d27d4eb4full
HAK_INLINE uint64_t hak_canary_value(uintptr_t a) { return a ^ HAK_CANARY_SECRET; }
/* The canary bytes of the word at hak_canary_at (none when the request fills the block). */
HAK_INLINE uint64_t hak_canary_mask(size_t request, size_t bs) {
  size_t skip = request - hak_canary_at(request, bs); /* 0..8 bytes of the request in the word */
  return ~0ull << (4 * skip) << (4 * skip);            /* two shifts: 8 bytes shift it all out */
}
/* At malloc: the whole word (the request's bytes in it hold nothing yet). */
HAK_INLINE void hak_canary_arm(uintptr_t a, size_t request, size_t bs) {
  *(hak_uword_t*)(a + hak_canary_at(request, bs)) = hak_canary_value(a);
}
/* At an in-place realloc: the canary bytes only (the word may hold the program's data). */
HAK_INLINE void hak_canary_rearm(uintptr_t a, size_t request, size_t bs) {
  hak_uword_t* w = (hak_uword_t*)(a + hak_canary_at(request, bs));
  uint64_t mask = hak_canary_mask(request, bs);
  *w = (*w & ~mask) | (hak_canary_value(a) & mask);
}
HAK_INLINE int hak_canary_intact(uintptr_t a, size_t request, size_t bs) {
  uint64_t w = *(const hak_uword_t*)(a + hak_canary_at(request, bs));
  return ((w ^ hak_canary_value(a)) & hak_canary_mask(request, bs)) == 0;
}
/* The size the program asked for of the live block at a (bs bytes), checked: HAK_TAIL_NOT_LIVE
 * when the tail is not a live tag of a, names a size the block cannot hold, or the canary after
 * it was overwritten (an overflow, or a double free: the block is not live). */
HAK_INLINE uint64_t hak_live_request(uintptr_t a, size_t bs) {
  uint64_t request = hak_tail_request(a, hak_tail_load(a, bs));
  if (request > bs - 8 || !hak_canary_intact(a, request, bs)) return HAK_TAIL_NOT_LIVE;
  return request;
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
