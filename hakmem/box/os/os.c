#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mremap */
#endif
#include "hakmem/box/os/os.h"

#include <sys/mman.h>

static uint64_t g_mmap_calls, g_munmap_calls, g_madvise_calls, g_mremap_calls, g_bytes_mapped;

static void count(uint64_t* c, uint64_t n) { __atomic_fetch_add(c, n, __ATOMIC_RELAXED); }

static void unmap_counted(void* p, size_t size) {
  if (size == 0) return;
  munmap(p, size);
  count(&g_munmap_calls, 1);
  __atomic_fetch_sub(&g_bytes_mapped, size, __ATOMIC_RELAXED);
}

void* hak_os_map_aligned(size_t size, size_t align) {
  /* Over-map by align, then trim the unaligned head and the tail. */
  size_t len = size + align;
  if (len < size) return NULL;
  void* raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  count(&g_mmap_calls, 1);
  if (raw == MAP_FAILED) return NULL;
  count(&g_bytes_mapped, len);
  uintptr_t start = (uintptr_t)raw;
  uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
  unmap_counted(raw, aligned - start);
  unmap_counted((void*)(aligned + size), start + len - (aligned + size));
  return (void*)aligned;
}

void* hak_os_map(size_t size) {
  void* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  count(&g_mmap_calls, 1);
  if (p == MAP_FAILED) return NULL;
  count(&g_bytes_mapped, size);
  return p;
}

/* Not in bytes_mapped: address space only, never resident. */
void* hak_os_reserve(size_t size) {
  void* p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  count(&g_mmap_calls, 1);
  return p == MAP_FAILED ? NULL : p;
}

void hak_os_unmap(void* p, size_t size) { unmap_counted(p, size); }

void hak_os_decommit(void* p, size_t size) {
  madvise(p, size, MADV_DONTNEED);
  count(&g_madvise_calls, 1);
}

void hak_os_no_huge_pages(void* p, size_t size) {
  madvise(p, size, MADV_NOHUGEPAGE); /* EINVAL without THP: nothing to keep out then */
  count(&g_madvise_calls, 1);
}

int hak_os_protect(void* p, size_t size, int access) {
  return mprotect(p, size, access ? PROT_READ | PROT_WRITE : PROT_NONE) == 0;
}

void* hak_os_resize(void* p, size_t size, size_t new_size) {
  void* r = mremap(p, size, new_size, MREMAP_MAYMOVE);
  count(&g_mremap_calls, 1);
  if (r == MAP_FAILED) return NULL;
  if (new_size > size) count(&g_bytes_mapped, new_size - size);
  else __atomic_fetch_sub(&g_bytes_mapped, size - new_size, __ATOMIC_RELAXED);
  return r;
}

int hak_os_move(void* from, size_t size, void* to) {
  void* r = mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  count(&g_mremap_calls, 1);
  if (r == MAP_FAILED) return 0;
  __atomic_fetch_sub(&g_bytes_mapped, size, __ATOMIC_RELAXED); /* the source range is gone */
  return 1;
}

int hak_os_move_keep_range(void* from, size_t size, void* to) {
#ifdef MREMAP_DONTUNMAP
  void* r = mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
  count(&g_mremap_calls, 1);
  return r != MAP_FAILED; /* both ranges stay mapped: bytes_mapped is unchanged */
#else
  (void)from, (void)size, (void)to;
  return 0;
#endif
}

void hak_os_counters_get(hak_os_counters_t* out) {
  out->mmap_calls = __atomic_load_n(&g_mmap_calls, __ATOMIC_RELAXED);
  out->munmap_calls = __atomic_load_n(&g_munmap_calls, __ATOMIC_RELAXED);
  out->madvise_calls = __atomic_load_n(&g_madvise_calls, __ATOMIC_RELAXED);
  out->mremap_calls = __atomic_load_n(&g_mremap_calls, __ATOMIC_RELAXED);
  out->bytes_mapped = __atomic_load_n(&g_bytes_mapped, __ATOMIC_RELAXED);
}
