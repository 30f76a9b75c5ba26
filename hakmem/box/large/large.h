/* large box: blocks above HAK_SMALL_MAX (256 KiB), each in its own 2 MiB-aligned mapping.
 *
 * The header sits at the start of the 2 MiB chunk holding the byte before the user pointer, so that
 * any alignment is honoured and free() finds it with one mask: user = base + offset, 0 < offset <=
 * 2 MiB. Freed mappings are kept in a small cache for reuse (system calls amortised): committed
 * as the release policy allows, else (BALANCED) decommitted but still mapped, so that a small
 * program reusing one big buffer pays page faults, not mmap and munmap; a free that finds the
 * policy over its budget unmaps cached ones, oldest first. Thread-safe: the cache has its own
 * lock; a live header is only touched by the block's owner. */
#ifndef HAKMEM_BOX_LARGE_H
#define HAKMEM_BOX_LARGE_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/config/profile.h"

typedef struct hak_large {
  uint64_t magic;     /* HAK_LARGE_LIVE or HAK_LARGE_FREED */
  size_t map_size;    /* bytes mapped from the header */
  size_t size;        /* usable bytes from the user pointer */
  uint8_t* user;
  struct hak_large* next; /* in the reuse cache */
  size_t retained;        /* in the reuse cache: the bytes counted as retained (a decommitted one: its header page) */
} hak_large_t;

#define HAK_LARGE_LIVE 0x4c41524745424c4bull  /* "LARGEBLK" */
#define HAK_LARGE_FREED 0x4652454544424c4bull /* "FREEDBLK" */
#define HAK_LARGE_HEADER 64

/* A block of at least size bytes aligned to align (a power of two); zeroed when zero is set.
 * NULL when the OS refuses or the size overflows. */
HAK_HIDDEN void* hak_large_alloc(size_t size, size_t align, int zero);
/* The header of a pointer whose chunk the registry marks large, or NULL when p is not the user
 * pointer of a large block (interior, or the header does not match). */
HAK_HIDDEN hak_large_t* hak_large_lookup(const void* p);
HAK_HIDDEN void hak_large_free(hak_large_t* h);
/* realloc beyond the mapping: moves the block's pages into a new mapping that holds size usable
 * bytes, without copying them (the header moves with them, at the same offset). Returns the new
 * user pointer, or NULL with the block unchanged when the OS refuses or size overflows. */
HAK_HIDDEN void* hak_large_grow(hak_large_t* h, size_t size);
/* Unmaps every cached mapping (malloc_trim). */
HAK_HIDDEN void hak_large_trim(void);

typedef struct hak_large_counters {
  uint64_t live_blocks, live_bytes, cached_maps, cached_bytes;
} hak_large_counters_t;
HAK_HIDDEN void hak_large_counters_get(hak_large_counters_t* out);

HAK_HIDDEN void hak_large_fork_prepare(void);
HAK_HIDDEN void hak_large_fork_parent(void);
HAK_HIDDEN void hak_large_fork_child(void);

#endif
