#include "hakmem/box/release/release.h"

static hak_release_policy_t g_policy = (hak_release_policy_t)HAK_CFG_RELEASE_POLICY;
static size_t g_retain_cap = (size_t)8 << 20;

static int64_t g_retained[HAK_RETAINED_KINDS];
static int64_t g_in_use;

void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes) {
  g_policy = policy;
  g_retain_cap = retain_bytes;
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

static size_t idle(void) {
  return hak_release_retained_of(HAK_RETAINED_PAGES) + hak_release_retained_of(HAK_RETAINED_LARGE);
}

static size_t warm(void) {
  return hak_release_retained_of(HAK_RETAINED_BLOCKS) + hak_release_retained_of(HAK_RETAINED_FREE);
}

int hak_release_keep(size_t more) {
  if (g_policy == HAK_RELEASE_SPEED) return 1;
  if (g_policy == HAK_RELEASE_LEAN) return 0;
  return idle() + more <= hak_release_budget();
}

int hak_release_keep_region(unsigned spare_regions, size_t more) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: return spare_regions < 1 && hak_release_keep(more);
    default: return 1;
  }
}

int hak_release_eager(void) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 1;
    case HAK_RELEASE_BALANCED: {
      size_t budget = hak_release_budget(), in_use = hak_release_in_use(), idle_now = idle();
      size_t reach = in_use * HAK_RELEASE_BURST_FACTOR;
      return idle_now > budget || idle_now + warm() > (budget > reach ? budget : reach);
    }
    default: return 0;
  }
}
