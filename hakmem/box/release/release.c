#include "hakmem/box/release/release.h"

static hak_release_policy_t g_policy = (hak_release_policy_t)HAK_CFG_RELEASE_POLICY;
static size_t g_retain = (size_t)8 << 20;

void hak_release_configure(hak_release_policy_t policy, size_t retain_bytes) {
  g_policy = policy;
  g_retain = retain_bytes;
}

hak_release_policy_t hak_release_policy(void) { return g_policy; }

int hak_release_keep_committed(size_t retained_bytes) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: return retained_bytes <= g_retain;
    default: return 1;
  }
}

int hak_release_keep_region(unsigned spare_regions, size_t spare_bytes) {
  switch (g_policy) {
    case HAK_RELEASE_LEAN: return 0;
    case HAK_RELEASE_BALANCED: return spare_regions < 1 && spare_bytes <= g_retain;
    default: return 1;
  }
}
