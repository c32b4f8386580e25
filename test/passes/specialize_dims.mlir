// RUN: r1c-opt %s -split-input-file -verify-diagnostics \
// RUN:   -r1c-specialize-dims="sizes=batch=8" | FileCheck %s
// RUN: r1c-opt %s -split-input-file -verify-diagnostics \
// RUN:   -r1c-specialize-dims="sizes=batch=8" -r1c-legalize-onnx | FileCheck %s --check-prefix=LEGAL

// Only dims named `batch` change; the unnamed dynamic dim stays dynamic.
// CHECK-LABEL: func @named_dims
// CHECK-SAME: (%{{.*}}: tensor<8x4xf32> {{.*}}, %{{.*}}: tensor<?x8xf32>
// LEGAL-LABEL: func @named_dims
// LEGAL: r1.relu {{.*}} -> tensor<8x4xf32>
func.func @named_dims(%x: tensor<?x4xf32> {r1.dim_names = ["batch", ""], r1.name = "x"},
                      %y: tensor<?x8xf32> {r1.dim_names = ["", ""], r1.name = "y"})
    -> (tensor<?x4xf32> {r1.name = "out"}) {
  %0 = r1.onnx_node "Relu"(%x) {domain = "", node_name = "relu", onnx_attrs = {}, opset = 17 : i64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{no input has a symbolic dim named 'batch'}}
func.func @unused_name(%x: tensor<?x4xf32> {r1.dim_names = ["seq", ""], r1.name = "x"}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
