// REQUIRES: nvrtc, hiprtc
// RUN: rm -rf %t.dir && r1c %s --target=sm_80,gfx90a --emit=kernels -o %t.dir
// RUN: FileCheck %s --check-prefix=SRC < %t.dir/k0_attention.cu
// RUN: FileCheck %s --check-prefix=HIP < %t.dir/k0_attention.hip
// RUN: FileCheck %s --check-prefix=NONE < %t.dir/k1_attention.cu
// RUN: FileCheck %s --check-prefix=NONE < %t.dir/k1_attention.hip
// RUN: FileCheck %s --check-prefix=LAUNCH < %t.dir/launches.sm_80.txt
// RUN: FileCheck %s --check-prefix=LAUNCH < %t.dir/launches.gfx90a.txt
// RUN: FileCheck %s --check-prefix=PTX-NONE < %t.dir/k0_attention.sm_80.ptx
// RUN: llvm-objdump -d --mcpu=gfx90a %t.dir/k0_attention.gfx90a.co | FileCheck %s --check-prefix=ISA-NONE

// Two gated attentions, the first with a threshold. The gate keeps, before
// the best-scored blocks, every block some query of the block is estimated
// to give at least the threshold's share of its weight: each visible
// block's moments go where the left-out blocks' estimates go, and each
// thread estimates its query row's share, in two passes (the largest
// estimate and the sum, then the shares). The blocks it keeps count toward
// the floor as the forced ones do. The threshold takes no more shared
// memory than the estimates, and nothing goes to local or scratch memory.

// SRC: // The threshold: a block is kept when some query of the block is estimated to
// SRC-NEXT: // give it at least 0.05 of its weight.
// SRC: for (int r1_g = threadIdx.x; r1_g < r1_gvisible; r1_g += 128)
// SRC-NEXT: r1_gflag[r1_g] = 0;
// SRC-NEXT: for (int r1_pass = 0; r1_pass < 2; ++r1_pass)
// SRC: r1_evar[r1_c] = fmaxf(r1_squares * r1_inv - r1_mean * r1_mean, 0.0f);
// SRC: const float r1_qd = r1_f16_to_f32(reinterpret_cast<const r1_f16 *>(r1_smem)[threadIdx.x * 72 + r1_d]) * 0.125f;
// SRC-NEXT: r1_e = fmaf(r1_qd, r1_ek[r1_d], fmaf(0.5f * r1_qd * r1_qd, r1_evar[r1_d], r1_e));
// SRC: r1_e += *r1_elog;
// SRC: } else if (r1_tsum > 0.0f && expf(r1_e - r1_tmax) >= 0.05f * r1_tsum) {
// SRC-NEXT: r1_gflag[r1_g] = 1;
// SRC: const int r1_f = r1_g < 1 || (r1_g - r1_own >= -1 && r1_g - r1_own <= 1) || r1_gflag[r1_g];
// SRC-NEXT: r1_gflag[r1_g] = r1_f;
// SRC-NEXT: r1_forced += r1_f;

// HIP: for (int r1_pass = 0; r1_pass < 2; ++r1_pass)
// HIP: const float r1_qd = r1_f16_to_f32(p0[r1_qbase + (r1_i)(threadIdx.x) * 64 + r1_d]) * 0.125f;
// HIP: } else if (r1_tsum > 0.0f && expf(r1_e - r1_tmax) >= 0.05f * r1_tsum) {
// HIP: || r1_gflag[r1_g];

// NONE-NOT: r1_pass
// NONE: const int r1_f = r1_g < 1 || (r1_g - r1_own >= -1 && r1_g - r1_own <= 1);
// NONE-NOT: r1_pass

// LAUNCH: launch k0_attention {{.*}} shared [[SHARED:[0-9]+]] args
// LAUNCH: launch k1_attention {{.*}} shared [[SHARED]] args

// PTX-NONE-NOT: st.local
// ISA-NONE-NOT: scratch_

module {
  func.func @main(%q: tensor<1x2x256x64xf16>, %k: tensor<1x2x256x64xf16>,
                  %v: tensor<1x2x256x64xf16>)
      -> (tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>) {
    %0 = r1.attention %q, %k, %v {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false, gate = #r1.attention_gate<block = 64, keep = 0.25,
        threshold = 0.05, window = 1, global = 1, rest = mean>}
        : (tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>)
        -> tensor<1x2x256x64xf16>
    %1 = r1.attention %q, %k, %v {causal = false, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: false, false, false, false>,
        tiled_kv_heads = false, gate = #r1.attention_gate<block = 64, keep = 0.25, window = 1,
        global = 1, rest = mean>}
        : (tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>)
        -> tensor<1x2x256x64xf16>
    return %0, %1 : tensor<1x2x256x64xf16>, tensor<1x2x256x64xf16>
  }
}
