/* free() of an address inside hakmem's own memory that is no block: the SuperSlab header that
 * holds the slab metadata of a live block. */
#include <stdint.h>

#include "tests/misuse/misuse.h"

int main(void) {
  char* block = malloc(40);
  void* p = misuse_opaque((void*)(((uintptr_t)block & ~(uintptr_t)((2u << 20) - 1)) + 256));
  misuse_pointer(p);
  free(p);
  free(block);
  return misuse_survived();
}
