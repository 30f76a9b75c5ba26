/* realloc() of a freed large block (1 MiB). */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  misuse_pointer(p);
  free(p);
  void* q = realloc(p, 2 << 20);
  if (!q) misuse_say("realloc returned NULL");
  return misuse_survived();
}
