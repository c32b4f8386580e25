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
 *  - Pointers a query returns into a handle (names, dims, section data) are
 *    owned by that handle and stay valid until it is released; the caller
 *    never frees them.
 *  - Input buffers are only read during the call: r1rt_model_create_from_memory
 *    copies the bytes it is given.
 *  - A NULL handle or out pointer, or an index out of range, gives an
 *    R1RT_INVALID_ARGUMENT status whose message names the argument.
 *  - Handles may be used from several threads at once for the read-only
 *    queries below; creating and releasing are not concurrent with use.
 *  - No C++ types cross this header; it compiles as C99 and as C++.
 */
#ifndef R1C_RUNTIME_H
#define R1C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Section kinds (r1rt_section_kind_t) and element types (r1rt_dtype_t). */
#include "r1c/artifact_format.h"

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
  R1RT_INVALID_ARGUMENT = 1,              /* a caller-supplied value is wrong */
  R1RT_NOT_FOUND = 2,                     /* a named input, output or file does not exist */
  R1RT_OUT_OF_MEMORY = 3,                 /* an allocation failed */
  R1RT_DATA_LOSS = 4,                     /* an artifact is truncated or corrupt */
  R1RT_UNIMPLEMENTED = 5,                 /* the artifact needs a feature this build lacks */
  R1RT_UNAVAILABLE = 6,                   /* a device or driver is missing */
  R1RT_INTERNAL = 7,                      /* a bug in the runtime */
  R1RT_STATUS_CODE_MAX_ENUM = 0x7FFFFFFF, /* not a code: keeps the enum 32 bits wide */
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

/*===------------------------------------------------------------------===*
 * Element types
 *===------------------------------------------------------------------===*/

/* Bytes per element of `dtype`: 4 for FLOAT, 2 for FLOAT16, 1 for BOOL.
 * 0 for types without a fixed byte size (STRING, the 4-bit types) and for
 * values outside r1rt_dtype_t. */
size_t r1rt_dtype_size(r1rt_dtype_t dtype);

/* The ONNX name of `dtype` in lower case ("float", "int64", "bfloat16");
 * "unknown" for values outside r1rt_dtype_t. The string is static. */
const char *r1rt_dtype_name(r1rt_dtype_t dtype);

/*===------------------------------------------------------------------===*
 * Models
 *===------------------------------------------------------------------===*/

/* A loaded, validated artifact (OUT.r1): its metadata and its sections.
 * Loading checks the whole artifact (format version, sizes, checksum,
 * section bounds, metadata) before returning; a model that loaded is
 * consistent, and no later query reads outside it. Errors:
 *   R1RT_INVALID_ARGUMENT  the bytes are not an r1c artifact (bad magic)
 *   R1RT_UNIMPLEMENTED     another format version, header flags or dtype
 *                          this runtime does not know; the message names both
 *                          versions
 *   R1RT_DATA_LOSS         truncated, checksum mismatch, or malformed
 *   R1RT_NOT_FOUND         (from a file) the file does not exist */
typedef struct r1rt_model *r1rt_model_t;

/* One graph input or output. Every pointer is owned by the model and stays
 * valid until r1rt_model_release. */
typedef struct r1rt_tensor_info_s {
  const char *name; /* NUL-terminated, non-empty, unique among inputs (outputs) */
  r1rt_dtype_t dtype;
  int32_t rank; /* number of dims; 0 for a scalar */
  /* `rank` extents, each >= 0 or -1 (R1RT_ARTIFACT_SYMBOLIC_DIM) for a dim
   * known only at run time. NULL when rank is 0. */
  const int64_t *dims;
  /* `rank` names, "" for static dims and unnamed symbolic ones, e.g. "batch".
   * NULL when rank is 0. */
  const char *const *dim_names;
} r1rt_tensor_info_t;

/* One section of the artifact, for consumers of code, plan and weights. */
typedef struct r1rt_section_info_s {
  uint32_t kind;    /* an r1rt_section_kind_t, or one this runtime skips */
  const char *name; /* NUL-terminated, e.g. "sm_90", "weights" */
  const void *data; /* 64-byte aligned in memory; owned by the model */
  size_t size;
} r1rt_section_info_t;

/* Loads an artifact from `size` bytes at `data`, which are copied: the
 * caller may free them once this returns. */
r1rt_status_t r1rt_model_create_from_memory(const void *data, size_t size, r1rt_model_t *out_model);

/* Loads the artifact at `path`. The file is mapped read-only when it can be
 * (weights are then used in place) and read otherwise; a mapped file must not
 * be modified or truncated while the model lives. Error messages start with
 * the path. */
r1rt_status_t r1rt_model_create_from_file(const char *path, r1rt_model_t *out_model);

/* Releases `model` and everything its queries returned; NULL is a no-op. */
void r1rt_model_release(r1rt_model_t model);

/* The model name and the producer ("r1c 0.1.0") recorded by the compiler;
 * NUL-terminated, possibly empty. */
r1rt_status_t r1rt_model_name(r1rt_model_t model, const char **out_name);
r1rt_status_t r1rt_model_producer(r1rt_model_t model, const char **out_producer);

/* Number of graph inputs and outputs. */
r1rt_status_t r1rt_model_input_count(r1rt_model_t model, size_t *out_count);
r1rt_status_t r1rt_model_output_count(r1rt_model_t model, size_t *out_count);

/* Describes input (output) `index`, in graph order. */
r1rt_status_t r1rt_model_input_info(r1rt_model_t model, size_t index, r1rt_tensor_info_t *out_info);
r1rt_status_t r1rt_model_output_info(r1rt_model_t model, size_t index,
                                     r1rt_tensor_info_t *out_info);

/* Index of the input (output) called `name`; R1RT_NOT_FOUND, naming it, if
 * there is none. */
r1rt_status_t r1rt_model_find_input(r1rt_model_t model, const char *name, size_t *out_index);
r1rt_status_t r1rt_model_find_output(r1rt_model_t model, const char *name, size_t *out_index);

/* Number of sections in the artifact, all kinds included (also kinds this
 * runtime does not interpret). */
r1rt_status_t r1rt_model_section_count(r1rt_model_t model, size_t *out_count);

/* Describes section `index`, in section table order. */
r1rt_status_t r1rt_model_section_info(r1rt_model_t model, size_t index,
                                      r1rt_section_info_t *out_info);

/* Finds the section of `kind` called `name` (NULL: the first of `kind` in
 * table order) and returns its bytes, 64-byte aligned and owned by the model.
 * R1RT_NOT_FOUND if there is none. A tier (r1rt_model_tier) without a
 * WEIGHTS section of its own gets its tiered model's, which the tiers share. */
r1rt_status_t r1rt_model_find_section(r1rt_model_t model, uint32_t kind, const char *name,
                                      const void **out_data, size_t *out_size);

/*===------------------------------------------------------------------===*
 * Tiers (r1c --tiers): several compiled variants in one artifact
 *===------------------------------------------------------------------===*/

/* Number of tiers of a tiered artifact, cheapest first; 0 for an artifact
 * of one model. A tiered model's inputs and outputs (the queries above) are
 * those every tier takes and gives. */
r1rt_status_t r1rt_model_tier_count(r1rt_model_t model, size_t *out_count);

/* Tier `index` as a model of its own, for sessions on that tier alone, and
 * its name (`out_name` may be NULL). The tier is owned by `model`: it lives
 * until `model` is released, and releasing it is a no-op. */
r1rt_status_t r1rt_model_tier(r1rt_model_t model, size_t index, r1rt_model_t *out_tier,
                              const char **out_name);

/* The cascade r1c recorded (r1c --cascade=confidence:0.9): how the cheap
 * tier's answer is scored, the threshold below which a request escalates,
 * and the output scored. R1RT_CASCADE_NONE for no cascade. Any out pointer
 * may be NULL. */
r1rt_status_t r1rt_model_cascade(r1rt_model_t model, r1rt_cascade_metric_t *out_metric,
                                 float *out_threshold, size_t *out_output);

/*===------------------------------------------------------------------===*
 * Sessions: running a model
 *===------------------------------------------------------------------===*/

/* A model loaded for execution on a device, with its own scratch arena.
 * One session runs one request at a time; use one session per thread for
 * concurrent requests. The model must outlive its sessions. */
typedef struct r1rt_session *r1rt_session_t;

/* Where a session runs. */
typedef enum r1rt_device_e {
  R1RT_DEVICE_AUTO = 0, /* the artifact's CUDA code on a CUDA GPU, else its HIP
                           code on an AMD GPU, else its host code */
  R1RT_DEVICE_HOST = 1, /* the CPU, with the best host ISA section it supports */
  R1RT_DEVICE_CUDA = 2, /* an NVIDIA GPU through the CUDA driver (libcuda.so.1,
                           or $R1RT_CUDA_LIBRARY), loaded at run time */
  R1RT_DEVICE_HIP = 3,  /* an AMD GPU through the HIP runtime (libamdhip64.so,
                           or $R1RT_HIP_LIBRARY), loaded at run time */
  R1RT_DEVICE_MAX_ENUM = 0x7FFFFFFF, /* not a device: keeps the enum 32 bits wide */
} r1rt_device_t;

/* Options of r1rt_session_create_with_options; fill with
 * r1rt_session_options_init first, so fields added later get defaults. */
typedef struct r1rt_session_options_s {
  r1rt_device_t device;   /* default R1RT_DEVICE_AUTO */
  int32_t device_ordinal; /* which GPU of that kind; default 0 */
  /* Nonzero: a GPU session launches its kernels one by one on every run.
   * By default the first run of each shape bucket captures its launches
   * into a graph (CUDA graphs, HIP graphs) that later runs replay. */
  int32_t disable_graphs;
} r1rt_session_options_t;

/* Sets `options` to the defaults. */
void r1rt_session_options_init(r1rt_session_options_t *options);

/* Creates a session on the device `options` names (NULL: the defaults).
 * A GPU session picks the artifact's code for the device: for CUDA, the
 * cubin of the device's sm, else one of the same major version below it,
 * else PTX of an older sm that the driver compiles; for HIP, the code
 * object that loads on the device. The first session of a model on a GPU
 * uploads the weights; the model's later sessions on that GPU share them
 * (they are freed with the last). Each session allocates device memory
 * for its arena and inputs at its first run. Errors:
 * R1RT_UNAVAILABLE saying why no device ran the model (no such code in
 * the artifact, no driver, no device, no code for this device); with
 * R1RT_DEVICE_AUTO, the reasons of every device tried. */
r1rt_status_t r1rt_session_create_with_options(r1rt_model_t model,
                                               const r1rt_session_options_t *options,
                                               r1rt_session_t *out_session);

/* What runs the session, e.g. "host (host-x86-64-v4)" or "CUDA device 0:
 * NVIDIA H200 (sm_90, cubin for sm_90)"; owned by the session. */
r1rt_status_t r1rt_session_device(r1rt_session_t session, const char **out_description);

/* r1rt_session_create_with_options with the defaults (R1RT_DEVICE_AUTO).
 * On the host, it loads the model's code for this machine (the best host
 * ISA section the CPU supports). R1RT_UNAVAILABLE when no section fits this machine, saying
 * which ISA the artifact needs. The arena is allocated by the first run, for
 * the shape bucket that run needs, and grows with larger buckets.
 * A model compiled with r1c --weights=external keeps its weights in a side
 * file beside the artifact (EXTERNAL_WEIGHTS_REF names it). The first
 * session of a model maps that file read-only and checks its size and
 * CRC-32; later sessions share the mapping, which lives as long as the
 * model (like a mapped artifact, the file must not change meanwhile).
 * R1RT_NOT_FOUND naming the path when the file is missing,
 * R1RT_DATA_LOSS naming it when it does not match, and R1RT_INVALID_ARGUMENT
 * when the model was loaded from memory (only a file has a folder to look
 * in: use r1rt_model_create_from_file). */
r1rt_status_t r1rt_session_create(r1rt_model_t model, r1rt_session_t *out_session);

/* Largest rank r1rt_tensor_t describes. */
#define R1RT_MAX_RANK 8

/* A tensor passed to or returned by r1rt_session_run_tensors: a dense,
 * row-major buffer with its element type and dims. */
typedef struct r1rt_tensor_s {
  void *data;   /* an input's elements (only read), or where an output goes */
  size_t bytes; /* bytes at `data`: at least the tensor's size for an input;
                   an output buffer's capacity */
  r1rt_dtype_t dtype;
  int32_t rank;
  int64_t dims[R1RT_MAX_RANK];
} r1rt_tensor_t;

/* Runs the model on inputs of any shape it accepts: the shapes it was
 * compiled for, one per shape bucket of its symbolic dims (r1c --dim). A
 * request smaller than a bucket along a dim whose rows never interact (a
 * batch) is padded up to the smallest bucket that holds it, and its outputs
 * are trimmed back; other sizes are an error listing the accepted shapes.
 *   inputs[i]   input i in the model's order: data, bytes, dtype, rank, dims.
 *   outputs[i]  output i: a caller-owned buffer of `bytes` capacity, or
 *               data == NULL for a buffer the session owns, valid until the
 *               session's next run or its release. On success every field
 *               is set: data, bytes (the output's size), dtype, rank, dims.
 * Errors (R1RT_INVALID_ARGUMENT, naming the input or output): a count, dtype,
 * rank or dims the model does not take, an input smaller than its dims, an
 * output buffer smaller than the output. */
r1rt_status_t r1rt_session_run_tensors(r1rt_session_t session, const r1rt_tensor_t *inputs,
                                       size_t input_count, r1rt_tensor_t *outputs,
                                       size_t output_count);

/* Runs a model whose shapes are all static (one bucket). `inputs[i]` points
 * at input i, a dense row-major buffer of the exact dtype and shape the model
 * declares; `outputs[i]` is caller-owned and receives output i. The counts
 * must match the model's. Shapes are not passed, so they cannot be checked:
 * prefer r1rt_session_run_tensors. */
r1rt_status_t r1rt_session_run(r1rt_session_t session, const void *const *inputs,
                               size_t input_count, void *const *outputs, size_t output_count);

/* Bytes of the session's arena (scratch memory for intermediate tensors)
 * now: 0 before the first run, then the largest bucket's need so far. */
r1rt_status_t r1rt_session_arena_size(r1rt_session_t session, size_t *out_bytes);

/* Bytes of arena the session's largest shape bucket needs: what it will
 * allocate at most, known before any run. */
r1rt_status_t r1rt_session_max_arena_size(r1rt_session_t session, size_t *out_bytes);

/* Host sessions: run in `arena`, `bytes` of caller-owned scratch memory
 * (64-byte aligned, at least r1rt_session_max_arena_size bytes), from now on,
 * freeing the session's own; NULL gives the session an arena of its own
 * again. Sessions may share one arena when they never run at the same time
 * (the allocator runs the tiers of a request in one). The arena must outlive
 * its use. R1RT_INVALID_ARGUMENT for a buffer too small or misaligned,
 * R1RT_UNIMPLEMENTED for a GPU session (its arena is device memory). */
r1rt_status_t r1rt_session_set_arena(r1rt_session_t session, void *arena, size_t bytes);

/* Runs the session's kernels on `threads` threads (the caller's included);
 * 0 means one per CPU the process may use. The default is 1. Results do not
 * depend on the thread count. Not concurrent with a run of this session. */
r1rt_status_t r1rt_session_set_threads(r1rt_session_t session, size_t threads);

/* Number of entry points (shape buckets) the session can run. */
r1rt_status_t r1rt_session_bucket_count(r1rt_session_t session, size_t *out_count);

/* The dims input `input` takes in bucket `bucket`: `*out_rank` values at
 * `*out_dims`, owned by the session. */
r1rt_status_t r1rt_session_bucket_input_dims(r1rt_session_t session, size_t bucket, size_t input,
                                             int32_t *out_rank, const int64_t **out_dims);

/* Releases the session and its arena; NULL is a no-op. */
void r1rt_session_release(r1rt_session_t session);

/*===------------------------------------------------------------------===*
 * The tier-switching allocator: one tier per request
 *===------------------------------------------------------------------===*/

/* Runs a tiered model (or any model, as one tier), picking a tier for each
 * request. Thread-safe: any number of threads may run requests through one
 * allocator at once. A request holds a slot: a session per tier, created as
 * needed, and one host arena sized for the largest host tier, which the
 * tiers it runs share; there are as many slots as requests ever ran at
 * once. Per request, in order:
 *  1. Tiers whose largest arena exceeds the memory budget are left out
 *     (R1RT_OUT_OF_MEMORY when none is left).
 *  2. With a cascade (the artifact's, or the options' threshold), the
 *     cheapest tier left runs first; each row of its scored output is
 *     scored (top-1 probability, or top-1 minus top-2), and when any row
 *     scores below the threshold the request escalates to the next tier,
 *     unless the deadline leaves no time for it (elapsed time plus that
 *     tier's latency estimate).
 *  3. Without a cascade, the tier with the least cost runs: its latency
 *     estimate plus its accuracy penalty times the request's complexity,
 *     among the tiers whose estimate fits the deadline (the fastest when
 *     none does).
 *  4. A tier that fails for want of a device or memory (UNAVAILABLE,
 *     OUT_OF_MEMORY, INTERNAL) is retried on the host when it ran
 *     elsewhere, then the next tier answers (finer first, then cheaper);
 *     the request is lost only when every tier fails. Wrong inputs
 *     (INVALID_ARGUMENT) fail at once.
 * Latency estimates are an exponential moving average per tier and input
 * size (shape bucket), updated after every run; a tier never run yet is
 * estimated at 0, so it runs and is measured. Complexity is the request's,
 * or estimated from its inputs: for integer inputs (token ids) the share of
 * nonzero (non-padding) elements, for others the elements relative to the
 * largest the model takes; the mean over inputs, in [0, 1]. */
typedef struct r1rt_allocator *r1rt_allocator_t;

typedef struct r1rt_allocator_options_s {
  r1rt_device_t device;   /* where tiers run; default R1RT_DEVICE_AUTO */
  int32_t device_ordinal; /* default 0 */
  /* Escalate when a row's score is below this; < 0 (default): the
   * artifact's cascade; 0: no cascade. */
  float cascade_threshold;
  /* With cascade_threshold set here: the metric; NONE (default) keeps the
   * artifact's, or CONFIDENCE for an artifact without one. */
  r1rt_cascade_metric_t cascade_metric;
  /* Largest arena, in bytes, a tier may need; 0 (default): no limit. */
  uint64_t memory_budget;
  /* Per tier: microseconds of latency its lower accuracy is worth at
   * complexity 1. Negative (the default): 1e9 for every tier but the last
   * and 0 for it, so the most accurate tier runs unless a deadline or the
   * budget rules it out. */
  double accuracy_penalty_us[R1RT_MAX_TIERS];
  /* Weight of the newest run in the latency averages; default 0.2. */
  double latency_smoothing;
  /* Threads each session's kernels run on; default 1. */
  uint32_t threads;
} r1rt_allocator_options_t;

/* Sets `options` to the defaults. */
void r1rt_allocator_options_init(r1rt_allocator_options_t *options);

/* What a request asks for; NULL means the defaults. */
typedef struct r1rt_request_s {
  double deadline_us; /* <= 0 (default): none */
  double complexity;  /* in [0, 1]; < 0 (default): estimated from the inputs */
  int32_t tier;       /* >= 0: run this tier (no cascade); default -1 */
} r1rt_request_t;

/* Sets `request` to the defaults. */
void r1rt_request_init(r1rt_request_t *request);

/* What happened to a request. */
typedef struct r1rt_request_result_s {
  int32_t tier;       /* the tier whose outputs were returned */
  int32_t first_tier; /* the tier that ran first */
  int32_t escalated;  /* nonzero: a cascade ran a finer tier after the first */
  int32_t fell_back;  /* nonzero: a tier failed and the host or another tier answered */
  float score;        /* the first tier's lowest row score (cascades), else 0 */
  double latency_us;  /* the whole request */
} r1rt_request_result_t;

/* Counters of one tier, since the allocator was created. */
typedef struct r1rt_tier_stats_s {
  uint64_t requests;     /* runs of this tier that succeeded */
  uint64_t escalations;  /* requests this tier passed on to a finer one */
  uint64_t failures;     /* runs of this tier that failed on a device */
  uint64_t arena_bytes;  /* the tier's largest arena (0 until a session exists) */
  double latency_ema_us; /* over all its runs */
  double p50_us, p99_us; /* over its latest 4096 runs; 0 before any */
} r1rt_tier_stats_t;

/* Creates an allocator over `model`'s tiers (one tier for a model without
 * tiers). The model must outlive it. Opens one session per tier at once, so
 * a tier no device runs is reported here; options NULL: the defaults. */
r1rt_status_t r1rt_allocator_create(r1rt_model_t model, const r1rt_allocator_options_t *options,
                                    r1rt_allocator_t *out_allocator);

/* Runs one request as r1rt_session_run_tensors does, on the tier the policy
 * picks. Outputs must be caller-owned buffers (data != NULL): a finer tier
 * overwrites what a cheaper one wrote. `result` may be NULL. */
r1rt_status_t r1rt_allocator_run(r1rt_allocator_t allocator, const r1rt_tensor_t *inputs,
                                 size_t input_count, r1rt_tensor_t *outputs, size_t output_count,
                                 const r1rt_request_t *request, r1rt_request_result_t *result);

/* Number of tiers the allocator picks from. */
r1rt_status_t r1rt_allocator_tier_count(r1rt_allocator_t allocator, size_t *out_count);

/* The counters of tier `tier`. */
r1rt_status_t r1rt_allocator_tier_stats(r1rt_allocator_t allocator, size_t tier,
                                        r1rt_tier_stats_t *out_stats);

/* The host arena memory the allocator holds: one arena per request that
 * ran at once (`out_slots`), each sized for the largest host tier and shared
 * by the tiers that request runs, one after another. Either out pointer may
 * be NULL. */
r1rt_status_t r1rt_allocator_arena_bytes(r1rt_allocator_t allocator, uint64_t *out_bytes,
                                         size_t *out_slots);

/* Releases the allocator and its sessions; NULL is a no-op. Not concurrent
 * with its runs. */
void r1rt_allocator_release(r1rt_allocator_t allocator);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* R1C_RUNTIME_H */
