/* free() of a large block whose header (64 bytes before it: the magic number) was overwritten. */
#include "hakmem/box/large/large.h"
#include "tests/misuse/misuse.h"

int main(void) {
  char* p = malloc(1 << 20);
  hak_large_t* header = (hak_large_t*)(p - HAK_LARGE_HEADER);
  uint64_t saved = header->magic;
  header->magic = 0x0badf00d0badf00dull;
  misuse_pointer(p);
  free(p);
  header->magic = saved;
  free(p);
  return misuse_survived();
}
