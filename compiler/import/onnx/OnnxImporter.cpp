//===- OnnxImporter.cpp - ONNX protobuf to r1.onnx_node graph -------------===//
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/onnx/OnnxModelReader.h"
#include "compiler/import/onnx/OnnxTypes.h"
#include "compiler/import/onnx/TensorConversion.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "onnx/onnx_pb.h"

#include <deque>

using namespace mlir;

namespace r1c {
namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, const onnx::ModelProto &model, StringRef path)
      : context(context), builder(&context), model(model), graph(model.graph()),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult readOpsets();
  LogicalResult sortNodes(SmallVectorImpl<const onnx::NodeProto *> &order);
  LogicalResult importNode(const onnx::NodeProto &node, int index);
  FailureOr<Attribute> convertAttribute(const onnx::AttributeProto &attr,
                                        const onnx::NodeProto &node, Location loc);

  /// Location of a node (or the constant of an initializer): its name, in the file.
  Location nameLoc(StringRef name) {
    return NameLoc::get(builder.getStringAttr(name), fileLoc);
  }
  static std::string displayName(const onnx::NodeProto &node, int index) {
    return node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                               : node.name();
  }

  MLIRContext &context;
  OpBuilder builder;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  Location fileLoc;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<Value> values;
  llvm::StringMap<const onnx::TypeProto *> declaredTypes;
};

LogicalResult GraphImporter::readOpsets() {
  for (const auto &entry : model.opset_import()) {
    std::string domain = entry.domain() == "ai.onnx" ? "" : entry.domain();
    opsets[domain] = entry.version();
  }
  auto defaultOpset = opsets.find("");
  if (defaultOpset == opsets.end()) {
    bool usesDefault = llvm::any_of(graph.node(), [](const onnx::NodeProto &node) {
      return node.domain().empty() || node.domain() == "ai.onnx";
    });
    if (!usesDefault)
      return success();
    return emitError(fileLoc) << "model imports no opset of the default ONNX domain";
  }
  int64_t version = defaultOpset->second;
  if (version < kMinOnnxOpset || version > kMaxOnnxOpset)
    return emitError(fileLoc) << "model imports opset " << version
                              << " of the default ONNX domain; r1c supports opsets "
                              << kMinOnnxOpset << " to " << kMaxOnnxOpset;
  return success();
}

/// Orders nodes so each comes after the producers of its inputs (ONNX asks
/// files to be sorted, but not every exporter does).
LogicalResult GraphImporter::sortNodes(SmallVectorImpl<const onnx::NodeProto *> &order) {
  llvm::StringMap<int> producer;
  llvm::StringSet<> available;
  available.insert("");
  for (const auto &init : graph.initializer())
    available.insert(init.name());
  for (const auto &input : graph.input())
    available.insert(input.name());
  int count = graph.node_size();
  for (int i = 0; i < count; ++i) {
    const auto &node = graph.node(i);
    for (const std::string &output : node.output()) {
      if (output.empty())
        continue;
      auto [it, inserted] = producer.try_emplace(output, i);
      if (!inserted || available.contains(output)) {
        std::string first = inserted ? "a graph input or initializer"
                                     : "node '" + displayName(graph.node(it->second),
                                                              it->second) + "'";
        return emitError(nameLoc(displayName(node, i)))
               << "value '" << output << "' is defined twice: by " << first
               << " and by node '" << displayName(node, i) << "'";
      }
    }
  }
  // Kahn's algorithm, stable in file order.
  SmallVector<int> pending(count, 0);
  llvm::StringMap<SmallVector<int>> consumers;
  for (int i = 0; i < count; ++i)
    for (const std::string &input : graph.node(i).input())
      if (!available.contains(input)) {
        ++pending[i];
        consumers[input].push_back(i);
      }
  std::deque<int> ready;
  for (int i = 0; i < count; ++i)
    if (pending[i] == 0)
      ready.push_back(i);
  SmallVector<bool> done(count, false);
  while (!ready.empty()) {
    int i = ready.front();
    ready.pop_front();
    done[i] = true;
    order.push_back(&graph.node(i));
    for (const std::string &output : graph.node(i).output()) {
      auto it = consumers.find(output);
      if (it == consumers.end())
        continue;
      for (int consumer : it->second)
        if (--pending[consumer] == 0)
          ready.push_back(consumer);
      consumers.erase(it);
    }
  }
  if (int64_t(order.size()) == count)
    return success();
  // Report the first node that never became ready, and why.
  for (int i = 0; i < count; ++i) {
    if (done[i])
      continue;
    const auto &node = graph.node(i);
    for (const std::string &input : node.input()) {
      if (available.contains(input))
        continue;
      auto it = producer.find(input);
      if (it != producer.end() && done[it->second])
        continue;
      InFlightDiagnostic diag = emitError(nameLoc(displayName(node, i)))
                                << node.op_type() << " reads undefined value '" << input
                                << "'";
      if (it != producer.end())
        diag << ": its producer '" << displayName(graph.node(it->second), it->second)
             << "' depends on this node (a cycle)";
      return diag;
    }
  }
  return emitError(fileLoc) << "graph nodes cannot be ordered";
}

FailureOr<Attribute> GraphImporter::convertAttribute(const onnx::AttributeProto &attr,
                                                     const onnx::NodeProto &node,
                                                     Location loc) {
  using A = onnx::AttributeProto;
  auto type = attr.type();
  // Old files leave `type` unset; infer it from the field that is present.
  if (type == A::UNDEFINED) {
    if (attr.has_f()) type = A::FLOAT;
    else if (attr.has_i()) type = A::INT;
    else if (attr.has_s()) type = A::STRING;
    else if (attr.has_t()) type = A::TENSOR;
    else if (attr.has_g()) type = A::GRAPH;
    else if (attr.floats_size()) type = A::FLOATS;
    else if (attr.ints_size()) type = A::INTS;
    else if (attr.strings_size()) type = A::STRINGS;
  }
  switch (type) {
  case A::FLOAT: return Attribute(builder.getF32FloatAttr(attr.f()));
  case A::INT: return Attribute(builder.getI64IntegerAttr(attr.i()));
  case A::STRING: return Attribute(builder.getStringAttr(attr.s()));
  case A::FLOATS:
    return Attribute(builder.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end())));
  case A::INTS:
    return Attribute(builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
  case A::STRINGS: {
    SmallVector<Attribute> strings;
    for (const std::string &s : attr.strings())
      strings.push_back(builder.getStringAttr(s));
    return Attribute(builder.getArrayAttr(strings));
  }
  case A::TENSOR: {
    std::string what = "attribute '" + attr.name() + "' of " + node.op_type();
    auto tensor = convertOnnxTensor(attr.t(), what, node.name() + "_" + attr.name(), loc);
    if (failed(tensor))
      return failure();
    return Attribute(*tensor);
  }
  default:
    return emitError(loc) << node.op_type() << " attribute '" << attr.name()
                          << "' is a subgraph, sparse tensor or type; these are "
                          << "unsupported",
           failure();
  }
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, int index) {
  Location loc = nameLoc(displayName(node, index));
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  auto opset = opsets.find(domain);
  int64_t version = opset == opsets.end() ? 0 : opset->second;

  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(builder.create<r1::NoneOp>(loc));
      continue;
    }
    // The sort put producers first, so every input is defined by now.
    inputs.push_back(values.lookup(name));
  }
  SmallVector<Type> resultTypes;
  for (const std::string &name : node.output()) {
    Type type = r1::UnknownType::get(&context);
    if (const onnx::TypeProto *declared = declaredTypes.lookup(name)) {
      auto converted = convertOnnxType(*declared, "value '" + name + "'", loc);
      if (failed(converted))
        return failure();
      type = *converted;
    }
    resultTypes.push_back(type);
  }
  SmallVector<NamedAttribute> attrs;
  for (const auto &attr : node.attribute()) {
    auto converted = convertAttribute(attr, node, loc);
    if (failed(converted))
      return failure();
    attrs.emplace_back(builder.getStringAttr(attr.name()), *converted);
  }
  auto op = builder.create<r1::OnnxNodeOp>(
      loc, resultTypes, builder.getStringAttr(node.op_type()), builder.getStringAttr(domain),
      builder.getI64IntegerAttr(version), builder.getStringAttr(node.name()),
      builder.getDictionaryAttr(attrs), inputs);
  for (auto [name, result] : llvm::zip(node.output(), op.getResults()))
    if (!name.empty())
      values[name] = result;
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(readOpsets()))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  for (const auto &info : graph.value_info())
    declaredTypes[info.name()] = &info.type();
  for (const auto &output : graph.output())
    if (output.has_type())
      declaredTypes[output.name()] = &output.type();

  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());

  // Graph inputs that are also initializers are weights with defaults (old
  // IR versions list them as inputs); r1c treats them as constants.
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    auto type = convertOnnxType(input.type(), "graph input '" + input.name() + "'", fileLoc);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    args.push_back(&input);
  }
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    if (!output.has_type()) {
      resultTypes.push_back(r1::UnknownType::get(&context));
      continue;
    }
    auto type =
        convertOnnxType(output.type(), "graph output '" + output.name() + "'", fileLoc);
    if (failed(type))
      return nullptr;
    resultTypes.push_back(*type);
  }

  SmallVector<const onnx::NodeProto *> order;
  if (failed(sortNodes(order)))
    return nullptr;

  auto func = builder.create<func::FuncOp>(fileLoc, "main",
                                           builder.getFunctionType(argTypes, resultTypes));
  Block *entry = func.addEntryBlock();
  for (auto [index, input] : llvm::enumerate(args)) {
    values[input->name()] = entry->getArgument(index);
    func.setArgAttr(index, "r1.name", builder.getStringAttr(input->name()));
    // Keep the names of symbolic dims, e.g. "batch", for the user-facing API
    // and --dim. A symbolic dim the model leaves unnamed (no dim_param, "?"
    // as some exporters write for every unknown dim, or -1) is named after
    // its input and axis ("x.1"), so that --dim can size each on its own.
    const auto &shape = input->type().tensor_type().shape();
    SmallVector<Attribute> dimNames;
    bool anyNamed = false;
    for (auto [axis, dim] : llvm::enumerate(shape.dim())) {
      std::string name = dim.dim_param();
      bool symbolic = !dim.has_dim_value() || dim.dim_value() == -1;
      if (symbolic && (name.empty() || name == "?"))
        name = input->name() + "." + std::to_string(axis);
      dimNames.push_back(builder.getStringAttr(symbolic ? name : ""));
      anyNamed |= symbolic;
    }
    if (anyNamed)
      func.setArgAttr(index, "r1.dim_names", builder.getArrayAttr(dimNames));
  }
  builder.setInsertionPointToStart(entry);

  for (const auto &init : graph.initializer()) {
    auto value =
        convertOnnxTensor(init, "initializer '" + init.name() + "'", init.name(), fileLoc);
    if (failed(value))
      return nullptr;
    values[init.name()] = builder.create<r1::ConstantOp>(nameLoc(init.name()), *value);
  }
  for (auto [index, node] : llvm::enumerate(order))
    if (failed(importNode(*node, index)))
      return nullptr;

  SmallVector<Value> results;
  for (auto [index, output] : llvm::enumerate(graph.output())) {
    Value value = values.lookup(output.name());
    if (!value) {
      emitError(fileLoc)
          << "graph output '" << output.name()
          << "' is undefined: no node, input or initializer produces it";
      return nullptr;
    }
    func.setResultAttr(index, "r1.name", builder.getStringAttr(output.name()));
    results.push_back(value);
  }
  builder.create<func::ReturnOp>(fileLoc, results);
  // Outputs that are graph inputs or constants carry their own types.
  func.setFunctionType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &context, const onnx::ModelProto &model,
                                      StringRef modelPath) {
  context.loadDialect<r1::R1Dialect, func::FuncDialect>();
  return GraphImporter(context, model, modelPath).run();
}

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &context, StringRef path) {
  std::string error;
  std::unique_ptr<onnx::ModelProto> model = readOnnxModel(path.str(), error);
  if (!model) {
    // The message names the file already.
    emitError(UnknownLoc::get(&context)) << error;
    return nullptr;
  }
  return importOnnxModel(context, *model, path);
}

} // namespace r1c
