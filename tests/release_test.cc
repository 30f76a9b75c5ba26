// release box: the decisions whether empty memory stays (committed pages, spare regions), for each
// policy, at the boundaries of the retain budget.
#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/release/release.h"
}

namespace {

constexpr size_t MiB = 1024 * 1024;

TEST(Release, DefaultIsTheProfilesPolicy) {
  // Nothing configured it yet in this process.
  EXPECT_EQ((int)hak_release_policy(), HAK_CFG_RELEASE_POLICY);
}

TEST(Release, LeanKeepsNothing) {
  hak_release_configure(HAK_RELEASE_LEAN, 8 * MiB);
  EXPECT_EQ(hak_release_policy(), HAK_RELEASE_LEAN);
  for (size_t b : {(size_t)0, (size_t)1, 64 * 1024 * (size_t)1, 8 * MiB, 1024 * MiB}) {
    EXPECT_FALSE(hak_release_keep_committed(b)) << b;
    for (unsigned spare : {0u, 1u, 5u}) EXPECT_FALSE(hak_release_keep_region(spare, b)) << spare << " " << b;
  }
}

TEST(Release, SpeedKeepsEverything) {
  hak_release_configure(HAK_RELEASE_SPEED, 0);
  EXPECT_EQ(hak_release_policy(), HAK_RELEASE_SPEED);
  for (size_t b : {(size_t)0, 8 * MiB, 1024 * MiB, SIZE_MAX}) {
    EXPECT_TRUE(hak_release_keep_committed(b)) << b;
    for (unsigned spare : {0u, 1u, 100u}) EXPECT_TRUE(hak_release_keep_region(spare, b)) << spare << " " << b;
  }
}

TEST(Release, BalancedKeepsUpToTheBudgetAndOneSpareRegion) {
  for (size_t retain : {(size_t)0, 2 * MiB, 8 * MiB}) {
    hak_release_configure(HAK_RELEASE_BALANCED, retain);
    SCOPED_TRACE(retain);
    EXPECT_TRUE(hak_release_keep_committed(retain));
    EXPECT_FALSE(hak_release_keep_committed(retain + 1));
    if (retain) EXPECT_TRUE(hak_release_keep_committed(retain - 1));
    EXPECT_TRUE(hak_release_keep_region(0, retain)) << "the first spare region within the budget";
    EXPECT_FALSE(hak_release_keep_region(0, retain + 1));
    EXPECT_FALSE(hak_release_keep_region(1, 0)) << "never a second spare region";
    EXPECT_FALSE(hak_release_keep_region(3, retain));
  }
  hak_release_configure((hak_release_policy_t)HAK_CFG_RELEASE_POLICY, 8 * MiB);
}

}  // namespace
