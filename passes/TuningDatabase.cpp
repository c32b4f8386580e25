//===- TuningDatabase.cpp - Measured kernel variants, by problem ----------===//
#include "passes/TuningDatabase.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace r1c {

std::string tuningKey(const std::string &variantKey, const GemmProblem &p) {
  std::string key;
  llvm::raw_string_ostream os(key);
  // 16-bit operands: bf16 (which vdpbf16ps may take) or f16, with f32
  // results marked, as they allow other K steps.
  StringRef element = p.elementBytes != 2 ? "f32" : p.bf16Operands ? "bf16" : "16bit";
  os << variantKey << " gemm " << element << (p.elementBytes == 2 && !p.widened ? ">f32" : "")
     << " b" << p.batch << " m" << p.m << " k" << p.k << " n" << p.n
     << (p.packableWeight ? " weight" : "") << (p.inPlaceB ? "" : " gathered");
  return key;
}

namespace {

/// `name=value` fields of a record's variant.
std::optional<TunedVariant> parseVariant(StringRef text) {
  TunedVariant tuned;
  GemmCandidate &v = tuned.variant;
  int seen = 0;
  SmallVector<StringRef> fields;
  text.split(fields, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef field : fields) {
    auto [name, value] = field.split('=');
    int64_t number = 0;
    auto integer = [&](int64_t &into) {
      if (value.getAsInteger(10, number) || number < 1)
        return false;
      into = number;
      ++seen;
      return true;
    };
    bool ok = true;
    if (name == "mr")
      ok = integer(v.mr);
    else if (name == "nr")
      ok = integer(v.nr);
    else if (name == "vector")
      ok = integer(v.vector);
    else if (name == "kc")
      ok = integer(v.kc);
    else if (name == "mc")
      ok = integer(v.mc);
    else if (name == "nc")
      ok = integer(v.nc);
    else if (name == "pack_b") {
      std::optional<r1k::Packing> packing = r1k::symbolizePacking(value);
      ok = packing.has_value();
      if (ok) {
        v.packB = *packing;
        ++seen;
      }
    } else if (name == "pack_a") {
      ok = value == "true" || value == "false";
      v.packA = value == "true";
    } else if (name == "dot") {
      std::optional<r1k::HostDot> dot = r1k::symbolizeHostDot(value);
      ok = dot.has_value();
      if (ok)
        v.dot = *dot;
    } else if (name == "ms") {
      ok = !value.getAsDouble(tuned.milliseconds);
    } else if (name == "model_ms") {
      ok = !value.getAsDouble(tuned.modelMilliseconds);
    } else {
      ok = false;
    }
    if (!ok)
      return std::nullopt;
  }
  if (seen != 7 || v.nr % v.vector || v.mc % v.mr || v.nc % v.nr)
    return std::nullopt;
  return tuned;
}

} // namespace

bool TuningDatabase::load(const std::string &path, std::string &error) {
  if (!llvm::sys::fs::exists(path))
    return true;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file = llvm::MemoryBuffer::getFile(path);
  if (!file) {
    error = "cannot read the tuning database '" + path + "': " + file.getError().message();
    return false;
  }
  SmallVector<StringRef> lines;
  (*file)->getBuffer().split(lines, '\n');
  for (auto [index, line] : llvm::enumerate(lines)) {
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    auto [key, variant] = line.split(" -> ");
    std::optional<TunedVariant> tuned = parseVariant(variant);
    if (key.empty() || variant.empty() || !tuned) {
      error = path + ":" + std::to_string(index + 1) + ": not a tuning record: " + line.str();
      return false;
    }
    records[key.str()] = *tuned;
  }
  return true;
}

bool TuningDatabase::save(const std::string &path, std::string &error) const {
  std::error_code code;
  llvm::raw_fd_ostream os(path, code);
  if (code) {
    error = "cannot write the tuning database '" + path + "': " + code.message();
    return false;
  }
  os << "# r1c tuning database: measured kernel variants (r1c --tune --tuning-db=FILE).\n"
     << "# KEY -> VARIANT ms=MEASURED model_ms=COST_MODEL_CHOICE_MEASURED\n";
  for (const auto &[key, tuned] : records) {
    const GemmCandidate &v = tuned.variant;
    os << key << " -> mr=" << v.mr << " nr=" << v.nr << " vector=" << v.vector << " kc=" << v.kc
       << " mc=" << v.mc << " nc=" << v.nc << " pack_b=" << r1k::stringifyPacking(v.packB)
       << " pack_a=" << (v.packA ? "true" : "false")
       << (v.dot == r1k::HostDot::fma ? "" : " dot=" + r1k::stringifyHostDot(v.dot).str())
       << llvm::format(" ms=%.4f model_ms=%.4f", tuned.milliseconds, tuned.modelMilliseconds)
       << "\n";
  }
  return true;
}

const TunedVariant *TuningDatabase::lookup(const std::string &key) const {
  auto found = records.find(key);
  return found == records.end() ? nullptr : &found->second;
}

} // namespace r1c
