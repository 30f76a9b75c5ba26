"""Shared by tools/ab and tools/instr_per_op: build a bench suite with ./bazelw and find its runner.

The runner (//bench:<suite>, see bench/bench.bzl) knows the suite's variants: `runner --list`
prints one line per variant, 'name<TAB>binary<TAB>preload-library-or-"-"'.
"""
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg, code=2):
    print(f"{os.path.basename(sys.argv[0])}: {msg}", file=sys.stderr)
    sys.exit(code)


def split_dashdash(argv):
    """(own arguments, workload flags): everything after the first '--' goes to the workload."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def build_runner(bench, configs):
    """Builds //bench:<bench> with --config=<each of configs>; returns the runner's path."""
    flags = [f"--config={c}" for c in configs]
    bazelw = os.path.join(ROOT, "bazelw")
    print(f"building //bench:{bench} {' '.join(flags)}".rstrip(), file=sys.stderr)
    # Bazel's progress goes to our stderr; a failed build ends here.
    if subprocess.run([bazelw, "build", "--noshow_progress", f"//bench:{bench}"] + flags,
                      cwd=ROOT, stdout=sys.stderr).returncode != 0:
        die(f"./bazelw build //bench:{bench} failed", 1)
    info = subprocess.run([bazelw, "info", "bazel-bin"] + flags, cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    runner = os.path.join(info.stdout.strip(), "bench", bench)
    if info.returncode != 0 or not os.access(runner, os.X_OK):
        die(f"cannot find the runner at '{runner}'", 1)
    return runner


def list_variants(runner, preload=False, variants=None):
    """[(name, binary, preload or None)] as the runner would run them."""
    cmd = [runner, "--list"] + (["--preload"] if preload else [])
    if variants:
        cmd += ["--variants", variants]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        die(f"{' '.join(cmd)} failed", 1)
    rows = []
    for line in out.stdout.splitlines():
        name, binary, lib = line.split("\t")
        rows.append((name, binary, None if lib == "-" else lib))
    return rows


def summary(xs):
    """median, mean, CV % (sample standard deviation / mean), min, max of a list of numbers."""
    mean = statistics.fmean(xs)
    cv = statistics.stdev(xs) / mean * 100 if len(xs) > 1 and mean else 0.0
    return {"median": statistics.median(xs), "mean": mean, "cv": cv, "min": min(xs),
            "max": max(xs), "n": len(xs)}


def paired_ratios(raw_rows, baseline):
    """From the runner's --raw-csv rows: for each variant, the per-round ratios of its Mops/s to the
    baseline's in the same round (rounds where both runs succeeded). Their median is less sensitive
    to the machine's drift than the ratio of the two medians."""
    by_round = {}
    for r in raw_rows:
        if r["ok"] == "1":
            by_round.setdefault(r["round"], {})[r["variant"]] = float(r["mops"])
    ratios = {}
    for runs in by_round.values():
        base = runs.get(baseline)
        for variant, mops in runs.items():
            if base:
                ratios.setdefault(variant, []).append(mops / base)
    return ratios
