// RUN: r1c-opt %s -r1c-legalize-onnx -split-input-file -verify-diagnostics | FileCheck %s

// RNN, GRU and LSTM (passes/LegalizeOnnx/Recurrent.cpp): one matmul projects
// every step's input up front, then one r1.recurrence runs the time loop
// on R as given.

// CHECK-LABEL: func @lstm_forward
// CHECK-SAME: %[[R:[^:]*]]: tensor<1x20x5xf32>
// CHECK-SAME: -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
func.func @lstm_forward(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>, %b: tensor<1x40xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown) {
  // CHECK: %[[FLAT:.*]] = r1.reshape %{{.*}} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  // CHECK: %[[WT:.*]] = r1.transpose %{{.*}} : (tensor<20x4xf32>) -> tensor<4x20xf32>
  // CHECK: r1.matmul %[[FLAT]], %[[WT]] : (tensor<6x4xf32>, tensor<4x20xf32>) -> tensor<6x20xf32>
  // CHECK: %[[XW:.*]] = r1.reshape %{{.*}} -> tensor<2x3x20xf32>
  // CHECK: r1.recurrence %[[XW]], %[[R]] {
  // CHECK-SAME: activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>, #r1.recurrent_activation<tanh>]
  // CHECK-SAME: cell = #r1.recurrent_cell<lstm>, direction = #r1.recurrent_direction<forward>
  // CHECK-SAME: -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
  // CHECK-NOT: r1.matmul
  // CHECK-NOT: r1.onnx_node
  %0:3 = r1.onnx_node "LSTM"(%x, %w, %r, %b) {domain = "", node_name = "lstm", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, tensor<1x40xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %0#0, %0#1, %0#2 : !r1.unknown, !r1.unknown, !r1.unknown
}

// -----

// Initial states, peepholes, clip and input_forget reach the op as given.
// CHECK-LABEL: func @lstm_peepholes
func.func @lstm_peepholes(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>, %h: tensor<1x3x5xf32>, %c: tensor<1x3x5xf32>, %p: tensor<1x15xf32>) -> !r1.unknown {
  // CHECK: r1.recurrence %{{.*}}, %{{.*}} initial_h %{{.*}} initial_c %{{.*}} peepholes %{{.*}} {
  // CHECK-SAME: clip = 2.500000e+00 : f32
  // CHECK-SAME: input_forget = true
  %none = r1.none
  %0:3 = r1.onnx_node "LSTM"(%x, %w, %r, %none, %none, %h, %c, %p) {domain = "", node_name = "lstm", onnx_attrs = {hidden_size = 5 : i64, clip = 2.5 : f32, input_forget = 1 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, none, none, tensor<1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x15xf32>) -> (!r1.unknown, !r1.unknown, !r1.unknown)
  return %0#2 : !r1.unknown
}

// -----

// Without linear_before_reset, GRU's whole recurrent bias adds to the
// input projection.
// CHECK-LABEL: func @gru_reset_before_linear
func.func @gru_reset_before_linear(%x: tensor<2x3x4xf32>, %w: tensor<1x15x4xf32>, %r: tensor<1x15x5xf32>, %b: tensor<1x30xf32>) -> !r1.unknown {
  // CHECK: r1.matmul %{{.*}} : (tensor<6x4xf32>, tensor<4x15xf32>) -> tensor<6x15xf32>
  // CHECK: r1.add %{{.*}} : (tensor<1x15xf32>, tensor<1x15xf32>) -> tensor<1x15xf32>
  // CHECK: r1.recurrence %{{.*}}, %{{.*}} {
  // CHECK-SAME: linear_before_reset = false
  // CHECK-SAME: : (tensor<2x3x15xf32>, tensor<1x15x5xf32>) -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>)
  %0:2 = r1.onnx_node "GRU"(%x, %w, %r, %b) {domain = "", node_name = "gru", onnx_attrs = {hidden_size = 5 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x15x4xf32>, tensor<1x15x5xf32>, tensor<1x30xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// With it, Rbh stays out of the projection and reaches the op, which adds
// it inside the reset product.
// CHECK-LABEL: func @gru_linear_before_reset
func.func @gru_linear_before_reset(%x: tensor<2x3x4xf32>, %w: tensor<1x15x4xf32>, %r: tensor<1x15x5xf32>, %b: tensor<1x30xf32>) -> !r1.unknown {
  // CHECK: %[[RBH:.*]] = r1.slice %{{.*}} {axes = array<i64: 1>, ends = array<i64: 15>, starts = array<i64: 10>, steps = array<i64: 1>} : (tensor<1x15xf32>) -> tensor<1x5xf32>
  // CHECK: r1.recurrence %{{.*}}, %{{.*}} reset_bias %[[RBH]] {
  // CHECK-SAME: linear_before_reset = true
  %0:2 = r1.onnx_node "GRU"(%x, %w, %r, %b) {domain = "", node_name = "gru", onnx_attrs = {hidden_size = 5 : i64, linear_before_reset = 1 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x15x4xf32>, tensor<1x15x5xf32>, tensor<1x30xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#1 : !r1.unknown
}

// -----

// Batch-first layout transposes X in and Y out around the op.
// CHECK-LABEL: func @rnn_reverse_batch_first
// CHECK-SAME: -> (tensor<2x3x1x5xf32>, tensor<2x1x5xf32>)
func.func @rnn_reverse_batch_first(%x: tensor<2x3x4xf32>, %w: tensor<1x5x4xf32>, %r: tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown) {
  // CHECK: r1.transpose %{{.*}} {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  // CHECK: %[[Y:.*]], %[[YH:.*]] = r1.recurrence
  // CHECK-SAME: direction = #r1.recurrent_direction<reverse>
  // CHECK: r1.transpose %[[Y]] {perm = array<i64: 2, 0, 1, 3>} : (tensor<3x1x2x5xf32>) -> tensor<2x3x1x5xf32>
  // CHECK: r1.transpose %[[YH]] {perm = array<i64: 1, 0, 2>} : (tensor<1x2x5xf32>) -> tensor<2x1x5xf32>
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, direction = "reverse", layout = 1 : i64}, opset = 14 : i64}
      : (tensor<2x3x4xf32>, tensor<1x5x4xf32>, tensor<1x5x5xf32>) -> (!r1.unknown, !r1.unknown)
  return %0#0, %0#1 : !r1.unknown, !r1.unknown
}

// -----

// sequence_lens from data reach the op; activations take their alphas in
// order, the defaults where the list runs out.
// CHECK-LABEL: func @rnn_bidirectional_sequence_lens
// CHECK-SAME: %[[LENS:[^:]*]]: tensor<2xi32>) -> tensor<3x2x2x5xf32>
func.func @rnn_bidirectional_sequence_lens(%x: tensor<3x2x4xf32>, %w: tensor<2x5x4xf32>, %r: tensor<2x5x5xf32>, %lens: tensor<2xi32>) -> !r1.unknown {
  // CHECK: r1.recurrence %{{.*}}, %{{.*}} sequence_lens %[[LENS]] {
  // CHECK-SAME: activation_alpha = array<f32: 2.000000e-01, 0.000000e+00>
  // CHECK-SAME: activations = [#r1.recurrent_activation<leaky_relu>, #r1.recurrent_activation<tanh>]
  // CHECK-SAME: direction = #r1.recurrent_direction<bidirectional>
  %none = r1.none
  %0:2 = r1.onnx_node "RNN"(%x, %w, %r, %none, %lens) {domain = "", node_name = "rnn", onnx_attrs = {hidden_size = 5 : i64, direction = "bidirectional", activations = ["LeakyRelu", "Tanh"], activation_alpha = array<f32: 0.2>}, opset = 14 : i64}
      : (tensor<3x2x4xf32>, tensor<2x5x4xf32>, tensor<2x5x5xf32>, none, tensor<2xi32>) -> (!r1.unknown, !r1.unknown)
  return %0#0 : !r1.unknown
}

// -----

// The sequence length need not be known when compiling.
// CHECK-LABEL: func @dynamic_sequence
// CHECK: r1.recurrence {{.*}} -> (tensor<?x1x3x5xf32>, tensor<1x3x5xf32>)
func.func @dynamic_sequence(%x: tensor<?x3x4xf32>, %w: tensor<1x5x4xf32>, %r: tensor<1x5x5xf32>) -> !r1.unknown {
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
