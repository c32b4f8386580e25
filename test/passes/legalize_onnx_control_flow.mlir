// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// If, Loop and Scan (passes/LegalizeOnnx/ControlFlow.cpp): subgraphs are
// inlined and legalized in place, loops unrolled with their iteration
// numbers folded in.

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

// -----

// A constant trip count unrolls: each copy of the body sees its iteration
// number as a constant (so the Slice bounds it computes fold), carried
// values flow from copy to copy and scan outputs stack along a new first dim.
// CHECK-LABEL: func @loop_constant_trip_count
// CHECK-SAME: (%[[Y:.*]]: tensor<1xf32>) -> (tensor<1xf32>, tensor<3x1xf32>)
func.func @loop_constant_trip_count(%y: tensor<1xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[T0:.*]] = r1.slice %{{.*}} {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
  // CHECK: %[[A0:.*]] = r1.add %[[Y]], %[[T0]]
  // CHECK: %[[T1:.*]] = r1.slice %{{.*}} {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>}
  // CHECK: %[[A1:.*]] = r1.add %[[A0]], %[[T1]]
  // CHECK: %[[T2:.*]] = r1.slice %{{.*}} {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 2>, steps = array<i64: 1>}
  // CHECK: %[[A2:.*]] = r1.add %[[A1]], %[[T2]]
  // CHECK: %[[S:.*]] = r1.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<3x1xf32>
  // CHECK-NOT: r1.onnx_node
  // CHECK: return %[[A2]], %[[S]]
  %m = r1.constant dense<3> : tensor<i64>
  %none = r1.none
  %0:2 = r1.onnx_node "Loop"(%m, %none, %y) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 11 : i64, subgraphs = ["body"]} : (tensor<i64>, none, tensor<1xf32>) -> (!r1.unknown, !r1.unknown) ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<1xf32>):
    %table = r1.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
    %one = r1.constant dense<1> : tensor<i64>
    %end = r1.onnx_node "Add"(%i, %one) {domain = "", node_name = "", onnx_attrs = {}, opset = 11 : i64} : (tensor<i64>, tensor<i64>) -> !r1.unknown
    %s = r1.onnx_node "Unsqueeze"(%i) {domain = "", node_name = "", onnx_attrs = {axes = array<i64: 0>}, opset = 11 : i64} : (tensor<i64>) -> !r1.unknown
    %e = r1.onnx_node "Unsqueeze"(%end) {domain = "", node_name = "", onnx_attrs = {axes = array<i64: 0>}, opset = 11 : i64} : (!r1.unknown) -> !r1.unknown
    %slice = r1.onnx_node "Slice"(%table, %s, %e) {domain = "", node_name = "", onnx_attrs = {}, opset = 11 : i64} : (tensor<4xf32>, !r1.unknown, !r1.unknown) -> !r1.unknown
    %next = r1.onnx_node "Add"(%v, %slice) {domain = "", node_name = "", onnx_attrs = {}, opset = 11 : i64} : (tensor<1xf32>, !r1.unknown) -> !r1.unknown
    r1.onnx_yield %cond, %next, %next : tensor<i1>, !r1.unknown, !r1.unknown
  })
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// The body's condition, folded per copy, ends the loop early: iteration 1
// computes `1 < 1`, so two iterations run of the ten allowed.
// CHECK-LABEL: func @loop_condition_folds
// CHECK-SAME: (%[[V:.*]]: tensor<2xf32>) -> tensor<2xf32>
func.func @loop_condition_folds(%v0: tensor<2xf32>) -> !r1.unknown {
  // CHECK: %[[A:.*]] = r1.add %[[V]], %[[V]]
  // CHECK: %[[B:.*]] = r1.add %[[A]], %[[A]]
  // CHECK-NOT: r1.add
  // CHECK: return %[[B]]
  %m = r1.constant dense<10> : tensor<i64>
  %c = r1.constant dense<true> : tensor<i1>
  %0 = r1.onnx_node "Loop"(%m, %c, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %one = r1.constant dense<1> : tensor<i64>
    %more = r1.onnx_node "Less"(%i, %one) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<i64>, tensor<i64>) -> !r1.unknown
    %next = r1.onnx_node "Add"(%v, %v) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<2xf32>, tensor<2xf32>) -> !r1.unknown
    r1.onnx_yield %more, %next : !r1.unknown, !r1.unknown
  })
  return %0 : !r1.unknown
}

// -----

// An If in the body whose condition is the iteration number folds in each
// copy: iteration 0 takes one branch, iteration 1 the other.
// CHECK-LABEL: func @loop_nested_if
// CHECK-SAME: (%[[V:.*]]: tensor<2xf32>) -> tensor<2xf32>
func.func @loop_nested_if(%v0: tensor<2xf32>) -> !r1.unknown {
  // CHECK-NOT: r1.where
  // CHECK: %[[A:.*]] = r1.neg %[[V]]
  // CHECK: %[[B:.*]] = r1.relu %[[A]]
  // CHECK-NOT: r1.where
  // CHECK: return %[[B]]
  %m = r1.constant dense<2> : tensor<i64>
  %none = r1.none
  %0 = r1.onnx_node "Loop"(%m, %none, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, none, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %zero = r1.constant dense<0> : tensor<i64>
    %first = r1.onnx_node "Equal"(%i, %zero) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<i64>, tensor<i64>) -> !r1.unknown
    %next = r1.onnx_node "If"(%first) {domain = "", node_name = "inner", onnx_attrs = {}, opset = 16 : i64,
        subgraphs = ["then_branch", "else_branch"]} : (!r1.unknown) -> !r1.unknown ({
      %n = r1.onnx_node "Neg"(%v) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<2xf32>) -> !r1.unknown
      r1.onnx_yield %n : !r1.unknown
    }, {
      %r = r1.onnx_node "Relu"(%v) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<2xf32>) -> !r1.unknown
      r1.onnx_yield %r : !r1.unknown
    })
    r1.onnx_yield %cond, %next : tensor<i1>, !r1.unknown
  })
  return %0 : !r1.unknown
}

// -----

// A trip count from data is unknown when compiling...
func.func @loop_data_trip_count(%m: tensor<i64>, %v0: tensor<2xf32>) -> !r1.unknown {
  %none = r1.none
  // expected-error @+1 {{Loop (opset 16): the trip count is computed from data and no scan output declares a static length; r1c unrolls loops, which needs the number of iterations when compiling}}
  %0 = r1.onnx_node "Loop"(%m, %none, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, none, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    r1.onnx_yield %cond, %v : tensor<i1>, tensor<2xf32>
  })
  return %0 : !r1.unknown
}

// -----

// ... unless a scan output's declared length says how many iterations run
// (as in Range written as a Loop).
// CHECK-LABEL: func @loop_declared_length
// CHECK-SAME: (%[[M:.*]]: tensor<i64>, %[[C:.*]]: tensor<i1>, %[[V:.*]]: tensor<f32>) -> tensor<2xf32>
func.func @loop_declared_length(%m: tensor<i64>, %c: tensor<i1>, %v0: tensor<f32>) -> tensor<2xf32> {
  // CHECK: %[[A:.*]] = r1.add %[[V]], %[[V]]
  // CHECK: %[[S0:.*]] = r1.unsqueeze %[[V]]
  // CHECK: %[[S1:.*]] = r1.unsqueeze %[[A]]
  // CHECK: %[[S:.*]] = r1.concat %[[S0]], %[[S1]]
  // CHECK: return %[[S]]
  %0:2 = r1.onnx_node "Loop"(%m, %c, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 11 : i64, subgraphs = ["body"]} : (tensor<i64>, tensor<i1>, tensor<f32>) -> (!r1.unknown, tensor<2xf32>) ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<f32>):
    %next = r1.onnx_node "Add"(%v, %v) {domain = "", node_name = "", onnx_attrs = {}, opset = 11 : i64} : (tensor<f32>, tensor<f32>) -> !r1.unknown
    r1.onnx_yield %cond, %next, %v : tensor<i1>, !r1.unknown, tensor<f32>
  })
  return %0#1 : tensor<2xf32>
}

// -----

func.func @loop_data_condition(%c: tensor<i1>, %v0: tensor<2xf32>) -> !r1.unknown {
  %m = r1.constant dense<4> : tensor<i64>
  // expected-error @+1 {{Loop (opset 16): the condition is computed from data; r1c unrolls loops, which needs the number of iterations when compiling}}
  %0 = r1.onnx_node "Loop"(%m, %c, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    r1.onnx_yield %cond, %v : tensor<i1>, tensor<2xf32>
  })
  return %0 : !r1.unknown
}

// -----

func.func @loop_body_condition_from_data(%v0: tensor<2xf32>) -> !r1.unknown {
  %m = r1.constant dense<4> : tensor<i64>
  %none = r1.none
  // expected-error @+1 {{Loop (opset 16): the body computes its condition from data (iteration 0); r1c unrolls loops, which needs the number of iterations when compiling}}
  %0 = r1.onnx_node "Loop"(%m, %none, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, none, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %zero = r1.constant dense<0.0> : tensor<f32>
    %s = r1.onnx_node "ReduceSum"(%v) {domain = "", node_name = "", onnx_attrs = {keepdims = 0 : i64}, opset = 16 : i64} : (tensor<2xf32>) -> !r1.unknown
    %more = r1.onnx_node "Greater"(%s, %zero) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (!r1.unknown, tensor<f32>) -> !r1.unknown
    r1.onnx_yield %more, %v : !r1.unknown, tensor<2xf32>
  })
  return %0 : !r1.unknown
}

// -----

func.func @loop_too_long(%v0: tensor<2xf32>) -> !r1.unknown {
  %m = r1.constant dense<100000> : tensor<i64>
  %none = r1.none
  // expected-error @+1 {{Loop (opset 16): unrolling 100000 iterations of a body of 1 nodes is beyond r1c's limit of 20000 copied nodes}}
  %0 = r1.onnx_node "Loop"(%m, %none, %v0) {domain = "", node_name = "loop", onnx_attrs = {},
      opset = 16 : i64, subgraphs = ["body"]} : (tensor<i64>, none, tensor<2xf32>) -> !r1.unknown ({
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    %next = r1.onnx_node "Neg"(%v) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<2xf32>) -> !r1.unknown
    r1.onnx_yield %cond, %next : tensor<i1>, !r1.unknown
  })
  return %0 : !r1.unknown
}

// -----

// Scan: the scan input is read along axis 1 from the end, the scan output
// is stacked along axis 1 and reversed.
// CHECK-LABEL: func @scan_axes_directions
// CHECK-SAME: (%[[S:.*]]: tensor<2xf32>, %[[X:.*]]: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2x3xf32>)
func.func @scan_axes_directions(%s0: tensor<2xf32>, %x: tensor<2x3xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: %[[X2:.*]] = r1.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: 3>, starts = array<i64: 2>, steps = array<i64: 1>}
  // CHECK: %[[E2:.*]] = r1.squeeze %[[X2]] {axes = array<i64: 1>}
  // CHECK: %[[A:.*]] = r1.add %[[S]], %[[E2]]
  // CHECK: %[[X1:.*]] = r1.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>}
  // CHECK: %[[B:.*]] = r1.add %[[A]]
  // CHECK: %[[X0:.*]] = r1.slice %[[X]] {axes = array<i64: 1>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>}
  // CHECK: %[[C:.*]] = r1.add %[[B]]
  // CHECK: %[[UC:.*]] = r1.unsqueeze %[[C]] {axes = array<i64: 1>}
  // CHECK: %[[UB:.*]] = r1.unsqueeze %[[B]] {axes = array<i64: 1>}
  // CHECK: %[[UA:.*]] = r1.unsqueeze %[[A]] {axes = array<i64: 1>}
  // CHECK: %[[Y:.*]] = r1.concat %[[UC]], %[[UB]], %[[UA]] {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  // CHECK: return %[[C]], %[[Y]]
  %0:2 = r1.onnx_node "Scan"(%s0, %x) {domain = "", node_name = "scan", opset = 16 : i64,
      onnx_attrs = {num_scan_inputs = 1 : i64, scan_input_axes = array<i64: -1>,
                    scan_input_directions = array<i64: 1>, scan_output_axes = array<i64: -1>,
                    scan_output_directions = array<i64: 1>},
      subgraphs = ["body"]} : (tensor<2xf32>, tensor<2x3xf32>) -> (!r1.unknown, !r1.unknown) ({
  ^bb0(%s: tensor<2xf32>, %e: tensor<2xf32>):
    %next = r1.onnx_node "Add"(%s, %e) {domain = "", node_name = "", onnx_attrs = {}, opset = 16 : i64} : (tensor<2xf32>, tensor<2xf32>) -> !r1.unknown
    r1.onnx_yield %next, %next : !r1.unknown, !r1.unknown
  })
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

func.func @scan_dynamic_length(%s0: tensor<2xf32>, %x: tensor<?x2xf32>) -> !r1.unknown {
  // expected-error @+1 {{Scan (opset 16): scan input #0 has a dynamic sequence length; r1c unrolls scans, which needs it when compiling}}
  %0 = r1.onnx_node "Scan"(%s0, %x) {domain = "", node_name = "scan", opset = 16 : i64,
      onnx_attrs = {num_scan_inputs = 1 : i64}, subgraphs = ["body"]} : (tensor<2xf32>, tensor<?x2xf32>) -> !r1.unknown ({
  ^bb0(%s: tensor<2xf32>, %e: tensor<2xf32>):
    r1.onnx_yield %s : tensor<2xf32>
  })
  return %0 : !r1.unknown
}

// -----

// Scan in opset 8 runs the body per batch entry; sequence_lens may only
// repeat the sequence length.
// CHECK-LABEL: func @scan8_batch
// CHECK-SAME: (%[[S:.*]]: tensor<2x1xf32>, %[[X:.*]]: tensor<2x3x1xf32>) -> (tensor<2x1xf32>, tensor<2x3x1xf32>)
func.func @scan8_batch(%s0: tensor<2x1xf32>, %x: tensor<2x3x1xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK-COUNT-6: r1.add
  // CHECK: %[[Y:.*]] = r1.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<1x3x1xf32>, tensor<1x3x1xf32>) -> tensor<2x3x1xf32>
  // CHECK: return %{{.*}}, %[[Y]]
  %lens = r1.constant dense<[3, 3]> : tensor<2xi32>
  %0:2 = r1.onnx_node "Scan"(%lens, %s0, %x) {domain = "", node_name = "scan", opset = 8 : i64,
      onnx_attrs = {num_scan_inputs = 1 : i64}, subgraphs = ["body"]}
      : (tensor<2xi32>, tensor<2x1xf32>, tensor<2x3x1xf32>) -> (!r1.unknown, !r1.unknown) ({
  ^bb0(%s: tensor<1xf32>, %e: tensor<1xf32>):
    %next = r1.onnx_node "Add"(%s, %e) {domain = "", node_name = "", onnx_attrs = {}, opset = 8 : i64} : (tensor<1xf32>, tensor<1xf32>) -> !r1.unknown
    r1.onnx_yield %next, %next : !r1.unknown, !r1.unknown
  })
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

func.func @scan8_sequence_lens(%lens: tensor<2xi32>, %s0: tensor<2x1xf32>, %x: tensor<2x3x1xf32>) -> !r1.unknown {
  // expected-error @+1 {{Scan (opset 8): sequence_lens must be absent or a constant equal to the sequence length 3 for every batch entry}}
  %0 = r1.onnx_node "Scan"(%lens, %s0, %x) {domain = "", node_name = "scan", opset = 8 : i64,
      onnx_attrs = {num_scan_inputs = 1 : i64}, subgraphs = ["body"]}
      : (tensor<2xi32>, tensor<2x1xf32>, tensor<2x3x1xf32>) -> !r1.unknown ({
  ^bb0(%s: tensor<1xf32>, %e: tensor<1xf32>):
    r1.onnx_yield %s : tensor<1xf32>
  })
  return %0 : !r1.unknown
}
