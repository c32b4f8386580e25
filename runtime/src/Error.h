// Helpers that build r1rt_status_t errors with formatted messages.
#ifndef R1RT_SRC_ERROR_H
#define R1RT_SRC_ERROR_H

#include "r1c/runtime.h"

#include <string>

namespace r1rt {

// An error status with a printf-style message; never returns NULL for a
// code other than R1RT_OK, also when memory runs out.
r1rt_status_t makeError(r1rt_status_code_t code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

// The same status with "prefix: " in front of its message; releases `status`.
r1rt_status_t prefixError(const std::string &prefix, r1rt_status_t status);

// `bytes` quoted for a message, with anything unprintable as \xNN, so a
// corrupt artifact cannot put control characters on a user's terminal.
std::string quoted(const std::string &bytes);

// INVALID_ARGUMENT naming a NULL argument: "model is NULL".
inline r1rt_status_t nullArgument(const char *argument) {
  return makeError(R1RT_INVALID_ARGUMENT, "%s is NULL", argument);
}

} // namespace r1rt

#endif // R1RT_SRC_ERROR_H
