/* release box: when memory that no longer holds blocks goes back to the OS.
 *
 * Policies: LEAN returns empty slab pages, SuperSlabs and large regions at once; BALANCED keeps up
 * to retain_bytes of empty committed memory and one spare SuperSlab, returning the rest at once;
 * SPEED keeps everything (prewarm). Decisions are taken by the boxes that own the memory, under
 * their locks, at the moment something becomes empty; no background thread. */
#ifndef HAKMEM_BOX_RELEASE_H
#define HAKMEM_BOX_RELEASE_H

#include <stddef.h>

#include "hakmem/box/env/env.h"
#include "hakmem/config/profile.h"

HAK_HIDDEN void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes);
HAK_HIDDEN hak_release_policy_t hak_release_policy(void);
/* Whether empty pages may stay committed when retained_bytes would then be kept empty. */
HAK_HIDDEN int hak_release_keep_committed(size_t retained_bytes);
/* Whether an empty region (SuperSlab or large mapping) is kept mapped when spare_regions are
 * already kept and spare_bytes would then be mapped and unused. */
HAK_HIDDEN int hak_release_keep_region(unsigned spare_regions, size_t spare_bytes);

#endif
