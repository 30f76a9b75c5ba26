/* malloc_usable_size() of a stack address. */
#include <malloc.h>

#include "tests/misuse/misuse.h"

int main(void) {
  char local[32];
  void* p = misuse_opaque(local);
  misuse_pointer(p);
  size_t n = malloc_usable_size(p);
  if (n == 0) misuse_say("malloc_usable_size returned 0");
  return misuse_survived();
}
