/* glibc's introspection calls (mallinfo2, mallinfo, malloc_stats, malloc_info, mallopt) must answer
 * with hakmem's figures: run linked with //hakmem:hakmem and, built plainly, under
 * LD_PRELOAD=libhakmem.so (introspection_preload_test.sh). hak_stats_get is looked up at run time so
 * that the same source serves both; its figures must be the ones mallinfo2 reports. Exit 0 when
 * every check held; prints "N passed, N failed". */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem/include/hakmem.h"

static int passed, failed;

static void check(int ok, const char* what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL: %s\n", what);
  }
}

/* The text fn writes to a temporary file (through FILE* or stderr). */
static char* captured(int to_stderr, int (*fn)(FILE*)) {
  static char text[1 << 16];
  FILE* f = tmpfile();
  if (!f) return NULL;
  int saved = -1;
  if (to_stderr) {
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(f), 2);
  }
  fn(f);
  if (to_stderr) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  fflush(f);
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = 0;
  fclose(f);
  return text;
}

static int info_to(FILE* f) { return malloc_info(0, f); }
static int stats_to_stderr(FILE* f) {
  (void)f;
  malloc_stats();
  return 0;
}

int main(void) {
  void (*stats_get)(hak_stats_t*) = (void (*)(hak_stats_t*))dlsym(RTLD_DEFAULT, "hak_stats_get");
  check(stats_get != NULL, "hak_stats_get is there: hakmem serves this process");
  if (!stats_get) return 1;

  enum { N = 4096 };
  static void* small[N];
  for (int i = 0; i < N; i++) memset(small[i] = malloc(1000), 1, 1000);
  size_t big_size = 3u << 20;
  void* big = malloc(big_size);
  memset(big, 2, big_size);

  hak_stats_t s;
  struct mallinfo2 m = mallinfo2();
  stats_get(&s);
  check(m.arena == s.bytes_mapped, "mallinfo2 arena = hakmem's mapped bytes");
  check(m.uordblks == s.bytes_in_use, "mallinfo2 uordblks = hakmem's bytes in use");
  check(m.fordblks == s.retained_total_bytes, "mallinfo2 fordblks = hakmem's retained bytes");
  check(m.hblks == s.large_live_blocks && m.hblks >= 1, "mallinfo2 hblks = hakmem's large blocks");
  check(m.hblkhd == s.large_live_bytes && m.hblkhd >= big_size, "mallinfo2 hblkhd = their mappings");
  check(m.uordblks >= (size_t)N * 1000 + big_size, "in use covers what the program holds");
  check(m.arena >= m.uordblks, "mapped covers what is in use");

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* glibc deprecates it; programs still call it */
  struct mallinfo m1 = mallinfo();
#pragma GCC diagnostic pop
  check(m1.arena == (int)m.arena && m1.uordblks == (int)m.uordblks && m1.hblkhd == (int)m.hblkhd,
        "mallinfo: the same figures as int");

  char* xml = captured(0, info_to);
  check(xml && strstr(xml, "<malloc version=\"1\">") && strstr(xml, "</malloc>"), "malloc_info writes glibc's XML");
  char want[64];
  snprintf(want, sizeof want, "<size from=\"1024\" to=\"1024\"");
  check(xml && strstr(xml, want), "malloc_info lists the 1 KiB class the program uses");
  errno = 0;
  check(malloc_info(1, stdout) == -1 && errno == EINVAL, "malloc_info with options != 0: EINVAL");

  char* table = captured(1, stats_to_stderr);
  check(table && strstr(table, "hakmem stats (profile "), "malloc_stats prints hakmem's table on stderr");

  check(mallopt(M_TRIM_THRESHOLD, 1 << 20) == 1, "mallopt(M_TRIM_THRESHOLD) accepted");
  check(mallopt(M_TRIM_THRESHOLD, -1) == 0, "mallopt(M_TRIM_THRESHOLD, -1) refused");
  check(mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1, "mallopt(M_MMAP_THRESHOLD) accepted");
  check(mallopt(M_ARENA_MAX, 2) == 1, "mallopt(M_ARENA_MAX) accepted");
  check(mallopt(12345, 1) == 0, "an unknown mallopt parameter returns 0");

  for (int i = 0; i < N; i++) free(small[i]);
  free(big);
  malloc_trim(0);
  m = mallinfo2();
  check(m.hblks == 0 && m.hblkhd == 0, "no large block after free");
  check(m.fordblks <= (1u << 20), "malloc_trim leaves at most 1 MiB retained");

  printf("introspection: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
