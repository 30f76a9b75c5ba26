/* Helpers shared by the allocator tests: byte patterns that tell blocks apart, alignment checks and
 * a small deterministic random generator (tests are reproducible: no time-based seeds). */
#ifndef HAKMEM_TESTS_COMMON_TEST_UTIL_H
#define HAKMEM_TESTS_COMMON_TEST_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hakmem/include/hakmem.h"

namespace hakt {

// Field `field` of /proc/self/statm (0: address space, 1: resident set) in bytes; open/read/close,
// no allocation, so it can be sampled without disturbing the allocator. 0 if unreadable.
inline size_t statm_bytes(int field) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char* s = buf;
  for (int i = 0; i < field && s; i++) {
    s = strchr(s, ' ');
    if (s) s++;
  }
  return s ? (size_t)strtoull(s, nullptr, 10) * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

inline bool aligned_to(const void* p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* Byte i of the pattern of seed: differs between seeds and along the block. */
inline uint8_t pattern_byte(uint64_t seed, size_t i) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + (i >> 3) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return (uint8_t)(x >> (8 * (i & 7)));
}

inline void fill(void* p, size_t n, uint64_t seed) {
  uint8_t* b = (uint8_t*)p;
  for (size_t i = 0; i < n; i++) b[i] = pattern_byte(seed, i);
}

/* Index of the first byte that differs from the pattern, or n. */
inline size_t check(const void* p, size_t n, uint64_t seed) {
  const uint8_t* b = (const uint8_t*)p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != pattern_byte(seed, i)) return i;
  return n;
}

/* Large blocks: the first and last 4 KiB and one byte of every 4 KiB page between, so that every
 * page is touched without writing megabytes byte by byte. */
inline void fill_sampled(void* p, size_t n, uint64_t seed) {
  uint8_t* b = (uint8_t*)p;
  size_t head = n < 4096 ? n : 4096;
  for (size_t i = 0; i < head; i++) b[i] = pattern_byte(seed, i);
  for (size_t i = 4096; i < n; i += 4096) b[i] = pattern_byte(seed, i);
  for (size_t i = n - head; i < n; i++) b[i] = pattern_byte(seed, i);
}

/* Index of a byte that differs from what fill_sampled wrote, or n. */
inline size_t check_sampled(const void* p, size_t n, uint64_t seed) {
  const uint8_t* b = (const uint8_t*)p;
  size_t head = n < 4096 ? n : 4096;
  for (size_t i = 0; i < head; i++)
    if (b[i] != pattern_byte(seed, i)) return i;
  for (size_t i = 4096; i < n; i += 4096)
    if (b[i] != pattern_byte(seed, i)) return i;
  for (size_t i = n - head; i < n; i++)
    if (b[i] != pattern_byte(seed, i)) return i;
  return n;
}

inline bool all_zero(const void* p, size_t n) {
  const uint8_t* b = (const uint8_t*)p;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, b + i, 8);
    if (w) return false;
  }
  for (; i < n; i++)
    if (b[i]) return false;
  return true;
}

/* splitmix64: deterministic, cheap, good enough to pick sizes. */
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /* Uniform in [lo, hi]. */
  size_t range(size_t lo, size_t hi) { return lo + (size_t)(next() % (hi - lo + 1)); }
};

inline hak_stats_t stats() {
  hak_stats_t s;
  hak_stats_get(&s);
  return s;
}

}  // namespace hakt

#endif
