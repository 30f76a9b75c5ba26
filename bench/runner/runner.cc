// bench/runner/runner.cc: runs a suite's variants interleaved and prints one row per variant.
//
// Each round runs every selected variant once, in table order (A B C D, A B C D, ...), so slow
// drift of a shared, noisy machine hits all variants alike. A run is one child process: the
// workload prints one "RESULT ... mops=X" line (bench/workloads/workload.c); the runner reads it
// and the child's peak RSS from wait4(). A variant that crashes, times out or prints no RESULT
// line is reported after the table and makes the exit status 1; the other variants still run.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/runner/manifest.h"
#include "tools/cpp/runfiles/runfiles.h"

extern char** environ;

namespace {

using bazel::tools::cpp::runfiles::Runfiles;

const char kUsage[] =
    "usage: %s [runner flags] [workload flags] [-- more workload flags]\n"
    "Runs the variants of the '%s' benchmark interleaved and prints one row per variant.\n"
    "runner flags:\n"
    "  --runs R          rounds; each runs every variant once (default 5)\n"
    "  --warmup W        unrecorded rounds first (default 0)\n"
    "  --variants a,b    run only these variants, in this order (default: all)\n"
    "  --preload         run one workload binary with no allocator linked, under LD_PRELOAD of\n"
    "                    each variant's shared library (glibc: none; a variant with no\n"
    "                    library is left out)\n"
    "  --bin NAME=PATH   add a variant that runs the workload binary PATH (repeatable)\n"
    "  --baseline NAME   the variant the ratio column divides by (default %s)\n"
    "  --timeout S       seconds before a run is killed and its variant failed (default 300)\n"
    "  --csv FILE        one row per variant, with a header\n"
    "  --raw-csv FILE    one row per run\n"
    "  --png FILE        bar chart of median Mops/s, min-max error bars (needs gnuplot)\n"
    "  --list            print 'variant binary preload' for the selected variants and exit\n"
    "workload flags (passed to every variant): --ops N --ws W --seed S --min A --max B\n"
    "  --threads T, --seconds S (timed workloads); see `<workload> --help` for their defaults.\n"
    "Relative output paths are relative to the directory bazel run was started in.\n";

const char* const kWorkloadFlags[] = {"--ops", "--ws", "--seed", "--min", "--max", "--threads", "--seconds"};

struct Options {
  int runs = 5;
  int warmup = 0;
  bool preload = false;
  bool list = false;
  double timeout_s = 300;
  std::string baseline = kBenchBaseline;
  std::vector<std::string> only;                            // --variants
  std::vector<std::pair<std::string, std::string>> extra;   // --bin NAME=PATH
  std::string csv, raw_csv, png;
  std::vector<std::string> workload_args;
};

struct Variant {
  std::string name;
  std::string binary;   // what is executed
  std::string preload;  // LD_PRELOAD for it, empty for none
};

struct Run {
  bool ok = false;
  double mops = 0, seconds = 0;
  long maxrss_kib = 0;
  long minflt = 0;     // minor page faults of the child (ru_minflt): memory given back and touched again
  std::string params;  // the RESULT line's parameters (workload=... ops=... ...)
  std::string why;     // for a failed run: exit status, signal or missing RESULT, plus output tails
};

struct Stats {
  int n = 0;
  double median = 0, mean = 0, min = 0, max = 0, cv_pct = 0;
  long peak_rss_kib = 0;
  long minflt = 0;  // median over the runs
};

[[noreturn]] void Die(const std::string& msg) {
  fprintf(stderr, "bench: %s\n", msg.c_str());
  exit(2);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

long ParseLong(const std::string& flag, const std::string& v, long lo) {
  char* end;
  errno = 0;
  long x = strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < lo)
    Die(flag + " needs an integer >= " + std::to_string(lo) + ", got '" + v + "'");
  return x;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--") {
      o.workload_args.insert(o.workload_args.end(), argv + i + 1, argv + argc);
      break;
    }
    if (arg == "--help" || arg == "-h") {
      printf(kUsage, argv[0], kBenchSuite, kBenchBaseline);
      exit(0);
    }
    if (arg == "--preload") { o.preload = true; continue; }
    if (arg == "--list") { o.list = true; continue; }
    // Every other flag takes a value: "--flag value" or "--flag=value".
    std::string flag = arg, value;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Die("missing value after " + arg + " (see --help)");
    }
    if (std::find(std::begin(kWorkloadFlags), std::end(kWorkloadFlags), flag) !=
        std::end(kWorkloadFlags)) {
      o.workload_args.push_back(flag);
      o.workload_args.push_back(value);
    } else if (flag == "--runs") {
      o.runs = static_cast<int>(ParseLong(flag, value, 1));
    } else if (flag == "--warmup") {
      o.warmup = static_cast<int>(ParseLong(flag, value, 0));
    } else if (flag == "--timeout") {
      o.timeout_s = static_cast<double>(ParseLong(flag, value, 1));
    } else if (flag == "--variants") {
      o.only = Split(value, ',');
    } else if (flag == "--bin") {
      size_t at = value.find('=');
      if (at == 0 || at == std::string::npos || at + 1 == value.size())
        Die("--bin needs NAME=PATH, got '" + value + "'");
      o.extra.emplace_back(value.substr(0, at), value.substr(at + 1));
    } else if (flag == "--baseline") {
      o.baseline = value;
    } else if (flag == "--csv") {
      o.csv = value;
    } else if (flag == "--raw-csv") {
      o.raw_csv = value;
    } else if (flag == "--png") {
      o.png = value;
    } else {
      Die("unknown flag '" + flag + "' (see --help; workload flags after -- are passed as is)");
    }
  }
  return o;
}

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) Die("getcwd failed");
  return std::string(cwd) + "/" + path;
}

// Output files: relative to where the user ran `bazel run`, not to the runfiles directory.
std::string UserPath(const std::string& path) {
  const char* wd = getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || !wd || !*wd) return Absolute(path);
  return std::string(wd) + "/" + path;
}

std::vector<Variant> SelectVariants(const Options& o, const char* argv0) {
  std::string error;
  std::unique_ptr<Runfiles> rf(Runfiles::Create(argv0, &error));
  if (!rf) Die("cannot find the runfiles: " + error);
  auto resolve = [&](const char* rpath) {
    std::string p = rf->Rlocation(rpath);
    if (p.empty()) Die(std::string("not in the runfiles: ") + rpath);
    return Absolute(p);
  };
  std::vector<Variant> all;
  for (int i = 0; i < kBenchVariantCount; i++) {
    const BenchVariantSpec& s = kBenchVariants[i];
    if (o.preload && s.preloadable)
      all.push_back({s.name, resolve(kBenchPreloadBase), s.preload ? resolve(s.preload) : ""});
    else if (!o.preload)
      all.push_back({s.name, resolve(s.binary), ""});
  }
  for (const auto& [name, path] : o.extra) {
    for (const Variant& v : all)
      if (v.name == name) Die("--bin " + name + ": a variant of that name exists");
    all.push_back({name, Absolute(path), ""});
  }
  if (o.only.empty()) return all;
  std::vector<Variant> chosen;
  for (const std::string& name : o.only) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Variant& v) { return v.name == name; });
    if (it == all.end()) {
      std::string names;
      for (const Variant& v : all) names += " " + v.name;
      Die("no variant '" + name + "'" + (o.preload ? " with a --preload library" : "") +
          "; this suite has:" + names);
    }
    if (std::find_if(chosen.begin(), chosen.end(),
                     [&](const Variant& v) { return v.name == name; }) != chosen.end())
      Die("variant '" + name + "' given twice in --variants");
    chosen.push_back(*it);
  }
  return chosen;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[8192];
  lseek(fd, 0, SEEK_SET);
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

// The last max_lines lines of a child's output, each cut at 300 bytes and indented.
std::string Tail(const std::string& text, size_t max_lines, const std::string& indent) {
  std::vector<std::string> lines = Split(text, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); i++)
    out += "\n" + indent + lines[i].substr(0, 300);
  return out;
}

// A scratch file for a child's stdout or stderr: unlinked at once, rewound for every run.
int ScratchFile() {
  const char* dir = getenv("TEST_TMPDIR");
  if (!dir || !*dir) dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  std::string path = std::string(dir) + "/bench-runner-XXXXXX";
  int fd = mkstemp(&path[0]);
  if (fd < 0) Die("mkstemp in " + std::string(dir) + ": " + strerror(errno));
  unlink(path.c_str());
  return fd;
}

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs one variant once. SIGCHLD is blocked in the runner, so sigtimedwait() sleeps until the
// child ends or the timeout passes, without polling.
Run RunOnce(const Variant& v, const std::vector<std::string>& args, double timeout_s, int out_fd,
            int err_fd) {
  Run r;
  // The child inherits the file offsets: rewind as well as truncate.
  for (int fd : {out_fd, err_fd})
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) Die("cannot reset a scratch file");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(v.binary.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) Die(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    // Only the variant's own library: an LD_PRELOAD inherited from the caller would skew it.
    if (v.preload.empty()) unsetenv("LD_PRELOAD");
    else setenv("LD_PRELOAD", v.preload.c_str(), 1);
    execv(v.binary.c_str(), argv.data());
    fprintf(stderr, "exec %s: %s\n", v.binary.c_str(), strerror(errno));
    _exit(127);
  }

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  double deadline = Now() + timeout_s;
  bool timed_out = false;
  int status = 0;
  struct rusage ru;
  for (;;) {
    pid_t got = wait4(pid, &status, WNOHANG, &ru);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) Die(std::string("wait4: ") + strerror(errno));
    double left = timed_out ? 0.1 : deadline - Now();
    if (left <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);  // it ends at once; the next wait4 reaps it
      left = 0.1;
    }
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(left);
    ts.tv_nsec = static_cast<long>((left - static_cast<double>(ts.tv_sec)) * 1e9);
    sigtimedwait(&chld, nullptr, &ts);
  }
  r.maxrss_kib = ru.ru_maxrss;
  r.minflt = ru.ru_minflt;

  std::string out = ReadAll(out_fd), err = ReadAll(err_fd);
  if (timed_out) {
    r.why = "timed out after " + std::to_string(static_cast<long>(timeout_s)) + " s (killed)";
  } else if (WIFSIGNALED(status)) {
    r.why = "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
            strsignal(WTERMSIG(status)) + ")";
  } else if (WEXITSTATUS(status) != 0) {
    r.why = "exit status " + std::to_string(WEXITSTATUS(status));
  } else {
    // The last line "RESULT key=value ...", with mops= and seconds= among the keys.
    std::string line;
    bool found = false;
    for (const std::string& l : Split(out, '\n'))
      if (l.rfind("RESULT ", 0) == 0) line = l.substr(7), found = true;
    if (!found) {
      r.why = "exit status 0 but no RESULT line on stdout";
    } else {
      bool have_mops = false;
      for (const std::string& kv : Split(line, ' ')) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
        if (key == "mops") {
          r.mops = strtod(val.c_str(), nullptr);
          have_mops = true;
        } else if (key == "seconds") {
          r.seconds = strtod(val.c_str(), nullptr);
        } else if (key != "check") {
          r.params += (r.params.empty() ? "" : " ") + kv;
        }
      }
      r.ok = have_mops && r.mops > 0 && std::isfinite(r.mops);
      if (!r.ok) r.why = "RESULT line without a positive mops=: 'RESULT " + line + "'";
    }
  }
  if (!r.ok) {
    std::string e = Tail(err, 12, "      "), o = Tail(out, 4, "      ");
    if (!e.empty()) r.why += "\n    stderr tail:" + e;
    if (!o.empty()) r.why += "\n    stdout tail:" + o;
  }
  return r;
}

Stats Summarize(const std::vector<Run>& runs) {
  Stats s;
  std::vector<double> x;
  std::vector<long> faults;
  for (const Run& r : runs) {
    s.peak_rss_kib = std::max(s.peak_rss_kib, r.maxrss_kib);
    if (r.ok) x.push_back(r.mops), faults.push_back(r.minflt);
  }
  s.n = static_cast<int>(x.size());
  if (x.empty()) return s;
  std::sort(faults.begin(), faults.end());
  s.minflt = faults[faults.size() / 2];
  std::sort(x.begin(), x.end());
  size_t n = x.size();
  s.median = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  s.min = x.front();
  s.max = x.back();
  for (double v : x) s.mean += v;
  s.mean /= static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double v : x) ss += (v - s.mean) * (v - s.mean);
    s.cv_pct = std::sqrt(ss / static_cast<double>(n - 1)) / s.mean * 100;  // sample stddev
  }
  return s;
}

std::string Format(const char* fmt, double v) {
  char buf[64];
  snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Mops/s for the table: two decimals, or three significant digits for slow workloads
// (realloc_grow does a few thousand operations a second).
std::string Mops(double v) { return Format(v >= 0.01 ? "%.2f" : "%.3g", v); }

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

FILE* OpenOutput(const std::string& path) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) Die("cannot write " + path + ": " + strerror(errno));
  return f;
}

std::string GnuplotString(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '\n') {
      q += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// A bar per variant (median) with min-max error bars, through gnuplot's png terminal.
bool WritePng(const std::string& path, const std::string& title,
              const std::vector<Variant>& vars, const std::vector<Stats>& stats) {
  const char* tmp = getenv("TEST_TMPDIR");
  if (!tmp || !*tmp) tmp = getenv("TMPDIR");
  std::string dir_s = std::string(tmp && *tmp ? tmp : "/tmp") + "/bench-png-XXXXXX";
  if (!mkdtemp(&dir_s[0])) Die("mkdtemp failed");
  std::string data = dir_s + "/data", script = dir_s + "/plot.gp";
  FILE* d = OpenOutput(data);
  int bars = 0;
  for (size_t i = 0; i < vars.size(); i++) {
    if (stats[i].n == 0) continue;
    fprintf(d, "%s %.3f %.3f %.3f\n", GnuplotString(vars[i].name).c_str(), stats[i].median,
            stats[i].min, stats[i].max);
    bars++;
  }
  fclose(d);
  FILE* g = OpenOutput(script);
  fprintf(g,
          "set terminal png size %d,600 font \",11\"\n"
          "set output %s\n"
          "set title %s noenhanced\n"
          "set ylabel \"throughput, Mops/s (higher is better)\"\n"
          "set xlabel \"allocator\"\n"
          "set xtics noenhanced\n"
          "set key off\n"
          "set grid ytics\n"
          "set yrange [0:*]\n"
          "set offsets 0.5, 0.5, graph 0.08, 0\n"
          "set boxwidth 0.6\n"
          "set style fill solid 0.7 border -1\n"
          "plot %s using 0:2:xtic(1) with boxes lc rgb \"#4e79a7\", \\\n"
          "     '' using 0:2:3:4 with yerrorbars lc rgb \"black\" lw 1.5 pt 7 ps 0.6, \\\n"
          "     '' using 0:4:(sprintf(\"%%.1f\", $2)) with labels offset 0,1\n",
          std::max(640, 140 * bars + 200), GnuplotString(path).c_str(),
          GnuplotString(title).c_str(), GnuplotString(data).c_str());
  fclose(g);
  std::string cmd = "gnuplot " + script + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string msg;
  if (p) {
    char buf[512];
    while (fgets(buf, sizeof buf, p)) msg += buf;
  }
  int rc = p ? pclose(p) : -1;
  unlink(data.c_str());
  unlink(script.c_str());
  rmdir(dir_s.c_str());
  if (rc != 0) fprintf(stderr, "bench: gnuplot failed (%d): %s\n", rc, msg.c_str());
  return rc == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  std::vector<Variant> vars = SelectVariants(o, argv[0]);
  const char* mode = o.preload ? "preload" : "linked";

  if (o.list) {
    for (const Variant& v : vars)
      printf("%s\t%s\t%s\n", v.name.c_str(), v.binary.c_str(),
             v.preload.empty() ? "-" : v.preload.c_str());
    return 0;
  }
  for (const Variant& v : vars) {
    if (access(v.binary.c_str(), X_OK) != 0) Die(v.name + ": cannot execute " + v.binary);
    if (!v.preload.empty() && access(v.preload.c_str(), R_OK) != 0)
      Die(v.name + ": cannot read " + v.preload);
  }

  // SIGCHLD stays blocked so that RunOnce can sigtimedwait() for it.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  int out_fd = ScratchFile(), err_fd = ScratchFile();

  time_t start = time(nullptr);
  char date[64];
  strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&start));
  std::string args_text;
  for (const std::string& a : o.workload_args) args_text += " " + a;
  fprintf(stderr, "bench %s (%s): %zu variants x %d runs%s%s\n", kBenchSuite, mode, vars.size(),
          o.runs, args_text.empty() ? "" : ", workload flags:", args_text.c_str());

  std::vector<std::vector<Run>> runs(vars.size());
  std::vector<std::string> failure(vars.size());  // the first failure of each variant
  FILE* raw = o.raw_csv.empty() ? nullptr : OpenOutput(UserPath(o.raw_csv));
  if (raw) fprintf(raw, "suite,mode,variant,round,ok,seconds,mops,maxrss_kib,minor_faults\n");
  for (int round = -o.warmup; round < o.runs; round++) {
    std::string line;
    for (size_t i = 0; i < vars.size(); i++) {
      if (!failure[i].empty()) continue;  // a failed variant is not run again
      Run r = RunOnce(vars[i], o.workload_args, o.timeout_s, out_fd, err_fd);
      if (!r.ok) {
        failure[i] = (round < 0 ? "warm-up: " : "round " + std::to_string(round + 1) + ": ") + r.why;
        line += " " + vars[i].name + " FAILED";
      } else {
        line += " " + vars[i].name + " " + Mops(r.mops);
      }
      if (round < 0) continue;  // warm-up
      if (raw)
        fprintf(raw, "%s,%s,%s,%d,%d,%.6f,%.3f,%ld,%ld\n", kBenchSuite, mode,
                CsvField(vars[i].name).c_str(), round + 1, r.ok ? 1 : 0, r.seconds, r.mops,
                r.maxrss_kib, r.minflt);
      runs[i].push_back(std::move(r));
    }
    if (round < 0) fprintf(stderr, "  warm-up:%s\n", line.c_str());
    else fprintf(stderr, "  round %d/%d:%s\n", round + 1, o.runs, line.c_str());
  }
  if (raw) fclose(raw);

  std::vector<Stats> stats;
  std::string params;
  for (size_t i = 0; i < vars.size(); i++) {
    stats.push_back(Summarize(runs[i]));
    for (const Run& r : runs[i])
      if (params.empty() && r.ok) params = r.params;
  }
  if (params.empty()) params = "workload flags:" + (args_text.empty() ? " (defaults)" : args_text);
  const Stats* base = nullptr;
  for (size_t i = 0; i < vars.size(); i++)
    if (vars[i].name == o.baseline && stats[i].n > 0) base = &stats[i];

  std::string ratio_head = "vs_" + o.baseline;
  printf("# bench %s (%s) | %s | %d interleaved runs | %s\n", kBenchSuite, mode, params.c_str(),
         o.runs, date);
  printf("%-18s %5s %10s %10s %10s %10s %7s %12s %12s %10s\n", "variant", "runs", "median", "mean",
         "min", "max", "CV%", ratio_head.c_str(), "peakRSS_MiB", "minflt");
  for (size_t i = 0; i < vars.size(); i++) {
    const Stats& s = stats[i];
    std::string ratio = base && s.n ? Format("%.3f", s.median / base->median) : "-";
    if (s.n == 0) {
      printf("%-18s %5d %10s %10s %10s %10s %7s %12s %12s %10s\n", vars[i].name.c_str(), 0, "FAILED",
             "-", "-", "-", "-", "-", "-", "-");
      continue;
    }
    printf("%-18s %5d %10s %10s %10s %10s %7.2f %12s %12.1f %10ld%s\n", vars[i].name.c_str(), s.n,
           Mops(s.median).c_str(), Mops(s.mean).c_str(), Mops(s.min).c_str(), Mops(s.max).c_str(), s.cv_pct,
           ratio.c_str(), s.peak_rss_kib / 1024.0, s.minflt, failure[i].empty() ? "" : "  (failed later)");
  }
  printf("# Mops/s (million malloc+free per second) over the runs; CV%% = stddev / mean;\n"
         "# %s = median / %s's median; peakRSS_MiB = max over runs of the child's ru_maxrss;\n"
         "# minflt = median of the child's minor page faults (pages touched for the first time, or\n"
         "# again after the allocator gave them back)\n",
         ratio_head.c_str(), o.baseline.c_str());
  fflush(stdout);  // the table before any failure report on stderr

  if (!o.csv.empty()) {
    FILE* f = OpenOutput(UserPath(o.csv));
    fprintf(f,
            "suite,mode,variant,runs,median_mops,mean_mops,min_mops,max_mops,cv_pct,"
            "ratio_vs_baseline,baseline,peak_rss_mib,status,params,date,minor_faults\n");
    for (size_t i = 0; i < vars.size(); i++) {
      const Stats& s = stats[i];
      std::string ratio = base && s.n ? Format("%.4f", s.median / base->median) : "";
      fprintf(f, "%s,%s,%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s,%.2f,%s,%s,%s,%ld\n", kBenchSuite, mode,
              CsvField(vars[i].name).c_str(), s.n, s.median, s.mean, s.min, s.max, s.cv_pct,
              ratio.c_str(), CsvField(o.baseline).c_str(), s.peak_rss_kib / 1024.0,
              failure[i].empty() ? "ok" : "failed", CsvField(params).c_str(), date, s.minflt);
    }
    fclose(f);
  }

  int rc = 0;
  if (!o.png.empty()) {
    std::string title = "bench " + std::string(kBenchSuite) + " (" + mode + "): median of " +
                        std::to_string(o.runs) + " interleaved runs, bars min-max\n" + params +
                        "   " + date;
    if (!WritePng(UserPath(o.png), title, vars, stats)) rc = 1;
  }
  for (size_t i = 0; i < vars.size(); i++) {
    if (failure[i].empty()) continue;
    fprintf(stderr, "FAILED: variant %s (%s), %s\n", vars[i].name.c_str(), vars[i].binary.c_str(),
            failure[i].c_str());
    rc = 1;
  }
  return rc;
}
