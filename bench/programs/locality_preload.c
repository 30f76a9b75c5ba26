/* bench/programs/locality_preload.c: LD_PRELOAD'ed before an allocator (//bench:programs --locality), it
 * measures how close together a program's consecutive small allocations land: the number of
 * distinct 4 KiB pages among each 64 consecutive malloc / calloc / realloc(NULL, n) results of
 * at most 1 KiB. A program that walks what it allocated in the order it allocated it touches that
 * many pages per 64 blocks (64 blocks of 48 bytes fit in one page); printed at exit on stderr as
 * "locality: <pages per window> <windows>". Single-threaded programs: no locking. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WINDOW 64
#define SMALL 1024

static void* (*next_malloc)(size_t);
static void* (*next_calloc)(size_t, size_t);
static void* (*next_realloc)(void*, size_t);
static uintptr_t g_window[WINDOW];
static unsigned g_filled;
static unsigned long g_windows, g_pages;

static void note(void* p, size_t n) {
  if (!p || n > SMALL) return;
  g_window[g_filled++] = (uintptr_t)p >> 12;
  if (g_filled < WINDOW) return;
  g_filled = 0;
  g_windows++;
  for (unsigned i = 0; i < WINDOW; i++) {
    unsigned j = 0;
    while (j < i && g_window[j] != g_window[i]) j++;
    g_pages += j == i;
  }
}

void* malloc(size_t n) {
  if (!next_malloc) next_malloc = (void* (*)(size_t))dlsym(RTLD_NEXT, "malloc");
  void* p = next_malloc(n);
  note(p, n);
  return p;
}

/* dlsym may call calloc before next_calloc is known: a static zeroed block answers it. */
void* calloc(size_t n, size_t size) {
  static char early[256];
  static int resolving;
  if (!next_calloc) {
    if (resolving) return n * size <= sizeof early ? early : NULL;
    resolving = 1;
    next_calloc = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    resolving = 0;
  }
  void* p = next_calloc(n, size);
  if (size && n <= SMALL / size) note(p, n * size);
  return p;
}

void* realloc(void* old, size_t n) {
  if (!next_realloc) next_realloc = (void* (*)(void*, size_t))dlsym(RTLD_NEXT, "realloc");
  void* p = next_realloc(old, n);
  if (!old) note(p, n);
  return p;
}

__attribute__((destructor)) static void report(void) {
  if (g_windows) fprintf(stderr, "locality: %.2f %lu\n", (double)g_pages / (double)g_windows, g_windows);
}
