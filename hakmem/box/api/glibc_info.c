/* glibc's heap introspection calls, answered with hakmem's own figures (the stats box), so that a
 * program or monitoring agent reading them under hakmem sees hakmem's heap, not glibc's unused
 * arena. Only in the build that replaces the libc names (//hakmem:hakmem, libhakmem.so).
 *   mallinfo2 / mallinfo  arena = everything mapped, uordblks = in use, fordblks = retained (kept
 *                         for reuse), keepcost = what malloc_trim would return, hblks / hblkhd =
 *                         large blocks and their mappings; the counts glibc keeps of its free chunks
 *                         (ordblks, smblks, fsmblks) have no counterpart and read 0. mallinfo's
 *                         int fields saturate at INT_MAX.
 *   malloc_stats          hakmem's stats table on stderr.
 *   malloc_info           the same figures as XML in glibc's shape (one heap).
 *   mallopt               accepts glibc's parameters: M_TRIM_THRESHOLD sets the most empty memory
 *                         BALANCED keeps (as HAKMEM_RETAIN_MB); the others are accepted and have no
 *                         effect (hakmem's tiers are fixed); an unknown parameter returns 0. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>

#include "hakmem/box/release/release.h"
#include "hakmem/box/thread/thread.h"
#include "hakmem/include/hakmem.h"

#define HAK_EXPORT __attribute__((visibility("default")))

HAK_EXPORT struct mallinfo2 mallinfo2(void) {
  hak_stats_t s;
  hak_stats_get(&s);
  struct mallinfo2 m = {0};
  m.arena = s.bytes_mapped;
  m.hblks = s.large_live_blocks;
  m.hblkhd = s.large_live_bytes;
  m.uordblks = s.bytes_in_use;
  m.fordblks = s.retained_total_bytes;
  m.keepcost = s.retained_total_bytes;
  return m;
}

static int saturate(size_t v) { return v > INT_MAX ? INT_MAX : (int)v; }

HAK_EXPORT struct mallinfo mallinfo(void) {
  struct mallinfo2 m2 = mallinfo2();
  struct mallinfo m = {0};
  m.arena = saturate(m2.arena);
  m.hblks = saturate(m2.hblks);
  m.hblkhd = saturate(m2.hblkhd);
  m.uordblks = saturate(m2.uordblks);
  m.fordblks = saturate(m2.fordblks);
  m.keepcost = saturate(m2.keepcost);
  return m;
}

HAK_EXPORT void malloc_stats(void) { hak_stats_print(stderr); }

HAK_EXPORT int malloc_info(int options, FILE* out) {
  if (options != 0) {
    errno = EINVAL;
    return -1;
  }
  hak_stats_t s;
  hak_stats_get(&s);
  fprintf(out, "<malloc version=\"1\">\n<heap nr=\"0\">\n<sizes>\n");
  for (unsigned c = 0; c < HAK_STATS_CLASSES; c++) {
    const hak_class_stats_t* k = &s.classes[c];
    if (!k->slabs && !k->in_use_bytes) continue;
    /* one row per size class: its block size, the bytes the program holds in it (observe) and its slabs */
    fprintf(out, "  <size from=\"%llu\" to=\"%llu\" total=\"%llu\" count=\"%llu\"/>\n",
            (unsigned long long)k->block_size, (unsigned long long)k->block_size,
            (unsigned long long)k->in_use_bytes, (unsigned long long)k->slabs);
  }
  fprintf(out, "</sizes>\n");
  fprintf(out, "<total type=\"rest\" count=\"%llu\" size=\"%llu\"/>\n", (unsigned long long)s.slabs,
          (unsigned long long)s.retained_total_bytes);
  fprintf(out, "<total type=\"mmap\" count=\"%llu\" size=\"%llu\"/>\n", (unsigned long long)s.large_live_blocks,
          (unsigned long long)s.large_live_bytes);
  fprintf(out, "<system type=\"current\" size=\"%llu\"/>\n", (unsigned long long)s.bytes_mapped);
  fprintf(out, "<aspace type=\"total\" size=\"%llu\"/>\n", (unsigned long long)s.bytes_mapped);
  fprintf(out, "</heap>\n</malloc>\n");
  return 0;
}

HAK_EXPORT int mallopt(int param, int value) {
  switch (param) {
    case M_TRIM_THRESHOLD:
      if (value < 0) return 0;
      hak_thread_process_init(); /* the environment first, so that mallopt is not overridden by it */
      if (hak_release_policy() == HAK_RELEASE_BALANCED) hak_release_configure(HAK_RELEASE_BALANCED, (size_t)value);
      return 1;
    case M_MXFAST:
    case M_TOP_PAD:
    case M_MMAP_THRESHOLD:
    case M_MMAP_MAX:
    case M_CHECK_ACTION:
    case M_PERTURB:
    case M_ARENA_TEST:
    case M_ARENA_MAX:
      return 1;
    default:
      return 0;
  }
}
