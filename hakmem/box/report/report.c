#include "hakmem/box/report/report.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static hak_on_error_t g_mode = HAK_ON_ERROR_ABORT;
static unsigned long g_errors;

static const char* const k_names[HAK_ERR_COUNT] = {
    [HAK_ERR_INVALID_POINTER] = "invalid pointer (not allocated by hakmem)",
    [HAK_ERR_INTERIOR_POINTER] = "pointer into the middle of a block",
    [HAK_ERR_DOUBLE_FREE] = "double free",
    [HAK_ERR_METADATA_CORRUPT] = "metadata corrupted",
    [HAK_ERR_WRITE_AFTER_FREE] = "write after free",
    [HAK_ERR_OVERFLOW] = "buffer overflow past the end of the block",
    [HAK_ERR_SIZE_MISMATCH] = "size mismatch",
    [HAK_ERR_USE_AFTER_FREE] = "use after free",
};

const char* hak_report_error_name(hak_error_t err) {
  return (unsigned)err < HAK_ERR_COUNT ? k_names[err] : "unknown error";
}

void hak_report_set_mode(hak_on_error_t mode) { g_mode = mode; }

unsigned long hak_report_error_count(void) { return __atomic_load_n(&g_errors, __ATOMIC_RELAXED); }

char* hak_fmt_str(char* at, char* end, const char* s) {
  while (*s && at < end) *at++ = *s++;
  return at;
}

char* hak_fmt_u64(char* at, char* end, unsigned long long v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && at < end) *at++ = tmp[--n];
  return at;
}

char* hak_fmt_hex(char* at, char* end, unsigned long long v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v);
  at = hak_fmt_str(at, end, "0x");
  while (n && at < end) *at++ = tmp[--n];
  return at;
}

static void write_line(char* buf, char* at, char* end) {
  if (at >= end) at = end - 1;
  *at++ = '\n';
  ssize_t unused = write(STDERR_FILENO, buf, (size_t)(at - buf));
  (void)unused;
}

/* "hakmem: error: <name>: pointer <ptr>", counted. */
static char* error_head(char* buf, char* end, hak_error_t err, const void* ptr) {
  __atomic_fetch_add(&g_errors, 1, __ATOMIC_RELAXED);
  char* at = hak_fmt_str(buf, end, "hakmem: error: ");
  at = hak_fmt_str(at, end, hak_report_error_name(err));
  at = hak_fmt_str(at, end, ": pointer ");
  return hak_fmt_hex(at, end, (unsigned long long)(uintptr_t)ptr);
}

void hak_report_error(hak_error_t err, const void* ptr, const char* func, int cls, size_t block_size) {
  char buf[256];
  char* end = buf + sizeof buf;
  char* at = error_head(buf, end, err, ptr);
  at = hak_fmt_str(at, end, " in ");
  at = hak_fmt_str(at, end, func);
  at = hak_fmt_str(at, end, "()");
  if (cls >= 0) {
    at = hak_fmt_str(at, end, " (size class ");
    at = hak_fmt_u64(at, end, (unsigned)cls);
    at = hak_fmt_str(at, end, ", block size ");
    at = hak_fmt_u64(at, end, block_size);
    at = hak_fmt_str(at, end, ")");
  } else if (block_size) {
    at = hak_fmt_str(at, end, " (large block of ");
    at = hak_fmt_u64(at, end, block_size);
    at = hak_fmt_str(at, end, " bytes)");
  }
  at = hak_fmt_str(at, end, g_mode == HAK_ON_ERROR_ABORT ? "; aborting" : "; block quarantined");
  write_line(buf, at, end);
  if (g_mode == HAK_ON_ERROR_ABORT) abort();
}

void hak_report_fault(hak_error_t err, const void* addr, const char* what, const void* block, size_t size) {
  char buf[256];
  char* end = buf + sizeof buf;
  char* at = error_head(buf, end, err, addr);
  at = hak_fmt_str(at, end, " in a memory access (");
  at = hak_fmt_str(at, end, what);
  at = hak_fmt_str(at, end, " of ");
  at = hak_fmt_u64(at, end, size);
  at = hak_fmt_str(at, end, " bytes at ");
  at = hak_fmt_hex(at, end, (unsigned long long)(uintptr_t)block);
  at = hak_fmt_str(at, end, "); killed by SIGSEGV");
  write_line(buf, at, end);
}

void hak_report_warning(const char* msg, const char* arg) {
  char buf[256];
  char* end = buf + sizeof buf;
  char* at = hak_fmt_str(buf, end, "hakmem: warning: ");
  at = hak_fmt_str(at, end, msg);
  if (arg) at = hak_fmt_str(at, end, arg);
  write_line(buf, at, end);
}
