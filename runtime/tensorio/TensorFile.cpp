// Tensor files for r1c-run: a TensorProto wire-format decoder, .npy reading and writing,
// tensor comparison and ONNX test-data folders.
#include "TensorFile.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>

// Tensor bytes are little-endian in both file formats and are used in place.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "r1c-run needs a little-endian host");

namespace r1c::run {
namespace fs = std::filesystem;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::Int8:
  case DType::UInt8:
    return 1;
  case DType::Float16:
  case DType::BFloat16:
  case DType::Int16:
  case DType::UInt16:
    return 2;
  case DType::Float:
  case DType::Int32:
  case DType::UInt32:
    return 4;
  case DType::Double:
  case DType::Int64:
  case DType::UInt64:
    return 8;
  default:
    return 0;
  }
}

bool isSupported(DType dtype) { return dtypeSize(dtype) != 0; }

bool isFloatLike(DType dtype) {
  return dtype == DType::Float || dtype == DType::Double || dtype == DType::Float16 ||
         dtype == DType::BFloat16;
}

std::string dtypeName(DType dtype) {
  switch (dtype) {
  case DType::Undefined:
    return "undefined";
  case DType::Float:
    return "float32";
  case DType::UInt8:
    return "uint8";
  case DType::Int8:
    return "int8";
  case DType::UInt16:
    return "uint16";
  case DType::Int16:
    return "int16";
  case DType::Int32:
    return "int32";
  case DType::Int64:
    return "int64";
  case DType::String:
    return "string";
  case DType::Bool:
    return "bool";
  case DType::Float16:
    return "float16";
  case DType::Double:
    return "float64";
  case DType::UInt32:
    return "uint32";
  case DType::UInt64:
    return "uint64";
  case DType::Complex64:
    return "complex64";
  case DType::Complex128:
    return "complex128";
  case DType::BFloat16:
    return "bfloat16";
  }
  return "dtype(" + std::to_string(static_cast<int32_t>(dtype)) + ")";
}

static uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) // Infinity or NaN; the NaN payload moves to the top of float's.
    return bitsFloat(sign | 0x7f800000 | (mantissa << 13));
  return bitsFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t x = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7fffffff;
  if (x > 0x7f800000)
    return sign | 0x7e00;
  uint32_t exponent = x >> 23; // Biased by 127.
  if (exponent >= 143)         // |value| >= 2^16, beyond rounding distance of 65504.
    return sign | 0x7c00;
  uint32_t mantissa = x & 0x7fffff;
  uint32_t result, remainder, halfway;
  if (exponent >= 113) {
    // Normal in half precision: drop 13 mantissa bits.
    result = ((exponent - 112) << 10) | (mantissa >> 13);
    remainder = mantissa & 0x1fff;
    halfway = 0x1000;
  } else {
    // Subnormal (or zero) in half precision: the value in units of 2^-24.
    if (exponent < 102) // Below half of the smallest subnormal: rounds to zero.
      return sign;
    uint32_t full = mantissa | 0x800000;
    uint32_t shift = 126 - exponent; // 14..24
    result = full >> shift;
    remainder = full & ((1u << shift) - 1);
    halfway = 1u << (shift - 1);
  }
  // Round to nearest even; a carry into the exponent field is the correct next value.
  if (remainder > halfway || (remainder == halfway && (result & 1)))
    ++result;
  return static_cast<uint16_t>(sign | result);
}

float bfloat16ToFloat(uint16_t bits) { return bitsFloat(uint32_t(bits) << 16); }

uint16_t floatToBfloat16(float value) {
  uint32_t x = floatBits(value);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>(((x >> 16) & 0x8000) | 0x7fc0);
  x += 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

static std::string formatDims(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

ErrorOr<int64_t> checkedElementCount(const std::vector<int64_t> &dims, DType dtype,
                                     const std::string &what) {
  bool anyZero = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0)
      return ErrorOr<int64_t>::failure(what + ": dim " + std::to_string(i) + " is " +
                                       std::to_string(dims[i]) + ", which is negative");
    anyZero |= dims[i] == 0;
  }
  // An empty tensor is empty whatever its other dims are, even ones whose product overflows.
  if (anyZero)
    return int64_t(0);
  int64_t count = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(count, d, &count))
      return ErrorOr<int64_t>::failure(what + ": shape " + formatDims(dims) +
                                       " has more than 2^63 elements");
  int64_t bytes;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(std::max<size_t>(dtypeSize(dtype), 1)),
                             &bytes))
    return ErrorOr<int64_t>::failure(what + ": " + dtypeName(dtype) + formatDims(dims) +
                                     " needs more than 2^63 bytes");
  return count;
}

HostTensor HostTensor::zeros(DType dtype, std::vector<int64_t> dims, std::string name) {
  HostTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.dims = std::move(dims);
  t.bytes.resize(static_cast<size_t>(t.numElements()) * dtypeSize(dtype));
  return t;
}

int64_t HostTensor::numElements() const {
  int64_t count = 1;
  for (int64_t d : dims)
    count *= d;
  return count;
}

std::string HostTensor::typeString() const { return dtypeName(dtype) + formatDims(dims); }

bool HostTensor::isValid() const {
  if (!isSupported(dtype))
    return false;
  ErrorOr<int64_t> count = checkedElementCount(dims, dtype, "");
  return count && static_cast<uint64_t>(*count) * dtypeSize(dtype) == bytes.size();
}

template <typename T> static T loadAt(const ByteBuffer &bytes, size_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

double HostTensor::elementAsDouble(size_t i) const {
  switch (dtype) {
  case DType::Float:
    return loadAt<float>(bytes, i);
  case DType::Double:
    return loadAt<double>(bytes, i);
  case DType::Float16:
    return halfToFloat(loadAt<uint16_t>(bytes, i));
  case DType::BFloat16:
    return bfloat16ToFloat(loadAt<uint16_t>(bytes, i));
  case DType::Int8:
    return loadAt<int8_t>(bytes, i);
  case DType::Int16:
    return loadAt<int16_t>(bytes, i);
  case DType::Int32:
    return loadAt<int32_t>(bytes, i);
  case DType::Int64:
    return static_cast<double>(loadAt<int64_t>(bytes, i));
  case DType::UInt8:
  case DType::Bool:
    return loadAt<uint8_t>(bytes, i);
  case DType::UInt16:
    return loadAt<uint16_t>(bytes, i);
  case DType::UInt32:
    return loadAt<uint32_t>(bytes, i);
  case DType::UInt64:
    return static_cast<double>(loadAt<uint64_t>(bytes, i));
  default:
    return std::nan("");
  }
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Reads a whole file in chunks, so pipes and files that change size while read also work.
static ErrorOr<std::vector<uint8_t>> readFileBytes(const std::string &path) {
  using Result = ErrorOr<std::vector<uint8_t>>;
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Result::failure("cannot open '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = std::ferror(f);
  int err = errno;
  std::fclose(f);
  if (failed)
    return Result::failure("cannot read '" + path + "': " + std::strerror(err));
  return bytes;
}

static Status writeFileBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return Status::failure("cannot create '" + path + "': " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return Status::failure("cannot write '" + path + "': " + std::strerror(err ? err : errno));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// TensorProto
//===----------------------------------------------------------------------===//

namespace {

enum WireType : uint32_t { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

/// Field numbers of onnx.TensorProto (onnx/onnx.proto).
enum TensorField : uint32_t {
  kDims = 1,
  kDataType = 2,
  kSegment = 3,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kExternalData = 13,
  kDataLocation = 14,
};

/// Everything of a TensorProto this reader uses, as found on the wire.
struct TensorFields {
  std::vector<int64_t> dims;
  std::optional<int64_t> dataType;
  std::vector<float> floatData;
  std::vector<uint64_t> int32Data; // Raw varints; range-checked once the type is known.
  std::vector<int64_t> int64Data;
  std::vector<double> doubleData;
  std::vector<uint64_t> uint64Data;
  std::string name;
  bool hasRawData = false;
  const uint8_t *rawData = nullptr;
  size_t rawSize = 0;
  bool hasStringData = false;
  int64_t dataLocation = 0;
};

/// Decodes the protobuf wire format of one TensorProto. Every read is checked against the
/// end of the buffer; the first problem is kept in `error` and stops decoding.
class TensorProtoDecoder {
public:
  TensorProtoDecoder(const uint8_t *data, size_t size) : begin(data), pos(data), end(data + size) {}

  bool decode(TensorFields &out) {
    while (pos < end) {
      size_t tagOffset = offset();
      uint64_t tag;
      if (!readVarint(tag))
        return false;
      if (tag > std::numeric_limits<uint32_t>::max() || (tag >> 3) == 0)
        return fail("invalid field tag " + std::to_string(tag) + " at byte " +
                    std::to_string(tagOffset));
      uint32_t field = static_cast<uint32_t>(tag >> 3);
      uint32_t wire = static_cast<uint32_t>(tag & 7);
      if (!decodeField(field, wire, out))
        return false;
    }
    return true;
  }

  std::string error;

private:
  size_t offset() const { return static_cast<size_t>(pos - begin); }
  size_t left() const { return static_cast<size_t>(end - pos); }

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }

  bool readVarint(uint64_t &value) {
    size_t start = offset();
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (pos >= end)
        return fail("varint at byte " + std::to_string(start) + " is cut off by the end of data");
      uint8_t b = *pos++;
      if (i == 9 && b > 1)
        return fail("varint at byte " + std::to_string(start) + " overflows 64 bits");
      result |= uint64_t(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) {
        value = result;
        return true;
      }
    }
    return fail("varint at byte " + std::to_string(start) + " overflows 64 bits");
  }

  bool readFixed(void *out, size_t n) {
    if (left() < n)
      return fail(std::to_string(n) + "-byte value at byte " + std::to_string(offset()) +
                  " is cut off by the end of data");
    std::memcpy(out, pos, n);
    pos += n;
    return true;
  }

  bool readLength(const char *what, const uint8_t *&payload, size_t &size) {
    size_t start = offset();
    uint64_t length;
    if (!readVarint(length))
      return false;
    if (length > left())
      return fail(std::string(what) + " at byte " + std::to_string(start) + " claims " +
                  std::to_string(length) + " bytes but only " + std::to_string(left()) + " remain");
    payload = pos;
    size = static_cast<size_t>(length);
    pos += size;
    return true;
  }

  bool wrongWireType(const char *field, uint32_t wire) {
    return fail(std::string("field '") + field + "' has wire type " + std::to_string(wire) +
                ", which protobuf does not use for it");
  }

  /// A repeated varint field, packed (one length-delimited run) or one value per tag.
  bool repeatedVarint(const char *field, uint32_t wire, std::vector<uint64_t> &out) {
    if (wire == Varint) {
      uint64_t v;
      if (!readVarint(v))
        return false;
      out.push_back(v);
      return true;
    }
    if (wire != LengthDelimited)
      return wrongWireType(field, wire);
    const uint8_t *payload;
    size_t size;
    if (!readLength(field, payload, size))
      return false;
    // Decode the run with the same checks; its end is the run's end, not the buffer's.
    const uint8_t *savedEnd = end;
    const uint8_t *after = pos;
    pos = payload;
    end = payload + size;
    while (pos < end) {
      uint64_t v;
      if (!readVarint(v)) {
        error = "packed '" + std::string(field) + "': " + error;
        return false;
      }
      out.push_back(v);
    }
    pos = after;
    end = savedEnd;
    return true;
  }

  /// A repeated fixed-width field (float or double), packed or one value per tag.
  template <typename T>
  bool repeatedFixed(const char *field, uint32_t wire, uint32_t scalarWire, std::vector<T> &out) {
    if (wire == scalarWire) {
      T v;
      if (!readFixed(&v, sizeof(T)))
        return false;
      out.push_back(v);
      return true;
    }
    if (wire != LengthDelimited)
      return wrongWireType(field, wire);
    const uint8_t *payload;
    size_t size;
    if (!readLength(field, payload, size))
      return false;
    if (size % sizeof(T))
      return fail("packed '" + std::string(field) + "' has " + std::to_string(size) +
                  " bytes, not a multiple of " + std::to_string(sizeof(T)));
    size_t old = out.size();
    out.resize(old + size / sizeof(T));
    if (size)
      std::memcpy(out.data() + old, payload, size);
    return true;
  }

  bool skipField(uint32_t field, uint32_t wire) {
    switch (wire) {
    case Varint: {
      uint64_t ignored;
      return readVarint(ignored);
    }
    case Fixed64:
    case Fixed32: {
      uint8_t ignored[8];
      return readFixed(ignored, wire == Fixed64 ? 8 : 4);
    }
    case LengthDelimited: {
      const uint8_t *payload;
      size_t size;
      return readLength("field", payload, size);
    }
    default:
      return fail("field " + std::to_string(field) + " has wire type " + std::to_string(wire) +
                  (wire == 3 || wire == 4 ? " (a group, which TensorProto never contains)"
                                          : ", which does not exist"));
    }
  }

  bool decodeField(uint32_t field, uint32_t wire, TensorFields &out) {
    switch (field) {
    case kDims: {
      std::vector<uint64_t> raw;
      if (!repeatedVarint("dims", wire, raw))
        return false;
      for (uint64_t v : raw)
        out.dims.push_back(static_cast<int64_t>(v));
      return true;
    }
    case kDataType: {
      uint64_t v;
      if (wire != Varint)
        return wrongWireType("data_type", wire);
      if (!readVarint(v))
        return false;
      out.dataType = static_cast<int64_t>(v);
      return true;
    }
    case kSegment:
      return fail("the tensor is a segment of a larger one (field 'segment'), which is not "
                  "supported; is this a TensorProto?");
    case kFloatData:
      return repeatedFixed("float_data", wire, Fixed32, out.floatData);
    case kInt32Data:
      return repeatedVarint("int32_data", wire, out.int32Data);
    case kStringData:
      out.hasStringData = true;
      return skipField(field, wire);
    case kInt64Data: {
      std::vector<uint64_t> raw;
      if (!repeatedVarint("int64_data", wire, raw))
        return false;
      for (uint64_t v : raw)
        out.int64Data.push_back(static_cast<int64_t>(v));
      return true;
    }
    case kName: {
      const uint8_t *payload;
      size_t size;
      if (wire != LengthDelimited)
        return wrongWireType("name", wire);
      if (!readLength("name", payload, size))
        return false;
      out.name.assign(reinterpret_cast<const char *>(payload), size);
      return true;
    }
    case kRawData:
      if (wire != LengthDelimited)
        return wrongWireType("raw_data", wire);
      out.hasRawData = true;
      return readLength("raw_data", out.rawData, out.rawSize);
    case kDoubleData:
      return repeatedFixed("double_data", wire, Fixed64, out.doubleData);
    case kUint64Data:
      return repeatedVarint("uint64_data", wire, out.uint64Data);
    case kDataLocation: {
      uint64_t v;
      if (wire != Varint)
        return wrongWireType("data_location", wire);
      if (!readVarint(v))
        return false;
      out.dataLocation = static_cast<int64_t>(v);
      return true;
    }
    case kExternalData: // Only meaningful with data_location = EXTERNAL, rejected later.
    default:
      return skipField(field, wire);
    }
  }

  const uint8_t *begin;
  const uint8_t *pos;
  const uint8_t *end;
};

/// The typed field ONNX stores each element type in, when raw_data is not used.
enum class TypedField { None, Float, Int32, Int64, Double, UInt64 };

TypedField typedFieldFor(DType dtype) {
  switch (dtype) {
  case DType::Float:
    return TypedField::Float;
  case DType::Double:
    return TypedField::Double;
  case DType::Int64:
    return TypedField::Int64;
  case DType::UInt32:
  case DType::UInt64:
    return TypedField::UInt64;
  default:
    return TypedField::Int32;
  }
}

const char *typedFieldName(TypedField f) {
  switch (f) {
  case TypedField::None:
    return "";
  case TypedField::Float:
    return "float_data";
  case TypedField::Int32:
    return "int32_data";
  case TypedField::Int64:
    return "int64_data";
  case TypedField::Double:
    return "double_data";
  case TypedField::UInt64:
    return "uint64_data";
  }
  return "";
}

size_t typedFieldCount(const TensorFields &f, TypedField which) {
  switch (which) {
  case TypedField::None:
    return 0;
  case TypedField::Float:
    return f.floatData.size();
  case TypedField::Int32:
    return f.int32Data.size();
  case TypedField::Int64:
    return f.int64Data.size();
  case TypedField::Double:
    return f.doubleData.size();
  case TypedField::UInt64:
    return f.uint64Data.size();
  }
  return 0;
}

/// Valid int32_data values for the narrow types kept there: float16 and bfloat16 as their
/// uint16 bit patterns, bool as 0 or 1.
void int32DataRange(DType dtype, int64_t &lo, int64_t &hi) {
  switch (dtype) {
  case DType::Int8:
    lo = INT8_MIN, hi = INT8_MAX;
    return;
  case DType::Int16:
    lo = INT16_MIN, hi = INT16_MAX;
    return;
  case DType::UInt8:
    lo = 0, hi = UINT8_MAX;
    return;
  case DType::UInt16:
  case DType::Float16:
  case DType::BFloat16:
    lo = 0, hi = UINT16_MAX;
    return;
  case DType::Bool:
    lo = 0, hi = 1;
    return;
  default:
    lo = INT32_MIN, hi = INT32_MAX;
    return;
  }
}

/// Bool elements must be 0 or 1, or reading them as C++ bool is undefined.
Status checkBoolBytes(const HostTensor &t, const std::string &what) {
  if (t.dtype != DType::Bool)
    return Status::success();
  for (size_t i = 0; i < t.bytes.size(); ++i)
    if (t.bytes[i] > 1)
      return Status::failure(what + ": bool element " + std::to_string(i) + " has byte value " +
                             std::to_string(t.bytes[i]) + ", not 0 or 1");
  return Status::success();
}

} // namespace

ErrorOr<HostTensor> readTensorProto(const uint8_t *data, size_t size, const std::string &source) {
  using Result = ErrorOr<HostTensor>;
  TensorFields f;
  TensorProtoDecoder decoder(data, size);
  if (!decoder.decode(f))
    return Result::failure(source + ": not a valid TensorProto: " + decoder.error);

  std::string what = source + ": tensor '" + f.name + "'";
  if (!f.dataType)
    return Result::failure(what + " has no data_type");
  if (f.dataLocation == 1)
    return Result::failure(what + " keeps its data in an external file (data_location = "
                                  "EXTERNAL); only tensors with inline data can be read");
  if (f.dataLocation != 0)
    return Result::failure(what + " has unknown data_location " + std::to_string(f.dataLocation));
  if (*f.dataType < INT32_MIN || *f.dataType > INT32_MAX)
    return Result::failure(what + " has invalid data_type " + std::to_string(*f.dataType));
  DType dtype = static_cast<DType>(*f.dataType);
  if (dtype == DType::String || f.hasStringData)
    return Result::failure(what + " holds strings, which are not supported");
  if (!isSupported(dtype))
    return Result::failure(what + " has element type " + dtypeName(dtype) + " (data_type " +
                           std::to_string(*f.dataType) + "), which is not supported");

  ErrorOr<int64_t> count = checkedElementCount(f.dims, dtype, what);
  if (!count)
    return Result::failure(count.error());
  HostTensor t;
  t.name = f.name;
  t.dtype = dtype;
  t.dims = f.dims;
  std::string type = t.typeString();
  uint64_t elements = static_cast<uint64_t>(*count);
  size_t elemSize = dtypeSize(dtype);

  // Exactly one place may hold the data: raw_data or the typed field for this type.
  TypedField expected = typedFieldFor(dtype);
  for (TypedField other : {TypedField::Float, TypedField::Int32, TypedField::Int64,
                           TypedField::Double, TypedField::UInt64}) {
    if (other == expected || typedFieldCount(f, other) == 0)
      continue;
    return Result::failure(what + " of type " + type + " has " + typedFieldName(other) +
                           ", which ONNX does not use for " + dtypeName(dtype));
  }
  size_t typedCount = typedFieldCount(f, expected);
  if (f.hasRawData && typedCount)
    return Result::failure(what + " has both raw_data and " + typedFieldName(expected));

  if (f.hasRawData) {
    // elements * elemSize fits in int64 (checked above), so it can't wrap here.
    if (f.rawSize != elements * elemSize)
      return Result::failure(what + ": raw_data has " + std::to_string(f.rawSize) + " bytes but " +
                             type + " needs " + std::to_string(elements * elemSize));
    t.bytes.assign(f.rawData, f.rawData + f.rawSize);
  } else {
    if (typedCount != elements) {
      if (typedCount == 0)
        return Result::failure(what + " holds no data but " + type + " has " +
                               std::to_string(elements) + " elements");
      return Result::failure(what + ": " + typedFieldName(expected) + " has " +
                             std::to_string(typedCount) + " values but " + type + " has " +
                             std::to_string(elements) + " elements");
    }
    t.bytes.resize(typedCount * elemSize);
    switch (typedCount ? expected : TypedField::None) {
    case TypedField::None: // Empty; nothing to copy (and memcpy must not see null).
      break;
    case TypedField::Float:
      std::memcpy(t.bytes.data(), f.floatData.data(), t.bytes.size());
      break;
    case TypedField::Double:
      std::memcpy(t.bytes.data(), f.doubleData.data(), t.bytes.size());
      break;
    case TypedField::Int64:
      std::memcpy(t.bytes.data(), f.int64Data.data(), t.bytes.size());
      break;
    case TypedField::UInt64:
      for (size_t i = 0; i < typedCount; ++i) {
        uint64_t v = f.uint64Data[i];
        if (dtype == DType::UInt32) {
          if (v > UINT32_MAX)
            return Result::failure(what + ": uint64_data[" + std::to_string(i) +
                                   "] = " + std::to_string(v) + " does not fit in uint32");
          uint32_t narrow = static_cast<uint32_t>(v);
          std::memcpy(t.bytes.data() + i * 4, &narrow, 4);
        } else {
          std::memcpy(t.bytes.data() + i * 8, &v, 8);
        }
      }
      break;
    case TypedField::Int32: {
      int64_t lo, hi;
      int32DataRange(dtype, lo, hi);
      for (size_t i = 0; i < typedCount; ++i) {
        // int32 values travel sign-extended to 64 bits.
        int64_t v = static_cast<int64_t>(f.int32Data[i]);
        if (v < lo || v > hi)
          return Result::failure(what + ": int32_data[" + std::to_string(i) + "] = " +
                                 std::to_string(v) + " is out of range for " + dtypeName(dtype) +
                                 " (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
        // Little-endian: the low bytes of the value are the element.
        std::memcpy(t.bytes.data() + i * elemSize, &v, elemSize);
      }
      break;
    }
    }
  }
  if (Status s = checkBoolBytes(t, what); !s)
    return Result::failure(s.error());
  return t;
}

ErrorOr<HostTensor> readTensorProto(const std::string &path) {
  ErrorOr<std::vector<uint8_t>> bytes = readFileBytes(path);
  if (!bytes)
    return ErrorOr<HostTensor>::failure(bytes.error());
  return readTensorProto(bytes->data(), bytes->size(), path);
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

namespace {

struct NpyType {
  const char *code; // Kind and size, as after the byte-order character.
  DType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"f2", DType::Float16}, {"f4", DType::Float},  {"f8", DType::Double}, {"i1", DType::Int8},
    {"i2", DType::Int16},   {"i4", DType::Int32},  {"i8", DType::Int64},  {"u1", DType::UInt8},
    {"u2", DType::UInt16},  {"u4", DType::UInt32}, {"u8", DType::UInt64}, {"b1", DType::Bool},
};

/// Maps a numpy dtype string such as "<f4" or "|b1" to an element type.
ErrorOr<DType> parseDescr(const std::string &descr) {
  using Result = ErrorOr<DType>;
  if (descr.size() == 3) {
    char order = descr[0];
    std::string code = descr.substr(1);
    for (const NpyType &t : kNpyTypes) {
      if (code != t.code)
        continue;
      bool oneByte = dtypeSize(t.dtype) == 1;
      if (order == '<' || order == '=' || (oneByte && (order == '|' || order == '>')))
        return t.dtype;
      if (order == '>')
        return Result::failure("dtype '" + descr +
                               "' is big-endian; only little-endian is "
                               "supported");
      break;
    }
  }
  return Result::failure("dtype '" + descr +
                         "' is not supported (supported: <f2 <f4 <f8 "
                         "|i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1)");
}

/// Parses the Python dict literal of a .npy header, the subset numpy writes:
///   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class NpyHeaderParser {
public:
  explicit NpyHeaderParser(const std::string &text) : s(text) {}

  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  std::string error;

  bool parse() {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("header is not a dict");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key at header offset " + std::to_string(i));
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after key '" + key + "'");
      skipSpace();
      bool *seen = key == "descr"           ? &haveDescr
                   : key == "fortran_order" ? &haveOrder
                   : key == "shape"         ? &haveShape
                                            : nullptr;
      if (!seen)
        return fail("unexpected key '" + key + "'");
      if (*seen)
        return fail("key '" + key + "' appears twice");
      *seen = true;
      if (key == "descr") {
        if (!parseString(descr))
          return fail("'descr' is not a string (structured dtypes are not supported)");
      } else if (key == "fortran_order") {
        if (!parseBool(fortranOrder))
          return fail("'fortran_order' is not True or False");
      } else if (!parseShape()) {
        return false;
      }
      skipSpace();
      if (consume(','))
        continue;
      if (consume('}'))
        break;
      return fail("expected ',' or '}' at header offset " + std::to_string(i));
    }
    skipSpace();
    if (i != s.size())
      return fail("unexpected text after the header dict at offset " + std::to_string(i));
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("header lacks " + std::string(!haveDescr   ? "'descr'"
                                                : !haveOrder ? "'fortran_order'"
                                                             : "'shape'"));
    return true;
  }

private:
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  void skipSpace() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
  }
  bool consume(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool consumeWord(const char *word) {
    size_t n = std::strlen(word);
    if (s.compare(i, n, word) != 0)
      return false;
    i += n;
    return true;
  }
  /// A quoted string without escapes; no dtype or key numpy writes has any.
  bool parseString(std::string &out) {
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"'))
      return false;
    char quote = s[i++];
    size_t close = s.find(quote, i);
    if (close == std::string::npos)
      return false;
    out = s.substr(i, close - i);
    if (out.find('\\') != std::string::npos)
      return false;
    i = close + 1;
    return true;
  }
  bool parseBool(bool &out) {
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return false;
    return true;
  }
  /// A tuple of non-negative ints: "()", "(3,)", "(2, 3)". "(3)" is an int in Python, not
  /// a shape. Python 2 wrote longs as "3L".
  bool parseShape() {
    if (!consume('('))
      return fail("'shape' is not a tuple");
    size_t count = 0;
    bool trailingComma = false;
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      bool negative = consume('-');
      if (i >= s.size() || s[i] < '0' || s[i] > '9')
        return fail("'shape' holds something other than an integer at header offset " +
                    std::to_string(i));
      uint64_t v = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        uint64_t digit = uint64_t(s[i++] - '0');
        if (v > (uint64_t(INT64_MAX) - digit) / 10)
          return fail("'shape' has a dim larger than 2^63-1");
        v = v * 10 + digit;
      }
      consume('L');
      if (negative && v != 0)
        return fail("'shape' dim " + std::to_string(count) + " is -" + std::to_string(v) +
                    ", which is negative");
      shape.push_back(static_cast<int64_t>(v));
      ++count;
      skipSpace();
      trailingComma = consume(',');
      if (!trailingComma) {
        skipSpace();
        if (!consume(')'))
          return fail("expected ',' or ')' in 'shape' at header offset " + std::to_string(i));
        break;
      }
    }
    if (count == 1 && !trailingComma)
      return fail("'shape' is a parenthesized int, not a tuple");
    return true;
  }

  const std::string &s;
  size_t i = 0;
};

const char *npyDescr(DType dtype) {
  switch (dtype) {
  case DType::Float16:
    return "<f2";
  case DType::Float:
    return "<f4";
  case DType::Double:
    return "<f8";
  case DType::Int8:
    return "|i1";
  case DType::Int16:
    return "<i2";
  case DType::Int32:
    return "<i4";
  case DType::Int64:
    return "<i8";
  case DType::UInt8:
    return "|u1";
  case DType::UInt16:
  case DType::BFloat16: // NumPy has no bfloat16: its bit patterns, as ONNX stores them
    return "<u2";
  case DType::UInt32:
    return "<u4";
  case DType::UInt64:
    return "<u8";
  case DType::Bool:
    return "|b1";
  default:
    return nullptr;
  }
}

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;

} // namespace

ErrorOr<HostTensor> readNpy(const uint8_t *data, size_t size, const std::string &source) {
  using Result = ErrorOr<HostTensor>;
  if (size < kNpyMagicSize + 2 || std::memcmp(data, kNpyMagic, kNpyMagicSize) != 0)
    return Result::failure(source + ": not a .npy file (no \\x93NUMPY magic)");
  uint8_t major = data[6], minor = data[7];
  size_t lengthBytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
  if (!lengthBytes || minor != 0)
    return Result::failure(source + ": .npy format version " + std::to_string(major) + "." +
                           std::to_string(minor) + " is not supported (1.0, 2.0, 3.0 are)");
  size_t headerStart = 8 + lengthBytes;
  if (size < headerStart)
    return Result::failure(source + ": .npy file ends inside its header length");
  uint64_t headerLength = data[8] | (uint32_t(data[9]) << 8);
  if (lengthBytes == 4)
    headerLength |= (uint32_t(data[10]) << 16) | (uint64_t(data[11]) << 24);
  if (headerLength > size - headerStart)
    return Result::failure(source + ": .npy header claims " + std::to_string(headerLength) +
                           " bytes but only " + std::to_string(size - headerStart) + " follow");
  // Version 3.0 allows UTF-8 in the header; the keys and values read here are all ASCII and
  // any other byte just fails to parse.
  std::string header(reinterpret_cast<const char *>(data + headerStart), headerLength);
  NpyHeaderParser parser(header);
  if (!parser.parse())
    return Result::failure(source + ": bad .npy header: " + parser.error);
  if (parser.fortranOrder)
    return Result::failure(source + ": array is stored in Fortran order; only C order is "
                                    "supported");
  ErrorOr<DType> dtype = parseDescr(parser.descr);
  if (!dtype)
    return Result::failure(source + ": " + dtype.error());

  HostTensor t;
  t.dtype = *dtype;
  t.dims = parser.shape;
  ErrorOr<int64_t> count = checkedElementCount(t.dims, t.dtype, source);
  if (!count)
    return Result::failure(count.error());
  uint64_t needed = static_cast<uint64_t>(*count) * dtypeSize(t.dtype);
  size_t dataStart = headerStart + headerLength;
  size_t present = size - dataStart;
  if (present != needed)
    return Result::failure(source + ": " + t.typeString() + " needs " + std::to_string(needed) +
                           " data bytes but the file has " + std::to_string(present));
  t.bytes.assign(data + dataStart, data + size);
  if (Status s = checkBoolBytes(t, source); !s)
    return Result::failure(s.error());
  return t;
}

ErrorOr<HostTensor> readNpy(const std::string &path) {
  ErrorOr<std::vector<uint8_t>> bytes = readFileBytes(path);
  if (!bytes)
    return ErrorOr<HostTensor>::failure(bytes.error());
  return readNpy(bytes->data(), bytes->size(), path);
}

ErrorOr<std::vector<uint8_t>> encodeNpy(const HostTensor &tensor) {
  using Result = ErrorOr<std::vector<uint8_t>>;
  const char *descr = npyDescr(tensor.dtype);
  if (!descr)
    return Result::failure("tensor '" + tensor.name + "' of type " + tensor.typeString() +
                           " can't be written as .npy: numpy has no such dtype");
  if (!tensor.isValid())
    return Result::failure("tensor '" + tensor.name + "' of type " + tensor.typeString() + " has " +
                           std::to_string(tensor.bytes.size()) +
                           " bytes, which does not match its shape");

  // Byte for byte what numpy.save writes (numpy/lib/format.py, _write_array_header).
  std::string shape = "(";
  for (size_t i = 0; i < tensor.dims.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(tensor.dims[i]);
  shape += tensor.dims.size() == 1 ? ",)" : ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Room for the first dim to grow to 21 digits, so appending tools can rewrite in place.
  if (!tensor.dims.empty())
    header.append(21 - std::to_string(tensor.dims[0]).size(), ' ');
  // Pad with spaces so the data starts at a multiple of 64 (a full 64 when already aligned,
  // as numpy does); version 2.0 only when the padded header overflows 1.0's 16-bit length.
  size_t length = header.size() + 1; // With the closing newline.
  int major = 1;
  size_t pad = 64 - (kNpyMagicSize + 4 + length) % 64;
  if (length + pad > 65535) {
    major = 2;
    pad = 64 - (kNpyMagicSize + 6 + length) % 64;
  }
  header.append(pad, ' ');
  header += '\n';

  std::vector<uint8_t> out(kNpyMagic, kNpyMagic + kNpyMagicSize);
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(0);
  uint32_t headerLength = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<uint8_t>(headerLength >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), tensor.bytes.begin(), tensor.bytes.end());
  return out;
}

Status writeNpy(const std::string &path, const HostTensor &tensor) {
  ErrorOr<std::vector<uint8_t>> bytes = encodeNpy(tensor);
  if (!bytes)
    return Status::failure(path + ": " + bytes.error());
  return writeFileBytes(path, *bytes);
}

ErrorOr<HostTensor> readTensorFile(const std::string &path) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
    return readNpy(path);
  return readTensorProto(path);
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

std::string formatIndex(int64_t flatIndex, const std::vector<int64_t> &dims) {
  std::vector<int64_t> index(dims.size());
  for (size_t k = dims.size(); k-- > 0;) {
    if (dims[k] <= 0)
      return "[?]";
    index[k] = flatIndex % dims[k];
    flatIndex /= dims[k];
  }
  return formatDims(index);
}

static std::string formatNumber(double v, DType dtype) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), dtype == DType::Double ? "%.17g" : "%.9g", v);
  return buf;
}

std::string CompareResult::summary() const {
  if (!error.empty())
    return error;
  std::string stats = "max abs error " + formatNumber(maxAbsError, DType::Float) +
                      ", max rel error " + formatNumber(maxRelError, DType::Float);
  if (passed)
    return "ok: " + std::to_string(numElements) + " elements, " + stats;
  std::string s =
      std::to_string(mismatches) + " of " + std::to_string(numElements) + " elements differ";
  if (nanMismatches)
    s += " (" + std::to_string(nanMismatches) + " with NaN)";
  s += "; worst at " + formatIndex(worstIndex, dims) + ": expected " +
       formatNumber(worstExpected, dtype) + ", got " + formatNumber(worstActual, dtype) + "; " +
       stats;
  return s;
}

namespace {

/// Exact |a - e| for two integer elements, as a double (rounded only past 2^53).
double integerDistance(const HostTensor &e, const HostTensor &a, size_t i) {
  switch (e.dtype) {
  case DType::Int64: {
    int64_t x = loadAt<int64_t>(e.bytes, i), y = loadAt<int64_t>(a.bytes, i);
    return static_cast<double>(x > y ? uint64_t(x) - uint64_t(y) : uint64_t(y) - uint64_t(x));
  }
  case DType::UInt64: {
    uint64_t x = loadAt<uint64_t>(e.bytes, i), y = loadAt<uint64_t>(a.bytes, i);
    return static_cast<double>(x > y ? x - y : y - x);
  }
  default: // Every other integer type is exact in double.
    return std::fabs(a.elementAsDouble(i) - e.elementAsDouble(i));
  }
}

} // namespace

CompareResult compareTensors(const HostTensor &expected, const HostTensor &actual, double atol,
                             double rtol) {
  CompareResult r;
  r.dtype = expected.dtype;
  r.dims = expected.dims;
  if (expected.dtype != actual.dtype || expected.dims != actual.dims) {
    r.error = "expected " + expected.typeString() + ", got " + actual.typeString();
    return r;
  }
  if (!expected.isValid() || !actual.isValid()) {
    r.error = "cannot compare " + expected.typeString() + ": a tensor's bytes do not match its " +
              "type and shape";
    return r;
  }
  r.numElements = expected.numElements();
  bool floatLike = isFloatLike(expected.dtype);
  bool worstIsNan = false;
  double worstExcess = -std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < r.numElements; ++i) {
    size_t k = static_cast<size_t>(i);
    double e = expected.elementAsDouble(k);
    double a = actual.elementAsDouble(k);
    bool isNan = false;
    double diff, tolerance;
    if (floatLike) {
      // A NaN matches only where a NaN is expected (sqrt(-1) is NaN by definition),
      // as numpy's allclose with equal_nan, which the ONNX test suites use.
      isNan = std::isnan(e) != std::isnan(a);
      // Infinities match only themselves; inf - inf would be NaN and inf <= inf + tol true.
      diff = e == a || (std::isnan(e) && std::isnan(a)) ? 0
             : (std::isinf(e) || std::isinf(a))         ? HUGE_VAL
                                                        : std::fabs(a - e);
      tolerance = atol + rtol * (std::isfinite(e) ? std::fabs(e) : 0);
    } else {
      diff = integerDistance(expected, actual, k);
      tolerance = 0;
    }
    bool pass = !isNan && diff <= tolerance;
    if (!pass)
      ++r.mismatches;
    double excess = diff - tolerance;
    if (isNan) {
      ++r.nanMismatches;
    } else {
      double rel = diff == 0 ? 0 : e == 0 ? HUGE_VAL : diff / std::fabs(e);
      r.maxAbsError = std::max(r.maxAbsError, diff);
      r.maxRelError = std::max(r.maxRelError, rel);
    }
    // The first NaN failure, else the first element with the largest excess.
    if (!worstIsNan && (isNan || excess > worstExcess || r.worstIndex < 0)) {
      worstIsNan = isNan;
      worstExcess = excess;
      r.worstIndex = i;
      r.worstExpected = e;
      r.worstActual = a;
    }
  }
  r.passed = r.mismatches == 0;
  return r;
}

//===----------------------------------------------------------------------===//
// ONNX test-data folders
//===----------------------------------------------------------------------===//

/// Parses "<prefix><digits><suffix>" into the number; digits only, at most 9 of them.
static bool matchNumbered(const std::string &name, const std::string &prefix,
                          const std::string &suffix, uint64_t &number) {
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix))
    return false;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  number = 0;
  for (char c : digits)
    number = number * 10 + uint64_t(c - '0');
  return true;
}

ErrorOr<TestDataSet> loadTestDataSet(const std::string &dir) {
  using Result = ErrorOr<TestDataSet>;
  std::map<uint64_t, std::string> files[2]; // Inputs, outputs; by K.
  const char *prefixes[2] = {"input_", "output_"};
  std::error_code ec;
  fs::directory_iterator it(dir, ec), endIt;
  if (ec)
    return Result::failure("cannot list test data folder '" + dir + "': " + ec.message());
  for (; it != endIt; it.increment(ec)) {
    if (ec)
      return Result::failure("cannot list test data folder '" + dir + "': " + ec.message());
    std::string name = it->path().filename().string();
    for (int side = 0; side < 2; ++side) {
      uint64_t k;
      if (!matchNumbered(name, prefixes[side], ".pb", k))
        continue;
      auto [pos, inserted] = files[side].emplace(k, it->path().string());
      if (!inserted)
        return Result::failure("test data folder '" + dir + "' has both " +
                               fs::path(pos->second).filename().string() + " and " + name);
    }
  }
  TestDataSet set;
  set.dir = dir;
  for (int side = 0; side < 2; ++side) {
    std::vector<HostTensor> &out = side == 0 ? set.inputs : set.outputs;
    uint64_t next = 0;
    for (const auto &[k, path] : files[side]) {
      if (k != next)
        return Result::failure("test data folder '" + dir + "' has " +
                               fs::path(path).filename().string() + " but no " + prefixes[side] +
                               std::to_string(next) + ".pb");
      ++next;
      ErrorOr<HostTensor> t = readTensorProto(path);
      if (!t)
        return Result::failure(t.error());
      out.push_back(std::move(*t));
    }
  }
  return set;
}

ErrorOr<std::vector<std::string>> listTestDataSets(const std::string &modelDir) {
  using Result = ErrorOr<std::vector<std::string>>;
  std::map<uint64_t, std::string> sets;
  std::error_code ec;
  fs::directory_iterator it(modelDir, ec), endIt;
  if (ec)
    return Result::failure("cannot list '" + modelDir + "': " + ec.message());
  for (; it != endIt; it.increment(ec)) {
    if (ec)
      return Result::failure("cannot list '" + modelDir + "': " + ec.message());
    uint64_t n;
    std::string name = it->path().filename().string();
    if (matchNumbered(name, "test_data_set_", "", n) && it->is_directory(ec))
      sets.emplace(n, it->path().string());
  }
  std::vector<std::string> out;
  for (auto &[n, path] : sets)
    out.push_back(path);
  return out;
}

} // namespace r1c::run
