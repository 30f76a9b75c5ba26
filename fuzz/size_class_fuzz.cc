// size_class_fuzz: every size and alignment maps to a class that fits, and real allocations obey it.
//
// Input: records of (size, alignment, API). For each, the pure mapping of the size_class box is
// checked (the class holds the size, is the smallest that does, is a multiple of the alignment,
// wastes at most a quarter above 128 bytes; the block index of an offset is its exact quotient),
// then the size is allocated through every hak_* entry point that takes it: pointer aligned,
// usable size >= requested and equal to what the class promises, the whole usable size writable
// and intact until the free (in safe, the canary after it is checked at the free), calloc zeroed,
// realloc preserving, and the documented errors (EINVAL, ENOMEM) for impossible requests.
#include <errno.h>
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz/fuzz_common.h"
#include "hakmem/include/hakmem.h"
extern "C" {  // the boxes' internal headers (hidden functions, linked statically)
#include "hakmem/box/front/front.h"
#include "hakmem/box/report/report.h"
#include "hakmem/box/size_class/size_class.h"
}

namespace {

constexpr size_t kMaxLarge = (size_t)6 << 20;

size_t PickSize(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return in.ConsumeIntegralInRange<size_t>(0, 256);
    case 1: return in.ConsumeIntegralInRange<size_t>(0, HAK_TABLE_MAX + 64);
    case 2: {  // a class boundary, +-2
      unsigned cls = in.ConsumeIntegralInRange<unsigned>(0, HAK_NCLASSES - 1);
      long s = (long)hak_class_size(cls) + in.ConsumeIntegralInRange<long>(-2, 2) - (long)HAK_CANARY_BYTES;
      return s < 0 ? 0 : (size_t)s;
    }
    case 3: return in.ConsumeIntegralInRange<size_t>(0, HAK_SMALL_MAX + 4096);
    case 4: return in.ConsumeIntegralInRange<size_t>(0, kMaxLarge);
    default: return in.ConsumeIntegral<size_t>();  // mostly impossible sizes
  }
}

void CheckMapping(size_t size, size_t align) {
  if (size > HAK_SMALL_MAX) {
    FUZZ_CHECK(hak_class_of_aligned(size, align) == -1, "size %zu align %zu", size, align);
    return;
  }
  unsigned cls = hak_class_of(size);
  FUZZ_CHECK(cls < HAK_NCLASSES, "size %zu", size);
  size_t bs = hak_class_size(cls);
  FUZZ_CHECK(bs >= size && bs % 16 == 0, "size %zu class %u block %zu", size, cls, bs);
  FUZZ_CHECK(cls == 0 || hak_class_size(cls - 1) < size, "size %zu class %u is not the smallest", size, cls);
  if (size > 128) FUZZ_CHECK(bs - size <= size / 4, "size %zu block %zu wastes more than 25%%", size, bs);
  else FUZZ_CHECK(bs - size < 16 || (size == 0 && bs == 16), "size %zu block %zu", size, bs);
  if (size > 128 && size <= HAK_TABLE_MAX)
    FUZZ_CHECK(hak_class_of_large(size) == cls, "table and formula disagree at %zu", size);

  int acls = hak_class_of_aligned(size, align);
  int smallest = -1;  // no class promises more than its slab's alignment
  for (unsigned c = cls; c < HAK_NCLASSES && smallest < 0 && align <= HAK_SLAB_ALIGN; c++)
    if (hak_class_size(c) % align == 0) smallest = (int)c;
  FUZZ_CHECK(acls == smallest, "size %zu align %zu: class %d, smallest fitting %d", size, align, acls, smallest);

  // Block index of an offset: exact, for every offset of a slab.
  const hak_class_info_t* info = &hak_class_info[cls];
  size_t slab_bytes = (size_t)info->blocks * bs;
  size_t off = (size * 2654435761u + align) % slab_bytes;
  FUZZ_CHECK(hak_class_block_index(cls, off) == off / bs, "class %u offset %zu", cls, off);
  FUZZ_CHECK(hak_class_block_index(cls, slab_bytes - 1) == info->blocks - 1, "class %u last offset", cls);
  // ... and the safe profile's one-compare form: the index of a block start, else out of every slab.
  uint64_t exact = hak_class_block_exact(cls, off);
  FUZZ_CHECK(off % bs ? exact > UINT64_MAX / bs : exact == off / bs, "class %u offset %zu: exact %llu", cls, off,
             (unsigned long long)exact);
}

// Usable size of a block of size bytes at alignment align, as the classes promise (small), or a
// lower bound (large).
void CheckBlock(void* p, size_t size, size_t align, const char* api, uint32_t tag, bool exact = true) {
  FUZZ_CHECK(p, "%s(%zu, align %zu) failed", api, size, align);
  FUZZ_CHECK((uintptr_t)p % (align < 16 ? 16 : align) == 0, "%s(%zu, align %zu) = %p", api, size, align, p);
  size_t usable = hak_malloc_usable_size(p);
  FUZZ_CHECK(usable >= size, "%s(%zu): usable %zu", api, size, usable);
  if (HAK_CFG_CHECK_FREE && size == 0 && usable == 0) return;  // safe's malloc(0): an inaccessible block
  bool small = hak_region_kind((uintptr_t)p) == HAK_REGION_SUPERSLAB;  // (realloc may keep a large one)
  if (HAK_CFG_CANARY && small) {
    // safe: a small block's usable size is its request (its tail holds it), realloc's too.
    FUZZ_CHECK(usable == size, "%s(%zu, align %zu): usable %zu", api, size, align, usable);
  } else if (!exact) {
    // realloc keeps a block in place while it is at most half empty.
    FUZZ_CHECK(usable / 2 <= size || size + HAK_CANARY_BYTES > HAK_SMALL_MAX || usable <= hak_class_size(hak_class_of(size + HAK_CANARY_BYTES)),
               "%s(%zu): usable %zu wastes more than half", api, size, usable);
  } else if (size + HAK_CANARY_BYTES <= HAK_SMALL_MAX) {
    int cls = align <= 16 ? (int)hak_class_of(size + HAK_CANARY_BYTES) : hak_class_of_aligned(size + HAK_CANARY_BYTES, align);
    if (cls >= 0) {
      FUZZ_CHECK(usable == hak_class_size((unsigned)cls) - HAK_CANARY_BYTES, "%s(%zu, align %zu): usable %zu, class %d",
                 api, size, align, usable, cls);
    }
  }
  uint8_t* b = (uint8_t*)p;
  ForEachSampledRange(usable, [&](size_t from, size_t to) { FillPattern(b, tag, from, to); });
}

// how: free, free_sized (free_aligned_sized for a block asked for with an alignment: C23 gives
// free_sized only malloc's blocks), free_aligned_sized.
void VerifyAndFree(void* p, size_t size, size_t align, uint32_t tag, int how) {
  size_t usable = hak_malloc_usable_size(p);
  ForEachSampledRange(usable, [&](size_t from, size_t to) {
    size_t bad = CheckPattern((uint8_t*)p, tag, from, to);
    FUZZ_CHECK(bad == to, "block %p (usable %zu) changed at %zu", p, usable, bad);
  });
  if (how == 0) hak_free(p);
  else if (how == 1 && align <= 16) hak_free_sized(p, size);
  else hak_free_aligned_sized(p, align, size);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  FuzzKeepStderr();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t len) {
  FuzzedDataProvider in(data, len);
  unsigned long errors_before = hak_report_error_count();
  uint32_t tag = 1;
  while (in.remaining_bytes() > 0) {
    size_t size = PickSize(in);
    size_t align = (size_t)1 << in.ConsumeIntegralInRange<unsigned>(0, 22);
    int api = in.ConsumeIntegralInRange<int>(0, 7);
    int how = in.ConsumeIntegralInRange<int>(0, 2);
    tag++;
    CheckMapping(size, align);
    bool possible = size <= kMaxLarge;
    void* p = nullptr;  // checked and filled when possible; impossible sizes that succeed are only freed
    size_t asked = 16;  // the alignment p was asked for with
    switch (api) {
      case 0:
        p = hak_malloc(size);
        if (possible) CheckBlock(p, size, 16, "malloc", tag);
        break;
      case 1: {
        size_t count = in.ConsumeIntegralInRange<size_t>(0, 64);
        size_t total;
        if (__builtin_mul_overflow(count, size, &total)) {
          errno = 0;
          FUZZ_CHECK(!hak_calloc(count, size) && errno == ENOMEM, "calloc(%zu, %zu) overflow", count, size);
          break;
        }
        p = hak_calloc(count, size);
        if (total <= kMaxLarge) {
          FUZZ_CHECK(p, "calloc(%zu, %zu)", count, size);
          size_t usable = hak_malloc_usable_size(p);
          ForEachSampledRange(total, [&](size_t from, size_t to) {
            for (size_t i = from; i < to; i++) FUZZ_CHECK(((uint8_t*)p)[i] == 0, "calloc(%zu, %zu)[%zu]", count, size, i);
          });
          CheckBlock(p, total, 16, "calloc", tag);
          size = total;
          (void)usable;
        } else {
          possible = false;
        }
        break;
      }
      case 2:
        p = hak_aligned_alloc(align, size);
        asked = align;
        if (possible) CheckBlock(p, size, align, "aligned_alloc", tag);
        break;
      case 3: {
        errno = 0;
        int rc = hak_posix_memalign(&p, align, size);
        if (align < sizeof(void*)) {
          FUZZ_CHECK(rc == EINVAL && errno == 0, "posix_memalign(%zu): %d", align, rc);
          p = nullptr;
        } else if (rc != 0) {
          FUZZ_CHECK(rc == ENOMEM && !possible, "posix_memalign(%zu, %zu): %d", align, size, rc);
          p = nullptr;
        } else if (possible) {
          CheckBlock(p, size, align, "posix_memalign", tag);
        }
        asked = align;
        break;
      }
      case 4: {
        // Not a power of two: aligned_alloc refuses it, memalign rounds it up.
        size_t odd = align + in.ConsumeIntegralInRange<size_t>(1, 15);
        if (odd & (odd - 1)) {
          errno = 0;
          FUZZ_CHECK(!hak_aligned_alloc(odd, 64) && errno == EINVAL, "aligned_alloc(%zu)", odd);
        }
        p = hak_memalign(odd, size);
        size_t rounded = 1;
        while (rounded < odd) rounded <<= 1;
        asked = rounded;
        if (possible) CheckBlock(p, size, rounded, "memalign", tag);
        break;
      }
      case 5:
        p = hak_valloc(size);
        asked = 4096;
        if (possible) CheckBlock(p, size, 4096, "valloc", tag);
        break;
      case 6: {
        // realloc through a chain of sizes: contents preserved up to the smaller size.
        size_t first = size % (HAK_SMALL_MAX * 2);
        p = hak_malloc(first);
        CheckBlock(p, first, 16, "malloc", tag);
        size_t next = PickSize(in);
        if (next > kMaxLarge) next %= kMaxLarge;
        size_t old_usable = hak_malloc_usable_size(p);
        void* q = hak_realloc(p, next);
        if (next == 0) {
          FUZZ_CHECK(!q, "realloc(p, 0) must free and return NULL");
          p = nullptr;
          break;
        }
        FUZZ_CHECK(q && (uintptr_t)q % 16 == 0, "realloc(%zu -> %zu) = %p", first, next, q);
        // The bytes that were written (sampled ranges of the old block) and survive the new size.
        size_t keep = old_usable < next ? old_usable : next;
        ForEachSampledRange(old_usable, [&](size_t from, size_t to) {
          if (to > keep) to = keep;
          size_t bad = from < to ? CheckPattern((uint8_t*)q, tag, from, to) : to;
          FUZZ_CHECK(bad == to, "realloc(%zu -> %zu) lost byte %zu", first, next, bad);
        });
        CheckBlock(q, next, 16, "realloc", tag, /*exact=*/false);
        p = q;
        size = next;
        possible = true;
        break;
      }
      default:
        if (size > PTRDIFF_MAX) {
          errno = 0;
          FUZZ_CHECK(!hak_malloc(size) && errno == ENOMEM, "malloc(%zu)", size);
        }
        break;
    }
    if (p && possible) VerifyAndFree(p, size, asked, tag, how);
    else if (p) hak_free(p);
  }
  FUZZ_CHECK(hak_report_error_count() == errors_before, "a valid program was reported");
  return 0;
}
