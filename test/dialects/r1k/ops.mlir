// RUN: r1c-opt %s | r1c-opt | FileCheck %s

// CHECK-LABEL: func @kernel
func.func @kernel(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  // CHECK: r1k.kernel "elementwise"(%{{.*}}, %{{.*}}) {name = "k0_elementwise"} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  // CHECK: r1k.yield %{{.*}} : tensor<?x8xf32>
  %0 = r1k.kernel "elementwise"(%x, %b) {name = "k0_elementwise"} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>, %c: tensor<8xf32>):
    %1 = r1.add %a, %c : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
    r1k.yield %1 : tensor<?x8xf32>
  }
  return %0 : tensor<?x8xf32>
}
