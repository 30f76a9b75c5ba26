#include "hakmem/box/route/route.h"

static hak_route_t route_large(uintptr_t a) {
  hak_large_t* h = hak_large_lookup((const void*)a);
  if (h && h->magic == HAK_LARGE_LIVE) {
    hak_route_t r = {HAK_ROUTE_LARGE, HAK_ERR_COUNT, -1, h->size, NULL, 0, h};
    return r;
  }
  if (h && h->magic != HAK_LARGE_FREED) return hak_route_bad(HAK_ERR_METADATA_CORRUPT, -1, 0);
  size_t size;
  switch (hak_large_diagnose((const void*)a, &size)) {
    case HAK_LARGE_WAS_FREED: return hak_route_bad(HAK_ERR_DOUBLE_FREE, -1, size);
    case HAK_LARGE_INTERIOR: return hak_route_bad(HAK_ERR_INTERIOR_POINTER, -1, 0);
    default: return hak_route_bad(HAK_ERR_INVALID_POINTER, -1, 0);
  }
}

static hak_route_t route_zero(uintptr_t a) {
  switch (hak_zero_state(a)) {
    case HAK_ZERO_LIVE: {
      hak_route_t r = {HAK_ROUTE_ZERO, HAK_ERR_COUNT, -1, 0, NULL, 0, NULL};
      return r;
    }
    case HAK_ZERO_FREED: return hak_route_bad(HAK_ERR_DOUBLE_FREE, -1, 0);
    default: return hak_route_bad(HAK_ERR_INVALID_POINTER, -1, 0);
  }
}

hak_route_t hak_route(const void* p) {
  uintptr_t a = (uintptr_t)p;
  if (hak_region_kind(a) == HAK_REGION_SUPERSLAB) return hak_route_small(a, hak_page_of(a));
  if (HAK_CFG_CHECK_FREE && hak_zero_owns(a)) return route_zero(a);
  return route_large(a);
}

void hak_route_report(const hak_route_t* r, const void* p, const char* func) {
  hak_report_error(r->error, p, func, r->cls, r->block_size);
}
