/* free() twice, small block, with 20000 allocations of other classes and a large block in between. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* keep = malloc(40); /* keeps the slab live */
  char* p = malloc(40);
  misuse_pointer(p);
  free(p);
  void* live[64] = {0};
  for (int i = 0; i < 20000; i++) {
    int slot = (i * 7) % 64;
    free(live[slot]);
    live[slot] = malloc(64 + (size_t)(i * 37) % 4000); /* classes of 64 bytes and up */
    if (i % 5000 == 0) free(malloc(5u << 20));
  }
  for (int i = 0; i < 64; i++) free(live[i]);
  free(p);
  free(keep);
  return misuse_survived();
}
