/* The kernel's flags of a mapping, as /proc/self/smaps lists them ("VmFlags: rd wr mr ... nh"), for
 * tests that check the advice hakmem gives the kernel (nh: MADV_NOHUGEPAGE). */
#ifndef HAKMEM_TESTS_COMMON_VM_FLAGS_H
#define HAKMEM_TESTS_COMMON_VM_FLAGS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace hakt {

/* Whether this kernel has transparent huge pages (otherwise there is no huge-page advice to give). */
inline bool thp_available() { return access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0; }

/* The VmFlags of the mapping that holds p, each flag followed by a space; "" if none holds it. */
inline std::string vm_flags_of(const void* p) {
  FILE* f = fopen("/proc/self/smaps", "r");
  if (!f) return "";
  char line[512];
  bool in = false;
  std::string flags;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      flags = std::string(line + 8);
      while (!flags.empty() && (flags.back() == '\n' || flags.back() == ' ')) flags.pop_back();
      flags += ' ';
      break;
    }
  }
  fclose(f);
  return flags;
}

/* Whether the mapping that holds p was advised MADV_NOHUGEPAGE. */
inline bool no_huge_pages(const void* p) { return vm_flags_of(p).find(" nh ") != std::string::npos; }

/* EXPECT_TRUE(hakt::HugePagesKeptOut(p)): p's mapping was advised MADV_NOHUGEPAGE, or this kernel
 * has no THP; on failure the message lists the mapping's flags. */
inline ::testing::AssertionResult HugePagesKeptOut(const void* p) {
  if (!thp_available() || no_huge_pages(p)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no nh in VmFlags:" << vm_flags_of(p);
}

}  // namespace hakt

#endif
