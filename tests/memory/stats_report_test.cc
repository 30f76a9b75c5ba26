// HAKMEM_STATS=1 prints the stats table at exit, also when the program closed its stderr before
// exiting (coreutils do: hakmem writes to a duplicate of stderr taken at initialisation). The fast
// profile is not tunable: it says it ignores the variable and prints nothing else.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "hakmem/config/profile.h"

namespace {

std::string prog() {
  const char* dir = getenv("TEST_SRCDIR");
  const char* ws = getenv("TEST_WORKSPACE");
  return std::string(dir ? dir : ".") + "/" + (ws ? ws : "hakmem") + "/tests/memory/stats_exit_prog";
}

// Runs the program with HAKMEM_STATS=1 and the argument; returns its stderr.
std::string run(const char* arg, int* status) {
  std::string err = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/stderr." + arg;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0) _exit(3);
    setenv("HAKMEM_STATS", "1", 1);
    std::string p = prog();
    execl(p.c_str(), p.c_str(), arg, (char*)nullptr);
    _exit(4);
  }
  waitpid(pid, status, 0);
  std::ifstream in(err);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_report(const char* arg) {
  SCOPED_TRACE(arg);
  int status = -1;
  std::string err = run(arg, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << err;
  if (!HAK_CFG_ENV_TUNING) {
    EXPECT_NE(err.find("the fast profile is not tunable; ignored: HAKMEM_STATS"), std::string::npos) << err;
    EXPECT_EQ(err.find("hakmem stats"), std::string::npos) << err;
    return;
  }
  EXPECT_NE(err.find(std::string("hakmem stats (profile ") + HAK_PROFILE_NAME + ")\n"), std::string::npos) << err;
  EXPECT_NE(err.find("system calls: mmap "), std::string::npos) << err;
  if (HAK_CFG_STATS) EXPECT_NE(err.find("  all "), std::string::npos) << "the per-class totals\n" << err;
}

TEST(StatsReport, PrintedAtExit) { expect_report("keep"); }

TEST(StatsReport, PrintedAtExitWhenTheProgramClosedStderr) { expect_report("close"); }

}  // namespace
