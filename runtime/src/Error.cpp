// Formatted error statuses.
#include "Error.h"

#include <cstdarg>
#include <cstdio>
#include <new>

namespace r1rt {

r1rt_status_t makeError(r1rt_status_code_t code, const char *format, ...) {
  char stackBuffer[512];
  va_list args;
  va_start(args, format);
  int length = std::vsnprintf(stackBuffer, sizeof stackBuffer, format, args);
  va_end(args);
  if (length < 0)
    return r1rt_status_create(code, format);
  if (size_t(length) < sizeof stackBuffer)
    return r1rt_status_create(code, stackBuffer);
  try {
    std::string message(size_t(length) + 1, '\0');
    va_start(args, format);
    std::vsnprintf(&message[0], message.size(), format, args);
    va_end(args);
    return r1rt_status_create(code, message.c_str());
  } catch (const std::bad_alloc &) {
    // Keep the code; the truncated message still says what went wrong.
    return r1rt_status_create(code, stackBuffer);
  }
}

r1rt_status_t prefixError(const std::string &prefix, r1rt_status_t status) {
  if (!status)
    return nullptr;
  r1rt_status_code_t code = r1rt_status_code(status);
  if (code == R1RT_OUT_OF_MEMORY)
    return status;
  r1rt_status_t prefixed = makeError(code, "%s: %s", prefix.c_str(), r1rt_status_message(status));
  r1rt_status_release(status);
  return prefixed;
}

std::string quoted(const std::string &bytes) {
  static const char hex[] = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += char(c);
    } else if (c >= 0x80) {
      out += char(c); // UTF-8 names stay readable
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  out += "'";
  return out;
}

} // namespace r1rt
