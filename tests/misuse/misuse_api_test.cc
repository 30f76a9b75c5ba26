// The misuse cases through the prefixed API, in-process: each misuse runs in a death test's child
// (a fork: the pointer is the same as in the parent, so the regex names it exactly). safe: one
// report line, then abort(). Elsewhere: foreign pointers and large blocks are reported and the
// child goes on; misuse of small blocks is not detected (no line at all). Links //hakmem:api
// only, so it runs under --config=asan too.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "hakmem/include/hakmem.h"
extern "C" {
#include "hakmem/box/report/report.h"
}

namespace {

bool Safe() { return strcmp(hak_profile(), "safe") == 0; }

std::string Esc(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (strchr("\\^$.|?*+()[]{}", c)) out += '\\';
    out += c;
  }
  return out;
}

std::string Hex(const void* p) {
  char buf[32];
  snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// The whole of the child's stderr: one report line.
std::string Line(const char* error, const void* p, const char* func, const std::string& where, bool aborting) {
  return "^" + Esc(std::string("hakmem: error: ") + error + ": pointer " + Hex(p) + " in " + func + "()" + where +
                   (aborting ? "; aborting" : "; block quarantined")) +
         "\n$";
}

const char kInvalid[] = "invalid pointer (not allocated by hakmem)";
const char kInterior[] = "pointer into the middle of a block";
const char kDoubleFree[] = "double free";
const char kOverflow[] = "buffer overflow past the end of the block";
const char kWriteAfterFree[] = "write after free";
const std::string kClass40 = " (size class 2, block size 48)";
const std::string kLarge1M = " (large block of 1048576 bytes)";

class MisuseApi : public ::testing::Test {
 protected:
  void SetUp() override { hak_free(hak_malloc(1)); }  // the process is initialised (error mode)
};

// A misuse that every profile reports: fatal in safe, reported and survived elsewhere.
void ExpectReported(const std::function<void()>& misuse, const char* error, const void* p, const char* func,
                    const std::string& where) {
  if (Safe()) {
    EXPECT_EXIT(misuse(), ::testing::KilledBySignal(SIGABRT), Line(error, p, func, where, true));
  } else {
    EXPECT_EXIT((misuse(), _exit(0)), ::testing::ExitedWithCode(0), Line(error, p, func, where, false));
  }
}

// A misuse that only safe detects: elsewhere the child goes on and prints nothing.
void ExpectSafeOnly(const std::function<void()>& misuse, const char* error, const void* p, const char* func,
                    const std::string& where) {
  if (Safe()) {
    EXPECT_EXIT(misuse(), ::testing::KilledBySignal(SIGABRT), Line(error, p, func, where, true));
  } else {
    EXPECT_EXIT((misuse(), _exit(0)), ::testing::ExitedWithCode(0), "^$");
  }
}

#define EXPECT_REPORTED(statement, ...) \
  do {                                  \
    SCOPED_TRACE(#statement);           \
    ExpectReported([&] { statement; }, __VA_ARGS__); \
  } while (0)
#define EXPECT_SAFE_ONLY(statement, ...) \
  do {                                   \
    SCOPED_TRACE(#statement);            \
    ExpectSafeOnly([&] { statement; }, __VA_ARGS__); \
  } while (0)

char g_global[64] __attribute__((aligned(16)));

void* Opaque(void* p) {
  void* volatile v = p;
  return v;
}

TEST_F(MisuseApi, ForeignPointers) {
  char local[32];
  void* stack = Opaque(local);
  void* global = Opaque(g_global);
  void* process_malloc = malloc(64);  // glibc's, or AddressSanitizer's under asan
  EXPECT_REPORTED(hak_free(stack), kInvalid, stack, "free", "");
  EXPECT_REPORTED(hak_free(global), kInvalid, global, "free", "");
  EXPECT_REPORTED(hak_free(process_malloc), kInvalid, process_malloc, "free", "");
  EXPECT_REPORTED(hak_realloc(global, 10), kInvalid, global, "realloc", "");
  EXPECT_REPORTED(hak_malloc_usable_size(stack), kInvalid, stack, "malloc_usable_size", "");
  void* wild = Opaque((void*)(uintptr_t)0x0000123456789010ull);
  EXPECT_REPORTED(hak_free(wild), kInvalid, wild, "free", "");
  free(process_malloc);
}

TEST_F(MisuseApi, InteriorPointers) {
  char* small = (char*)hak_malloc(40);
  char* large = (char*)hak_malloc(1 << 20);
  EXPECT_SAFE_ONLY(hak_free(small + 16), kInterior, small + 16, "free", kClass40);
  EXPECT_SAFE_ONLY(hak_free(small + 1), kInterior, small + 1, "free", kClass40);
  // realloc and malloc_usable_size validate the route in every profile.
  EXPECT_REPORTED(hak_malloc_usable_size(small + 16), kInterior, small + 16, "malloc_usable_size", kClass40);
  EXPECT_REPORTED(hak_free(large + 4096), kInterior, large + 4096, "free", "");
  hak_free(small);
  hak_free(large);
}

TEST_F(MisuseApi, DoubleFree) {
  void* keep = hak_malloc(40);
  void* small = hak_malloc(40);
  void* large = hak_malloc(1 << 20);
  hak_free(small);
  hak_free(large);
  EXPECT_SAFE_ONLY(hak_free(small), kDoubleFree, small, "free", kClass40);
  EXPECT_SAFE_ONLY(hak_realloc(small, 200), kDoubleFree, small, "realloc", kClass40);
  EXPECT_REPORTED(hak_free(large), kDoubleFree, large, "free", kLarge1M);
  EXPECT_REPORTED(hak_realloc(large, 3 << 20), kDoubleFree, large, "realloc", kLarge1M);
  hak_free(keep);
}

TEST_F(MisuseApi, OverflowAndWriteAfterFree) {
  char* p = (char*)hak_malloc(40);
  EXPECT_SAFE_ONLY(((volatile char*)p)[40] = 0x41; hak_free(p), kOverflow, p, "free", kClass40);
  hak_free(p);
  EXPECT_SAFE_ONLY(((volatile char*)p)[20] = 0x41; hak_malloc(40), kWriteAfterFree, p, "malloc", kClass40);
}

// Blocks of a class whose slabs span several 64 KiB pages (safe validates them from the head
// page's entry, one-page classes from the page's own): blocks 4..8 of a slab of 20480-byte blocks
// start in its second and third pages.
TEST_F(MisuseApi, SlabsOfSeveralPages) {
  const std::string kClass20K = " (size class 36, block size 20480)";
  char* p[9];
  for (char*& q : p) q = (char*)hak_malloc(20000);
  for (char* q : p) {
    EXPECT_SAFE_ONLY(hak_free(q + 16), kInterior, q + 16, "free", kClass20K);
    EXPECT_SAFE_ONLY(((volatile char*)q)[20472] = 0x41; hak_free(q), kOverflow, q, "free", kClass20K);
    EXPECT_SAFE_ONLY(hak_free(q); hak_free(q), kDoubleFree, q, "free", kClass20K);
  }
  for (char* q : p) hak_free(q);
}

// safe keeps a block's allocated/freed state in its last word (past the usable size, the canary)
// while a thread has it: a program that overwrites that word of a freed block must not turn a
// double free into a valid one, nor get the block back unchecked.
TEST_F(MisuseApi, FreedBlockStateWordOverwritten) {
  void* keep = hak_malloc(40);
  char* p = (char*)hak_malloc(40);
  hak_free(p);
  EXPECT_SAFE_ONLY(memset((char*)Opaque(p) + 40, 0x41, 8); hak_free(p), kDoubleFree, p, "free", kClass40);
  EXPECT_SAFE_ONLY(memset((char*)Opaque(p) + 40, 0, 8); hak_realloc(p, 200), kDoubleFree, p, "realloc", kClass40);
  EXPECT_SAFE_ONLY(((volatile char*)p)[47] = 0x41; hak_malloc(40), kWriteAfterFree, p, "malloc", kClass40);
  // Report mode: the double free is named, then the block (written after free) at its reuse.
  EXPECT_EXIT({
    hak_report_set_mode(HAK_ON_ERROR_REPORT);
    // Flipped, not stored: the cached tag's byte 4 comes from address bits 32-39 (random under
    // ASLR), and where it was 0x41 a stored 0x41 changed nothing (1 run in 256 failed).
    ((volatile char*)p)[44] ^= 0x41;
    hak_free(p);
    for (int i = 0; i < 20000; i++)
      if (hak_malloc(40) == p) _exit(Safe() ? 3 : 0);
    _exit(Safe() ? 0 : 4);
  }, ::testing::ExitedWithCode(0),
              Safe() ? "^" + Esc("hakmem: error: double free: pointer " + Hex(p) + " in free()" + kClass40 + "; block quarantined") +
                           "\n" + Esc("hakmem: error: write after free: pointer " + Hex(p) + " in malloc()" + kClass40 + "; block quarantined") + "\n$"
                     : "^$");
  hak_free(keep);
}

// A double free of a block sitting in another thread's cache (safe: its state word says freed).
TEST_F(MisuseApi, DoubleFreeInAnotherThreadsCache) {
  void* keep = hak_malloc(40);
  void* p = hak_malloc(40);
  EXPECT_SAFE_ONLY(
      {
        static int fds[2];
        if (pipe(fds) != 0) _exit(5);
        pthread_t t;
        pthread_create(&t, nullptr, [](void* q) -> void* {
          hak_free(q);
          char c = 1;
          if (write(fds[1], &c, 1) != 1) _exit(6);
          pause(); // keeps its cache (and p in it)
          return nullptr;
        }, p);
        char c;
        if (read(fds[0], &c, 1) != 1) _exit(7);
        hak_free(p);
        _exit(0);
      },
      kDoubleFree, p, "free", kClass40);
  hak_free(p);
  hak_free(keep);
}

// Report mode (HAKMEM_ON_ERROR=report, set here directly): the child goes on; in safe the
// overflowed block is quarantined and never handed out again.
TEST_F(MisuseApi, ReportModeQuarantines) {
  char* p = (char*)hak_malloc(40);
  EXPECT_EXIT({
    hak_report_set_mode(HAK_ON_ERROR_REPORT);
    ((volatile char*)p)[40] = 0x41;
    hak_free(p);
    for (int i = 0; i < 20000; i++)
      if (hak_malloc(40) == p) _exit(Safe() ? 3 : 0);  // handed out again
    _exit(Safe() ? 0 : 4);
  }, ::testing::ExitedWithCode(0), Safe() ? Line(kOverflow, p, "free", kClass40, false) : "^$");
  hak_free(p);
}

}  // namespace
