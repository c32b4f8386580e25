/* Uses runtime.h from C99, compiled with -pedantic-errors, to prove the
 * header is C-clean; ModelTest calls these functions. */
#include "r1c/runtime.h"

#include <string.h>

/* Loads `size` bytes, checks what the sample artifact declares, releases.
 * Returns 0 on success, else the number of the failed check. */
int r1rt_c_api_sample_check(const void *data, size_t size) {
  r1rt_model_t model = NULL;
  r1rt_tensor_info_t info;
  r1rt_section_info_t section;
  size_t count = 0;
  size_t index = 0;
  const char *name = NULL;
  const void *bytes = NULL;
  r1rt_status_t status = r1rt_model_create_from_memory(data, size, &model);
  int failed = 0;

  if (status != NULL) {
    r1rt_status_release(status);
    return 1;
  }
  if (r1rt_model_name(model, &name) != NULL || strcmp(name, "tiny-llm") != 0)
    failed = 2;
  else if (r1rt_model_input_count(model, &count) != NULL || count != 3)
    failed = 3;
  else if (r1rt_model_input_info(model, 0, &info) != NULL || info.dtype != R1RT_DTYPE_INT64 ||
           info.rank != 2 || info.dims[0] != R1RT_ARTIFACT_SYMBOLIC_DIM ||
           strcmp(info.dim_names[1], "sequence") != 0)
    failed = 4;
  else if (r1rt_model_find_output(model, "logits", &index) != NULL || index != 0)
    failed = 5;
  else if (r1rt_model_find_section(model, R1RT_SECTION_WEIGHTS, "weights", &bytes, &count) !=
               NULL ||
           count != 300)
    failed = 6;
  else if (r1rt_model_section_info(model, 0, &section) != NULL ||
           section.kind != R1RT_SECTION_METADATA)
    failed = 7;
  else if (r1rt_dtype_size(info.dtype) != 8 || strcmp(r1rt_dtype_name(info.dtype), "int64") != 0)
    failed = 8;

  /* An error from C: the status carries the code and a message. */
  if (!failed) {
    status = r1rt_model_find_input(model, "nope", &index);
    if (r1rt_status_code(status) != R1RT_NOT_FOUND ||
        strstr(r1rt_status_message(status), "'nope'") == NULL)
      failed = 9;
    r1rt_status_release(status);
  }
  r1rt_model_release(model);
  return failed;
}

/* The layout structs have the documented sizes in C too. */
int r1rt_c_api_struct_sizes_ok(void) {
  return sizeof(r1rt_artifact_header_t) == R1RT_ARTIFACT_HEADER_SIZE &&
         sizeof(r1rt_artifact_section_entry_t) == R1RT_ARTIFACT_SECTION_ENTRY_SIZE &&
         offsetof(r1rt_artifact_header_t, checksum) == 40 &&
         offsetof(r1rt_artifact_section_entry_t, name) == 24;
}
