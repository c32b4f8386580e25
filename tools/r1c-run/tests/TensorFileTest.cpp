// Tests of r1c-run's tensor files: TensorProto and .npy reading, .npy writing, comparison and
// ONNX test-data folders.
//
// Tests named *Files read what make_tensor_files.py wrote into $R1C_TENSOR_FILES_DIR (CTest
// runs the script first) and skip, saying so, when that variable is unset.
#include "TensorFile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>

using namespace r1c::run;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Builds protobuf wire bytes by hand, to reach encodings the Python generator never writes.
struct Wire {
  std::vector<uint8_t> b;
  Wire &varint(uint64_t v) {
    while (v >= 0x80) {
      b.push_back(static_cast<uint8_t>(v) | 0x80);
      v >>= 7;
    }
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Wire &tag(uint32_t field, uint32_t wire) { return varint(uint64_t(field) << 3 | wire); }
  Wire &fieldVarint(uint32_t field, uint64_t v) { return tag(field, 0).varint(v); }
  Wire &fieldFixed32(uint32_t field, uint32_t v) {
    tag(field, 5);
    return raw(&v, 4);
  }
  Wire &fieldFixed64(uint32_t field, uint64_t v) {
    tag(field, 1);
    return raw(&v, 8);
  }
  Wire &fieldBytes(uint32_t field, const std::vector<uint8_t> &data) {
    tag(field, 2).varint(data.size());
    b.insert(b.end(), data.begin(), data.end());
    return *this;
  }
  Wire &fieldString(uint32_t field, const std::string &s) {
    return fieldBytes(field, std::vector<uint8_t>(s.begin(), s.end()));
  }
  Wire &raw(const void *p, size_t n) {
    auto *c = static_cast<const uint8_t *>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  static std::vector<uint8_t> packed(const std::vector<uint64_t> &values) {
    Wire w;
    for (uint64_t v : values)
      w.varint(v);
    return w.b;
  }
  template <typename T> static std::vector<uint8_t> bytesOf(const std::vector<T> &values) {
    std::vector<uint8_t> out(values.size() * sizeof(T));
    if (!out.empty())
      std::memcpy(out.data(), values.data(), out.size());
    return out;
  }
};

/// A float32 tensor with raw_data last, so every proper prefix of it is incomplete.
std::vector<uint8_t> floatTensorProto(const std::string &name, const std::vector<int64_t> &dims,
                                      const std::vector<float> &values) {
  Wire w;
  for (int64_t d : dims)
    w.fieldVarint(1, static_cast<uint64_t>(d));
  w.fieldVarint(2, 1).fieldString(8, name).fieldBytes(9, Wire::bytesOf(values));
  return w.b;
}

ErrorOr<HostTensor> decode(const std::vector<uint8_t> &bytes) {
  // A heap copy of exactly the given size, so AddressSanitizer sees any overread.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[std::max<size_t>(bytes.size(), 1)]);
  if (!bytes.empty())
    std::memcpy(copy.get(), bytes.data(), bytes.size());
  return readTensorProto(copy.get(), bytes.size(), "test.pb");
}

ErrorOr<HostTensor> decodeNpy(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[std::max<size_t>(bytes.size(), 1)]);
  if (!bytes.empty())
    std::memcpy(copy.get(), bytes.data(), bytes.size());
  return readNpy(copy.get(), bytes.size(), "test.npy");
}

std::vector<uint8_t> bytesOf(const HostTensor &t) { return {t.bytes.begin(), t.bytes.end()}; }

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

HostTensor floats(std::vector<int64_t> dims, std::vector<float> values) {
  return HostTensor::fromValues(DType::Float, std::move(dims), values);
}

/// A fresh directory under the test's temporary directory.
std::string freshDir(const std::string &name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("r1c-run-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

//===----------------------------------------------------------------------===//
// Element types and float16/bfloat16 conversion
//===----------------------------------------------------------------------===//

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtypeSize(DType::Float), 4u);
  EXPECT_EQ(dtypeSize(DType::BFloat16), 2u);
  EXPECT_EQ(dtypeSize(DType::Bool), 1u);
  EXPECT_EQ(dtypeSize(DType::UInt64), 8u);
  EXPECT_EQ(dtypeSize(DType::String), 0u);
  EXPECT_EQ(dtypeSize(DType::Complex64), 0u);
  EXPECT_FALSE(isSupported(DType::Undefined));
  EXPECT_TRUE(isFloatLike(DType::BFloat16));
  EXPECT_FALSE(isFloatLike(DType::Int32));
  EXPECT_EQ(dtypeName(DType::Double), "float64");
  EXPECT_EQ(dtypeName(static_cast<DType>(42)), "dtype(42)");
}

TEST(Half, EveryBitPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float f = halfToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f)))) << bits;
      EXPECT_EQ(floatToHalf(f) & 0x8000, bits & 0x8000) << bits;
      continue;
    }
    ASSERT_EQ(floatToHalf(f), bits) << "bits " << bits << " value " << f;
  }
}

TEST(Half, DecodesKnownValues) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0xfc00), -INFINITY);
}

/// Between every pair of neighbouring finite values (and from the largest finite one to the
/// first value past it) the midpoint rounds to the even neighbour and anything off it to the
/// nearer one.
/// `pastMax` is where the next value would be with an unbounded exponent; it may exceed float.
template <typename Decode, typename Encode>
void checkRoundToNearestEven(Decode decode, Encode encode, uint16_t maxFinite, double pastMax) {
  for (uint32_t sign : {0u, 0x8000u}) {
    for (uint32_t b = 0; b <= maxFinite; ++b) {
      uint16_t lo = static_cast<uint16_t>(sign | b);
      uint16_t hi = static_cast<uint16_t>(lo + 1); // Past maxFinite this is infinity.
      double a = decode(lo);
      double c = b == maxFinite ? (sign ? -pastMax : pastMax) : decode(hi);
      float mid = static_cast<float>((a + c) / 2); // Exact: both have few mantissa bits.
      float below = std::nextafter(mid, static_cast<float>(a));
      float above = std::nextafter(mid, sign ? -INFINITY : INFINITY);
      uint16_t even = (lo & 1) ? hi : lo;
      ASSERT_EQ(encode(mid), even) << "between " << a << " and " << c;
      ASSERT_EQ(encode(below), lo) << "just past " << a;
      ASSERT_EQ(encode(above), hi) << "just short of " << c;
    }
  }
}

TEST(Half, RoundsToNearestEven) {
  checkRoundToNearestEven(halfToFloat, floatToHalf, 0x7bff, 65536.0f);
  EXPECT_EQ(floatToHalf(1e10f), 0x7c00);
  EXPECT_EQ(floatToHalf(-1e-10f), 0x8000);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // Tie between 0 and 2^-24.
  EXPECT_EQ(floatToHalf(-NAN), 0xfe00);
}

TEST(BFloat16, EveryBitPatternRoundTripsAndRounds) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float f = bfloat16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBfloat16(f))));
    else
      ASSERT_EQ(floatToBfloat16(f), bits);
  }
  checkRoundToNearestEven(bfloat16ToFloat, floatToBfloat16, 0x7f7f, std::ldexp(1.0, 128));
  EXPECT_EQ(floatToBfloat16(1.0f), 0x3f80);
  EXPECT_EQ(floatToBfloat16(NAN), 0x7fc0);
}

TEST(BFloat16, RoundsPastMaxToInfinity) {
  EXPECT_EQ(floatToBfloat16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(floatToBfloat16(-std::numeric_limits<float>::max()), 0xff80);
}

TEST(ElementCount, ChecksSignsAndOverflow) {
  EXPECT_EQ(*checkedElementCount({}, DType::Float, "t"), 1);
  EXPECT_EQ(*checkedElementCount({2, 3}, DType::Float, "t"), 6);
  // Empty whatever the other dims say.
  EXPECT_EQ(*checkedElementCount({INT64_MAX, INT64_MAX, 0}, DType::Float, "t"), 0);
  EXPECT_NE(checkedElementCount({1, -2}, DType::Float, "t").error().find("dim 1 is -2"),
            std::string::npos);
  EXPECT_FALSE(checkedElementCount({int64_t(1) << 32, int64_t(1) << 32}, DType::Float, "t"));
  EXPECT_TRUE(checkedElementCount({int64_t(1) << 60}, DType::Int8, "t"));
  EXPECT_FALSE(checkedElementCount({int64_t(1) << 60}, DType::Int64, "t"));
}

TEST(HostTensor, ValuesAndValidity) {
  HostTensor t = floats({2, 2}, {1, 2, 3, 4});
  EXPECT_TRUE(t.isValid());
  EXPECT_EQ(t.numElements(), 4);
  EXPECT_EQ(t.typeString(), "float32[2,2]");
  EXPECT_EQ(t.values<float>()[3], 4.0f);
  EXPECT_EQ(t.data<float>()[1], 2.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.bytes.data()) % kTensorAlignment, 0u);
  t.bytes.pop_back();
  EXPECT_FALSE(t.isValid());
  HostTensor z = HostTensor::zeros(DType::Int64, {});
  EXPECT_EQ(z.numElements(), 1);
  EXPECT_EQ(z.bytes.size(), 8u);
  EXPECT_TRUE(z.isValid());
}

//===----------------------------------------------------------------------===//
// TensorProto, hand-made wire bytes
//===----------------------------------------------------------------------===//

TEST(TensorProto, ReadsPackedDimsAndUnpackedFloats) {
  Wire w;
  w.fieldBytes(1, Wire::packed({2, 1})).fieldVarint(2, 1);
  w.fieldFixed32(4, 0x3f800000).fieldFixed32(4, 0x40000000); // 1.0, 2.0 one per tag.
  w.fieldString(8, "x");
  ErrorOr<HostTensor> t = decode(w.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->name, "x");
  EXPECT_EQ(t->dims, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(t->values<float>(), (std::vector<float>{1.0f, 2.0f}));
}

TEST(TensorProto, MixesPackedAndUnpackedRuns) {
  // Repeated fields concatenate across tags, whatever their encoding.
  Wire w;
  w.fieldVarint(1, 3).fieldVarint(2, 7);
  w.fieldVarint(7, 5).fieldBytes(7, Wire::packed({uint64_t(-6), 7}));
  ErrorOr<HostTensor> t = decode(w.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->values<int64_t>(), (std::vector<int64_t>{5, -6, 7}));
}

TEST(TensorProto, ReadsSignExtendedInt32Data) {
  Wire w;
  w.fieldVarint(1, 3).fieldVarint(2, 3); // int8
  w.fieldBytes(5, Wire::packed({uint64_t(-128), 127, uint64_t(-1)}));
  ErrorOr<HostTensor> t = decode(w.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->values<int8_t>(), (std::vector<int8_t>{-128, 127, -1}));
}

TEST(TensorProto, ReadsUnpackedDoublesAndUInt64s) {
  Wire w;
  w.fieldVarint(1, 2).fieldVarint(2, 11);
  double a = 0.25, b = -3.5;
  uint64_t ab, bb;
  std::memcpy(&ab, &a, 8);
  std::memcpy(&bb, &b, 8);
  w.fieldFixed64(10, ab).fieldFixed64(10, bb);
  ErrorOr<HostTensor> t = decode(w.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->values<double>(), (std::vector<double>{0.25, -3.5}));

  Wire u;
  u.fieldVarint(1, 2).fieldVarint(2, 13).fieldVarint(11, UINT64_MAX).fieldVarint(11, 1);
  t = decode(u.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->values<uint64_t>(), (std::vector<uint64_t>{UINT64_MAX, 1}));
}

TEST(TensorProto, SkipsUnknownFieldsOfEveryWireType) {
  Wire w;
  w.fieldVarint(99, 12345).fieldFixed64(98, 1).fieldFixed32(97, 2).fieldString(96, "junk");
  w.fieldString(12, "doc string");
  // external_data entries are ignored while data_location is DEFAULT.
  w.fieldBytes(13, Wire().fieldString(1, "location").fieldString(2, "x.bin").b);
  w.fieldVarint(14, 0);
  std::vector<uint8_t> body = floatTensorProto("y", {1}, {5.0f});
  w.b.insert(w.b.end(), body.begin(), body.end());
  ErrorOr<HostTensor> t = decode(w.b);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->values<float>(), std::vector<float>{5.0f});
}

TEST(TensorProto, ZeroDimAndEmptyTensors) {
  ErrorOr<HostTensor> scalar = decode(floatTensorProto("s", {}, {7.0f}));
  ASSERT_TRUE(scalar) << scalar.error();
  EXPECT_TRUE(scalar->dims.empty());
  EXPECT_EQ(scalar->numElements(), 1);
  // An empty tensor needs no data field at all.
  Wire w;
  w.fieldVarint(1, 4).fieldVarint(1, 0).fieldVarint(2, 1);
  ErrorOr<HostTensor> empty = decode(w.b);
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(empty->numElements(), 0);
  EXPECT_TRUE(empty->bytes.empty());
}

/// Asserts that decoding fails with an error containing `substring`.
void expectDecodeError(const std::vector<uint8_t> &bytes, const std::string &substring) {
  ErrorOr<HostTensor> t = decode(bytes);
  ASSERT_FALSE(t) << "decoded although expecting: " << substring;
  EXPECT_NE(t.error().find(substring), std::string::npos) << t.error();
  EXPECT_EQ(t.error().rfind("test.pb: ", 0), 0u) << t.error();
}

TEST(TensorProto, RejectsBadWireFormat) {
  expectDecodeError(Wire().tag(99, 3).b, "a group");
  expectDecodeError(Wire().tag(99, 7).b, "wire type 7, which does not exist");
  expectDecodeError(Wire().tag(1, 3).b, "'dims' has wire type 3");
  expectDecodeError(Wire().tag(0, 0).varint(1).b, "invalid field tag");
  expectDecodeError(Wire().varint(uint64_t(1) << 40).b, "invalid field tag");
  expectDecodeError(Wire().tag(2, 2).varint(0).b, "'data_type' has wire type 2");
  expectDecodeError(Wire().tag(8, 0).varint(1).b, "'name' has wire type 0");
  expectDecodeError(Wire().tag(9, 5).varint(1).b, "'raw_data' has wire type 5");
  expectDecodeError(Wire().tag(4, 1).b, "'float_data' has wire type 1");
  expectDecodeError(Wire().tag(8, 2).varint(100).raw("abc", 3).b,
                    "claims 100 bytes but only 3 remain");
  expectDecodeError(Wire().tag(4, 2).varint(3).raw("abc", 3).b, "not a multiple of 4");
  expectDecodeError(Wire().tag(10, 2).varint(4).raw("abcd", 4).b, "not a multiple of 8");
  // A packed run whose last varint runs past the run's own end.
  expectDecodeError(Wire().tag(1, 2).varint(1).raw("\x80", 1).fieldVarint(2, 1).b, "packed 'dims'");
  std::vector<uint8_t> eleven(10, 0xff);
  eleven.push_back(0x01);
  expectDecodeError(Wire().tag(1, 0).raw(eleven.data(), eleven.size()).b, "overflows 64 bits");
  std::vector<uint8_t> tenth(9, 0xff);
  tenth.push_back(0x02);
  expectDecodeError(Wire().tag(1, 0).raw(tenth.data(), tenth.size()).b, "overflows 64 bits");
  expectDecodeError(Wire().tag(1, 0).raw("\x80\x80", 2).b, "cut off by the end of data");
  expectDecodeError(Wire().tag(97, 5).raw("ab", 2).b, "cut off by the end of data");
  expectDecodeError(Wire().fieldBytes(3, {}).b, "segment");
}

TEST(TensorProto, RejectsBadContents) {
  expectDecodeError(Wire().fieldVarint(1, 1).b, "no data_type");
  expectDecodeError(Wire().fieldVarint(2, uint64_t(-1)).b, "(data_type -1), which is not");
  expectDecodeError(Wire().fieldVarint(2, uint64_t(1) << 40).b, "invalid data_type");
  expectDecodeError(Wire().fieldVarint(2, 1).fieldVarint(14, 2).b, "unknown data_location 2");
  expectDecodeError(Wire().fieldVarint(2, 1).fieldString(6, "s").b, "strings");
  expectDecodeError(Wire().fieldVarint(1, 2).fieldVarint(2, 1).fieldFixed32(4, 0).b,
                    "float_data has 1 values but float32[2] has 2 elements");
  // int32 values must come sign-extended; a 32-bit pattern is out of range.
  expectDecodeError(Wire().fieldVarint(1, 1).fieldVarint(2, 6).fieldVarint(5, 0xffffffffu).b,
                    "int32_data[0] = 4294967295 is out of range for int32");
  expectDecodeError(Wire().fieldVarint(1, 1).fieldVarint(2, 4).fieldVarint(5, 65536).b,
                    "out of range for uint16");
  expectDecodeError(Wire().fieldVarint(1, 1).fieldVarint(2, 1).fieldVarint(5, 1).b,
                    "has int32_data, which ONNX does not use for float32");
  expectDecodeError(Wire().fieldVarint(1, uint64_t(-5)).fieldVarint(2, 1).b,
                    "dim 0 is -5, which is negative");
  // A shape of 2^62 elements with 4 bytes of data: an error, and no giant allocation.
  expectDecodeError(Wire()
                        .fieldVarint(1, uint64_t(1) << 31)
                        .fieldVarint(1, uint64_t(1) << 31)
                        .fieldVarint(2, 3)
                        .fieldBytes(9, {1, 2, 3, 4})
                        .b,
                    "raw_data has 4 bytes but int8[2147483648,2147483648] needs");
}

TEST(TensorProto, EveryPrefixIsAnError) {
  std::vector<uint8_t> full = floatTensorProto("prefix", {2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(decode(full));
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_FALSE(decode(std::vector<uint8_t>(full.begin(), full.begin() + n))) << n;
}

/// Random byte flips, insertions and cuts of a valid file: anything may come back, but a
/// success must be a consistent tensor and a failure must say something.
TEST(TensorProto, SurvivesMutations) {
  std::vector<uint8_t> base = floatTensorProto("m", {2, 3}, {1, 2, 3, 4, 5, 6});
  std::mt19937 rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % bytes.size();
      switch (rng() % 3) {
      case 0:
        bytes[at] = static_cast<uint8_t>(rng());
        break;
      case 1:
        bytes.insert(bytes.begin() + at, static_cast<uint8_t>(rng()));
        break;
      default:
        bytes.resize(std::max<size_t>(at, 1));
      }
    }
    ErrorOr<HostTensor> t = decode(bytes);
    if (t)
      ASSERT_TRUE(t->isValid());
    else
      ASSERT_FALSE(t.error().empty());
  }
}

TEST(TensorProto, MissingFileNamesIt) {
  ErrorOr<HostTensor> t = readTensorProto("/nonexistent/dir/x.pb");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().find("cannot open '/nonexistent/dir/x.pb'"), std::string::npos);
  ErrorOr<HostTensor> d = readTensorProto(::testing::TempDir());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("cannot read"), std::string::npos) << d.error();
}

//===----------------------------------------------------------------------===//
// .npy in memory
//===----------------------------------------------------------------------===//

TEST(Npy, RoundTripsEverySupportedType) {
  std::mt19937 rng(3);
  for (DType dtype :
       {DType::Float, DType::Double, DType::Float16, DType::Int8, DType::Int16, DType::Int32,
        DType::Int64, DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64, DType::Bool}) {
    for (std::vector<int64_t> dims :
         std::vector<std::vector<int64_t>>{{}, {0}, {5}, {2, 0}, {3, 4, 2}}) {
      HostTensor t = HostTensor::zeros(dtype, dims);
      for (uint8_t &b : t.bytes)
        b = dtype == DType::Bool ? rng() % 2 : static_cast<uint8_t>(rng());
      ErrorOr<std::vector<uint8_t>> file = encodeNpy(t);
      ASSERT_TRUE(file) << file.error();
      EXPECT_EQ((file->size() - t.bytes.size()) % 64, 0u) << "data starts 64-byte aligned";
      ErrorOr<HostTensor> back = decodeNpy(*file);
      ASSERT_TRUE(back) << back.error();
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->dims, dims);
      EXPECT_EQ(bytesOf(*back), bytesOf(t));
    }
  }
}

TEST(Npy, LongHeaderUsesVersion2) {
  HostTensor t = HostTensor::zeros(DType::UInt8, std::vector<int64_t>(30000, 1));
  ErrorOr<std::vector<uint8_t>> file = encodeNpy(t);
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ((*file)[6], 2);
  EXPECT_EQ((file->size() - 1) % 64, 0u);
  ErrorOr<HostTensor> back = decodeNpy(*file);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->dims.size(), 30000u);
}

TEST(Npy, WritesBFloat16AsItsBitPatterns) {
  // NumPy has no bfloat16: the file holds uint16 bit patterns, as ONNX stores them.
  HostTensor bf = HostTensor::zeros(DType::BFloat16, {2}, "w");
  bf.data<uint16_t>()[0] = 0x3F80; // 1.0
  bf.data<uint16_t>()[1] = 0xC000; // -2.0
  ErrorOr<std::vector<uint8_t>> file = encodeNpy(bf);
  ASSERT_TRUE(file) << file.error();
  std::string header(file->begin(), file->begin() + std::min<size_t>(file->size(), 64));
  EXPECT_NE(header.find("'<u2'"), std::string::npos) << header;
  ErrorOr<HostTensor> back = decodeNpy(*file);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->dtype, DType::UInt16);
  EXPECT_EQ(back->data<uint16_t>()[0], 0x3F80);
  EXPECT_EQ(back->data<uint16_t>()[1], 0xC000);
}

TEST(Npy, RefusesWhatNumpyCannotHold) {
  HostTensor text = HostTensor::zeros(DType::Complex64, {2}, "w");
  EXPECT_FALSE(encodeNpy(text));
  HostTensor broken = floats({3}, {1, 2});
  EXPECT_FALSE(encodeNpy(broken));
  Status s = writeNpy("/nonexistent/dir/x.npy", floats({1}, {1}));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("/nonexistent/dir/x.npy"), std::string::npos);
}

TEST(Npy, WritesAndReadsFiles) {
  std::string dir = freshDir("npy");
  HostTensor t = floats({2, 2}, {1.5f, -2, 0, 1e-3f});
  std::string path = dir + "/t.npy";
  ASSERT_TRUE(writeNpy(path, t));
  ErrorOr<HostTensor> back = readTensorFile(path);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(bytesOf(*back), bytesOf(t));
}

TEST(Npy, EveryPrefixIsAnError) {
  std::vector<uint8_t> full = *encodeNpy(floats({3}, {1, 2, 3}));
  ASSERT_TRUE(decodeNpy(full));
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_FALSE(decodeNpy(std::vector<uint8_t>(full.begin(), full.begin() + n))) << n;
}

TEST(Npy, SurvivesHeaderMutations) {
  std::vector<uint8_t> base = *encodeNpy(floats({2, 3}, {1, 2, 3, 4, 5, 6}));
  const char alphabet[] = "{}()',: 0123456789-<|>fiub=TrueFalsLdescrshape\n";
  std::mt19937 rng(11);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes = base;
    for (int e = 0; e < 3; ++e) {
      size_t at = rng() % 128; // Inside magic, length or header.
      bytes[at] = rng() % 2 ? static_cast<uint8_t>(rng())
                            : static_cast<uint8_t>(alphabet[rng() % (sizeof(alphabet) - 1)]);
    }
    ErrorOr<HostTensor> t = decodeNpy(bytes);
    if (t)
      ASSERT_TRUE(t->isValid());
    else
      ASSERT_FALSE(t.error().empty());
  }
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

TEST(Compare, FloatWithinAndOutsideTolerance) {
  HostTensor e = floats({2, 2}, {1, 2, 3, 100});
  CompareResult same = compareTensors(e, e, 0, 0);
  EXPECT_TRUE(same.passed) << same.summary();
  EXPECT_EQ(same.summary().rfind("ok: 4 elements", 0), 0u) << same.summary();

  // |a-e| <= atol + rtol*|e|: 100.01 passes on rtol, 3.001 passes on atol.
  HostTensor a = floats({2, 2}, {1, 2, 3.001f, 100.01f});
  CompareResult r = compareTensors(e, a, 2e-3, 2e-4);
  EXPECT_TRUE(r.passed) << r.summary();
  r = compareTensors(e, a, 1e-5, 1e-4);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.mismatches, 1);
  EXPECT_EQ(r.worstIndex, 2);
  EXPECT_NEAR(r.maxAbsError, 0.01, 1e-5);
  EXPECT_NEAR(r.maxRelError, 0.001 / 3, 1e-6);
  EXPECT_NE(r.summary().find("1 of 4 elements differ; worst at [1,0]: expected 3, got 3.00"),
            std::string::npos)
      << r.summary();
}

TEST(Compare, NaNMatchesOnlyAnExpectedNaN) {
  HostTensor e = floats({4}, {1, NAN, 3, NAN});
  HostTensor a = floats({4}, {1, NAN, NAN, 4});
  CompareResult r = compareTensors(e, a, 1, 1);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.mismatches, 2);
  EXPECT_EQ(r.nanMismatches, 2);
  EXPECT_EQ(r.worstIndex, 2);
  EXPECT_EQ(r.maxAbsError, 0); // NaN elements stay out of the statistics.
  EXPECT_NE(r.summary().find("(2 with NaN)"), std::string::npos) << r.summary();
  EXPECT_TRUE(compareTensors(floats({2}, {NAN, 2}), floats({2}, {NAN, 2}), 0, 0).passed);
  // A NaN is the worst element even after a larger finite error.
  r = compareTensors(floats({2}, {0, 0}), floats({2}, {1000, NAN}), 0, 0);
  EXPECT_EQ(r.worstIndex, 1);
}

TEST(Compare, InfinitiesMatchOnlyThemselves) {
  HostTensor e = floats({3}, {INFINITY, -INFINITY, 1});
  EXPECT_TRUE(compareTensors(e, e, 0, 0).passed);
  CompareResult r = compareTensors(e, floats({3}, {INFINITY, -INFINITY, INFINITY}), 1e30, 1e30);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.worstIndex, 2);
  r = compareTensors(e, floats({3}, {3e38f, -INFINITY, 1}), 1e30, 1);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.worstIndex, 0);
}

TEST(Compare, RelativeErrorAgainstZero) {
  CompareResult r = compareTensors(floats({2}, {0, 0}), floats({2}, {0, 1e-6f}), 1e-5, 0);
  EXPECT_TRUE(r.passed);
  EXPECT_TRUE(std::isinf(r.maxRelError));
}

TEST(Compare, HalfTypesDecodeBeforeComparing) {
  std::vector<uint16_t> e = {floatToHalf(1.0f), floatToHalf(-2.5f)};
  std::vector<uint16_t> a = {floatToHalf(1.001f), floatToHalf(-2.5f)};
  HostTensor he = HostTensor::fromValues(DType::Float16, {2}, e);
  HostTensor ha = HostTensor::fromValues(DType::Float16, {2}, a);
  EXPECT_TRUE(compareTensors(he, ha, 2.5e-3, 1e-3).passed);
  CompareResult r = compareTensors(he, ha, 0, 0);
  EXPECT_FALSE(r.passed);
  EXPECT_NEAR(r.maxAbsError, 0.0009765625, 1e-12); // One float16 ulp at 1.
  std::vector<uint16_t> be = {floatToBfloat16(3.0f)}, ba = {floatToBfloat16(3.02f)};
  EXPECT_TRUE(compareTensors(HostTensor::fromValues(DType::BFloat16, {1}, be),
                             HostTensor::fromValues(DType::BFloat16, {1}, ba), 2e-2, 1e-2)
                  .passed);
}

TEST(Compare, IntegersAndBoolsMustMatchExactly) {
  std::vector<int64_t> big = {int64_t(1) << 60, -5};
  std::vector<int64_t> off = {(int64_t(1) << 60) + 1, -5};
  CompareResult r = compareTensors(HostTensor::fromValues(DType::Int64, {2}, big),
                                   HostTensor::fromValues(DType::Int64, {2}, off), 10, 10);
  EXPECT_FALSE(r.passed) << "tolerances do not apply to integers";
  EXPECT_EQ(r.maxAbsError, 1);
  EXPECT_EQ(r.worstIndex, 0);
  std::vector<uint64_t> u = {UINT64_MAX}, z = {0};
  r = compareTensors(HostTensor::fromValues(DType::UInt64, {1}, u),
                     HostTensor::fromValues(DType::UInt64, {1}, z), 0, 0);
  EXPECT_EQ(r.maxAbsError, 18446744073709551615.0);
  std::vector<uint8_t> t = {1, 0, 1}, f = {1, 1, 1};
  r = compareTensors(HostTensor::fromValues(DType::Bool, {3}, t),
                     HostTensor::fromValues(DType::Bool, {3}, f), 0, 0);
  EXPECT_EQ(r.mismatches, 1);
  EXPECT_EQ(r.worstIndex, 1);
  std::vector<int8_t> i8 = {-128, 127};
  HostTensor i8t = HostTensor::fromValues(DType::Int8, {2}, i8);
  EXPECT_TRUE(compareTensors(i8t, i8t, 0, 0).passed);
}

TEST(Compare, TypeAndShapeMustMatch) {
  CompareResult r = compareTensors(floats({2, 3}, std::vector<float>(6)),
                                   floats({3, 2}, std::vector<float>(6)), 1, 1);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "expected float32[2,3], got float32[3,2]");
  EXPECT_EQ(r.summary(), r.error);
  r = compareTensors(floats({1}, {1}), HostTensor::zeros(DType::Double, {1}), 1, 1);
  EXPECT_EQ(r.error, "expected float32[1], got float64[1]");
  r = compareTensors(floats({2}, {1, 2}), floats({2}, {1}), 1, 1);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.error.find("do not match"), std::string::npos);
}

TEST(Compare, EmptyAndZeroDim) {
  HostTensor empty = floats({0, 3}, {});
  CompareResult r = compareTensors(empty, empty, 0, 0);
  EXPECT_TRUE(r.passed);
  EXPECT_EQ(r.worstIndex, -1);
  r = compareTensors(floats({}, {2}), floats({}, {3}), 0, 0);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.summary().find("worst at []"), std::string::npos) << r.summary();
}

TEST(Compare, FormatsIndices) {
  EXPECT_EQ(formatIndex(0, {}), "[]");
  EXPECT_EQ(formatIndex(23, {2, 3, 4}), "[1,2,3]");
  EXPECT_EQ(formatIndex(5, {2, 3}), "[1,2]");
}

//===----------------------------------------------------------------------===//
// Test-data folders made here
//===----------------------------------------------------------------------===//

TEST(TestDataSet, SortsNumericallyAndIgnoresOtherFiles) {
  std::string dir = freshDir("sorted");
  for (int k = 0; k < 12; ++k)
    writeBytes(dir + "/input_" + std::to_string(k) + ".pb",
               floatTensorProto("in" + std::to_string(k), {1}, {float(k)}));
  writeBytes(dir + "/output_0.pb", floatTensorProto("out", {}, {42}));
  writeBytes(dir + "/input_x.pb", {1, 2, 3});
  writeBytes(dir + "/notes.txt", {1, 2, 3});
  ErrorOr<TestDataSet> set = loadTestDataSet(dir);
  ASSERT_TRUE(set) << set.error();
  ASSERT_EQ(set->inputs.size(), 12u);
  for (int k = 0; k < 12; ++k)
    EXPECT_EQ(set->inputs[k].name, "in" + std::to_string(k));
  ASSERT_EQ(set->outputs.size(), 1u);
  EXPECT_EQ(set->outputs[0].values<float>()[0], 42.0f);
}

TEST(TestDataSet, ReportsGapsDuplicatesAndBadFiles) {
  std::string dir = freshDir("gap");
  writeBytes(dir + "/input_0.pb", floatTensorProto("a", {1}, {1}));
  writeBytes(dir + "/input_2.pb", floatTensorProto("c", {1}, {1}));
  ErrorOr<TestDataSet> set = loadTestDataSet(dir);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().find("has input_2.pb but no input_1.pb"), std::string::npos) << set.error();

  dir = freshDir("duplicate");
  writeBytes(dir + "/output_1.pb", floatTensorProto("a", {1}, {1}));
  writeBytes(dir + "/output_01.pb", floatTensorProto("a", {1}, {1}));
  set = loadTestDataSet(dir);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().find("has both"), std::string::npos) << set.error();

  dir = freshDir("corrupt");
  writeBytes(dir + "/input_0.pb", {0xff, 0xff});
  set = loadTestDataSet(dir);
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().find(dir + "/input_0.pb: "), std::string::npos) << set.error();

  EXPECT_FALSE(loadTestDataSet(dir + "/missing"));
}

TEST(TestDataSet, ListsFoldersInNumericOrder) {
  std::string dir = freshDir("sets");
  for (int n : {10, 2, 0, 1})
    fs::create_directories(dir + "/test_data_set_" + std::to_string(n));
  writeBytes(dir + "/test_data_set_3", {}); // A file, not a folder.
  fs::create_directories(dir + "/test_data_set_x");
  ErrorOr<std::vector<std::string>> sets = listTestDataSets(dir);
  ASSERT_TRUE(sets) << sets.error();
  std::vector<std::string> names;
  for (const std::string &p : *sets)
    names.push_back(fs::path(p).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"test_data_set_0", "test_data_set_1",
                                             "test_data_set_2", "test_data_set_10"}));
  EXPECT_FALSE(listTestDataSets(dir + "/missing"));
}

//===----------------------------------------------------------------------===//
// Files written by make_tensor_files.py
//===----------------------------------------------------------------------===//

struct Record {
  std::string kind;
  std::vector<std::string> fields;
};

/// Reads $R1C_TENSOR_FILES_DIR/manifest.txt; empty when the variable is unset.
class GeneratedFiles : public ::testing::Test {
protected:
  void SetUp() override {
    const char *env = std::getenv("R1C_TENSOR_FILES_DIR");
    if (!env || !*env)
      GTEST_SKIP() << "R1C_TENSOR_FILES_DIR is not set; run through CTest, which generates "
                      "the files with make_tensor_files.py";
    dir = env;
    std::ifstream in(dir + "/manifest.txt");
    ASSERT_TRUE(in) << "no manifest.txt in " << dir;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty())
        continue;
      Record r;
      std::stringstream ss(line);
      std::string field;
      std::getline(ss, r.kind, '\t');
      while (std::getline(ss, field, '\t'))
        r.fields.push_back(field);
      records.push_back(r);
    }
  }

  std::vector<Record> ofKind(const std::string &kind) const {
    std::vector<Record> out;
    for (const Record &r : records)
      if (r.kind == kind)
        out.push_back(r);
    return out;
  }

  std::string path(const std::string &name) const { return dir + "/" + name; }

  static std::vector<int64_t> parseDims(const std::string &text) {
    std::vector<int64_t> dims;
    std::stringstream ss(text);
    std::string d;
    while (std::getline(ss, d, ','))
      dims.push_back(std::stoll(d));
    return dims;
  }

  std::string dir;
  std::vector<Record> records;
};

TEST_F(GeneratedFiles, EveryTypeAsRawAndTypedFields) {
  std::vector<Record> good = ofKind("good");
  ASSERT_GE(good.size(), 13u * 8);
  std::map<int, int> perType;
  for (const Record &r : good) {
    const std::string &name = r.fields[0];
    SCOPED_TRACE(name);
    DType dtype = static_cast<DType>(std::stoi(r.fields[1]));
    std::vector<int64_t> dims = parseDims(r.fields[2]);
    std::vector<uint8_t> expected = readBytes(path(name + ".bin"));
    ++perType[static_cast<int>(dtype)];

    ErrorOr<HostTensor> t = readTensorProto(path(name + ".pb"));
    ASSERT_TRUE(t) << t.error();
    EXPECT_EQ(t->name, name);
    EXPECT_EQ(t->dtype, dtype);
    EXPECT_EQ(t->dims, dims);
    EXPECT_EQ(bytesOf(*t), expected);
    if (r.fields[3] != "1")
      continue;

    ErrorOr<HostTensor> n = readNpy(path(name + ".npy"));
    ASSERT_TRUE(n) << n.error();
    EXPECT_EQ(n->dtype, dtype);
    EXPECT_EQ(n->dims, dims);
    EXPECT_EQ(bytesOf(*n), expected);
    // What we write is byte for byte what numpy.save wrote.
    ErrorOr<std::vector<uint8_t>> encoded = encodeNpy(*t);
    ASSERT_TRUE(encoded) << encoded.error();
    EXPECT_EQ(*encoded, readBytes(path(name + ".npy")));
  }
  EXPECT_EQ(perType.size(), 13u) << "every supported element type has cases";
}

TEST_F(GeneratedFiles, CompareEveryTypeWithItself) {
  for (const Record &r : ofKind("good")) {
    SCOPED_TRACE(r.fields[0]);
    ErrorOr<HostTensor> t = readTensorProto(path(r.fields[0] + ".pb"));
    ASSERT_TRUE(t) << t.error();
    // The generated float data holds NaN, which matches a NaN where one is
    // expected: every tensor equals itself.
    CompareResult same = compareTensors(*t, *t, 0, 0);
    EXPECT_TRUE(same.passed) << same.summary();
    EXPECT_EQ(same.mismatches, 0);
    EXPECT_EQ(same.nanMismatches, 0);
    EXPECT_EQ(same.maxAbsError, 0);
    if (isFloatLike(t->dtype) || t->numElements() == 0)
      continue;
    // Any change to an integer or bool element is a mismatch, found where it is.
    HostTensor changed = *t;
    size_t last = static_cast<size_t>(t->numElements() - 1);
    changed.bytes[last * dtypeSize(t->dtype)] ^= 1;
    CompareResult flipped = compareTensors(*t, changed, 100, 100);
    EXPECT_FALSE(flipped.passed);
    EXPECT_EQ(flipped.mismatches, 1);
    EXPECT_EQ(flipped.worstIndex, static_cast<int64_t>(last));
    EXPECT_EQ(flipped.maxAbsError, 1);
  }
}

TEST_F(GeneratedFiles, NpyVersions2And3) {
  std::vector<Record> aliases = ofKind("npy_alias");
  ASSERT_EQ(aliases.size(), 2u);
  for (const Record &r : aliases) {
    ErrorOr<HostTensor> t = readNpy(path(r.fields[1]));
    ASSERT_TRUE(t) << t.error();
    EXPECT_EQ(t->typeString(), "float32[2,3]");
    EXPECT_EQ(bytesOf(*t), readBytes(path(r.fields[0] + ".bin")));
  }
}

TEST_F(GeneratedFiles, CorruptFilesAreErrorsNamingTheFile) {
  int count = 0;
  for (const char *kind : {"bad_pb", "bad_npy"}) {
    for (const Record &r : ofKind(kind)) {
      SCOPED_TRACE(r.fields[0]);
      std::string file = path(r.fields[0]);
      ErrorOr<HostTensor> t =
          std::string(kind) == "bad_pb" ? readTensorProto(file) : readTensorFile(file);
      ASSERT_FALSE(t) << "read " << t->typeString();
      EXPECT_NE(t.error().find(r.fields[1]), std::string::npos) << t.error();
      EXPECT_EQ(t.error().rfind(file + ": ", 0), 0u) << t.error();
      ++count;
    }
  }
  EXPECT_GE(count, 40);
}

TEST_F(GeneratedFiles, EveryPrefixOfRealFilesIsAnError) {
  for (const char *name : {"float16_2x3x4_raw.pb", "int64_scalar_raw.pb"}) {
    std::vector<uint8_t> full = readBytes(path(name));
    ASSERT_TRUE(decode(full)) << name;
    for (size_t n = 0; n < full.size(); ++n)
      EXPECT_FALSE(decode(std::vector<uint8_t>(full.begin(), full.begin() + n))) << name << n;
  }
  std::vector<uint8_t> npy = readBytes(path("bool_2x3x4_raw.npy"));
  ASSERT_TRUE(decodeNpy(npy));
  for (size_t n = 0; n < npy.size(); ++n)
    EXPECT_FALSE(decodeNpy(std::vector<uint8_t>(npy.begin(), npy.begin() + n))) << n;
}

//===----------------------------------------------------------------------===//
// The ONNX node test suite: recompute outputs from inputs and compare
//===----------------------------------------------------------------------===//

class OnnxNodeSuite : public GeneratedFiles {
protected:
  void SetUp() override {
    GeneratedFiles::SetUp();
    if (IsSkipped() || HasFatalFailure())
      return;
    std::vector<Record> r = ofKind("onnx_node_data");
    ASSERT_EQ(r.size(), 1u);
    nodeData = r[0].fields[0];
  }

  TestDataSet load(const std::string &test) {
    ErrorOr<std::vector<std::string>> sets = listTestDataSets(nodeData + "/" + test);
    if (!sets || sets->empty()) {
      ADD_FAILURE() << test << ": " << (sets ? "no test_data_set folders" : sets.error());
      return {};
    }
    ErrorOr<TestDataSet> set = loadTestDataSet(sets->front());
    if (!set) {
      ADD_FAILURE() << set.error();
      return {};
    }
    return *set;
  }

  /// An output of the same type and shape as `like`, element i set by `f(i)`.
  template <typename T, typename F> static HostTensor compute(const HostTensor &like, F f) {
    HostTensor out = HostTensor::zeros(like.dtype, like.dims, like.name);
    for (int64_t i = 0; i < out.numElements(); ++i)
      out.data<T>()[i] = f(i);
    return out;
  }

  std::string nodeData;
};

// STYLE tolerances for fp32 per op.
constexpr double kAtol = 1e-5, kRtol = 1e-4;

TEST_F(OnnxNodeSuite, Relu) {
  TestDataSet set = load("test_relu");
  ASSERT_EQ(set.inputs.size(), 1u);
  ASSERT_EQ(set.outputs.size(), 1u);
  const HostTensor &x = set.inputs[0];
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.typeString(), "float32[3,4,5]");
  HostTensor y =
      compute<float>(set.outputs[0], [&](int64_t i) { return std::max(x.data<float>()[i], 0.0f); });
  CompareResult r = compareTensors(set.outputs[0], y, kAtol, kRtol);
  EXPECT_TRUE(r.passed) << r.summary();
  EXPECT_EQ(r.maxAbsError, 0);

  // One wrong element is found and located.
  y.data<float>()[37] += 1e-3f;
  r = compareTensors(set.outputs[0], y, kAtol, kRtol);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.mismatches, 1);
  EXPECT_EQ(r.worstIndex, 37);
  EXPECT_NE(r.summary().find("worst at [1,3,2]"), std::string::npos) << r.summary();
}

TEST_F(OnnxNodeSuite, Sigmoid) {
  TestDataSet set = load("test_sigmoid");
  ASSERT_EQ(set.inputs.size(), 1u);
  ASSERT_EQ(set.outputs.size(), 1u);
  const HostTensor &x = set.inputs[0];
  HostTensor y = compute<float>(set.outputs[0], [&](int64_t i) {
    return static_cast<float>(1.0 / (1.0 + std::exp(-double(x.data<float>()[i]))));
  });
  CompareResult r = compareTensors(set.outputs[0], y, kAtol, kRtol);
  EXPECT_TRUE(r.passed) << r.summary();
}

TEST_F(OnnxNodeSuite, Add) {
  TestDataSet set = load("test_add");
  ASSERT_EQ(set.inputs.size(), 2u);
  ASSERT_EQ(set.outputs.size(), 1u);
  const HostTensor &x = set.inputs[0], &w = set.inputs[1];
  ASSERT_EQ(x.dims, w.dims);
  HostTensor y = compute<float>(set.outputs[0],
                                [&](int64_t i) { return x.data<float>()[i] + w.data<float>()[i]; });
  CompareResult r = compareTensors(set.outputs[0], y, kAtol, kRtol);
  EXPECT_TRUE(r.passed) << r.summary();
}

TEST_F(OnnxNodeSuite, CastFloatToFloat16) {
  TestDataSet set = load("test_cast_FLOAT_to_FLOAT16");
  ASSERT_EQ(set.inputs.size(), 1u);
  ASSERT_EQ(set.outputs.size(), 1u);
  ASSERT_EQ(set.outputs[0].dtype, DType::Float16);
  const HostTensor &x = set.inputs[0];
  HostTensor y =
      compute<uint16_t>(set.outputs[0], [&](int64_t i) { return floatToHalf(x.data<float>()[i]); });
  CompareResult r = compareTensors(set.outputs[0], y, 0, 0);
  EXPECT_TRUE(r.passed) << r.summary();
}

TEST_F(OnnxNodeSuite, And) {
  TestDataSet set = load("test_and2d");
  ASSERT_EQ(set.inputs.size(), 2u);
  ASSERT_EQ(set.outputs.size(), 1u);
  const HostTensor &x = set.inputs[0], &w = set.inputs[1];
  ASSERT_EQ(x.dtype, DType::Bool);
  HostTensor y = compute<uint8_t>(
      set.outputs[0], [&](int64_t i) { return x.data<uint8_t>()[i] & w.data<uint8_t>()[i]; });
  CompareResult r = compareTensors(set.outputs[0], y, 0, 0);
  EXPECT_TRUE(r.passed) << r.summary();
}

TEST_F(OnnxNodeSuite, ArgMaxAndWhere) {
  TestDataSet argmax = load("test_argmax_default_axis_example");
  ASSERT_EQ(argmax.inputs.size(), 1u);
  ASSERT_EQ(argmax.outputs.size(), 1u);
  const HostTensor &data = argmax.inputs[0]; // [2,2]; ArgMax over axis 0, keepdims.
  ASSERT_EQ(data.typeString(), "float32[2,2]");
  HostTensor idx = compute<int64_t>(argmax.outputs[0], [&](int64_t j) {
    return data.data<float>()[2 + j] > data.data<float>()[j] ? int64_t(1) : int64_t(0);
  });
  EXPECT_EQ(argmax.outputs[0].typeString(), "int64[1,2]");
  CompareResult r = compareTensors(argmax.outputs[0], idx, 0, 0);
  EXPECT_TRUE(r.passed) << r.summary();

  TestDataSet where = load("test_where_example");
  ASSERT_EQ(where.inputs.size(), 3u);
  ASSERT_EQ(where.outputs.size(), 1u);
  const HostTensor &c = where.inputs[0], &a = where.inputs[1], &b = where.inputs[2];
  HostTensor z = compute<float>(where.outputs[0], [&](int64_t i) {
    return c.data<uint8_t>()[i] ? a.data<float>()[i] : b.data<float>()[i];
  });
  r = compareTensors(where.outputs[0], z, kAtol, kRtol);
  EXPECT_TRUE(r.passed) << r.summary();
}

} // namespace
