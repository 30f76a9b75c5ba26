#!/usr/bin/env bash
# ./bazelw run //:install -- --prefix DIR: installs hakmem for use without Bazel:
#   DIR/lib/libhakmem.so (balanced), DIR/lib/libhakmem-{fast,safe,observe}.so, DIR/lib/libhakmem.a,
#   DIR/include/hakmem.h, DIR/lib/pkgconfig/hakmem.pc, DIR/bin/hakmem (the launcher).
set -euo pipefail
VERSION=0.1.0

usage() { echo "usage: bazel run //:install -- --prefix DIR" >&2; exit 2; }
prefix=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) usage ;;
    *) echo "install: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$prefix" ] || usage

# The files, from this program's runfiles.
here=${RUNFILES_DIR:-$0.runfiles}/hakmem
[ -d "$here/install" ] || here=$(cd "$(dirname "$0")/.." && pwd)  # run from the runfiles tree itself
src() { [ -f "$here/$1" ] || { echo "install: $1 is missing from the build" >&2; exit 1; }; echo "$here/$1"; }

# A relative prefix is relative to where the user ran bazel.
case $prefix in
  /*) ;;
  *) prefix=${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix ;;
esac
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include" "$prefix/bin"
prefix=$(cd "$prefix" && pwd)

for lib in libhakmem.so libhakmem-fast.so libhakmem-safe.so libhakmem-observe.so libhakmem.a; do
  install -m 0644 "$(src "install/$lib")" "$prefix/lib/$lib"
done
install -m 0644 "$(src hakmem/include/hakmem.h)" "$prefix/include/hakmem.h"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$VERSION|g" "$(src install/hakmem.pc.in)" >"$prefix/lib/pkgconfig/hakmem.pc"
sed -e "s|@LIBDIR@|$prefix/lib|g" "$(src install/hakmem.in)" >"$prefix/bin/hakmem"
chmod 0755 "$prefix/bin/hakmem"
echo "hakmem $VERSION installed in $prefix:"
echo "  LD_PRELOAD:  $prefix/bin/hakmem [--profile fast|balanced|safe|observe] -- PROGRAM ARGS"
echo "  linking:     cc prog.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs hakmem)"
