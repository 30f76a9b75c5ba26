/* free() of a global. */
#include "tests/misuse/misuse.h"

static char g_buffer[64] __attribute__((aligned(16)));

int main(void) {
  void* p = misuse_opaque(g_buffer);
  misuse_pointer(p);
  free(p);
  return misuse_survived();
}
