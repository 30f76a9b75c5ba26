// header_validation_fuzz: free / realloc / malloc_usable_size of any pointer, with metadata
// corrupted on purpose, never crash and agree with a reference model.
//
// HAKMEM_ON_ERROR=report (set before the first hak_ call), so every detected error is reported
// and the program goes on. The input is a program: allocate, free, pick a pointer (a live block,
// inside one, misaligned, freed, quarantined, on the stack, a global, from the process's own
// malloc, random, near a block, inside a SuperSlab header) and pass it to an API function; corrupt
// metadata (a slab's magic, block size or page class; a large block's descriptor; the first word
// of a free block; poison of a freed block; the canary after a live block) and use it.
// The model predicts for each call whether it is valid or an error, and which error where the
// answer does not depend on allocator internals: the route's verdict (hak_route(p).error) must
// match it and the error count (hak_report_error_count) must grow by exactly 0 or 1. Corrupted
// metadata is restored after the check; blocks quarantined in safe (overflow, write after free)
// must never be handed out again. Outside safe only the checks those profiles make are exercised
// (foreign pointers, large blocks, the route of realloc / malloc_usable_size).
#include <errno.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <map>
#include <set>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "hakmem/include/hakmem.h"
extern "C" {
#include "hakmem/box/front/front.h"
#include "hakmem/box/large/large.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/route/route.h"
#include "hakmem/box/superslab/superslab.h"
}

namespace {

constexpr bool kSafe = HAK_CFG_CHECK_FREE;
constexpr size_t kMaxLive = 64;
constexpr size_t kMaxFreed = 64;
constexpr uint8_t kPoisonByte = 0xdb;

// safe: whether byte at of a freed small block of bs bytes holds poison (front.h).
bool Poisoned(size_t bs, size_t at) {
  size_t usable = bs - HAK_CANARY_BYTES;
  if (at >= usable) return false;
  return bs <= HAK_POISON_WHOLE_MAX || at < HAK_POISON_EDGE || at >= usable - HAK_POISON_EDGE;
}

struct Live {
  size_t size;
  size_t extent;  // small: the block size; large: the usable size
  size_t align;   // as asked for (16: none)
  int cls;        // -1: large
  bool canary_damaged;
  bool canary_saved;
  uint8_t canary[8];  // safe, small: the canary after the request, as hakmem wrote it (saved
  uint8_t tail[8];    // before the first overwrite), and the tail word
};

// safe, small: the canary's bytes, [size, CanaryEnd) (none when the request fills the block).
size_t CanaryEnd(const Live& b) {
  size_t room = b.extent - HAK_CANARY_BYTES;
  return b.size + 8 < room ? b.size + 8 : room;
}

std::map<uintptr_t, Live> g_live;
std::vector<uintptr_t> g_freed;  // freed by the model, maybe handed out again since
std::set<uintptr_t> g_quarantined;
uintptr_t g_unreported;  // a corrupted free block that must not be handed out before its report
unsigned long g_expected_errors;
char g_global[256] __attribute__((aligned(16)));
bool g_trace;  // HV_TRACE=1: every step on the checks' stream (to follow a failure)
#define TRACE(...) \
  do {                                                   \
    if (g_trace) dprintf(FuzzCheckFd(), __VA_ARGS__);    \
  } while (0)

// ---- expectations -----------------------------------------------------------------------------
enum Verdict { kValid, kError, kSomeError, kSkip };
struct Prediction {
  Verdict verdict;
  hak_error_t error;  // kError
};

void CheckErrors(const char* what, const void* p) {
  unsigned long n = hak_report_error_count();
  FUZZ_CHECK(n == g_expected_errors, "%s %p: %lu errors reported, %lu expected", what, p, n, g_expected_errors);
}

uintptr_t Storage() { return (uintptr_t)hak_tc.storage; }

// The live block whose extent holds p (not at its start), or end().
std::map<uintptr_t, Live>::iterator Containing(uintptr_t p) {
  auto it = g_live.upper_bound(p);
  if (it == g_live.begin()) return g_live.end();
  --it;
  return p > it->first && p < it->first + it->second.extent ? it : g_live.end();
}

Prediction Predict(uintptr_t p, bool is_free) {
  if (g_live.count(p)) return {kValid, HAK_ERR_COUNT};
  if (kSafe && g_quarantined.count(p)) return {kError, HAK_ERR_DOUBLE_FREE};
  // safe's malloc(0) region: a freed slot is a double free, a slot never handed out or an address
  // between slots is not hakmem's.
  if (kSafe && hak_zero_owns(p)) return {kSomeError, HAK_ERR_COUNT};
  if (hak_region_kind(p) == HAK_REGION_SUPERSLAB) {
    if (hak_free_info_of(p)->cls >= HAK_NCLASSES) return {kError, HAK_ERR_INVALID_POINTER};
    // Outside safe, free does not validate small blocks, and the route knows no block states.
    if (!kSafe && (is_free || Containing(p) == g_live.end())) return {kSkip, HAK_ERR_COUNT};
    if (Containing(p) != g_live.end()) return {kError, HAK_ERR_INTERIOR_POINTER};
    if (p == Storage()) return {kSkip, HAK_ERR_COUNT};  // the thread cache's own block
    return {kSomeError, HAK_ERR_COUNT};
  }
  // Elsewhere large blocks, validated in every profile: inside a live one is always interior; a
  // page start may be a freed block's (a double free); anything else is not hakmem's.
  if (Containing(p) != g_live.end()) return {kError, HAK_ERR_INTERIOR_POINTER};
  if (p % 4096) return {kError, HAK_ERR_INVALID_POINTER};
  return {kSomeError, HAK_ERR_COUNT};
}

// ---- the model's blocks -----------------------------------------------------------------------
void Forget(uintptr_t p) {
  g_live.erase(p);
  if (g_freed.size() >= kMaxFreed) g_freed.erase(g_freed.begin());
  g_freed.push_back(p);
}

void Take(void* ptr, size_t size, const char* api, size_t align = 16) {
  FUZZ_CHECK(ptr, "%s(%zu) failed", api, size);
  uintptr_t p = (uintptr_t)ptr;
  FUZZ_CHECK(!g_quarantined.count(p), "%s(%zu) handed out the quarantined block %p", api, size, ptr);
  FUZZ_CHECK(p != g_unreported || hak_report_error_count() >= g_expected_errors,
             "%s(%zu) handed out the corrupted block %p without a report", api, size, ptr);
  FUZZ_CHECK(!g_live.count(p) && Containing(p) == g_live.end(), "%s(%zu) = %p overlaps a live block", api, size, ptr);
  hak_route_t r = hak_route(ptr);
  FUZZ_CHECK(r.kind != HAK_ROUTE_BAD, "%s(%zu) = %p does not route (error %d)", api, size, ptr, (int)r.error);
  Live b = {size, r.block_size, align, r.kind == HAK_ROUTE_SMALL ? r.cls : -1, false, false, {0}, {0}};
  auto next = g_live.upper_bound(p);
  FUZZ_CHECK(next == g_live.end() || next->first >= p + b.extent, "%s(%zu) = %p overlaps the block at %#lx", api, size,
             ptr, (unsigned long)next->first);
  g_live[p] = b;
  TRACE("take %s %p size %zu extent %zu\n", api, ptr, size, b.extent);
  for (auto it = g_freed.begin(); it != g_freed.end(); ++it)
    if (*it == p) {
      g_freed.erase(it);
      break;
    }
  memset(ptr, 0x5a, size < 256 ? size : 256);
}

// A valid free of a live block: no error, unless its canary was overwritten (then quarantined).
void FreeLive(uintptr_t p, int how) {
  Live b = g_live[p];
  bool overflow = kSafe && b.canary_damaged;
  TRACE("free %p how %d damaged %d\n", (void*)p, how, (int)b.canary_damaged);
  if (overflow) {
    g_expected_errors++;
    g_live.erase(p);
    g_quarantined.insert(p);
  } else {
    Forget(p);
  }
  switch (how) {
    case 0: hak_free((void*)p); break;
    case 1:  // free_sized for blocks asked for without an alignment (C23), else with theirs
      if (b.align <= 16) hak_free_sized((void*)p, b.size);
      else hak_free_aligned_sized((void*)p, b.align, b.size);
      break;
    default: FUZZ_CHECK(!hak_realloc((void*)p, 0), "realloc(p, 0)"); break;
  }
  CheckErrors(overflow ? "free of an overflowed block" : "valid free", (void*)p);
}

uintptr_t PickLive(FuzzedDataProvider& in, bool small_only = false) {
  if (g_live.empty()) return 0;
  size_t k = in.ConsumeIntegralInRange<size_t>(0, g_live.size() - 1);
  auto it = g_live.begin();
  std::advance(it, k);
  for (size_t i = 0; i < g_live.size(); i++, ++it) {
    if (it == g_live.end()) it = g_live.begin();
    if (!small_only || it->second.cls >= 0) return it->first;
  }
  return 0;
}

void Allocate(FuzzedDataProvider& in) {
  if (g_live.size() >= kMaxLive) FreeLive(g_live.begin()->first, 0);
  int kind = in.ConsumeIntegralInRange<int>(0, 15);
  size_t size = kind < 12 ? in.ConsumeIntegralInRange<size_t>(0, 1024)
              : kind < 15 ? in.ConsumeIntegralInRange<size_t>(1025, 128 << 10)
                          : in.ConsumeIntegralInRange<size_t>(HAK_SMALL_MAX + 1, 3 << 20);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: Take(hak_malloc(size), size, "malloc"); break;
    case 1: Take(hak_calloc(1, size), size, "calloc"); break;
    case 2: {
      size_t align = (size_t)32 << in.ConsumeIntegralInRange<int>(0, 10);
      Take(hak_aligned_alloc(align, size), size, "aligned_alloc", align);
      break;
    }
    default: {
      // realloc of a live block to the new size.
      uintptr_t p = PickLive(in);
      if (!p) {
        Take(hak_malloc(size), size, "malloc");
        break;
      }
      if (size == 0) size = 1;
      Live b = g_live[p];
      if (kSafe && b.canary_damaged) return;  // covered by FreeLive
      g_live.erase(p);
      void* q = hak_realloc((void*)p, size);
      CheckErrors("valid realloc", (void*)p);
      if ((uintptr_t)q != p) Forget(p);
      Take(q, size, "realloc");
      break;
    }
  }
}

// ---- checks of one pointer ----------------------------------------------------------------------
uintptr_t PickPointer(FuzzedDataProvider& in, uint8_t* stack, uint8_t* glibc) {
  switch (in.ConsumeIntegralInRange<int>(0, 10)) {
    case 0: return PickLive(in);
    case 1: {  // inside or just before a live block
      uintptr_t p = PickLive(in);
      if (!p) return 0;
      const Live& b = g_live[p];
      long off = in.ConsumeIntegralInRange<long>(-64, (long)b.extent - 1);
      return off == 0 ? p + 1 : p + off;
    }
    case 2: return g_freed.empty() ? 0 : g_freed[in.ConsumeIntegralInRange<size_t>(0, g_freed.size() - 1)];
    case 3: return (uintptr_t)(stack + in.ConsumeIntegralInRange<int>(0, 63));
    case 4: return (uintptr_t)(g_global + in.ConsumeIntegralInRange<int>(0, 255));
    case 5: return (uintptr_t)(glibc + in.ConsumeIntegralInRange<int>(0, 63));
    case 6: return in.ConsumeIntegral<uintptr_t>();
    case 7: {  // near a block: neighbours, free blocks, other slabs
      uintptr_t p = PickLive(in);
      if (!p) return 0;
      return p + (uintptr_t)(in.ConsumeIntegralInRange<long>(-(1L << 17), 1L << 17) & ~15L);
    }
    case 8: {  // a SuperSlab's header pages
      uintptr_t p = PickLive(in, true);
      if (!p) return 0;
      return (p & ~(uintptr_t)(HAK_SS_SIZE - 1)) + in.ConsumeIntegralInRange<size_t>(0, HAK_SS_HEADER_PAGES * HAK_PAGE_SIZE - 1);
    }
    case 9: {
      if (g_quarantined.empty()) return 0;
      auto it = g_quarantined.lower_bound(in.ConsumeIntegral<uintptr_t>());
      return it == g_quarantined.end() ? *g_quarantined.begin() : *it;
    }
    default: return PickLive(in) + (uintptr_t)in.ConsumeIntegralInRange<int>(1, 15);  // misaligned
  }
}

// Calls api on p and checks the verdict. forced: the error the current corruption must produce.
void CheckPointer(uintptr_t p, int api, Prediction pred) {
  if (!p || pred.verdict == kSkip) return;
  TRACE("check %p api %d verdict %d error %d\n", (void*)p, api, (int)pred.verdict, (int)pred.error);
  hak_route_t r = hak_route((void*)p);
  if (pred.verdict == kValid) {
    FUZZ_CHECK(r.kind != HAK_ROUTE_BAD, "live block %p routes as error %d", (void*)p, (int)r.error);
  } else {
    FUZZ_CHECK(r.kind == HAK_ROUTE_BAD, "%p routes as a block (kind %d) but the model says error %d", (void*)p, (int)r.kind,
               (int)pred.error);
    if (pred.verdict == kError) {
      FUZZ_CHECK(r.error == pred.error, "%p: error %d (%s), expected %d (%s)", (void*)p, (int)r.error,
                 hak_report_error_name(r.error), (int)pred.error, hak_report_error_name(pred.error));
    } else {
      FUZZ_CHECK(r.error == HAK_ERR_INVALID_POINTER || r.error == HAK_ERR_INTERIOR_POINTER || r.error == HAK_ERR_DOUBLE_FREE,
                 "%p: error %d (%s) with no metadata corrupted", (void*)p, (int)r.error, hak_report_error_name(r.error));
    }
    g_expected_errors++;
  }
  switch (api) {
    case 0:
      if (pred.verdict == kValid) {
        FreeLive(p, 0);
        return;
      }
      hak_free((void*)p);
      break;
    case 1: {
      size_t n = hak_malloc_usable_size((void*)p);
      // safe: a small block's usable size is its request (its tail holds it), unless an overflow
      // overwrote the tail.
      if (pred.verdict == kValid && kSafe && g_live[p].cls >= 0 && !g_live[p].canary_damaged)
        FUZZ_CHECK(n == g_live[p].size, "usable size %zu of a %zu-byte request", n, g_live[p].size);
      else if (pred.verdict == kValid) FUZZ_CHECK(n >= g_live[p].size, "usable size %zu < %zu", n, g_live[p].size);
      else FUZZ_CHECK(n == 0, "usable size of a bad pointer %p: %zu", (void*)p, n);
      break;
    }
    default: {
      if (pred.verdict == kValid) {
        Live b = g_live[p];
        if (kSafe && b.canary_damaged) {  // a realloc that moves it would report the overflow
          FreeLive(p, 0);
          return;
        }
        g_live.erase(p);
        void* q = hak_realloc((void*)p, b.size + 1);
        CheckErrors("valid realloc", (void*)p);
        if ((uintptr_t)q != p) Forget(p);
        Take(q, b.size + 1, "realloc");
        return;
      }
      errno = 0;
      void* q = hak_realloc((void*)p, 32);
      FUZZ_CHECK(!q && errno == EINVAL, "realloc of a bad pointer %p = %p", (void*)p, q);
      break;
    }
  }
  CheckErrors(api == 0 ? "free" : api == 1 ? "malloc_usable_size" : "realloc", (void*)p);
}

// ---- metadata corruption ------------------------------------------------------------------------
void CorruptSlab(FuzzedDataProvider& in, int api) {
  uintptr_t p = PickLive(in, true);
  if (!p) return;
  if (!kSafe && api == 0) api = 1;  // free does not read the slab outside safe
  hak_free_info_t* info = hak_free_info_of(p);
  hak_slab_t* slab = hak_slab_head(hak_page_of(p));
  hak_free_info_t saved_info = *info;
  hak_slab_t saved_slab = *slab;
  Prediction pred;
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      slab->magic ^= 1u << in.ConsumeIntegralInRange<int>(0, 31);
      pred = {kError, HAK_ERR_METADATA_CORRUPT};
      break;
    case 1:
      slab->block_size += in.ConsumeIntegralInRange<uint32_t>(1, 4096);
      pred = {kError, HAK_ERR_METADATA_CORRUPT};
      break;
    default:
      if (!kSafe && api == 0) return;
      __atomic_store_n(&info->cls, (uint8_t)HAK_CLASS_NONE, __ATOMIC_RELEASE);
      pred = {kError, HAK_ERR_INVALID_POINTER};
      break;
  }
  CheckPointer(p, api, pred);
  // Restore (a free reported in report mode left the block allocated, as the model has it).
  slab->magic = saved_slab.magic;
  slab->block_size = saved_slab.block_size;
  __atomic_store_n(&info->cls, saved_info.cls, __ATOMIC_RELEASE);
}

void CorruptLarge(FuzzedDataProvider& in, int api) {
  std::vector<uintptr_t> large;
  for (auto& [p, b] : g_live)
    if (b.cls < 0 && b.extent) large.push_back(p);  // not safe's malloc(0) blocks (extent 0)
  if (large.empty()) return;
  uintptr_t p = large[in.ConsumeIntegralInRange<size_t>(0, large.size() - 1)];
  hak_large_t* h = hak_large_lookup((const void*)p);
  if (!h) __builtin_trap(); /* a live large block the page map does not find */
  if (in.ConsumeBool()) { /* its descriptor (outside the program's memory) damaged */
    uint64_t saved = h->magic;
    h->magic ^= 1ull << in.ConsumeIntegralInRange<int>(0, 63);
    CheckPointer(p, api, {kError, HAK_ERR_METADATA_CORRUPT});
    h->magic = saved;
  } else { /* a pointer into it */
    CheckPointer(p + in.ConsumeIntegralInRange<size_t>(1, h->size - 1), api, {kError, HAK_ERR_INTERIOR_POINTER});
  }
}

// Allocates blocks of class cls until the error count reaches the expected count; the blocks join
// the model (the caller shrinks it back with ShrinkModel). Returns 0 when the corrupted block was
// not reached in 5000 allocations (the class has many free blocks in slabs further down its list,
// or the block was dropped from a corrupted list before): the caller restores it and takes the
// expected error back before any other check (ShrinkModel's frees check the count).
bool AllocateUntilReported(unsigned cls, const char* what, uintptr_t victim) {
  size_t size = hak_class_size(cls) - HAK_CANARY_BYTES;
  for (int i = 0; i < 5000 && hak_report_error_count() < g_expected_errors; i++) Take(hak_malloc(size), size, what);
  bool reached = hak_report_error_count() >= g_expected_errors;
  if (reached) CheckErrors(what, (void*)victim);
  return reached;
}

void ShrinkModel() {
  while (g_live.size() > kMaxLive) FreeLive(g_live.begin()->first, 0);
}

// safe: a byte of a freed small block changes; reported when the block would be handed out again
// (it held poison: Poisoned), and then quarantined. Other bytes are not checked.
void WriteAfterFree(FuzzedDataProvider& in) {
  if (!kSafe || g_freed.empty() || g_quarantined.size() > 100000) return;
  uintptr_t p = g_freed[in.ConsumeIntegralInRange<size_t>(0, g_freed.size() - 1)];
  if (g_live.count(p) || hak_region_kind(p) != HAK_REGION_SUPERSLAB) return;
  hak_slab_t* page = hak_page_of(p);
  unsigned cls = hak_page_class(page);
  if (cls >= HAK_NCLASSES || hak_class_size(cls) > 4 * HAK_POISON_WHOLE_MAX) return;
  hak_slab_t* slab = hak_slab_head(page);
  size_t bs = hak_class_size(cls);
  uintptr_t off = p - (uintptr_t)slab->start;
  if (off % bs || hak_block_state(slab, (uint32_t)(off / bs), p, bs) != HAK_BLOCK_FREED) return;  // reused since, or carved anew
  size_t at = in.ConsumeIntegralInRange<size_t>(0, bs - HAK_CANARY_BYTES - 1);
  uint8_t value = in.ConsumeIntegral<uint8_t>();
  uint8_t saved = ((uint8_t*)p)[at];
  bool detected = Poisoned(bs, at) && value != kPoisonByte;
  ((uint8_t*)p)[at] = value;
  TRACE("write after free %p at %zu detected %d\n", (void*)p, at, (int)detected);
  if (!detected) return;
  g_expected_errors++;
  g_quarantined.insert(p);
  g_unreported = p;
  if (!AllocateUntilReported(cls, "malloc after a write after free", p)) {
    ((uint8_t*)p)[at] = saved;
    g_expected_errors--;
    g_quarantined.erase(p);
  }
  g_unreported = 0;
  ShrinkModel();
}

// Outside safe (where WriteAfterFree covers it): the first word of a freed small block, where a
// free list would keep its link, is forged (between blocks, or a global), as a heap
// exploit does. Free blocks hold nothing the allocator reads: no error, and the forged address is
// never handed out (Take() checks that every block handed out routes as one).
void ForgeFreeWord(FuzzedDataProvider& in) {
  if (kSafe || g_freed.empty()) return;
  uintptr_t p = g_freed[in.ConsumeIntegralInRange<size_t>(0, g_freed.size() - 1)];
  if (g_live.count(p) || hak_region_kind(p) != HAK_REGION_SUPERSLAB) return;
  hak_slab_t* slab = hak_slab_head(hak_page_of(p));
  unsigned cls = hak_page_class(hak_page_of(p));
  if (cls >= HAK_NCLASSES) return;
  size_t bs = slab->block_size;
  uintptr_t link = in.ConsumeBool() ? p + in.ConsumeIntegralInRange<size_t>(1, bs - 1)  // between blocks
                                      : (uintptr_t)g_global;                            // a forged target
  *(uintptr_t*)p = link;
  TRACE("forged free word %p -> %#lx\n", (void*)p, (unsigned long)link);
  std::vector<void*> taken;  // a run of the class's blocks, handed out and back
  for (int i = 0; i < 256; i++) {
    void* q = hak_malloc(bs - HAK_CANARY_BYTES);
    FUZZ_CHECK(q && (uintptr_t)q != link, "malloc(%zu) = %p after a forged free word", bs, q);
    taken.push_back(q);
  }
  for (void* q : taken) hak_free(q);
}

// safe: a byte past the request of a live small block changes. In its canary (up to 8 bytes right
// after the request) or its tail (the last 8), its free reports and quarantines it; the bytes
// between them are not checked.
void Overflow(FuzzedDataProvider& in) {
  if (!kSafe || g_quarantined.size() > 100000) return;
  uintptr_t p = PickLive(in, true);
  if (!p) return;
  Live& b = g_live[p];
  size_t at = in.ConsumeIntegralInRange<size_t>(b.size, b.extent - 1);
  uint8_t value = in.ConsumeIntegral<uint8_t>();
  uint8_t* canary = (uint8_t*)p + b.size;
  uint8_t* tail = (uint8_t*)p + b.extent - HAK_CANARY_BYTES;
  size_t canary_len = CanaryEnd(b) - b.size;
  if (!b.canary_saved) {
    memcpy(b.canary, canary, canary_len);
    memcpy(b.tail, tail, sizeof b.tail);
    b.canary_saved = true;
  }
  ((uint8_t*)p)[at] = value;
  // a second write may restore them
  b.canary_damaged = memcmp(canary, b.canary, canary_len) != 0 || memcmp(tail, b.tail, sizeof b.tail) != 0;
  TRACE("overflow %p at %zu\n", (void*)p, at);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  FuzzKeepStderr();
  setenv("HAKMEM_ON_ERROR", "report", 1);  // read at the first hak_ call
  g_trace = getenv("HV_TRACE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t len) {
  static bool started = false;
  if (!started) {
    hak_free(hak_malloc(1));
    hak_report_set_mode(HAK_ON_ERROR_REPORT);  // also where the environment is not read (fast)
    started = true;
  }
  g_expected_errors = hak_report_error_count();
  FuzzedDataProvider in(data, len);
  uint8_t stack[64];
  uint8_t* glibc = (uint8_t*)malloc(64);  // the process's own malloc (AddressSanitizer's)
  int heavy = 0;
  while (in.remaining_bytes() > 0) {
    int op = in.ConsumeIntegralInRange<int>(0, 15);
    int api = in.ConsumeIntegralInRange<int>(0, 2);
    switch (op) {
      case 0: case 1: case 2: case 3: Allocate(in); break;
      case 4: case 5: {
        uintptr_t p = PickLive(in);
        if (p) FreeLive(p, api);
        break;
      }
      case 6: case 7: case 8: case 9: {
        uintptr_t p = PickPointer(in, stack, glibc);
        if (p) CheckPointer(p, api, Predict(p, api == 0));
        break;
      }
      case 10: CorruptSlab(in, api); break;
      case 11: CorruptLarge(in, api); break;
      case 12: Overflow(in); break;
      case 13: if (heavy++ < 2) WriteAfterFree(in); break;
      case 14: if (heavy++ < 2) ForgeFreeWord(in); break;
      default: if (in.ConsumeIntegralInRange<int>(0, 7) == 0) hak_trim(0); break;
    }
  }
  while (!g_live.empty()) FreeLive(g_live.begin()->first, 0);
  g_freed.clear();
  free(glibc);
  CheckErrors("end of input", nullptr);
  return 0;
}
