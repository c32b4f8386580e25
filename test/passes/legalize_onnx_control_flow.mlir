// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// If (passes/LegalizeOnnx/ControlFlow.cpp): subgraphs are inlined and
// legalized in place.

// A constant condition keeps the branch it takes; the other is never
// legalized (its Add would not broadcast).
// CHECK-LABEL: func @if_constant
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>, %[[Y:.*]]: tensor<3xf32>) -> tensor<2xf32>
func.func @if_constant(%x: tensor<2xf32>, %y: tensor<3xf32>) -> !r1.unknown {
  // CHECK-NOT: r1.add
  // CHECK: %[[N:.*]] = r1.neg %[[X]]
  // CHECK-NEXT: return %[[N]]
  %c = r1.constant dense<false> : tensor<1xi1>
  %0 = r1.onnx_node "If"(%c) {domain = "", node_name = "if", onnx_attrs = {}, opset = 17 : i64,
      subgraphs = ["then_branch", "else_branch"]} : (tensor<1xi1>) -> !r1.unknown ({
    %a = r1.onnx_node "Add"(%x, %y) {domain = "", node_name = "bad", onnx_attrs = {}, opset = 17 : i64} : (tensor<2xf32>, tensor<3xf32>) -> !r1.unknown
    r1.onnx_yield %a : !r1.unknown
  }, {
    %n = r1.onnx_node "Neg"(%x) {domain = "", node_name = "neg", onnx_attrs = {}, opset = 17 : i64} : (tensor<2xf32>) -> !r1.unknown
    r1.onnx_yield %n : !r1.unknown
  })
  return %0 : !r1.unknown
}

// -----

// A condition from data runs both branches and selects; the one-element
// condition becomes a scalar so that it broadcasts.
// CHECK-LABEL: func @if_data
// CHECK-SAME: (%[[C:.*]]: tensor<1xi1>, %[[X:.*]]: tensor<2x3xf32>)
func.func @if_data(%c: tensor<1xi1>, %x: tensor<2x3xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[R:.*]] = r1.relu %[[X]]
  // CHECK: %[[N:.*]] = r1.neg %[[X]]
  // CHECK: %[[FLAG:.*]] = r1.reshape %[[C]], %{{.*}} {allowzero = false} : (tensor<1xi1>, tensor<0xi64>) -> tensor<i1>
  // CHECK: %[[W:.*]] = r1.where %[[FLAG]], %[[R]], %[[N]] : (tensor<i1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: return %[[W]], %[[X]]
  %0:2 = r1.onnx_node "If"(%c) {domain = "", node_name = "if", onnx_attrs = {}, opset = 17 : i64,
      subgraphs = ["then_branch", "else_branch"]} : (tensor<1xi1>) -> (!r1.unknown, !r1.unknown) ({
    %r = r1.onnx_node "Relu"(%x) {domain = "", node_name = "", onnx_attrs = {}, opset = 17 : i64} : (tensor<2x3xf32>) -> !r1.unknown
    r1.onnx_yield %r, %x : !r1.unknown, tensor<2x3xf32>
  }, {
    %n = r1.onnx_node "Neg"(%x) {domain = "", node_name = "", onnx_attrs = {}, opset = 17 : i64} : (tensor<2x3xf32>) -> !r1.unknown
    r1.onnx_yield %n, %x : !r1.unknown, tensor<2x3xf32>
  })
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

func.func @if_data_types_differ(%c: tensor<i1>, %x: tensor<2x3xf32>) -> !r1.unknown {
  // expected-error @+1 {{If (opset 17): the condition is computed from data, so r1c computes both branches and selects, which needs outputs of one type; output #0 is 'tensor<2x3xf32>' in then_branch but 'tensor<3x2xf32>' in else_branch}}
  %0 = r1.onnx_node "If"(%c) {domain = "", node_name = "if", onnx_attrs = {}, opset = 17 : i64,
      subgraphs = ["then_branch", "else_branch"]} : (tensor<i1>) -> !r1.unknown ({
    r1.onnx_yield %x : tensor<2x3xf32>
  }, {
    %t = r1.onnx_node "Transpose"(%x) {domain = "", node_name = "", onnx_attrs = {}, opset = 17 : i64} : (tensor<2x3xf32>) -> !r1.unknown
    r1.onnx_yield %t : !r1.unknown
  })
  return %0 : !r1.unknown
}
