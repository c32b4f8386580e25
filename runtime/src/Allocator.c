/* The tier-switching allocator (runtime.h): picks a tier of a model per
 * request from a cascade's confidence, latency estimates learned online, a
 * deadline and a memory budget, and falls back when a tier's device fails.
 * C11 over the public C API; one mutex guards the counters and the pools. */
#include "r1c/runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  kSamples = 4096,      /* latencies kept per tier for p50/p99 */
  kLatencyBuckets = 16, /* input sizes (shape buckets) with an average of their own */
};

/* What one request runs with: a session per tier (made when first needed)
 * and one arena that the slot's host sessions share, sized for the largest
 * of them; the tiers of one request run one after another, never at once. */
typedef struct slot_s {
  r1rt_session_t sessions[R1RT_MAX_TIERS];      /* on the allocator's device */
  r1rt_session_t host_sessions[R1RT_MAX_TIERS]; /* the host, after a device failed */
  void *arena;
  size_t arena_bytes;
} slot_t;

typedef struct latency_bucket_s {
  uint64_t elements; /* the input elements of the requests it averages */
  double ema_us;
  int used;
} latency_bucket_t;

typedef struct tier_s {
  r1rt_model_t model;
  int on_host; /* the allocator's device for this tier is the host already */
  uint64_t arena_bytes;
  uint64_t requests, escalations, failures;
  double ema_us;
  int has_ema;
  latency_bucket_t buckets[kLatencyBuckets];
  double *samples; /* kSamples, a ring */
  size_t sample_count, sample_next;
} tier_t;

struct r1rt_allocator {
  r1rt_model_t model;
  r1rt_allocator_options_t options;
  size_t tier_count, input_count, output_count;
  tier_t tiers[R1RT_MAX_TIERS];
  r1rt_cascade_metric_t metric;
  float threshold;
  size_t scored_output;
  uint64_t *max_elements; /* per input: the most elements any bucket takes */
  size_t arena_bytes;     /* a slot's shared arena: the largest host tier's */
  slot_t **idle;          /* slots no request holds */
  size_t idle_count, idle_capacity, slot_count;
  pthread_mutex_t mutex;
};

static r1rt_status_t error(r1rt_status_code_t code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static r1rt_status_t error(r1rt_status_code_t code, const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  return r1rt_status_create(code, message);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Failures that another device or tier may not have. */
static int is_device_failure(r1rt_status_t status) {
  r1rt_status_code_t code = r1rt_status_code(status);
  return code == R1RT_UNAVAILABLE || code == R1RT_OUT_OF_MEMORY || code == R1RT_INTERNAL;
}

void r1rt_allocator_options_init(r1rt_allocator_options_t *options) {
  if (!options)
    return;
  memset(options, 0, sizeof *options);
  options->device = R1RT_DEVICE_AUTO;
  options->cascade_threshold = -1.0f;
  options->cascade_metric = R1RT_CASCADE_NONE;
  options->latency_smoothing = 0.2;
  options->threads = 1;
  for (int i = 0; i < R1RT_MAX_TIERS; ++i)
    options->accuracy_penalty_us[i] = -1; /* the defaults, set once the tiers are known */
}

void r1rt_request_init(r1rt_request_t *request) {
  if (!request)
    return;
  request->deadline_us = 0;
  request->complexity = -1;
  request->tier = -1;
}

/*===--- slots: what a request runs with -----------------------------------===*/

static r1rt_status_t new_session(r1rt_allocator_t a, size_t tier, int host, r1rt_session_t *out) {
  r1rt_session_options_t options;
  r1rt_session_options_init(&options);
  options.device = host ? R1RT_DEVICE_HOST : a->options.device;
  options.device_ordinal = a->options.device_ordinal;
  r1rt_session_t session = NULL;
  r1rt_status_t status = r1rt_session_create_with_options(a->tiers[tier].model, &options, &session);
  if (!status && a->options.threads != 1)
    status = r1rt_session_set_threads(session, a->options.threads);
  if (status) {
    r1rt_session_release(session);
    return status;
  }
  *out = session;
  return NULL;
}

static void destroy_slot(slot_t *slot) {
  if (!slot)
    return;
  for (int t = 0; t < R1RT_MAX_TIERS; ++t) {
    r1rt_session_release(slot->sessions[t]);
    r1rt_session_release(slot->host_sessions[t]);
  }
  free(slot->arena);
  free(slot);
}

/* A session of `tier` in `slot` (the request owns the slot), made when first
 * needed. A host session runs in the slot's arena when it fits there. */
static r1rt_status_t slot_session(r1rt_allocator_t a, slot_t *slot, size_t tier, int host,
                                  r1rt_session_t *out) {
  r1rt_session_t *place = host ? &slot->host_sessions[tier] : &slot->sessions[tier];
  if (*place) {
    *out = *place;
    return NULL;
  }
  r1rt_session_t session = NULL;
  r1rt_status_t status = new_session(a, tier, host, &session);
  if (status)
    return status;
  if ((host || a->tiers[tier].on_host) && a->arena_bytes) {
    size_t needed = 0;
    status = r1rt_session_max_arena_size(session, &needed);
    if (!status && !slot->arena) {
      slot->arena = aligned_alloc(64, (a->arena_bytes + 63) / 64 * 64);
      slot->arena_bytes = slot->arena ? a->arena_bytes : 0;
    }
    /* A host session bigger than the largest host tier (a GPU tier's host
     * fallback) keeps its own arena. */
    if (!status && slot->arena && needed <= slot->arena_bytes)
      status = r1rt_session_set_arena(session, slot->arena, slot->arena_bytes);
    if (status) {
      r1rt_session_release(session);
      return status;
    }
  }
  *place = session;
  *out = session;
  return NULL;
}

/* A session whose device failed is not trusted again. */
static void drop_session(slot_t *slot, size_t tier, int host) {
  r1rt_session_t *place = host ? &slot->host_sessions[tier] : &slot->sessions[tier];
  r1rt_session_release(*place);
  *place = NULL;
}

static slot_t *take_slot(r1rt_allocator_t a) {
  pthread_mutex_lock(&a->mutex);
  slot_t *slot = a->idle_count ? a->idle[--a->idle_count] : NULL;
  if (!slot)
    a->slot_count++;
  pthread_mutex_unlock(&a->mutex);
  if (!slot) {
    slot = calloc(1, sizeof *slot);
    if (!slot) {
      pthread_mutex_lock(&a->mutex);
      a->slot_count--;
      pthread_mutex_unlock(&a->mutex);
    }
  }
  return slot;
}

static void give_slot(r1rt_allocator_t a, slot_t *slot) {
  pthread_mutex_lock(&a->mutex);
  if (a->idle_count == a->idle_capacity) {
    size_t capacity = a->idle_capacity ? 2 * a->idle_capacity : 4;
    slot_t **grown = realloc(a->idle, capacity * sizeof *grown);
    if (!grown) {
      a->slot_count--;
      pthread_mutex_unlock(&a->mutex);
      destroy_slot(slot); /* no room to keep it: the next request makes another */
      return;
    }
    a->idle = grown;
    a->idle_capacity = capacity;
  }
  a->idle[a->idle_count++] = slot;
  pthread_mutex_unlock(&a->mutex);
}

/*===--- latency estimates ------------------------------------------------===*/

static uint64_t request_elements(const r1rt_tensor_t *inputs, size_t count) {
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t elements = 1;
    for (int32_t d = 0; d < inputs[i].rank && d < R1RT_MAX_RANK; ++d)
      elements *= inputs[i].dims[d] > 0 ? (uint64_t)inputs[i].dims[d] : 0;
    total += elements;
  }
  return total;
}

/* The tier's latency estimate for requests of `elements`; call locked. */
static double estimate_locked(const tier_t *t, uint64_t elements) {
  for (int i = 0; i < kLatencyBuckets; ++i)
    if (t->buckets[i].used && t->buckets[i].elements == elements)
      return t->buckets[i].ema_us;
  return t->has_ema ? t->ema_us : 0.0;
}

static double estimate(r1rt_allocator_t a, size_t tier, uint64_t elements) {
  pthread_mutex_lock(&a->mutex);
  double us = estimate_locked(&a->tiers[tier], elements);
  pthread_mutex_unlock(&a->mutex);
  return us;
}

static void record_run(r1rt_allocator_t a, size_t tier, uint64_t elements, double us) {
  double w = a->options.latency_smoothing;
  pthread_mutex_lock(&a->mutex);
  tier_t *t = &a->tiers[tier];
  t->requests++;
  t->ema_us = t->has_ema ? (1 - w) * t->ema_us + w * us : us;
  t->has_ema = 1;
  latency_bucket_t *slot = NULL;
  for (int i = 0; i < kLatencyBuckets && !slot; ++i)
    if (t->buckets[i].used && t->buckets[i].elements == elements)
      slot = &t->buckets[i];
  if (slot) {
    slot->ema_us = (1 - w) * slot->ema_us + w * us;
  } else {
    /* A new size takes a free slot, else the first (sizes rarely exceed the buckets). */
    int free_slot = 0;
    for (int i = 0; i < kLatencyBuckets; ++i)
      if (!t->buckets[i].used) {
        free_slot = i;
        break;
      }
    t->buckets[free_slot].used = 1;
    t->buckets[free_slot].elements = elements;
    t->buckets[free_slot].ema_us = us;
  }
  t->samples[t->sample_next] = us;
  t->sample_next = (t->sample_next + 1) % kSamples;
  if (t->sample_count < kSamples)
    t->sample_count++;
  pthread_mutex_unlock(&a->mutex);
}

static void count(r1rt_allocator_t a, size_t tier, int escalation, int failure) {
  pthread_mutex_lock(&a->mutex);
  a->tiers[tier].escalations += (uint64_t)escalation;
  a->tiers[tier].failures += (uint64_t)failure;
  pthread_mutex_unlock(&a->mutex);
}

/*===--- running a tier ---------------------------------------------------===*/

/* Runs `tier` on the allocator's device, and on the host when the device
 * fails. *fell_back is set when the host answered after a failure. */
static r1rt_status_t run_tier(r1rt_allocator_t a, slot_t *slot, size_t tier,
                              const r1rt_tensor_t *inputs, r1rt_tensor_t *outputs,
                              uint64_t elements, int *fell_back) {
  r1rt_status_t status = NULL;
  for (int host = a->tiers[tier].on_host; host <= 1; ++host) {
    r1rt_session_t session = NULL;
    status = slot_session(a, slot, tier, host && !a->tiers[tier].on_host, &session);
    if (!status) {
      double start = now_us();
      status = r1rt_session_run_tensors(session, inputs, a->input_count, outputs, a->output_count);
      double us = now_us() - start;
      if (!status) {
        record_run(a, tier, elements, us);
        *fell_back |= host && !a->tiers[tier].on_host;
        return NULL;
      }
      if (is_device_failure(status))
        drop_session(slot, tier, host && !a->tiers[tier].on_host);
    }
    if (!is_device_failure(status))
      return status;
    count(a, tier, 0, 1);
    if (host == 1)
      break;
    r1rt_status_release(status);
    status = NULL;
  }
  return status;
}

/* The lowest row score of the scored output, by the cascade's metric. */
static float score_outputs(r1rt_allocator_t a, const r1rt_tensor_t *outputs) {
  const r1rt_tensor_t *out = &outputs[a->scored_output];
  if (out->rank < 1)
    return 1.0f;
  int64_t classes = out->dims[out->rank - 1];
  int64_t elements = 1;
  for (int32_t d = 0; d < out->rank; ++d)
    elements *= out->dims[d];
  if (classes < 1)
    return 1.0f;
  const float *p = (const float *)out->data;
  float lowest = 1.0f;
  for (int64_t row = 0; row < elements / classes; ++row) {
    float top1 = -INFINITY, top2 = -INFINITY;
    for (int64_t k = 0; k < classes; ++k) {
      float v = p[row * classes + k];
      if (v > top1) {
        top2 = top1;
        top1 = v;
      } else if (v > top2) {
        top2 = v;
      }
    }
    float score = a->metric == R1RT_CASCADE_MARGIN ? top1 - (classes > 1 ? top2 : 0.0f) : top1;
    if (!(score >= lowest)) /* NaN scores escalate */
      lowest = score;
  }
  return lowest;
}

static double complexity_of(r1rt_allocator_t a, const r1rt_tensor_t *inputs) {
  double sum = 0;
  for (size_t i = 0; i < a->input_count; ++i) {
    const r1rt_tensor_t *t = &inputs[i];
    uint64_t elements = request_elements(t, 1);
    switch (t->dtype) {
    case R1RT_DTYPE_INT32:
    case R1RT_DTYPE_INT64: {
      /* Token ids: the non-padding (nonzero) share. */
      uint64_t nonzero = 0;
      for (uint64_t k = 0; k < elements; ++k)
        nonzero += t->dtype == R1RT_DTYPE_INT64 ? ((const int64_t *)t->data)[k] != 0
                                                : ((const int32_t *)t->data)[k] != 0;
      sum += elements ? (double)nonzero / (double)elements : 0.0;
      break;
    }
    default:
      sum += a->max_elements[i] ? (double)elements / (double)a->max_elements[i] : 1.0;
    }
  }
  double c = a->input_count ? sum / (double)a->input_count : 1.0;
  return c < 0 ? 0 : c > 1 ? 1 : c;
}

/* Runs the first of `order` that answers; a cascade then escalates while the
 * answer scores below the threshold and the deadline leaves time. */
static r1rt_status_t run_in_slot(r1rt_allocator_t a, slot_t *slot, const size_t *order, size_t n,
                                 int cascade, double deadline, double start, uint64_t elements,
                                 const r1rt_tensor_t *inputs, r1rt_tensor_t *outputs,
                                 r1rt_request_result_t *r) {
  r1rt_status_t last = NULL;
  size_t i = 0;
  for (; i < n; ++i) {
    last = run_tier(a, slot, order[i], inputs, outputs, elements, &r->fell_back);
    if (!last)
      break;
    if (!is_device_failure(last))
      return last;
    r->fell_back = 1;
    if (i + 1 < n) {
      r1rt_status_release(last);
      last = NULL;
    }
  }
  if (i == n)
    return last;
  r->first_tier = r->tier = (int32_t)order[i];
  if (!cascade)
    return NULL;
  r->score = score_outputs(a, outputs);
  float score = r->score;
  for (size_t next = i + 1; next < n && score < a->threshold; ++next) {
    double elapsed = now_us() - start;
    if (deadline > 0 && elapsed + estimate(a, order[next], elements) > deadline)
      break;
    count(a, (size_t)r->tier, 1, 0);
    r->escalated = 1;
    r1rt_status_t status = run_tier(a, slot, order[next], inputs, outputs, elements, &r->fell_back);
    if (status) {
      if (!is_device_failure(status))
        return status;
      r1rt_status_release(status);
      r->fell_back = 1;
      /* The failed tier may have written part of the outputs: the last
       * answer is computed again. */
      status = run_tier(a, slot, (size_t)r->tier, inputs, outputs, elements, &r->fell_back);
      if (status)
        return status;
      continue;
    }
    r->tier = (int32_t)order[next];
    score = score_outputs(a, outputs);
  }
  return NULL;
}

r1rt_status_t r1rt_allocator_run(r1rt_allocator_t a, const r1rt_tensor_t *inputs,
                                 size_t input_count, r1rt_tensor_t *outputs, size_t output_count,
                                 const r1rt_request_t *request, r1rt_request_result_t *result) {
  if (!a)
    return error(R1RT_INVALID_ARGUMENT, "allocator is NULL");
  if (input_count != a->input_count || output_count != a->output_count)
    return error(R1RT_INVALID_ARGUMENT,
                 "the model takes %zu inputs and %zu outputs; got %zu and %zu", a->input_count,
                 a->output_count, input_count, output_count);
  if (!inputs || !outputs)
    return error(R1RT_INVALID_ARGUMENT, "%s is NULL", inputs ? "outputs" : "inputs");
  for (size_t i = 0; i < output_count; ++i)
    if (!outputs[i].data)
      return error(R1RT_INVALID_ARGUMENT,
                   "output %zu has no buffer: an allocator writes outputs into the caller's "
                   "buffers only (a finer tier overwrites a cheaper one's)",
                   i);
  r1rt_request_t defaults;
  r1rt_request_init(&defaults);
  if (!request)
    request = &defaults;
  if (request->tier >= (int32_t)a->tier_count)
    return error(R1RT_INVALID_ARGUMENT, "request->tier is %d; the model has %zu tiers",
                 (int)request->tier, a->tier_count);
  double start = now_us();
  uint64_t elements = request_elements(inputs, input_count);

  /* 1. The tiers the memory budget allows, cheapest first. */
  size_t allowed[R1RT_MAX_TIERS], n = 0;
  for (size_t t = 0; t < a->tier_count; ++t)
    if (!a->options.memory_budget || a->tiers[t].arena_bytes <= a->options.memory_budget)
      allowed[n++] = t;
  if (request->tier >= 0) {
    allowed[0] = (size_t)request->tier;
    n = 1;
  }
  if (!n) {
    uint64_t smallest = a->tiers[0].arena_bytes;
    for (size_t t = 1; t < a->tier_count; ++t)
      smallest = a->tiers[t].arena_bytes < smallest ? a->tiers[t].arena_bytes : smallest;
    return error(R1RT_OUT_OF_MEMORY,
                 "no tier fits the memory budget of %llu bytes (the smallest arena is %llu)",
                 (unsigned long long)a->options.memory_budget, (unsigned long long)smallest);
  }

  r1rt_request_result_t r;
  memset(&r, 0, sizeof r);
  r.tier = r.first_tier = -1;
  int cascade = request->tier < 0 && a->metric != R1RT_CASCADE_NONE && a->threshold > 0;
  double deadline = request->deadline_us;

  /* 2./3. The order to try tiers in: a cascade climbs from the cheapest; else
   * by cost, the cheapest cost first. */
  size_t order[R1RT_MAX_TIERS];
  memcpy(order, allowed, n * sizeof *order);
  if (!cascade && n > 1) {
    double complexity = request->complexity >= 0 ? request->complexity : complexity_of(a, inputs);
    double cost[R1RT_MAX_TIERS], latency[R1RT_MAX_TIERS];
    pthread_mutex_lock(&a->mutex);
    for (size_t i = 0; i < n; ++i) {
      latency[i] = estimate_locked(&a->tiers[order[i]], elements);
      cost[i] = latency[i] + a->options.accuracy_penalty_us[order[i]] * complexity;
      /* Past the deadline: last resort, fastest first. */
      if (deadline > 0 && latency[i] > deadline)
        cost[i] = 1e300 + latency[i];
    }
    pthread_mutex_unlock(&a->mutex);
    for (size_t i = 1; i < n; ++i) /* insertion sort by cost; n <= 8 */
      for (size_t j = i;
           j > 0 && (cost[j] < cost[j - 1] ||
                     (cost[j] >= 1e300 && cost[j - 1] >= 1e300 && latency[j] < latency[j - 1]));
           --j) {
        double c = cost[j], l = latency[j];
        size_t o = order[j];
        cost[j] = cost[j - 1], latency[j] = latency[j - 1], order[j] = order[j - 1];
        cost[j - 1] = c, latency[j - 1] = l, order[j - 1] = o;
      }
  }

  /* 4. Run in a slot of this request's own. */
  slot_t *slot = take_slot(a);
  if (!slot)
    return error(R1RT_OUT_OF_MEMORY, "out of memory for a request");
  r1rt_status_t status =
      run_in_slot(a, slot, order, n, cascade, deadline, start, elements, inputs, outputs, &r);
  give_slot(a, slot);
  if (status)
    return status;
  r.latency_us = now_us() - start;
  if (result)
    *result = r;
  return NULL;
}

/*===--- creation, queries ------------------------------------------------===*/

void r1rt_allocator_release(r1rt_allocator_t a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->idle_count; ++i)
    destroy_slot(a->idle[i]);
  free(a->idle);
  for (size_t t = 0; t < a->tier_count; ++t)
    free(a->tiers[t].samples);
  free(a->max_elements);
  pthread_mutex_destroy(&a->mutex);
  free(a);
}

r1rt_status_t r1rt_allocator_create(r1rt_model_t model, const r1rt_allocator_options_t *options,
                                    r1rt_allocator_t *out_allocator) {
  if (!model)
    return error(R1RT_INVALID_ARGUMENT, "model is NULL");
  if (!out_allocator)
    return error(R1RT_INVALID_ARGUMENT, "out_allocator is NULL");
  r1rt_allocator_t a = calloc(1, sizeof *a);
  if (!a)
    return error(R1RT_OUT_OF_MEMORY, "out of memory creating an allocator");
  pthread_mutex_init(&a->mutex, NULL);
  a->model = model;
  if (options)
    a->options = *options;
  else
    r1rt_allocator_options_init(&a->options);
  r1rt_status_t status = NULL;
  if (!(a->options.latency_smoothing > 0 && a->options.latency_smoothing <= 1))
    status = error(R1RT_INVALID_ARGUMENT, "options->latency_smoothing is %g, not in (0, 1]",
                   a->options.latency_smoothing);
  if (!status)
    status = r1rt_model_tier_count(model, &a->tier_count);
  if (!status)
    status = r1rt_model_input_count(model, &a->input_count);
  if (!status)
    status = r1rt_model_output_count(model, &a->output_count);
  float threshold = 0;
  size_t scored = 0;
  r1rt_cascade_metric_t metric = R1RT_CASCADE_NONE;
  if (!status)
    status = r1rt_model_cascade(model, &metric, &threshold, &scored);
  if (status) {
    r1rt_allocator_release(a);
    return status;
  }
  if (a->tier_count == 0) {
    a->tier_count = 1;
    a->tiers[0].model = model;
  } else {
    for (size_t t = 0; t < a->tier_count && !status; ++t)
      status = r1rt_model_tier(model, t, &a->tiers[t].model, NULL);
  }
  for (size_t t = 0; t < a->tier_count; ++t)
    if (a->options.accuracy_penalty_us[t] < 0)
      a->options.accuracy_penalty_us[t] = t + 1 == a->tier_count ? 0 : 1e9;
  if (a->options.cascade_threshold >= 0) {
    threshold = a->options.cascade_threshold;
    if (a->options.cascade_metric != R1RT_CASCADE_NONE)
      metric = a->options.cascade_metric;
    else if (metric == R1RT_CASCADE_NONE)
      metric = R1RT_CASCADE_CONFIDENCE;
  }
  a->metric = threshold > 0 ? metric : R1RT_CASCADE_NONE;
  a->threshold = threshold;
  a->scored_output = scored;
  if (!status && a->metric != R1RT_CASCADE_NONE) {
    r1rt_tensor_info_t info;
    status = r1rt_model_output_info(model, scored, &info);
    if (!status && (info.dtype != R1RT_DTYPE_FLOAT || info.rank < 1))
      status = error(R1RT_INVALID_ARGUMENT,
                     "a cascade scores output %zu ('%s') by its last axis, which needs a float "
                     "tensor of rank 1 or more",
                     scored, info.name);
  }
  a->max_elements = calloc(a->input_count ? a->input_count : 1, sizeof *a->max_elements);
  if (!status && !a->max_elements)
    status = error(R1RT_OUT_OF_MEMORY, "out of memory creating an allocator");
  /* The first slot, with a session per tier now: a tier no device runs fails
   * here, and the arena sizes are known for the budget and the shared arena. */
  slot_t *first = status ? NULL : calloc(1, sizeof *first);
  if (!status && !first)
    status = error(R1RT_OUT_OF_MEMORY, "out of memory creating an allocator");
  for (size_t t = 0; t < a->tier_count && !status; ++t) {
    tier_t *tier = &a->tiers[t];
    tier->samples = calloc(kSamples, sizeof *tier->samples);
    if (!tier->samples) {
      status = error(R1RT_OUT_OF_MEMORY, "out of memory creating an allocator");
      break;
    }
    r1rt_session_t session = NULL;
    status = new_session(a, t, 0, &session);
    if (status)
      break;
    const char *device = "";
    size_t arena = 0, buckets = 0;
    status = r1rt_session_device(session, &device);
    if (!status)
      status = r1rt_session_max_arena_size(session, &arena);
    if (!status)
      status = r1rt_session_bucket_count(session, &buckets);
    for (size_t b = 0; b < buckets && !status; ++b)
      for (size_t i = 0; i < a->input_count && !status; ++i) {
        int32_t rank = 0;
        const int64_t *dims = NULL;
        status = r1rt_session_bucket_input_dims(session, b, i, &rank, &dims);
        uint64_t elements = 1;
        for (int32_t d = 0; !status && d < rank; ++d)
          elements *= dims[d] > 0 ? (uint64_t)dims[d] : 0;
        if (!status && elements > a->max_elements[i])
          a->max_elements[i] = elements;
      }
    tier->on_host = strncmp(device, "host", 4) == 0;
    tier->arena_bytes = arena;
    if (tier->on_host && arena > a->arena_bytes)
      a->arena_bytes = arena;
    if (status) {
      r1rt_session_release(session);
      break;
    }
    first->sessions[t] = session;
  }
  if (!status && a->arena_bytes) {
    /* The first slot's host sessions move into its shared arena. */
    first->arena = aligned_alloc(64, (a->arena_bytes + 63) / 64 * 64);
    if (!first->arena)
      status = error(R1RT_OUT_OF_MEMORY, "cannot allocate a %zu-byte arena", a->arena_bytes);
    first->arena_bytes = a->arena_bytes;
    for (size_t t = 0; t < a->tier_count && !status; ++t)
      if (a->tiers[t].on_host)
        status = r1rt_session_set_arena(first->sessions[t], first->arena, first->arena_bytes);
  }
  if (status) {
    destroy_slot(first);
    r1rt_allocator_release(a);
    return status;
  }
  a->slot_count = 1;
  give_slot(a, first);
  *out_allocator = a;
  return NULL;
}

r1rt_status_t r1rt_allocator_tier_count(r1rt_allocator_t a, size_t *out_count) {
  if (!a)
    return error(R1RT_INVALID_ARGUMENT, "allocator is NULL");
  if (!out_count)
    return error(R1RT_INVALID_ARGUMENT, "out_count is NULL");
  *out_count = a->tier_count;
  return NULL;
}

r1rt_status_t r1rt_allocator_arena_bytes(r1rt_allocator_t a, uint64_t *out_bytes,
                                         size_t *out_slots) {
  if (!a)
    return error(R1RT_INVALID_ARGUMENT, "allocator is NULL");
  pthread_mutex_lock(&a->mutex);
  size_t slots = a->slot_count;
  pthread_mutex_unlock(&a->mutex);
  if (out_bytes)
    *out_bytes = (uint64_t)slots * a->arena_bytes;
  if (out_slots)
    *out_slots = slots;
  return NULL;
}

static int compare_doubles(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

r1rt_status_t r1rt_allocator_tier_stats(r1rt_allocator_t a, size_t tier,
                                        r1rt_tier_stats_t *out_stats) {
  if (!a)
    return error(R1RT_INVALID_ARGUMENT, "allocator is NULL");
  if (!out_stats)
    return error(R1RT_INVALID_ARGUMENT, "out_stats is NULL");
  if (tier >= a->tier_count)
    return error(R1RT_INVALID_ARGUMENT, "tier %zu is out of range: the allocator has %zu tiers",
                 tier, a->tier_count);
  double *sorted = malloc(kSamples * sizeof *sorted);
  if (!sorted)
    return error(R1RT_OUT_OF_MEMORY, "out of memory reading tier counters");
  r1rt_tier_stats_t s;
  memset(&s, 0, sizeof s);
  pthread_mutex_lock(&a->mutex);
  const tier_t *t = &a->tiers[tier];
  s.requests = t->requests;
  s.escalations = t->escalations;
  s.failures = t->failures;
  s.arena_bytes = t->arena_bytes;
  s.latency_ema_us = t->ema_us;
  size_t n = t->sample_count;
  memcpy(sorted, t->samples, n * sizeof *sorted);
  pthread_mutex_unlock(&a->mutex);
  if (n) {
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    /* Nearest rank. */
    s.p50_us = sorted[(size_t)ceil(0.50 * (double)n) - 1];
    s.p99_us = sorted[(size_t)ceil(0.99 * (double)n) - 1];
  }
  free(sorted);
  *out_stats = s;
  return NULL;
}
