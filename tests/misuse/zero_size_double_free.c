/* malloc(0)'s block freed twice. safe knows the block (the zero region's slot is no longer live)
 * and names the double free; elsewhere it is an ordinary smallest block, freed twice unnoticed. */
#include <malloc.h>

#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(0);
  if (!p) return 2;
  if (malloc_usable_size(p) != (misuse_is_safe() ? 0 : 16)) misuse_say("unexpected usable size");
  char* q = realloc(malloc(0), 10); /* a zero-size block grows like any other */
  if (!q) return 2;
  free(q);
  free(p);
  misuse_pointer(p);
  free(p);
  return misuse_survived();
}
