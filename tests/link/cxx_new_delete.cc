// Every form of operator new and delete, compiled with sized deallocation and aligned new. Run
// under LD_PRELOAD=libhakmem.so (and linked with //hakmem:hakmem), it checks that each operator the
// program calls is hakmem's (the dynamic linker bound it there: dladdr names libhakmem.so; linked,
// the program's own symbol), that aligned forms align, and that a failing new calls the
// new-handler and then throws std::bad_alloc (nothrow: returns nullptr).
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace {

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "cxx_new_delete: FAILED: %s\n", what);
    failures++;
  }
}

// Where an operator resolved: the object file that holds its address.
std::string where(void* fn) {
  Dl_info info;
  if (!dladdr(fn, &info) || !info.dli_fname) return "?";
  return info.dli_fname;
}

void expect_hakmem(void* fn, const char* name, bool preloaded) {
  std::string file = where(fn), self = where((void*)&expect_hakmem);
  bool ok = preloaded ? file.find("libhakmem") != std::string::npos : file == self;
  if (!ok) fprintf(stderr, "cxx_new_delete: %s resolved in %s\n", name, file.c_str());
  check(ok, name);
}

int handler_calls = 0;
void handler() {
  handler_calls++;
  if (handler_calls == 3) std::set_new_handler(nullptr);  // then bad_alloc
}

struct alignas(256) Wide {
  char bytes[300];
};

}  // namespace

int main() {
  const char* expect = getenv("HAKT_EXPECT");  // "preload" or "linked": whose operators to expect
  if (expect) {
    bool pre = strcmp(expect, "preload") == 0;
    using New = void* (*)(std::size_t);
    using NewNt = void* (*)(std::size_t, const std::nothrow_t&);
    using NewAl = void* (*)(std::size_t, std::align_val_t);
    using Del = void (*)(void*) noexcept;
    using DelSized = void (*)(void*, std::size_t) noexcept;
    using DelAl = void (*)(void*, std::size_t, std::align_val_t) noexcept;
    expect_hakmem((void*)static_cast<New>(&::operator new), "operator new(size_t)", pre);
    expect_hakmem((void*)static_cast<New>(&::operator new[]), "operator new[](size_t)", pre);
    expect_hakmem((void*)static_cast<NewNt>(&::operator new), "operator new(size_t, nothrow)", pre);
    expect_hakmem((void*)static_cast<NewAl>(&::operator new), "operator new(size_t, align_val_t)", pre);
    expect_hakmem((void*)static_cast<Del>(&::operator delete), "operator delete(void*)", pre);
    expect_hakmem((void*)static_cast<DelSized>(&::operator delete), "operator delete(void*, size_t)", pre);
    expect_hakmem((void*)static_cast<DelSized>(&::operator delete[]), "operator delete[](void*, size_t)", pre);
    expect_hakmem((void*)static_cast<DelAl>(&::operator delete), "operator delete(void*, size_t, align_val_t)", pre);
  }

  // Every form, with sizes from small to large.
  for (std::size_t n : {1ul, 24ul, 1000ul, 70000ul, 3ul << 20}) {
    char* a = new char[n];
    memset(a, 1, n);
    delete[] a;
    auto* s = new std::string(n, 'x');  // sized delete of a class object
    check(s->size() == n, "string");
    delete s;
    void* p = ::operator new(n);
    ::operator delete(p, n);
    p = ::operator new[](n, std::nothrow);
    check(p != nullptr, "nothrow new");
    ::operator delete[](p, std::nothrow);
    for (std::size_t al : {32ul, 256ul, 4096ul, 1ul << 21}) {
      p = ::operator new(n, std::align_val_t(al));
      check((uintptr_t)p % al == 0, "aligned new");
      memset(p, 2, n);
      ::operator delete(p, n, std::align_val_t(al));
      p = ::operator new[](n, std::align_val_t(al), std::nothrow);
      check(p && (uintptr_t)p % al == 0, "aligned nothrow new[]");
      ::operator delete[](p, std::align_val_t(al));
    }
  }
  std::vector<Wide*> wide;
  for (int i = 0; i < 100; i++) wide.push_back(new Wide);
  for (Wide* w : wide) check((uintptr_t)w % 256 == 0, "alignas(256) object");
  for (Wide* w : wide) delete w;

  // A request nothing can serve: the handler runs until it uninstalls itself, then bad_alloc.
  std::set_new_handler(handler);
  bool thrown = false;
  try {
    volatile std::size_t huge = SIZE_MAX / 2;
    void* p = ::operator new(huge);
    ::operator delete(p);
  } catch (const std::bad_alloc&) {
    thrown = true;
  }
  check(thrown, "new of SIZE_MAX / 2 throws bad_alloc");
  check(handler_calls == 3, "the new-handler ran until it uninstalled itself");
  handler_calls = 0;
  std::set_new_handler(handler);
  check(::operator new(SIZE_MAX / 2, std::nothrow) == nullptr, "nothrow new of SIZE_MAX / 2 is nullptr");
  check(handler_calls == 3, "nothrow new ran the new-handler too");
  std::set_new_handler(nullptr);
  thrown = false;
  try {
    void* p = ::operator new(SIZE_MAX / 2, std::align_val_t(64));
    ::operator delete(p, std::align_val_t(64));
  } catch (const std::bad_alloc&) {
    thrown = true;
  }
  check(thrown, "aligned new of SIZE_MAX / 2 throws bad_alloc");

  if (failures) return 1;
  puts("cxx_new_delete OK");
  return 0;
}
