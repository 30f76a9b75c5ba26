#define _GNU_SOURCE /* pthread_setname_np */
#include "hakmem/box/thread/thread.h"

#include <pthread.h>
#include <signal.h>

#include "hakmem/box/central/central.h"
#include "hakmem/box/env/env.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/release/release.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/stats/stats.h"
#include "hakmem/box/superslab/superslab.h"

static int g_ready;
static pthread_mutex_t g_init_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int t_initialising;

/* Lock order: every class lock, then large, then superslab (central takes superslab under its own). */
static void fork_prepare(void) {
  hak_central_fork_prepare();
  hak_large_fork_prepare();
  hak_ss_fork_prepare();
}

static void fork_parent(void) {
  hak_ss_fork_parent();
  hak_large_fork_parent();
  hak_central_fork_parent();
}

static void fork_child(void) {
  hak_ss_fork_child();
  hak_large_fork_child();
  hak_central_fork_child();
  hak_release_fork_child(); /* the sweeper did not survive the fork; started again on demand */
}

/* The sweeper (BALANCED): returns, after the release delay, what the boxes keep beyond the budget.
 * It never allocates; it takes the class locks, then large's, then superslab's, one at a time. */
static void* sweeper_main(void* unused) {
  (void)unused;
  for (;;) {
    hak_release_wait_request();
    hak_central_mark_idle(); /* a class with no refill during the delay is idle */
    hak_release_delay();
    hak_central_release();
    hak_large_release();
    hak_ss_release();
    hak_release_sweep_done();
  }
  return NULL;
}

/* Called by the release box, with no allocator lock held, the first time a sweep is needed. The
 * thread blocks every signal (they belong to the program's threads) and is detached. */
static int start_sweeper(void) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return 0;
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  int rc = pthread_create(&t, &attr, sweeper_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) return 0;
  pthread_setname_np(t, "hakmem-sweep");
  return 1;
}

void hak_thread_process_init(void) {
  if (HAK_LIKELY(__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE)) || t_initialising) return;
  pthread_mutex_lock(&g_init_lock);
  if (!g_ready) {
    t_initialising = 1;
    hak_env_init();
    const hak_env_t* env = hak_env();
    hak_report_set_mode(env->on_error);
    hak_release_configure(env->release, env->retain_bytes, env->release_delay_ms);
    hak_release_set_starter(start_sweeper);
    if (env->stats_at_exit) hak_stats_report_open();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    t_initialising = 0;
    __atomic_store_n(&g_ready, 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&g_init_lock);
}
