/* hakmem/config/valgrind.h: what valgrind's memcheck is told in the valgrind build
 * (--config=valgrind, HAK_CFG_VALGRIND); every macro is empty in the other builds.
 *
 * A block is "malloc-like" (its usable size) from the moment the thread cache hands it to the
 * program until the program frees it; then "free-like" (no access: memcheck reports a use after
 * free, and the program's unfreed blocks as leaks at exit). hakmem keeps nothing in a freed block.
 * Memory never handed to the program (metadata, uncarved blocks, a thread cache's storage) is not
 * described and stays accessible. */
#ifndef HAKMEM_CONFIG_VALGRIND_H
#define HAKMEM_CONFIG_VALGRIND_H

#include "hakmem/config/profile.h"

#ifdef HAK_VALGRIND
#include <valgrind/memcheck.h>
#define HAK_VG_MALLOC(p, size) VALGRIND_MALLOCLIKE_BLOCK((p), (size), 0, 0)
#define HAK_VG_FREE(p) VALGRIND_FREELIKE_BLOCK((p), 0)
#define HAK_VG_DEFINED(p, size) VALGRIND_MAKE_MEM_DEFINED((p), (size))
#define HAK_VG_UNDEFINED(p, size) VALGRIND_MAKE_MEM_UNDEFINED((p), (size))
#define HAK_VG_NOACCESS(p, size) VALGRIND_MAKE_MEM_NOACCESS((p), (size))
#else
#define HAK_VG_MALLOC(p, size) ((void)0)
#define HAK_VG_FREE(p) ((void)0)
#define HAK_VG_DEFINED(p, size) ((void)0)
#define HAK_VG_UNDEFINED(p, size) ((void)0)
#define HAK_VG_NOACCESS(p, size) ((void)0)
#endif

#endif
