/* A free block's first word (its free-list link in the slab) is overwritten with the address of a
 * global, as a heap exploit would do; then the class is allocated until the slab's list is used. */
#include "hakmem/box/superslab/superslab.h"
#include "tests/misuse/misuse.h"

static void* g_target[8] __attribute__((aligned(64))); /* first word NULL: ends the forged list */

int main(void) {
  enum { N = 2000 };
  static char* blocks[N];
  char* keep = malloc(40); /* keeps its slab live, so its free list survives */
  for (int i = 0; i < N; i++) blocks[i] = malloc(40);
  for (int i = 0; i < N; i++) free(blocks[i]);
  hak_slab_t* slab = hak_slab_head(hak_page_of((uintptr_t)keep));
  char* head = slab->free_list; /* freed, returned to its slab: not in a cache */
  if (!head) return 2;
  misuse_pointer(head);
  *(void**)head = g_target;
  for (int i = 0; i < 100000; i++) {
    /* opaque: malloc's result is declared to alias nothing, so a compiler may fold the test away. */
    if (misuse_opaque(malloc(40)) == (void*)g_target) {
      misuse_say("malloc returned the forged free-list link");
      break;
    }
  }
  return misuse_survived();
}
