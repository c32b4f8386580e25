// REQUIRES: nvrtc, hiprtc
// RUN: rm -rf %t.dir && r1c %s --target=sm_80,gfx90a --emit=kernels -o %t.dir
// RUN: FileCheck %s --check-prefix=SRC < %t.dir/k0_attention.cu
// RUN: FileCheck %s --check-prefix=PTX < %t.dir/k0_attention.sm_80.ptx
// RUN: FileCheck %s --check-prefix=PTX-MMA < %t.dir/k0_attention.sm_80.ptx
// RUN: FileCheck %s --check-prefix=PTX-NONE < %t.dir/k0_attention.sm_80.ptx
// RUN: FileCheck %s --check-prefix=LAUNCH < %t.dir/launches.sm_80.txt
// RUN: FileCheck %s --check-prefix=HIP < %t.dir/k0_attention.hip
// RUN: llvm-objdump -d --mcpu=gfx90a %t.dir/k0_attention.gfx90a.co | FileCheck %s --check-prefix=ISA
// RUN: llvm-objdump -d --mcpu=gfx90a %t.dir/k0_attention.gfx90a.co | FileCheck %s --check-prefix=ISA-NONE

// A causal f16 attention (r1 IR: r1c reads .mlir), Q, K and V [b, s, h, d]
// as the projections write them, the output [b, h, s, d]. On sm_80 both
// products run on mma.sync m16n8k16: Q and each K and V tile arrive by
// cp.async, Q's and K's fragments by ldmatrix, V's by ldmatrix.trans; the
// scores' accumulators become the second product's A fragments in
// registers (cvt.rn.f16x2.f32), so nothing of size queries x keys is ever
// written: the kernel takes no scratch, its only global stores are the
// output's (pairs of halves), and nothing goes to local memory. Only a
// tile that crosses a warp's diagonal (or the keys' end) compares key and
// row. On gfx90a v_mfma_f32_32x32x8f16 computes both products transposed
// (keys x queries, value columns x queries), so each lane holds one
// query's scores (its maximum needs one shuffle, with the lane 32 away)
// and four of them at a time, packed, are the B operand of the second
// product; nothing goes to scratch memory.

// SRC: __launch_bounds__(64) r1_attention_{{[0-9a-f]+}}(const r1_f16 * __restrict__ p0,
// SRC-NEXT: const r1_f16 * __restrict__ p1,
// SRC-NEXT: const r1_f16 * __restrict__ p2,
// SRC-NEXT: r1_f16 * __restrict__ r0) {
// SRC: // mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 for both products: 2 warps of 16 query rows, keys in tiles of 64 through 2 stages of cp.async; the probabilities stay in registers.
// SRC: r1_cp_async16(r1_qshared + 2 * (r1_r * 72 + r1_d), p0 + (r1_ok ? r1_qbase + (r1_i)r1_r * 128 + r1_d : 0), r1_ok ? 16 : 0);
// SRC: const int r1_tiles = (r1_seen + 63) / 64;
// SRC: r1_cp_async_wait<0>();
// SRC: if (r1_key0 > r1_row0 + r1_qr + 15)
// SRC-NEXT: continue;
// SRC: r1_ldmatrix_x4(r1_qa, r1_qshared + r1_qfrag + 32 * r1_kk);
// SRC: r1_ldmatrix_x4(r1_kb, r1_ks + r1_kfrag + r1_np * 2304 + 32 * r1_kk);
// SRC-NEXT: r1_mma_m16n8k16_f16(r1_s[2 * r1_np], r1_qa, &r1_kb[0]);
// SRC-NEXT: r1_mma_m16n8k16_f16(r1_s[2 * r1_np + 1], r1_qa, &r1_kb[2]);
// SRC: if (r1_key0 + 64 > r1_klimit || r1_key0 + 63 > r1_row0 + r1_qr) {
// SRC: r1_x = (r1_key) <= (r1_qi) ? r1_x : (-R1_INF);
// SRC: } else {
// SRC: r1_mx = fmaxf(r1_mx, r1_shfl_xor(r1_mx, 2));
// SRC: r1_s[r1_n][2 * r1_hh + r1_e] = r1_exp2(fmaf(r1_s[r1_n][2 * r1_hh + r1_e], 0.18033688f, -r1_shift))
// SRC: const unsigned r1_pa[4] = {r1_pack_f16x2(r1_s[2 * r1_kk][0], r1_s[2 * r1_kk][1]), r1_pack_f16x2(r1_s[2 * r1_kk][2], r1_s[2 * r1_kk][3]), r1_pack_f16x2(r1_s[2 * r1_kk + 1][0], r1_s[2 * r1_kk + 1][1]), r1_pack_f16x2(r1_s[2 * r1_kk + 1][2], r1_s[2 * r1_kk + 1][3])};
// SRC: r1_ldmatrix_x4_trans(r1_vb, r1_vs + r1_vfrag + r1_kk * 2304 + 32 * r1_x);
// SRC-NEXT: r1_mma_m16n8k16_f16(r1_o[2 * r1_x], r1_pa, &r1_vb[0]);
// SRC: const float r1_inv = r1_sum > 0.0f ? 1.0f / r1_sum : 0.0f;
// SRC: *reinterpret_cast<unsigned *>(&r0[r1_obase + (r1_i)(r1_row) * 64 + (r1_col)]) =
// SRC-NOT: r1_scratch

// PTX-NONE-NOT: st.local
// PTX-NONE-NOT: st.global.f32
// PTX-NONE-NOT: st.global.v
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-DAG: cvt.rn.f16x2.f32
// PTX-DAG: ex2.approx.ftz.f32
// PTX-DAG: st.global.u32
// PTX-MMA-COUNT-64: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-MMA-NOT: mma.sync

// LAUNCH: launch k0_attention r1_attention_{{[0-9a-f]+}} grid 4,2,1 block 64,1,1 shared 41472 args input:0 input:1 input:2 arena:0

// HIP: // v_mfma_f32_32x32x8f16 for both products, transposed (keys x queries, then value columns x queries): 1 waves of 32 query rows, keys in tiles of 64; the probabilities stay in registers.
// HIP: r1_mfma_f16(r1_s[r1_t], r1_ka.v[0], r1_ka.v[1], r1_qb[r1_g].v[0], r1_qb[r1_g].v[1]);
// HIP: r1_mx = fmaxf(r1_mx, r1_shfl_xor(r1_mx, 32));
// HIP: const unsigned r1_p0 = r1_pack_f16x2(r1_s[r1_t].v[4 * r1_c], r1_s[r1_t].v[4 * r1_c + 1]), r1_p1 = r1_pack_f16x2(r1_s[r1_t].v[4 * r1_c + 2], r1_s[r1_t].v[4 * r1_c + 3]);
// HIP: r1_mfma_f16(r1_o[r1_x], r1_va.v[0], r1_va.v[1], r1_p0, r1_p1);
// HIP-NOT: r1_scratch
// ISA-COUNT-32: v_mfma_f32_32x32x8f16
// ISA-NOT: v_mfma
// ISA-NONE-NOT: scratch_
// ISA-NONE-NOT: buffer_store

module {
  func.func @main(%q: tensor<1x100x2x64xf16>, %k: tensor<1x100x2x64xf16>,
                  %v: tensor<1x100x2x64xf16>) -> tensor<1x2x100x64xf16> {
    %0 = r1.attention %q, %k, %v {causal = true, masked_score = 0xFFF0000000000000 : f64,
        scale = 0.125 : f64, sequence_major = array<i1: true, true, true, false>,
        tiled_kv_heads = false}
        : (tensor<1x100x2x64xf16>, tensor<1x100x2x64xf16>, tensor<1x100x2x64xf16>)
        -> tensor<1x2x100x64xf16>
    return %0 : tensor<1x2x100x64xf16>
  }
}
