// release box: the budget of each policy, the decisions whether empty memory stays (committed
// pages, spare regions) at its boundaries, the counters, and when a free must release at once.
#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/release/release.h"
}

namespace {

constexpr size_t MiB = 1024 * 1024;

// Sets the counters to exactly these values.
void set_counters(size_t in_use, size_t pages, size_t blocks, size_t large, size_t free_blocks = 0) {
  hak_release_retained_add(HAK_RETAINED_FREE, (int64_t)free_blocks - (int64_t)hak_release_retained_of(HAK_RETAINED_FREE));
  hak_release_in_use_add((int64_t)in_use - (int64_t)hak_release_in_use());
  hak_release_retained_add(HAK_RETAINED_PAGES, (int64_t)pages - (int64_t)hak_release_retained_of(HAK_RETAINED_PAGES));
  hak_release_retained_add(HAK_RETAINED_BLOCKS, (int64_t)blocks - (int64_t)hak_release_retained_of(HAK_RETAINED_BLOCKS));
  hak_release_retained_add(HAK_RETAINED_LARGE, (int64_t)large - (int64_t)hak_release_retained_of(HAK_RETAINED_LARGE));
}

TEST(Release, DefaultIsTheProfilesPolicy) {
  // Nothing configured it yet in this process.
  EXPECT_EQ((int)hak_release_policy(), HAK_CFG_RELEASE_POLICY);
}

TEST(Release, CountersAddUp) {
  set_counters(0, 0, 0, 0);
  hak_release_retained_add(HAK_RETAINED_PAGES, 3 * MiB);
  hak_release_retained_add(HAK_RETAINED_BLOCKS, 1 * MiB);
  hak_release_retained_add(HAK_RETAINED_LARGE, 2 * MiB);
  hak_release_retained_add(HAK_RETAINED_BLOCKS, -(int64_t)(MiB / 2));
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_PAGES), 3 * MiB);
  EXPECT_EQ(hak_release_retained_of(HAK_RETAINED_BLOCKS), MiB / 2);
  EXPECT_EQ(hak_release_retained(), 5 * MiB + MiB / 2);
  hak_release_in_use_add(10 * MiB);
  hak_release_in_use_add(-4 * (int64_t)MiB);
  EXPECT_EQ(hak_release_in_use(), 6 * MiB);
  set_counters(0, 0, 0, 0);
  EXPECT_EQ(hak_release_retained(), 0u);
}

TEST(Release, LeanKeepsNothing) {
  hak_release_configure(HAK_RELEASE_LEAN, 8 * MiB);
  EXPECT_EQ(hak_release_policy(), HAK_RELEASE_LEAN);
  EXPECT_TRUE(hak_release_eager());
  set_counters(100 * MiB, 0, 0, 0);
  EXPECT_EQ(hak_release_budget(), 0u);
  for (size_t b : {(size_t)0, (size_t)1, 64 * 1024 * (size_t)1, 8 * MiB, 1024 * MiB}) {
    EXPECT_FALSE(hak_release_keep(b)) << b;
    for (unsigned spare : {0u, 1u, 5u}) EXPECT_FALSE(hak_release_keep_region(spare, b)) << spare << " " << b;
  }
  set_counters(0, 0, 0, 0);
}

TEST(Release, SpeedKeepsEverything) {
  hak_release_configure(HAK_RELEASE_SPEED, 0);
  EXPECT_EQ(hak_release_policy(), HAK_RELEASE_SPEED);
  EXPECT_FALSE(hak_release_eager());
  set_counters(0, 512 * MiB, 512 * MiB, 0);
  EXPECT_EQ(hak_release_budget(), SIZE_MAX);
  for (size_t b : {(size_t)0, 8 * MiB, 1024 * MiB}) {
    EXPECT_TRUE(hak_release_keep(b)) << b;
    for (unsigned spare : {0u, 1u, 100u}) EXPECT_TRUE(hak_release_keep_region(spare, b)) << spare << " " << b;
  }
  set_counters(0, 0, 0, 0);
}

// BALANCED: in use / 8, at least 1 MiB, at most the cap; everything retained counts against it.
TEST(Release, BalancedBudgetFollowsTheMemoryInUse) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  EXPECT_FALSE(hak_release_eager());
  set_counters(0, 0, 0, 0);
  EXPECT_EQ(hak_release_budget(), 1 * MiB) << "the floor";
  set_counters(40 * MiB, 0, 0, 0);
  EXPECT_EQ(hak_release_budget(), 5 * MiB) << "in use / 8";
  set_counters(1024 * MiB, 0, 0, 0);
  EXPECT_EQ(hak_release_budget(), 8 * MiB) << "the cap";
  hak_release_configure(HAK_RELEASE_BALANCED, MiB / 2);
  EXPECT_EQ(hak_release_budget(), MiB / 2) << "a cap below the floor wins";
  hak_release_configure(HAK_RELEASE_BALANCED, 0);
  EXPECT_EQ(hak_release_budget(), 0u);
  set_counters(0, 0, 0, 0);
}

TEST(Release, BalancedKeepsWithinTheBudgetAndOneSpareRegion) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(40 * MiB, 0, 0, 0);  // budget 5 MiB
  const size_t budget = 5 * MiB;
  EXPECT_TRUE(hak_release_keep(budget));
  EXPECT_FALSE(hak_release_keep(budget + 1));
  // Idle memory (empty pages) counts; warm memory (transfer caches, spares, free blocks) does not
  // take empty pages' room, nor do free large spans (the large box's own rule, below).
  set_counters(40 * MiB, 2 * MiB, 2 * MiB, 1 * MiB, 3 * MiB);
  EXPECT_TRUE(hak_release_keep(budget - 2 * MiB));
  EXPECT_FALSE(hak_release_keep(budget - 2 * MiB + 1));
  EXPECT_TRUE(hak_release_keep_region(0, 3 * MiB)) << "the first spare region within the budget";
  EXPECT_FALSE(hak_release_keep_region(0, 3 * MiB + 1));
  EXPECT_FALSE(hak_release_keep_region(1, 0)) << "never a second spare region";
  set_counters(0, 0, 0, 0);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// The large box's free spans: LEAN keeps none, SPEED all, BALANCED up to its budget or three times
// the large blocks in use, whichever is more.
TEST(Release, LargeSpansWithinThreeTimesTheLargeBlocksInUse) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(0, 0, 0, 0);  // budget 1 MiB
  EXPECT_TRUE(hak_release_keep_spans(1 * MiB, 0)) << "the budget";
  EXPECT_FALSE(hak_release_keep_spans(1 * MiB + 1, 0)) << "nothing live: a burst of large blocks goes";
  EXPECT_TRUE(hak_release_keep_spans(300 * MiB, 100 * MiB)) << "three times what is live";
  EXPECT_FALSE(hak_release_keep_spans(300 * MiB + 1, 100 * MiB));
  hak_release_configure(HAK_RELEASE_LEAN, 8 * MiB);
  EXPECT_FALSE(hak_release_keep_spans(1, 100 * MiB));
  hak_release_configure(HAK_RELEASE_SPEED, 8 * MiB);
  EXPECT_TRUE(hak_release_keep_spans(1024 * MiB, 0));
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// Eager (return at once, no transfer caching, no spare): LEAN always, BALANCED only while the
// retained total exceeds the budget, SPEED never (and the same for the warm memory alone).
TEST(Release, EagerWhenOverTheBudget) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(0, 0, 0, 0);
  EXPECT_FALSE(hak_release_eager());
  set_counters(0, 1 * MiB, 0, 0);
  EXPECT_FALSE(hak_release_eager()) << "idle memory at the budget (the 1 MiB floor)";
  set_counters(0, 1 * MiB + 1, 0, 0);
  EXPECT_TRUE(hak_release_eager()) << "idle memory one byte over it";
  set_counters(0, 1 * MiB, 0, 64 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "free large spans are the large box's to keep or return";
  set_counters(64 * MiB, 2 * MiB + 1, 0, 0);
  EXPECT_FALSE(hak_release_eager()) << "the budget grew with the memory in use (8 MiB)";
  hak_release_configure(HAK_RELEASE_LEAN, 8 * MiB);
  set_counters(0, 0, 0, 0);
  EXPECT_TRUE(hak_release_eager());
  EXPECT_TRUE(hak_release_eager_warm());
  hak_release_configure(HAK_RELEASE_SPEED, 8 * MiB);
  set_counters(0, 1024 * MiB, 1024 * MiB, 0, 1024 * MiB);
  EXPECT_FALSE(hak_release_eager());
  EXPECT_FALSE(hak_release_eager_warm());
  set_counters(0, 0, 0, 0);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// Warm memory (transfer caches, spares, free blocks of partially used slabs: what a steady heap
// keeps drawing on) makes BALANCED eager only when the retained total (idle and warm) exceeds
// max(budget, three times in use): more than three times as much memory empty as in use means a
// burst is being freed (threads that pass blocks to each other keep about as much retained as in
// use, steadily, and threads that come and go about twice that at their exits). Idle memory alone
// is held to the budget, and so is the total once little is in use.
TEST(Release, WarmMemoryMakesBalancedEagerOnlyBeyondThreeTimesTheMemoryInUse) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(48 * MiB, 0, 10 * MiB, 0, 20 * MiB);  // budget 6 MiB
  EXPECT_EQ(hak_release_retained(), 30 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "a steady heap's caches and fragmentation";
  set_counters(48 * MiB, 0, 16 * MiB, 0, 32 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "as much retained as in use: threads passing blocks to each other";
  set_counters(48 * MiB, 0, 10 * MiB, 0, 134 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "the total at three times the memory in use";
  set_counters(48 * MiB, 0, 10 * MiB, 0, 134 * MiB + 1);
  EXPECT_TRUE(hak_release_eager()) << "more than three times as much empty as in use: a burst being freed";
  set_counters(0, 0, 1 * MiB, 0, 1 * MiB + 1);
  EXPECT_TRUE(hak_release_eager()) << "and never more than the budget when little is in use";
  set_counters(48 * MiB, 6 * MiB, 10 * MiB, 0, 32 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "idle memory within the budget, the total within the memory in use";
  set_counters(48 * MiB, 6 * MiB + 1, 10 * MiB, 0, 32 * MiB);
  EXPECT_TRUE(hak_release_eager()) << "idle memory beyond the budget";
  set_counters(48 * MiB, 6 * MiB, 10 * MiB, 0, 128 * MiB + 1);
  EXPECT_TRUE(hak_release_eager()) << "idle and warm memory together beyond three times the memory in use";
  set_counters(0, MiB / 2, MiB / 2, 0);
  EXPECT_FALSE(hak_release_eager()) << "little in use: the total at the budget (1 MiB floor)";
  set_counters(0, MiB / 2, MiB / 2, 0, 1);
  EXPECT_TRUE(hak_release_eager()) << "little in use: one byte of the total over the budget";
  set_counters(MiB, MiB / 2, MiB / 2, 0, 2 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "1 MiB in use: the total at three times that";
  set_counters(MiB, MiB / 2, MiB / 2, 0, 2 * MiB + 1);
  EXPECT_TRUE(hak_release_eager()) << "1 MiB in use: one byte over three times that";
  set_counters(0, 0, 0, 0);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// The central box's warm memory goes back only when idle and warm memory together are over
// (hak_release_eager_warm); idle memory a little over the budget is the superslab box's to return,
// and must not purge every class's caches.
TEST(Release, IdleMemoryAloneDoesNotPurgeWarmMemory) {
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(48 * MiB, 6 * MiB + 1, 10 * MiB, 0, 32 * MiB);  // budget 6 MiB
  EXPECT_TRUE(hak_release_eager()) << "idle memory over the budget";
  EXPECT_FALSE(hak_release_eager_warm()) << "but idle and warm together within three times in use";
  set_counters(48 * MiB, 6 * MiB, 10 * MiB, 0, 128 * MiB + 1);
  EXPECT_TRUE(hak_release_eager_warm()) << "idle and warm together over";
  set_counters(0, 0, 0, 0);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// BALANCED's hold: bytes given back and then committed again (a fresh mapping, decommitted pages
// faulted back in) raise the budget by as much; a release that is not followed by new commits
// earns nothing. Both halve every half-life, and the hold is bounded by 32 x the retain cap.
TEST(Release, BalancedHoldsWhatTheProgramCameBackFor) {
  constexpr uint64_t t0 = 5000, half = HAK_RELEASE_HOLD_HALF_LIFE_MS;
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(0, 0, 0, 0);
  hak_release_committed_at(64 * MiB, t0);
  EXPECT_EQ(hak_release_hold_at(t0), 0u) << "growth with nothing given back earns no hold";
  hak_release_returned_at(10 * MiB, t0);
  EXPECT_EQ(hak_release_hold_at(t0), 0u) << "a release alone earns nothing: a one-off burst goes back";
  EXPECT_EQ(hak_release_budget(), 1 * MiB);
  hak_release_committed_at(4 * MiB, t0 + 10);
  EXPECT_EQ(hak_release_hold_at(t0 + 10), 4 * MiB) << "4 of the 10 MiB given back were asked for again";
  EXPECT_EQ(hak_release_budget(), 5 * MiB) << "the floor and the hold";
  hak_release_committed_at(20 * MiB, t0 + 20);
  EXPECT_EQ(hak_release_hold_at(t0 + 20), 10 * MiB) << "no more than was given back";
  hak_release_committed_at(1 * MiB, t0 + 30);
  EXPECT_EQ(hak_release_hold_at(t0 + 30), 10 * MiB);
  // The hold counts as memory in use for the budget's share: 10 MiB / 8 above the 1 MiB floor.
  EXPECT_EQ(hak_release_budget(), 10 * MiB + 10 * MiB / 8);
  set_counters(0, 10 * MiB + 10 * MiB / 8, 0, 0);
  EXPECT_FALSE(hak_release_eager()) << "idle memory within the budget's share and the hold";
  set_counters(0, 10 * MiB + 10 * MiB / 8 + 1, 0, 0);
  EXPECT_TRUE(hak_release_eager());
  set_counters(40 * MiB, 0, 0, 0);
  EXPECT_EQ(hak_release_budget(), 15 * MiB) << "the share from what is in use when that is more";
  // The hold also widens the warm memory's reach: 3 x 8 MiB in use + 10 MiB.
  set_counters(8 * MiB, 0, 14 * MiB, 0, 20 * MiB);
  EXPECT_FALSE(hak_release_eager()) << "warm memory within three times in use and the hold";
  set_counters(8 * MiB, 0, 14 * MiB, 0, 20 * MiB + 1);
  EXPECT_TRUE(hak_release_eager());
  set_counters(0, 0, 0, 0);
  // The half-life counts from the last time memory came back (t0 + 20).
  EXPECT_EQ(hak_release_hold_at(t0 + 20 + half - 1), 10 * MiB) << "within the half-life";
  EXPECT_EQ(hak_release_hold_at(t0 + 20 + half), 5 * MiB) << "one half-life";
  EXPECT_EQ(hak_release_hold_at(t0 + 20 + 3 * half), 5 * MiB / 4) << "two more";
  hak_release_returned_at(1 * MiB, t0 + 20 + 3 * half);
  hak_release_committed_at(1 * MiB, t0 + 20 + 4 * half - 1);
  EXPECT_EQ(hak_release_hold_at(t0 + 20 + 4 * half + 10), 9 * MiB / 4) << "memory came back: the clock restarted";
  hak_release_forget();
  EXPECT_EQ(hak_release_hold_at(t0 + 20 + 5 * half), 0u) << "malloc_trim forgets";
  EXPECT_EQ(hak_release_budget(), 1 * MiB);

  hak_release_configure(HAK_RELEASE_BALANCED, 1 * MiB);
  hak_release_returned_at(100 * MiB, t0);
  hak_release_committed_at(100 * MiB, t0);
  EXPECT_EQ(hak_release_hold_at(t0), 32 * MiB) << "32 x the retain cap";
  set_counters(80 * MiB, 0, 0, 0);
  hak_release_returned_at(100 * MiB, t0);
  hak_release_committed_at(100 * MiB, t0);
  EXPECT_EQ(hak_release_hold_at(t0), 80 * MiB) << "or what is in use, when that is more";
  set_counters(0, 0, 0, 0);
  hak_release_configure(HAK_RELEASE_BALANCED, 0);
  hak_release_returned_at(100 * MiB, t0);
  hak_release_committed_at(100 * MiB, t0);
  EXPECT_EQ(hak_release_budget(), 0u) << "HAKMEM_RETAIN_MB=0 keeps nothing, hold included";

  for (hak_release_policy_t p : {HAK_RELEASE_LEAN, HAK_RELEASE_SPEED}) {
    hak_release_configure(p, 8 * MiB);
    hak_release_returned_at(100 * MiB, t0);
    hak_release_committed_at(100 * MiB, t0);
    EXPECT_EQ(hak_release_hold_at(t0), 0u) << "only BALANCED holds";
  }
  EXPECT_EQ(hak_release_budget(), SIZE_MAX);
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

// A box reusing what the hold keeps (a free large span) restarts the half-life: the hold is in
// use. Without a hold there is nothing to keep alive.
TEST(Release, ReuseKeepsTheHold) {
  constexpr uint64_t t0 = 5000, half = HAK_RELEASE_HOLD_HALF_LIFE_MS;
  hak_release_configure(HAK_RELEASE_BALANCED, 8 * MiB);
  set_counters(0, 0, 0, 0);
  hak_release_reused_at(t0);
  EXPECT_EQ(hak_release_hold_at(t0), 0u);
  hak_release_returned_at(8 * MiB, t0);
  hak_release_committed_at(8 * MiB, t0);
  ASSERT_EQ(hak_release_hold_at(t0), 8 * MiB);
  for (uint64_t t = t0 + half / 2; t < t0 + 5 * half; t += half / 2) hak_release_reused_at(t);
  EXPECT_EQ(hak_release_hold_at(t0 + 5 * half - 1), 8 * MiB) << "reused every half a half-life: no decay";
  EXPECT_EQ(hak_release_hold_at(t0 + 5 * half + half), 4 * MiB) << "then idle for one half-life";
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

}  // namespace
