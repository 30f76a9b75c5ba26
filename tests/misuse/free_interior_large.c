/* free() of a pointer 4 KiB into a large (1 MiB) block. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* block = malloc(1 << 20);
  char* p = misuse_opaque(block + 4096);
  misuse_pointer(p);
  free(p);
  block[0] = 1; /* still allocated */
  free(block);
  return misuse_survived();
}
