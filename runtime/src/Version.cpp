// Versions of the runtime library and of the artifact format it reads.
#include "r1c/artifact_format.h"
#include "r1c/runtime.h"

#define R1RT_STRINGIFY_(x) #x
#define R1RT_STRINGIFY(x) R1RT_STRINGIFY_(x)

extern "C" const char *r1rt_version_string(void) {
  return R1RT_STRINGIFY(R1RT_VERSION_MAJOR) "." R1RT_STRINGIFY(
      R1RT_VERSION_MINOR) "." R1RT_STRINGIFY(R1RT_VERSION_PATCH);
}

// The layout in artifact_format.h, which the reader implements.
extern "C" uint32_t r1rt_artifact_format_version(void) { return R1RT_ARTIFACT_FORMAT_VERSION; }
