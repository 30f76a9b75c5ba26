/* A write into a large block (1 MiB) after it was freed. safe keeps freed large blocks inaccessible
 * for a while: the write faults and hakmem names the block. Elsewhere the pages may still be
 * mapped or not (the release policy decides): the write is not attempted. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  p[0] = 1;
  free(p);
  misuse_pointer(p + 100);
  if (!misuse_is_safe()) {
    misuse_say("not attempted outside safe");
    return misuse_survived();
  }
  ((volatile char*)p)[100] = 1;
  return misuse_survived();
}
