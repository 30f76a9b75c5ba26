/* env box: the environment snapshot. Every HAKMEM_* variable (env_vars.def) is read once, at
 * initialisation, into one struct; no other box calls getenv. Unknown HAKMEM_* names and bad values
 * give a one-line warning on stderr and keep the default. The fast profile is not tunable: its
 * tuning variables are reported as ignored. hak_env() is valid after hak_env_init(). */
#ifndef HAKMEM_BOX_ENV_H
#define HAKMEM_BOX_ENV_H

#include <stddef.h>

#include "hakmem/box/report/report.h"
#include "hakmem/config/profile.h"

typedef enum hak_release_policy {
  HAK_RELEASE_LEAN = 0,
  HAK_RELEASE_BALANCED = 1,
  HAK_RELEASE_SPEED = 2,
} hak_release_policy_t;

typedef struct hak_env {
  hak_on_error_t on_error;
  int stats_at_exit;
  hak_release_policy_t release;
  size_t retain_bytes;
} hak_env_t;

/* The profile's defaults. */
HAK_HIDDEN void hak_env_defaults(hak_env_t* out);
/* Parses a NULL-terminated environment (as environ) into out, starting from the defaults. Pure
 * apart from the warnings it writes; returns the number of warnings. */
HAK_HIDDEN int hak_env_parse(char* const* envp, hak_env_t* out);
/* Reads environ once (idempotent, not thread-safe: called under the init lock). */
HAK_HIDDEN void hak_env_init(void);
HAK_HIDDEN const hak_env_t* hak_env(void);

#endif
