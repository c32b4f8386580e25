//===- OnnxImporter.cpp - ONNX protobuf to r1.onnx_node graph -------------===//
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/onnx/OnnxModelReader.h"
#include "compiler/import/onnx/OnnxTypes.h"
#include "compiler/import/onnx/TensorConversion.h"
#include "dialects/R1/IR/R1Ops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

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
  /// The names a graph defines (its inputs, initializers and node outputs)
  /// and the types its value_info and outputs declare. A subgraph sees its
  /// own scope first, then those of the graphs around it.
  struct Scope {
    llvm::StringMap<Value> values;
    llvm::StringMap<const onnx::TypeProto *> declaredTypes;
  };

  LogicalResult readOpsets();
  LogicalResult sortNodes(const onnx::GraphProto &graph,
                          SmallVectorImpl<const onnx::NodeProto *> &order);
  LogicalResult importNode(const onnx::NodeProto &node, int index);
  LogicalResult importSubgraph(const onnx::GraphProto &subgraph, const onnx::NodeProto &node,
                               StringRef attrName, Region &region, Location loc);
  FailureOr<Attribute> convertAttribute(const onnx::AttributeProto &attr,
                                        const onnx::NodeProto &node, Location loc);
  void declareTypes(const onnx::GraphProto &graph);

  /// The value `name` has in the innermost scope that defines it, or null.
  Value lookup(StringRef name) {
    for (Scope &scope : llvm::reverse(scopes))
      if (Value value = scope.values.lookup(name))
        return value;
    return nullptr;
  }
  const onnx::TypeProto *lookupDeclaredType(StringRef name) {
    for (Scope &scope : llvm::reverse(scopes))
      if (const onnx::TypeProto *type = scope.declaredTypes.lookup(name))
        return type;
    return nullptr;
  }

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
  SmallVector<Scope> scopes;
};

/// Whether an attribute holds a subgraph (old files leave `type` unset).
bool isGraphAttribute(const onnx::AttributeProto &attr) {
  return attr.type() == onnx::AttributeProto::GRAPH ||
         (attr.type() == onnx::AttributeProto::UNDEFINED && attr.has_g());
}

/// Adds the names that `graph` reads from the graphs around it: inputs of
/// its nodes (and of their subgraphs) that it does not define itself.
void collectOuterNames(const onnx::GraphProto &graph, llvm::StringSet<> &names) {
  llvm::StringSet<> defined;
  defined.insert("");
  for (const auto &input : graph.input())
    defined.insert(input.name());
  for (const auto &init : graph.initializer())
    defined.insert(init.name());
  for (const auto &node : graph.node())
    for (const std::string &output : node.output())
      defined.insert(output);
  for (const auto &node : graph.node()) {
    llvm::StringSet<> read;
    for (const std::string &input : node.input())
      read.insert(input);
    for (const auto &attr : node.attribute())
      if (isGraphAttribute(attr))
        collectOuterNames(attr.g(), read);
    for (const auto &name : read)
      if (!defined.contains(name.getKey()))
        names.insert(name.getKey());
  }
}

/// What a node needs computed before it: its inputs, then the values of
/// enclosing graphs that its subgraphs read.
SmallVector<std::string> dependenciesOf(const onnx::NodeProto &node) {
  SmallVector<std::string> names(node.input().begin(), node.input().end());
  llvm::StringSet<> captured;
  for (const auto &attr : node.attribute())
    if (isGraphAttribute(attr))
      collectOuterNames(attr.g(), captured);
  for (const auto &name : captured)
    if (!llvm::is_contained(node.input(), name.getKey()))
      names.push_back(name.getKey().str());
  return names;
}

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
/// files to be sorted, but not every exporter does). A node with subgraphs
/// also comes after the producers of the values they read.
LogicalResult GraphImporter::sortNodes(const onnx::GraphProto &graph,
                                       SmallVectorImpl<const onnx::NodeProto *> &order) {
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
  // A subgraph also reads the values of the graphs around it, all imported
  // by now.
  auto isAvailable = [&](StringRef name) {
    return available.contains(name) || (!producer.contains(name) && lookup(name));
  };
  SmallVector<SmallVector<std::string>> dependencies;
  for (int i = 0; i < count; ++i)
    dependencies.push_back(dependenciesOf(graph.node(i)));
  // Kahn's algorithm, stable in file order.
  SmallVector<int> pending(count, 0);
  llvm::StringMap<SmallVector<int>> consumers;
  for (int i = 0; i < count; ++i)
    for (const std::string &input : dependencies[i])
      if (!isAvailable(input)) {
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
    for (const std::string &input : dependencies[i]) {
      if (isAvailable(input))
        continue;
      auto it = producer.find(input);
      if (it != producer.end() && done[it->second])
        continue;
      bool direct = llvm::is_contained(node.input(), input);
      InFlightDiagnostic diag =
          emitError(nameLoc(displayName(node, i)))
          << node.op_type()
          << (direct ? " reads undefined value '" : " has a subgraph that reads undefined value '")
          << input << "'";
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
    else if (attr.graphs_size())
      type = A::GRAPHS;
    else if (attr.has_sparse_tensor())
      type = A::SPARSE_TENSOR;
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
  case A::GRAPHS:
    return emitError(loc) << node.op_type() << " attribute '" << attr.name()
                          << "' is a list of subgraphs; r1c imports single subgraphs only",
           failure();
  case A::SPARSE_TENSOR:
  case A::SPARSE_TENSORS:
    return emitError(loc) << node.op_type() << " attribute '" << attr.name()
                          << "' is a sparse tensor; these are unsupported",
           failure();
  default:
    break;
  }
  return emitError(loc) << node.op_type() << " attribute '" << attr.name()
                        << "' is a type or of an unknown kind; these are unsupported",
         failure();
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
    inputs.push_back(lookup(name));
  }
  SmallVector<Type> resultTypes;
  for (const std::string &name : node.output()) {
    Type type = r1::UnknownType::get(&context);
    if (const onnx::TypeProto *declared = lookupDeclaredType(name)) {
      auto converted = convertOnnxType(*declared, "value '" + name + "'", loc);
      if (failed(converted))
        return failure();
      type = *converted;
    }
    resultTypes.push_back(type);
  }
  SmallVector<NamedAttribute> attrs;
  SmallVector<const onnx::AttributeProto *> graphs;
  SmallVector<Attribute> graphNames;
  for (const auto &attr : node.attribute()) {
    if (isGraphAttribute(attr)) {
      graphs.push_back(&attr);
      graphNames.push_back(builder.getStringAttr(attr.name()));
      continue;
    }
    auto converted = convertAttribute(attr, node, loc);
    if (failed(converted))
      return failure();
    attrs.emplace_back(builder.getStringAttr(attr.name()), *converted);
  }
  auto op = builder.create<r1::OnnxNodeOp>(
      loc, resultTypes, builder.getStringAttr(node.op_type()), builder.getStringAttr(domain),
      builder.getI64IntegerAttr(version), builder.getStringAttr(node.name()),
      builder.getDictionaryAttr(attrs),
      graphs.empty() ? ArrayAttr() : builder.getArrayAttr(graphNames), inputs, graphs.size());
  for (auto [attr, region] : llvm::zip(graphs, op.getBodies()))
    if (failed(importSubgraph(attr->g(), node, attr->name(), region, loc)))
      return failure();
  for (auto [name, result] : llvm::zip(node.output(), op.getResults()))
    if (!name.empty())
      scopes.back().values[name] = result;
  return success();
}

/// A subgraph becomes one block: its inputs are the block's arguments (of
/// unknown type where the file gives none), its nodes are imported like the
/// main graph's, and an r1.onnx_yield returns its outputs.
LogicalResult GraphImporter::importSubgraph(const onnx::GraphProto &subgraph,
                                            const onnx::NodeProto &node, StringRef attrName,
                                            Region &region, Location loc) {
  OpBuilder::InsertionGuard guard(builder);
  Block *block = builder.createBlock(&region);
  scopes.emplace_back();
  auto popScope = llvm::make_scope_exit([&] { scopes.pop_back(); });
  std::string where = "subgraph '" + attrName.str() + "' of " + node.op_type();
  for (const auto &input : subgraph.input()) {
    Type type = r1::UnknownType::get(&context);
    if (input.has_type()) {
      auto converted =
          convertOnnxType(input.type(), "input '" + input.name() + "' of " + where, loc);
      if (failed(converted))
        return failure();
      type = *converted;
    }
    scopes.back().values[input.name()] = block->addArgument(type, loc);
  }
  declareTypes(subgraph);
  for (const auto &init : subgraph.initializer()) {
    auto value =
        convertOnnxTensor(init, "initializer '" + init.name() + "' of " + where, init.name(), loc);
    if (failed(value))
      return failure();
    scopes.back().values[init.name()] = builder.create<r1::ConstantOp>(loc, *value);
  }
  SmallVector<const onnx::NodeProto *> order;
  if (failed(sortNodes(subgraph, order)))
    return failure();
  for (auto [index, inner] : llvm::enumerate(order))
    if (failed(importNode(*inner, index)))
      return failure();
  SmallVector<Value> results;
  for (const auto &output : subgraph.output()) {
    Value value = lookup(output.name());
    if (!value)
      return emitError(loc) << where << ": output '" << output.name()
                            << "' is undefined: no node, input or initializer produces it",
             failure();
    results.push_back(value);
  }
  builder.create<r1::OnnxYieldOp>(loc, results);
  return success();
}

void GraphImporter::declareTypes(const onnx::GraphProto &graph) {
  for (const auto &info : graph.value_info())
    scopes.back().declaredTypes[info.name()] = &info.type();
  for (const auto &output : graph.output())
    if (output.has_type())
      scopes.back().declaredTypes[output.name()] = &output.type();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(readOpsets()))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  scopes.emplace_back();
  declareTypes(graph);

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
  if (failed(sortNodes(graph, order)))
    return nullptr;

  auto func = builder.create<func::FuncOp>(fileLoc, "main",
                                           builder.getFunctionType(argTypes, resultTypes));
  Block *entry = func.addEntryBlock();
  for (auto [index, input] : llvm::enumerate(args)) {
    scopes.back().values[input->name()] = entry->getArgument(index);
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
    scopes.back().values[init.name()] =
        builder.create<r1::ConstantOp>(nameLoc(init.name()), *value);
  }
  for (auto [index, node] : llvm::enumerate(order))
    if (failed(importNode(*node, index)))
      return nullptr;

  SmallVector<Value> results;
  for (auto [index, output] : llvm::enumerate(graph.output())) {
    Value value = lookup(output.name());
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
