//===- ShapeBuckets.cpp - Sizes for the symbolic dims of a model ----------===//
#include "compiler/driver/ShapeBuckets.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;

namespace r1c {

FailureOr<std::vector<std::string>> symbolicDimNames(func::FuncOp func) {
  std::vector<std::string> names;
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.hasStaticShape())
      continue;
    auto dimNames = func.getArgAttrOfType<ArrayAttr>(index, "r1.dim_names");
    auto inputName = func.getArgAttrOfType<StringAttr>(index, "r1.name");
    for (auto [axis, dim] : llvm::enumerate(tensor.getShape())) {
      if (!ShapedType::isDynamic(dim))
        continue;
      StringRef name = dimNames && axis < dimNames.size()
                           ? cast<StringAttr>(dimNames[axis]).getValue()
                           : StringRef();
      if (name.empty())
        return func.emitError("input '")
               << (inputName ? inputName.getValue() : StringRef("?")) << "' dim " << axis
               << " has no size and no name; give it a dim_param in the model so --dim can "
                  "size it";
      if (!llvm::is_contained(names, name.str()))
        names.push_back(name.str());
    }
  }
  return names;
}

FailureOr<std::vector<ShapeBucket>>
enumerateShapeBuckets(const std::vector<std::string> &names,
                      const std::vector<std::string> &dimSizes,
                      llvm::ArrayRef<int64_t> defaults) {
  std::map<std::string, std::vector<int64_t>> sizesOf;
  for (const std::string &option : dimSizes) {
    auto [name, list] = StringRef(option).split('=');
    std::vector<int64_t> sizes;
    SmallVector<StringRef> items;
    list.split(items, ',');
    for (StringRef item : items) {
      int64_t size;
      if (item.trim().getAsInteger(10, size) || size < 1) {
        llvm::errs() << "error: --dim " << option
                     << ": expected NAME=SIZE[,SIZE...] with sizes of at least 1\n";
        return failure();
      }
      if (!llvm::is_contained(sizes, size))
        sizes.push_back(size);
    }
    if (name.empty() || sizes.empty()) {
      llvm::errs() << "error: --dim " << option << ": expected NAME=SIZE[,SIZE...]\n";
      return failure();
    }
    if (!llvm::is_contained(names, name.str())) {
      llvm::errs() << "error: --dim " << option << ": the model has no symbolic dim '" << name
                   << "'";
      if (!names.empty())
        llvm::errs() << " (it has: " << llvm::join(names, ", ") << ")";
      llvm::errs() << "\n";
      return failure();
    }
    llvm::sort(sizes);
    sizesOf[name.str()] = std::move(sizes);
  }
  std::vector<ShapeBucket> buckets{ShapeBucket{}};
  for (const std::string &name : names) {
    auto it = sizesOf.find(name);
    std::vector<int64_t> sizes =
        it != sizesOf.end() ? it->second : std::vector<int64_t>(defaults.begin(), defaults.end());
    std::vector<ShapeBucket> next;
    for (const ShapeBucket &bucket : buckets)
      for (int64_t size : sizes) {
        next.push_back(bucket);
        next.back().emplace_back(name, size);
      }
    buckets = std::move(next);
  }
  return buckets;
}

std::string describeBucket(const ShapeBucket &bucket) {
  std::string text;
  for (const auto &[name, size] : bucket)
    text += (text.empty() ? "" : ",") + name + "=" + std::to_string(size);
  return text;
}

std::string explainBucketFailure(const ShapeBucket &bucket,
                                 const std::vector<std::string> &dimSizes,
                                 llvm::ArrayRef<int64_t> defaults) {
  std::vector<std::string> defaulted;
  for (const auto &[name, size] : bucket) {
    bool given = llvm::any_of(dimSizes, [&, &name = name](const std::string &option) {
      return StringRef(option).split('=').first == name;
    });
    if (!given)
      defaulted.push_back(name);
  }
  std::string note = "note: the error is in the shape bucket " + describeBucket(bucket);
  if (defaulted.empty())
    return note + ", which --dim asked for\n";
  std::string sizes;
  for (int64_t size : defaults)
    sizes += (sizes.empty() ? "" : ",") + std::to_string(size);
  note += "; symbolic dim" + std::string(defaulted.size() > 1 ? "s " : " ");
  for (size_t i = 0; i < defaulted.size(); ++i)
    note += (i ? ", '" : "'") + defaulted[i] + "'";
  note += std::string(defaulted.size() > 1 ? " were" : " was") +
          " not given a size with --dim, so r1c compiled its default sizes " + sizes +
          "; if the model runs at other sizes only, give them: --dim " + defaulted.front() +
          "=SIZE[,SIZE...]\n";
  return note;
}

std::string bucketSymbolSuffix(const ShapeBucket &bucket) {
  std::string text;
  for (const auto &[name, size] : bucket) {
    if (!text.empty())
      text += "_";
    for (char c : name)
      text.push_back(llvm::isAlnum(c) ? c : '_');
    text += std::to_string(size);
  }
  return text;
}

} // namespace r1c
