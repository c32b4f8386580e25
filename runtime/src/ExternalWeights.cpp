// External weights: mapping a safetensors side file and checking it
// against the artifact's EXTERNAL_WEIGHTS_REF.
#include "ExternalWeights.h"
#include "Error.h"
#include "r1c/artifact_format.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace r1rt {
namespace {

// Host code is told the data is this aligned (r1c's SafetensorsWriter).
constexpr uint64_t kDataAlignment = 64;

// The side file's path: relative to the artifact's directory.
std::string sideFilePath(const std::string &artifactPath, const std::string &fileName) {
  if (!fileName.empty() && fileName[0] == '/')
    return fileName;
  size_t slash = artifactPath.rfind('/');
  return slash == std::string::npos ? fileName : artifactPath.substr(0, slash + 1) + fileName;
}

} // namespace

MappedWeights::~MappedWeights() { munmap(mapping_, size_); }

r1rt_status_t MappedWeights::open(const std::string &artifactPath, const ExternalWeightsRef &ref,
                                  std::unique_ptr<MappedWeights> &out) {
  std::string path = sideFilePath(artifactPath, ref.fileName);
  std::string name = quoted(path);
  int fd;
  do
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int error = errno;
    return makeError(error == ENOENT ? R1RT_NOT_FOUND : R1RT_INVALID_ARGUMENT,
                     "cannot open the weights file %s: %s (r1c --weights=external writes it "
                     "beside the artifact, which needs it)",
                     name.c_str(), std::strerror(error));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};

  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    return makeError(R1RT_INVALID_ARGUMENT, "the weights file %s is not a regular file",
                     name.c_str());
  uint64_t size = uint64_t(info.st_size);
  if (size != ref.size)
    return makeError(R1RT_DATA_LOSS,
                     "the weights file %s has %llu bytes but the artifact expects %llu: a "
                     "truncated copy, or the weights of another compile",
                     name.c_str(), (unsigned long long)size, (unsigned long long)ref.size);
  if (size < 8)
    return makeError(R1RT_DATA_LOSS, "the weights file %s is too short for a safetensors header",
                     name.c_str());
  void *mapping = mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED)
    return makeError(R1RT_UNAVAILABLE, "cannot map the weights file %s: %s", name.c_str(),
                     std::strerror(errno));
  std::unique_ptr<MappedWeights> weights(new (std::nothrow)
                                             MappedWeights(mapping, size_t(size), nullptr));
  if (!weights) {
    munmap(mapping, size_t(size));
    return makeError(R1RT_OUT_OF_MEMORY, "out of memory mapping the weights file");
  }

  // Every byte is checked once per model, before any is used: a flipped bit
  // would otherwise show up as wrong outputs.
  const auto *bytes = static_cast<const uint8_t *>(mapping);
  uint32_t checksum = r1c::artifact::crc32Update(0, bytes, size_t(size));
  if (checksum != ref.checksum)
    return makeError(R1RT_DATA_LOSS,
                     "the weights file %s fails its checksum (CRC-32 %08x, the artifact "
                     "expects %08x): it is corrupt, or the weights of another compile",
                     name.c_str(), unsigned(checksum), unsigned(ref.checksum));
  uint64_t headerSize = r1c::artifact::loadU64(bytes);
  if (headerSize > size - 8 || (8 + headerSize) % kDataAlignment != 0)
    return makeError(R1RT_DATA_LOSS,
                     "the weights file %s has a safetensors header of %llu bytes; r1c writes "
                     "one that ends inside the file on a multiple of %llu",
                     name.c_str(), (unsigned long long)headerSize,
                     (unsigned long long)kDataAlignment);
  weights->data_ = bytes + 8 + headerSize;
  out = std::move(weights);
  return nullptr;
}

} // namespace r1rt
