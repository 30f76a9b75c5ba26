/* central box: per-class shared free blocks, behind one lock per class.
 *
 * Thread caches (front box) refill from and flush to here in batches, so a lock is taken once per
 * batch, never per malloc/free. A class keeps a transfer cache (an array of blocks that moved
 * between threads, handed on without touching the slabs: the cheap path for remote frees) and its
 * partial slabs. A block flushed by any thread returns to the slab it came from: a bit in the
 * slab's free bitmap (SuperSlab header), so a refill hands out a slab's lowest free blocks first
 * and reads nothing from the blocks themselves; a slab that becomes empty goes back to the
 * superslab box (one spare per class is kept, within the release budget, never under LEAN).
 * Purge: the 4 KiB OS pages of a live slab that only free blocks overlap can be decommitted; their
 * blocks stay free in the bitmap, and the pages come back as blocks in them are handed out (the
 * state is in the SuperSlab header). So blocks held in thread caches pin a few OS pages each,
 * not whole slabs. An eager flush (LEAN, or BALANCED over its budget: hak_release_eager_warm) puts
 * blocks straight back into their slabs, drops the transfer cache and spare, and purges the slabs
 * it touched; SPEED purges only at malloc_trim.
 * Ownership: every thread with a cache has an owner id (hak_central_self); a refill carves for it
 * only slabs it owns, unowned ones or those of exited threads (adopting them), never a live other
 * thread's: two threads writing blocks of one cache line slow each other down (false sharing).
 * When it has none to carve, it takes the free blocks of any slab (as the transfer cache hands
 * out any slab's blocks) before it carves a new one, so that free blocks are not left behind.
 * The front box caches a freed block only when the calling thread owns its slab. The owner is a
 * hint: a stale read sends a block the slower way, and any block may go to any cache or here. */
#ifndef HAKMEM_BOX_CENTRAL_H
#define HAKMEM_BOX_CENTRAL_H

#include <stdint.h>

#include "hakmem/box/superslab/superslab.h"
#include "hakmem/config/profile.h"

/* Up to n blocks of class cls into out; returns how many (0: out of memory). */
HAK_HIDDEN unsigned hak_central_refill(unsigned cls, void** out, unsigned n);
/* Takes back n blocks of class cls. */
HAK_HIDDEN void hak_central_flush(unsigned cls, void* const* blocks, unsigned n);
/* Returns every transfer-cached block and spare slab, and purges every slab (malloc_trim). */
HAK_HIDDEN void hak_central_drain(void);
/* Blocks of class cls sitting in the transfer cache (stats). */
HAK_HIDDEN unsigned hak_central_transfer_count(unsigned cls);
/* Exact totals over the classes (stats; the release box sees them in coarser steps): bytes handed
 * to thread caches, and bytes retained in transfer caches, spares and free blocks due for a purge. */
HAK_HIDDEN void hak_central_totals(uint64_t* in_use, uint64_t* retained);

/* The calling thread's owner id, 0 when it has none (not started, exited, or 65535 live). */
extern __thread uint16_t hak_central_self HAK_HIDDEN;
/* Gives the calling thread an owner id; at its exit, its slabs become free to adopt. */
HAK_HIDDEN void hak_central_thread_start(void);
HAK_HIDDEN void hak_central_thread_exit(void);

HAK_HIDDEN void hak_central_fork_prepare(void);
HAK_HIDDEN void hak_central_fork_parent(void);
HAK_HIDDEN void hak_central_fork_child(void);

#endif
