/* route box: pointer -> {small block in a SuperSlab, large block, not hakmem's}, with validation.
 *
 * The conversion point for every path that receives a pointer from the program outside the
 * malloc/free fast paths (free's slow path, realloc, malloc_usable_size, the safe profile's checks).
 * Never dereferences memory the registry does not mark as hakmem's. Validation checks, in order:
 * the registry, a page that holds a slab, the slab's magic, the offset being a whole number of
 * blocks, and (safe profile) the block's allocated state. Thread-safe: reads only. */
#ifndef HAKMEM_BOX_ROUTE_H
#define HAKMEM_BOX_ROUTE_H

#include "hakmem/box/large/large.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/config/profile.h"

typedef enum hak_route_kind { HAK_ROUTE_BAD = 0, HAK_ROUTE_SMALL, HAK_ROUTE_LARGE } hak_route_kind_t;

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

/* Validates address a inside a SuperSlab whose page entry is page. Inline: the safe profile's free
 * has both already and calls this directly instead of hak_route. */
HAK_INLINE hak_route_t hak_route_small(uintptr_t a, hak_slab_t* page) {
  unsigned cls = __atomic_load_n(&page->cls, __ATOMIC_ACQUIRE);
  if (cls >= HAK_NCLASSES) return hak_route_bad(HAK_ERR_INVALID_POINTER, -1, 0);
  hak_slab_t* s = hak_slab_head(page);
  size_t bs = hak_class_size(cls);
  if (s->magic != HAK_SLAB_MAGIC || s->block_size != bs) return hak_route_bad(HAK_ERR_METADATA_CORRUPT, (int)cls, bs);
  uintptr_t off = a - (uintptr_t)s->start;
  uint32_t index = hak_class_block_index(cls, off);
  if ((size_t)index * bs != off || index >= s->capacity) return hak_route_bad(HAK_ERR_INTERIOR_POINTER, (int)cls, bs);
  if (HAK_CFG_CHECK_FREE) {
    uint8_t state = s->states[index];
    if (state != HAK_BLOCK_ALLOCATED) {
      if (state == HAK_BLOCK_NEVER) return hak_route_bad(HAK_ERR_INVALID_POINTER, (int)cls, bs);
      if (state == HAK_BLOCK_FREED || state == HAK_BLOCK_QUARANTINED) return hak_route_bad(HAK_ERR_DOUBLE_FREE, (int)cls, bs);
      return hak_route_bad(HAK_ERR_METADATA_CORRUPT, (int)cls, bs);
    }
  }
  hak_route_t r = {HAK_ROUTE_SMALL, HAK_ERR_COUNT, (int)cls, bs, s, index, NULL};
  return r;
}

/* Routes and validates p (not NULL). */
HAK_HIDDEN hak_route_t hak_route(const void* p);
/* Reports a bad route for p in func, with what is known of its class. */
HAK_HIDDEN void hak_route_report(const hak_route_t* r, const void* p, const char* func);

#endif
