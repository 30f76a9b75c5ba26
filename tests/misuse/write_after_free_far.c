/* A write into a freed small block at byte 65 of 100 (past the first fields), detected when the
 * block is handed out again. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(100);
  misuse_pointer(p);
  free(p);
  ((volatile char*)p)[65] = 0x41;
  if (malloc(100) == p) misuse_say("the freed block was handed out again");
  return misuse_survived();
}
