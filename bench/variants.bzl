"""The allocators and the benchmark variants: the one place to add or enable a variant.

A variant is a name in the runner's table, the allocator its workload binary links (a value of
//bench:allocator), the hakmem profile it is built with, and the shared library that --preload
mode puts in LD_PRELOAD.
"""

# allocator -> the deps that make a cc_binary use it (its select() branch in bench.bzl). Only the
# allocators of enabled VARIANTS are put in the select().
ALLOCATOR_DEPS = {
    "glibc": [],
    "mimalloc": ["@system//:mimalloc"],
    "tcmalloc": ["@system//:tcmalloc"],
    "jemalloc": ["@system//:jemalloc"],
    "hakmem": ["//hakmem:hakmem"],
    "floor": ["//bench/floor:floor_malloc"],
    "floor-stacks": ["//bench/floor:floor_stacks_malloc"],
    "floor-checks": ["//bench/floor:floor_checks_malloc"],
    "floor-hakmem": ["//bench/floor:floor_hakmem_malloc"],
    "floor-flat": ["//bench/floor:floor_flat_malloc"],
    "floor-radix": ["//bench/floor:floor_radix_malloc"],
    "call-only": ["//bench/floor:call_only_malloc"],
}

ALLOCATORS = ALLOCATOR_DEPS.keys()

_LIB = "@system//:lib/x86_64-linux-gnu/"

def variant(name, allocator, profile = None, preload = None):
    """One benchmark variant.

    Args:
      name: its name in tables and in --variants (e.g. "hakmem-fast").
      allocator: a key of ALLOCATOR_DEPS.
      profile: the hakmem profile (fast, balanced, safe, observe) to build with; None keeps the
        one from the command line (--config=NAME).
      preload: label of the shared library for --preload mode. Without one, --preload mode
        leaves the variant out, except glibc's, which runs with no LD_PRELOAD.
    """
    if allocator not in ALLOCATOR_DEPS:
        fail("variant %s: unknown allocator %s" % (name, allocator))
    return struct(name = name, allocator = allocator, profile = profile, preload = preload)

# The order here is the order of the table and of each interleaved round.
VARIANTS = [
    variant("glibc", "glibc"),
    variant("mimalloc", "mimalloc", preload = _LIB + "libmimalloc.so.2"),
    variant("tcmalloc", "tcmalloc", preload = _LIB + "libtcmalloc_minimal.so.4"),
    variant("jemalloc", "jemalloc", preload = _LIB + "libjemalloc.so.2"),
    variant("hakmem-fast", "hakmem", profile = "fast", preload = "//hakmem:libhakmem.so"),
    variant("hakmem-balanced", "hakmem", profile = "balanced", preload = "//hakmem:libhakmem.so"),
    variant("hakmem-safe", "hakmem", profile = "safe", preload = "//hakmem:libhakmem.so"),
]

# Not an allocator: the least work a malloc/free pair can do (bench/floor/floor.c), the ceiling of
# what an allocator's row can reach on a single-threaded workload of small blocks. Suites add it
# where that holds (mixed); on threads it is no ceiling (remote blocks stay with the thread that
# freed them, cache lines are shared), and above 8 KiB it is glibc.
FLOOR = variant("floor", "floor", preload = "//bench/floor:libfloor.so")

# The floor with pieces of hakmem-fast's fast-path work added (bench/floor/floor.c, "Ladder
# steps"): where hakmem's distance to the floor goes. floor-hakmem does all of that work;
# floor-flat does it with free's checks in one load from a flat table (a design to try), and
# floor-radix with the same table in two levels.
FLOOR_LADDER = [
    variant(name, name, preload = "//bench/floor:lib%s.so" % name.replace("-", "_"))
    for name in ("floor-stacks", "floor-checks", "floor-hakmem", "floor-flat", "floor-radix")
]

# Not an allocator either: malloc and free that only return (bench/floor/call_only.c, every small
# block the same), so its row is the workload loop and the calls alone, the ceiling of every row
# on mixed. The floor ladder only: no other workload may alias its blocks.
CALL_ONLY = variant("call-only", "call-only", preload = "//bench/floor:libcall_only.so")

# The variant the runner's "ratio" column divides by.
BASELINE = "mimalloc"
