#include "hakmem/box/env/env.h"

#include <string.h>

extern char** environ;

static hak_env_t g_env;

void hak_env_defaults(hak_env_t* out) {
  out->on_error = HAK_CFG_CHECK_FREE ? HAK_ON_ERROR_ABORT : HAK_ON_ERROR_REPORT;
  out->stats_at_exit = 0;
  out->release = (hak_release_policy_t)HAK_CFG_RELEASE_POLICY;
  out->retain_bytes = (size_t)8 << 20;
}

static int parse_u64(const char* s, unsigned long long max, unsigned long long* out) {
  unsigned long long v = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    v = v * 10 + (unsigned)(*s - '0');
    if (v > max) return 0;
  }
  *out = v;
  return 1;
}

/* Applies one known variable; returns 0 when the value is not valid. */
static int apply(const char* name, const char* value, hak_env_t* out) {
  unsigned long long n;
  if (!strcmp(name, "HAKMEM_ON_ERROR")) {
    if (!strcmp(value, "abort")) out->on_error = HAK_ON_ERROR_ABORT;
    else if (!strcmp(value, "report")) out->on_error = HAK_ON_ERROR_REPORT;
    else return 0;
  } else if (!strcmp(name, "HAKMEM_STATS")) {
    if (strcmp(value, "0") && strcmp(value, "1")) return 0;
    out->stats_at_exit = value[0] == '1';
  } else if (!strcmp(name, "HAKMEM_RELEASE")) {
    if (!strcmp(value, "lean")) out->release = HAK_RELEASE_LEAN;
    else if (!strcmp(value, "balanced")) out->release = HAK_RELEASE_BALANCED;
    else if (!strcmp(value, "speed")) out->release = HAK_RELEASE_SPEED;
    else return 0;
  } else if (!strcmp(name, "HAKMEM_RETAIN_MB")) {
    if (!parse_u64(value, 65536, &n)) return 0;
    out->retain_bytes = (size_t)n << 20;
  }
  return 1;
}

typedef struct var_info {
  const char* name;
  const char* values;
  int tuning;
} var_info_t;

static const var_info_t k_vars[] = {
#define HAK_ENV_VAR(name, values, tuning, doc) {#name, values, tuning},
#include "hakmem/box/env/env_vars.def"
#undef HAK_ENV_VAR
};

int hak_env_parse(char* const* envp, hak_env_t* out) {
  hak_env_defaults(out);
  int warnings = 0;
  for (; envp && *envp; envp++) {
    const char* entry = *envp;
    if (strncmp(entry, "HAKMEM_", 7) != 0) continue;
    const char* eq = strchr(entry, '=');
    size_t name_len = eq ? (size_t)(eq - entry) : strlen(entry);
    const char* value = eq ? eq + 1 : "";
    char name[64];
    if (name_len >= sizeof name) name_len = sizeof name - 1;
    memcpy(name, entry, name_len);
    name[name_len] = 0;
    const var_info_t* var = NULL;
    for (size_t i = 0; i < sizeof k_vars / sizeof k_vars[0]; i++)
      if (!strcmp(k_vars[i].name, name)) var = &k_vars[i];
    if (!var) {
      hak_report_warning("unknown variable ignored: ", name);
      warnings++;
    } else if (var->tuning && !HAK_CFG_ENV_TUNING) {
      hak_report_warning("the fast profile is not tunable; ignored: ", name);
      warnings++;
    } else if (!apply(name, value, out)) {
      char msg[128];
      char* at = hak_fmt_str(msg, msg + sizeof msg - 1, "bad value for ");
      at = hak_fmt_str(at, msg + sizeof msg - 1, name);
      at = hak_fmt_str(at, msg + sizeof msg - 1, " (expected ");
      at = hak_fmt_str(at, msg + sizeof msg - 1, var->values);
      at = hak_fmt_str(at, msg + sizeof msg - 1, "), default kept: ");
      *at = 0;
      hak_report_warning(msg, value);
      warnings++;
    }
  }
  return warnings;
}

void hak_env_init(void) { hak_env_parse(environ, &g_env); }

const hak_env_t* hak_env(void) { return &g_env; }
