/* free() of an address above the 47-bit user address space (a random, non-canonical value). */
#include <stdint.h>

#include "tests/misuse/misuse.h"

int main(void) {
  void* p = misuse_opaque((void*)(uintptr_t)0xdead5a5a5a5a5a50ull);
  misuse_pointer(p);
  free(p);
  return misuse_survived();
}
