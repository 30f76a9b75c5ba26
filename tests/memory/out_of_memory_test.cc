// When the OS refuses memory, hakmem gives back what it keeps (its caches, empty slabs and
// SuperSlabs, free large spans) and tries once more before malloc returns NULL. Each case runs
// in a child process under a lowered RLIMIT_AS: it fills the address space with small blocks until
// malloc fails, frees them all, and must then allocate again (a large block, which needs a new
// mapping, and small blocks of another class) without calling malloc_trim. In every profile: the
// fast one keeps all freed memory for reuse (SPEED) and needs the retry the most.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace {

constexpr size_t MiB = 1024 * 1024;

// The process's address space now, in bytes.
size_t vm_bytes() { return hakt::statm_bytes(0); }

// Child: exit status 0 when every step held, else the number of the step that failed.
int fill_free_allocate(size_t block, size_t large) {
  const size_t slots = 2 * 1024 * 1024;
  void** p = (void**)mmap(nullptr, slots * sizeof(void*), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 10;
  free(malloc(block));  // the thread's cache and first SuperSlab before the limit
  struct rlimit lim = {vm_bytes() + 96 * MiB, RLIM_INFINITY};
  if (setrlimit(RLIMIT_AS, &lim) != 0) return 11;
  size_t n = 0;
  while (n < slots && (p[n] = malloc(block)) != nullptr) {
    memset(p[n], 0x5a, block);
    n++;
  }
  if (n == slots) return 1;        // the limit was never reached
  if (errno != ENOMEM) return 2;   // malloc failed without saying why
  if (n * block < 32 * MiB) return 3;
  for (size_t i = 0; i < n; i++) free(p[i]);
  void* big = malloc(large);  // a new mapping: only there if the freed SuperSlabs went back
  if (!big) return 4;
  memset(big, 1, large);
  void* other[1000];
  for (void*& q : other)  // another class: new slabs
    if (!(q = malloc(3 * block + 16))) return 5;
  for (void* q : other) free(q);
  free(big);
  return 0;
}

void expect_child_ok(size_t block, size_t large) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(fill_free_allocate(block, large));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed step (see fill_free_allocate)";
}

TEST(OutOfMemory, FreedSmallBlocksMakeRoomForALargeOne) { expect_child_ok(64, 48 * MiB); }

TEST(OutOfMemory, FreedMediumBlocksMakeRoomForALargeOne) { expect_child_ok(4000, 48 * MiB); }

}  // namespace
