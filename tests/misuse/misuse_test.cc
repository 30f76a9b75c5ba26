// Runs every misuse program (one per bad input) as a death test and matches the whole of its
// stderr. safe: the program aborts (SIGABRT) right after one exact report line naming the error,
// the pointer the program printed, the function and, where known, the size class and block size.
// fast / balanced / observe: what a user gets there, per case (README.md): a foreign pointer is
// reported and ignored (exit 0), a misuse inside hakmem's own blocks goes undetected, and where
// the consequence is deterministic the program observes it (a block handed out twice, ...).
//
// The programs print "misuse: pointer 0x..." before the misuse; the regexes capture that value and
// require the same pointer in hakmem's line through a back-reference. googletest compiles every
// regex twice, once as is (the search that death tests use) and once wrapped as "^(...)$"; the
// leading "()" keeps the pointer groups at the same numbers (2, 3, ...) in the search.
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "hakmem/include/hakmem.h"

extern char** environ;

namespace {

bool Safe() { return strcmp(hak_profile(), "safe") == 0; }
bool Fast() { return strcmp(hak_profile(), "fast") == 0; }

// Replaces the death test's child with the program, with no HAKMEM_* variable but on_error's.
void RunProgram(const char* name, const char* on_error = nullptr) {
  for (char** e = environ; *e;) {
    if (strncmp(*e, "HAKMEM_", 7) == 0) {
      std::string var(*e, strchr(*e, '=') ? strchr(*e, '=') - *e : strlen(*e));
      unsetenv(var.c_str());
    } else {
      e++;
    }
  }
  if (on_error) setenv("HAKMEM_ON_ERROR", on_error, 1);
  std::string path = std::string(getenv("TEST_SRCDIR")) + "/" + getenv("TEST_WORKSPACE") + "/tests/misuse/" + name;
  execl(path.c_str(), name, static_cast<char*>(nullptr));
  _exit(127);
}

std::string Esc(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (strchr("\\^$.|?*+()[]{}", c)) out += '\\';
    out += c;
  }
  return out;
}

// The n-th "misuse: pointer" line of the program (n = 1, 2, ...), captured as group n + 1.
std::string Pointer() { return "misuse: pointer (0x[0-9a-f]+)\n"; }
std::string Say(const std::string& what) { return "misuse: " + Esc(what) + "\n"; }
const char kSurvived[] = "misuse: survived\n";

std::string Small(int cls, int block_size) {
  return " (size class " + std::to_string(cls) + ", block size " + std::to_string(block_size) + ")";
}
std::string Large(long bytes) { return " (large block of " + std::to_string(bytes) + " bytes)"; }

enum Ending { kAborting, kQuarantined };

// hakmem's report line about the n-th pointer the program printed.
std::string Error(const std::string& error, const std::string& func, const std::string& where, Ending ending,
                  int n = 1) {
  return "hakmem: error: " + Esc(error) + ": pointer \\" + std::to_string(n + 1) + " in " + func + "\\(\\)" +
         Esc(where) + (ending == kAborting ? "; aborting" : "; block quarantined") + "\n";
}

// The whole of stderr.
std::string Whole(const std::string& body) { return "()^" + body + "$"; }

const char kInvalid[] = "invalid pointer (not allocated by hakmem)";
const char kInterior[] = "pointer into the middle of a block";
const char kDoubleFree[] = "double free";
const char kMetadata[] = "metadata corrupted";
const char kWriteAfterFree[] = "write after free";
const char kOverflow[] = "buffer overflow past the end of the block";

// malloc(40) and malloc(100) are class 2 (48 bytes) and class 6 (112 bytes) in every profile
// (safe adds the 8-byte canary: 48 and 108); a 1 MiB block is a large block of 1 MiB (whole pages).
const std::string kClass40 = Small(2, 48);
const std::string kClass100 = Small(6, 112);
const std::string kLarge1M = Large(1L << 20);

// safe: one report line after the pointer, then abort(). Elsewhere: foreign pointers are
// reported and ignored, the program goes on to its end.
void ExpectForeign(const char* program, const char* func, const std::string& where = "",
                   const std::string& observed = "") {
  if (Safe()) {
    EXPECT_EXIT(RunProgram(program), ::testing::KilledBySignal(SIGABRT),
                Whole(Pointer() + Error(kInvalid, func, where, kAborting)));
  } else {
    EXPECT_EXIT(RunProgram(program), ::testing::ExitedWithCode(0),
                Whole(Pointer() + Error(kInvalid, func, where, kQuarantined) + observed + kSurvived));
  }
}

// safe: the error is detected: the exact line, then abort().
void ExpectAbort(const char* program, const std::string& line) {
  ASSERT_TRUE(Safe());
  EXPECT_EXIT(RunProgram(program), ::testing::KilledBySignal(SIGABRT), Whole(Pointer() + line));
}

// fast / balanced / observe: not detected; no hakmem line; what the program observed, then its end.
void ExpectUndetected(const char* program, const std::string& observed = "") {
  ASSERT_FALSE(Safe());
  EXPECT_EXIT(RunProgram(program), ::testing::ExitedWithCode(0), Whole(Pointer() + observed + kSurvived));
}

// (a) pointers hakmem never handed out: reported in every profile, fatal only in safe.
TEST(Misuse, FreeStack) { ExpectForeign("free_stack", "free"); }
TEST(Misuse, FreeGlobal) { ExpectForeign("free_global", "free"); }
TEST(Misuse, FreeGlibcBlock) { ExpectForeign("free_glibc", "free"); }
TEST(Misuse, FreeUnmappedAddress) { ExpectForeign("free_unmapped", "free"); }
TEST(Misuse, FreeWildAddress) { ExpectForeign("free_wild", "free"); }
TEST(Misuse, FreeInsideRegionHeader) { ExpectForeign("free_region_header", "free"); }
TEST(Misuse, ReallocForeign) { ExpectForeign("realloc_foreign", "realloc"); }
TEST(Misuse, UsableSizeForeign) {
  ExpectForeign("usable_size_foreign", "malloc_usable_size", "", Say("malloc_usable_size returned 0"));
}

// (b) interior and misaligned pointers.
TEST(Misuse, FreeInterior) {
  if (Safe()) ExpectAbort("free_interior", Error(kInterior, "free", kClass100, kAborting));
  else ExpectUndetected("free_interior", Say("the interior pointer was handed out as a block"));
}
TEST(Misuse, FreeMisaligned) {
  if (Safe()) ExpectAbort("free_misaligned", Error(kInterior, "free", kClass100, kAborting));
  else ExpectUndetected("free_misaligned", Say("the misaligned pointer was handed out as a block"));
}
// Large blocks are validated in every profile (their route is not the fast path).
TEST(Misuse, FreeInteriorLarge) {
  if (Safe()) {
    ExpectAbort("free_interior_large", Error(kInterior, "free", "", kAborting));
  } else {
    EXPECT_EXIT(RunProgram("free_interior_large"), ::testing::ExitedWithCode(0),
                Whole(Pointer() + Error(kInterior, "free", "", kQuarantined) + kSurvived));
  }
}

// (c) double free.
TEST(Misuse, DoubleFree) {
  if (Safe()) ExpectAbort("double_free", Error(kDoubleFree, "free", kClass40, kAborting));
  else ExpectUndetected("double_free", Say("the double-freed block was handed out twice"));
}
TEST(Misuse, DoubleFreeAfterManyOperations) {
  if (Safe()) ExpectAbort("double_free_later", Error(kDoubleFree, "free", kClass40, kAborting));
  else ExpectUndetected("double_free_later");
}
TEST(Misuse, DoubleFreeThroughRealloc) {
  if (Safe()) ExpectAbort("double_free_realloc", Error(kDoubleFree, "realloc", kClass40, kAborting));
  else ExpectUndetected("double_free_realloc", Say("the double-freed block was handed out twice"));
}
void ExpectLargeDoubleFree(const char* program, const char* func, const std::string& observed = "") {
  if (Safe()) {
    ExpectAbort(program, Error(kDoubleFree, func, kLarge1M, kAborting));
  } else {
    EXPECT_EXIT(RunProgram(program), ::testing::ExitedWithCode(0),
                Whole(Pointer() + Error(kDoubleFree, func, kLarge1M, kQuarantined) + observed + kSurvived));
  }
}
TEST(Misuse, DoubleFreeLarge) { ExpectLargeDoubleFree("double_free_large", "free"); }
TEST(Misuse, DoubleFreeLargeAfterManyOperations) { ExpectLargeDoubleFree("double_free_large_later", "free"); }
TEST(Misuse, DoubleFreeLargeThroughRealloc) {
  ExpectLargeDoubleFree("double_free_realloc_large", "realloc", Say("realloc returned NULL"));
}

// (d) metadata overwritten.
TEST(Misuse, SlabMagicOverwritten) {
  if (Safe()) ExpectAbort("slab_magic", Error(kMetadata, "free", kClass40, kAborting));
  else ExpectUndetected("slab_magic");
}
// Free blocks hold no link (slabs keep a bitmap): malloc never returns the forged address. safe
// poisons a freed block from its first byte: a write after free.
TEST(Misuse, FreeListLinkOverwritten) {
  if (Safe()) ExpectAbort("free_list_corrupt", Error(kWriteAfterFree, "malloc", kClass40, kAborting));
  else ExpectUndetected("free_list_corrupt");
}

// (e) write after free, (f) overflow into the canary.
TEST(Misuse, WriteAfterFree) {
  if (Safe()) ExpectAbort("write_after_free", Error(kWriteAfterFree, "malloc", kClass40, kAborting));
  else ExpectUndetected("write_after_free", Say("the freed block was handed out again"));
}
// safe poisons the whole of a freed block of up to 1 KiB.
TEST(Misuse, WriteAfterFreePastTheFirstFields) {
  if (Safe()) ExpectAbort("write_after_free_far", Error(kWriteAfterFree, "malloc", Small(6, 112), kAborting));
  else ExpectUndetected("write_after_free_far", Say("the freed block was handed out again"));
}
// (f) sizes that do not match the block: free_sized and sized operator delete, checked in safe.
const char kSizeMismatch[] = "size mismatch";
TEST(Misuse, FreeSizedSmallerThanTheRequest) {
  if (Safe()) ExpectAbort("free_sized_smaller", Error(kSizeMismatch, "free_sized", Small(28, 5120), kAborting));
  else ExpectUndetected("free_sized_smaller");
}
// safe knows the requested size: a size of the same class is a mismatch too.
TEST(Misuse, FreeSizedSmallerInTheSameClass) {
  if (Safe()) ExpectAbort("free_sized_same_class", Error(kSizeMismatch, "free_sized", Small(28, 5120), kAborting));
  else ExpectUndetected("free_sized_same_class");
}
TEST(Misuse, SizedDeleteWithAnotherTypesSize) {
  if (Safe()) ExpectAbort("delete_wrong_size", Error(kSizeMismatch, "operator delete", Small(14, 448), kAborting));
  else ExpectUndetected("delete_wrong_size");
}

// (g) large blocks in safe: a guard page after each and freed ones inaccessible; the fault kills
// the program with SIGSEGV after hakmem's line naming the block.
std::string FaultLine(const std::string& error, const std::string& block) {
  return "hakmem: error: " + Esc(error) + ": pointer \\2 in a memory access \\(" + Esc(block) +
         " at 0x[0-9a-f]+\\); killed by SIGSEGV\n";
}
void ExpectFault(const char* program, const std::string& error, const std::string& block = "large block of 1048576 bytes") {
  if (Safe()) {
    EXPECT_EXIT(RunProgram(program), ::testing::KilledBySignal(SIGSEGV), Whole(Pointer() + FaultLine(error, block)));
  } else {
    EXPECT_EXIT(RunProgram(program), ::testing::ExitedWithCode(0),
                Whole(Pointer() + Say("not attempted outside safe") + kSurvived));
  }
}
TEST(Misuse, LargeUseAfterFree) { ExpectFault("large_use_after_free", "use after free"); }
// safe grows a large block by moving its pages; the old range waits inaccessible as a freed block.
TEST(Misuse, LargeUseAfterRealloc) { ExpectFault("large_realloc_use_after", "use after free"); }
TEST(Misuse, LargeOverflowPastTheEnd) { ExpectFault("large_overflow", kOverflow); }
// safe's malloc(0): an address that faults on any access, freed like any block.
TEST(Misuse, ZeroSizeBlockAccess) { ExpectFault("zero_size_access", kOverflow, "block of 0 bytes"); }
TEST(Misuse, ZeroSizeBlockDoubleFree) {
  if (Safe()) ExpectAbort("zero_size_double_free", Error(kDoubleFree, "free", "", kAborting));
  else ExpectUndetected("zero_size_double_free");
}
TEST(Misuse, ProgramsOwnSegvHandlerStillRuns) {
  EXPECT_EXIT(RunProgram("own_segv_handler"), ::testing::ExitedWithCode(0),
              Whole(Pointer() + Say("own handler ran, installed before hakmem's") +
                    Say("own handler ran, installed after hakmem's") + kSurvived));
}

TEST(Misuse, OverflowPastUsableSize) {
  if (Safe()) ExpectAbort("overflow", Error(kOverflow, "free", kClass40, kAborting));
  else ExpectUndetected("overflow");
}
// safe's canary follows the request, not the class's rounding.
TEST(Misuse, OverflowIntoTheClassRounding) {
  if (Safe()) ExpectAbort("overflow_slack", Error(kOverflow, "free", Small(28, 5120), kAborting));
  else ExpectUndetected("overflow_slack");
}
TEST(Misuse, OverflowThenReallocInPlace) {
  if (Safe()) ExpectAbort("overflow_realloc", Error(kOverflow, "realloc", Small(28, 5120), kAborting));
  else ExpectUndetected("overflow_realloc", Say("realloc kept the block"));
}

// HAKMEM_ON_ERROR=report: the program goes on; in safe the overflowed block is quarantined for
// good and the second free of a double free is dropped.
TEST(Misuse, ReportModeContinuesAndQuarantines) {
  std::string expected;
  if (Safe()) {
    expected = Pointer() + Error(kOverflow, "free", kClass40, kQuarantined, 1) +
               Say("the overflowed block was never handed out again") + Pointer() +
               Error(kDoubleFree, "free", kClass40, kQuarantined, 2) +
               Say("the double-freed block was handed out once");
  } else {
    // Not detected, so not quarantined either; fast ignores HAKMEM_* tuning and says so.
    expected = std::string(Fast() ? "hakmem: warning: the fast profile is not tunable; ignored: HAKMEM_ON_ERROR\n" : "") +
               Pointer() + Say("the overflowed block was handed out again") + Pointer() +
               Say("the double-freed block was handed out twice");
  }
  expected += Pointer() + Error(kInvalid, "free", "", kQuarantined, 3) + kSurvived;
  EXPECT_EXIT(RunProgram("report_mode", "report"), ::testing::ExitedWithCode(0), Whole(expected));
}

// The mode is read from the environment even when a foreign pointer is the first call.
TEST(Misuse, AbortModeIsTheSafeDefault) {
  if (Safe()) {
    EXPECT_EXIT(RunProgram("free_stack", "abort"), ::testing::KilledBySignal(SIGABRT),
                Whole(Pointer() + Error(kInvalid, "free", "", kAborting)));
  } else if (!Fast()) {
    // balanced / observe honour HAKMEM_ON_ERROR=abort.
    EXPECT_EXIT(RunProgram("free_stack", "abort"), ::testing::KilledBySignal(SIGABRT),
                Whole(Pointer() + Error(kInvalid, "free", "", kAborting)));
  } else {
    // fast is not tunable: it warns and keeps reporting.
    EXPECT_EXIT(RunProgram("free_stack", "abort"), ::testing::ExitedWithCode(0),
                Whole("hakmem: warning: the fast profile is not tunable; ignored: HAKMEM_ON_ERROR\n" + Pointer() +
                      Error(kInvalid, "free", "", kQuarantined) + kSurvived));
  }
}

}  // namespace
