/* A write through malloc(0)'s pointer. safe hands out an address in a region that is never
 * accessible: the write faults and hakmem names the block. Elsewhere malloc(0) returns an
 * ordinary smallest block, where such a write lands unnoticed: it is not attempted. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(0);
  if (!p) return 2;
  misuse_pointer(p);
  if (!misuse_is_safe()) {
    misuse_say("not attempted outside safe");
    return misuse_survived();
  }
  ((volatile char*)p)[0] = 1;
  return misuse_survived();
}
