// A CUDA driver stand-in that times r1c's kernels without the runtime's host copies.
//
// r1c's runtime loads the driver by path ($R1RT_CUDA_LIBRARY) and binds its
// entry points by name. Pointed at this library, it gets the real driver's
// functions (libcuda.so.1, or $R1C_REAL_CUDA_LIBRARY) through thin forwarders,
// except that each run's kernels are bracketed with CUDA events: the span opens
// at the first launch after the input copies (a graph launch, or the first
// kernel when graphs are off) and closes before the first output copy or
// synchronize. At the synchronize that ends the run, the span's milliseconds
// are appended, one line per run, to $R1C_KERNEL_TIMES. Launches recorded into
// a graph during capture are not timed; their replay is.
//
//   cc -O2 -shared -fPIC -o libr1c_kernel_timer.so bench/cuda_kernel_timer.c -ldl
//   R1RT_CUDA_LIBRARY=$PWD/libr1c_kernel_timer.so R1C_KERNEL_TIMES=times.txt
//   r1c-run MODEL.r1 --device=cuda --bench 30   (with both variables exported)
//
// The list of forwarders must cover what runtime/src/CudaDriver.cpp binds;
// test/runtime/kernel_timer_symbols.py checks that.
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext, *CUstream, *CUmodule, *CUfunction, *CUgraph, *CUgraphExec, *CUevent;

static void *real_driver(void) {
  static void *library;
  if (!library) {
    const char *path = getenv("R1C_REAL_CUDA_LIBRARY");
    library = dlopen(path && *path ? path : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      fprintf(stderr, "cuda_kernel_timer: cannot load the CUDA driver: %s\n", dlerror());
      abort();
    }
  }
  return library;
}

// The real entry point `name`; a driver without it (too old for an optional
// one) makes the forwarder return CUDA_ERROR_NOT_SUPPORTED (801).
static void *real_symbol(const char *name) { return dlsym(real_driver(), name); }

#define FORWARD(name, params, args)                                                                \
  CUresult name params {                                                                           \
    static CUresult(*real) params;                                                                 \
    if (!real)                                                                                     \
      real = (CUresult(*) params)real_symbol(#name);                                               \
    return real ? real args : 801;                                                                 \
  }

FORWARD(cuInit, (unsigned flags), (flags))
FORWARD(cuDriverGetVersion, (int *version), (version))
FORWARD(cuDeviceGetCount, (int *count), (count))
FORWARD(cuDeviceGet, (CUdevice * device, int ordinal), (device, ordinal))
FORWARD(cuDeviceGetName, (char *name, int length, CUdevice device), (name, length, device))
FORWARD(cuDeviceGetAttribute, (int *value, int attribute, CUdevice device), (value, attribute, device))
FORWARD(cuDevicePrimaryCtxRetain, (CUcontext * context, CUdevice device), (context, device))
FORWARD(cuDevicePrimaryCtxRelease_v2, (CUdevice device), (device))
FORWARD(cuCtxSetCurrent, (CUcontext context), (context))
FORWARD(cuStreamCreate, (CUstream * stream, unsigned flags), (stream, flags))
FORWARD(cuStreamDestroy_v2, (CUstream stream), (stream))
FORWARD(cuMemAlloc_v2, (CUdeviceptr * pointer, size_t bytes), (pointer, bytes))
FORWARD(cuMemFree_v2, (CUdeviceptr pointer), (pointer))
FORWARD(cuMemcpyHtoDAsync_v2, (CUdeviceptr target, const void *source, size_t bytes, CUstream stream),
        (target, source, bytes, stream))
FORWARD(cuModuleLoadData, (CUmodule * module, const void *image), (module, image))
FORWARD(cuModuleUnload, (CUmodule module), (module))
FORWARD(cuModuleGetFunction, (CUfunction * function, CUmodule module, const char *name),
        (function, module, name))
FORWARD(cuFuncSetAttribute, (CUfunction function, int attribute, int value), (function, attribute, value))
FORWARD(cuGetErrorName, (CUresult error, const char **text), (error, text))
FORWARD(cuGetErrorString, (CUresult error, const char **text), (error, text))
FORWARD(cuGraphInstantiateWithFlags, (CUgraphExec * exec, CUgraph graph, unsigned long long flags),
        (exec, graph, flags))
FORWARD(cuGraphExecDestroy, (CUgraphExec exec), (exec))
FORWARD(cuGraphDestroy, (CUgraph graph), (graph))

// What the timed entry points below call, bound once.
static struct {
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, CUstream, void **, void **);
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  int bound;
} cu;

// One span at a time: the runtime runs one request at a time per session, and
// r1c-run has one session.
static CUevent start_event, stop_event;
static CUstream span_stream;
static int capturing, span_open, span_closed;
static FILE *log_file;

static void bind_all(void) {
  if (cu.bound)
    return;
  cu.eventCreate = (CUresult(*)(CUevent *, unsigned))real_symbol("cuEventCreate");
  cu.eventRecord = (CUresult(*)(CUevent, CUstream))real_symbol("cuEventRecord");
  cu.eventElapsedTime = (CUresult(*)(float *, CUevent, CUevent))real_symbol("cuEventElapsedTime");
  cu.streamSynchronize = (CUresult(*)(CUstream))real_symbol("cuStreamSynchronize");
  cu.streamBeginCapture = (CUresult(*)(CUstream, int))real_symbol("cuStreamBeginCapture_v2");
  cu.streamEndCapture = (CUresult(*)(CUstream, CUgraph *))real_symbol("cuStreamEndCapture");
  cu.graphLaunch = (CUresult(*)(CUgraphExec, CUstream))real_symbol("cuGraphLaunch");
  cu.launchKernel = (CUresult(*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                 unsigned, CUstream, void **, void **))real_symbol("cuLaunchKernel");
  cu.memcpyDtoHAsync = (CUresult(*)(void *, CUdeviceptr, size_t, CUstream))real_symbol("cuMemcpyDtoHAsync_v2");
  const char *path = getenv("R1C_KERNEL_TIMES");
  if (path && *path) {
    log_file = fopen(path, "a");
    if (!log_file)
      fprintf(stderr, "cuda_kernel_timer: cannot open R1C_KERNEL_TIMES '%s'\n", path);
  }
  cu.bound = 1;
}

// Opens a span before a launch, unless one is open or the stream is capturing.
static void open_span(CUstream stream) {
  if (span_open || capturing || !log_file || !cu.eventCreate || !cu.eventRecord)
    return;
  // Events belong to the context current now, the runtime's.
  if (!start_event && (cu.eventCreate(&start_event, 0) || cu.eventCreate(&stop_event, 0))) {
    start_event = stop_event = NULL;
    return;
  }
  if (cu.eventRecord(start_event, stream) == 0) {
    span_open = 1;
    span_closed = 0;
    span_stream = stream;
  }
}

static void close_span(CUstream stream) {
  if (span_open && !span_closed && stream == span_stream && cu.eventRecord(stop_event, stream) == 0)
    span_closed = 1;
}

CUresult cuStreamBeginCapture_v2(CUstream stream, int mode) {
  bind_all();
  if (!cu.streamBeginCapture)
    return 801;
  CUresult result = cu.streamBeginCapture(stream, mode);
  capturing = result == 0;
  return result;
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph *graph) {
  bind_all();
  capturing = 0;
  return cu.streamEndCapture ? cu.streamEndCapture(stream, graph) : 801;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  bind_all();
  if (!cu.graphLaunch)
    return 801;
  open_span(stream);
  return cu.graphLaunch(exec, stream);
}

CUresult cuLaunchKernel(CUfunction function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, CUstream stream, void **params, void **extra) {
  bind_all();
  if (!cu.launchKernel)
    return 801;
  open_span(stream);
  return cu.launchKernel(function, gx, gy, gz, bx, by, bz, shared, stream, params, extra);
}

CUresult cuMemcpyDtoHAsync_v2(void *target, CUdeviceptr source, size_t bytes, CUstream stream) {
  bind_all();
  if (!cu.memcpyDtoHAsync)
    return 801;
  close_span(stream);
  return cu.memcpyDtoHAsync(target, source, bytes, stream);
}

CUresult cuStreamSynchronize(CUstream stream) {
  bind_all();
  if (!cu.streamSynchronize)
    return 801;
  close_span(stream);
  CUresult result = cu.streamSynchronize(stream);
  if (span_open && stream == span_stream) {
    float ms = 0;
    if (result == 0 && span_closed && cu.eventElapsedTime &&
        cu.eventElapsedTime(&ms, start_event, stop_event) == 0) {
      fprintf(log_file, "%.6f\n", ms);
      fflush(log_file);
    }
    span_open = span_closed = 0;
  }
  return result;
}
