"""The files `bazel run //:install` copies: each profile's libhakmem.so and the default profile's
static archive, built through a transition so that one build makes them all whatever --config says."""

_PROFILE = "//hakmem/config:profile"

def _profile_transition_impl(settings, attr):
    return {_PROFILE: attr.profile}

_profile_transition = transition(
    implementation = _profile_transition_impl,
    inputs = [],
    outputs = [_PROFILE],
)

def _one(dep):
    # Bazel 4 gives a list for an attribute with a Starlark transition, even a 1:1 one.
    return dep[0] if type(dep) == "list" else dep

def _shared_lib_impl(ctx):
    files = _one(ctx.attr.lib)[DefaultInfo].files.to_list()
    if len(files) != 1:
        fail("%s: expected one shared library, got %s" % (ctx.label, files))
    out = ctx.actions.declare_file(ctx.attr.out)
    ctx.actions.symlink(output = out, target_file = files[0])
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

hakmem_shared_lib = rule(
    doc = "libhakmem.so built in one profile, as `out`.",
    implementation = _shared_lib_impl,
    attrs = {
        "lib": attr.label(cfg = _profile_transition, default = "//hakmem:libhakmem.so"),
        "profile": attr.string(mandatory = True),
        "out": attr.string(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def _static_lib_impl(ctx):
    # Every archive and object the library links, merged into one archive: linking it replaces
    # malloc in the program as //hakmem:hakmem does in a Bazel build.
    inputs = []
    for linker_input in _one(ctx.attr.lib)[CcInfo].linking_context.linker_inputs.to_list():
        for lib in linker_input.libraries:
            f = lib.pic_static_library or lib.static_library
            if f:
                inputs.append(f)
    out = ctx.actions.declare_file(ctx.attr.out)
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [out],
        command = """
set -euo pipefail
out=$(realpath -m "$1"); shift
work=$(mktemp -d)
n=0
for a in "$@"; do
  n=$((n + 1)); mkdir "$work/$n"
  (cd "$work/$n" && ar x "$(realpath "$OLDPWD/$a")")
  for o in "$work/$n"/*.o; do mv "$o" "$work/$n-$(basename "$o")"; done
done
rm -f "$out"
ar rcs "$out" "$work"/*.o
rm -rf "$work"
""",
        arguments = [out.path] + [f.path for f in inputs],
        mnemonic = "HakmemArchive",
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

hakmem_static_lib = rule(
    doc = "//hakmem:hakmem built in one profile, as one static archive `out`.",
    implementation = _static_lib_impl,
    attrs = {
        "lib": attr.label(cfg = _profile_transition, default = "//hakmem:hakmem", providers = [CcInfo]),
        "profile": attr.string(mandatory = True),
        "out": attr.string(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
