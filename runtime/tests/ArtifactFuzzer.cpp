// libFuzzer entry for the artifact reader: any bytes must load or fail
// cleanly. Build with -DR1RT_BUILD_FUZZER=ON and clang, then run
//   bin/r1rt-artifact-fuzzer -max_len=4096 CORPUS_DIR
// seeded with a few real artifacts.
#include "r1c/runtime.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Half the inputs get a correct size and checksum, so mutations reach the
  // section table and metadata checks instead of stopping at the checksum.
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= R1RT_ARTIFACT_HEADER_SIZE && (size & 1)) {
    using namespace r1c::artifact;
    storeU64(bytes.data() + kHeaderFileSize, size);
    storeU32(bytes.data() + kHeaderChecksum,
             crc32Update(0, bytes.data() + R1RT_ARTIFACT_HEADER_SIZE,
                         size - R1RT_ARTIFACT_HEADER_SIZE));
  }
  static const uint8_t empty = 0;
  r1rt_model_t model = nullptr;
  r1rt_status_t status =
      r1rt_model_create_from_memory(bytes.empty() ? &empty : bytes.data(), size, &model);
  if (!status) {
    // Touch everything a loaded model hands out.
    size_t count = 0;
    r1rt_model_input_count(model, &count);
    for (size_t i = 0; i < count; ++i) {
      r1rt_tensor_info_t info;
      if (!r1rt_model_input_info(model, i, &info))
        for (int32_t d = 0; d < info.rank; ++d)
          (void)(info.dims[d] + info.dim_names[d][0]);
    }
    r1rt_model_section_count(model, &count);
    for (size_t i = 0; i < count; ++i) {
      r1rt_section_info_t section;
      if (!r1rt_model_section_info(model, i, &section) && section.size)
        (void)static_cast<const volatile uint8_t *>(section.data)[section.size - 1];
    }
  }
  r1rt_status_release(status);
  r1rt_model_release(model);
  return 0;
}
