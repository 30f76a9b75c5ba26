/* free() twice, large block (1 MiB), with 20000 small allocations and larger blocks in between. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  misuse_pointer(p);
  free(p);
  void* live[64] = {0};
  for (int i = 0; i < 20000; i++) {
    int slot = (i * 7) % 64;
    free(live[slot]);
    live[slot] = malloc(16 + (size_t)(i * 37) % 4000);
    if (i % 5000 == 0) free(malloc(5u << 20)); /* other large blocks come and go */
  }
  for (int i = 0; i < 64; i++) free(live[i]);
  free(p);
  return misuse_survived();
}
