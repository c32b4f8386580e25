// RUN: r1c-opt %s -r1c-form-kernels -split-input-file | FileCheck %s

// An anchor takes its elementwise consumers: bias add and activation fuse
// into the matmul; the weight stays an input, the small constant moves in.
// CHECK-LABEL: func @matmul_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>)
func.func @matmul_bias_relu(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK: %[[K:.*]] = r1k.kernel "matmul"(%[[X]], %[[W]], %[[B]]) {name = "k0_matmul"}
  // CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<4x8xf32>, %[[A1:.*]]: tensor<8x16xf32>, %[[A2:.*]]: tensor<16xf32>):
  // CHECK-NEXT: %[[M:.*]] = r1.matmul %[[A0]], %[[A1]]
  // CHECK-NEXT: %[[S:.*]] = r1.add %[[M]], %[[A2]]
  // CHECK-NEXT: %[[SIX:.*]] = r1.constant dense<6.000000e+00> : tensor<f32>
  // CHECK-NEXT: %[[R:.*]] = r1.min %[[S]], %[[SIX]]
  // CHECK-NEXT: r1k.yield %[[R]] : tensor<4x16xf32>
  // CHECK: return %[[K]]
  %six = r1.constant dense<6.0> : tensor<f32>
  %0 = r1.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %1 = r1.add %0, %b : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %2 = r1.min %1, %six : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// -----

// A value with two uses cannot fuse into either: it leaves its kernel.
// CHECK-LABEL: func @shared_value
func.func @shared_value(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  // CHECK: %[[T:.*]] = r1k.kernel "transpose"
  // CHECK: r1k.kernel "elementwise"(%[[T]])
  // CHECK: r1.relu
  // CHECK: r1k.kernel "elementwise"(%[[T]])
  // CHECK: r1.neg
  %0 = r1.transpose %x {perm = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = r1.relu %0 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = r1.neg %0 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %1, %2 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A value read several times fuses when its readers are elementwise ops of
// its shape that meet again in one op: x * sigmoid(x) after a matmul is one
// kernel with one result.
// CHECK-LABEL: func @convergent_silu
func.func @convergent_silu(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  // CHECK: %[[K:.*]] = r1k.kernel "matmul"
  // CHECK: %[[M:.*]] = r1.matmul
  // CHECK-NEXT: %[[S:.*]] = r1.sigmoid %[[M]]
  // CHECK-NEXT: %[[P:.*]] = r1.mul %[[M]], %[[S]]
  // CHECK-NEXT: r1k.yield %[[P]] : tensor<4x16xf32>
  // CHECK-NOT: r1k.kernel
  // CHECK: return %[[K]]
  %0 = r1.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %1 = r1.sigmoid %0 : (tensor<4x16xf32>) -> tensor<4x16xf32>
  %2 = r1.mul %0, %1 : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// -----

// Two branches of a softmax's result that meet (the NaN guard exporters
// write), with an unrelated op between them, join the softmax whole.
// CHECK-LABEL: func @convergent_branches
func.func @convergent_branches(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: r1k.kernel "elementwise"
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT: r1.neg
  // CHECK: r1k.kernel "softmax"
  // CHECK: r1.softmax
  // CHECK-NEXT: r1.is_nan
  // CHECK: r1.where
  // CHECK-NEXT: r1k.yield
  // CHECK-NOT: r1k.kernel
  %zero = r1.constant dense<0.0> : tensor<f32>
  %0 = r1.softmax %x {axis = -1 : i64} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = r1.is_nan %0 : (tensor<4x8xf32>) -> tensor<4x8xi1>
  %2 = r1.neg %y : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = r1.where %1, %zero, %0 : (tensor<4x8xi1>, tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %3, %2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A reader that is not elementwise keeps the value a kernel result: the
// sigmoid and mul stay a kernel of their own.
// CHECK-LABEL: func @divergent_reader
func.func @divergent_reader(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x1xf32>) {
  // CHECK: %[[K:.*]] = r1k.kernel "matmul"
  // CHECK-NOT: r1.sigmoid
  // CHECK: r1k.yield
  // CHECK: r1k.kernel "elementwise"(%[[K]])
  // CHECK: r1.sigmoid
  // CHECK: r1k.kernel "reduce_sum"(%[[K]])
  %0 = r1.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %1 = r1.sigmoid %0 : (tensor<4x16xf32>) -> tensor<4x16xf32>
  %2 = r1.mul %0, %1 : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %3 = r1.reduce_sum %0 {axes = array<i64: 1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x16xf32>) -> tensor<4x1xf32>
  return %2, %3 : tensor<4x16xf32>, tensor<4x1xf32>
}

// -----

// An elementwise op that broadcasts the kernel's output to a larger shape
// starts a kernel of its own; a chain of elementwise ops is one kernel.
// CHECK-LABEL: func @no_fusion_across_broadcast
func.func @no_fusion_across_broadcast(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[R:.*]] = r1k.kernel "reduce_mean"
  // CHECK: r1k.kernel "elementwise"(%{{.*}}, %[[R]], %{{.*}})
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT: r1.sub
  // CHECK-NEXT: r1.mul
  // CHECK-NEXT: r1k.yield
  %0 = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %1 = r1.sub %x, %0 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %2 = r1.mul %1, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// A scatter's result is final only after its updates, which GPU code runs
// as a launch after the copy: its consumers start kernels of their own.
// CHECK-LABEL: func @scatter_ends_its_kernel
func.func @scatter_ends_its_kernel(%x: tensor<4x8xf32>, %i: tensor<2x1xi64>, %u: tensor<2x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[S:.*]] = r1k.kernel "scatter_nd"
  // CHECK: r1.scatter_nd
  // CHECK-NEXT: r1k.yield
  // CHECK: r1k.kernel "elementwise"(%[[S]])
  // CHECK: r1.relu
  %0 = r1.scatter_nd %x, %i, %u {reduction = #r1.scatter_reduction<none>} : (tensor<4x8xf32>, tensor<2x1xi64>, tensor<2x8xf32>) -> tensor<4x8xf32>
  %1 = r1.relu %0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// Views and weights stay between kernels; kernels are numbered top down.
// CHECK-LABEL: func @views_between_kernels
func.func @views_between_kernels(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  // CHECK: %[[W:.*]] = r1.constant dense_resource<weights> : tensor<6x6xf32>
  // CHECK: %[[A:.*]] = r1k.kernel "matmul"(%{{.*}}, %[[W]]) {name = "k0_matmul"}
  // CHECK: %[[V:.*]] = r1.reshape %[[A]]
  // CHECK: r1k.kernel "softmax"(%[[V]]) {name = "k1_softmax"}
  %w = r1.constant dense_resource<weights> : tensor<6x6xf32>
  %shape = r1.constant dense<[3, 4]> : tensor<2xi64>
  %0 = r1.matmul %x, %w : (tensor<2x6xf32>, tensor<6x6xf32>) -> tensor<2x6xf32>
  %1 = r1.reshape %0, %shape {allowzero = false} : (tensor<2x6xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  %2 = r1.softmax %1 {axis = -1 : i64} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %2 : tensor<3x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}


// -----

// Two values read several times whose convergent regions overlap: the
// floor's region (neg, add, mul) takes the add first, so the ceil's region,
// which reaches that add too, does not join; each op is in one kernel.
// CHECK-LABEL: func @overlapping_regions
func.func @overlapping_regions(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[C:.*]] = r1k.kernel "elementwise"
  // CHECK: r1.ceil
  // CHECK: %[[ABS:.*]] = r1k.kernel "elementwise"(%[[C]])
  // CHECK: r1.abs
  // CHECK: %[[EXP:.*]] = r1k.kernel "elementwise"(%[[C]])
  // CHECK: r1.exp
  // CHECK: r1k.kernel "elementwise"(%{{.*}}, %[[ABS]], %[[EXP]])
  // CHECK: r1.floor
  // CHECK-NEXT: r1.neg
  // CHECK-NEXT: r1.add
  // CHECK-NEXT: r1.mul
  // CHECK-NEXT: r1.add
  // CHECK-NEXT: r1k.yield
  %a = r1.floor %x : (tensor<8xf32>) -> tensor<8xf32>
  %p = r1.neg %a : (tensor<8xf32>) -> tensor<8xf32>
  %c = r1.ceil %y : (tensor<8xf32>) -> tensor<8xf32>
  %c1 = r1.abs %c : (tensor<8xf32>) -> tensor<8xf32>
  %c2 = r1.exp %c : (tensor<8xf32>) -> tensor<8xf32>
  %q = r1.add %p, %c1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %r = r1.mul %q, %a : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %s = r1.add %r, %c2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// A dequantization read once by an elementwise op of another kernel joins
// that kernel: the residual add reads the bytes %q and dequantizes them as
// it goes, rather than a kernel of its own writing them out as f32. The
// matmul's operand (not an elementwise reader) keeps its own kernel.
// CHECK-LABEL: func @dequantize_joins_its_reader
func.func @dequantize_joins_its_reader(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[Q:.*]] = r1k.kernel "elementwise"(%arg0)
  // CHECK: r1.quantize
  // CHECK: %[[D:.*]] = r1k.kernel "elementwise"(%[[Q]])
  // CHECK-NEXT: ^bb0
  // CHECK-COUNT-2: r1.constant
  // CHECK-NEXT: r1.dequantize
  // CHECK-NEXT: r1k.yield
  // CHECK: r1k.kernel "matmul"(%[[D]], %arg1, %[[Q]])
  // CHECK: r1.matmul
  // CHECK-COUNT-2: r1.constant
  // CHECK-NEXT: r1.dequantize
  // CHECK-NEXT: r1.add
  // CHECK-NEXT: r1k.yield
  %s = r1.constant dense<0.5> : tensor<f32>
  %z = r1.constant dense<0> : tensor<ui8>
  %q = r1.quantize %x, %s, %z : (tensor<4x8xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x8xui8>
  %d = r1.dequantize %q, %s, %z : (tensor<4x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x8xf32>
  %y = r1.matmul %d, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %d2 = r1.dequantize %q, %s, %z : (tensor<4x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x8xf32>
  %sum = r1.add %y, %d2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %sum : tensor<4x8xf32>
}
