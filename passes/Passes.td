// Passes of r1c, grouped by area.
#ifndef R1C_PASSES_TD
#define R1C_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

def LegalizeOnnx : Pass<"r1c-legalize-onnx", "::mlir::func::FuncOp"> {
  let summary = "Replace imported ONNX nodes with typed r1 ops, by op type and opset";
  let description = [{
    Visits `r1.onnx_node` ops in program order and rewrites each with the
    pattern registered for its op type at the largest opset not above the
    node's. New ops get inferred types, are verified and folded before the
    next node is visited, so shape computations become constants and later
    nodes see static shapes. A node with no pattern, or whose new ops do not
    verify, is an error naming the node. Finally the function's result types
    are updated to the inferred ones.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

#endif // R1C_PASSES_TD
