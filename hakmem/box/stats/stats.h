/* stats box: counters and the report. Per-class counters exist only in the observe profile: the
 * front box counts in its thread-local cache (hak_stats_count_alloc / _free) and merges here when a
 * thread flushes or exits, so the fast path never touches a shared line. A remote free is a free by
 * a thread other than the one that allocated the block: observe keeps, per block, the tag of the
 * thread that allocated it (two bytes in the SuperSlab header; tags are exact for the first 65535
 * threads, then wrap). Slab counts, memory and system-call figures come from the central,
 * superslab, large, release and os boxes in every profile. The HAKMEM_STATS=1 report at exit is
 * written to a duplicate of stderr taken at initialisation, so a program that closes stderr before
 * it exits (coreutils do) still gets it. */
#ifndef HAKMEM_BOX_STATS_H
#define HAKMEM_BOX_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "hakmem/box/size_class/size_class.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/config/profile.h"
#include "hakmem/include/hakmem.h"

_Static_assert(HAK_STATS_CLASSES == HAK_NCLASSES, "the public stats struct has one row per class");

typedef struct hak_thread_stats {
  uint64_t allocs[HAK_NCLASSES];
  uint64_t frees[HAK_NCLASSES];
  uint64_t remote_frees[HAK_NCLASSES];
  uint64_t refills[HAK_NCLASSES];
  uint64_t flushes[HAK_NCLASSES];
  uint16_t tag; /* this thread's owner tag, given at its first count */
} hak_thread_stats_t;

/* A new thread tag (never 0). */
HAK_HIDDEN uint16_t hak_stats_new_tag(void);

/* The owner tag of the block at a on SuperSlab page entry page, a page of class cls, or NULL when
 * a is past its slab's blocks. */
HAK_INLINE uint16_t* hak_stats_tag_in(hak_slab_t* page, uintptr_t a, unsigned cls) {
  hak_slab_t* s = hak_slab_head(page);
  uint32_t index = hak_class_block_index(cls, (size_t)(a - (uintptr_t)s->start));
  return index < s->capacity ? (uint16_t*)(void*)s->states + index : NULL;
}

/* The owner tag of the block p of class cls (observe: slab->states holds uint16_t tags), or NULL
 * when p is not in a slab of that class: observe hands out whatever was freed into a bin (a
 * pointer freed twice, whose slab went to another class since, is not detected outside safe), and
 * the counters must not write through such a pointer. */
HAK_INLINE uint16_t* hak_stats_tag_of(void* p, unsigned cls) {
  uintptr_t a = (uintptr_t)p;
  if (hak_region_kind(a) != HAK_REGION_SUPERSLAB) return NULL;
  hak_slab_t* page = hak_page_of(a);
  if (hak_page_class(page) != cls) return NULL;
  return hak_stats_tag_in(page, a, cls);
}

/* Observe only (callers test HAK_CFG_STATS): one block of class cls handed out / given back; the
 * block is tagged only where hak_stats_tag_of finds it. */
HAK_INLINE void hak_stats_count_alloc(hak_thread_stats_t* t, void* p, unsigned cls) {
  if (HAK_UNLIKELY(!t->tag)) t->tag = hak_stats_new_tag();
  t->allocs[cls]++;
  uint16_t* tag = hak_stats_tag_of(p, cls);
  if (tag) *tag = t->tag;
}

/* p is on SuperSlab page entry page, of class cls (the free fast path read the class from the
 * page's free info: no second check here). */
HAK_INLINE void hak_stats_count_free(hak_thread_stats_t* t, void* p, hak_slab_t* page, unsigned cls) {
  if (HAK_UNLIKELY(!t->tag)) t->tag = hak_stats_new_tag();
  t->frees[cls]++;
  uint16_t* tag = hak_stats_tag_in(page, (uintptr_t)p, cls);
  if (tag && *tag != t->tag) t->remote_frees[cls]++;
}

/* Adds a thread's counters to the process totals and zeroes them. */
HAK_HIDDEN void hak_stats_merge_thread(hak_thread_stats_t* t);
/* Process totals (per-class counters merged so far) and the memory figures. */
HAK_HIDDEN void hak_stats_collect(hak_stats_t* out);
HAK_HIDDEN void hak_stats_write(const hak_stats_t* s, FILE* out);
/* HAKMEM_STATS=1: keeps a duplicate of stderr (close-on-exec) for the report at exit. */
HAK_HIDDEN void hak_stats_report_open(void);
/* Writes the report to that descriptor (to stderr if none was opened). */
HAK_HIDDEN void hak_stats_report_at_exit(const hak_stats_t* s);

#endif
