/* free_sized with a size of the same class, smaller than the request: 5000 bytes freed as 4990. */
#include "tests/misuse/misuse.h"

void free_sized(void* ptr, size_t size);

int main(void) {
  char* p = malloc(5000);
  misuse_pointer(p);
  free_sized(p, 4990);
  return misuse_survived();
}
