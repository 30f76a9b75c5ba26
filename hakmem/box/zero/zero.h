/* zero box (safe): the blocks of malloc(0).
 *
 * safe's malloc(0) returns a unique address in a region that is never accessible (reserved
 * PROT_NONE at the first malloc(0): address space only): any read or write through it faults at
 * once, and the fault box names it. free, realloc and malloc_usable_size know such an address
 * (one bit per 16-byte slot says whether it is live): a double free is named, the usable size is
 * 0. Slots are handed out round robin, so a freed one is not handed out again soon (a stale
 * pointer faults as a use after free). When all HAK_ZERO_SLOTS are live, or the OS refuses the
 * region, malloc(0) hands out an ordinary smallest block, as the other profiles always do (C
 * allows either). Thread-safe: one spin lock, taken only by malloc(0) and free of such a block. */
#ifndef HAKMEM_BOX_ZERO_H
#define HAKMEM_BOX_ZERO_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/config/profile.h"

#define HAK_ZERO_SLOT 16
#define HAK_ZERO_SLOTS 65536 /* 1 MiB of address space */

/* A new zero-size block, or NULL (none left, or no region). */
HAK_HIDDEN void* hak_zero_alloc(void);
/* Whether address a lies in the region (once it exists). */
HAK_HIDDEN int hak_zero_owns(uintptr_t a);

typedef enum hak_zero_state { HAK_ZERO_LIVE, HAK_ZERO_FREED, HAK_ZERO_NEVER, HAK_ZERO_MISALIGNED } hak_zero_state_t;
/* What address a of the region is: a live block, a freed one, a slot never handed out, or not a
 * slot's start. */
HAK_HIDDEN hak_zero_state_t hak_zero_state(uintptr_t a);
/* Frees live block p; returns 0 (nothing done) when p is not one (the state says why). */
HAK_HIDDEN int hak_zero_free(const void* p);
/* The fault handler's question: the block whose slot holds address a (*block), or 0 when a is
 * not in the region. Async-signal-safe (reads only). */
HAK_HIDDEN int hak_zero_fault(uintptr_t a, const void** block, int* live);

HAK_HIDDEN void hak_zero_fork_prepare(void);
HAK_HIDDEN void hak_zero_fork_parent(void);
HAK_HIDDEN void hak_zero_fork_child(void);

#endif
