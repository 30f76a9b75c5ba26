#!/usr/bin/env bash
# //bench:programs: programs.py with hakmem's libraries as Bazel built them (see programs.py).
set -euo pipefail
exec /usr/bin/python3 bench/programs/programs.py --lib-dir install "$@"
