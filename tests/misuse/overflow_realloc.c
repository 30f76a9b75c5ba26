/* One byte written past a 5000-byte request, then realloc to a size the block still holds. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(5000);
  misuse_pointer(p);
  ((volatile char*)p)[5000] = 0x41;
  char* q = realloc(p, 5004);
  if (q == p) misuse_say("realloc kept the block");
  return misuse_survived();
}
