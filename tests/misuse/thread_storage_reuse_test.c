/* Regression (found by free_routing_fuzz): a valid program reported as "write after free" in safe.
 *
 * A thread's cache storage is a block of the central box taken without safe_alloc. When that block
 * had been freed by the program before (state FREED, poisoned), the thread's cache slots overwrote
 * the poison; at the thread's exit the block went back to the central box still FREED, and the
 * next malloc of its class handed it out as "written after free" (abort in safe). Fixed in
 * hakmem/box/front/front.c (safe_storage: the storage block's state follows its use).
 * Runs in every profile (trivially valid outside safe) and under --config=asan. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "hakmem/box/front/front.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/size_class/size_class.h"
#include "hakmem/include/hakmem.h"

/* The class of a thread's cache storage, as front.c computes it. */
static unsigned storage_class(void) {
  unsigned slots = 0;
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) slots += hak_class_info[cls].cache_max;
  return hak_class_of(slots * sizeof(void*));
}

static void* thread_main(void* arg) {
  (void)arg;
  void* small[16];
  for (int i = 0; i < 16; i++) small[i] = hak_malloc(8);
  for (int i = 0; i < 16; i++) hak_free(small[i]); /* fills the cache slots at the storage's start */
  return NULL;
}

int main(void) {
  unsigned cls = storage_class();
  size_t size = hak_class_size(cls) - HAK_CANARY_BYTES;
  enum { N = 4 };
  void* blocks[N];
  for (int round = 0; round < 8; round++) {
    void* keep = hak_malloc(size); /* keeps the slab live */
    for (int i = 0; i < N; i++) blocks[i] = hak_malloc(size);
    for (int i = 0; i < N; i++) hak_free(blocks[i]);
    hak_trim(0); /* the freed blocks leave this thread's cache for their slab */
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0) return 2;
    pthread_join(t, NULL);
    for (int i = 0; i < N; i++) blocks[i] = hak_malloc(size);
    for (int i = 0; i < N; i++) hak_free(blocks[i]);
    hak_free(keep);
  }
  unsigned long errors = hak_report_error_count();
  if (errors) {
    fprintf(stderr, "FAIL: %lu errors reported for a valid program\n", errors);
    return 1;
  }
  printf("PASS: no error reported (profile %s, storage class %u)\n", hak_profile(), cls);
  return 0;
}
