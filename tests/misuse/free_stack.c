/* free() of a stack address. */
#include "tests/misuse/misuse.h"

int main(void) {
  char local[32];
  void* p = misuse_opaque(local + 16);
  misuse_pointer(p);
  free(p);
  return misuse_survived();
}
