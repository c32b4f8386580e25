/* r1c runtime C API: loads and runs artifacts produced by the r1c compiler.
 *
 * Conventions
 *  - Every handle is opaque and made by a `_create` function; the caller owns
 *    it and gives it back with the matching `_release`. Releasing NULL is a
 *    no-op.
 *  - Functions that can fail return an `r1rt_status_t`: NULL means success.
 *    A non-NULL status is owned by the caller, carries a code and a message,
 *    and must be released with `r1rt_status_release`.
 *  - Results come back through `out_` parameters, written only on success.
 *  - No C++ types cross this header; it compiles as C99 and as C++.
 */
#ifndef R1C_RUNTIME_H
#define R1C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this runtime library (semantic versioning). */
#define R1RT_VERSION_MAJOR 0
#define R1RT_VERSION_MINOR 1
#define R1RT_VERSION_PATCH 0

/* Returns the runtime version as "MAJOR.MINOR.PATCH"; the string is static. */
const char *r1rt_version_string(void);

/* Artifact format version this runtime reads; others are refused. */
uint32_t r1rt_artifact_format_version(void);

typedef enum r1rt_status_code_e {
  R1RT_OK = 0,
  R1RT_INVALID_ARGUMENT = 1,  /* a caller-supplied value is wrong */
  R1RT_NOT_FOUND = 2,         /* a named input, output or file does not exist */
  R1RT_OUT_OF_MEMORY = 3,     /* an allocation failed */
  R1RT_DATA_LOSS = 4,         /* an artifact is truncated or corrupt */
  R1RT_UNIMPLEMENTED = 5,     /* the artifact needs a feature this build lacks */
  R1RT_UNAVAILABLE = 6,       /* a device or driver is missing */
  R1RT_INTERNAL = 7,          /* a bug in the runtime */
} r1rt_status_code_t;

/* Result of a fallible call: NULL for success, else an owned error. */
typedef struct r1rt_status *r1rt_status_t;

/* Makes an error status with a copy of `message`. Returns NULL for R1RT_OK. */
r1rt_status_t r1rt_status_create(r1rt_status_code_t code, const char *message);

/* The code of `status`; R1RT_OK for NULL. */
r1rt_status_code_t r1rt_status_code(r1rt_status_t status);

/* The message of `status`, valid until it is released; "" for NULL. */
const char *r1rt_status_message(r1rt_status_t status);

/* The name of a status code, e.g. "INVALID_ARGUMENT"; the string is static. */
const char *r1rt_status_code_name(r1rt_status_code_t code);

/* Releases `status`; NULL is a no-op. */
void r1rt_status_release(r1rt_status_t status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* R1C_RUNTIME_H */
