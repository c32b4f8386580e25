// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// RNN, GRU and LSTM (passes/LegalizeOnnx/Recurrent.cpp), unrolled over the
// sequence: one matmul projects every step's input up front, each step then
// multiplies H by R^T (transposed once per direction) and applies the gates.

// CHECK-LABEL: func @lstm_forward
// CHECK-SAME: -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
func.func @lstm_forward(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>, %b: tensor<1x40xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[FLAT:.*]] = r1.reshape %{{.*}} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  // CHECK: %[[WT:.*]] = r1.transpose %{{.*}} : (tensor<20x4xf32>) -> tensor<4x20xf32>
  // CHECK: r1.matmul %[[FLAT]], %[[WT]] : (tensor<6x4xf32>, tensor<4x20xf32>) -> tensor<6x20xf32>
  // CHECK: %[[RT:.*]] = r1.transpose %{{.*}} : (tensor<20x5xf32>) -> tensor<5x20xf32>
  // CHECK-NOT: r1.transpose
  // CHECK: r1.matmul %{{.*}}, %[[RT]] : (tensor<3x5xf32>, tensor<5x20xf32>) -> tensor<3x20xf32>
  // CHECK: r1.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 5, 5, 5, 5>}
  // CHECK-COUNT-3: r1.sigmoid
  // CHECK: r1.matmul %{{.*}}, %[[RT]] : (tensor<3x5xf32>, tensor<5x20xf32>) -> tensor<3x20xf32>
  // CHECK-NOT: r1.matmul
  // CHECK-NOT: r1.onnx_node
  %0:3 = r1.onnx_node "LSTM"(%x, %w, %r, %b) {domain = "", node_name = "lstm", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, tensor<1x40xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %0#0, %0#1, %0#2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// Without linear_before_reset, GRU multiplies H by the z and r columns of
// R^T and r * H by the h columns.
// CHECK-LABEL: func @gru_reset_before_linear
func.func @gru_reset_before_linear(%x: tensor<2x3x4xf32>, %w: tensor<1x15x4xf32>, %r: tensor<1x15x5xf32>) -> !r1.unknown {
  // CHECK: r1.matmul %{{.*}} : (tensor<6x4xf32>, tensor<4x15xf32>) -> tensor<6x15xf32>
  // CHECK: %[[RZR:.*]] = r1.transpose %{{.*}} : (tensor<10x5xf32>) -> tensor<5x10xf32>
  // CHECK: %[[RH:.*]] = r1.transpose %{{.*}} : (tensor<5x5xf32>) -> tensor<5x5xf32>
  // CHECK: r1.matmul %{{.*}}, %[[RZR]] : (tensor<3x5xf32>, tensor<5x10xf32>) -> tensor<3x10xf32>
  // CHECK: %[[RESET:.*]] = r1.mul
  // CHECK: r1.matmul %[[RESET]], %[[RH]]
  %0:2 = r1.onnx_node "GRU"(%x, %w, %r) {domain = "", node_name = "gru", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x15x4xf32>, tensor<1x15x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// With it, one matmul by all of R^T, and Rbh stays inside the reset product.
// CHECK-LABEL: func @gru_linear_before_reset
func.func @gru_linear_before_reset(%x: tensor<2x3x4xf32>, %w: tensor<1x15x4xf32>, %r: tensor<1x15x5xf32>, %b: tensor<1x30xf32>) -> !r1.unknown {
  // CHECK: %[[RT:.*]] = r1.transpose %{{.*}} : (tensor<15x5xf32>) -> tensor<5x15xf32>
  // CHECK: %[[HR:.*]] = r1.matmul %{{.*}}, %[[RT]] : (tensor<3x5xf32>, tensor<5x15xf32>) -> tensor<3x15xf32>
  // CHECK: %[[G:.*]]:3 = r1.split %[[HR]]
  // CHECK: %[[LIN:.*]] = r1.add %[[G]]#2, %{{.*}} : (tensor<3x5xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  // CHECK: r1.mul %{{.*}}, %[[LIN]]
  %0:2 = r1.onnx_node "GRU"(%x, %w, %r, %b) {domain = "", node_name = "gru", onnx_attrs = {hidden_size = 5 : i64, linear_before_reset = 1 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x15x4xf32>, tensor<1x15x5xf32>, tensor<1x30xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// The reverse direction starts at the last step; batch-first layout
// transposes X in and Y out.
// CHECK-LABEL: func @rnn_reverse_batch_first
// CHECK-SAME: -> (tensor<2x3x1x5xf32>, tensor<2x1x5xf32>)
func.func @rnn_reverse_batch_first(%x: tensor<2x3x4xf32>, %w: tensor<1x5x4xf32>, %r: tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: r1.transpose %{{.*}} {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  // CHECK: r1.slice %{{.*}} {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 2>, steps = array<i64: 1>} : (tensor<3x2x5xf32>)
  // CHECK: r1.tanh
  // CHECK: r1.slice %{{.*}} {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>} : (tensor<3x2x5xf32>)
  // CHECK: r1.transpose %{{.*}} {perm = array<i64: 2, 0, 1, 3>} : (tensor<3x1x2x5xf32>) -> tensor<2x3x1x5xf32>
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, direction = "reverse", layout = 1 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x5x4xf32>, tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// sequence_lens from data: steps past an entry's length keep its state and
// write zeros; the reverse direction gathers each entry's steps from its own
// last one.
// CHECK-LABEL: func @rnn_bidirectional_sequence_lens
// CHECK-SAME: %[[LENS:[^:]*]]: tensor<2xi32>) -> tensor<3x2x2x5xf32>
func.func @rnn_bidirectional_sequence_lens(%x: tensor<3x2x4xf32>, %w: tensor<2x5x4xf32>, %r: tensor<2x5x5xf32>, %lens: tensor<2xi32>) -> !r1.unknown {
  // CHECK: %[[IN:.*]] = r1.less %{{.*}}, %[[LENS]] : (tensor<i32>, tensor<2xi32>) -> tensor<2xi1>
  // CHECK: %[[MASK:.*]] = r1.unsqueeze %[[IN]]
  // CHECK: r1.where %[[MASK]], %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<2x5xf32>, tensor<f32>) -> tensor<2x5xf32>
  // CHECK: r1.where %[[MASK]], %{{.*}}, %{{.*}} : (tensor<2x1xi1>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  // CHECK: r1.gather_elements %{{.*}} {axis = 0 : i64} : (tensor<3x2x5xf32>, tensor<3x2x5xi32>) -> tensor<3x2x5xf32>
  // CHECK: r1.gather_elements %{{.*}} {axis = 0 : i64} : (tensor<3x2x5xf32>, tensor<3x2x5xi32>) -> tensor<3x2x5xf32>
  %none = r1.none
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r, %none, %lens) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, direction = "bidirectional"}, opset = 14 : i64}
      : (tensor<3x2x4xf32>, tensor<2x5x4xf32>, tensor<2x5x5xf32>, none, tensor<2xi32>) -> (!r1.unknown, !r1.unknown)
  return %0#0 : !r1.unknown
}

// -----

func.func @dynamic_sequence(%x: tensor<?x3x4xf32>, %w: tensor<1x5x4xf32>, %r: tensor<1x5x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{RNN (opset 14): the sequence length of X is dynamic; r1c unrolls recurrent ops over it, which needs it when compiling}}
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<?x3x4xf32>, tensor<1x5x4xf32>, tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

func.func @weights_do_not_match(%x: tensor<2x3x4xf32>, %w: tensor<1x16x4xf32>, %r: tensor<1x15x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{GRU (opset 14): the second dim of W (gates x hidden_size) is 16, expected 15}}
  %0:2 = r1.onnx_node "GRU"(%x, %w, %r) {domain = "", node_name = "gru", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x16x4xf32>, tensor<1x15x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

func.func @unknown_activation(%x: tensor<2x3x4xf32>, %w: tensor<1x5x4xf32>, %r: tensor<1x5x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{RNN (opset 14): unknown activation 'Swish'}}
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, activations = ["Swish"]}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x5x4xf32>, tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

func.func @activation_count(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{LSTM (opset 14): expects 3 activations (3 per direction), got 2}}
  %0:2 = r1.onnx_node "LSTM"(%x, %w, %r) {domain = "", node_name = "lstm", onnx_attrs = {hidden_size = 5 : i64, activations = ["Sigmoid", "Tanh"]}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

func.func @too_long(%x: tensor<5000x1x4xf32>, %w: tensor<2x5x4xf32>, %r: tensor<2x5x5xf32>) -> !r1.unknown {
  // expected-error @+1 {{RNN (opset 14): unrolling 5000 steps in 2 direction(s) is beyond r1c's limit of 2000 steps}}
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, direction = "bidirectional"}, opset = 14 : i64}
      : (tensor<5000x1x4xf32>, tensor<2x5x4xf32>, tensor<2x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}
