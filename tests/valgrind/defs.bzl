"""valgrind_build: a binary built in the valgrind build (balanced, memcheck told of every block),
whatever --config the test run uses."""

def _transition_impl(settings, attr):
    return {"//hakmem/config:profile": "balanced", "//hakmem/config:valgrind": "on"}

_valgrind_transition = transition(
    implementation = _transition_impl,
    inputs = [],
    outputs = ["//hakmem/config:profile", "//hakmem/config:valgrind"],
)

def _impl(ctx):
    dep = ctx.attr.binary[0] if type(ctx.attr.binary) == "list" else ctx.attr.binary
    exe = dep[DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = exe, is_executable = True)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

valgrind_build = rule(
    implementation = _impl,
    executable = True,
    attrs = {
        "binary": attr.label(cfg = _valgrind_transition, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
