/* free() twice in a row, large block (1 MiB). */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  misuse_pointer(p);
  free(p);
  free(p);
  return misuse_survived();
}
