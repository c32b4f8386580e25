/* On-disk layout of an r1c artifact (OUT.r1), shared by the compiler's writer
 * and the runtime's reader. docs/design/artifact-format.md explains it.
 *
 * Layout contract (format version 2; version 1 had no tiers)
 *  - Every integer is little-endian. Readers decode fields byte by byte at
 *    the offsets fixed below; the structs document the layout and let C code
 *    name fields, but a reader must never cast file bytes to them.
 *  - An artifact is: a 64-byte header at offset 0, a section table of
 *    `section_count` entries of 48 bytes at `section_table_offset`, and the
 *    data of each section at an offset aligned to 64 bytes.
 *  - `checksum` is the CRC-32 (IEEE 802.3, the zlib one) of bytes
 *    [64, file_size): everything after the header.
 *  - Sections lie within [64, file_size), overlap neither each other nor the
 *    section table, and bytes that belong to no section, the table or the
 *    header are zero.
 *  - Readers skip section kinds they do not know, so new kinds may be added
 *    without a new format version. Any other layout change bumps
 *    R1RT_ARTIFACT_FORMAT_VERSION, and a runtime refuses other versions.
 *
 * This header compiles as C99 and as C++. The C++ part at the bottom holds
 * little-endian helpers and the CRC-32, both header-only, so the compiler can
 * write artifacts without linking the runtime.
 */
#ifndef R1C_ARTIFACT_FORMAT_H
#define R1C_ARTIFACT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "R1CARTF" and its NUL: the first 8 bytes of every artifact. */
#define R1RT_ARTIFACT_MAGIC "R1CARTF"
#define R1RT_ARTIFACT_MAGIC_SIZE 8

/* The format version this header describes; r1rt_artifact_format_version()
 * returns it. */
#define R1RT_ARTIFACT_FORMAT_VERSION 2u

#define R1RT_ARTIFACT_HEADER_SIZE 64u
#define R1RT_ARTIFACT_SECTION_ENTRY_SIZE 48u
#define R1RT_ARTIFACT_SECTION_NAME_SIZE 24u
/* Section data starts at multiples of this, so weights can be used in place
 * (cache-line and AVX-512 aligned) from a buffer that is itself aligned. */
#define R1RT_ARTIFACT_SECTION_ALIGNMENT 64u

/* Element types, with ONNX TensorProto's codes. The metadata section records
 * tensors with these codes; readers refuse codes outside this list. */
typedef enum r1rt_dtype_e {
  R1RT_DTYPE_FLOAT = 1,
  R1RT_DTYPE_UINT8 = 2,
  R1RT_DTYPE_INT8 = 3,
  R1RT_DTYPE_UINT16 = 4,
  R1RT_DTYPE_INT16 = 5,
  R1RT_DTYPE_INT32 = 6,
  R1RT_DTYPE_INT64 = 7,
  R1RT_DTYPE_STRING = 8,
  R1RT_DTYPE_BOOL = 9,
  R1RT_DTYPE_FLOAT16 = 10,
  R1RT_DTYPE_DOUBLE = 11,
  R1RT_DTYPE_UINT32 = 12,
  R1RT_DTYPE_UINT64 = 13,
  R1RT_DTYPE_COMPLEX64 = 14,
  R1RT_DTYPE_COMPLEX128 = 15,
  R1RT_DTYPE_BFLOAT16 = 16,
  R1RT_DTYPE_FLOAT8E4M3FN = 17,
  R1RT_DTYPE_FLOAT8E4M3FNUZ = 18,
  R1RT_DTYPE_FLOAT8E5M2 = 19,
  R1RT_DTYPE_FLOAT8E5M2FNUZ = 20,
  R1RT_DTYPE_UINT4 = 21,
  R1RT_DTYPE_INT4 = 22,
  R1RT_DTYPE_FLOAT4E2M1 = 23,
  /* Not a type: keeps the enum 32 bits wide in C and C++, so any code a
   * newer artifact or caller passes is a valid value of it. */
  R1RT_DTYPE_MAX_ENUM = 0x7FFFFFFF,
} r1rt_dtype_t;
#define R1RT_DTYPE_FIRST 1
#define R1RT_DTYPE_LAST 23

/* What a section holds. Values are stable within and across format versions;
 * readers skip values they do not know. */
typedef enum r1rt_section_kind_e {
  R1RT_SECTION_METADATA = 1,             /* model name, producer, input/output tensors */
  R1RT_SECTION_PLAN = 2,                 /* execution plan: buffers, launches, tiers */
  R1RT_SECTION_HOST_CODE = 3,            /* host machine code, named by ISA ("host-x86-64-v3") */
  R1RT_SECTION_CUDA_CODE = 4,            /* cubin or PTX, named by arch ("sm_90") */
  R1RT_SECTION_HIP_CODE = 5,             /* code object, named by arch ("gfx90a") */
  R1RT_SECTION_WEIGHTS = 6,              /* embedded weights, used in place */
  R1RT_SECTION_EXTERNAL_WEIGHTS_REF = 7, /* file name, size, checksum of a side file */
  R1RT_SECTION_TIERS = 8,                /* the tier table of a tiered artifact (version 2) */
  R1RT_SECTION_TIER = 9,                 /* one tier: a whole artifact, named "tier0", ... */
  R1RT_SECTION_MAX_ENUM = 0x7FFFFFFF,    /* not a kind: keeps the enum 32 bits wide */
} r1rt_section_kind_t;

/* The header, at offset 0. Field offsets: magic 0, format_version 8,
 * header_size 12, file_size 16, section_table_offset 24, section_count 32,
 * flags 36, checksum 40, reserved 44..63. */
typedef struct r1rt_artifact_header_s {
  char magic[8];                 /* R1RT_ARTIFACT_MAGIC, NUL-terminated */
  uint32_t format_version;       /* R1RT_ARTIFACT_FORMAT_VERSION */
  uint32_t header_size;          /* R1RT_ARTIFACT_HEADER_SIZE */
  uint64_t file_size;            /* total size of the artifact in bytes */
  uint64_t section_table_offset; /* where the section table starts */
  uint32_t section_count;        /* entries in the section table */
  uint32_t flags;                /* 0 in version 1; readers refuse others */
  uint32_t checksum;             /* CRC-32 of bytes [64, file_size) */
  uint8_t reserved[20];          /* zero */
} r1rt_artifact_header_t;

/* One section table entry. Field offsets: kind 0, flags 4, offset 8,
 * size 16, name 24..47. */
typedef struct r1rt_artifact_section_entry_s {
  uint32_t kind;   /* an r1rt_section_kind_t, or a kind from a newer writer */
  uint32_t flags;  /* 0 for the kinds above in version 1 */
  uint64_t offset; /* start of the data, a multiple of 64, >= 64 */
  uint64_t size;   /* bytes of data; may be 0 */
  /* At most 23 characters, then NUL bytes to the end. Together with `kind`
   * it identifies the section: no two sections share both. */
  char name[24];
} r1rt_artifact_section_entry_t;

/* Plan (R1RT_SECTION_PLAN) payload of an artifact with host code only:
 *   uint32 magic                R1RT_HOST_PLAN_MAGIC ("R1HP")
 *   uint32 version              R1RT_HOST_PLAN_VERSION
 *   uint32 entry_count          >= 1: one per shape bucket, or one for a
 *                               model whose shapes are all static
 *   per entry:
 *     uint32 len, bytes         C symbol of the entry point in the HOST_CODE
 *                               shared object: void entry(void *const *inputs,
 *                               void *const *outputs, void *arena,
 *                               int64_t *output_dims, const
 *                               r1c_host_context_t *context), r1c/host_abi.h
 *     uint64 arena_size         bytes of scratch memory the entry point needs
 *     per input, then per output (metadata order; ranks from the metadata):
 *       int64 dims[rank]        the exact extents this entry takes (makes);
 *                               for outputs, -1 for a dim the code computes
 *                               from data at run time
 *       int32 pad_axis          -1, or the axis along which a smaller request
 *                               may be padded up to this entry's extent (for
 *                               inputs) and trimmed back (for outputs): rows
 *                               along it never interact
 *       uint64 max_elements     (outputs only) the most elements the output
 *                               can have: the product of its dims when all
 *                               are known
 * The payload ends exactly at the end of the section. */
#define R1RT_HOST_PLAN_MAGIC 0x50483152u /* "R1HP" in file order */
#define R1RT_HOST_PLAN_VERSION 1u

/* Device code (R1RT_SECTION_CUDA_CODE named "sm_XX", R1RT_SECTION_HIP_CODE
 * named "gfxXXX") payload: the kernels compiled for one GPU architecture and
 * the device plan that launches them, one entry per shape bucket.
 *   uint32 magic                R1RT_DEVICE_CODE_MAGIC ("R1DC")
 *   uint32 version              R1RT_DEVICE_CODE_VERSION
 *   uint32 module_count         >= 1; one module per distinct kernel
 *   per module:
 *     uint32 len, bytes         the kernel's function name (extern "C")
 *     uint64 len, bytes         its binary: a cubin for CUDA, a code object
 *                               for HIP, built for this section's architecture
 *     uint64 len, bytes         its PTX, which a driver of a newer GPU compiles
 *                               (CUDA only, in the newest sm section); may be
 *                               empty
 *   uint32 entry_count          >= 1
 *   per entry:
 *     uint32 len, bytes         the bucket's name ("batch8"), or "static"
 *     uint64 arena_size         bytes of device scratch memory it needs
 *     per input, then per output: the tensors exactly as in the host plan
 *                               (dims, pad_axis; outputs also max_elements)
 *     uint32 launch_count, then per launch, in order:
 *       uint32 module           index into the modules
 *       uint32 grid[3], block[3]
 *       uint32 shared_bytes     dynamic shared memory
 *       uint32 arg_count, then per argument a location (below): the kernel
 *                               takes one pointer per argument
 *     per output: a location, where the output lies after the launches
 *     per output with dims computed at run time (a -1 dim), in output
 *                               order: a location in the arena where the
 *                               launches leave its dims, one int64 each;
 *                               the output's elements lie packed at the
 *                               front of its location
 *   location:
 *     uint32 kind               R1RT_DEVICE_INPUT, _ARENA or _WEIGHTS
 *     uint64 value              the input's index, or a byte offset into the
 *                               arena or into the WEIGHTS section "weights"
 * Weights (R1RT_SECTION_WEIGHTS named "weights"), when device code reads
 * any: the raw bytes of every weight tensor, each at a 64-byte aligned
 * offset, uploaded once per session. The payload ends exactly at the end of
 * the section. */
#define R1RT_DEVICE_CODE_MAGIC 0x43443152u /* "R1DC" in file order */
#define R1RT_DEVICE_CODE_VERSION 2u
#define R1RT_DEVICE_INPUT 0u
#define R1RT_DEVICE_ARENA 1u
#define R1RT_DEVICE_WEIGHTS 2u
/* Alignment of every weight in the WEIGHTS section, and of the section. */
#define R1RT_DEVICE_WEIGHT_ALIGNMENT 64u

/* External weights reference (R1RT_SECTION_EXTERNAL_WEIGHTS_REF) payload:
 *   uint32 name_len, name bytes   side file name, relative to the artifact
 *   uint64 size                   its size in bytes
 *   uint32 checksum               CRC-32 of its whole contents
 *
 * Metadata (R1RT_SECTION_METADATA) payload, exactly one such section:
 *   uint32 len, bytes             producer, e.g. "r1c 0.1.0"
 *   uint32 len, bytes             model name
 *   inputs, then outputs, each:
 *     uint32 count, then per tensor:
 *       uint32 len, bytes         tensor name (non-empty)
 *       uint32 dtype              ONNX TensorProto element type (r1rt_dtype_t)
 *       uint32 rank
 *       int64 dims[rank]          >= 0, or -1 for a symbolic dim
 *       per dim: uint32 len, bytes  dim name ("batch"); empty for static dims
 * Strings are UTF-8 without NUL bytes and without a terminator. The payload
 * ends exactly at the end of the section. */

/* Tiers (format version 2; r1c --tiers): several compiled variants of one
 * model interface in one artifact, which the runtime's tier-switching
 * allocator picks from per request. A tiered artifact has one METADATA
 * section (the inputs and outputs every tier shares), one TIERS section and
 * one TIER section per tier, and no PLAN or code of its own. It may have one
 * WEIGHTS section named "weights", which its tiers share: r1c stores there
 * every tier's weights, a tensor that several tiers hold alike once (the
 * weights a lower precision leaves alone), and a tier whose
 * EXTERNAL_WEIGHTS_REF names no file and which has no WEIGHTS section of its
 * own reads it, from its start up to the reference's size. A runtime that
 * predates this refuses such a tier, saying it lacks a WEIGHTS section.
 * TIERS (named "tiers") payload:
 *   uint32 magic                R1RT_TIERS_MAGIC ("R1TR")
 *   uint32 version              R1RT_TIERS_VERSION
 *   uint32 tier_count           >= 2, at most R1RT_MAX_TIERS; tier 0 is the
 *                               cheapest, the last the most accurate
 *   uint32 cascade_metric       an r1rt_cascade_metric_t
 *   float32 cascade_threshold   escalate when the metric is below it (IEEE
 *                               bits, little-endian); 0 with no cascade
 *   uint32 cascade_output       the output whose last axis holds class
 *                               probabilities, scored per row
 *   per tier:
 *     uint32 len, bytes         the tier's name ("coarse"), unique
 *     uint32 len, bytes         the name of its TIER section
 * TIER payload: a complete artifact of this format version (header, table,
 * sections) with no tiers of its own, whose METADATA matches the top level's
 * inputs and outputs. The payload ends exactly at the end of the section. */
#define R1RT_TIERS_MAGIC 0x52543152u /* "R1TR" in file order */
#define R1RT_TIERS_VERSION 1u
#define R1RT_MAX_TIERS 8

/* How a cascade scores its cheap tier's answer. */
typedef enum r1rt_cascade_metric_e {
  R1RT_CASCADE_NONE = 0,       /* no cascade: the allocator picks by cost alone */
  R1RT_CASCADE_CONFIDENCE = 1, /* the top-1 probability of each row */
  R1RT_CASCADE_MARGIN = 2,     /* top-1 minus top-2 probability of each row */
  R1RT_CASCADE_METRIC_MAX_ENUM = 0x7FFFFFFF,
} r1rt_cascade_metric_t;

#define R1RT_ARTIFACT_SYMBOLIC_DIM (-1)

#ifdef __cplusplus
} /* extern "C" */
#endif

/* The layout is fixed; these catch a compiler that pads differently. */
#if defined(__cplusplus)
static_assert(sizeof(r1rt_artifact_header_t) == R1RT_ARTIFACT_HEADER_SIZE,
              "artifact header must be 64 bytes");
static_assert(sizeof(r1rt_artifact_section_entry_t) == R1RT_ARTIFACT_SECTION_ENTRY_SIZE,
              "section entry must be 48 bytes");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(r1rt_artifact_header_t) == R1RT_ARTIFACT_HEADER_SIZE,
               "artifact header must be 64 bytes");
_Static_assert(sizeof(r1rt_artifact_section_entry_t) == R1RT_ARTIFACT_SECTION_ENTRY_SIZE,
               "section entry must be 48 bytes");
#endif

#ifdef __cplusplus
#include <vector>

namespace r1c {

// Where a device kernel argument or output lies (R1RT_DEVICE_INPUT, _ARENA,
// _WEIGHTS, and an input index or a byte offset).
struct DeviceLocation {
  uint32_t kind = R1RT_DEVICE_ARENA;
  uint64_t value = 0;
};

struct DeviceLaunch {
  uint32_t module = 0;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint32_t sharedBytes = 0;
  std::vector<DeviceLocation> args;
};

} // namespace r1c

namespace r1c::artifact {

// Offsets of header fields, so readers and writers agree without casting.
inline constexpr size_t kHeaderFormatVersion = 8;
inline constexpr size_t kHeaderHeaderSize = 12;
inline constexpr size_t kHeaderFileSize = 16;
inline constexpr size_t kHeaderSectionTableOffset = 24;
inline constexpr size_t kHeaderSectionCount = 32;
inline constexpr size_t kHeaderFlags = 36;
inline constexpr size_t kHeaderChecksum = 40;
inline constexpr size_t kHeaderReserved = 44;
// Offsets within a section table entry.
inline constexpr size_t kEntryKind = 0;
inline constexpr size_t kEntryFlags = 4;
inline constexpr size_t kEntryOffset = 8;
inline constexpr size_t kEntrySize = 16;
inline constexpr size_t kEntryName = 24;

inline uint32_t loadU32(const uint8_t *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t loadU64(const uint8_t *p) {
  return uint64_t(loadU32(p)) | uint64_t(loadU32(p + 4)) << 32;
}
inline void storeU32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}
inline void storeU64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = uint8_t(v >> (8 * i));
}

// Slicing-by-8 tables for the reflected CRC-32 polynomial 0xEDB88320. Built
// at compile time; an artifact carries gigabytes of weights, and byte-wise
// CRC would dominate loading.
struct Crc32Tables {
  uint32_t t[8][256];
};
constexpr Crc32Tables makeCrc32Tables() {
  Crc32Tables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    tables.t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s)
      tables.t[s][i] = (tables.t[s - 1][i] >> 8) ^ tables.t[0][tables.t[s - 1][i] & 0xFF];
  return tables;
}
inline constexpr Crc32Tables kCrc32Tables = makeCrc32Tables();

// Continues a CRC-32: pass 0 to start, then the previous result to extend it
// over more bytes. crc32Update(0, "123456789", 9) == 0xCBF43926.
inline uint32_t crc32Update(uint32_t crc, const void *data, size_t size) {
  const auto &t = kCrc32Tables.t;
  const uint8_t *p = static_cast<const uint8_t *>(data);
  crc = ~crc;
  while (size >= 8) {
    uint32_t lo = loadU32(p) ^ crc;
    uint32_t hi = loadU32(p + 4);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    size -= 8;
  }
  while (size--)
    crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

inline constexpr uint64_t alignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

} // namespace r1c::artifact
#endif /* __cplusplus */

#endif /* R1C_ARTIFACT_FORMAT_H */
