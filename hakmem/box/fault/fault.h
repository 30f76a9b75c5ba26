/* fault box (safe): a SIGSEGV handler that names the block a fault hit.
 *
 * safe puts an inaccessible guard page after every large block and keeps freed ones inaccessible
 * for a while (large box), and hands out malloc(0)'s blocks in an inaccessible region (zero box):
 * an overflow past the end or a use after free faults at once. This handler asks the large and
 * zero boxes whether the faulting address is such a place; if so it prints one
 * hakmem error line naming the block, puts back the action the process had before and returns, so
 * that the access faults again and the process dies of SIGSEGV as it would have. Any other fault
 * goes to the action the process had before hakmem's (its own handler, or the default); a handler
 * the program installs later replaces this one, as without hakmem. Installed once, at the first
 * large block or malloc(0). */
#ifndef HAKMEM_BOX_FAULT_H
#define HAKMEM_BOX_FAULT_H

#include "hakmem/config/profile.h"

/* Installs the handler once (safe; a no-op elsewhere). Thread-safe. */
HAK_HIDDEN void hak_fault_install(void);

#endif
