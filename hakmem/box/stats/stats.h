/* stats box: counters and the report. Per-class counters exist only in the observe profile: the
 * front box counts in its thread-local cache and merges here when a thread flushes or exits, so
 * the fast path never touches a shared line. Memory and system-call figures come from the os,
 * superslab and large boxes in every profile. */
#ifndef HAKMEM_BOX_STATS_H
#define HAKMEM_BOX_STATS_H

#include <stdint.h>

#include "hakmem/box/size_class/size_class.h"
#include "hakmem/config/profile.h"
#include "hakmem/include/hakmem.h"

_Static_assert(HAK_STATS_CLASSES == HAK_NCLASSES, "the public stats struct has one row per class");

typedef struct hak_thread_stats {
  uint64_t allocs[HAK_NCLASSES];
  uint64_t frees[HAK_NCLASSES];
  uint64_t refills[HAK_NCLASSES];
  uint64_t flushes[HAK_NCLASSES];
} hak_thread_stats_t;

/* Adds a thread's counters to the process totals and zeroes them. */
HAK_HIDDEN void hak_stats_merge_thread(hak_thread_stats_t* t);
/* Process totals (per-class counters merged so far) and the memory figures. */
HAK_HIDDEN void hak_stats_collect(hak_stats_t* out);
HAK_HIDDEN void hak_stats_write(hak_stats_t* s, FILE* out);

#endif
