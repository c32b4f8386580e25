// Error statuses of the runtime C API.
#include "r1c/runtime.h"

#include <new>
#include <string>

struct r1rt_status {
  r1rt_status_code_t code;
  std::string message;
};

// An allocation failure must still yield an error, never a success: this
// static status stands in and is never freed.
static r1rt_status outOfMemory{R1RT_OUT_OF_MEMORY, "out of memory creating a status"};

extern "C" r1rt_status_t r1rt_status_create(r1rt_status_code_t code, const char *message) {
  if (code == R1RT_OK)
    return nullptr;
  try {
    return new r1rt_status{code, message ? message : ""};
  } catch (const std::bad_alloc &) {
    return &outOfMemory;
  }
}

extern "C" r1rt_status_code_t r1rt_status_code(r1rt_status_t status) {
  return status ? status->code : R1RT_OK;
}

extern "C" const char *r1rt_status_message(r1rt_status_t status) {
  return status ? status->message.c_str() : "";
}

extern "C" const char *r1rt_status_code_name(r1rt_status_code_t code) {
  switch (code) {
  case R1RT_OK: return "OK";
  case R1RT_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case R1RT_NOT_FOUND: return "NOT_FOUND";
  case R1RT_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
  case R1RT_DATA_LOSS: return "DATA_LOSS";
  case R1RT_UNIMPLEMENTED: return "UNIMPLEMENTED";
  case R1RT_UNAVAILABLE: return "UNAVAILABLE";
  case R1RT_INTERNAL: return "INTERNAL";
  case R1RT_STATUS_CODE_MAX_ENUM: break;
  }
  return "UNKNOWN";
}

extern "C" void r1rt_status_release(r1rt_status_t status) {
  if (status != &outOfMemory)
    delete status;
}
