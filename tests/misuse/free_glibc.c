/* free() of a block from glibc's own malloc (a second allocator in the process). */
#include "tests/misuse/misuse.h"

extern void* __libc_malloc(size_t size);
extern void __libc_free(void* ptr);

int main(void) {
  void* p = __libc_malloc(64);
  if (!p) return 2;
  misuse_pointer(p);
  free(p);
  __libc_free(p);
  return misuse_survived();
}
