//===- CalibrationInputs.h - Input sets calibration runs on ------*- C++ -*-===//
//
// A folder of sets in the ONNX test-data layout or of .npy files per input,
// checked against the model's inputs; or random sets drawn so that every
// input is valid for the graph (token ids within their embedding's rows).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CALIBRATION_CALIBRATIONINPUTS_H
#define R1C_COMPILER_CALIBRATION_CALIBRATIONINPUTS_H

#include "TensorFile.h"
#include "r1c/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>
#include <string>
#include <vector>

namespace r1c {

/// One input of the model, as @main declares it.
struct CalibrationInput {
  std::string name;
  run::DType dtype = run::DType::Undefined;
  /// -1 for a symbolic dim, named in `dimNames`.
  std::vector<int64_t> dims;
  std::vector<std::string> dimNames;
};

/// One set: a tensor per model input, in input order.
struct CalibrationSet {
  std::string label; ///< the folder, or "random set N"
  std::vector<run::HostTensor> tensors;
};

/// `tensor` as the runtime takes an input: its bytes, dtype and dims, not
/// copied (valid while `tensor` is).
r1rt_tensor_t toRuntimeInput(const run::HostTensor &tensor);

/// The inputs of `func`, or an error line (an input type calibration
/// cannot feed).
std::optional<std::vector<CalibrationInput>> describeInputs(mlir::func::FuncOp func,
                                                            std::string &error);

/// Every set in `dir`, in natural order of the subfolder names, checked
/// against `inputs`. On failure `error` names the file and the input.
std::optional<std::vector<CalibrationSet>>
loadCalibrationSets(const std::string &dir, const std::vector<CalibrationInput> &inputs,
                    std::string &error);

/// Symbolic dim sizes ("NAME=SIZE") that give the inputs `set`'s shapes; or
/// an error when two inputs disagree on a dim.
std::optional<std::vector<std::string>> symbolicSizesOf(const CalibrationSet &set,
                                                        const std::vector<CalibrationInput> &inputs,
                                                        std::string &error);

/// How random sets fill each integer input.
struct RandomInputPlan {
  /// Per input: rows of the data a gather indexes with it (0: none).
  std::vector<int64_t> gatherRows;
  /// The shape of every input: symbolic dims at their first --dim size.
  std::vector<std::vector<int64_t>> dims;
};

/// `count` random sets from `seed`: float inputs standard normal; integer
/// inputs that index a gather uniform over its rows; other integer inputs
/// zeros when their name says token type or segment, else ones (a mask).
std::vector<CalibrationSet> drawRandomSets(const std::vector<CalibrationInput> &inputs,
                                           const RandomInputPlan &plan, int64_t count,
                                           uint64_t seed);

/// The shapes random sets get: a symbolic dim takes the first size
/// `dimSizes` ("NAME=SIZE[,SIZE...]") gives it, else 8.
std::vector<std::vector<int64_t>> randomInputDims(const std::vector<CalibrationInput> &inputs,
                                                  const std::vector<std::string> &dimSizes);

/// Rows of the gathers each argument of `graph` (graph phase) indexes
/// directly or through casts and reshapes; 0 where none.
std::vector<int64_t> gatherRowsOfArguments(mlir::func::FuncOp graph);

} // namespace r1c

#endif // R1C_COMPILER_CALIBRATION_CALIBRATIONINPUTS_H
