#!/usr/bin/env python3
"""//bench:programs: real programs under LD_PRELOAD of each allocator, interleaved.

  ./bazelw run //bench:programs -- [--runs 5] [--programs perl,lua,...] [--variants a,b,...]
                                   [--csv FILE] [--png FILE] [--instr | --locality]
  bench/programs/programs.py [the same]     (from a checkout: builds hakmem's libraries itself)

Debian's programs on workloads this project generates, each under LD_PRELOAD of every variant
(glibc: none; mimalloc, tcmalloc, jemalloc: Debian's libraries; hakmem's fast, balanced and safe
libraries), one run of every variant per round:
  perl     a 150k-entry hash built, sorted, dropped (data/hashes.pl)
  lua      200k small tables a round, full collections (data/tables.lua)
  python   python3 with PYTHONMALLOC=malloc: a 200k-entry dict rebuilt (data/dicts.py)
  sqlite   sqlite3 in memory: 300k rows inserted, indexed, updated, deleted (data/rows.sql)
  git      git fast-import of a generated history (2000 files, 40 commits), repack -adf, log --stat
  g++      g++ -O1 of a generated C++ file of 12 functions over std containers and algorithms
  redis    redis-server on 127.0.0.1, driven by redis-benchmark (200k pipelined requests of each
           of 8 commands, random keys), then a generated load through redis-cli --pipe; it stops
           by itself (SHUTDOWN NOSAVE). The server runs under the allocator; the clients do not.
Every run's output (for redis: the load's replies, DBSIZE and DEBUG DIGEST) must equal glibc's.
Prints, per program and variant: the median CPU time (user + system) and its CV, the median wall
time, the median of the per-round CPU-time ratios to the best peer (the peer with the lowest
median) and to each peer, minor page faults, and peak RSS with its ratio to mimalloc's; then, per
hakmem variant, the geometric mean of the ratios to the best peer over the programs. --png draws
those ratios as grouped bars, one group per program (gnuplot).
--instr runs each variant once under valgrind --tool=callgrind and prints instruction totals
instead (exact: for decisions that noise would hide). --locality runs each variant once with
locality_preload.c in front of the allocator and prints how many distinct 4 KiB pages each 64
consecutive small allocations land on (fewer: what the program allocates in a row lies together,
as it will most likely walk it).
"""
import argparse
import csv
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools"))
import benchlib  # noqa: E402

DATA = os.path.join(HERE, "data")
LIB = "/usr/lib/x86_64-linux-gnu/"
PEERS = {"glibc": None, "mimalloc": LIB + "libmimalloc.so.2", "tcmalloc": LIB + "libtcmalloc_minimal.so.4",
         "jemalloc": LIB + "libjemalloc.so.2"}
HAKMEM = {"hakmem-fast": "libhakmem-fast.so", "hakmem-balanced": "libhakmem.so", "hakmem-safe": "libhakmem-safe.so"}
NAMES = ["perl", "lua", "python", "sqlite", "git", "g++", "redis"]


# ---- generated inputs ---------------------------------------------------------------------------

def write_git_stream(path):
    """A fast-import stream: 2000 files of generated lines, then 40 commits that each rewrite 150
    of them; fixed names and dates, so the history's hashes are the same every time."""
    rng = random.Random(1)
    words = ["alloc", "block", "slab", "page", "span", "cache", "free", "list", "bit", "map", "lock", "heap"]
    files = {f"src/d{i % 40}/f{i}.txt": [" ".join(rng.choice(words) for _ in range(8)) for _ in range(30 + i % 50)]
             for i in range(2000)}
    names = sorted(files)
    with open(path, "wb") as out:
        def data(b):
            out.write(b"data %d\n" % len(b) + b + b"\n")
        for c in range(40):
            out.write(b"commit refs/heads/main\n")
            out.write(b"committer hakmem <bench@hakmem> %d +0000\n" % (1700000000 + c * 60))
            data(b"commit %d" % c)
            changed = names if c == 0 else rng.sample(names, 150)
            for name in changed:
                if c:
                    lines = files[name]
                    for _ in range(5):
                        lines[rng.randrange(len(lines))] = " ".join(rng.choice(words) for _ in range(8))
                out.write(b"M 100644 inline " + name.encode() + b"\n")
                data(("\n".join(files[name]) + "\n").encode())


def write_cxx_source(path):
    """12 functions, each over its own element type: std::map, std::set, std::vector, strings,
    std::sort and std::unordered_map instantiated 12 times (g++'s own allocations)."""
    parts = ["#include <algorithm>\n#include <map>\n#include <set>\n#include <string>\n"
             "#include <unordered_map>\n#include <vector>\n"]
    for i in range(12):
        parts.append(f"""
struct T{i} {{ int a; std::string s; bool operator<(const T{i}& o) const {{ return a < o.a || (a == o.a && s < o.s); }} }};
int f{i}(int n) {{
  std::map<std::string, std::vector<T{i}>> m;
  std::unordered_map<int, T{i}> u;
  std::set<T{i}> s;
  for (int k = 0; k < n; k++) {{
    T{i} t{{k * {i + 1}, std::to_string(k)}};
    m[t.s].push_back(t);
    u.emplace(k, t);
    s.insert(t);
  }}
  std::vector<T{i}> v(s.begin(), s.end());
  std::sort(v.begin(), v.end(), [](const T{i}& x, const T{i}& y) {{ return y < x; }});
  return (int)(m.size() + u.size() + v.size()) + (v.empty() ? 0 : v.front().a);
}}
""")
    with open(path, "w") as f:
        f.write("".join(parts))


def write_redis_load(path):
    """redis-cli --pipe input: 120k commands over strings, hashes, lists, sets and sorted sets,
    some keys deleted again."""
    rng = random.Random(2)
    lines = []
    for i in range(120000):
        k = rng.randrange(20000)
        op = i % 6
        if op == 0:
            lines.append(f"SET s:{k} {'v' * (k % 90)}{i}")
        elif op == 1:
            lines.append(f"HSET h:{k % 3000} f{k} {i}")
        elif op == 2:
            lines.append(f"RPUSH l:{k % 500} {'x' * (k % 50)}{i}")
        elif op == 3:
            lines.append(f"SADD t:{k % 2000} m{k}")
        elif op == 4:
            lines.append(f"ZADD z:{k % 1000} {k} e{i}")
        else:
            lines.append(f"DEL s:{k}")
    with open(path, "w") as f:
        f.write("\r\n".join(lines) + "\r\n")


# ---- running one program once ------------------------------------------------------------------

class Run:
    def __init__(self, out, err, cpu, wall, minflt, maxrss):
        self.out, self.err, self.cpu, self.wall, self.minflt, self.maxrss = out, err, cpu, wall, minflt, maxrss


def environment(env_extra, lib, before):
    env = dict(os.environ, **env_extra)
    env.pop("LD_PRELOAD", None)
    preload = " ".join(x for x in (before, lib) if x)
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def spawn(cmd, env, cwd, out, err):
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)
    return pid


def run_plain(cmd, env, cwd):
    """One process (and what it waits for) to its end."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        pid = spawn(cmd, env, cwd, out, err)
        _, status, ru = os.wait4(pid, 0)
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        text, errs = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if status != 0:
        benchlib.die(f"{' '.join(cmd)} failed (status {status}): {errs[-500:]}", 1)
    return Run(text, errs, ru.ru_utime + ru.ru_stime, wall, ru.ru_minflt, ru.ru_maxrss)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cli(port, *args, stdin=None):
    r = subprocess.run(["redis-cli", "-p", str(port)] + list(args), stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=environment({}, None, None))
    return r.returncode, r.stdout


def run_redis(work, env, wrap):
    """The server under the allocator (env, wrapped by wrap), the clients without."""
    port = free_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", work, "--loglevel", "warning", "--enable-debug-command", "local"]
    cmd = (wrap or []) + cmd
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        pid = spawn(cmd, env, work, out, err)
        try:
            deadline = time.monotonic() + 120
            while redis_cli(port, "PING")[1].strip() != "PONG":
                if time.monotonic() > deadline or os.waitpid(pid, os.WNOHANG) != (0, 0):
                    err.seek(0)
                    benchlib.die(f"redis-server did not start: {err.read().decode(errors='replace')[-500:]}", 1)
                time.sleep(0.05)
            bench = subprocess.run(["redis-benchmark", "-p", str(port), "-q", "-n", "200000", "-c", "8", "-P", "16",
                                    "-r", "100000", "-t", "set,get,lpush,lpop,sadd,hset,zadd,lrange_100"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env=environment({}, None, None))
            if bench.returncode != 0:
                benchlib.die(f"redis-benchmark failed: {bench.stderr[-500:]}", 1)
            output = [redis_cli(port, "FLUSHALL")[1]]
            with open(os.path.join(work, "load.txt")) as load:
                output.append(redis_cli(port, "--pipe", stdin=load)[1])
            output.append(redis_cli(port, "DBSIZE")[1])
            output.append(redis_cli(port, "DEBUG", "DIGEST")[1])
            redis_cli(port, "SHUTDOWN", "NOSAVE")
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        _, status, ru = os.wait4(pid, 0)
        wall = time.monotonic() - t0
        err.seek(0)
        errs = err.read().decode(errors="replace")
    if status != 0:
        benchlib.die(f"redis-server exited with status {status}: {errs[-500:]}", 1)
    return Run("".join(output), errs, ru.ru_utime + ru.ru_stime, wall, ru.ru_minflt, ru.ru_maxrss)


def program(name, work):
    """(command, extra environment) of a program; its inputs are in DATA or written into work."""
    sh = ["/bin/sh", "-c"]
    if name == "perl":
        return ["/usr/bin/perl", os.path.join(DATA, "hashes.pl")], {}
    if name == "lua":
        return ["/usr/bin/lua5.4", os.path.join(DATA, "tables.lua")], {}
    if name == "python":
        return ["/usr/bin/python3", os.path.join(DATA, "dicts.py")], {"PYTHONMALLOC": "malloc"}
    if name == "sqlite":
        return ["/usr/bin/sqlite3", ":memory:", ".read " + os.path.join(DATA, "rows.sql")], {}
    if name == "git":
        return sh + ["set -e; rm -rf r; git init -q -b main r; cd r; git fast-import --quiet < ../git.stream; "
                     "git -c pack.threads=1 repack -adfq; git log --stat --format=%H | git hash-object --stdin; "
                     "git rev-parse HEAD"], {"HOME": work, "GIT_CONFIG_NOSYSTEM": "1"}
    if name == "g++":
        return sh + ["set -e; g++ -std=c++17 -O1 -c gen.cc -o gen.o; cksum < gen.o"], {}
    return None, {}  # redis: run_redis


def prepare(names, work):
    if "git" in names:
        write_git_stream(os.path.join(work, "git.stream"))
    if "g++" in names:
        write_cxx_source(os.path.join(work, "gen.cc"))
    if "redis" in names:
        write_redis_load(os.path.join(work, "load.txt"))
        for tool in ("redis-server", "redis-benchmark", "redis-cli"):
            if not shutil.which(tool):
                benchlib.die(f"{tool} not found (./bazelw installs redis-server and redis-tools)", 1)


def run_once(name, work, lib, wrap=None, before=None):
    cmd, extra = program(name, work)
    env = environment(extra, lib, before)
    if name == "redis":
        return run_redis(work, env, wrap)
    return run_plain((wrap or []) + cmd, env, work)


# ---- the libraries ------------------------------------------------------------------------------

def build_hakmem():
    """{variant: path of its library}, built with ./bazelw from the checkout."""
    bazelw = os.path.join(benchlib.ROOT, "bazelw")
    targets = ["//install:libhakmem_fast", "//install:libhakmem_balanced", "//install:libhakmem_safe"]
    print("building " + " ".join(targets), file=sys.stderr)
    if subprocess.run([bazelw, "build", "--noshow_progress"] + targets, cwd=benchlib.ROOT,
                      stdout=sys.stderr).returncode != 0:
        benchlib.die("./bazelw build failed", 1)
    info = subprocess.run([bazelw, "info", "bazel-bin"], cwd=benchlib.ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    d = os.path.join(info.stdout.strip(), "install")
    return {v: os.path.join(d, f) for v, f in HAKMEM.items()}


def main():
    p = argparse.ArgumentParser(prog="//bench:programs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--programs", default=",".join(NAMES), help="comma-separated (default all)")
    p.add_argument("--variants", default=",".join(list(PEERS) + list(HAKMEM)), help="comma-separated")
    p.add_argument("--csv", help="write the rows as CSV")
    p.add_argument("--png", help="bar chart of the CPU-time ratios to the best peer (needs gnuplot)")
    p.add_argument("--instr", action="store_true", help="callgrind instruction totals, one run each")
    p.add_argument("--locality", action="store_true", help="distinct pages per 64 small allocations, one run each")
    p.add_argument("--lib-dir", help="where hakmem's libraries are (//bench:programs passes it); "
                                     "without it they are built with ./bazelw")
    a = p.parse_args()
    programs, variants = a.programs.split(","), a.variants.split(",")
    for name in programs:
        if name not in NAMES:
            benchlib.die(f"unknown program '{name}' (known: {', '.join(NAMES)})")
    for v in variants:
        if v not in PEERS and v not in HAKMEM:
            benchlib.die(f"unknown variant '{v}' (known: {', '.join(list(PEERS) + list(HAKMEM))})")
    if a.runs < 1:
        p.error("--runs must be >= 1")
    if a.instr and a.locality:
        p.error("--instr or --locality, not both")
    libs = dict(PEERS)
    if any(v in HAKMEM for v in variants):
        d = os.path.abspath(a.lib_dir) if a.lib_dir else None  # the programs run in a temporary directory
        libs.update({v: os.path.join(d, f) for v, f in HAKMEM.items()} if d else build_hakmem())
    for v in variants:
        if libs[v] and not os.path.exists(libs[v]):
            benchlib.die(f"{v}: no library at {libs[v]} (bazelw installs the peers' packages)", 1)
    out_dir = os.environ.get("BUILD_WORKING_DIRECTORY", os.getcwd())  # bazel run: where it was started
    with tempfile.TemporaryDirectory(prefix="hakmem-programs-") as work:
        prepare(programs, work)
        expected = {name: run_once(name, work, None).out for name in programs}
        if a.locality:
            locality(programs, variants, libs, work, expected)
        elif a.instr:
            instructions(programs, variants, libs, work, expected)
        else:
            rows = timed(programs, variants, libs, work, expected, a.runs,
                         os.path.join(out_dir, a.csv) if a.csv else None)
            if a.png:
                chart(rows, programs, variants, a.runs, os.path.join(out_dir, a.png), work)


def checked(name, v, run, expected):
    if "cannot be preloaded" in run.err:  # ld.so goes on without the library: not this variant
        benchlib.die(f"{name} under {v}: the library was not preloaded: {run.err[-300:]}", 1)
    if run.out != expected[name]:
        benchlib.die(f"{name} under {v}: output differs from glibc's", 1)
    return run


def locality(programs, variants, libs, work, expected):
    shim = os.path.join(work, "locality_preload.so")
    src = os.path.join(HERE, "locality_preload.c")
    if subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", shim, src, "-ldl"]).returncode != 0:
        benchlib.die(f"cc could not build {src}", 1)
    print(f"{'program':<8} {'variant':<16} {'pages_per_64':>12} {'windows':>10}")
    for name in programs:
        for v in variants:
            run = checked(name, v, run_once(name, work, libs[v], before=shim), expected)
            line = next((l.split() for l in run.err.splitlines() if l.startswith("locality: ")), None)
            if not line:
                benchlib.die(f"{name} under {v}: no locality line on stderr", 1)
            print(f"{name:<8} {v:<16} {float(line[1]):>12.2f} {int(line[2]):>10}")


def instructions(programs, variants, libs, work, expected):
    print(f"{'program':<8} {'variant':<16} {'instructions':>15} {'vs_glibc':>9}")
    for name in programs:
        base = None
        for v in variants:
            run = checked(name, v, run_once(name, work, libs[v], ["valgrind", "--tool=callgrind",
                                                                  "--trace-children=yes",
                                                                  "--callgrind-out-file=/dev/null"]), expected)
            instr = sum(int(l.split()[-1].replace(",", "")) for l in run.err.splitlines() if "Collected" in l)
            base = base or instr
            print(f"{name:<8} {v:<16} {instr:>15,} {instr / base:>9.3f}")


def timed(programs, variants, libs, work, expected, runs, csv_path):
    cpu = {(n, v): [] for n in programs for v in variants}
    wall = {(n, v): [] for n in programs for v in variants}
    faults = {(n, v): [] for n in programs for v in variants}
    rss = {(n, v): 0 for n in programs for v in variants}
    for r in range(runs):
        for name in programs:
            for v in variants:
                run = checked(name, v, run_once(name, work, libs[v]), expected)
                cpu[name, v].append(run.cpu)
                wall[name, v].append(run.wall)
                faults[name, v].append(run.minflt)
                rss[name, v] = max(rss[name, v], run.maxrss)
        print(f"  round {r + 1}/{runs} done", file=sys.stderr)

    peers = [v for v in variants if v in PEERS]
    rows, to_best = [], {v: [] for v in variants}
    print(f"# //bench:programs --runs {runs}: CPU seconds (user + sys) and wall seconds, medians; vs_best and "
          "vs_<peer> = median of the per-round ratios of CPU time")
    print(f"{'program':<8} {'variant':<16} {'cpu_s':>7} {'CV%':>6} {'wall_s':>7} {'vs_best':>8} {'best':>9} "
          + "".join(f"{'vs_' + q:>12}" for q in peers) + f" {'minflt':>8} {'peakRSS_MiB':>11} {'RSS_vs_mi':>9}")
    for name in programs:
        best = min(peers, key=lambda q: statistics.median(cpu[name, q])) if peers else None
        for v in variants:
            s = benchlib.summary(cpu[name, v])
            ratio = {q: statistics.median(x / y for x, y in zip(cpu[name, v], cpu[name, q])) for q in peers}
            if best:
                to_best[v].append(ratio[best])
            mi = rss.get((name, "mimalloc"))
            row = {"program": name, "variant": v, "cpu_s": s["median"], "cv_pct": s["cv"],
                   "wall_s": statistics.median(wall[name, v]), "vs_best": ratio[best] if best else float("nan"),
                   "best": best or ""}
            row.update({f"vs_{q}": ratio[q] for q in peers})
            row.update({"minflt": statistics.median(faults[name, v]), "peak_rss_mib": rss[name, v] / 1024,
                        "rss_vs_mimalloc": rss[name, v] / mi if mi else float("nan")})
            rows.append(row)
            print(f"{name:<8} {v:<16} {s['median']:>7.3f} {s['cv']:>6.2f} {row['wall_s']:>7.3f} "
                  f"{row['vs_best']:>8.3f} {best or '-':>9} " + "".join(f"{ratio[q]:>12.3f}" for q in peers)
                  + f" {row['minflt']:>8.0f} {row['peak_rss_mib']:>11.1f} {row['rss_vs_mimalloc']:>9.3f}")
    print("# geometric mean of vs_best over the programs:")
    for v in variants:
        if to_best[v]:
            print(f"#   {v:<16} {math.exp(statistics.fmean(math.log(x) for x in to_best[v])):.3f}")
    if csv_path:
        with open(csv_path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return rows


def chart(rows, programs, variants, runs, path, work):
    """Grouped bars: per program, each variant's CPU-time ratio to the best peer (lower is better)."""
    data, script = os.path.join(work, "chart.dat"), os.path.join(work, "chart.gp")
    ratio = {(r["program"], r["variant"]): r["vs_best"] for r in rows}
    with open(data, "w") as f:
        f.write("program " + " ".join(f'"{v}"' for v in variants) + "\n")
        for n in programs:
            f.write(f'"{n}" ' + " ".join(f"{ratio[n, v]:.3f}" for v in variants) + "\n")
    with open(script, "w") as g:
        g.write(f"""set terminal png size {max(800, 110 * len(programs) * len(variants) // 3 + 200)},600 font ",11"
set output "{path}"
set title "//bench:programs --runs {runs}: CPU time / best peer's (median of per-round ratios; lower is better)" noenhanced
set ylabel "CPU time / best peer's"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top left noenhanced
set xtics noenhanced
set grid ytics
set yrange [0:*]
plot "{data}" using 2:xtic(1) title columnheader(2)""")
        for i in range(3, len(variants) + 2):
            g.write(f", '' using {i} title columnheader({i})")
        g.write("\n")
    r = subprocess.run(["gnuplot", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        benchlib.die(f"gnuplot failed: {r.stdout[-500:]}", 1)
    print(f"# chart: {path}")


if __name__ == "__main__":
    main()
