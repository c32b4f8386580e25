//===- WeightPlacement.cpp - Where a compiled model keeps its weights -----===//
#include "compiler/driver/WeightPlacement.h"
#include "codegen/host/PackedWeights.h"
#include "codegen/host/SafetensorsWriter.h"
#include "compiler/driver/WeightPool.h"
#include "r1c/artifact_format.h"

#include "llvm/Support/Path.h"

#include <algorithm>

using namespace mlir;

namespace r1c {

FailureOr<WeightPlacement> placeWeights(ArrayRef<func::FuncOp> functions, bool gpu,
                                        WeightStorage storage, const std::string &base,
                                        WeightPool *pool, ArrayRef<std::string> packedLevels) {
  WeightPlacement placement;
  if (pool) {
    FailureOr<WeightLayout> layout = layoutWeights(functions, R1RT_DEVICE_WEIGHT_ALIGNMENT);
    if (failed(layout))
      return failure();
    // A weight read only packed needs no copy outside the code, where the
    // packed ones are.
    DenseSet<Attribute> read;
    for (func::FuncOp function : functions)
      for (auto constant : function.getBody().front().getOps<r1::ConstantOp>())
        if (!isReadOnlyPacked(constant, packedLevels))
          read.insert(constant.getValue());
    llvm::erase_if(layout->weights,
                   [&](const LaidOutWeight &weight) { return !read.contains(weight.value); });
    layout->offsets.clear();
    if (layout->weights.empty())
      return placement;
    // The tier's own layout names its weights; the pool decides where they
    // lie, so a tensor another tier holds alike is read from its copy.
    std::vector<char> scratch;
    layout->dataSize = 0;
    for (LaidOutWeight &weight : layout->weights) {
      weight.offset = pool->intern(weight.dtype, weightBytes(weight.value, scratch), weight.name,
                                   cast<ShapedType>(weight.value.getType()).getShape());
      layout->offsets[weight.value] = weight.offset;
      layout->dataSize = std::max(layout->dataSize, weight.offset + weight.size);
    }
    placement.home = WeightHome::SharedSection;
    placement.layout = std::move(*layout);
    return placement;
  }
  if (storage == WeightStorage::Embedded && !gpu)
    return placement;
  // Host code alone reads weights wherever they lie; GPU code wants them
  // aligned for its vector loads.
  FailureOr<WeightLayout> layout = layoutWeights(functions, gpu ? R1RT_DEVICE_WEIGHT_ALIGNMENT : 1);
  if (failed(layout))
    return failure();
  if (storage == WeightStorage::External) {
    placement.home = WeightHome::SideFile;
    placement.sideFileName = llvm::sys::path::filename(base).str() + ".safetensors";
  } else if (!layout->weights.empty()) {
    placement.home = WeightHome::ArtifactSection;
  } else {
    // No weights: nothing to share, nothing for host code to read.
    return placement;
  }
  placement.layout = std::move(*layout);
  return placement;
}

bool writeWeights(const WeightPlacement &placement, bool host, const std::string &base,
                  ArtifactWriter &artifact, std::string &error) {
  switch (placement.home) {
  case WeightHome::HostCode:
    return true;
  case WeightHome::ArtifactSection:
    artifact.addSection(R1RT_SECTION_WEIGHTS, "weights", packWeights(*placement.layout));
    // No file name: the weights are this artifact's WEIGHTS section, which
    // the artifact's own checksum covers.
    if (host)
      artifact.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                          artifact::encodeExternalWeightsRef("", placement.layout->dataSize, 0));
    return true;
  case WeightHome::SharedSection:
    // The tiered artifact writes the section; the tier records how much of
    // it its code reads, which the runtime checks against it.
    if (host)
      artifact.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                          artifact::encodeExternalWeightsRef("", placement.layout->dataSize, 0));
    return true;
  case WeightHome::SideFile: {
    // Named relative to the artifact, so the two move together.
    uint64_t size = 0;
    uint32_t checksum = 0;
    if (!writeSafetensors(*placement.layout, base + ".safetensors", size, checksum, error))
      return false;
    artifact.addSection(R1RT_SECTION_EXTERNAL_WEIGHTS_REF, "weights",
                        artifact::encodeExternalWeightsRef(placement.sideFileName, size, checksum));
    return true;
  }
  }
  return true;
}

} // namespace r1c
