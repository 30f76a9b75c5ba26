/* A write through the old pointer of a large block (1 MiB) that realloc grew to 2 MiB. safe moves
 * the pages to the new block without copying and keeps the old range inaccessible: the write faults
 * and hakmem names the old block. Elsewhere the block may have grown in place: not attempted. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  p[100] = 42;
  char* q = realloc(p, 2 << 20);
  if (!q || q[100] != 42) misuse_say("realloc lost the contents");
  misuse_pointer(p + 100);
  if (!misuse_is_safe() || q == p) {
    misuse_say("not attempted outside safe");
    return misuse_survived();
  }
  ((volatile char*)p)[100] = 1;
  return misuse_survived();
}
