// RUN: r1c-opt %s -r1c-find-independent-dims -split-input-file | FileCheck %s

// Rows of a batch never meet in an MLP: the batch is padded along axis 0.
// CHECK-LABEL: func @mlp
// CHECK-SAME: r1.pad_axis = 0 : i64
// CHECK-SAME: -> (tensor<?x4xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @mlp(%x: tensor<?x16xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x4xf32> {
  %w = r1.constant dense<0.5> : tensor<16x4xf32>
  %b = r1.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = r1.matmul %x, %w : (tensor<?x16xf32>, tensor<16x4xf32>) -> tensor<?x4xf32>
  %1 = r1.add %0, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %2 = r1.relu %1 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %2 : tensor<?x4xf32>
}

// -----

// Softmax normalizes within a row.
// CHECK-LABEL: func @softmax_last_axis
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @softmax_last_axis(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x8xf32> {
  %0 = r1.softmax %x {axis = -1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Softmax over the batch: padding rows would join the sum.
// CHECK-LABEL: func @softmax_batch_axis
// CHECK-NOT: r1.pad_axis
// CHECK-NOT: r1.independent_dim
func.func @softmax_batch_axis(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x8xf32> {
  %0 = r1.softmax %x {axis = 0 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A mean over the batch, taken back into every row: the output has the
// batch's shape, but each row reads all of them.
// CHECK-LABEL: func @reduce_over_batch
// CHECK-NOT: r1.pad_axis
// CHECK-NOT: r1.independent_dim
func.func @reduce_over_batch(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x8xf32> {
  %0 = r1.reduce_sum %x {axes = array<i64: 0>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<?x8xf32>) -> tensor<1x8xf32>
  %1 = r1.sub %x, %0 : (tensor<?x8xf32>, tensor<1x8xf32>) -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// -----

// An output that sums the batch has no axis to trim.
// CHECK-LABEL: func @output_reduces_batch
// CHECK-NOT: r1.pad_axis
// CHECK-NOT: r1.independent_dim
func.func @output_reduces_batch(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]})
    -> (tensor<?x8xf32>, tensor<8xf32>) {
  %0 = r1.relu %x : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = r1.reduce_sum %0 {axes = array<i64: 0>, keepdims = false, noop_with_empty_axes = false}
      : (tensor<?x8xf32>) -> tensor<8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<8xf32>
}

// -----

// Reductions over other axes keep rows apart, with or without keepdims.
// CHECK-LABEL: func @reduce_other_axis
// CHECK-SAME: -> (tensor<?xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @reduce_other_axis(%x: tensor<4x?x8xf32> {r1.dim_names = ["", "batch", ""]}) -> tensor<?xf32> {
  %0 = r1.reduce_mean %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false}
      : (tensor<4x?x8xf32>) -> tensor<4x?x1xf32>
  %1 = r1.reduce_max %0 {axes = array<i64: 0, 2>, keepdims = false, noop_with_empty_axes = false}
      : (tensor<4x?x1xf32>) -> tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// [B, S, H] -> [B*S, H] -> matmul -> [B, S, H], as BERT-like graphs do:
// the merged axis holds S elements per row.
// CHECK-LABEL: func @reshape_round_trip
// CHECK-SAME: r1.pad_axis = 0 : i64
// CHECK-SAME: -> (tensor<?x3x4xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @reshape_round_trip(%x: tensor<?x3x4xf32> {r1.dim_names = ["batch", "", ""]}) -> tensor<?x3x4xf32> {
  %flat = r1.constant dense<[-1, 4]> : tensor<2xi64>
  %back = r1.constant dense<[-1, 3, 4]> : tensor<3xi64>
  %w = r1.constant dense<0.25> : tensor<4x4xf32>
  %0 = r1.reshape %x, %flat {allowzero = false} : (tensor<?x3x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %1 = r1.matmul %0, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %2 = r1.reshape %1, %back {allowzero = false} : (tensor<?x4xf32>, tensor<3xi64>) -> tensor<?x3x4xf32>
  return %2 : tensor<?x3x4xf32>
}

// -----

// The merged [B*S, H] itself is no output: the runtime trims B rows, not B*S.
// CHECK-LABEL: func @merged_output
// CHECK-NOT: r1.independent_dim
func.func @merged_output(%x: tensor<?x3x4xf32> {r1.dim_names = ["batch", "", ""]}) -> tensor<?x4xf32> {
  %flat = r1.constant dense<[-1, 4]> : tensor<2xi64>
  %0 = r1.reshape %x, %flat {allowzero = false} : (tensor<?x3x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A transpose moves the batch: the output is padded along axis 1.
// CHECK-LABEL: func @transpose_batch
// CHECK-SAME: r1.pad_axis = 0 : i64
// CHECK-SAME: -> (tensor<4x?xf32> {r1.pad_axis = 1 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @transpose_batch(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}) -> tensor<4x?xf32> {
  %0 = r1.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x4xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// x^T x contracts over the batch.
// CHECK-LABEL: func @gram_matrix
// CHECK-NOT: r1.independent_dim
func.func @gram_matrix(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}) -> tensor<4x4xf32> {
  %0 = r1.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x4xf32>) -> tensor<4x?xf32>
  %1 = r1.matmul %0, %x : (tensor<4x?xf32>, tensor<?x4xf32>) -> tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// Batched matmul of two carried operands (attention scores) stays per row.
// CHECK-LABEL: func @batched_matmul
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @batched_matmul(%q: tensor<?x2x8x4xf32> {r1.dim_names = ["batch", "", "", ""]},
                          %k: tensor<?x2x4x8xf32> {r1.dim_names = ["batch", "", "", ""]})
    -> tensor<?x2x8x8xf32> {
  %0 = r1.matmul %q, %k : (tensor<?x2x8x4xf32>, tensor<?x2x4x8xf32>) -> tensor<?x2x8x8xf32>
  return %0 : tensor<?x2x8x8xf32>
}

// -----

// An r1.shape that puts the batch somewhere other than where its rows are.
// CHECK-LABEL: func @shape_moves_batch
// CHECK-NOT: r1.independent_dim
func.func @shape_moves_batch(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}) -> tensor<4x?xf32> {
  %four = r1.constant dense<[4]> : tensor<1xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 1 : i64} : (tensor<?x4xf32>) -> tensor<1xi64>
  %1 = r1.concat %four, %0 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %2 = r1.reshape %x, %1 {allowzero = false} : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<4x?xf32>
  return %2 : tensor<4x?xf32>
}

// -----

// Arithmetic on the batch size: what the number feeds cannot be followed.
// CHECK-LABEL: func @shape_arithmetic
// CHECK-NOT: r1.independent_dim
func.func @shape_arithmetic(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x2xf32> {
  %two = r1.constant dense<[2, 2]> : tensor<2xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x4xf32>) -> tensor<2xi64>
  %1 = r1.div %0, %two : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %2 = r1.reshape %x, %1 {allowzero = false} : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x2xf32>
  return %2 : tensor<?x2xf32>
}

// -----

// The exported pattern that copies a class token per row (ViT): the batch
// size from r1.shape sizes an expand whose copies join the rows.
// CHECK-LABEL: func @class_token
// CHECK-SAME: -> (tensor<?x4x4xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @class_token(%x: tensor<?x3x4xf32> {r1.dim_names = ["batch", "", ""]}) -> tensor<?x4x4xf32> {
  %cls = r1.constant dense<1.0> : tensor<1x1x4xf32>
  %zero = r1.constant dense<0> : tensor<i64>
  %rest = r1.constant dense<[1, 4]> : tensor<2xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<?x3x4xf32>) -> tensor<3xi64>
  %1 = r1.gather %0, %zero {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %2 = r1.unsqueeze %1 {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %3 = r1.concat %2, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %4 = r1.expand %cls, %3 : (tensor<1x1x4xf32>, tensor<3xi64>) -> tensor<?x1x4xf32>
  %5 = r1.concat %4, %x {axis = 1 : i64} : (tensor<?x1x4xf32>, tensor<?x3x4xf32>) -> tensor<?x4x4xf32>
  return %5 : tensor<?x4x4xf32>
}

// The shape vector sizes the trailing dims of a higher-rank expand.
// CHECK-LABEL: func @expand_trailing
// CHECK-SAME: -> (tensor<3x?x4xf32> {r1.pad_axis = 1 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @expand_trailing(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}) -> tensor<3x?x4xf32> {
  %t = r1.constant dense<1.0> : tensor<3x1x4xf32>
  %four = r1.constant dense<[4]> : tensor<1xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 1 : i64} : (tensor<?x4xf32>) -> tensor<1xi64>
  %1 = r1.concat %0, %four {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %2 = r1.expand %t, %1 : (tensor<3x1x4xf32>, tensor<2xi64>) -> tensor<3x?x4xf32>
  %3 = r1.add %2, %x : (tensor<3x?x4xf32>, tensor<?x4xf32>) -> tensor<3x?x4xf32>
  return %3 : tensor<3x?x4xf32>
}

// -----

// Embedding lookup, convolution and pooling along N, then a flatten.
// CHECK-LABEL: func @embedding
// CHECK-SAME: -> (tensor<?x5x3xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @embedding(%ids: tensor<?x5xi64> {r1.dim_names = ["batch", ""]}) -> tensor<?x5x3xf32> {
  %table = r1.constant dense<0.5> : tensor<10x3xf32>
  %0 = r1.gather %table, %ids {axis = 0 : i64} : (tensor<10x3xf32>, tensor<?x5xi64>) -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// CHECK-LABEL: func @conv_pool_flatten
// CHECK-SAME: -> (tensor<?x2xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @conv_pool_flatten(%x: tensor<?x1x4x4xf32> {r1.dim_names = ["batch", "", "", ""]}) -> tensor<?x2xf32> {
  %w = r1.constant dense<0.5> : tensor<2x1x3x3xf32>
  %0 = r1.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>,
      dilations = array<i64: 1, 1>, group = 1 : i64}
      : (tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<?x2x4x4xf32>
  %1 = r1.max_pool %0 {kernel_shape = array<i64: 4, 4>, strides = array<i64: 1, 1>,
      pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false,
      count_include_pad = false} : (tensor<?x2x4x4xf32>) -> tensor<?x2x1x1xf32>
  %2 = r1.flatten %1 {axis = 1 : i64} : (tensor<?x2x1x1xf32>) -> tensor<?x2xf32>
  return %2 : tensor<?x2xf32>
}

// -----

// An input sized by the batch twice cannot pad both axes apart.
// CHECK-LABEL: func @batch_twice
// CHECK-NOT: r1.independent_dim
func.func @batch_twice(%x: tensor<?x?xf32> {r1.dim_names = ["batch", "batch"]}) -> tensor<?x?xf32> {
  %0 = r1.relu %x : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Zero rows would divide integers by zero.
// CHECK-LABEL: func @integer_division
// CHECK-NOT: r1.independent_dim
func.func @integer_division(%x: tensor<?x4xi64> {r1.dim_names = ["batch", ""]}) -> tensor<?x4xi64> {
  %c = r1.constant dense<12> : tensor<i64>
  %0 = r1.div %c, %x : (tensor<i64>, tensor<?x4xi64>) -> tensor<?x4xi64>
  return %0 : tensor<?x4xi64>
}

// -----

// The first name that qualifies wins: rows along `seq` meet in the
// softmax, rows along `batch` do not.
// CHECK-LABEL: func @second_name
// CHECK-SAME: r1.pad_axis = 1 : i64
// CHECK-SAME: -> (tensor<?x?xf32> {r1.pad_axis = 1 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @second_name(%x: tensor<?x?xf32> {r1.dim_names = ["seq", "batch"]}) -> tensor<?x?xf32> {
  %0 = r1.softmax %x {axis = 0 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A free input beside the carried one gets no pad axis; a second free
// output neither.
// CHECK-LABEL: func @free_operands
// CHECK-SAME: (%{{.*}}: tensor<?x4xf32> {r1.dim_names = ["batch", ""], r1.pad_axis = 0 : i64},
// CHECK-SAME: %{{.*}}: tensor<4xf32>)
// CHECK-SAME: -> (tensor<?x4xf32> {r1.pad_axis = 0 : i64}, tensor<4xf32>)
func.func @free_operands(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""]}, %s: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<4xf32>) {
  %0 = r1.mul %x, %s : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = r1.exp %s : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<4xf32>
}

// -----

// GatherElements within each row, and GatherND with the batch as its batch
// dim or as the position of the index tuples.
// CHECK-LABEL: func @gather_elements_and_nd_rows
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @gather_elements_and_nd_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]},
                                       %i: tensor<?x3xi64> {r1.dim_names = ["batch", ""]},
                                       %t: tensor<?x1xi64> {r1.dim_names = ["batch", ""]})
    -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x8xf32>) {
  %0 = r1.gather_elements %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?x3xi64>) -> tensor<?x3xf32>
  %p = r1.unsqueeze %i {axes = array<i64: 2>} : (tensor<?x3xi64>) -> tensor<?x3x1xi64>
  %1 = r1.gather_nd %x, %p {batch_dims = 1 : i64} : (tensor<?x8xf32>, tensor<?x3x1xi64>) -> tensor<?x3xf32>
  %table = r1.constant dense<0.5> : tensor<4x8xf32>
  %2 = r1.gather_nd %table, %t {batch_dims = 0 : i64} : (tensor<4x8xf32>, tensor<?x1xi64>) -> tensor<?x8xf32>
  return %0, %1, %2 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x8xf32>
}

// -----

// Gathering across the batch (a constant tuple names row 1) mixes rows.
// CHECK-LABEL: func @gather_nd_across_rows
// CHECK-NOT: r1.independent_dim
func.func @gather_nd_across_rows(%m: tensor<?x8xi64> {r1.dim_names = ["batch", ""]}) -> tensor<2xi64> {
  %q = r1.constant dense<[[1, 0], [0, 7]]> : tensor<2x2xi64>
  %0 = r1.gather_nd %m, %q {batch_dims = 0 : i64} : (tensor<?x8xi64>, tensor<2x2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// GatherElements along the batch axis reads other rows.
// CHECK-LABEL: func @gather_elements_across_rows
// CHECK-NOT: r1.independent_dim
func.func @gather_elements_across_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]},
                                       %i: tensor<?x8xi64> {r1.dim_names = ["batch", ""]}) -> tensor<?x8xf32> {
  %0 = r1.gather_elements %x, %i {axis = 0 : i64} : (tensor<?x8xf32>, tensor<?x8xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// ScatterElements within each row, and ScatterND of the same tuples into
// every row: rows stay apart.
// CHECK-LABEL: func @scatter_rows
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @scatter_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]},
                        %i: tensor<?x3xi64> {r1.dim_names = ["batch", ""]},
                        %u: tensor<?x3xf32> {r1.dim_names = ["batch", ""]},
                        %c: tensor<4x?x8xf32> {r1.dim_names = ["", "batch", ""]})
    -> (tensor<?x8xf32>, tensor<4x?x8xf32>) {
  %0 = r1.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = #r1.scatter_reduction<add>}
      : (tensor<?x8xf32>, tensor<?x3xi64>, tensor<?x3xf32>) -> tensor<?x8xf32>
  %rows = r1.constant dense<[[1], [3]]> : tensor<2x1xi64>
  %new = r1.slice %c {axes = array<i64: 0>, starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 1>}
      : (tensor<4x?x8xf32>) -> tensor<2x?x8xf32>
  %1 = r1.scatter_nd %c, %rows, %new {reduction = #r1.scatter_reduction<none>}
      : (tensor<4x?x8xf32>, tensor<2x1xi64>, tensor<2x?x8xf32>) -> tensor<4x?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<4x?x8xf32>
}

// -----

// A ScatterND whose tuples address the batch, and a ScatterElements along
// it, mix rows.
// CHECK-LABEL: func @scatter_nd_across_rows
// CHECK-NOT: r1.independent_dim
func.func @scatter_nd_across_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]},
                                  %u: tensor<2x8xf32>) -> tensor<?x8xf32> {
  %rows = r1.constant dense<[[0], [1]]> : tensor<2x1xi64>
  %0 = r1.scatter_nd %x, %rows, %u {reduction = #r1.scatter_reduction<none>}
      : (tensor<?x8xf32>, tensor<2x1xi64>, tensor<2x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @scatter_elements_across_rows
// CHECK-NOT: r1.independent_dim
func.func @scatter_elements_across_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]},
                                        %i: tensor<?x8xi64> {r1.dim_names = ["batch", ""]},
                                        %u: tensor<?x8xf32> {r1.dim_names = ["batch", ""]}) -> tensor<?x8xf32> {
  %0 = r1.scatter_elements %x, %i, %u {axis = 0 : i64, reduction = #r1.scatter_reduction<none>}
      : (tensor<?x8xf32>, tensor<?x8xi64>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// TopK off the batch axis keeps rows apart.
// CHECK-LABEL: func @top_k_rows
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @top_k_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]})
    -> (tensor<?x3xf32>, tensor<?x3xi64>) {
  %v, %k = r1.top_k %x {axis = 1 : i64, k = 3 : i64, largest = true, sorted = true}
      : (tensor<?x8xf32>) -> (tensor<?x3xf32>, tensor<?x3xi64>)
  return %v, %k : tensor<?x3xf32>, tensor<?x3xi64>
}

// -----

// TopK along the batch axis mixes rows.
// CHECK-LABEL: func @top_k_across_rows
// CHECK-NOT: r1.independent_dim
func.func @top_k_across_rows(%x: tensor<?x8xf32> {r1.dim_names = ["batch", ""]}) -> tensor<2x8xf32> {
  %v, %k = r1.top_k %x {axis = 0 : i64, k = 2 : i64, largest = true, sorted = true}
      : (tensor<?x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xi64>)
  return %v : tensor<2x8xf32>
}

// -----

// Other symbolic dims beside the batch (an image's H and W): a reshape to
// [N, C, -1] whose N is read by r1.shape, through a cast to i32 and back as
// exporters spell it, keeps each row one block.
// CHECK-LABEL: func @reshape_keeps_first_dim_by_shape
// CHECK-SAME: -> (tensor<?x8x?xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @reshape_keeps_first_dim_by_shape(
    %x: tensor<?x8x?x?xf32> {r1.dim_names = ["batch", "", "h", "w"]}) -> tensor<?x8x?xf32> {
  %tail = r1.constant dense<[8, -1]> : tensor<2xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 4 : i64} : (tensor<?x8x?x?xf32>) -> tensor<4xi64>
  %1 = r1.cast %0 {to = i32} : (tensor<4xi64>) -> tensor<4xi32>
  %2 = r1.slice %1 {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4xi32>) -> tensor<1xi32>
  %3 = r1.cast %2 {to = i64} : (tensor<1xi32>) -> tensor<1xi64>
  %4 = r1.concat %3, %tail {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %5 = r1.reshape %x, %4 {allowzero = false} : (tensor<?x8x?x?xf32>, tensor<3xi64>) -> tensor<?x8x?xf32>
  return %5 : tensor<?x8x?xf32>
}

// -----

// The same with a leading 0 (copy the input's dim), and unit axes added in
// front of the batch and dropped again.
// CHECK-LABEL: func @reshape_keeps_first_dim_by_zero
// CHECK-SAME: -> (tensor<?x?x3x5xf32> {r1.pad_axis = 0 : i64})
// CHECK-SAME: attributes {r1.independent_dim = "batch"}
func.func @reshape_keeps_first_dim_by_zero(
    %x: tensor<?x?x15xf32> {r1.dim_names = ["batch", "t", ""]}) -> tensor<?x?x3x5xf32> {
  %0 = r1.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x?x15xf32>) -> tensor<1xi64>
  %zero = r1.constant dense<0> : tensor<1xi64>
  %rest = r1.constant dense<[3, 5]> : tensor<2xi64>
  %1 = r1.concat %zero, %0, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %2 = r1.reshape %x, %1 {allowzero = false} : (tensor<?x?x15xf32>, tensor<4xi64>) -> tensor<?x?x3x5xf32>
  %3 = r1.unsqueeze %2 {axes = array<i64: 0>} : (tensor<?x?x3x5xf32>) -> tensor<1x?x?x3x5xf32>
  %4 = r1.relu %3 : (tensor<1x?x?x3x5xf32>) -> tensor<1x?x?x3x5xf32>
  %5 = r1.squeeze %4 {axes = array<i64: 0>} : (tensor<1x?x?x3x5xf32>) -> tensor<?x?x3x5xf32>
  return %5 : tensor<?x?x3x5xf32>
}

// -----

// allowzero: a 0 is a zero-length dim, not a copy; and a cast to i16 could
// wrap the batch. Neither keeps the rows.
// CHECK-LABEL: func @reshape_allowzero
// CHECK-NOT: r1.independent_dim
func.func @reshape_allowzero(%x: tensor<?x?x15xf32> {r1.dim_names = ["batch", "t", ""]})
    -> tensor<?x?x3x5xf32> {
  %0 = r1.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<?x?x15xf32>) -> tensor<1xi64>
  %zero = r1.constant dense<0> : tensor<1xi64>
  %rest = r1.constant dense<[3, 5]> : tensor<2xi64>
  %1 = r1.concat %zero, %0, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %2 = r1.reshape %x, %1 {allowzero = true} : (tensor<?x?x15xf32>, tensor<4xi64>) -> tensor<?x?x3x5xf32>
  return %2 : tensor<?x?x3x5xf32>
}

// -----

// CHECK-LABEL: func @shape_cast_to_i16
// CHECK-NOT: r1.independent_dim
func.func @shape_cast_to_i16(%x: tensor<?x8x?x?xf32> {r1.dim_names = ["batch", "", "h", "w"]})
    -> tensor<?x8x?xf32> {
  %tail = r1.constant dense<[8, -1]> : tensor<2xi64>
  %0 = r1.shape %x {start = 0 : i64, end = 1 : i64} : (tensor<?x8x?x?xf32>) -> tensor<1xi64>
  %1 = r1.cast %0 {to = i16} : (tensor<1xi64>) -> tensor<1xi16>
  %2 = r1.cast %1 {to = i64} : (tensor<1xi16>) -> tensor<1xi64>
  %3 = r1.concat %2, %tail {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %4 = r1.reshape %x, %3 {allowzero = false} : (tensor<?x8x?x?xf32>, tensor<3xi64>) -> tensor<?x8x?xf32>
  return %4 : tensor<?x8x?xf32>
}
