#include "hakmem/box/release/release.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static hak_release_policy_t g_policy = (hak_release_policy_t)HAK_CFG_RELEASE_POLICY;
static size_t g_retain_cap = (size_t)8 << 20;
static unsigned g_delay_ms = 500;

static int64_t g_retained[HAK_RETAINED_KINDS];
static int64_t g_in_use;

/* The sweeper's signal. */
enum { SWEEPER_NONE = 0, SWEEPER_STARTING, SWEEPER_RUNNING, SWEEPER_FAILED };
static int (*g_start)(void);
static int g_sweeper;
static int g_pending;
static uint64_t g_sweeps;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;

void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes, unsigned delay_ms) {
  g_policy = policy;
  g_retain_cap = retain_bytes;
  g_delay_ms = delay_ms;
}

hak_release_policy_t hak_release_policy(void) { return g_policy; }
size_t hak_release_retain_cap(void) { return g_retain_cap; }
unsigned hak_release_delay_ms(void) { return g_delay_ms; }

void hak_release_retained_add(hak_retained_kind_t kind, int64_t delta) {
  if (delta) __atomic_fetch_add(&g_retained[kind], delta, __ATOMIC_RELAXED);
}

void hak_release_in_use_add(int64_t delta) {
  if (delta) __atomic_fetch_add(&g_in_use, delta, __ATOMIC_RELAXED);
}

static size_t clamp0(int64_t v) { return v > 0 ? (size_t)v : 0; }

size_t hak_release_retained_of(hak_retained_kind_t kind) {
  return clamp0(__atomic_load_n(&g_retained[kind], __ATOMIC_RELAXED));
}

size_t hak_release_retained(void) {
  size_t sum = 0;
  for (int k = 0; k < HAK_RETAINED_KINDS; k++) sum += hak_release_retained_of((hak_retained_kind_t)k);
  return sum;
}

size_t hak_release_in_use(void) { return clamp0(__atomic_load_n(&g_in_use, __ATOMIC_RELAXED)); }

size_t hak_release_budget(void) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: {
      size_t b = hak_release_in_use() >> HAK_RELEASE_BUDGET_SHIFT;
      if (b < HAK_RELEASE_MIN_BUDGET) b = HAK_RELEASE_MIN_BUDGET;
      return b < g_retain_cap ? b : g_retain_cap;
    }
    default: return SIZE_MAX;
  }
}

int hak_release_keep(size_t more) {
  if (g_policy == HAK_RELEASE_SPEED) return 1;
  if (g_policy == HAK_RELEASE_LEAN) return 0;
  return hak_release_retained() + more <= hak_release_budget();
}

int hak_release_keep_region(unsigned spare_regions, size_t more) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: return spare_regions < 1 && hak_release_keep(more);
    default: return 1;
  }
}

int hak_release_eager(void) { return g_policy == HAK_RELEASE_LEAN; }

void hak_release_set_starter(int (*start)(void)) { __atomic_store_n(&g_start, start, __ATOMIC_RELEASE); }

void hak_release_after_free(void) {
  if (g_policy != HAK_RELEASE_BALANCED) return;
  if (__atomic_load_n(&g_pending, __ATOMIC_RELAXED)) return; /* a sweep is coming: no system call */
  if (hak_release_retained() <= hak_release_budget()) return;
  if (__atomic_exchange_n(&g_pending, 1, __ATOMIC_ACQ_REL)) return;
  int state = __atomic_load_n(&g_sweeper, __ATOMIC_ACQUIRE);
  if (state == SWEEPER_NONE) {
    int (*start)(void) = __atomic_load_n(&g_start, __ATOMIC_ACQUIRE);
    if (!start) {
      __atomic_store_n(&g_pending, 0, __ATOMIC_RELEASE);
      return;
    }
    if (!__atomic_compare_exchange_n(&g_sweeper, &state, SWEEPER_STARTING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return; /* another thread is starting it; it will see the request */
    /* The new thread waits for g_pending, already set. */
    __atomic_store_n(&g_sweeper, start() ? SWEEPER_RUNNING : SWEEPER_FAILED, __ATOMIC_RELEASE);
    return;
  }
  if (state != SWEEPER_RUNNING) return;
  pthread_mutex_lock(&g_lock);
  pthread_cond_signal(&g_cond);
  pthread_mutex_unlock(&g_lock);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void hak_release_wait_request(void) {
  pthread_mutex_lock(&g_lock);
  while (!__atomic_load_n(&g_pending, __ATOMIC_ACQUIRE)) pthread_cond_wait(&g_cond, &g_lock);
  pthread_mutex_unlock(&g_lock);
}

void hak_release_delay(void) {
  sleep_ms(g_delay_ms);
  /* Cleared before the sweep: memory retained during it asks for another one. */
  __atomic_store_n(&g_pending, 0, __ATOMIC_RELEASE);
}

void hak_release_sweep_done(void) {
  __atomic_fetch_add(&g_sweeps, 1, __ATOMIC_RELAXED);
  if (hak_release_retained() > hak_release_budget()) __atomic_store_n(&g_pending, 1, __ATOMIC_RELEASE);
}

uint64_t hak_release_sweeps(void) { return __atomic_load_n(&g_sweeps, __ATOMIC_RELAXED); }

void hak_release_fork_child(void) {
  pthread_mutex_init(&g_lock, NULL);
  pthread_cond_init(&g_cond, NULL);
  g_pending = 0;
  if (g_sweeper != SWEEPER_FAILED) g_sweeper = SWEEPER_NONE;
}
