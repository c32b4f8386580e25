//===- WeightPlacement.h - Where a compiled model keeps its weights -*- C++ -*-===//
//
// One decision per compile, made before any code is emitted, so every target
// that reads the weights reads them at the same offsets:
//
//   targets      --weights=embedded            --weights=external
//   host         constants in the host code    OUT.safetensors, packed
//   GPU (+host)  OUT.r1's WEIGHTS section,     OUT.safetensors, 64-byte
//                64-byte aligned, shared       aligned, shared
//
// GPU kernels load 16 bytes at a time and the runtime uploads the weights as
// one block, so with a GPU target the weights are laid out aligned wherever
// they go; host code then reads that same copy.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_WEIGHTPLACEMENT_H
#define R1C_COMPILER_DRIVER_WEIGHTPLACEMENT_H

#include "codegen/host/WeightLayout.h"
#include "compiler/driver/CompilerDriver.h"
#include "r1c/artifact_writer.h"

#include <optional>
#include <string>

namespace r1c {

enum class WeightHome {
  HostCode,        ///< constants inside the host code; no layout
  ArtifactSection, ///< the artifact's WEIGHTS section
  SharedSection,   ///< the WEIGHTS section of the tiered artifact the tier is in
  SideFile,        ///< OUT.safetensors, which the artifact references
};

struct WeightPlacement {
  WeightHome home = WeightHome::HostCode;
  /// Every weight's offset in the WEIGHTS section or the side file's data.
  std::optional<WeightLayout> layout;
  /// SideFile: the file's name, relative to the artifact ("m.safetensors").
  std::string sideFileName;

  const WeightLayout *getLayout() const { return layout ? &*layout : nullptr; }
};

/// Decides where the weights of `functions` (every shape bucket's plan) go,
/// with GPU code among the targets or not (`gpu`), and lays them out.
/// `base` is OUT of -o OUT. With a `pool` (a tier of r1c --tiers), the
/// weights go there, SharedSection, whatever `storage` says, except those
/// the host code reads only from its packed copies at each of the levels
/// `packedLevels` (variant keys; empty when the code packs nothing). Fails,
/// after a diagnostic, at a weight that cannot be laid out.
mlir::FailureOr<WeightPlacement> placeWeights(llvm::ArrayRef<mlir::func::FuncOp> functions,
                                              bool gpu, WeightStorage storage,
                                              const std::string &base, WeightPool *pool = nullptr,
                                              llvm::ArrayRef<std::string> packedLevels = {});

/// Puts the weights where `placement` says: the WEIGHTS section, or the side
/// file beside `base`; and, for host code that reads them (`host`), the
/// artifact's EXTERNAL_WEIGHTS_REF (an empty file name for the WEIGHTS
/// section; for SharedSection, the tiered artifact's, and the bytes of it
/// the tier reads). GPU code reads a side file through the same reference.
/// On failure sets `error`.
bool writeWeights(const WeightPlacement &placement, bool host, const std::string &base,
                  ArtifactWriter &artifact, std::string &error);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_WEIGHTPLACEMENT_H
