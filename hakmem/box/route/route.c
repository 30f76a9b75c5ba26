#include "hakmem/box/route/route.h"

static hak_route_t bad(hak_error_t err, int cls, size_t block_size) {
  hak_route_t r = {HAK_ROUTE_BAD, err, cls, block_size, NULL, 0, NULL};
  return r;
}

static hak_route_t route_small(uintptr_t a) {
  hak_slab_t* page = hak_page_of(a);
  unsigned cls = __atomic_load_n(&page->cls, __ATOMIC_ACQUIRE);
  if (cls >= HAK_NCLASSES) return bad(HAK_ERR_INVALID_POINTER, -1, 0);
  hak_slab_t* s = hak_slab_head(page);
  size_t bs = hak_class_size(cls);
  if (s->magic != HAK_SLAB_MAGIC || s->block_size != bs) return bad(HAK_ERR_METADATA_CORRUPT, (int)cls, bs);
  uintptr_t off = a - (uintptr_t)s->start;
  uint32_t index = hak_class_block_index(cls, off);
  if ((size_t)index * bs != off || index >= s->capacity) return bad(HAK_ERR_INTERIOR_POINTER, (int)cls, bs);
  if (HAK_CFG_CHECK_FREE) {
    uint8_t state = s->states[index];
    if (state != HAK_BLOCK_ALLOCATED) {
      if (state == HAK_BLOCK_NEVER) return bad(HAK_ERR_INVALID_POINTER, (int)cls, bs);
      if (state == HAK_BLOCK_FREED || state == HAK_BLOCK_QUARANTINED) return bad(HAK_ERR_DOUBLE_FREE, (int)cls, bs);
      return bad(HAK_ERR_METADATA_CORRUPT, (int)cls, bs);
    }
  }
  hak_route_t r = {HAK_ROUTE_SMALL, HAK_ERR_COUNT, (int)cls, bs, s, index, NULL};
  return r;
}

static hak_route_t route_large(uintptr_t a) {
  hak_large_t* h = hak_large_lookup((const void*)a);
  if (!h) return bad(HAK_ERR_INTERIOR_POINTER, -1, 0);
  if (h->magic == HAK_LARGE_FREED) return bad(HAK_ERR_DOUBLE_FREE, -1, h->size);
  if (h->magic != HAK_LARGE_LIVE) return bad(HAK_ERR_METADATA_CORRUPT, -1, 0);
  hak_route_t r = {HAK_ROUTE_LARGE, HAK_ERR_COUNT, -1, h->size, NULL, 0, h};
  return r;
}

hak_route_t hak_route(const void* p) {
  uintptr_t a = (uintptr_t)p;
  switch (hak_region_kind(a)) {
    case HAK_REGION_SUPERSLAB: return route_small(a);
    case HAK_REGION_LARGE:
    case HAK_REGION_LARGE_TAIL: return route_large(a);
    default: return bad(HAK_ERR_INVALID_POINTER, -1, 0);
  }
}

void hak_route_report(const hak_route_t* r, const void* p, const char* func) {
  hak_report_error(r->error, p, func, r->cls, r->block_size);
}
