/* superslab box: 2 MiB-aligned regions cut into 64 KiB pages, slabs of one class each, and the
 * registry that says whether an address is hakmem's.
 *
 * Glossary
 *   SuperSlab  2 MiB, 2 MiB-aligned mapping. Its first page(s) hold the header: one hak_slab_t per
 *              page, one hak_free_info_t per page, then (safe profile) one state byte per block of
 *              every slab.
 *   page       64 KiB; a slab covers 1..16 contiguous pages. The head page's hak_slab_t describes
 *              the slab. Every page's hak_free_info_t (4 bytes, before the page entries) carries the
 *              slab's class and owner: all free() reads of a page, the 32 of a SuperSlab in two
 *              cache lines that stay in L1 when the blocks do not (coloured: hak_free_info_of).
 *   OS page    4 KiB. The central box may decommit the OS pages of a live slab that hold only
 *              free blocks ("purge"); their state is kept in the header (purged, dirty).
 *   block bytes  one per block (safe: its state) or two (observe: the tag of the thread that
 *              allocated it), in header pages after the first; slab->states points to them.
 *   registry   one bit per 2 MiB of the 47-bit address space (8 MiB of untouched .bss): whether a
 *              SuperSlab is there; and for free()'s fast path the same as one byte per 2 MiB of a
 *              4 TiB window placed around the first SuperSlab, 3 TiB below it (mappings come top
 *              down) and 1 TiB above (2 MiB of .bss: a byte compare, no bit extraction; a SuperSlab
 *              outside the window is freed through the slow path). Readers need no lock;
 *              writers hold the box's lock. (Large blocks are found through the large box's page
 *              map.) A byte per chunk of the whole space would be 64 MiB of address space.
 * Invariants: a registered chunk is wholly hakmem's; a page that holds no blocks has class
 * HAK_CLASS_NONE; slab->start is 64 KiB-aligned so a block is aligned to its size's lowest bit.
 * Thread-safety: slab fields other than head, and the free info's owner, are protected by the owning
 * class's central lock (free() reads the owner without it); the free info's class, page allocation
 * and the SuperSlab list by this box's lock. */
#ifndef HAKMEM_BOX_SUPERSLAB_H
#define HAKMEM_BOX_SUPERSLAB_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/box/size_class/size_class.h"
#include "hakmem/config/profile.h"

#define HAK_SS_SHIFT 21
#define HAK_SS_SIZE ((size_t)1 << HAK_SS_SHIFT)
#define HAK_PAGE_SHIFT 16
#define HAK_PAGE_SIZE ((size_t)1 << HAK_PAGE_SHIFT)
#define HAK_SS_PAGES 32
#define HAK_OS_PAGE_SHIFT 12
#define HAK_OS_PAGE ((size_t)1 << HAK_OS_PAGE_SHIFT)
#define HAK_OS_PAGES_PER_PAGE (HAK_PAGE_SIZE / HAK_OS_PAGE) /* 16: one bit each in purged[] */
/* Bytes per block in the header's per-block array: safe keeps a state, observe an owner tag. */
#define HAK_SS_BLOCK_BYTES (HAK_CFG_CHECK_FREE ? 1 : HAK_CFG_STATS ? 2 : 0)
#define HAK_SS_HEADER_PAGES (HAK_CFG_CHECK_FREE ? 3 : HAK_CFG_STATS ? 5 : 1)
#define HAK_ADDR_BITS 47
#define HAK_REGISTRY_SIZE ((size_t)1 << (HAK_ADDR_BITS - HAK_SS_SHIFT)) /* chunks: one bit each */
#define HAK_MAX_SLAB_BLOCKS 4096 /* 64 KiB / 16 B; bounds the safe profile's state bytes */

enum hak_region_kind {
  HAK_REGION_NONE = 0,
  HAK_REGION_SUPERSLAB = 1,
};

/* Block states of the safe profile (one byte per block), changed when a block moves between the
 * central box and a thread, not at every malloc and free: OUT is a block a thread has (in its cache
 * or with the program; its tail word tells which: route.h), FREED one in the central box, FRESH a
 * NEVER block in a thread's cache (its first malloc makes it OUT).
 * ALLOCATED is never stored: hak_block_state's answer for an OUT block with the program. */
enum {
  HAK_BLOCK_NEVER = 0,
  HAK_BLOCK_FRESH = 0xA0,
  HAK_BLOCK_OUT = 0xA1,
  HAK_BLOCK_FREED = 0xF7,
  HAK_BLOCK_QUARANTINED = 0xEE,
  HAK_BLOCK_ALLOCATED = 0x100,
};

typedef struct hak_slab {
  uint8_t head;   /* every page: index of the slab's head page */
  uint8_t npages; /* head only, as the fields below */
  uint8_t listed; /* on its class's partial list */
  uint16_t used;  /* blocks handed out of the slab (in caches or with the program) */
  /* (3 bytes of padding around used: the class and owner are in hak_free_info_t) */
  uint32_t magic;      /* HAK_SLAB_MAGIC while the slab is live */
  uint32_t block_size; /* beside magic: the safe profile checks both in one load (hak_slab_id) */
  uint16_t carved;     /* blocks [0, carved) have been handed out at least once */
  uint16_t capacity;   /* blocks (at most HAK_MAX_SLAB_BLOCKS) */
  uint16_t nfree;  /* carved blocks back in the slab: the set bits of its free bitmap */
  uint16_t scan;   /* no word of the free bitmap below this one has a set bit */
  struct hak_slab* prev;
  struct hak_slab* next;
  uint8_t* start;  /* first block */
  uint8_t* states; /* safe: one state byte per block; observe: one uint16_t owner tag per block */
} __attribute__((aligned(64))) hak_slab_t;
_Static_assert(sizeof(hak_slab_t) == 64, "one cache line per page entry");
_Static_assert(HAK_MAX_SLAB_BLOCKS <= UINT16_MAX, "block counts fit in uint16_t");
_Static_assert(offsetof(hak_slab_t, block_size) == offsetof(hak_slab_t, magic) + 4, "hak_slab_id reads both");

/* A slab's magic and block size as one word: hak_class_info[cls].slab_id when the slab is live
 * and of class cls (HAK_SLAB_MAGIC: size_class.h). */
HAK_INLINE uint64_t hak_slab_id(const hak_slab_t* s) {
  uint64_t id;
  __builtin_memcpy(&id, (const char*)s + offsetof(hak_slab_t, magic), sizeof id);
  return id;
}

/* What free() reads of a page, one per page of a SuperSlab. Apart from the page entries: at large
 * working sets a block's page entry is rarely in L1 (0.46 misses per free at 40000 slots), these 128
 * bytes per SuperSlab mostly are (docs/perf.md). */
typedef struct hak_free_info {
  uint8_t cls; /* block class of the slab covering this page, or HAK_CLASS_NONE */
  /* After one byte of padding: the owner id of the thread whose cache takes this slab's frees
   * (central box), 0 for none. Written under the class lock only. */
  uint16_t owner;
} hak_free_info_t;

/* The free infos of a SuperSlab are coloured: its 32 sit in one of HAK_INFO_COLORS 128-byte slots
 * of a 2 KiB window, the one its address bits 21..24 pick. SuperSlabs are 2 MiB-aligned: at one
 * fixed offset, the free infos of all of them would share one pair of cache sets (12 ways in L1, 8
 * in L2), and past a dozen SuperSlabs nearly every free missed there (0.85 misses per free at
 * 400000 slots: docs/perf.md). The window is the first half of the header's first 4 KiB page, the
 * page entries the second: free() touches no more pages than before, and the free infos never
 * share an L1 set with page entries. The slot comes from the address like the page does, so free()
 * needs no more instructions: only its mask is wider. */
#define HAK_INFO_COLORS 16
#define HAK_INFO_SLOTS (HAK_SS_PAGES * HAK_INFO_COLORS)

typedef struct hak_superslab {
  hak_free_info_t free_info[HAK_INFO_SLOTS]; /* 32 in use (coloured); at offset 0: free() adds no displacement */
  hak_slab_t pages[HAK_SS_PAGES];
  uint64_t magic;
  struct hak_superslab* next;
  uint32_t free_pages; /* bit i: page i holds no slab */
  uint32_t committed;  /* bit i: free page i may still be resident (not decommitted) */
  /* Purge state of live slabs, owned by the central box (under the class lock); zero for a new slab. */
  uint16_t purged[HAK_SS_PAGES];  /* bit j: OS page j of this page is decommitted; only free blocks overlap it */
  uint16_t dirty[HAK_SS_PAGES];   /* head page: blocks freed into the slab since the last purge */
  uint16_t npurged[HAK_SS_PAGES]; /* head page: purged OS pages of the slab */
  /* head page: the slab's free bitmap, bit i set when carved block i is back in the slab. A bitmap,
   * not a list linked through the blocks: a refill hands out the lowest free blocks first, so that
   * what a program allocates in a row lies together in memory (docs/perf.md, "Block order"), reads
   * no block's memory, and a free block holds nothing the allocator trusts. Zero unless its slab
   * is live: a new SuperSlab is zero, and the central box clears a row as its slab empties. */
  uint64_t free_bits[HAK_SS_PAGES][HAK_MAX_SLAB_BLOCKS / 64];
} hak_superslab_t;

_Static_assert(offsetof(hak_superslab_t, free_info) == 0, "free infos at the SuperSlab's start (two cache lines each)");
_Static_assert(offsetof(hak_superslab_t, pages) + sizeof(((hak_superslab_t*)0)->pages) == HAK_OS_PAGE,
               "the free infos and the page entries fill the header's first OS page: free() touches only that page of it");

/* The SuperSlab holding an address inside it. */
HAK_INLINE hak_superslab_t* hak_ss_of(const void* p) {
  return (hak_superslab_t*)((uintptr_t)p & ~(uintptr_t)(HAK_SS_SIZE - 1));
}

/* Index of a page entry in its SuperSlab. */
HAK_INLINE unsigned hak_slab_index(const hak_slab_t* s) { return (unsigned)(s - hak_ss_of(s)->pages); }

/* The free info of the page holding address a inside a SuperSlab: pure arithmetic, like
 * hak_page_of. Address bits 16..20 give the page, bits 21..24 the colour. */
HAK_INLINE hak_free_info_t* hak_free_info_of(uintptr_t a) {
  return &hak_ss_of((const void*)a)->free_info[(a >> HAK_PAGE_SHIFT) & (HAK_INFO_SLOTS - 1)];
}

/* The free info of page i of SuperSlab ss (the free infos of a slab's pages are contiguous). */
HAK_INLINE hak_free_info_t* hak_ss_info(hak_superslab_t* ss, unsigned i) {
  return hak_free_info_of((uintptr_t)ss + (uintptr_t)i * HAK_PAGE_SIZE);
}

/* The free info of a page entry's page. */
HAK_INLINE hak_free_info_t* hak_page_info(const hak_slab_t* page) {
  return hak_ss_info(hak_ss_of(page), hak_slab_index(page));
}

/* The class of a page entry's page (HAK_CLASS_NONE for a page without a slab). */
HAK_INLINE unsigned hak_page_class(const hak_slab_t* page) {
  return __atomic_load_n(&hak_page_info(page)->cls, __ATOMIC_ACQUIRE);
}

extern uint64_t hak_region_bits[HAK_REGISTRY_SIZE / 64] HAK_HIDDEN;
#define HAK_FAST_WINDOW_BITS 42 /* 4 TiB */
#define HAK_FAST_CHUNKS ((size_t)1 << (HAK_FAST_WINDOW_BITS - HAK_SS_SHIFT))
extern uint8_t hak_region_fast[HAK_FAST_CHUNKS] HAK_HIDDEN;
/* The window's first chunk: set once, before the first SuperSlab is registered; until then a
 * value that puts every address outside. */
extern uintptr_t hak_fast_first_chunk HAK_HIDDEN;

/* free()'s fast path: whether a is in a SuperSlab inside the window (false elsewhere, SuperSlab or
 * not: hak_region_kind says). One subtraction covers both bounds. */
HAK_INLINE int hak_region_fast_superslab(uintptr_t a) {
  uintptr_t i = (a >> HAK_SS_SHIFT) - hak_fast_first_chunk; /* written once, before the first SuperSlab */
  return i < HAK_FAST_CHUNKS && hak_region_fast[i];
}

/* The registry kind of the 2 MiB chunk holding address a (NONE above the 47-bit space). */
HAK_INLINE unsigned hak_region_kind(uintptr_t a) {
  uintptr_t word = a >> (HAK_SS_SHIFT + 6);
  if (word >= HAK_REGISTRY_SIZE / 64) return HAK_REGION_NONE;
  return (unsigned)(hak_region_bits[word] >> ((a >> HAK_SS_SHIFT) % 64)) & 1u;
}

/* The page entry of an address inside a SuperSlab: pure arithmetic, ss + offset + page * 64. */
HAK_INLINE hak_slab_t* hak_page_of(uintptr_t a) {
  return (hak_slab_t*)((a & ~(uintptr_t)(HAK_SS_SIZE - 1)) + offsetof(hak_superslab_t, pages) +
                       ((a >> (HAK_PAGE_SHIFT - 6)) & ((HAK_SS_PAGES - 1) << 6)));
}

/* The slab (head page entry) covering a page entry. */
HAK_INLINE hak_slab_t* hak_slab_head(hak_slab_t* page) {
  hak_superslab_t* ss = (hak_superslab_t*)((uintptr_t)page & ~(uintptr_t)(HAK_SS_SIZE - 1));
  return &ss->pages[page->head];
}

/* A new slab of class cls (fresh or reused pages), or NULL when the OS refuses memory. */
HAK_HIDDEN hak_slab_t* hak_ss_slab_alloc(unsigned cls);
/* Gives an empty slab's pages back to its SuperSlab (and maybe the OS, as the release policy says). */
HAK_HIDDEN void hak_ss_slab_free(hak_slab_t* slab);
/* Marks the chunks of [base, base + size) (2 MiB-aligned) in the registry as kind. */
HAK_HIDDEN void hak_registry_set(uintptr_t base, size_t size, unsigned kind);

typedef struct hak_ss_counters {
  uint64_t superslabs;     /* mapped now */
  uint64_t slabs;          /* live now */
  uint64_t retained_bytes; /* free pages that may still be resident */
  uint64_t class_slabs[HAK_NCLASSES]; /* live slabs of each class */
} hak_ss_counters_t;
HAK_HIDDEN void hak_ss_counters_get(hak_ss_counters_t* out);
/* Decommits every free page and unmaps every empty SuperSlab (malloc_trim). */
HAK_HIDDEN void hak_ss_trim(void);

HAK_HIDDEN void hak_ss_fork_prepare(void);
HAK_HIDDEN void hak_ss_fork_parent(void);
HAK_HIDDEN void hak_ss_fork_child(void);

#endif
