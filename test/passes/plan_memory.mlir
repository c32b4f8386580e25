// RUN: r1c-opt %s -r1c-plan-memory -split-input-file | FileCheck %s

// Each tensor<4x4xf32> is 64 bytes. k1 is elementwise and its input dies
// there, so it writes in place (offset 0 again); k2 is a transpose, which
// cannot, so its result goes elsewhere while k1's is still being read; k3
// writes in place over k2's result.
// CHECK-LABEL: func @in_place_and_reuse
// CHECK-SAME: r1k.arena_size = 128 : i64
func.func @in_place_and_reuse(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: 0>
  %a = r1k.kernel "relu"(%x) {name = "k0"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.relu %i : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  // CHECK: r1k.kernel "elementwise"{{.*}}result_offsets = array<i64: 0>
  %b = r1k.kernel "elementwise"(%a) {name = "k1"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.neg %i : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  // CHECK: r1k.kernel "transpose"{{.*}}result_offsets = array<i64: 64>
  %c = r1k.kernel "transpose"(%b) {name = "k2"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.transpose %i {perm = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  // CHECK: r1k.kernel "elementwise"{{.*}}result_offsets = array<i64: 64>
  %d = r1k.kernel "elementwise"(%c) {name = "k3"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.abs %i : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  return %d : tensor<4x4xf32>
}

// -----

// A view keeps its source alive: k0's result is read through the reshape by
// k2, so k1 (not in place: its input lives on) cannot take its bytes.
// CHECK-LABEL: func @view_extends_life
// CHECK-SAME: r1k.arena_size = 192 : i64
func.func @view_extends_life(%x: tensor<16xf32>) -> (tensor<4x4xf32>, tensor<16xf32>) {
  %shape = r1.constant dense<[4, 4]> : tensor<2xi64>
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: [[A:[0-9]+]]>
  %a = r1k.kernel "relu"(%x) {name = "k0"} : (tensor<16xf32>) -> tensor<16xf32> {
  ^bb0(%i: tensor<16xf32>):
    %r = r1.relu %i : (tensor<16xf32>) -> tensor<16xf32>
    r1k.yield %r : tensor<16xf32>
  }
  %v = r1.reshape %a, %shape {allowzero = false} : (tensor<16xf32>, tensor<2xi64>) -> tensor<4x4xf32>
  // CHECK: r1k.kernel "elementwise"{{.*}}result_offsets = array<i64: [[B:[0-9]+]]>
  %b = r1k.kernel "elementwise"(%a) {name = "k1"} : (tensor<16xf32>) -> tensor<16xf32> {
  ^bb0(%i: tensor<16xf32>):
    %r = r1.neg %i : (tensor<16xf32>) -> tensor<16xf32>
    r1k.yield %r : tensor<16xf32>
  }
  // CHECK: r1k.kernel "transpose"{{.*}}result_offsets = array<i64: [[C:[0-9]+]]>
  %c = r1k.kernel "transpose"(%v) {name = "k2"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.transpose %i {perm = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  return %c, %b : tensor<4x4xf32>, tensor<16xf32>
}

// -----

// A result whose size depends on a dynamic dim is left to the runtime (-1);
// static ones still get offsets.
// CHECK-LABEL: func @dynamic_result
// CHECK-SAME: r1k.arena_size = 64 : i64
func.func @dynamic_result(%x: tensor<?x4xf32>, %y: tensor<4x4xf32>) -> (tensor<?x4xf32>, tensor<4x4xf32>) {
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: -1>
  %a = r1k.kernel "relu"(%x) {name = "k0"} : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%i: tensor<?x4xf32>):
    %r = r1.relu %i : (tensor<?x4xf32>) -> tensor<?x4xf32>
    r1k.yield %r : tensor<?x4xf32>
  }
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: 0>
  %b = r1k.kernel "relu"(%y) {name = "k1"} : (tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%i: tensor<4x4xf32>):
    %r = r1.relu %i : (tensor<4x4xf32>) -> tensor<4x4xf32>
    r1k.yield %r : tensor<4x4xf32>
  }
  return %a, %b : tensor<?x4xf32>, tensor<4x4xf32>
}

// -----

// A broadcast input is read for many output elements, so the kernel must not
// write over it, even when both round up to the same 64 bytes.
// CHECK-LABEL: func @no_in_place_over_broadcast
func.func @no_in_place_over_broadcast(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  // CHECK: r1k.kernel "reduce_max"{{.*}}result_offsets = array<i64: [[M:[0-9]+]]>
  %m = r1k.kernel "reduce_max"(%x) {name = "k0"} : (tensor<1x3xf32>) -> tensor<1x1xf32> {
  ^bb0(%i: tensor<1x3xf32>):
    %r = r1.reduce_max %i {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false} : (tensor<1x3xf32>) -> tensor<1x1xf32>
    r1k.yield %r : tensor<1x1xf32>
  }
  // CHECK-NOT: result_offsets = array<i64: [[M]]>
  // CHECK: r1k.kernel "elementwise"{{.*}}result_offsets
  %d = r1k.kernel "elementwise"(%x, %m) {name = "k1"} : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3xf32> {
  ^bb0(%a: tensor<1x3xf32>, %b: tensor<1x1xf32>):
    %r = r1.sub %a, %b : (tensor<1x3xf32>, tensor<1x1xf32>) -> tensor<1x3xf32>
    r1k.yield %r : tensor<1x3xf32>
  }
  return %d : tensor<1x3xf32>
}

// -----

// Axes given as a tensor: the result's dims are known only at run time, so
// it gets room for its largest size, the input's 8x16 floats (512 bytes).
// The next kernel then starts at 512.
// CHECK-LABEL: func @bounded_by_data
// CHECK-SAME: r1k.arena_size = 1024 : i64
func.func @bounded_by_data(%x: tensor<8x16xf32>, %axes: tensor<1xi64>) -> (tensor<?x?xf32>, tensor<8x16xf32>) {
  // CHECK: r1k.kernel "reduce_sum"{{.*}}result_offsets = array<i64: 0>
  %s = r1k.kernel "reduce_sum"(%x, %axes) {name = "k0"} : (tensor<8x16xf32>, tensor<1xi64>) -> tensor<?x?xf32> {
  ^bb0(%i: tensor<8x16xf32>, %a: tensor<1xi64>):
    %r = r1.reduce_sum %i, %a {axes = array<i64>, keepdims = true, noop_with_empty_axes = false} : (tensor<8x16xf32>, tensor<1xi64>) -> tensor<?x?xf32>
    r1k.yield %r : tensor<?x?xf32>
  }
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: 512>
  %n = r1k.kernel "relu"(%x) {name = "k1"} : (tensor<8x16xf32>) -> tensor<8x16xf32> {
  ^bb0(%i: tensor<8x16xf32>):
    %r = r1.relu %i : (tensor<8x16xf32>) -> tensor<8x16xf32>
    r1k.yield %r : tensor<8x16xf32>
  }
  return %s, %n : tensor<?x?xf32>, tensor<8x16xf32>
}

// -----

// An empty tensor holds no bytes; it is placed at 0 and takes no room.
// CHECK-LABEL: func @empty_tensor
// CHECK-SAME: r1k.arena_size = 0 : i64
func.func @empty_tensor(%x: tensor<0x4xf32>) -> tensor<0x4xf32> {
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: 0>
  %r = r1k.kernel "relu"(%x) {name = "k0"} : (tensor<0x4xf32>) -> tensor<0x4xf32> {
  ^bb0(%i: tensor<0x4xf32>):
    %y = r1.relu %i : (tensor<0x4xf32>) -> tensor<0x4xf32>
    r1k.yield %y : tensor<0x4xf32>
  }
  return %r : tensor<0x4xf32>
}

// -----

// A variant that packs B once per call needs scratch while its kernel
// runs: 3 panels of 16 columns over K = 72, 13824 bytes, apart from the
// buffers alive then (k0's result, which k2 reads and overwrites in place,
// and k1's own), and free again for the kernels after it: k3's result goes
// back to offset 0.
// CHECK-LABEL: func @scratch_while_running
// CHECK-SAME: r1k.arena_size = 16128 : i64
func.func @scratch_while_running(%x: tensor<1x8x6x6xf32>, %w: tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // CHECK: r1k.kernel "relu"{{.*}}result_offsets = array<i64: 13824>
  // CHECK-NOT: scratch_offset
  %a = r1k.kernel "relu"(%x) {name = "k0"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  ^bb0(%i: tensor<1x8x6x6xf32>):
    %r = r1.relu %i : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    r1k.yield %r : tensor<1x8x6x6xf32>
  }
  // CHECK: r1k.kernel "conv"{{.*}}result_offsets = array<i64: 14976>, scratch_offset = 0 : i64
  %c = r1k.kernel "conv"(%a, %w) {name = "k1", variants = {"host-x86-64-v4" = #r1k.host_gemm<mr = 8, nr = 16, vector = 16, kc = 72, mc = 8, nc = 48, pack_b = per_call>}} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  ^bb0(%i: tensor<1x8x6x6xf32>, %f: tensor<8x8x3x3xf32>):
    %r = r1.conv %i, %f {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
    r1k.yield %r : tensor<1x8x6x6xf32>
  }
  // CHECK: r1k.kernel "elementwise"{{.*}}result_offsets = array<i64: 13824>
  %s = r1k.kernel "elementwise"(%a, %c) {name = "k2"} : (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  ^bb0(%i: tensor<1x8x6x6xf32>, %j: tensor<1x8x6x6xf32>):
    %r = r1.add %i, %j : (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    r1k.yield %r : tensor<1x8x6x6xf32>
  }
  // CHECK: r1k.kernel "transpose"{{.*}}result_offsets = array<i64: 0>
  %t = r1k.kernel "transpose"(%s) {name = "k3"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  ^bb0(%i: tensor<1x8x6x6xf32>):
    %r = r1.transpose %i {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    r1k.yield %r : tensor<1x8x6x6xf32>
  }
  return %t : tensor<1x8x6x6xf32>
}
