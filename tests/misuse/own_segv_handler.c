/* A program's own SIGSEGV handler works as without hakmem: installed before hakmem's (safe
 * installs one at the first large block and passes other faults on), and installed after it.
 * The program faults on a page of its own, twice; its handler jumps back each time. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include "tests/misuse/misuse.h"

static sigjmp_buf g_back;
static volatile int g_ran;

static void handler(int sig) {
  (void)sig;
  g_ran++;
  siglongjmp(g_back, 1);
}

static void fault_on(volatile char* page) {
  if (!sigsetjmp(g_back, 1)) page[0] = 1;
}

int main(void) {
  char* page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  misuse_pointer(page);
  struct sigaction sa = {0};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  void* big = malloc(1 << 20); /* safe's handler goes in front of the program's */
  fault_on(page);
  if (g_ran == 1) misuse_say("own handler ran, installed before hakmem's");
  sigaction(SIGSEGV, &sa, NULL);
  fault_on(page);
  if (g_ran == 2) misuse_say("own handler ran, installed after hakmem's");
  free(big);
  return misuse_survived();
}
