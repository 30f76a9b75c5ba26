// Runs a fuzzer's entry point without libFuzzer: over every file of the directories (or files)
// given as arguments, then over REPLAY_RANDOM_INPUTS (default 300) inputs from a fixed
// pseudo-random sequence. This is how the fuzzers' seed corpora and crash regressions run in
// `bazel test` under every profile (and under --config=asan); libFuzzer itself runs them under
// --config=fuzz (fuzz/run_all.sh). REPLAY_SAVE=FILE keeps the input that is running (a crash's).
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t len);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

static int RunFile(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> data;
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
  fclose(f);
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return 0;
}

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  int files = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
    std::vector<std::string> paths;
    if (S_ISDIR(st.st_mode)) {
      DIR* dir = opendir(argv[i]);
      while (struct dirent* e = readdir(dir))
        if (e->d_name[0] != '.') paths.push_back(std::string(argv[i]) + "/" + e->d_name);
      closedir(dir);
      std::sort(paths.begin(), paths.end());
    } else {
      paths.push_back(argv[i]);
    }
    for (const std::string& p : paths) {
      if (RunFile(p)) return 1;
      files++;
    }
  }
  const char* env = getenv("REPLAY_RANDOM_INPUTS");
  const char* save = getenv("REPLAY_SAVE");  // each random input is written there before it runs
  int random_inputs = env ? atoi(env) : 300;
  uint64_t state = 0x2545f4914f6cdd1dull;
  std::vector<uint8_t> data;
  for (int i = 0; i < random_inputs; i++) {
    data.resize(16 + i % 480);
    for (uint8_t& b : data) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      b = (uint8_t)(state >> 24);
    }
    if (save) {
      FILE* f = fopen(save, "wb");
      if (f) {
        fwrite(data.data(), 1, data.size(), f);
        fclose(f);
      }
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  if (files == 0 && argc > 1) {
    fprintf(stderr, "replay: the corpus is empty\n");
    return 1;
  }
  printf("replay: %d corpus files and %d random inputs passed\n", files, random_inputs);
  return 0;
}
