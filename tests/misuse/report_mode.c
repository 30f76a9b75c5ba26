/* Run with HAKMEM_ON_ERROR=report: three misuses in a row, then what became of the blocks. */
#include <stdint.h>

#include "tests/misuse/misuse.h"

/* How many of n allocations of 40 bytes return p (all freed afterwards). */
static int handed_out(const void* p, int n) {
  static void* blocks[20000];
  int hits = 0;
  for (int i = 0; i < n; i++) hits += (blocks[i] = malloc(40)) == p;
  for (int i = 0; i < n; i++) free(blocks[i]);
  return hits;
}

int main(void) {
  /* 1. Overflow: in safe the block is quarantined and must never come back. */
  char* p = malloc(40);
  misuse_pointer(p);
  ((volatile char*)p)[40] = 0x41;
  free(p);
  misuse_say(handed_out(p, 20000) ? "the overflowed block was handed out again"
                                   : "the overflowed block was never handed out again");
  /* 2. Double free: the second free must be dropped, so the block comes back once, not twice. */
  char* d = malloc(40);
  misuse_pointer(d);
  free(d);
  free(d);
  int hits = handed_out(d, 1000);
  misuse_say(hits == 1 ? "the double-freed block was handed out once"
             : hits == 2 ? "the double-freed block was handed out twice" : "the double-freed block was lost");
  /* 3. A foreign pointer. */
  char local[16];
  void* f = misuse_opaque(local);
  misuse_pointer(f);
  free(f);
  return misuse_survived();
}
