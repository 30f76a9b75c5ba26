#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "hakmem/box/fault/fault.h"

#include <signal.h>
#include <stddef.h>

#include "hakmem/box/large/large.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/zero/zero.h"

static struct sigaction g_before; /* the process's action when hakmem's was installed */
static int g_installed;

static void on_segv(int sig, siginfo_t* info, void* context) {
  const void* block = NULL;
  size_t size = 0;
  int live = 0;
  hak_large_fault_kind_t kind = hak_large_fault((uintptr_t)info->si_addr, &block, &size);
  if (kind != HAK_LARGE_NO_FAULT || hak_zero_fault((uintptr_t)info->si_addr, &block, &live)) {
    if (kind != HAK_LARGE_NO_FAULT)
      hak_report_fault(kind == HAK_LARGE_OVERFLOW ? HAK_ERR_OVERFLOW : HAK_ERR_USE_AFTER_FREE, info->si_addr,
                       "large block", block, size);
    else /* malloc(0)'s block: any access is past its end, or after its free */
      hak_report_fault(live ? HAK_ERR_OVERFLOW : HAK_ERR_USE_AFTER_FREE, info->si_addr, "block", block, 0);
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGSEGV, &dfl, NULL); /* the access faults again and kills the process */
    return;
  }
  if ((g_before.sa_flags & SA_SIGINFO) && g_before.sa_sigaction) {
    g_before.sa_sigaction(sig, info, context);
  } else if (!(g_before.sa_flags & SA_SIGINFO) && g_before.sa_handler != SIG_DFL && g_before.sa_handler != SIG_IGN) {
    g_before.sa_handler(sig);
  } else {
    sigaction(SIGSEGV, &g_before, NULL); /* default: the access faults again, as without hakmem */
  }
}

void hak_fault_install(void) {
  if (!HAK_CFG_CHECK_FREE || __atomic_load_n(&g_installed, __ATOMIC_ACQUIRE)) return;
  if (__atomic_exchange_n(&g_installed, 1, __ATOMIC_ACQ_REL)) return;
  struct sigaction sa = {0};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_before);
}
