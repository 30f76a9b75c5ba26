#include "hakmem/box/zero/zero.h"

#include "hakmem/box/os/os.h"

#define REGION_BYTES ((uintptr_t)HAK_ZERO_SLOTS * HAK_ZERO_SLOT)
#define WORDS (HAK_ZERO_SLOTS / 64)

static uintptr_t g_base;            /* the region, 0 until the first malloc(0) */
static int g_failed;                /* the OS refused the region: no more tries */
static uint64_t g_live[WORDS];      /* bit s: slot s is a live block */
static uint64_t g_used[WORDS];      /* bit s: slot s was handed out at least once */
static unsigned g_next;             /* round robin: the slot to try first */
static int g_lock;

static void lock(void) {
  while (__atomic_exchange_n(&g_lock, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&g_lock, __ATOMIC_RELAXED)) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
}

static void unlock(void) { __atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE); }

/* Address space only: nothing is ever committed or accessible. */
static int reserve(void) {
  if (g_base) return 1;
  if (g_failed) return 0;
  void* p = hak_os_reserve(REGION_BYTES);
  if (!p) {
    g_failed = 1;
    return 0;
  }
  __atomic_store_n(&g_base, (uintptr_t)p, __ATOMIC_RELEASE);
  return 1;
}

void* hak_zero_alloc(void) {
  void* p = NULL;
  lock();
  if (reserve()) {
    for (unsigned i = 0; i < WORDS; i++) {
      unsigned w = (g_next / 64 + i) % WORDS;
      uint64_t free_bits = ~g_live[w];
      if (i == 0) free_bits &= ~0ull << (g_next % 64); /* from the cursor on */
      if (!free_bits) continue;
      unsigned s = w * 64 + (unsigned)__builtin_ctzll(free_bits);
      g_live[w] |= 1ull << (s % 64);
      g_used[w] |= 1ull << (s % 64);
      g_next = (s + 1) % HAK_ZERO_SLOTS;
      p = (void*)(g_base + (uintptr_t)s * HAK_ZERO_SLOT);
      break;
    }
  }
  unlock();
  return p;
}

int hak_zero_owns(uintptr_t a) {
  uintptr_t base = __atomic_load_n(&g_base, __ATOMIC_ACQUIRE);
  return base && a - base < REGION_BYTES;
}

hak_zero_state_t hak_zero_state(uintptr_t a) {
  uintptr_t off = a - __atomic_load_n(&g_base, __ATOMIC_ACQUIRE);
  if (off % HAK_ZERO_SLOT) return HAK_ZERO_MISALIGNED;
  unsigned s = (unsigned)(off / HAK_ZERO_SLOT);
  uint64_t bit = 1ull << (s % 64);
  if (__atomic_load_n(&g_live[s / 64], __ATOMIC_RELAXED) & bit) return HAK_ZERO_LIVE;
  return __atomic_load_n(&g_used[s / 64], __ATOMIC_RELAXED) & bit ? HAK_ZERO_FREED : HAK_ZERO_NEVER;
}

int hak_zero_free(const void* p) {
  uintptr_t off = (uintptr_t)p - __atomic_load_n(&g_base, __ATOMIC_ACQUIRE);
  if (off % HAK_ZERO_SLOT) return 0;
  unsigned s = (unsigned)(off / HAK_ZERO_SLOT);
  uint64_t bit = 1ull << (s % 64);
  lock();
  int live = (g_live[s / 64] & bit) != 0;
  g_live[s / 64] &= ~bit;
  unlock();
  return live;
}

int hak_zero_fault(uintptr_t a, const void** block, int* live) {
  if (!hak_zero_owns(a)) return 0;
  uintptr_t start = a & ~(uintptr_t)(HAK_ZERO_SLOT - 1);
  *block = (const void*)start;
  *live = hak_zero_state(start) == HAK_ZERO_LIVE;
  return 1;
}

void hak_zero_fork_prepare(void) { lock(); }
void hak_zero_fork_parent(void) { unlock(); }
void hak_zero_fork_child(void) { unlock(); }
