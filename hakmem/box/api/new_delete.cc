// api box, C++: operator new and delete, every standard form, on hakmem (the overriding builds:
// //hakmem:hakmem and libhakmem.so). A C++ program reaches hakmem in one call instead of going
// through libstdc++'s operator new and then malloc, and in safe every sized or aligned delete is
// checked against the block as free_sized and free_aligned_sized are (api.c, hak_api_delete).
//
// The failure path follows the standard: call the new-handler while there is one, retry, and
// throw std::bad_alloc when there is none (nothrow forms return nullptr). libstdc++ provides the
// handler and the throw; they are weak references here, so that libhakmem.so does not load
// libstdc++ into C programs (they never call operator new; a C++ program has it loaded). For the
// same reason nothing here catches (the file is built without exceptions, with unwind tables): what
// a new-handler throws out of a nothrow new reaches the caller, where the standard would have the
// operator return nullptr.
#include <cstddef>
#include <new>

#include "hakmem/include/hakmem.h"

extern "C" {
// api.c: free, free_sized, free_aligned_sized named "operator delete" in reports (size 0: unsized).
void hak_api_delete(void* ptr, std::size_t size, std::size_t alignment) noexcept;
std::new_handler hak_cxx_get_new_handler() noexcept __asm__("_ZSt15get_new_handlerv") __attribute__((weak));
[[noreturn]] void hak_cxx_throw_bad_alloc() __asm__("_ZSt17__throw_bad_allocv") __attribute__((weak));
}

namespace {

void* alloc(std::size_t n, std::size_t align) { return align <= 16 ? hak_malloc(n) : hak_aligned_alloc(align, n); }

// operator new after hakmem said no: the new-handler may free memory (retry), throw or end the
// program; without one, bad_alloc (or nullptr for the nothrow forms).
[[gnu::cold, gnu::noinline]] void* new_failed(std::size_t n, std::size_t align, bool nothrow) {
  for (;;) {
    std::new_handler handler = hak_cxx_get_new_handler ? hak_cxx_get_new_handler() : nullptr;
    if (!handler) {
      if (nothrow) return nullptr;
      if (hak_cxx_throw_bad_alloc) hak_cxx_throw_bad_alloc();
      __builtin_trap();  // no C++ runtime in the process, yet operator new was called
    }
    handler();
    if (void* p = alloc(n, align)) return p;
  }
}

inline void* new_throwing(std::size_t n, std::size_t align) {
  void* p = alloc(n, align);
  return __builtin_expect(p != nullptr, 1) ? p : new_failed(n, align, false);
}

inline void* new_nothrow(std::size_t n, std::size_t align) noexcept {
  void* p = alloc(n, align);
  return __builtin_expect(p != nullptr, 1) ? p : new_failed(n, align, true);
}

inline std::size_t al(std::align_val_t a) { return static_cast<std::size_t>(a); }

}  // namespace

#define HAK_NEW_EXPORT __attribute__((visibility("default")))

HAK_NEW_EXPORT void* operator new(std::size_t n) { return new_throwing(n, 0); }
HAK_NEW_EXPORT void* operator new[](std::size_t n) { return new_throwing(n, 0); }
HAK_NEW_EXPORT void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HAK_NEW_EXPORT void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return new_nothrow(n, 0); }
HAK_NEW_EXPORT void* operator new(std::size_t n, std::align_val_t a) { return new_throwing(n, al(a)); }
HAK_NEW_EXPORT void* operator new[](std::size_t n, std::align_val_t a) { return new_throwing(n, al(a)); }
HAK_NEW_EXPORT void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, al(a));
}
HAK_NEW_EXPORT void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return new_nothrow(n, al(a));
}

HAK_NEW_EXPORT void operator delete(void* p) noexcept { hak_api_delete(p, 0, 0); }
HAK_NEW_EXPORT void operator delete[](void* p) noexcept { hak_api_delete(p, 0, 0); }
HAK_NEW_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { hak_api_delete(p, 0, 0); }
HAK_NEW_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { hak_api_delete(p, 0, 0); }
HAK_NEW_EXPORT void operator delete(void* p, std::size_t n) noexcept { hak_api_delete(p, n, 0); }
HAK_NEW_EXPORT void operator delete[](void* p, std::size_t n) noexcept { hak_api_delete(p, n, 0); }
HAK_NEW_EXPORT void operator delete(void* p, std::align_val_t a) noexcept { hak_api_delete(p, 0, al(a)); }
HAK_NEW_EXPORT void operator delete[](void* p, std::align_val_t a) noexcept { hak_api_delete(p, 0, al(a)); }
HAK_NEW_EXPORT void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  hak_api_delete(p, 0, al(a));
}
HAK_NEW_EXPORT void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  hak_api_delete(p, 0, al(a));
}
HAK_NEW_EXPORT void operator delete(void* p, std::size_t n, std::align_val_t a) noexcept {
  hak_api_delete(p, n, al(a));
}
HAK_NEW_EXPORT void operator delete[](void* p, std::size_t n, std::align_val_t a) noexcept {
  hak_api_delete(p, n, al(a));
}
