#include "hakmem/box/central/central.h"

#include <pthread.h>
#include <string.h>

#include "hakmem/box/report/report.h"

#define TRANSFER_MAX 256

typedef struct central_class {
  pthread_mutex_t lock;
  hak_slab_t* partial; /* slabs with free or uncarved blocks */
  hak_slab_t* spare;   /* one empty slab kept for reuse */
  unsigned ntransfer;
  void* transfer[TRANSFER_MAX];
} __attribute__((aligned(64))) central_class_t;

static central_class_t g_central[HAK_NCLASSES];

static unsigned transfer_limit(unsigned cls) {
  unsigned limit = 4u * hak_class_info[cls].cache_cap;
  return limit < TRANSFER_MAX ? limit : TRANSFER_MAX;
}

static void list_push(central_class_t* c, hak_slab_t* s) {
  s->prev = NULL;
  s->next = c->partial;
  if (c->partial) c->partial->prev = s;
  c->partial = s;
  s->listed = 1;
}

static void list_remove(central_class_t* c, hak_slab_t* s) {
  if (s->prev) s->prev->next = s->next;
  else c->partial = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = NULL;
  s->listed = 0;
}

/* A free-list link must be NULL or the start of a block of the same slab. */
static int link_valid(const hak_slab_t* s, const void* next) {
  if (!next) return 1;
  uintptr_t off = (uintptr_t)next - (uintptr_t)s->start;
  return off < (size_t)s->capacity * s->block_size && off % s->block_size == 0;
}

/* Pops up to n blocks from one slab. */
static unsigned slab_take(hak_slab_t* s, unsigned cls, void** out, unsigned n) {
  unsigned got = 0;
  while (got < n && s->free_list) {
    void* p = s->free_list;
    void* next = *(void**)p;
    if (HAK_CFG_CHECK_FREE && HAK_UNLIKELY(!link_valid(s, next))) {
      hak_report_error(HAK_ERR_FREE_LIST_CORRUPT, p, "malloc", (int)cls, s->block_size);
      next = NULL; /* report mode: drop the rest of the list (leaked, never handed out) */
    }
    s->free_list = next;
    out[got++] = p;
  }
  while (got < n && s->carved < s->capacity) out[got++] = s->start + (size_t)s->carved++ * s->block_size;
  s->used += got;
  return got;
}

unsigned hak_central_refill(unsigned cls, void** out, unsigned n) {
  central_class_t* c = &g_central[cls];
  pthread_mutex_lock(&c->lock);
  unsigned got = n < c->ntransfer ? n : c->ntransfer;
  c->ntransfer -= got;
  memcpy(out, &c->transfer[c->ntransfer], got * sizeof(void*));
  while (got < n) {
    hak_slab_t* s = c->partial;
    if (!s) {
      s = c->spare ? c->spare : hak_ss_slab_alloc(cls);
      c->spare = NULL;
      if (!s) break;
      list_push(c, s);
    }
    got += slab_take(s, cls, out + got, n - got);
    if (!s->free_list && s->carved == s->capacity) list_remove(c, s);
  }
  pthread_mutex_unlock(&c->lock);
  return got;
}

/* Returns one block to its slab (class lock held). */
static void slab_put(central_class_t* c, void* p) {
  hak_slab_t* s = hak_slab_head(hak_page_of((uintptr_t)p));
  *(void**)p = s->free_list;
  s->free_list = p;
  s->used--;
  if (s->used == 0) {
    /* Empty: forget the carving so the pages are not touched again, keep one spare per class. */
    if (s->listed) list_remove(c, s);
    s->free_list = NULL;
    s->carved = 0;
    /* Carved anew later: no block keeps a FREED state (its poison may be gone with the pages). */
    if (HAK_CFG_CHECK_FREE) memset(s->states, HAK_BLOCK_NEVER, s->capacity);
    if (!c->spare) {
      c->spare = s;
    } else {
      hak_ss_slab_free(s);
    }
  } else if (!s->listed) {
    list_push(c, s);
  }
}

void hak_central_flush(unsigned cls, void* const* blocks, unsigned n) {
  central_class_t* c = &g_central[cls];
  pthread_mutex_lock(&c->lock);
  unsigned room = transfer_limit(cls) - c->ntransfer;
  unsigned k = n < room ? n : room;
  memcpy(&c->transfer[c->ntransfer], blocks, k * sizeof(void*));
  c->ntransfer += k;
  for (unsigned i = k; i < n; i++) slab_put(c, blocks[i]);
  pthread_mutex_unlock(&c->lock);
}

void hak_central_drain(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) {
    central_class_t* c = &g_central[cls];
    pthread_mutex_lock(&c->lock);
    while (c->ntransfer) slab_put(c, c->transfer[--c->ntransfer]);
    if (c->spare) hak_ss_slab_free(c->spare);
    c->spare = NULL;
    pthread_mutex_unlock(&c->lock);
  }
}

unsigned hak_central_transfer_count(unsigned cls) {
  central_class_t* c = &g_central[cls];
  pthread_mutex_lock(&c->lock);
  unsigned n = c->ntransfer;
  pthread_mutex_unlock(&c->lock);
  return n;
}

void hak_central_fork_prepare(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_lock(&g_central[cls].lock);
}

void hak_central_fork_parent(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_unlock(&g_central[cls].lock);
}

void hak_central_fork_child(void) {
  for (unsigned cls = 0; cls < HAK_NCLASSES; cls++) pthread_mutex_init(&g_central[cls].lock, NULL);
}
