"""Common settings for the boxes: every box is a cc_library built with these."""

# -fno-builtin: the compiler must not turn code inside the allocator into calls to malloc/calloc
# (memset after malloc becomes calloc at -O2: infinite recursion). Internals are hidden; only
# hakmem/include/hakmem.h and the libc names are exported.
HAK_COPTS = [
    "-std=gnu11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-fno-builtin-malloc",
    "-fno-builtin-calloc",
    "-fno-builtin-realloc",
    "-fno-builtin-free",
    "-fvisibility=hidden",
    "-ftls-model=initial-exec",
    "-fno-plt",
    # The fast paths are leaf functions: a frame pointer costs two instructions per call.
    "-fomit-frame-pointer",
]

def hak_box(name, srcs = [], hdrs = [], deps = [], visibility = None, **kwargs):
    """One box: a cc_library named after its directory, including the profile constants."""
    native.cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        copts = HAK_COPTS,
        deps = deps + ["//hakmem/config"],
        visibility = visibility or ["//hakmem:__subpackages__", "//tests:__subpackages__", "//fuzz:__subpackages__"],
        linkstatic = True,
        **kwargs
    )
