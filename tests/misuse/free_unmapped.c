/* free() of an address that is not mapped at all (a page mapped, then unmapped). */
#include <sys/mman.h>

#include "tests/misuse/misuse.h"

int main(void) {
  char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED || munmap(page, 4096) != 0) return 2;
  void* p = misuse_opaque(page + 32);
  misuse_pointer(p);
  free(p);
  return misuse_survived();
}
