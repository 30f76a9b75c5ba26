/* release box: when memory that no longer holds blocks goes back to the OS.
 *
 * "Retained" memory is memory hakmem keeps committed without a block of the program in it: empty
 * slab pages and SuperSlabs (superslab box), free blocks in partially used slabs, transfer caches
 * and spare slabs (central box), free large spans (large box). Each box reports its retained
 * bytes here as they change, and the bytes it has handed out ("in use"), so that one budget covers
 * them all:
 *   LEAN      budget 0: every box returns what empties at once (and the free 4 KiB pages inside
 *             a partially used slab once 16 KiB more of it are free, or it is at most a quarter
 *             used), with no transfer caching and no spares.
 *   BALANCED  budget = in use / 8, at least 1 MiB, at most HAKMEM_RETAIN_MB (default 8 MiB).
 *             Within the budget the boxes keep empty memory for reuse; a free that finds the
 *             total above it releases as LEAN does, in the box that frees. Empty pages are held
 *             to the budget, free large spans to the budget or three times the large blocks in
 *             use (hak_release_keep_spans); warm memory (transfer caches,
 *             spare slabs, free blocks inside partially used slabs, which a steady heap keeps
 *             drawing on) makes the policy eager only when the whole retained total exceeds
 *             max(budget, three times in use + hold), i.e. when a burst is being freed (a single
 *             thread's caches and fragmentation stay at about half of what is in use, those of
 *             threads that pass blocks to each other at about as much, and threads that exit
 *             leave about twice as much: docs/memory.md), so that a steady heap is not purged
 *             and faulted back in; once little is in use, the total is held to the budget.
 *             To that budget BALANCED adds a "hold": the memory the program came back for (and
 *             the hold counts as memory in use for the in-use / 8 share, which would otherwise
 *             vanish when the program drops what it cycles through). Every
 *             byte given back to the OS under the policy is remembered, and a box that commits
 *             memory again (a fresh mapping, pages it had decommitted) turns as much of it into
 *             hold: a program cycling through the same memory (threads that come and go, a
 *             batch freed and made again) earns a hold of about its cycle and stops faulting
 *             its pages back in, while a one-off burst, never asked for again, is released at
 *             once. Hold and the remembered bytes halve every HAK_RELEASE_HOLD_HALF_LIFE_MS in
 *             which no memory came back (applied at the next report), and hold is at most
 *             32 x HAKMEM_RETAIN_MB, or what is in use when that is more (a program cycling
 *             through a large working set comes back for all of it).
 *   SPEED     keeps everything (prewarm); only malloc_trim returns memory.
 * Decisions are taken synchronously by the boxes that own the memory, under their locks, at the
 * free; there is no background thread (one cannot be started safely from inside a free: creating
 * a thread allocates, re-entering the thread cache being flushed). Thread-safe: counters are
 * relaxed atomics. */
#ifndef HAKMEM_BOX_RELEASE_H
#define HAKMEM_BOX_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/box/env/env.h"
#include "hakmem/config/profile.h"

/* The smallest BALANCED budget (unless HAKMEM_RETAIN_MB is smaller) and its share of the memory in use. */
#define HAK_RELEASE_MIN_BUDGET ((size_t)1 << 20)
#define HAK_RELEASE_BUDGET_SHIFT 3 /* in use / 8 */
/* BALANCED turns eager when everything retained exceeds max(budget, this many times in use +
 * hold): a burst being freed. Not 1: threads that pass blocks to each other keep about as much in
 * their transfer caches and slabs as they have in use, and at 1 prodcons purged and faulted its
 * pages back in all the time (0.5x of fast's throughput with 4-16 threads: docs/memory.md). Not 2:
 * the caches of threads that exit every round (`churn`) left just over twice as much at each exit,
 * and each exit purged and faulted back in 15-20 MiB. */
#define HAK_RELEASE_BURST_FACTOR 3

/* BALANCED's hold (above) halves in this time without memory coming back. */
#define HAK_RELEASE_HOLD_HALF_LIFE_MS 1000
/* ... and is at most this many times HAKMEM_RETAIN_MB (or what is in use, when that is more). */
#define HAK_RELEASE_HOLD_FACTOR 32

/* Empty pages and free large spans are "idle": nothing uses them until a new slab or large block
 * (the large box keeps its spans by its own rule, hak_release_keep_spans; the others' decisions
 * count the pages only).
 * The central box's kinds are "warm": caches a steady heap draws on, and the free blocks of its
 * partially used slabs (fragmentation it reuses). */
typedef enum hak_retained_kind {
  HAK_RETAINED_PAGES = 0, /* idle: empty slab pages still committed (superslab) */
  HAK_RETAINED_LARGE,     /* idle: free large spans (large) */
  HAK_RETAINED_BLOCKS,    /* warm: transfer caches and spare slabs (central) */
  HAK_RETAINED_FREE,      /* warm: free blocks of partially used slabs due for a purge (central) */
  HAK_RETAINED_KINDS
} hak_retained_kind_t;

HAK_HIDDEN void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes);
HAK_HIDDEN hak_release_policy_t hak_release_policy(void);
HAK_HIDDEN size_t hak_release_retain_cap(void);

/* Counters, reported by the boxes as they change (deltas may be negative). */
HAK_HIDDEN void hak_release_retained_add(hak_retained_kind_t kind, int64_t delta);
HAK_HIDDEN void hak_release_in_use_add(int64_t delta);
HAK_HIDDEN size_t hak_release_retained(void); /* all kinds */
HAK_HIDDEN size_t hak_release_retained_of(hak_retained_kind_t kind);
HAK_HIDDEN size_t hak_release_in_use(void);

/* Bytes a box gave back to the OS (decommitted or unmapped) to keep within the policy, and bytes
 * it is about to use that are not resident (a fresh mapping or pages it had given back): BALANCED's
 * hold. The _at forms take the time in milliseconds (tests); the others read the clock. */
HAK_HIDDEN void hak_release_returned(size_t bytes);
HAK_HIDDEN void hak_release_committed(size_t bytes);
HAK_HIDDEN void hak_release_returned_at(size_t bytes, uint64_t now_ms);
HAK_HIDDEN void hak_release_committed_at(size_t bytes, uint64_t now_ms);
/* A box reused retained memory (a free large span): while the program keeps reusing what the
 * hold keeps for it, the hold's half-life starts again (it is in use, not idle). */
HAK_HIDDEN void hak_release_reused(void);
HAK_HIDDEN void hak_release_reused_at(uint64_t now_ms);
/* The hold now (decayed to now_ms), 0 outside BALANCED. */
HAK_HIDDEN size_t hak_release_hold_at(uint64_t now_ms);
/* Forgets the hold and the bytes given back (malloc_trim: the program asked for everything back). */
HAK_HIDDEN void hak_release_forget(void);

/* The budget for the memory in use now: 0 (LEAN), SIZE_MAX (SPEED), or BALANCED's (hold included). */
HAK_HIDDEN size_t hak_release_budget(void);
/* Whether `more` bytes may become idle retained memory: idle + more <= budget. */
HAK_HIDDEN int hak_release_keep(size_t more);
/* Whether the large box keeps free_bytes of free spans while its live blocks hold live_bytes: LEAN
 * never, SPEED always, BALANCED up to its budget or three times live_bytes, whichever is more. A
 * program replacing large blocks of varied sizes finds the size it asks for among spans several
 * times its live set (it fragments them); a smaller pool sent every few blocks back to the OS to
 * fault them in again (//bench:large, 2 threads, at 0.87x of fast). After a burst of large blocks
 * little is live, and the spans go. */
HAK_HIDDEN int hak_release_keep_spans(size_t free_bytes, size_t live_bytes);
/* Whether an empty region (a SuperSlab) is kept mapped when spare_regions are
 * already kept and `more` bytes would become retained: LEAN never, SPEED always, BALANCED within
 * the budget and, for SuperSlabs (spare_regions counts them), only one. */
HAK_HIDDEN int hak_release_keep_region(unsigned spare_regions, size_t more);
/* Whether a free must return what it can at once (no transfer caching, no spare, purge): always
 * under LEAN, never under SPEED; under BALANCED while empty pages exceed the budget or empty pages
 * and warm memory together exceed max(budget, three times in use + hold). */
HAK_HIDDEN int hak_release_eager(void);
/* The same for the warm memory (transfer caches, spares, free blocks of partially used slabs):
 * only when idle and warm memory together are over, not idle memory alone, which is the
 * superslab and large boxes' to return (purging every class's warm memory when empty pages were
 * a few KiB over the budget faulted a program's working set back in: `churn`). */
HAK_HIDDEN int hak_release_eager_warm(void);

#endif
