//===- DevicePlan.h - Launch lists of GPU kernels per shape bucket -*- C++ -*-===//
//
// A GPU runs a plan-phase function as a list of kernel launches. Each
// kernel argument and each graph output is a location the runtime can
// resolve: a device copy of a graph input, an arena offset, or an offset
// into the device weights, which are laid out once for all buckets with
// every tensor 64-byte aligned (the printed kernels load 16 bytes at a
// time). Views share their operand's bytes, so they are looked through.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_DRIVER_DEVICEPLAN_H
#define R1C_COMPILER_DRIVER_DEVICEPLAN_H

#include "codegen/host/WeightLayout.h"
#include "dialects/R1K/IR/R1KDialect.h"
#include "r1c/artifact_writer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace r1c {

/// One kernel launch of an entry: the kernel op, the module (distinct
/// kernel) of its architecture's section, and its launch shape.
struct PlannedLaunch {
  mlir::r1k::KernelOp op;
  uint32_t module = 0;
  std::array<int64_t, 3> grid{}, block{};
  int64_t sharedBytes = 0;
  /// Whether the function takes the kernel's arena scratch last.
  bool scratch = false;
};

/// The device plan entry of `function`, whose kernels run as `launches`
/// in order. Emits an error at an op a GPU cannot run (a top-level op that
/// is not a kernel, constant or view; a value without storage) and fails.
mlir::FailureOr<DeviceEntry>
planDeviceEntry(mlir::func::FuncOp function, const HostPlanEntry &signature,
                llvm::ArrayRef<PlannedLaunch> launches, const WeightLayout &weights);

/// launches.ARCH.txt for --emit=kernels: the entries as text, one launch a
/// line with its kernel's file stem and symbol.
std::string printLaunchList(llvm::StringRef arch, llvm::ArrayRef<DeviceEntry> entries,
                            llvm::ArrayRef<std::vector<std::string>> stems,
                            llvm::ArrayRef<DeviceModule> modules);

} // namespace r1c

#endif // R1C_COMPILER_DRIVER_DEVICEPLAN_H
