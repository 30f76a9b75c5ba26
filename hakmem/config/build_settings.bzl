"""The build settings that select hakmem's profile and the allocator a benchmark links."""

def _string_flag_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("%s: '%s' is not one of %s" % (ctx.label, value, ", ".join(ctx.attr.values)))
    return []

string_flag = rule(
    implementation = _string_flag_impl,
    build_setting = config.string(flag = True),
    attrs = {"values": attr.string_list(mandatory = True)},
    doc = "A string build setting restricted to a list of values.",
)
