/* A one-byte write just past a 40-byte request (the usable size in safe, where the canary starts). */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(40);
  misuse_pointer(p);
  ((volatile char*)p)[40] = 0x41;
  free(p);
  return misuse_survived();
}
