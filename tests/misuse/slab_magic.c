/* free() of a small block whose slab metadata (the magic number) was overwritten. */
#include "hakmem/box/superslab/superslab.h"
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(40);
  hak_slab_t* slab = hak_slab_head(hak_page_of((uintptr_t)p));
  uint32_t saved = slab->magic;
  slab->magic = 0x0badf00d;
  misuse_pointer(p);
  free(p);
  slab->magic = saved;
  return misuse_survived();
}
