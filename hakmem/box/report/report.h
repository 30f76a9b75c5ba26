/* report box: one-line error and warning messages on stderr, written without allocating.
 *
 * An error names its kind, the pointer, the API function and, where known, the size class and
 * block size, then abort()s, unless the mode is HAK_ON_ERROR_REPORT (HAKMEM_ON_ERROR=report),
 * where it returns and the caller quarantines the block. Thread-safe (one write(2) per line). */
#ifndef HAKMEM_BOX_REPORT_H
#define HAKMEM_BOX_REPORT_H

#include <stddef.h>

#include "hakmem/config/profile.h"

typedef enum hak_error {
  HAK_ERR_INVALID_POINTER,   /* not a pointer hakmem handed out */
  HAK_ERR_INTERIOR_POINTER,  /* inside hakmem's memory but not the start of a block */
  HAK_ERR_DOUBLE_FREE,       /* the block is not currently allocated */
  HAK_ERR_METADATA_CORRUPT,  /* a magic number of slab or region metadata no longer matches */
  HAK_ERR_WRITE_AFTER_FREE,  /* the pattern written into a freed block changed before reuse */
  HAK_ERR_OVERFLOW,          /* the canary after the usable size was overwritten */
  HAK_ERR_SIZE_MISMATCH,     /* free_sized / free_aligned_sized with a size the block cannot hold */
  HAK_ERR_USE_AFTER_FREE,    /* safe: an access to a freed large block (it faulted) */
  HAK_ERR_COUNT
} hak_error_t;

typedef enum hak_on_error { HAK_ON_ERROR_ABORT = 0, HAK_ON_ERROR_REPORT = 1 } hak_on_error_t;

/* The message's name for an error kind, e.g. "double free". */
HAK_HIDDEN const char* hak_report_error_name(hak_error_t err);
HAK_HIDDEN void hak_report_set_mode(hak_on_error_t mode);
/* Reports an error; cls < 0 when the class is unknown. Returns only in report mode. */
HAK_HIDDEN HAK_COLD void hak_report_error(hak_error_t err, const void* ptr, const char* func, int cls,
                                          size_t block_size);
/* safe's fault handler: an access at addr that faulted in hakmem's guard, quarantine or zero-size
 * region, next to or inside the block (what: "large block", "block") at block of size bytes. Only
 * writes the line (async-signal-safe); the caller lets the fault kill the process with its signal. */
HAK_HIDDEN HAK_COLD void hak_report_fault(hak_error_t err, const void* addr, const char* what, const void* block,
                                          size_t size);
/* Number of errors reported so far (for tests in report mode). */
HAK_HIDDEN unsigned long hak_report_error_count(void);
/* "hakmem: warning: " + msg + arg (arg may be NULL), one line. */
HAK_HIDDEN HAK_COLD void hak_report_warning(const char* msg, const char* arg);

/* Minimal formatting into a caller's buffer, for code that must not allocate. Each returns the
 * new end of the text; the buffer is never overrun (end points one past its last byte). */
HAK_HIDDEN char* hak_fmt_str(char* at, char* end, const char* s);
HAK_HIDDEN char* hak_fmt_u64(char* at, char* end, unsigned long long v);
HAK_HIDDEN char* hak_fmt_hex(char* at, char* end, unsigned long long v);

#endif
