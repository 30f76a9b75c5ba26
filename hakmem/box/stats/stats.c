#include "hakmem/box/stats/stats.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/os/os.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/superslab/superslab.h"

static hak_thread_stats_t g_totals;
static uint16_t g_next_tag;
static int g_report_fd = -1;

uint16_t hak_stats_new_tag(void) {
  uint16_t t;
  do t = (uint16_t)(__atomic_add_fetch(&g_next_tag, 1, __ATOMIC_RELAXED)); while (t == 0);
  return t;
}

static void add(uint64_t* to, uint64_t* from) {
  if (*from) __atomic_fetch_add(to, *from, __ATOMIC_RELAXED);
  *from = 0;
}

void hak_stats_merge_thread(hak_thread_stats_t* t) {
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    add(&g_totals.allocs[c], &t->allocs[c]);
    add(&g_totals.frees[c], &t->frees[c]);
    add(&g_totals.remote_frees[c], &t->remote_frees[c]);
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

static uint64_t load(uint64_t* v) { return __atomic_load_n(v, __ATOMIC_RELAXED); }

void hak_stats_collect(hak_stats_t* out) {
  memset(out, 0, sizeof *out);
  hak_ss_counters_t ss;
  hak_ss_counters_get(&ss);
  uint64_t small_in_use = 0;
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    hak_class_stats_t* row = &out->classes[c];
    row->block_size = hak_class_size(c);
    row->allocs = load(&g_totals.allocs[c]);
    row->frees = load(&g_totals.frees[c]);
    row->remote_frees = load(&g_totals.remote_frees[c]);
    row->refills = load(&g_totals.refills[c]);
    row->flushes = load(&g_totals.flushes[c]);
    row->slabs = ss.class_slabs[c];
    /* Another thread's counts may be merged later than its partner's: never below zero. */
    row->in_use_bytes = row->allocs > row->frees ? (row->allocs - row->frees) * row->block_size : 0;
    out->allocs += row->allocs;
    out->frees += row->frees;
    small_in_use += row->in_use_bytes;
  }
  hak_large_counters_t large;
  hak_large_counters_get(&large);
  out->large_live_blocks = large.live_blocks;
  out->large_live_bytes = large.live_bytes;
  out->large_cached_bytes = large.free_bytes;
  out->meta_bytes = large.meta_bytes;
  out->superslabs = ss.superslabs;
  out->slabs = ss.slabs;
  out->retained_bytes = ss.retained_bytes;
  hak_os_counters_t os;
  hak_os_counters_get(&os);
  out->bytes_mapped = os.bytes_mapped;
  out->mmap_calls = os.mmap_calls;
  out->munmap_calls = os.munmap_calls;
  out->madvise_calls = os.madvise_calls;
  out->mremap_calls = os.mremap_calls;
  out->rss_bytes = rss_bytes();
  /* observe: what the program holds; elsewhere what threads were handed (their caches included). */
  uint64_t cached_in_use, free_blocks;
  hak_central_totals(&cached_in_use, &free_blocks);
  out->bytes_in_use = (HAK_CFG_STATS ? small_in_use : cached_in_use) + large.live_bytes;
  out->free_block_bytes = free_blocks;
  out->retained_total_bytes = out->retained_bytes + out->free_block_bytes + out->large_cached_bytes;
  out->release_budget = hak_release_budget();
  out->release_policy = (uint32_t)hak_release_policy();
}

/* ---- the report ------------------------------------------------------------------------------- */

/* Where the report goes: a stdio stream, or a file descriptor (written without stdio). */
typedef struct sink {
  FILE* f;
  int fd;
} sink_t;

static void emit(sink_t* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(sink_t* out, const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (out->f) {
    fwrite(line, 1, len, out->f);
    return;
  }
  for (size_t done = 0; done < len;) {
    ssize_t w = write(out->fd, line + done, len - done);
    if (w <= 0) return;
    done += (size_t)w;
  }
}

static double mib(uint64_t b) { return (double)b / (1024.0 * 1024.0); }

static const char* policy_name(uint32_t p) { return p == 0 ? "lean" : p == 1 ? "balanced" : "speed"; }

static void write_report(const hak_stats_t* s, sink_t* out) {
  emit(out, "hakmem stats (profile %s)\n", HAK_PROFILE_NAME);
  if (s->release_policy == HAK_RELEASE_BALANCED)
    emit(out, "release policy balanced: budget %.1f MiB now (in use / 8, 1 MiB to %.1f MiB)\n",
         mib(s->release_budget), mib(hak_release_retain_cap()));
  else
    emit(out, "release policy %s\n", policy_name(s->release_policy));
  emit(out, "%5s %7s %12s %12s %12s %10s %10s %6s %9s %9s\n", "class", "block", "allocs", "frees", "remote",
       "live", "in use MiB", "slabs", "refills", "flushes");
  for (unsigned c = 0; c < HAK_NCLASSES; c++) {
    const hak_class_stats_t* r = &s->classes[c];
    if (!r->allocs && !r->frees && !r->slabs) continue;
    if (HAK_CFG_STATS)
      emit(out, "%5u %7llu %12llu %12llu %12llu %10lld %10.2f %6llu %9llu %9llu\n", c,
           (unsigned long long)r->block_size, (unsigned long long)r->allocs, (unsigned long long)r->frees,
           (unsigned long long)r->remote_frees, (long long)(r->allocs - r->frees), mib(r->in_use_bytes),
           (unsigned long long)r->slabs, (unsigned long long)r->refills, (unsigned long long)r->flushes);
    else
      emit(out, "%5u %7llu %12s %12s %12s %10s %10s %6llu %9s %9s\n", c, (unsigned long long)r->block_size, "-",
           "-", "-", "-", "-", (unsigned long long)r->slabs, "-", "-");
  }
  if (HAK_CFG_STATS)
    emit(out, "%5s %7s %12llu %12llu %12s %10lld\n", "all", "", (unsigned long long)s->allocs,
         (unsigned long long)s->frees, "", (long long)(s->allocs - s->frees));
  else
    emit(out, "(traffic counters, '-', are compiled in only with --config=observe)\n");
  emit(out, "large blocks: %llu live (%.1f MiB mapped), %.1f MiB cached\n", (unsigned long long)s->large_live_blocks,
       mib(s->large_live_bytes), mib(s->large_cached_bytes));
  emit(out, "superslabs %llu (%.1f MiB), slabs %llu\n", (unsigned long long)s->superslabs,
       mib(s->superslabs * HAK_SS_SIZE), (unsigned long long)s->slabs);
  emit(out, "in use %.1f MiB (%s); retained %.1f MiB: empty pages %.1f, free blocks %.1f, large %.1f\n",
       mib(s->bytes_in_use), HAK_CFG_STATS ? "held by the program" : "handed to threads, caches included",
       mib(s->retained_total_bytes), mib(s->retained_bytes), mib(s->free_block_bytes), mib(s->large_cached_bytes));
  emit(out, "mapped %.1f MiB, RSS %.1f MiB; system calls: mmap %llu, munmap %llu, madvise %llu, mremap %llu\n",
       mib(s->bytes_mapped), mib(s->rss_bytes), (unsigned long long)s->mmap_calls,
       (unsigned long long)s->munmap_calls, (unsigned long long)s->madvise_calls,
       (unsigned long long)s->mremap_calls);
}

void hak_stats_write(const hak_stats_t* s, FILE* out) {
  sink_t sink = {out, -1};
  write_report(s, &sink);
}

void hak_stats_report_open(void) {
  if (g_report_fd < 0) g_report_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
}

void hak_stats_report_at_exit(const hak_stats_t* s) {
  sink_t sink = {NULL, g_report_fd >= 0 ? g_report_fd : 2};
  write_report(s, &sink);
}
