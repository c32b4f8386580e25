// Host tensors for r1c-run and r1c's calibration: reading ONNX TensorProto and .npy files,
// writing .npy, and comparing outputs against expected values.
//
// Contracts shared by everything in this header:
//  - Nothing throws on bad input. Readers return an ErrorOr whose message names the file (or
//    the `source` label given for in-memory bytes) and what is wrong with it.
//  - Readers check every length, count and size against the bytes actually present before
//    allocating, so a corrupt or hostile file costs at most about its own size in memory.
//  - Tensor bytes are little-endian and in C (row-major) order, as in TensorProto.raw_data.
//  - Only dense numeric tensors are supported: float, double, float16, bfloat16, int8..int64,
//    uint8..uint64 and bool. Strings, complex numbers, 4/8-bit floats and tensors stored in
//    external files are rejected with an error that says so.
#ifndef R1C_RUNTIME_TENSORIO_TENSORFILE_H
#define R1C_RUNTIME_TENSORIO_TENSORFILE_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace r1c::run {

/// Element types, numbered as onnx.TensorProto.DataType so that the value read from a file
/// is the enumerator. Codes not listed here are representable but unsupported.
enum class DType : int32_t {
  Undefined = 0,
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  Complex64 = 14,
  Complex128 = 15,
  BFloat16 = 16,
};

/// True for the element types this library can read, write and compare.
bool isSupported(DType dtype);
/// True for float, double, float16 and bfloat16: compared with tolerances.
bool isFloatLike(DType dtype);
/// Bytes per element; 0 for unsupported types.
size_t dtypeSize(DType dtype);
/// Lower-case name ("float32", "bfloat16", "int64", "bool", ...); for an unknown code,
/// "dtype(<code>)".
std::string dtypeName(DType dtype);

/// IEEE binary16 and bfloat16 conversions. Decoding is exact; encoding rounds to nearest
/// even, keeps infinities and signed zeros, and maps every NaN to a quiet NaN of the same sign.
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBfloat16(float value);

/// Storage for tensor bytes, aligned to 64 bytes so kernels may use any vector width on it.
constexpr size_t kTensorAlignment = 64;
template <typename T> struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U> &) {}
  T *allocate(size_t n) {
    // aligned_alloc wants a size that is a multiple of the alignment. Readers bound sizes by
    // their input first, so failing here means memory is truly exhausted: that is fatal.
    if (n > (SIZE_MAX - kTensorAlignment) / sizeof(T))
      std::abort();
    size_t bytes = (n * sizeof(T) + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    void *p = std::aligned_alloc(kTensorAlignment, bytes ? bytes : kTensorAlignment);
    if (!p)
      std::abort();
    return static_cast<T *>(p);
  }
  void deallocate(T *p, size_t) { std::free(p); }
  template <typename U> bool operator==(const AlignedAllocator<U> &) const { return true; }
  template <typename U> bool operator!=(const AlignedAllocator<U> &) const { return false; }
};
using ByteBuffer = std::vector<uint8_t, AlignedAllocator<uint8_t>>;

/// A dense tensor in host memory. A 0-d tensor has empty `dims` and one element; a tensor
/// with a zero in `dims` has no elements and no bytes.
struct HostTensor {
  std::string name;
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims;
  ByteBuffer bytes; ///< numElements() * dtypeSize(dtype) bytes, little-endian, C order.

  /// A tensor of the given type and shape with every byte zero. The caller guarantees that
  /// `dims` are non-negative and the size fits in memory (see checkedElementCount).
  static HostTensor zeros(DType dtype, std::vector<int64_t> dims, std::string name = "");
  /// A tensor holding `values`, whose count must match `dims`; T must have the size of
  /// `dtype` (e.g. uint16_t bits for float16).
  template <typename T>
  static HostTensor fromValues(DType dtype, std::vector<int64_t> dims, const std::vector<T> &values,
                               std::string name = "") {
    HostTensor t;
    t.name = std::move(name);
    t.dtype = dtype;
    t.dims = std::move(dims);
    t.bytes.resize(values.size() * sizeof(T));
    if (!values.empty())
      std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
  }

  /// Product of dims (1 for a 0-d tensor). Valid for tensors made by this library, whose
  /// shapes were checked on the way in.
  int64_t numElements() const;
  /// "float32[2,3]" style description, for messages.
  std::string typeString() const;
  /// True when the byte count matches the shape and type; readers only return valid tensors.
  bool isValid() const;

  /// Typed views of the bytes. T must have the element's size; the buffer's alignment makes
  /// the cast safe for every supported type.
  template <typename T> const T *data() const { return reinterpret_cast<const T *>(bytes.data()); }
  template <typename T> T *data() { return reinterpret_cast<T *>(bytes.data()); }
  /// The elements copied out as T (again of the element's size).
  template <typename T> std::vector<T> values() const {
    std::vector<T> out(bytes.size() / sizeof(T));
    if (!out.empty())
      std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
  }
  /// Element i converted to double (float16/bfloat16 decoded; int64/uint64 beyond 2^53 are
  /// rounded). Precondition: i < numElements() and the type is supported.
  double elementAsDouble(size_t i) const;
};

/// A value or an error message.
template <typename T> class ErrorOr {
public:
  ErrorOr(T value) : value_(std::move(value)) {}
  static ErrorOr failure(std::string message) {
    ErrorOr e;
    e.error_ = std::move(message);
    return e;
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// Empty when ok().
  const std::string &error() const { return error_; }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

private:
  ErrorOr() = default;
  std::optional<T> value_;
  std::string error_;
};

/// Success, or an error message.
class Status {
public:
  static Status success() { return Status(); }
  static Status failure(std::string message) {
    Status s;
    s.failed_ = true;
    s.error_ = std::move(message);
    return s;
  }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string &error() const { return error_; }

private:
  bool failed_ = false;
  std::string error_;
};

/// Number of elements for `dims`, or an error when a dim is negative or the element count
/// or byte size (count * dtypeSize) would exceed INT64_MAX. `what` prefixes the message.
ErrorOr<int64_t> checkedElementCount(const std::vector<int64_t> &dims, DType dtype,
                                     const std::string &what);

/// Decodes a serialized onnx.TensorProto. `source` names the bytes in error messages.
/// Accepts raw_data or the typed field ONNX uses for the type (float_data; int32_data for
/// int8/int16/int32/uint8/uint16/bool and float16/bfloat16 bits; int64_data; double_data;
/// uint64_data for uint32/uint64), packed or not. Typed values must fit the element type.
/// Unknown fields are skipped as protobuf does; segments, strings and external data are
/// errors.
ErrorOr<HostTensor> readTensorProto(const uint8_t *data, size_t size,
                                    const std::string &source = "<memory>");
ErrorOr<HostTensor> readTensorProto(const std::string &path);

/// Reads a .npy file (format 1.0, 2.0 or 3.0) of a supported little-endian dtype in C order.
/// The tensor's name is left empty. numpy has no bfloat16; such tensors can't be in .npy.
ErrorOr<HostTensor> readNpy(const uint8_t *data, size_t size,
                            const std::string &source = "<memory>");
ErrorOr<HostTensor> readNpy(const std::string &path);

/// Writes `tensor` as numpy's np.save would (format 1.0, or 2.0 for a header over 64 KiB;
/// header padded so data starts at a multiple of 64 bytes). Fails for bfloat16 and invalid
/// tensors.
ErrorOr<std::vector<uint8_t>> encodeNpy(const HostTensor &tensor);
Status writeNpy(const std::string &path, const HostTensor &tensor);

/// Reads `path` as .npy if it ends in ".npy", else as a serialized TensorProto.
ErrorOr<HostTensor> readTensorFile(const std::string &path);

/// Outcome of comparing an actual tensor against an expected one.
///
/// Element rule for float-like types, with e and a converted to double:
///   |a - e| <= atol + rtol * |e|   (numpy.allclose)
/// NaN never passes: an element fails when a or e is NaN, even when both are. Equal
/// infinities pass; any other infinity fails. Integer and bool types must match exactly
/// (atol and rtol are ignored). A dtype or shape difference is a failure reported in
/// `error`, with no per-element statistics.
struct CompareResult {
  bool passed = false;
  std::string error; ///< Set on dtype or shape mismatch.
  DType dtype = DType::Undefined;
  std::vector<int64_t> dims; ///< Shape compared, for formatting worstIndex.
  int64_t numElements = 0;   ///< Elements compared.
  int64_t mismatches = 0;    ///< Elements that failed, NaN failures included.
  int64_t nanMismatches = 0; ///< Elements that failed because a or e is NaN.
  double maxAbsError = 0;    ///< Over elements where neither side is NaN.
  double maxRelError = 0;    ///< |a-e|/|e| over the same; inf where e == 0 and a != 0.
  /// Flat (C-order) index of the element furthest outside its tolerance: a NaN failure
  /// first, then the largest |a-e| - (atol + rtol*|e|). -1 when there are no elements.
  /// Set when everything passes too (then it is the element closest to failing).
  int64_t worstIndex = -1;
  double worstExpected = 0;
  double worstActual = 0;

  /// One line: "ok" or a description of the failure with the worst element's index and values.
  std::string summary() const;
};
CompareResult compareTensors(const HostTensor &expected, const HostTensor &actual, double atol,
                             double rtol);

/// Formats a flat index as a multi-index for `dims`, e.g. "[1,0,2]".
std::string formatIndex(int64_t flatIndex, const std::vector<int64_t> &dims);

/// One ONNX test case folder (test_data_set_N): input_K.pb and output_K.pb, in order of K.
struct TestDataSet {
  std::string dir;
  std::vector<HostTensor> inputs;
  std::vector<HostTensor> outputs;
};

/// Loads a test_data_set_N folder. The K in input_K.pb / output_K.pb must run 0..n-1 without
/// gaps (sorted numerically, so input_10 follows input_9). Other files are ignored.
ErrorOr<TestDataSet> loadTestDataSet(const std::string &dir);

/// The test_data_set_N subfolders of `modelDir`, sorted by N. Empty when there are none.
ErrorOr<std::vector<std::string>> listTestDataSets(const std::string &modelDir);

} // namespace r1c::run

#endif // R1C_RUNTIME_TENSORIO_TENSORFILE_H
