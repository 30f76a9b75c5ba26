/* free() of a pointer 16 bytes into a small block. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* block = malloc(100);
  char* p = misuse_opaque(block + 16);
  misuse_pointer(p);
  free(p);
  /* Not detected (balanced): the interior address is now a free block of the cache. */
  if (malloc(100) == p) misuse_say("the interior pointer was handed out as a block");
  return misuse_survived();
}
