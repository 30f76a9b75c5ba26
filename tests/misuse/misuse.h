/* Helpers of the misuse programs: each program prints the pointer it is about to misuse, then
 * misuses it once; what hakmem says about it follows on stderr (misuse_test.cc matches the whole
 * of stderr). Built with -fno-builtin so that the compiler keeps every malloc and free as written. */
#ifndef HAKMEM_TESTS_MISUSE_MISUSE_H
#define HAKMEM_TESTS_MISUSE_MISUSE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hakmem/include/hakmem.h"

/* The pointer about to be misused, as hakmem prints it (%p is 0x + lowercase hex in glibc). */
static inline void misuse_pointer(const void* p) { fprintf(stderr, "misuse: pointer %p\n", p); }

/* What the program observed (balanced: what happens when nothing is detected). */
static inline void misuse_say(const char* what) { fprintf(stderr, "misuse: %s\n", what); }

/* The last line of a program that was not stopped. */
static inline int misuse_survived(void) {
  misuse_say("survived");
  return 0;
}

/* Hides a pointer's origin from the optimiser (free of a stack address is otherwise dropped). */
static inline void* misuse_opaque(void* p) {
  void* volatile v = p;
  return v;
}

static inline int misuse_is_safe(void) { return strcmp(hak_profile(), "safe") == 0; }

#endif
