//===- DevicePlan.cpp - Launch lists of GPU kernels per shape bucket ------===//
#include "compiler/driver/DevicePlan.h"
#include "dialects/R1/IR/R1Ops.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace r1c {
namespace {



/// Where `value` lives when the plan runs; failure after an error at the
/// op that made it.
FailureOr<DeviceLocation> locate(Value value, const WeightLayout &weights) {
  while (Operation *def = value.getDefiningOp()) {
    if (!r1::isView(def))
      break;
    value = def->getOperand(0);
  }
  if (auto arg = dyn_cast<BlockArgument>(value))
    return DeviceLocation{R1RT_DEVICE_INPUT, arg.getArgNumber()};
  Operation *def = value.getDefiningOp();
  if (auto constant = dyn_cast<r1::ConstantOp>(def)) {
    auto found = weights.offsets.find(constant.getValue());
    if (found != weights.offsets.end())
      return DeviceLocation{R1RT_DEVICE_WEIGHTS, found->second};
  }
  if (auto kernel = dyn_cast<r1k::KernelOp>(def)) {
    auto offsets = kernel.getResultOffsetsAttr();
    unsigned result = cast<OpResult>(value).getResultNumber();
    if (offsets && result < offsets.size() && offsets[result] >= 0)
      return DeviceLocation{R1RT_DEVICE_ARENA, uint64_t(offsets[result])};
  }
  def->emitError("a GPU plan has no storage for this value (neither a graph input, a weight "
                 "nor a kernel result in the arena)");
  return failure();
}

bool fitsU32(int64_t value) { return value >= 0 && value <= int64_t(UINT32_MAX); }

} // namespace

FailureOr<DeviceEntry> planDeviceEntry(func::FuncOp function,
                                                 const HostPlanEntry &signature,
                                                 ArrayRef<PlannedLaunch> launches,
                                                 const WeightLayout &weights) {
  DeviceEntry entry;
  entry.signature = signature;
  for (Operation &op : function.getBody().front()) {
    if (isa<r1k::KernelOp, r1::ConstantOp, func::ReturnOp>(op) || r1::isView(&op))
      continue;
    return op.emitError("'") << op.getName() << "' runs between kernels, which GPU plans do not "
                                                "support yet; compile with --target=host";
  }
  for (PlannedLaunch planned : launches) {
    DeviceLaunch launch;
    launch.module = planned.module;
    for (int d = 0; d < 3; ++d) {
      if (!fitsU32(planned.grid[d]) || !fitsU32(planned.block[d]))
        return planned.op.emitError("launch shape does not fit 32 bits");
      launch.grid[d] = uint32_t(planned.grid[d]);
      launch.block[d] = uint32_t(planned.block[d]);
    }
    if (!fitsU32(planned.sharedBytes))
      return planned.op.emitError("shared memory does not fit 32 bits");
    launch.sharedBytes = uint32_t(planned.sharedBytes);
    SmallVector<Value> operands(planned.op.getInputs());
    llvm::append_range(operands, planned.op.getResults());
    for (Value operand : operands) {
      FailureOr<DeviceLocation> location = locate(operand, weights);
      if (failed(location))
        return failure();
      launch.args.push_back(*location);
    }
    // A kernel whose scratch is empty has no offset and never reads it.
    if (planned.scratch)
      launch.args.push_back(
          DeviceLocation{R1RT_DEVICE_ARENA, uint64_t(planned.op.getScratchOffset().value_or(0))});
    entry.launches.push_back(std::move(launch));
  }
  Operation *ret = function.getBody().front().getTerminator();
  for (Value value : ret->getOperands()) {
    FailureOr<DeviceLocation> location = locate(value, weights);
    if (failed(location))
      return failure();
    entry.outputs.push_back(*location);
  }
  // Dims computed at run time: keep_leading's kernel leaves them in its
  // scratch, which the memory plan keeps to the end.
  for (Value value : ret->getOperands()) {
    if (cast<RankedTensorType>(value.getType()).hasStaticShape())
      continue;
    auto kernel = value.getDefiningOp<r1k::KernelOp>();
    bool reports = kernel && kernel.getScratchOffset() &&
                   llvm::any_of(kernel.getBody().front(),
                                [](Operation &op) { return isa<r1::KeepLeadingOp>(op); });
    if (!reports)
      return (kernel ? kernel.getOperation() : ret)
          ->emitError("an output's dims are computed at run time by code that does not report them "
                      "to a GPU plan; compile with --target=host");
    entry.outputDims.push_back(DeviceLocation{R1RT_DEVICE_ARENA, *kernel.getScratchOffset()});
  }
  return entry;
}

std::string printLaunchList(StringRef arch, ArrayRef<DeviceEntry> entries,
                            ArrayRef<std::vector<std::string>> stems,
                            ArrayRef<DeviceModule> modules) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "# r1c launch list for " << arch << ": per shape bucket, an entry line, the\n"
     << "# launches in order, then where each output is. Arguments: input:N (graph\n"
     << "# input N), arena:BYTES (an arena offset), weight:BYTES (an offset into the\n"
     << "# device weights, the artifact's WEIGHTS section; weights.bin beside this file).\n";
  auto print = [&](const DeviceLocation &location) {
    switch (location.kind) {
    case R1RT_DEVICE_INPUT:
      os << "input:" << location.value;
      break;
    case R1RT_DEVICE_ARENA:
      os << "arena:" << location.value;
      break;
    default:
      os << "weight:" << location.value;
      break;
    }
  };
  for (auto [entry, entryStems] : llvm::zip(entries, stems)) {
    os << "entry " << entry.signature.symbol << " arena " << entry.signature.arenaSize << "\n";
    for (auto [launch, stem] : llvm::zip(entry.launches, entryStems)) {
      os << "launch " << stem << " " << modules[launch.module].symbol << " grid " << launch.grid[0]
         << "," << launch.grid[1] << "," << launch.grid[2] << " block " << launch.block[0] << ","
         << launch.block[1] << "," << launch.block[2] << " shared " << launch.sharedBytes
         << " args";
      for (const DeviceLocation &arg : launch.args) {
        os << " ";
        print(arg);
      }
      os << "\n";
    }
    for (auto [index, output] : llvm::enumerate(entry.outputs)) {
      os << "output " << index << " ";
      print(output);
      os << "\n";
    }
    for (const DeviceLocation &dims : entry.outputDims) {
      os << "dims ";
      print(dims);
      os << "\n";
    }
  }
  return text;
}

} // namespace r1c
