// RUN: r1c-opt %s -split-input-file -verify-diagnostics

func.func @argument_mismatch(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{body argument #0 has type 'tensor<8xf32>' but input #0 is 'tensor<4xf32>'}}
  %0 = r1k.kernel "elementwise"(%x) {name = "k0"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<8xf32>):
    r1k.yield %a : tensor<8xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @argument_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{body has 2 arguments for 1 inputs}}
  %0 = r1k.kernel "elementwise"(%x) {name = "k0"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<4xf32>):
    r1k.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @yield_types(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{yields types that differ from the kernel's results}}
  %0 = r1k.kernel "elementwise"(%x) {name = "k0"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %s = r1.shape %a {start = 0 : i64, end = 1 : i64} : (tensor<4xf32>) -> tensor<1xi64>
    r1k.yield %s : tensor<1xi64>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @foreign_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs a name and an anchor}}
  %0 = r1k.kernel ""(%x) {name = "k0"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    r1k.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @not_r1(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = r1k.kernel "elementwise"(%x) {name = "k0"} : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{is not an r1 op; kernel bodies hold r1 ops only}}
    %c = func.call @helper(%a) : (tensor<4xf32>) -> tensor<4xf32>
    r1k.yield %c : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
func.func private @helper(tensor<4xf32>) -> tensor<4xf32>

// -----

// expected-error @+1 {{host_gemm nr (20) must be a multiple of vector (16)}}
func.func @gemm_vector() attributes {v = #r1k.host_gemm<mr = 4, nr = 20, vector = 16, kc = 64, mc = 8, nc = 40, pack_b = none>} {
  return
}

// -----

// expected-error @+1 {{host_gemm mc must be a multiple of mr and nc of nr}}
func.func @gemm_blocks() attributes {v = #r1k.host_gemm<mr = 6, nr = 16, vector = 8, kc = 64, mc = 8, nc = 32, pack_b = run_time>} {
  return
}

// -----

// expected-error @+1 {{host_gemm sizes must be positive}}
func.func @gemm_positive() attributes {v = #r1k.host_gemm<mr = 0, nr = 16, vector = 8, kc = 64, mc = 8, nc = 32, pack_b = none>} {
  return
}

// -----

// expected-error @+1 {{host_depthwise_conv sizes must be positive}}
func.func @depthwise_positive() attributes {v = #r1k.host_depthwise_conv<vector = 16, vectors = 0>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm threads, block sizes, stages and split_k must be positive}}
func.func @gpu_gemm_positive() attributes {v = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 16, block_n = 16, block_k = 16, thread_m = 1, thread_n = 1, stages = 0>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm threads, block sizes, stages and split_k must be positive}}
func.func @gpu_gemm_split_positive() attributes {v = #r1k.gpu_gemm<instruction = mma, threads = 256, block_m = 128, block_n = 128, block_k = 32, warp_m = 64, warp_n = 32, stages = 4, split_k = 0>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm with mma needs a warp tile (warp_m, warp_n) and no thread tile}}
func.func @gpu_gemm_matrix_tile() attributes {v = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 4, stages = 1>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm block 64x64 is not a whole number of 48x32 warp tiles}}
func.func @gpu_gemm_warp_tiles() attributes {v = #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64, block_k = 32, warp_m = 48, warp_n = 32, stages = 1>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm threads (96) must be one warp of 32 or 64 lanes per warp tile (4 tiles)}}
func.func @gpu_gemm_warps() attributes {v = #r1k.gpu_gemm<instruction = mfma, threads = 96, block_m = 64, block_n = 64, block_k = 32, warp_m = 32, warp_n = 32, stages = 1>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm with ffma_wide needs a thread tile (thread_m, thread_n) and no warp tile}}
func.func @gpu_gemm_ffma_tile() attributes {v = #r1k.gpu_gemm<instruction = ffma_wide, threads = 256, block_m = 128, block_n = 128, block_k = 8, warp_m = 32, warp_n = 32, stages = 1>} {
  return
}

// -----

// expected-error @+1 {{gpu_gemm block 64x64 is not 256 threads of 2x4 outputs}}
func.func @gpu_gemm_thread_tiles() attributes {v = #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 64, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4, stages = 1>} {
  return
}
