/* free() of a pointer one byte into a small block. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* block = malloc(100);
  char* p = misuse_opaque(block + 1);
  misuse_pointer(p);
  free(p);
  if (malloc(100) == p) misuse_say("the misaligned pointer was handed out as a block");
  return misuse_survived();
}
