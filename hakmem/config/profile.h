/* hakmem/config/profile.h: the compile-time profile as constants.
 *
 * Exactly one of HAK_PROFILE_{FAST,BALANCED,SAFE,OBSERVE} is defined by //hakmem/config (from
 * --config=NAME). Each knob of knobs.def becomes HAK_CFG_<NAME>, a constant expression. */
#ifndef HAKMEM_CONFIG_PROFILE_H
#define HAKMEM_CONFIG_PROFILE_H

#if defined(HAK_PROFILE_FAST) + defined(HAK_PROFILE_BALANCED) + defined(HAK_PROFILE_SAFE) + \
        defined(HAK_PROFILE_OBSERVE) != 1
#error "exactly one HAK_PROFILE_* must be defined (build through Bazel with --config=PROFILE)"
#endif

#if defined(HAK_PROFILE_FAST)
#define HAK_PROFILE_NAME "fast"
#define HAK_KNOB(name, fast, balanced, safe, observe, doc) enum { HAK_CFG_##name = (fast) };
#elif defined(HAK_PROFILE_BALANCED)
#define HAK_PROFILE_NAME "balanced"
#define HAK_KNOB(name, fast, balanced, safe, observe, doc) enum { HAK_CFG_##name = (balanced) };
#elif defined(HAK_PROFILE_SAFE)
#define HAK_PROFILE_NAME "safe"
#define HAK_KNOB(name, fast, balanced, safe, observe, doc) enum { HAK_CFG_##name = (safe) };
#else
#define HAK_PROFILE_NAME "observe"
#define HAK_KNOB(name, fast, balanced, safe, observe, doc) enum { HAK_CFG_##name = (observe) };
#endif
#include "hakmem/config/knobs.def"
#undef HAK_KNOB

/* --config=valgrind (a build setting of its own, not a profile column): memcheck hears of every
 * block (valgrind.h). */
#ifdef HAK_VALGRIND
enum { HAK_CFG_VALGRIND = 1 };
#else
enum { HAK_CFG_VALGRIND = 0 };
#endif

/* Dependencies between knobs. */
_Static_assert(!HAK_CFG_VALGRIND || !HAK_CFG_CHECK_FREE, "the valgrind build is balanced's (safe writes canaries and poison into freed blocks)");
_Static_assert(HAK_CFG_RELEASE_POLICY >= 0 && HAK_CFG_RELEASE_POLICY <= 2, "release policy range");
_Static_assert(!HAK_CFG_POISON_FREE || HAK_CFG_CHECK_FREE, "poison checks need validated frees");
_Static_assert(!HAK_CFG_CANARY || HAK_CFG_CHECK_FREE, "canary checks need validated frees");
_Static_assert(!HAK_CFG_CHECK_FREE || HAK_CFG_CANARY, "validated frees keep a block's state in its canary word");

#define HAK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HAK_NOINLINE __attribute__((noinline))
#define HAK_INLINE static inline __attribute__((always_inline))
#define HAK_HIDDEN __attribute__((visibility("hidden")))
#define HAK_COLD __attribute__((cold, noinline))

#endif
