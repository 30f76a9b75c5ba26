// report box: formatting without allocation (never past the buffer), the one-line messages, and the
// two modes: abort (a death test) and report (returns and counts).
#include <stdint.h>
#include <string.h>

#include <string>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/report/report.h"
}

namespace {

std::string fmt_u64(unsigned long long v, size_t room) {
  char buf[64];
  memset(buf, '#', sizeof buf);
  char* end = hak_fmt_u64(buf, buf + room, v);
  EXPECT_LE(end, buf + room);
  for (size_t i = room; i < sizeof buf; i++) EXPECT_EQ(buf[i], '#') << "written past the end";
  return std::string(buf, end);
}

std::string fmt_hex(unsigned long long v, size_t room) {
  char buf[64];
  memset(buf, '#', sizeof buf);
  char* end = hak_fmt_hex(buf, buf + room, v);
  EXPECT_LE(end, buf + room);
  for (size_t i = room; i < sizeof buf; i++) EXPECT_EQ(buf[i], '#') << "written past the end";
  return std::string(buf, end);
}

TEST(Report, Formatting) {
  EXPECT_EQ(fmt_u64(0, 32), "0");
  EXPECT_EQ(fmt_u64(1234567890, 32), "1234567890");
  EXPECT_EQ(fmt_u64(UINT64_MAX, 32), "18446744073709551615");
  EXPECT_EQ(fmt_u64(123456, 3), "123");  // cut, never overrun
  EXPECT_EQ(fmt_u64(5, 0), "");
  EXPECT_EQ(fmt_hex(0, 32), "0x0");
  EXPECT_EQ(fmt_hex(0xdeadbeef, 32), "0xdeadbeef");
  EXPECT_EQ(fmt_hex(UINT64_MAX, 32), "0xffffffffffffffff");
  EXPECT_EQ(fmt_hex(0xabcdef, 4), "0xab");
  char buf[8];
  memset(buf, '#', sizeof buf);
  char* end = hak_fmt_str(buf, buf + 5, "a long string");
  EXPECT_EQ(std::string(buf, end), "a lon");
  EXPECT_EQ(buf[5], '#');
}

TEST(Report, EveryErrorHasAName) {
  for (int e = 0; e < HAK_ERR_COUNT; e++) {
    const char* name = hak_report_error_name((hak_error_t)e);
    ASSERT_NE(name, nullptr);
    EXPECT_GT(strlen(name), 3u) << e;
    EXPECT_STRNE(name, "unknown error") << e;
  }
  EXPECT_STREQ(hak_report_error_name(HAK_ERR_DOUBLE_FREE), "double free");
  EXPECT_STREQ(hak_report_error_name(HAK_ERR_COUNT), "unknown error");
  EXPECT_STREQ(hak_report_error_name((hak_error_t)-1), "unknown error");
}

TEST(Report, ReportModeWritesOneLineAndReturns) {
  hak_report_set_mode(HAK_ON_ERROR_REPORT);
  unsigned long before = hak_report_error_count();
  testing::internal::CaptureStderr();
  hak_report_error(HAK_ERR_DOUBLE_FREE, (void*)0x7f0012345670, "free", 3, 64);
  hak_report_error(HAK_ERR_INTERIOR_POINTER, (void*)0x1000, "realloc", -1, 300000);
  hak_report_error(HAK_ERR_INVALID_POINTER, (void*)0x10, "malloc_usable_size", -1, 0);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(hak_report_error_count(), before + 3);
  EXPECT_EQ(err,
            "hakmem: error: double free: pointer 0x7f0012345670 in free() (size class 3, block size 64); "
            "block quarantined\n"
            "hakmem: error: pointer into the middle of a block: pointer 0x1000 in realloc() (large block of 300000 "
            "bytes); block quarantined\n"
            "hakmem: error: invalid pointer (not allocated by hakmem): pointer 0x10 in malloc_usable_size(); block "
            "quarantined\n");
}

TEST(Report, WarningsAreOneLine) {
  testing::internal::CaptureStderr();
  hak_report_warning("unknown variable ignored: ", "HAKMEM_X");
  hak_report_warning("no argument", nullptr);
  // Longer than the line buffer: cut, still one line.
  std::string longer(1000, 'w');
  hak_report_warning(longer.c_str(), nullptr);
  std::string err = testing::internal::GetCapturedStderr();
  const std::string first = "hakmem: warning: unknown variable ignored: HAKMEM_X\nhakmem: warning: no argument\n";
  ASSERT_EQ(err.compare(0, first.size(), first), 0) << err;
  std::string third = err.substr(first.size());
  EXPECT_EQ(third.compare(0, 20, "hakmem: warning: www"), 0) << third;
  EXPECT_EQ(third.find('\n'), third.size() - 1) << "one line, ended";
  EXPECT_LE(third.size(), 256u);
}

TEST(ReportDeathTest, AbortModeAborts) {
  hak_report_set_mode(HAK_ON_ERROR_ABORT);
  EXPECT_DEATH(hak_report_error(HAK_ERR_OVERFLOW, (void*)0xabc0, "free", 7, 128),
               "hakmem: error: buffer overflow past the end of the block: pointer 0xabc0 in free\\(\\) \\(size "
               "class 7, block size 128\\); aborting");
  hak_report_set_mode(HAK_ON_ERROR_REPORT);
}

}  // namespace
