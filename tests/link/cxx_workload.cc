// A C++ program heavy on std::string and std::map (new/delete on every node and string), with a
// few threads; it checks its own results and exits 0 only when all are right.
// Built twice: cxx_workload, linked normally and run under LD_PRELOAD=libhakmem.so by
// cxx_preload_test.sh (with HAKT_EXPECT_HAKMEM=1 it also checks that hakmem, found with dlsym, owns
// its strings); and cxx_static_test, linked with //hakmem:hakmem (HAKT_STATIC).
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#ifdef HAKT_STATIC
#include "hakmem/include/hakmem.h"
#endif

namespace {

int g_failures = 0;

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                       \
    }                                                                     \
  } while (0)

typedef size_t (*usable_fn)(const void*);

// hakmem's malloc_usable_size if hakmem is in the process, else NULL.
usable_fn hakmem_usable() {
#ifdef HAKT_STATIC
  return &hak_malloc_usable_size;
#else
  return (usable_fn)dlsym(RTLD_DEFAULT, "hak_malloc_usable_size");
#endif
}

std::string key_of(int i) { return "key-" + std::to_string((long long)i * 7919 % 1000003) + std::string((size_t)(i % 40), 'k'); }

// Builds and checks a map of n strings; returns a checksum of the keys' lengths.
uint64_t map_work(int n, int salt) {
  std::map<std::string, std::string> m;
  for (int i = 0; i < n; i++) m[key_of(i + salt)] = std::to_string(i) + std::string((size_t)(i % 100), 'v');
  CHECK((int)m.size() == n);
  uint64_t sum = 0;
  for (int i = 0; i < n; i++) {
    auto it = m.find(key_of(i + salt));
    CHECK(it != m.end());
    if (it == m.end()) break;
    CHECK(it->second.compare(0, std::to_string(i).size(), std::to_string(i)) == 0);
    CHECK(it->second.size() == std::to_string(i).size() + (size_t)(i % 100));
    sum += it->first.size();
  }
  // Erase every other key; the rest still there.
  int erased = 0;
  for (int i = 0; i < n; i += 2) erased += (int)m.erase(key_of(i + salt));
  CHECK(erased == (n + 1) / 2);
  CHECK((int)m.size() == n - erased);
  // Keys in order.
  CHECK(std::is_sorted(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.first < b.first; }));
  return sum;
}

uint64_t expected_map_sum(int n, int salt) {
  uint64_t sum = 0;
  for (int i = 0; i < n; i++) sum += key_of(i + salt).size();
  return sum;
}

void string_work() {
  // Grow by appends (realloc-like growth through new/delete), then shrink.
  std::string s;
  for (int i = 0; i < 200000; i++) s += (char)('a' + i % 26);
  CHECK(s.size() == 200000);
  CHECK(std::count(s.begin(), s.end(), 'z') == 200000 / 26);
  s.resize(100);
  s.shrink_to_fit();
  CHECK(s.size() == 100 && s[99] == (char)('a' + 99 % 26));
  // Many small strings in a vector, sorted.
  std::vector<std::string> v;
  for (int i = 0; i < 300000; i++) v.push_back(std::to_string((long long)i * 104729 % 300007));
  std::sort(v.begin(), v.end());
  CHECK(std::adjacent_find(v.begin(), v.end()) == v.end());
  CHECK(v.size() == 300000 && v.front() == "0");
  // unordered_map of vectors.
  std::unordered_map<int, std::vector<int>> um;
  for (int i = 0; i < 200000; i++) um[i % 5000].push_back(i);
  size_t total = 0;
  for (auto& kv : um) {
    total += kv.second.size();
    CHECK(kv.second.size() == 40);
  }
  CHECK(total == 200000);
  // Big blocks.
  std::unique_ptr<char[]> big(new char[8 << 20]);
  memset(big.get(), 7, 8 << 20);
  CHECK(std::accumulate(big.get(), big.get() + (8 << 20), 0L) == 7L * (8 << 20));
}

}  // namespace

int main() {
  const char* expect = getenv("HAKT_EXPECT_HAKMEM");
  bool must_be_hakmem = (expect && strcmp(expect, "1") == 0);
#ifdef HAKT_STATIC
  must_be_hakmem = true;
#endif
  if (must_be_hakmem) {
    usable_fn usable = hakmem_usable();
    CHECK(usable != nullptr);
    if (usable) {
      std::string s(5000, 'x');
      CHECK(usable(s.data()) >= 5000);  // operator new -> malloc -> hakmem
      std::vector<int> v(1000);
      CHECK(usable(v.data()) >= 1000 * sizeof(int));
      char* c = strdup("strdup is inside glibc");
      CHECK(usable(c) > strlen(c));
      free(c);
    }
  }
  string_work();
  const int kN = 100000;
  CHECK(map_work(kN, 0) == expected_map_sum(kN, 0));
  // Threads: each builds its own maps; strings cross threads through a shared vector.
  std::vector<uint64_t> sums(4);
  std::vector<std::string> handed(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([t, &sums, &handed] {
      sums[(size_t)t] = map_work(30000, 1000 * (t + 1));
      handed[(size_t)t] = std::string(100000 + (size_t)t, (char)('A' + t));
    });
  }
  for (auto& t : ts) t.join();
  for (int t = 0; t < 4; t++) {
    CHECK(sums[(size_t)t] == expected_map_sum(30000, 1000 * (t + 1)));
    CHECK(handed[(size_t)t].size() == 100000 + (size_t)t && handed[(size_t)t][777] == (char)('A' + t));
  }
  handed.clear();  // freed by the main thread
  if (g_failures) {
    fprintf(stderr, "%d checks failed\n", g_failures);
    return 1;
  }
  printf("cxx workload OK\n");
  return 0;
}
