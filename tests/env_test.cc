// env box: hak_env_parse on synthetic environments. Defaults, every valid value, bad values (a
// warning, default kept), unknown HAKMEM_* names (a warning). The fast profile is not tunable: there
// every tuning variable is reported as ignored and the defaults stay.
#include <string.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "hakmem/box/env/env.h"
}

namespace {

// Parses a list of "NAME=value" strings; returns the warnings, captures stderr into *err.
int parse(std::vector<std::string> vars, hak_env_t* out, std::string* err = nullptr) {
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(&v[0]);
  envp.push_back(nullptr);
  testing::internal::CaptureStderr();
  int warnings = hak_env_parse(envp.data(), out);
  std::string text = testing::internal::GetCapturedStderr();
  if (err) *err = text;
  return warnings;
}

hak_env_t defaults() {
  hak_env_t d;
  hak_env_defaults(&d);
  return d;
}

void expect_same(const hak_env_t& a, const hak_env_t& b) {
  EXPECT_EQ(a.on_error, b.on_error);
  EXPECT_EQ(a.stats_at_exit, b.stats_at_exit);
  EXPECT_EQ(a.release, b.release);
  EXPECT_EQ(a.retain_bytes, b.retain_bytes);
}

size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(Env, DefaultsFollowTheProfile) {
  hak_env_t d = defaults();
  EXPECT_EQ(d.on_error, HAK_CFG_CHECK_FREE ? HAK_ON_ERROR_ABORT : HAK_ON_ERROR_REPORT);
  EXPECT_EQ(d.stats_at_exit, 0);
  EXPECT_EQ((int)d.release, HAK_CFG_RELEASE_POLICY);
  EXPECT_EQ(d.retain_bytes, (size_t)8 << 20);
}

TEST(Env, EmptyAndForeignEnvironmentsGiveTheDefaults) {
  hak_env_t e;
  std::string err;
  EXPECT_EQ(hak_env_parse(nullptr, &e), 0);
  expect_same(e, defaults());
  EXPECT_EQ(parse({}, &e, &err), 0);
  expect_same(e, defaults());
  EXPECT_EQ(err, "");
  // Not HAKMEM_ variables, whatever they look like.
  EXPECT_EQ(parse({"PATH=/usr/bin", "HAKMEMSTATS=1", "hakmem_stats=1", "HAKMEM=1", "X_HAKMEM_STATS=1", "HAK_STATS=1"},
                  &e, &err),
            0);
  expect_same(e, defaults());
  EXPECT_EQ(err, "");
}

// Starts from a poisoned struct: parse must set every field, not only the ones it sees.
TEST(Env, ParseStartsFromTheDefaults) {
  hak_env_t e;
  memset(&e, 0x5a, sizeof e);
  EXPECT_EQ(parse({"OTHER=1"}, &e), 0);
  expect_same(e, defaults());
}

struct Valid {
  const char* var;
  void (*expect)(const hak_env_t&);
};

TEST(Env, EveryValidValue) {
  const Valid cases[] = {
      {"HAKMEM_ON_ERROR=abort", [](const hak_env_t& e) { EXPECT_EQ(e.on_error, HAK_ON_ERROR_ABORT); }},
      {"HAKMEM_ON_ERROR=report", [](const hak_env_t& e) { EXPECT_EQ(e.on_error, HAK_ON_ERROR_REPORT); }},
      {"HAKMEM_STATS=0", [](const hak_env_t& e) { EXPECT_EQ(e.stats_at_exit, 0); }},
      {"HAKMEM_STATS=1", [](const hak_env_t& e) { EXPECT_EQ(e.stats_at_exit, 1); }},
      {"HAKMEM_RELEASE=lean", [](const hak_env_t& e) { EXPECT_EQ(e.release, HAK_RELEASE_LEAN); }},
      {"HAKMEM_RELEASE=balanced", [](const hak_env_t& e) { EXPECT_EQ(e.release, HAK_RELEASE_BALANCED); }},
      {"HAKMEM_RELEASE=speed", [](const hak_env_t& e) { EXPECT_EQ(e.release, HAK_RELEASE_SPEED); }},
      {"HAKMEM_RETAIN_MB=0", [](const hak_env_t& e) { EXPECT_EQ(e.retain_bytes, 0u); }},
      {"HAKMEM_RETAIN_MB=1", [](const hak_env_t& e) { EXPECT_EQ(e.retain_bytes, (size_t)1 << 20); }},
      {"HAKMEM_RETAIN_MB=64", [](const hak_env_t& e) { EXPECT_EQ(e.retain_bytes, (size_t)64 << 20); }},
      {"HAKMEM_RETAIN_MB=65536", [](const hak_env_t& e) { EXPECT_EQ(e.retain_bytes, (size_t)65536 << 20); }},
      {"HAKMEM_RETAIN_MB=007", [](const hak_env_t& e) { EXPECT_EQ(e.retain_bytes, (size_t)7 << 20); }},
  };
  for (const Valid& c : cases) {
    SCOPED_TRACE(c.var);
    hak_env_t e;
    std::string err;
    int w = parse({"PATH=/bin", c.var}, &e, &err);
    if (HAK_CFG_ENV_TUNING) {
      EXPECT_EQ(w, 0);
      EXPECT_EQ(err, "");
      c.expect(e);
    } else {
      // fast: ignored, said so, defaults kept.
      EXPECT_EQ(w, 1);
      EXPECT_NE(err.find("hakmem: warning: "), std::string::npos) << err;
      EXPECT_NE(err.find("not tunable"), std::string::npos) << err;
      expect_same(e, defaults());
    }
  }
}

TEST(Env, SeveralVariablesTogetherAndTheLastOneWins) {
  hak_env_t e;
  int w = parse({"HAKMEM_RELEASE=lean", "HAKMEM_STATS=1", "HAKMEM_RETAIN_MB=3", "HAKMEM_ON_ERROR=report",
                 "HAKMEM_RELEASE=speed"},
                &e);
  if (!HAK_CFG_ENV_TUNING) {
    EXPECT_EQ(w, 5);
    expect_same(e, defaults());
    return;
  }
  EXPECT_EQ(w, 0);
  EXPECT_EQ(e.release, HAK_RELEASE_SPEED);
  EXPECT_EQ(e.stats_at_exit, 1);
  EXPECT_EQ(e.retain_bytes, (size_t)3 << 20);
  EXPECT_EQ(e.on_error, HAK_ON_ERROR_REPORT);
}

TEST(Env, BadValuesWarnAndKeepTheDefault) {
  const char* bad[] = {
      "HAKMEM_ON_ERROR=", "HAKMEM_ON_ERROR=ABORT", "HAKMEM_ON_ERROR=abort ", "HAKMEM_ON_ERROR=1",
      "HAKMEM_STATS=", "HAKMEM_STATS=2", "HAKMEM_STATS=yes", "HAKMEM_STATS=01", "HAKMEM_STATS=-1",
      "HAKMEM_RELEASE=", "HAKMEM_RELEASE=fast", "HAKMEM_RELEASE=Lean", "HAKMEM_RELEASE=0",
      "HAKMEM_RETAIN_MB=", "HAKMEM_RETAIN_MB=-1", "HAKMEM_RETAIN_MB=65537", "HAKMEM_RETAIN_MB=12a",
      "HAKMEM_RETAIN_MB=1.5", "HAKMEM_RETAIN_MB= 4", "HAKMEM_RETAIN_MB=0x10",
      "HAKMEM_RETAIN_MB=99999999999999999999999999999999",
      "HAKMEM_STATS",  // no '=' at all: an empty value
  };
  for (const char* var : bad) {
    SCOPED_TRACE(var);
    hak_env_t e;
    std::string err;
    EXPECT_EQ(parse({var}, &e, &err), 1);
    expect_same(e, defaults());
    EXPECT_EQ(count_lines(err), 1u) << err;
    EXPECT_EQ(err.rfind("hakmem: warning: ", 0), 0u) << err;
    std::string name(var, strcspn(var, "="));
    EXPECT_NE(err.find(name), std::string::npos) << err;
    if (HAK_CFG_ENV_TUNING) {
      EXPECT_NE(err.find("bad value"), std::string::npos) << err;
      EXPECT_NE(err.find("default kept"), std::string::npos) << err;
    }
  }
  // Each bad variable is one warning; the good ones among them still apply.
  hak_env_t e;
  int w = parse({"HAKMEM_STATS=9", "HAKMEM_RELEASE=lean", "HAKMEM_RETAIN_MB=x", "HAKMEM_ON_ERROR=maybe"}, &e);
  if (HAK_CFG_ENV_TUNING) {
    EXPECT_EQ(w, 3);
    EXPECT_EQ(e.release, HAK_RELEASE_LEAN);
    EXPECT_EQ(e.stats_at_exit, 0);
    EXPECT_EQ(e.retain_bytes, defaults().retain_bytes);
  } else {
    EXPECT_EQ(w, 4);
  }
}

TEST(Env, UnknownHakmemNamesWarn) {
  const char* unknown[] = {
      "HAKMEM_FOO=1", "HAKMEM_=1", "HAKMEM_STATS_=1", "HAKMEM_ON_ERRORS=report", "HAKMEM_stats=1", "HAKMEM_BAR",
      "HAKMEM_A_VERY_LONG_NAME_THAT_DOES_NOT_FIT_IN_SIXTY_FOUR_BYTES_AT_ALL_REALLY=1",
      "HAKMEM_RETAIN_MB_PLUS_SIXTY_FOUR_CHARACTERS_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1",
  };
  for (const char* var : unknown) {
    SCOPED_TRACE(var);
    hak_env_t e;
    std::string err;
    EXPECT_EQ(parse({var}, &e, &err), 1);
    expect_same(e, defaults());
    EXPECT_EQ(count_lines(err), 1u) << err;
    EXPECT_NE(err.find("unknown variable"), std::string::npos) << err;
  }
  // A long name is not truncated into a known one.
  std::string long_name = "HAKMEM_STATS" + std::string(100, 'X') + "=1";
  hak_env_t e;
  EXPECT_EQ(parse({long_name}, &e), 1);
  EXPECT_EQ(e.stats_at_exit, 0);
}

}  // namespace
