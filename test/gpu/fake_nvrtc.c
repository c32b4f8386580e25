/* A stand-in for NVRTC that rejects every program with a fixed log, so lit
 * tests can check how r1c reports a kernel that does not compile. Tests
 * point R1C_NVRTC_LIBRARY at it. Only what r1c binds is defined. */
#include <stddef.h>
#include <string.h>

typedef struct program_s *program_t;
static const char kLog[] = "kernel.cu(1): error: this NVRTC stand-in rejects every program";
static struct program_s {
  int unused;
} program;

const char *nvrtcGetErrorString(int result) { return result ? "NVRTC_ERROR_COMPILATION" : "NVRTC_SUCCESS"; }
int nvrtcVersion(int *major, int *minor) { *major = 0; *minor = 1; return 0; }
int nvrtcCreateProgram(program_t *out, const char *source, const char *name, int headers,
                       const char *const *contents, const char *const *names) {
  *out = &program;
  return 0;
}
int nvrtcDestroyProgram(program_t *p) { *p = NULL; return 0; }
/* 6 is NVRTC_ERROR_COMPILATION. */
int nvrtcCompileProgram(program_t p, int count, const char *const *options) { return 6; }
int nvrtcGetProgramLogSize(program_t p, size_t *size) { *size = sizeof kLog; return 0; }
int nvrtcGetProgramLog(program_t p, char *log) { memcpy(log, kLog, sizeof kLog); return 0; }
int nvrtcGetPTXSize(program_t p, size_t *size) { *size = 0; return 0; }
int nvrtcGetPTX(program_t p, char *ptx) { return 0; }
int nvrtcGetCUBINSize(program_t p, size_t *size) { *size = 0; return 0; }
int nvrtcGetCUBIN(program_t p, char *cubin) { return 0; }
