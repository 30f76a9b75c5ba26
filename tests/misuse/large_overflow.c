/* A write one byte past the end of a large block (1 MiB, whole pages). safe puts an inaccessible
 * page after every large block: the write faults and hakmem names the block. Elsewhere the next
 * page may be another block's or unmapped: the write is not attempted. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  misuse_pointer(p + (1 << 20));
  if (!misuse_is_safe()) {
    misuse_say("not attempted outside safe");
    return misuse_survived();
  }
  ((volatile char*)p)[1 << 20] = 1;
  return misuse_survived();
}
