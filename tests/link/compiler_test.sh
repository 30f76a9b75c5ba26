#!/usr/bin/env bash
# The compilers under LD_PRELOAD=libhakmem.so: clang++ (its front end and LLVM in one process) and
# g++ (a driver that runs cc1plus, as and ld, each preloaded) compile a C++ program heavy in
# templates (<regex>, <map>, streams) at -O2. Each object file must be byte for byte the one the
# same compiler writes without hakmem, and the program each links under hakmem must print the right
# results.
source tests/link/preload_lib.sh

cat >"$TMP/prog.cc" <<'CC'
#include <cstdio>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

int main() {
  std::vector<bool> composite(100000);
  long long count = 0, sum = 0;
  for (int i = 2; i < 100000; i++) {
    if (composite[i]) continue;
    count++;
    sum += i;
    for (long long j = (long long)i * i; j < 100000; j += i) composite[j] = true;
  }
  std::ostringstream text;
  for (int i = 0; i < 20000; i++) text << "w" << i % 1000 << (i % 7 == 0 ? "x " : " ");
  std::map<std::string, int> words;
  std::istringstream in(text.str());
  for (std::string w; in >> w;) words[w]++;
  std::string all = text.str();
  std::regex marked("w([0-9]+)x");
  long long matches = std::distance(std::sregex_iterator(all.begin(), all.end(), marked),
                                    std::sregex_iterator());
  std::printf("primes %lld %lld words %zu matches %lld\n", count, sum, words.size(), matches);
}
CC

# The primes below 10^5: 9592 of them, summing to 454396537; the words: w0..w999 with and without
# the mark (i % 7 == 0 meets every residue mod 1000); marked: ceil(20000 / 7).
want="primes 9592 454396537 words 2000 matches 2858"

for cxx in /usr/bin/clang++ /usr/bin/g++; do
  name=$(basename "$cxx")
  "$cxx" -O2 -c "$TMP/prog.cc" -o "$TMP/$name.want.o" || fail "$name fails without hakmem"
  hakmem_run "$TMP/out" "$TMP/err" "$cxx" -O2 -c "$TMP/prog.cc" -o "$TMP/$name.o"
  expect_hakmem_used "$TMP/err"
  cmp -s "$TMP/$name.want.o" "$TMP/$name.o" || fail "$name wrote a different object file under hakmem"
  hakmem_run "$TMP/out" "$TMP/err" "$cxx" "$TMP/$name.o" -o "$TMP/$name.prog"
  expect_eq "$name's program" "$("$TMP/$name.prog")" "$want"
done
echo PASS
