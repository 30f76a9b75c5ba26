// The stats add up. A known sequence of mallocs and frees in the main thread and in a
// second thread, with blocks freed by the thread that did not allocate them:
//   observe   per class, allocations minus frees equal the blocks the test holds; remote frees are
//             exactly the cross-thread frees; bytes in use and the slab counts agree;
//   others    the traffic counters stay zero (compiled out), the slab counts still agree.
// The classes used here (block sizes 640, 1536, 3072 and 6144) are not used by gtest or by thread
// creation in this process, so their counts are the test's alone. Bookkeeping uses fixed arrays:
// the test itself allocates nothing else while it counts.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "gtest/gtest.h"
#include "hakmem/config/profile.h"
#include "hakmem/include/hakmem.h"

namespace {

struct Cls {
  size_t request;  // bytes asked for
  size_t block;    // the class's block size
};
const Cls kClasses[] = {{600, 640}, {1500, 1536}, {3000, 3072}, {6000, 6144}};
constexpr int kN = 4;
constexpr int kMain = 500;  // blocks the main thread allocates per class
constexpr int kPeer = 300;  // blocks the second thread allocates per class

int class_of(const hak_stats_t& s, size_t block) {
  for (int c = 0; c < HAK_STATS_CLASSES; c++)
    if (s.classes[c].block_size == block) return c;
  return -1;
}

struct Shared {
  void* main_blocks[kN][kMain];  // allocated by main
  void* peer_blocks[kN][kPeer];  // allocated by the peer
  int main_given = 100;          // per class: main's blocks the peer frees (remote)
  int peer_own_frees = 120;      // per class: the peer frees its own
};

void* peer(void* arg) {
  Shared* sh = (Shared*)arg;
  for (int k = 0; k < kN; k++) {
    for (int i = 0; i < kPeer; i++) {
      sh->peer_blocks[k][i] = malloc(kClasses[k].request);
      memset(sh->peer_blocks[k][i], k, kClasses[k].request);
    }
    for (int i = 0; i < sh->peer_own_frees; i++) free(sh->peer_blocks[k][i]);
    for (int i = 0; i < sh->main_given; i++) free(sh->main_blocks[k][i]);  // remote: main allocated them
  }
  return nullptr;  // exits: its counters are merged
}

TEST(StatsCounters, AllocationsMinusFreesAreTheLiveBlocks) {
  static Shared sh;
  hak_stats_t s0;
  hak_stats_get(&s0);
  int cls[kN];
  for (int k = 0; k < kN; k++) {
    cls[k] = class_of(s0, kClasses[k].block);
    ASSERT_GE(cls[k], 0) << "no class of " << kClasses[k].block << " bytes";
  }
  for (int k = 0; k < kN; k++)
    for (int i = 0; i < kMain; i++) {
      sh.main_blocks[k][i] = malloc(kClasses[k].request);
      ASSERT_NE(sh.main_blocks[k][i], nullptr);
    }
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, nullptr, peer, &sh), 0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  // Main frees half of what the peer kept (remote) and a fifth of its own that the peer did not free.
  const int main_frees_peer = (kPeer - sh.peer_own_frees) / 2, main_frees_own = kMain / 5;
  for (int k = 0; k < kN; k++) {
    for (int i = 0; i < main_frees_peer; i++) free(sh.peer_blocks[k][sh.peer_own_frees + i]);
    for (int i = 0; i < main_frees_own; i++) free(sh.main_blocks[k][sh.main_given + i]);
  }
  hak_stats_t s1;
  hak_stats_get(&s1);

  uint64_t slab_sum = 0;
  for (int c = 0; c < HAK_STATS_CLASSES; c++) slab_sum += s1.classes[c].slabs;
  EXPECT_EQ(slab_sum, s1.slabs) << "the classes' slabs add up to the total";
  for (int k = 0; k < kN; k++) {
    SCOPED_TRACE(testing::Message() << "class " << cls[k] << " (" << kClasses[k].block << " bytes)");
    const hak_class_stats_t &a = s0.classes[cls[k]], &b = s1.classes[cls[k]];
    const uint64_t allocs = b.allocs - a.allocs, frees = b.frees - a.frees, remote = b.remote_frees - a.remote_frees;
    const uint64_t live = (uint64_t)(kMain - sh.main_given - main_frees_own) +
                          (uint64_t)(kPeer - sh.peer_own_frees - main_frees_peer);
    EXPECT_GE(b.slabs, 1u) << "blocks are live in this class";
    EXPECT_GE(b.slabs * 65536, live * kClasses[k].block) << "the slabs hold the live blocks";
    if (HAK_CFG_STATS) {
      EXPECT_EQ(allocs, (uint64_t)(kMain + kPeer));
      EXPECT_EQ(frees, (uint64_t)(sh.main_given + sh.peer_own_frees + main_frees_peer + main_frees_own));
      EXPECT_EQ(allocs - frees, live) << "allocations minus frees are the live blocks";
      EXPECT_EQ(remote, (uint64_t)(sh.main_given + main_frees_peer)) << "frees by the other thread";
      EXPECT_EQ(b.in_use_bytes - a.in_use_bytes, live * kClasses[k].block);
      EXPECT_GE(b.refills, a.refills + 1) << "the caches were refilled";
    } else {
      EXPECT_EQ(b.allocs, 0u);
      EXPECT_EQ(b.frees, 0u);
      EXPECT_EQ(b.remote_frees, 0u);
      EXPECT_EQ(b.refills, 0u);
      EXPECT_EQ(b.flushes, 0u);
      EXPECT_EQ(b.in_use_bytes, 0u);
    }
  }
  if (HAK_CFG_STATS) {
    uint64_t sum_allocs = 0, sum_frees = 0;
    for (int c = 0; c < HAK_STATS_CLASSES; c++) {
      sum_allocs += s1.classes[c].allocs;
      sum_frees += s1.classes[c].frees;
    }
    EXPECT_EQ(s1.allocs, sum_allocs);
    EXPECT_EQ(s1.frees, sum_frees);
  }
  // The memory figures agree with each other in every profile.
  EXPECT_GE(s1.bytes_in_use, s1.large_live_bytes);
  EXPECT_EQ(s1.retained_total_bytes, s1.retained_bytes + s1.free_block_bytes + s1.large_cached_bytes);
  EXPECT_EQ(s1.bytes_mapped,
            s1.superslabs * 2 * 1024 * 1024 + s1.large_live_bytes + s1.large_cached_bytes + s1.meta_bytes);

  // The table names the classes and, in observe, their counts (its text is freed before the end).
  {
    char* text = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&text, &len);
    hak_stats_print(f);
    fclose(f);
    std::string table(text, len);
    free(text);
    EXPECT_EQ(table.rfind(std::string("hakmem stats (profile ") + HAK_PROFILE_NAME + ")\n", 0), 0u) << table;
    EXPECT_NE(table.find("release policy"), std::string::npos) << table;
    EXPECT_NE(table.find(" remote "), std::string::npos) << table;
    char row[64];
    snprintf(row, sizeof row, "%5d %7zu ", cls[0], kClasses[0].block);
    EXPECT_NE(table.find(row), std::string::npos) << "a row for class " << cls[0] << "\n" << table;
    EXPECT_NE(table.find("system calls: mmap "), std::string::npos) << table;
  }

  for (int k = 0; k < kN; k++) {
    for (int i = sh.main_given + main_frees_own; i < kMain; i++) free(sh.main_blocks[k][i]);
    for (int i = sh.peer_own_frees + main_frees_peer; i < kPeer; i++) free(sh.peer_blocks[k][i]);
  }
  if (HAK_CFG_STATS) {
    hak_stats_t s2;
    hak_stats_get(&s2);
    for (int k = 0; k < kN; k++)
      EXPECT_EQ(s2.classes[cls[k]].allocs - s0.classes[cls[k]].allocs,
                s2.classes[cls[k]].frees - s0.classes[cls[k]].frees)
          << "everything freed: allocations equal frees in class " << cls[k];
  }
}

}  // namespace
