// A 64-byte aligned host buffer that keeps its largest size.
#ifndef R1RT_SRC_ALIGNEDBUFFER_H
#define R1RT_SRC_ALIGNEDBUFFER_H

#include <cstddef>
#include <cstdlib>

namespace r1rt {

class AlignedBuffer {
public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  AlignedBuffer(AlignedBuffer &&other) noexcept : data_(other.data_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.capacity_ = 0;
  }
  ~AlignedBuffer() { std::free(data_); }
  // Grows to at least `bytes`; false when memory runs out.
  bool reserve(size_t bytes) {
    if (bytes <= capacity_ && data_)
      return true;
    void *grown = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!grown)
      return false;
    std::free(data_);
    data_ = grown;
    capacity_ = bytes;
    return true;
  }
  void *data() const { return data_; }
  size_t capacity() const { return data_ ? capacity_ : 0; }
  // Frees the memory; the buffer is empty again.
  void clear() {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  }

private:
  void *data_ = nullptr;
  size_t capacity_ = 0;
};

} // namespace r1rt

#endif // R1RT_SRC_ALIGNEDBUFFER_H
