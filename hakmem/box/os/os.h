/* os box: the only place that calls mmap, munmap, madvise and mremap.
 *
 * Every call is counted (the syscall budget of the soak tool and the stats report), off the hot
 * path. Thread-safe: the counters are relaxed atomics. Reads no knob. */
#ifndef HAKMEM_BOX_OS_H
#define HAKMEM_BOX_OS_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/config/profile.h"

typedef struct hak_os_counters {
  uint64_t mmap_calls;
  uint64_t munmap_calls;
  uint64_t madvise_calls;
  uint64_t mremap_calls;
  uint64_t bytes_mapped; /* currently mapped by hakmem */
} hak_os_counters_t;

/* Maps size bytes (a multiple of 4 KiB) aligned to align (a power of two >= 4 KiB), read-write,
 * zero-filled. NULL when the OS refuses. */
HAK_HIDDEN void* hak_os_map_aligned(size_t size, size_t align);
/* hak_os_map_aligned for 4 KiB alignment: one mmap of exactly size bytes. */
HAK_HIDDEN void* hak_os_map(size_t size);
/* size bytes of address space that is never accessible (PROT_NONE, nothing committed), or NULL. */
HAK_HIDDEN void* hak_os_reserve(size_t size);
HAK_HIDDEN void hak_os_unmap(void* p, size_t size);
/* Gives the pages back to the OS; they read as zero when touched again. */
HAK_HIDDEN void hak_os_decommit(void* p, size_t size);
/* Keeps transparent huge pages out of the whole mapping [p, p + size) (MADV_NOHUGEPAGE): where
 * the system's THP mode is "always", a 2 MiB-aligned mapping would otherwise become resident 2 MiB
 * at a time at its first touch, and khugepaged would fill decommitted pages back in. A no-op where
 * the kernel has no THP. */
HAK_HIDDEN void hak_os_no_huge_pages(void* p, size_t size);
/* Makes [p, p + size) inaccessible (access 0: any access faults) or read-write again (access 1).
 * Returns 0 when the OS refuses. */
HAK_HIDDEN int hak_os_protect(void* p, size_t size, int access);
/* Resizes the mapped range [p, p + size) (one mapping) to new_size bytes, in place or moved
 * without copying the pages; new pages read zero. The new address, or NULL (nothing changed) when
 * the OS refuses (no room, or the range spans more than one mapping). */
HAK_HIDDEN void* hak_os_resize(void* p, size_t size, size_t new_size);
/* Moves the pages of [from, from + size) (one mapping) over [to, to + size), hakmem's own mapped
 * memory, without copying them; [from, from + size) is unmapped. 0 (nothing changed) when the OS
 * refuses. */
HAK_HIDDEN int hak_os_move(void* from, size_t size, void* to);
/* hak_os_move, but [from, from + size) stays mapped, empty (its pages read zero again): the safe
 * profile keeps a moved block's old range to make it inaccessible. 0 when the OS cannot (Linux
 * before 5.7: MREMAP_DONTUNMAP). */
HAK_HIDDEN int hak_os_move_keep_range(void* from, size_t size, void* to);
HAK_HIDDEN void hak_os_counters_get(hak_os_counters_t* out);

#endif
