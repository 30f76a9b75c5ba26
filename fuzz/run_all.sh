#!/usr/bin/env bash
# Builds every fuzzer with --config=fuzz (libFuzzer + AddressSanitizer, safe profile) and runs
# each for SECONDS seconds on a copy of its seed corpus (fuzz/corpus/<name>/, never modified),
# with leak detection. Fails on any crash, leak, timeout, out-of-memory or sanitizer report.
#
#   bash fuzz/run_all.sh 60            every fuzzer, 60 s each, one after the other
#   bash fuzz/run_all.sh 600 NAME...   only the fuzzers named
#
# FUZZ_JOBS=N runs N fuzzers at a time (default 1). Logs and artifacts (crash-*, leak-*, ...) of a
# failing fuzzer are kept in the directory printed at the end; what it found is in its log.
set -euo pipefail

if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: bash fuzz/run_all.sh SECONDS [FUZZER...]" >&2
  exit 2
fi
seconds=$1
shift
all=(header_validation_fuzz free_routing_fuzz size_class_fuzz)
fuzzers=("${@:-${all[@]}}")
jobs=${FUZZ_JOBS:-1}

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"
labels=()
for f in "${fuzzers[@]}"; do labels+=("//fuzz:$f"); done
./bazelw build --config=fuzz "${labels[@]}"
bin=$(./bazelw info --config=fuzz bazel-bin 2>/dev/null)

work=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-fuzz.XXXXXX")
echo "fuzz: work directory $work"

run_one() {
  local f=$1 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -R "fuzz/corpus/$f/." "$dir/corpus/"
  # -close_fd_mask=2: the target's stderr (hakmem's report lines of the errors the fuzzers make on
  # purpose) is discarded; libFuzzer and the sanitizers keep their own copy of it.
  "$bin/fuzz/$f" "$dir/corpus" \
    -max_total_time="$seconds" -detect_leaks=1 -timeout=30 -rss_limit_mb=4096 -max_len=4096 \
    -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    >"$dir/log" 2>&1
}

failed=0
declare -A pid_of=()
names=()
for f in "${fuzzers[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$f" &
  pid_of[$f]=$!
  names+=("$f")
done

for f in "${names[@]}"; do
  rc=0
  wait "${pid_of[$f]}" || rc=$?
  log="$work/$f/log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  problems=$(grep -E -c 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: |fuzz check failed|deadly signal|out-of-memory|timeout' "$log" || true)
  artifacts=$(ls "$work/$f/artifacts" | wc -l)
  if [ "$rc" -ne 0 ] || [ "$problems" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    echo "fuzz: FAIL $f (exit $rc, ${runs:-?} runs, ${rate:-?} exec/s); log: $log"
    grep -E -m 20 -B2 -A20 'ERROR:|fuzz check failed|deadly signal|hakmem: error' "$log" || tail -n 40 "$log"
    failed=1
  else
    echo "fuzz: ok   $f: ${runs:-?} runs in ${seconds} s, ${rate:-?} exec/s"
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: failures; logs and artifacts kept in $work"
  exit 1
fi
rm -rf "$work"
echo "fuzz: all passed"
