/* free() twice in a row, small block. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(40);
  misuse_pointer(p);
  free(p);
  free(p);
  /* Not detected (balanced): the block is twice in the cache. */
  char* a = malloc(40);
  char* b = malloc(40);
  if (a == p && b == p) misuse_say("the double-freed block was handed out twice");
  return misuse_survived();
}
