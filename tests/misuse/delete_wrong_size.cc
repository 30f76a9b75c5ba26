// Sized operator delete with the size of another type: an object of 400 bytes deleted as one of 40.
#include <new>

#include "tests/misuse/misuse.h"

int main() {
  void* p = ::operator new(400);
  misuse_pointer(p);
  ::operator delete(p, 40);
  return misuse_survived();
}
