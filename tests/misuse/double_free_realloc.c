/* realloc() of a freed small block. */
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(40);
  misuse_pointer(p);
  free(p);
  void* q = realloc(p, 200);
  /* Not detected (balanced): realloc copied the freed block and freed it a second time. */
  char* a = malloc(40);
  char* b = malloc(40);
  if (a == p && b == p) misuse_say("the double-freed block was handed out twice");
  free(q);
  return misuse_survived();
}
