#include "hakmem/box/release/release.h"

#include <time.h>

static hak_release_policy_t g_policy = (hak_release_policy_t)HAK_CFG_RELEASE_POLICY;
static size_t g_retain_cap = (size_t)8 << 20;

static int64_t g_retained[HAK_RETAINED_KINDS];
static int64_t g_in_use;

void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes) {
  g_policy = policy;
  g_retain_cap = retain_bytes;
  hak_release_forget(); /* a policy starts with no history */
}

hak_release_policy_t hak_release_policy(void) { return g_policy; }
size_t hak_release_retain_cap(void) { return g_retain_cap; }

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

/* ---- hold ----------------------------------------------------------------------------------
 * Relaxed atomics, updated at system-call frequency (never on a fast path). Concurrent decays may
 * lose an update: a heuristic, not an account. */
static int64_t g_hold;     /* bytes BALANCED keeps beyond its budget */
static int64_t g_returned; /* bytes given back and not yet asked for again */
static uint64_t g_decayed_ms; /* when the two were last halved, or memory last came back */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void halve(int64_t* v, unsigned times) {
  int64_t x = __atomic_load_n(v, __ATOMIC_RELAXED);
  __atomic_store_n(v, times >= 63 ? 0 : x >> times, __ATOMIC_RELAXED);
}

static void decay(uint64_t now) {
  uint64_t then = __atomic_load_n(&g_decayed_ms, __ATOMIC_RELAXED);
  if (now < then + HAK_RELEASE_HOLD_HALF_LIFE_MS) return;
  if (!__atomic_compare_exchange_n(&g_decayed_ms, &then, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return;
  uint64_t times = then ? (now - then) / HAK_RELEASE_HOLD_HALF_LIFE_MS : 0; /* the first call starts the clock */
  if (!times) return;
  unsigned t = times > 63 ? 63 : (unsigned)times;
  halve(&g_hold, t);
  halve(&g_returned, t);
}

/* The hold's bound: HAK_RELEASE_HOLD_FACTOR x the retain cap, or what is in use when that is
 * more (a program cycling through a large working set comes back for all of it); nothing when the
 * retain cap is 0. */
static size_t hold_max(void) {
  size_t cap = g_retain_cap * HAK_RELEASE_HOLD_FACTOR, in_use = hak_release_in_use();
  return g_retain_cap && in_use > cap ? in_use : cap;
}

void hak_release_returned_at(size_t bytes, uint64_t now) {
  if (g_policy != HAK_RELEASE_BALANCED || !bytes) return;
  decay(now);
  __atomic_fetch_add(&g_returned, (int64_t)bytes, __ATOMIC_RELAXED);
}

void hak_release_committed_at(size_t bytes, uint64_t now) {
  if (g_policy != HAK_RELEASE_BALANCED || !bytes) return;
  decay(now);
  int64_t back = __atomic_load_n(&g_returned, __ATOMIC_RELAXED);
  if (back <= 0) return;
  int64_t regret = (int64_t)bytes < back ? (int64_t)bytes : back;
  __atomic_fetch_sub(&g_returned, regret, __ATOMIC_RELAXED);
  /* The program is still coming back for memory: the hold's half-life starts again. */
  __atomic_store_n(&g_decayed_ms, now, __ATOMIC_RELAXED);
  int64_t hold = __atomic_add_fetch(&g_hold, regret, __ATOMIC_RELAXED);
  if (hold > (int64_t)hold_max()) __atomic_store_n(&g_hold, (int64_t)hold_max(), __ATOMIC_RELAXED);
}

void hak_release_returned(size_t bytes) {
  if (g_policy == HAK_RELEASE_BALANCED && bytes) hak_release_returned_at(bytes, now_ms());
}

void hak_release_committed(size_t bytes) {
  if (g_policy == HAK_RELEASE_BALANCED && bytes) hak_release_committed_at(bytes, now_ms());
}

void hak_release_reused_at(uint64_t now) {
  if (g_policy != HAK_RELEASE_BALANCED || __atomic_load_n(&g_hold, __ATOMIC_RELAXED) <= 0) return;
  decay(now);
  __atomic_store_n(&g_decayed_ms, now, __ATOMIC_RELAXED);
}

void hak_release_reused(void) {
  if (g_policy == HAK_RELEASE_BALANCED) hak_release_reused_at(now_ms());
}

size_t hak_release_hold_at(uint64_t now) {
  if (g_policy != HAK_RELEASE_BALANCED) return 0;
  decay(now);
  return clamp0(__atomic_load_n(&g_hold, __ATOMIC_RELAXED));
}

void hak_release_forget(void) {
  __atomic_store_n(&g_hold, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&g_returned, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&g_decayed_ms, 0, __ATOMIC_RELAXED); /* the next report starts the clock */
}

size_t hak_release_budget(void) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: {
      /* The hold counts as memory in use for the budget's share: what a program cycles through
       * is in use for most of its cycle, and when it is dropped the share it earned would go with
       * it (a dropped python dict left 94 MiB retained against a hold of 89 that its return had
       * earned, and its second drop was faulted back in as well). */
      size_t hold = clamp0(__atomic_load_n(&g_hold, __ATOMIC_RELAXED)), in_use = hak_release_in_use();
      size_t b = (in_use > hold ? in_use : hold) >> HAK_RELEASE_BUDGET_SHIFT;
      if (b < HAK_RELEASE_MIN_BUDGET) b = HAK_RELEASE_MIN_BUDGET;
      if (b > g_retain_cap) b = g_retain_cap;
      return b + hold;
    }
    default: return SIZE_MAX;
  }
}

/* Free large spans are not counted here: the large box keeps them by its own rule
 * (hak_release_keep_spans). */
static size_t idle(void) { return hak_release_retained_of(HAK_RETAINED_PAGES); }

static size_t warm(void) {
  return hak_release_retained_of(HAK_RETAINED_BLOCKS) + hak_release_retained_of(HAK_RETAINED_FREE);
}

int hak_release_keep(size_t more) {
  if (g_policy == HAK_RELEASE_SPEED) return 1;
  if (g_policy == HAK_RELEASE_LEAN) return 0;
  return idle() + more <= hak_release_budget();
}

int hak_release_keep_spans(size_t free_bytes, size_t live_bytes) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: {
      size_t budget = hak_release_budget(), reach = live_bytes * HAK_RELEASE_BURST_FACTOR;
      return free_bytes <= (budget > reach ? budget : reach);
    }
    default: return 1;
  }
}

int hak_release_keep_region(unsigned spare_regions, size_t more) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: return spare_regions < 1 && hak_release_keep(more);
    default: return 1;
  }
}

/* BALANCED: whether idle memory alone (idle_too) or idle and warm memory together are over. */
static int over(int idle_too) {
  size_t budget = hak_release_budget(), in_use = hak_release_in_use(), idle_now = idle();
  size_t reach = in_use * HAK_RELEASE_BURST_FACTOR + clamp0(__atomic_load_n(&g_hold, __ATOMIC_RELAXED));
  return (idle_too && idle_now > budget) || idle_now + warm() > (budget > reach ? budget : reach);
}

int hak_release_eager(void) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 1;
    case HAK_RELEASE_BALANCED: return over(1);
    default: return 0;
  }
}

int hak_release_eager_warm(void) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 1;
    case HAK_RELEASE_BALANCED: return over(0);
    default: return 0;
  }
}
