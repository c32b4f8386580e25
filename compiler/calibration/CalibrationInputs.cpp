//===- CalibrationInputs.cpp - Input sets calibration runs on -------------===//
#include "compiler/calibration/CalibrationInputs.h"
#include "dialects/R1/IR/R1Ops.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <random>

using namespace mlir;

namespace r1c {
namespace {

run::DType dtypeOf(Type type) {
  if (type.isF32())
    return run::DType::Float;
  if (type.isF64())
    return run::DType::Double;
  if (type.isF16())
    return run::DType::Float16;
  if (type.isBF16())
    return run::DType::BFloat16;
  if (type.isInteger(1))
    return run::DType::Bool;
  if (auto integer = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = integer.isUnsigned();
    switch (integer.getWidth()) {
    case 8:
      return isUnsigned ? run::DType::UInt8 : run::DType::Int8;
    case 16:
      return isUnsigned ? run::DType::UInt16 : run::DType::Int16;
    case 32:
      return isUnsigned ? run::DType::UInt32 : run::DType::Int32;
    case 64:
      return isUnsigned ? run::DType::UInt64 : run::DType::Int64;
    }
  }
  return run::DType::Undefined;
}

std::string describeDims(const std::vector<int64_t> &dims,
                         const std::vector<std::string> &names = {}) {
  std::string text = "[";
  for (size_t axis = 0; axis < dims.size(); ++axis) {
    if (axis)
      text += ",";
    text += dims[axis] < 0 ? (axis < names.size() ? names[axis] : "?") : std::to_string(dims[axis]);
  }
  return text + "]";
}

/// Folder names in natural order: "set_2" before "set_10".
bool naturalLess(const std::string &a, const std::string &b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (llvm::isDigit(a[i]) && llvm::isDigit(b[j])) {
      size_t iEnd = i, jEnd = j;
      while (iEnd < a.size() && llvm::isDigit(a[iEnd]))
        ++iEnd;
      while (jEnd < b.size() && llvm::isDigit(b[jEnd]))
        ++jEnd;
      std::string x = a.substr(i, iEnd - i), y = b.substr(j, jEnd - j);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size())
        return x.size() < y.size();
      if (x != y)
        return x < y;
      i = iEnd;
      j = jEnd;
      continue;
    }
    if (a[i] != b[j])
      return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

/// Checks `tensor`, read from `file`, against `input`.
bool checkTensor(const run::HostTensor &tensor, const CalibrationInput &input,
                 const std::string &file, std::string &error) {
  std::string where = "calibration input '" + file + "' for input '" + input.name + "': ";
  if (tensor.dtype != input.dtype) {
    error = where + "it is " + run::dtypeName(tensor.dtype) + ", the model takes " +
            run::dtypeName(input.dtype);
    return false;
  }
  bool fits = tensor.dims.size() == input.dims.size();
  for (size_t axis = 0; fits && axis < input.dims.size(); ++axis)
    fits = input.dims[axis] < 0 || input.dims[axis] == tensor.dims[axis];
  if (!fits) {
    error = where + "its shape is " + describeDims(tensor.dims) + ", the model takes " +
            describeDims(input.dims, input.dimNames);
    return false;
  }
  return true;
}

/// The input_K.pb files or NAME.npy files of one set folder.
std::optional<CalibrationSet>
loadSet(const std::string &dir, const std::vector<CalibrationInput> &inputs, std::string &error) {
  CalibrationSet set;
  set.label = dir;
  llvm::SmallString<256> first(dir);
  llvm::sys::path::append(first, "input_0.pb");
  if (llvm::sys::fs::exists(first)) {
    for (size_t index = 0; index < inputs.size(); ++index) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, "input_" + std::to_string(index) + ".pb");
      if (!llvm::sys::fs::exists(path)) {
        error = "calibration set '" + dir + "': no input_" + std::to_string(index) +
                ".pb for input '" + inputs[index].name + "' (the model has " +
                std::to_string(inputs.size()) + " inputs)";
        return std::nullopt;
      }
      run::ErrorOr<run::HostTensor> tensor = run::readTensorProto(path.str().str());
      if (!tensor) {
        error = tensor.error();
        return std::nullopt;
      }
      if (!checkTensor(*tensor, inputs[index], path.str().str(), error))
        return std::nullopt;
      set.tensors.push_back(std::move(*tensor));
    }
    llvm::SmallString<256> extra(dir);
    llvm::sys::path::append(extra, "input_" + std::to_string(inputs.size()) + ".pb");
    if (llvm::sys::fs::exists(extra)) {
      error = "calibration set '" + dir + "': " + llvm::sys::path::filename(extra).str() +
              " is one input more than the model's " + std::to_string(inputs.size());
      return std::nullopt;
    }
    return set;
  }
  for (const CalibrationInput &input : inputs) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, input.name + ".npy");
    if (!llvm::sys::fs::exists(path)) {
      error = "calibration set '" + dir + "': no " + input.name + ".npy for input '" + input.name +
              "' (nor input_0.pb, ...)";
      return std::nullopt;
    }
    run::ErrorOr<run::HostTensor> tensor = run::readNpy(path.str().str());
    if (!tensor) {
      error = tensor.error();
      return std::nullopt;
    }
    if (!checkTensor(*tensor, input, path.str().str(), error))
      return std::nullopt;
    set.tensors.push_back(std::move(*tensor));
  }
  return set;
}

} // namespace

std::optional<std::vector<CalibrationInput>> describeInputs(func::FuncOp func, std::string &error) {
  std::vector<CalibrationInput> inputs;
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes())) {
    CalibrationInput input;
    auto name = func.getArgAttrOfType<StringAttr>(index, "r1.name");
    input.name = name ? name.str() : "input" + std::to_string(index);
    auto tensor = dyn_cast<RankedTensorType>(type);
    input.dtype = tensor ? dtypeOf(tensor.getElementType()) : run::DType::Undefined;
    if (!tensor || !run::isSupported(input.dtype)) {
      error = "calibration: input '" + input.name + "' has a type calibration cannot feed";
      return std::nullopt;
    }
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(index, "r1.dim_names");
    for (auto [axis, dim] : llvm::enumerate(tensor.getShape())) {
      input.dims.push_back(ShapedType::isDynamic(dim) ? -1 : dim);
      auto dimName =
          dimNames && axis < dimNames.size() ? dyn_cast<StringAttr>(dimNames[axis]) : StringAttr();
      input.dimNames.push_back(dimName ? dimName.str() : "");
    }
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::optional<std::vector<CalibrationSet>>
loadCalibrationSets(const std::string &dir, const std::vector<CalibrationInput> &inputs,
                    std::string &error) {
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "--calibration '" + dir + "' is not a folder";
    return std::nullopt;
  }
  std::vector<std::string> folders;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      folders.push_back(it->path());
  if (ec) {
    error = "--calibration '" + dir + "': " + ec.message();
    return std::nullopt;
  }
  if (folders.empty()) {
    error = "--calibration '" + dir +
            "': no input sets (one subfolder per set, e.g. test_data_set_0 holding input_0.pb, "
            "... or NAME.npy per input)";
    return std::nullopt;
  }
  std::sort(folders.begin(), folders.end(), naturalLess);
  std::vector<CalibrationSet> sets;
  for (const std::string &folder : folders) {
    std::optional<CalibrationSet> set = loadSet(folder, inputs, error);
    if (!set)
      return std::nullopt;
    sets.push_back(std::move(*set));
  }
  return sets;
}

std::optional<std::vector<std::string>> symbolicSizesOf(const CalibrationSet &set,
                                                        const std::vector<CalibrationInput> &inputs,
                                                        std::string &error) {
  std::vector<std::pair<std::string, int64_t>> sizes;
  for (auto [input, tensor] : llvm::zip(inputs, set.tensors)) {
    for (size_t axis = 0; axis < input.dims.size(); ++axis) {
      if (input.dims[axis] >= 0)
        continue;
      const std::string &name = input.dimNames[axis];
      auto known = llvm::find_if(sizes, [&](const auto &entry) { return entry.first == name; });
      if (known == sizes.end()) {
        sizes.push_back({name, tensor.dims[axis]});
      } else if (known->second != tensor.dims[axis]) {
        error = "calibration set '" + set.label + "': input '" + input.name + "' has " + name +
                "=" + std::to_string(tensor.dims[axis]) + ", another input " + name + "=" +
                std::to_string(known->second);
        return std::nullopt;
      }
    }
  }
  std::vector<std::string> result;
  for (const auto &[name, size] : sizes)
    result.push_back(name + "=" + std::to_string(size));
  return result;
}

std::vector<std::vector<int64_t>> randomInputDims(const std::vector<CalibrationInput> &inputs,
                                                  const std::vector<std::string> &dimSizes) {
  constexpr int64_t kDefaultSize = 8;
  auto sizeOf = [&](const std::string &name) {
    for (llvm::StringRef entry : dimSizes) {
      auto [key, values] = entry.split('=');
      int64_t size;
      if (key.trim() == name && !values.split(',').first.trim().getAsInteger(10, size))
        return size;
    }
    return kDefaultSize;
  };
  std::vector<std::vector<int64_t>> dims;
  for (const CalibrationInput &input : inputs) {
    std::vector<int64_t> shape = input.dims;
    for (size_t axis = 0; axis < shape.size(); ++axis)
      if (shape[axis] < 0)
        shape[axis] = sizeOf(input.dimNames[axis]);
    dims.push_back(shape);
  }
  return dims;
}

std::vector<int64_t> gatherRowsOfArguments(func::FuncOp graph) {
  std::vector<int64_t> rows(graph.getNumArguments(), 0);
  graph.walk([&](r1::GatherOp gather) {
    Value indices = gather.getIndices();
    // Token ids may be cast or reshaped on their way to the embedding.
    while (Operation *def = indices.getDefiningOp()) {
      if (!isa<r1::CastOp, r1::ReshapeOp, r1::UnsqueezeOp, r1::SqueezeOp, r1::FlattenOp>(def))
        break;
      indices = def->getOperand(0);
    }
    auto arg = dyn_cast<BlockArgument>(indices);
    auto data = dyn_cast<RankedTensorType>(gather.getData().getType());
    if (!arg || arg.getOwner()->getParentOp() != graph.getOperation() || !data)
      return;
    int64_t axis = gather.getAxis();
    if (axis < 0)
      axis += data.getRank();
    if (axis < 0 || axis >= data.getRank() || data.isDynamicDim(axis))
      return;
    int64_t &known = rows[arg.getArgNumber()];
    known = known ? std::min(known, data.getDimSize(axis)) : data.getDimSize(axis);
  });
  return rows;
}

std::vector<CalibrationSet> drawRandomSets(const std::vector<CalibrationInput> &inputs,
                                           const RandomInputPlan &plan, int64_t count,
                                           uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<CalibrationSet> sets;
  for (int64_t index = 0; index < count; ++index) {
    CalibrationSet set;
    set.label = "random set " + std::to_string(index);
    for (auto [input, rows, dims] : llvm::zip(inputs, plan.gatherRows, plan.dims)) {
      run::HostTensor tensor = run::HostTensor::zeros(input.dtype, dims, input.name);
      int64_t n = tensor.numElements();
      std::string lower = llvm::StringRef(input.name).lower();
      bool zeros =
          lower.find("type") != std::string::npos || lower.find("segment") != std::string::npos;
      std::uniform_int_distribution<int64_t> uniform(0, std::max<int64_t>(rows, 1) - 1);
      for (int64_t i = 0; i < n; ++i) {
        double value;
        if (run::isFloatLike(input.dtype))
          value = normal(generator);
        else if (rows > 0)
          value = double(uniform(generator));
        else
          value = zeros ? 0.0 : 1.0;
        void *at = tensor.bytes.data() + i * run::dtypeSize(input.dtype);
        switch (input.dtype) {
        case run::DType::Float:
          *static_cast<float *>(at) = float(value);
          break;
        case run::DType::Double:
          *static_cast<double *>(at) = value;
          break;
        case run::DType::Float16:
          *static_cast<uint16_t *>(at) = run::floatToHalf(float(value));
          break;
        case run::DType::BFloat16:
          *static_cast<uint16_t *>(at) = run::floatToBfloat16(float(value));
          break;
        case run::DType::Int8:
          *static_cast<int8_t *>(at) = int8_t(value);
          break;
        case run::DType::UInt8:
        case run::DType::Bool:
          *static_cast<uint8_t *>(at) = uint8_t(value);
          break;
        case run::DType::Int16:
          *static_cast<int16_t *>(at) = int16_t(value);
          break;
        case run::DType::UInt16:
          *static_cast<uint16_t *>(at) = uint16_t(value);
          break;
        case run::DType::Int32:
          *static_cast<int32_t *>(at) = int32_t(value);
          break;
        case run::DType::UInt32:
          *static_cast<uint32_t *>(at) = uint32_t(value);
          break;
        case run::DType::Int64:
          *static_cast<int64_t *>(at) = int64_t(value);
          break;
        case run::DType::UInt64:
          *static_cast<uint64_t *>(at) = uint64_t(value);
          break;
        default:
          break;
        }
      }
      set.tensors.push_back(std::move(tensor));
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

r1rt_tensor_t toRuntimeInput(const run::HostTensor &tensor) {
  r1rt_tensor_t input{};
  input.data = const_cast<uint8_t *>(tensor.bytes.data());
  input.bytes = tensor.bytes.size();
  input.dtype = r1rt_dtype_t(tensor.dtype);
  input.rank = int32_t(tensor.dims.size());
  for (size_t axis = 0; axis < tensor.dims.size() && axis < R1RT_MAX_RANK; ++axis)
    input.dims[axis] = tensor.dims[axis];
  return input;
}

} // namespace r1c
