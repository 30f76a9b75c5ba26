/* Run under valgrind's memcheck, linked with hakmem's valgrind build (memcheck_test.sh):
 *   clean   threads, realloc (small and large, moved by mremap), calloc, aligned blocks, a batch
 *           freed at once: memcheck must report nothing;
 *   leak    96 bytes never freed: "definitely lost";
 *   uaf     a read and a write after free: "Invalid read", "Invalid write", "free'd";
 *   uninit  a result computed from a byte malloc never initialised: "uninitialised". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void* worker(void* arg) {
  void* p[2000];
  for (int i = 0; i < 2000; i++) memset(p[i] = malloc(16 + i % 500), 1, 16 + i % 500);
  for (int i = 0; i < 2000; i++) free(p[i]);
  return arg;
}

static int clean(void) {
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
  char* s = malloc(10);
  strcpy(s, "123456789");
  for (size_t n = 20; n < (8u << 20); n *= 3) {
    s = realloc(s, n);
    if (strcmp(s, "123456789") != 0) return 1;
  }
  free(s);
  int* z = calloc(1000, sizeof(int));
  int sum = 0;
  for (int i = 0; i < 1000; i++) sum += z[i];
  free(z);
  void* a;
  if (posix_memalign(&a, 4096, 5000) != 0) return 1;
  memset(a, 0, 5000);
  free(a);
  char* big = calloc(1, 1 << 20);
  sum += big[12345];
  free(big);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  return sum;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "clean")) return clean();
  if (!strcmp(mode, "leak")) {
    volatile char* p = malloc(96);
    p[0] = 1;
    p = NULL;
    return 0;
  }
  if (!strcmp(mode, "uaf")) {
    volatile char* p = malloc(96);
    p[0] = 7;
    free((void*)p);
    int v = p[10];
    p[20] = (char)v;
    return 0;
  }
  if (!strcmp(mode, "uninit")) {
    char* p = malloc(64);
    int r = p[5] == 42 ? 3 : 0;
    free(p);
    return r;
  }
  fprintf(stderr, "usage: memcheck_prog clean|leak|uaf|uninit\n");
  return 2;
}
