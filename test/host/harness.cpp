// Runs a model compiled with `r1c --target=host` on raw binary tensors: the
// link-into-an-application path, driven from tests.
//
// Build: c++ -DR1C_MODEL=NAME harness.cpp NAME.o -o run_NAME
// Usage: run_NAME IN0.bin ... -- OUT0.bin:BYTES ...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define R1C_CAT2(a, b) a##b
#define R1C_CAT(a, b) R1C_CAT2(a, b)

extern "C" {
extern const int64_t R1C_CAT(R1C_MODEL, _arena_size);
void R1C_CAT(R1C_MODEL, _run)(void *const *inputs, void *const *outputs, void *arena,
                              int64_t *output_dims, const void *context);
}

static std::vector<char> readFile(const char *path) {
  std::FILE *file = std::fopen(path, "rb");
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(2);
  }
  std::vector<char> bytes;
  char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  std::fclose(file);
  return bytes;
}

int main(int argc, char **argv) {
  std::vector<std::vector<char>> inputs, outputs;
  std::vector<std::string> outputPaths;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
    inputs.push_back(readFile(argv[i]));
  for (++i; i < argc; ++i) {
    std::string spec = argv[i];
    size_t colon = spec.rfind(':');
    outputPaths.push_back(spec.substr(0, colon));
    // Poisoned, so elements the model fails to write are caught.
    outputs.emplace_back(std::stoull(spec.substr(colon + 1)), char(0x7f));
  }
  std::vector<void *> inputPointers, outputPointers;
  for (auto &buffer : inputs)
    inputPointers.push_back(buffer.data());
  for (auto &buffer : outputs)
    outputPointers.push_back(buffer.data());
  void *arena = std::aligned_alloc(64, (R1C_CAT(R1C_MODEL, _arena_size) + 63) / 64 * 64 + 64);
  R1C_CAT(R1C_MODEL, _run)(inputPointers.data(), outputPointers.data(), arena, nullptr, nullptr);
  std::free(arena);
  for (size_t k = 0; k < outputs.size(); ++k) {
    std::FILE *file = std::fopen(outputPaths[k].c_str(), "wb");
    std::fwrite(outputs[k].data(), 1, outputs[k].size(), file);
    std::fclose(file);
  }
  return 0;
}
