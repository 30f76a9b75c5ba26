#include "hakmem/box/thread/thread.h"

#include <pthread.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/env/env.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/superslab/superslab.h"
#include "hakmem/box/zero/zero.h"

static int g_ready;
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int t_initialising;

/* Lock order: every class lock, then large, then superslab (central takes superslab under its own), then zero. */
static void fork_prepare(void) {
  hak_central_fork_prepare();
  hak_large_fork_prepare();
  hak_ss_fork_prepare();
  hak_zero_fork_prepare();
}

static void fork_parent(void) {
  hak_zero_fork_parent();
  hak_ss_fork_parent();
  hak_large_fork_parent();
  hak_central_fork_parent();
}

static void fork_child(void) {
  hak_zero_fork_child();
  hak_ss_fork_child();
  hak_large_fork_child();
  hak_central_fork_child();
}

void hak_thread_process_init(void) {
  if (HAK_LIKELY(__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE)) || t_initialising) return;
  pthread_mutex_lock(&g_init_lock);
  if (!g_ready) {
    t_initialising = 1;
    hak_env_init();
    const hak_env_t* env = hak_env();
    hak_report_set_mode(env->on_error);
    hak_release_configure(env->release, env->retain_bytes);
    if (env->stats_at_exit) hak_stats_report_open();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    t_initialising = 0;
    __atomic_store_n(&g_ready, 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_init_lock);
}
