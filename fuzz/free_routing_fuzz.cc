// free_routing_fuzz: programs of malloc / calloc / realloc / aligned allocations / frees, some run
// by a second thread or by short-lived threads that exit, checked against a shadow model.
//
// The model keeps every live block with its requested size, alignment and a tag; the block holds
// the tag's byte pattern (fuzz_common.h). After every operation: the new block is aligned (16 or
// the requested alignment), its usable size is at least the request, it overlaps no other live
// block (usable ranges); before a block is freed or reallocated its pattern is intact (nothing else
// wrote into it: no free-list link, poison or canary in the wrong place); realloc keeps the
// smaller size's bytes; calloc's block is zero. No valid program may be reported (error count).
// The same-process "remote" thread is persistent and runs one operation at a time, so the model
// stays sequential while frees cross threads (a block freed by a thread that did not allocate it).
#include <errno.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <pthread.h>

#include <functional>
#include <map>

#include "fuzz/fuzz_common.h"
#include "hakmem/include/hakmem.h"
extern "C" {
#include "hakmem/box/report/report.h"
}

namespace {

constexpr int kSlots = 48;

struct Block {
  uint8_t* p = nullptr;
  size_t size = 0;
  size_t align = 16;
  size_t usable = 0;
  uint32_t tag = 0;
};

Block g_slots[kSlots];
std::map<uintptr_t, int> g_by_addr;  // live block start -> slot
uint32_t g_next_tag = 1;

// ---- the second thread: runs one task at a time for the main thread ----------------------------
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
std::function<void()>* g_task;
bool g_task_done;

void* WorkerMain(void*) {
  pthread_mutex_lock(&g_lock);
  for (;;) {
    while (!g_task) pthread_cond_wait(&g_cond, &g_lock);
    (*g_task)();
    g_task = nullptr;
    g_task_done = true;
    pthread_cond_broadcast(&g_cond);
  }
  return nullptr;
}

void RunOnWorker(std::function<void()> f) {
  static pthread_t worker;
  static bool started = false;
  if (!started) {
    pthread_create(&worker, nullptr, WorkerMain, nullptr);
    pthread_detach(worker);
    started = true;
  }
  pthread_mutex_lock(&g_lock);
  g_task_done = false;
  g_task = &f;
  pthread_cond_broadcast(&g_cond);
  while (!g_task_done) pthread_cond_wait(&g_cond, &g_lock);
  pthread_mutex_unlock(&g_lock);
}

// ---- the model ----------------------------------------------------------------------------------
void CheckIntact(const Block& b, const char* when) {
  ForEachSampledRange(b.size, [&](size_t from, size_t to) {
    size_t bad = CheckPattern(b.p, b.tag, from, to);
    FUZZ_CHECK(bad == to, "%s: block %p (size %zu) changed at byte %zu", when, b.p, b.size, bad);
  });
}

void Forget(int slot) {
  g_by_addr.erase((uintptr_t)g_slots[slot].p);
  g_slots[slot] = Block();
}

// Records a new block in slot (empty): checks alignment, usable size and overlap; writes the pattern
// over [fill_from, size) (realloc keeps the bytes before).
void Adopt(int slot, void* p, size_t size, size_t align, uint32_t tag, size_t fill_from, const char* api) {
  FUZZ_CHECK(p, "%s(%zu, align %zu) returned NULL", api, size, align);
  FUZZ_CHECK((uintptr_t)p % (align < 16 ? 16 : align) == 0, "%s(%zu, align %zu) = %p", api, size, align, p);
  size_t usable = hak_malloc_usable_size(p);
  FUZZ_CHECK(usable >= size, "%s(%zu) = %p: usable size %zu", api, size, p, usable);
  uintptr_t a = (uintptr_t)p;
  auto next = g_by_addr.lower_bound(a);
  FUZZ_CHECK(next == g_by_addr.end() || next->first >= a + usable, "%s(%zu) = %p [%zu usable] overlaps the block at %#lx",
             api, size, p, usable, (unsigned long)(next == g_by_addr.end() ? 0 : next->first));
  if (next != g_by_addr.begin()) {
    auto prev = std::prev(next);
    const Block& pb = g_slots[prev->second];
    FUZZ_CHECK(prev->first + pb.usable <= a, "%s(%zu) = %p lies inside the block %p [%zu usable]", api, size, p, pb.p,
               pb.usable);
  }
  Block& b = g_slots[slot];
  b.p = (uint8_t*)p;
  b.size = size;
  b.align = align;
  b.usable = usable;
  b.tag = tag;
  g_by_addr[a] = slot;
  ForEachSampledRange(size, [&](size_t from, size_t to) {
    if (from < fill_from) from = fill_from;
    if (from < to) FillPattern(b.p, tag, from, to);
  });
}

size_t PickSize(FuzzedDataProvider& in) {
  int r = in.ConsumeIntegralInRange<int>(0, 99);
  if (r < 70) return in.ConsumeIntegralInRange<size_t>(0, 1024);
  if (r < 90) return in.ConsumeIntegralInRange<size_t>(0, 64 << 10);
  if (r < 98) return in.ConsumeIntegralInRange<size_t>(0, 300 << 10);
  return in.ConsumeIntegralInRange<size_t>(0, 3 << 20);
}

void Release(int slot, int how) {
  Block& b = g_slots[slot];
  CheckIntact(b, "free");
  void* p = b.p;
  size_t size = b.size, align = b.align;
  Forget(slot);
  switch (how) {
    case 0: hak_free(p); break;
    case 1:  // free_sized is for blocks asked for without an alignment (C23); others state theirs
      if (align <= 16) hak_free_sized(p, size);
      else hak_free_aligned_sized(p, align, size);
      break;
    case 2: hak_free_aligned_sized(p, align, size); break;
    default: FUZZ_CHECK(hak_realloc(p, 0) == nullptr, "realloc(p, 0) returns NULL"); break;
  }
}

void Allocate(FuzzedDataProvider& in, int slot) {
  if (g_slots[slot].p) Release(slot, 0);
  size_t size = PickSize(in);
  uint32_t tag = g_next_tag++;
  int api = in.ConsumeIntegralInRange<int>(0, 7);
  if (api <= 2) {
    Adopt(slot, hak_malloc(size), size, 16, tag, 0, "malloc");
  } else if (api == 3) {
    size_t count = in.ConsumeIntegralInRange<size_t>(1, 8);
    size /= count;
    void* p = hak_calloc(count, size);
    FUZZ_CHECK(p, "calloc(%zu, %zu)", count, size);
    ForEachSampledRange(count * size, [&](size_t from, size_t to) {
      for (size_t i = from; i < to; i++) FUZZ_CHECK(((uint8_t*)p)[i] == 0, "calloc(%zu, %zu)[%zu] = %d", count, size, i, ((uint8_t*)p)[i]);
    });
    Adopt(slot, p, count * size, 16, tag, 0, "calloc");
  } else {
    size_t align = (size_t)1 << in.ConsumeIntegralInRange<int>(3, 21);
    void* p = nullptr;
    const char* name;
    switch (api) {
      case 4: name = "aligned_alloc"; p = hak_aligned_alloc(align, size); break;
      case 5: name = "posix_memalign"; FUZZ_CHECK(hak_posix_memalign(&p, align, size) == 0, "posix_memalign(%zu, %zu)", align, size); break;
      case 6: name = "memalign"; p = hak_memalign(align, size); break;
      default:
        name = "valloc";
        align = 4096;
        if (in.ConsumeBool()) {
          p = hak_valloc(size);
        } else {
          p = hak_pvalloc(size);
          size = (size + 4095) & ~(size_t)4095;  // pvalloc asks for whole pages: its size, for free_sized
        }
        break;
    }
    Adopt(slot, p, size, align, tag, 0, name);
  }
}

void Reallocate(FuzzedDataProvider& in, int slot) {
  size_t size = PickSize(in);
  Block old = g_slots[slot];
  if (!old.p) {
    Adopt(slot, hak_realloc(nullptr, size), size, 16, g_next_tag++, 0, "realloc(NULL)");
    return;
  }
  if (size == 0) {
    Release(slot, 3);
    return;
  }
  CheckIntact(old, "realloc");
  Forget(slot);
  void* q = hak_realloc(old.p, size);
  FUZZ_CHECK(q, "realloc(%p, %zu)", old.p, size);
  size_t keep = old.size < size ? old.size : size;
  // The old block's sampled bytes that fit the new size must have moved with it.
  ForEachSampledRange(old.size, [&](size_t from, size_t to) {
    if (to > keep) to = keep;
    size_t bad = from < to ? CheckPattern((uint8_t*)q, old.tag, from, to) : to;
    FUZZ_CHECK(bad == to, "realloc(%p [%zu] -> %zu) = %p lost byte %zu", old.p, old.size, size, q, bad);
  });
  // Keep the old tag: bytes below keep hold it; the rest is written now (the sampled ranges of the
  // new size that the old block's sampled ranges did not cover are rewritten whole).
  Adopt(slot, q, size, 16, old.tag, 0, "realloc");
}

struct ThreadJob {
  FuzzedDataProvider* in;
  int ops;
};

// A short-lived thread: allocates into and frees some slots, then exits (its cache is flushed).
void* ShortThread(void* arg) {
  ThreadJob* job = (ThreadJob*)arg;
  for (int i = 0; i < job->ops; i++) {
    int slot = job->in->ConsumeIntegralInRange<int>(0, kSlots - 1);
    if (g_slots[slot].p && job->in->ConsumeBool()) Release(slot, 0);
    else Allocate(*job->in, slot);
  }
  return nullptr;
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
  int threads = 0, trims = 0;
  while (in.remaining_bytes() > 0) {
    int op = in.ConsumeIntegralInRange<int>(0, 15);
    int slot = in.ConsumeIntegralInRange<int>(0, kSlots - 1);
    bool remote = op >= 8;  // the upper half runs on the second thread
    std::function<void()> task;
    switch (op & 7) {
      case 0: case 1: case 2: task = [&] { Allocate(in, slot); }; break;
      case 3: case 4: task = [&] { Reallocate(in, slot); }; break;
      case 5: case 6: {
        int how = in.ConsumeIntegralInRange<int>(0, 3);
        task = [&, how] { if (g_slots[slot].p) Release(slot, how); };
        break;
      }
      default:
        if (!remote && threads < 3) {
          threads++;
          ThreadJob job = {&in, in.ConsumeIntegralInRange<int>(1, 16)};
          pthread_t t;
          pthread_create(&t, nullptr, ShortThread, &job);
          pthread_join(t, nullptr);
        } else if (remote && trims < 2) {
          trims++;
          hak_trim(0);
        }
        continue;
    }
    if (remote) RunOnWorker(task);
    else task();
  }
  for (int slot = 0; slot < kSlots; slot++)
    if (g_slots[slot].p) Release(slot, slot & 1);
  FUZZ_CHECK(g_by_addr.empty(), "model out of sync");
  FUZZ_CHECK(hak_report_error_count() == errors_before, "a valid program was reported");
  return 0;
}
