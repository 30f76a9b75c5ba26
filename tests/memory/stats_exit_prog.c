/* For stats_report_test: allocates, then, with the argument "close", closes stderr before it
 * exits, as coreutils programs do (close_stdout at exit). HAKMEM_STATS=1 must print the table all
 * the same. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  void* keep[100];
  for (int i = 0; i < 100; i++) {
    keep[i] = malloc(100 + (size_t)i * 40);
    if (!keep[i]) return 2;
    memset(keep[i], i, 100);
  }
  for (int i = 0; i < 100; i += 2) free(keep[i]);
  if (argc > 1 && !strcmp(argv[1], "close")) close(2);
  return 0;
}
