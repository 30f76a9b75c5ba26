/* address_space_prog: how much a process fits in a fixed address space, built twice (with
 * hakmem's malloc and with glibc's) so that address_space_test compares the two.
 *
 *   address_space_prog start        prints "vm BYTES": the address space after one malloc
 *   address_space_prog fit MIB      under RLIMIT_AS = MIB MiB, for each phase (small 64 B, medium
 *                                   4-64 KiB, large 1 MiB, mixed 16 B-1 MiB log-uniform), mallocs
 *                                   until malloc returns NULL, frees it all, and prints
 *                                   "PHASE BYTES" (the bytes it was given); each phase starts
 *                                   after the previous one freed everything.
 * Blocks are chained through their first word: the program needs no other memory. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static size_t vm_bytes(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  return (size_t)strtoull(buf, NULL, 10) * (size_t)sysconf(_SC_PAGESIZE);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static size_t pick(const char* phase) {
  if (!strcmp(phase, "small")) return 64;
  if (!strcmp(phase, "medium")) return 4096 + next_rand() % (60 * 1024 + 1);
  if (!strcmp(phase, "large")) return 1 << 20;
  double u = (double)(next_rand() >> 11) * 0x1p-53; /* mixed: log-uniform in [16 B, 1 MiB] */
  return (size_t)(16.0 * exp(u * log(65536.0)));
}

static size_t fill_and_free(const char* phase) {
  void* head = NULL;
  size_t bytes = 0;
  for (;;) {
    size_t n = pick(phase);
    void** b = malloc(n);
    if (!b) break;
    *b = head;
    head = b;
    bytes += n;
  }
  if (errno != ENOMEM) {
    fprintf(stderr, "address_space_prog: malloc failed without ENOMEM\n");
    exit(2);
  }
  while (head) {
    void* next = *(void**)head;
    free(head);
    head = next;
  }
  return bytes;
}

int main(int argc, char** argv) {
  free(malloc(100));
  if (argc == 2 && !strcmp(argv[1], "start")) {
    printf("vm %zu\n", vm_bytes());
    return 0;
  }
  if (argc != 3 || strcmp(argv[1], "fit")) {
    fprintf(stderr, "usage: address_space_prog start | fit MIB\n");
    return 2;
  }
  struct rlimit lim = {(rlim_t)strtoull(argv[2], NULL, 10) << 20, RLIM_INFINITY};
  if (setrlimit(RLIMIT_AS, &lim) != 0) {
    perror("setrlimit");
    return 2;
  }
  const char* phases[] = {"small", "medium", "large", "mixed"};
  for (int i = 0; i < 4; i++) {
    size_t bytes = fill_and_free(phases[i]);
    printf("%s %zu\n", phases[i], bytes);
    fflush(stdout);
  }
  return 0;
}
