/* 16 bytes written past a 5000-byte request: still inside its 5120-byte block (the class rounding),
 * before the block's last word. */
#include <string.h>

#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(5000);
  misuse_pointer(p);
  memset(p + 5000, 0x41, 16);
  free(p);
  return misuse_survived();
}
