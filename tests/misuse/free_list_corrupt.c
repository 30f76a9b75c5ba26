/* The first word of freed blocks (where a free list would keep its link) is overwritten with the
 * address of a global, as a heap exploit would do; then the class is allocated until every block
 * of the slab has come back. Free blocks hold nothing the allocator reads (slabs keep a bitmap):
 * malloc never returns the forged address. safe poisons a freed block from its first byte: the
 * first malloc, which takes the block freed last, reports the write after free. */
#include "tests/misuse/misuse.h"

static void* g_target[8] __attribute__((aligned(64)));

int main(void) {
  enum { N = 2000 };
  static char* blocks[N];
  char* keep = malloc(40); /* keeps the slab live */
  for (int i = 0; i < N; i++) blocks[i] = malloc(40);
  for (int i = 0; i < N; i++) free(blocks[i]);
  misuse_pointer(blocks[N - 1]);
  for (int i = 0; i < N; i++) *(void**)blocks[i] = g_target;
  for (int i = 0; i < 100000; i++) {
    /* opaque: malloc's result is declared to alias nothing, so a compiler may fold the test away. */
    if (misuse_opaque(malloc(40)) == (void*)g_target) {
      misuse_say("malloc returned the forged free-list link");
      break;
    }
  }
  free(keep);
  return misuse_survived();
}
