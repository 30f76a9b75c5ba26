/* large box: blocks above HAK_SMALL_MAX (256 KiB), as page-granular spans.
 *
 * A span is a run of whole 4 KiB pages, live (one block: the user pointer is its first byte) or
 * free. Spans come from mappings of exactly the pages a request needs; a freed span merges with
 * the free spans next to it and waits, in a bin by size, for a request it serves whole or split
 * (the rest stays free): reuse needs no system call and no page fault. Metadata sits outside the
 * blocks: a descriptor per span, found from an address through the page map (4 KiB page ->
 * descriptor of the span that starts or ends there), so free() validates any pointer without
 * reading the program's memory and an overflow cannot corrupt it. The release policy decides how
 * many free span bytes stay committed (retained); beyond that the oldest free spans are unmapped.
 * realloc resizes in place into a free span that follows (or gives the tail back), else moves the
 * pages with mremap. Thread-safe: one lock; lookups read the page map without it.
 *
 * safe: every block is a mapping of its own with an inaccessible guard page after it, and a freed
 * block is decommitted, made inaccessible and kept in a quarantine of the last HAK_LARGE_QUARANTINE
 * freed blocks before its address range goes back: overflow past the end and use after free fault
 * at once (hak_large_fault names the block for the fault box). No span is reused or resized in
 * place there. */
#ifndef HAKMEM_BOX_LARGE_H
#define HAKMEM_BOX_LARGE_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/config/profile.h"

typedef struct hak_large {
  uint64_t magic; /* HAK_LARGE_LIVE, HAK_LARGE_FREED (a free span), 0 (descriptor unused) */
  uint8_t* user;  /* the span's first byte: the block's user pointer */
  size_t size;    /* bytes, whole pages: a live block's usable size */
  size_t freed_size; /* free span: the size of the block freed at user, 0 when none was (a split's rest) */
  struct hak_large *prev, *next;   /* free span: its size bin; unused descriptor: the pool's list */
  struct hak_large *older, *newer; /* free span: the age list (the oldest is unmapped first) */
  unsigned bin;
} hak_large_t;

#define HAK_LARGE_LIVE 0x4c41524745424c4bull  /* "LARGEBLK" */
#define HAK_LARGE_FREED 0x4652454544424c4bull /* "FREEDBLK" */

/* A block of at least size bytes aligned to align (a power of two); zeroed when zero is set.
 * NULL when the OS refuses or the size overflows. */
HAK_HIDDEN void* hak_large_alloc(size_t size, size_t align, int zero);
/* The descriptor of the span starting at p (live or free), or NULL when no span starts at p. */
HAK_HIDDEN hak_large_t* hak_large_lookup(const void* p);

/* What a pointer that is no live block's user pointer is, for the report (hak_large_diagnose). */
typedef enum hak_large_verdict {
  HAK_LARGE_NOT_OURS = 0, /* no large block holds or held it */
  HAK_LARGE_WAS_FREED,    /* a freed block's user pointer: *size is that block's size */
  HAK_LARGE_INTERIOR,     /* inside a live block of *size bytes, past its start */
} hak_large_verdict_t;
/* Slow: takes the lock and may look at every span. For error reports only. */
HAK_HIDDEN hak_large_verdict_t hak_large_diagnose(const void* p, size_t* size);

HAK_HIDDEN void hak_large_free(hak_large_t* h);
/* realloc of a live block to size bytes (above HAK_SMALL_MAX): in place (growing into a free
 * span that follows, or giving the tail back) or moved by the OS without a copy. Returns the
 * user pointer, or NULL with the block unchanged when neither can be done (the caller copies). */
HAK_HIDDEN void* hak_large_resize(hak_large_t* h, size_t size);
/* safe: freed blocks kept inaccessible before their range is unmapped, at most this many and this
 * much address space (counted as free bytes in the counters: mapped, not resident). */
#define HAK_LARGE_QUARANTINE 64
#define HAK_LARGE_QUARANTINE_BYTES ((size_t)16 << 20)

/* safe, from a SIGSEGV handler (async-signal-safe: no lock, no allocation): whether a fault at addr
 * hit the guard page after a live block (HAK_LARGE_OVERFLOW) or a quarantined block or its
 * guard (HAK_LARGE_FREED_ACCESS), with the block's address and size. */
typedef enum hak_large_fault_kind { HAK_LARGE_NO_FAULT = 0, HAK_LARGE_OVERFLOW, HAK_LARGE_FREED_ACCESS } hak_large_fault_kind_t;
HAK_HIDDEN hak_large_fault_kind_t hak_large_fault(uintptr_t addr, const void** block, size_t* size);

/* Unmaps every free span (malloc_trim); in safe, the quarantine too. */
HAK_HIDDEN void hak_large_trim(void);

typedef struct hak_large_counters {
  uint64_t live_blocks, live_bytes, free_spans, free_bytes;
  uint64_t meta_bytes; /* the page map's leaves and the descriptors, mapped */
} hak_large_counters_t;
HAK_HIDDEN void hak_large_counters_get(hak_large_counters_t* out);

HAK_HIDDEN void hak_large_fork_prepare(void);
HAK_HIDDEN void hak_large_fork_parent(void);
HAK_HIDDEN void hak_large_fork_child(void);

#endif
