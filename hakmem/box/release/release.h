/* release box: when memory that no longer holds blocks goes back to the OS.
 *
 * "Retained" memory is memory hakmem keeps committed without a block of the program in it: empty
 * slab pages and SuperSlabs (superslab box), free blocks in partially used slabs, transfer caches
 * and spare slabs (central box), freed large mappings (large box). Each box reports its retained
 * bytes here as they change, and every box reports the bytes it has handed out ("in use"), so that
 * one budget covers them all:
 *   LEAN      budget 0: every box returns what empties at once (and the free 4 KiB pages inside
 *             a partially used slab once 16 KiB more of it are free), with no transfer caching
 *             and no spares.
 *   BALANCED  budget = in use / 8, at least 2 MiB, at most HAKMEM_RETAIN_MB (default 8 MiB). Boxes
 *             keep empty memory while the total is within the budget; beyond it they return empty
 *             pages and SuperSlabs at once, and ask the sweeper (a background thread of the thread
 *             box, started on the first request) to return the rest: after HAKMEM_RELEASE_DELAY_MS
 *             (default 500 ms) it purges the free pages of classes that stayed idle, drains their
 *             transfer caches, then empty pages and cached large mappings beyond the budget.
 *   SPEED     keeps everything (prewarm); only malloc_trim returns memory.
 * The decisions are taken by the boxes that own the memory, under their locks; this box only keeps
 * the policy, the counters and the sweeper's signal. Thread-safe: counters are relaxed atomics. */
#ifndef HAKMEM_BOX_RELEASE_H
#define HAKMEM_BOX_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/box/env/env.h"
#include "hakmem/config/profile.h"

/* The smallest BALANCED budget (unless HAKMEM_RETAIN_MB is smaller) and its share of the memory in use. */
#define HAK_RELEASE_MIN_BUDGET ((size_t)2 << 20)
#define HAK_RELEASE_BUDGET_SHIFT 3 /* in use / 8 */

typedef enum hak_retained_kind {
  HAK_RETAINED_PAGES = 0, /* empty slab pages still committed (superslab) */
  HAK_RETAINED_BLOCKS,    /* free blocks not yet purged, transfer caches, spare slabs (central) */
  HAK_RETAINED_LARGE,     /* cached large mappings (large) */
  HAK_RETAINED_KINDS
} hak_retained_kind_t;

HAK_HIDDEN void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes, unsigned delay_ms);
HAK_HIDDEN hak_release_policy_t hak_release_policy(void);
HAK_HIDDEN size_t hak_release_retain_cap(void);
HAK_HIDDEN unsigned hak_release_delay_ms(void);

/* Counters, reported by the boxes as they change (deltas may be negative). */
HAK_HIDDEN void hak_release_retained_add(hak_retained_kind_t kind, int64_t delta);
HAK_HIDDEN void hak_release_in_use_add(int64_t delta);
HAK_HIDDEN size_t hak_release_retained(void); /* all kinds */
HAK_HIDDEN size_t hak_release_retained_of(hak_retained_kind_t kind);
HAK_HIDDEN size_t hak_release_in_use(void);

/* The budget for the memory in use now: 0 (LEAN), SIZE_MAX (SPEED), or BALANCED's. */
HAK_HIDDEN size_t hak_release_budget(void);
/* Whether `more` bytes may become retained: retained + more <= budget. */
HAK_HIDDEN int hak_release_keep(size_t more);
/* Whether an empty region (SuperSlab or large mapping) is kept mapped when spare_regions are
 * already kept and `more` bytes would become retained: LEAN never, SPEED always, BALANCED within
 * the budget and, for SuperSlabs (spare_regions counts them), only one. */
HAK_HIDDEN int hak_release_keep_region(unsigned spare_regions, size_t more);
/* LEAN: whether free blocks are returned to their slabs (and purged) at once, with no transfer
 * cache and no spare slab. */
HAK_HIDDEN int hak_release_eager(void);

/* The sweeper. hak_release_after_free() is called by a box after it made memory retained, with no
 * allocator lock held: under BALANCED, when the retained total exceeds the budget, it signals the
 * sweeper (at most one system call per sweep), starting it first through the hook the thread box
 * registered (none registered: nothing happens, e.g. in box unit tests). */
HAK_HIDDEN void hak_release_set_starter(int (*start)(void));
HAK_HIDDEN void hak_release_after_free(void);
/* Sweeper side: waits until signalled; then sleeps the delay and clears the request (a free that
 * retains memory after that asks for another sweep). */
HAK_HIDDEN void hak_release_wait_request(void);
HAK_HIDDEN void hak_release_delay(void);
/* After a sweep: counts it, and asks for another one when the retained total still exceeds the
 * budget (memory kept by classes that were busy during the delay is looked at again). */
HAK_HIDDEN void hak_release_sweep_done(void);
HAK_HIDDEN uint64_t hak_release_sweeps(void);
/* fork: the child has no sweeper; it is started again on demand. */
HAK_HIDDEN void hak_release_fork_child(void);

#endif
