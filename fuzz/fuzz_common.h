// Shared by the fuzzers of the prefixed API: a check that fails loudly (the fuzzer reports the
// input as a crash) and the byte patterns the shadow models write into blocks.
#ifndef HAKMEM_FUZZ_FUZZ_COMMON_H
#define HAKMEM_FUZZ_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Where the checks write: a copy of stderr taken in LLVMFuzzerInitialize (FuzzKeepStderr), so that
// they stay visible when libFuzzer runs with -close_fd_mask=2 (hakmem's own lines are dropped).
inline int& FuzzCheckFd() {
  static int fd = 2;
  return fd;
}
inline void FuzzKeepStderr() {
  int fd = dup(2);
  if (fd >= 0) FuzzCheckFd() = fd;
}

// Not assert(): active in every build, and says which check failed.
#define FUZZ_CHECK(cond, ...)                                                                 \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      dprintf(FuzzCheckFd(), "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      dprintf(FuzzCheckFd(), __VA_ARGS__);                                                    \
      dprintf(FuzzCheckFd(), "\n");                                                           \
      abort();                                                                                \
    }                                                                                         \
  } while (0)

// The byte at offset i of a block tagged tag: differs between neighbouring offsets and blocks.
inline uint8_t PatternByte(uint32_t tag, size_t i) { return (uint8_t)(tag * 131u + i * 7u + (i >> 8)); }

// Writes the pattern over [from, to) of p.
inline void FillPattern(uint8_t* p, uint32_t tag, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) p[i] = PatternByte(tag, i);
}

// First offset in [from, to) where p does not hold the pattern, or to when it all does.
inline size_t CheckPattern(const uint8_t* p, uint32_t tag, size_t from, size_t to) {
  for (size_t i = from; i < to; i++)
    if (p[i] != PatternByte(tag, i)) return i;
  return to;
}

// The parts of a block the models write and check: all of it up to 4 KiB, else its first and last
// 2 KiB (large blocks stay cheap to fuzz).
template <typename F>
void ForEachSampledRange(size_t size, F f) {
  if (size <= 4096) {
    f(0, size);
  } else {
    f(0, 2048);
    f(size - 2048, size);
  }
}

#endif
