/* A write into a freed small block (byte 20), detected when the block is handed out again. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(40);
  misuse_pointer(p);
  free(p);
  ((volatile char*)p)[20] = 0x41;
  if (malloc(40) == p) misuse_say("the freed block was handed out again");
  return misuse_survived();
}
