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
