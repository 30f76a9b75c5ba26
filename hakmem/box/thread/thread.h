/* thread box: the process-wide life cycle: one-time initialisation (environment snapshot, error
 * mode, release policy, the stats report's file descriptor, fork handlers) and fork safety (every
 * lock of central, superslab and large taken before fork and released or re-initialised after
 * it, so the child can allocate). The per-thread caches' own life cycle is the front box's. */
#ifndef HAKMEM_BOX_THREAD_H
#define HAKMEM_BOX_THREAD_H

#include "hakmem/config/profile.h"

/* Idempotent and thread-safe; a call made from inside the initialisation returns at once. */
HAK_HIDDEN void hak_thread_process_init(void);

#endif
