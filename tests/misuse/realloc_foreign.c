/* realloc() of a global. */
#include "tests/misuse/misuse.h"

static char g_buffer[64] __attribute__((aligned(16)));

int main(void) {
  void* p = misuse_opaque(g_buffer);
  misuse_pointer(p);
  void* q = realloc(p, 100);
  if (q) misuse_say("realloc returned a block");
  return misuse_survived();
}
