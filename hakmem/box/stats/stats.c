#include "hakmem/box/stats/stats.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hakmem/box/large/large.h"
#include "hakmem/box/os/os.h"
#include "hakmem/box/superslab/superslab.h"

static hak_thread_stats_t g_totals;

static void add(uint64_t* to, uint64_t* from) {
  if (*from) __atomic_fetch_add(to, *from, __ATOMIC_RELAXED);
  *from = 0;
}

void hak_stats_merge_thread(hak_thread_stats_t* t) {
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    add(&g_totals.allocs[c], &t->allocs[c]);
    add(&g_totals.frees[c], &t->frees[c]);
    add(&g_totals.refills[c], &t->refills[c]);
    add(&g_totals.flushes[c], &t->flushes[c]);
  }
}

static uint64_t rss_bytes(void) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* s = buf;
  while (*s && *s != ' ') s++; /* skip the total size */
  uint64_t pages = 0;
  for (s++; *s >= '0' && *s <= '9'; s++) pages = pages * 10 + (uint64_t)(*s - '0');
  return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

void hak_stats_collect(hak_stats_t* out) {
  memset(out, 0, sizeof *out);
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    hak_class_stats_t* row = &out->classes[c];
    row->block_size = hak_class_size(c);
    row->allocs = __atomic_load_n(&g_totals.allocs[c], __ATOMIC_RELAXED);
    row->frees = __atomic_load_n(&g_totals.frees[c], __ATOMIC_RELAXED);
    row->refills = __atomic_load_n(&g_totals.refills[c], __ATOMIC_RELAXED);
    row->flushes = __atomic_load_n(&g_totals.flushes[c], __ATOMIC_RELAXED);
    out->allocs += row->allocs;
    out->frees += row->frees;
  }
  hak_large_counters_t large;
  hak_large_counters_get(&large);
  out->large_live_blocks = large.live_blocks;
  out->large_live_bytes = large.live_bytes;
  out->large_cached_bytes = large.cached_bytes;
  hak_ss_counters_t ss;
  hak_ss_counters_get(&ss);
  out->superslabs = ss.superslabs;
  out->slabs = ss.slabs;
  out->retained_bytes = ss.retained_bytes;
  hak_os_counters_t os;
  hak_os_counters_get(&os);
  out->bytes_mapped = os.bytes_mapped;
  out->mmap_calls = os.mmap_calls;
  out->munmap_calls = os.munmap_calls;
  out->madvise_calls = os.madvise_calls;
  out->rss_bytes = rss_bytes();
}

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

void hak_stats_write(hak_stats_t* s, FILE* out) {
  fprintf(out, "hakmem stats (profile %s)\n", HAK_PROFILE_NAME);
  if (HAK_CFG_STATS) {
    fprintf(out, "%6s %10s %14s %14s %14s %10s %10s\n", "class", "block", "allocs", "frees", "live", "refills",
            "flushes");
    for (unsigned c = 0; c < HAK_NCLASSES; c++) {
      hak_class_stats_t* r = &s->classes[c];
      if (!r->allocs && !r->frees) continue;
      fprintf(out, "%6u %10llu %14llu %14llu %14lld %10llu %10llu\n", c, (unsigned long long)r->block_size,
              (unsigned long long)r->allocs, (unsigned long long)r->frees, (long long)(r->allocs - r->frees),
              (unsigned long long)r->refills, (unsigned long long)r->flushes);
    }
    fprintf(out, "%6s %10s %14llu %14llu %14lld\n", "all", "", (unsigned long long)s->allocs,
            (unsigned long long)s->frees, (long long)(s->allocs - s->frees));
  } else {
    fprintf(out, "(per-class counters are compiled in only with --config=observe)\n");
  }
  fprintf(out, "large blocks live   %llu (%.1f MiB mapped), cached %.1f MiB\n",
          (unsigned long long)s->large_live_blocks, mib(s->large_live_bytes), mib(s->large_cached_bytes));
  fprintf(out, "superslabs %llu, slabs %llu, empty pages retained %.1f MiB\n", (unsigned long long)s->superslabs,
          (unsigned long long)s->slabs, mib(s->retained_bytes));
  fprintf(out, "mapped %.1f MiB, RSS %.1f MiB; system calls: mmap %llu, munmap %llu, madvise %llu\n",
          mib(s->bytes_mapped), mib(s->rss_bytes), (unsigned long long)s->mmap_calls,
          (unsigned long long)s->munmap_calls, (unsigned long long)s->madvise_calls);
}
