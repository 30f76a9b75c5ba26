"""Test macros: the allocator tests that build twice (prefixed API and drop-in)."""

# -fno-builtin: the compiler must not remove allocations or fold what malloc returns (it may turn
# `malloc(n) != NULL` into `true` when the block is otherwise unused): every call reaches hakmem.
TEST_COPTS = [
    "-std=c++17",
    "-fno-builtin",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
]

def hak_dual_test(name, srcs, deps = [], copts = [], size = "medium", tags = [], **kwargs):
    """Builds name_api (hak_* functions, //hakmem:api; also under --config=asan) and name_dropin
    (the libc names, //hakmem:hakmem replacing the process's malloc; tagged no_asan)."""
    native.cc_test(
        name = name + "_api",
        srcs = srcs,
        copts = TEST_COPTS + copts,
        size = size,
        tags = tags,
        deps = deps + [
            "//tests/common:alloc_api_hak",
            "@system//:gtest_main",
        ],
        **kwargs
    )
    native.cc_test(
        name = name + "_dropin",
        srcs = srcs,
        copts = TEST_COPTS + copts,
        size = size,
        tags = tags + ["no_asan"],
        deps = deps + [
            "//tests/common:alloc_api_dropin",
            "@system//:gtest_main",
        ],
        **kwargs
    )
