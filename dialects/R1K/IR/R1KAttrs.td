// Attributes of the r1k dialect: what a target is, and the variant a select
// pass chose for a kernel. Passes read and write them; emitters only read.
#ifndef R1K_ATTRS_TD
#define R1K_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "R1KDialect.td"

class R1K_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<R1K_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Targets
//===----------------------------------------------------------------------===//

def R1K_TargetAttr : R1K_Attr<"Target", "target"> {
  let summary = "The facts about one compilation target that select passes score with";
  let description = [{
    One description per target, made once from the target's name (and, for
    the host, its CPU), then read by every pass that decides something for
    that target and by the code generators, so the facts live in one place.
    Lit tests write fake targets by hand.

    Host fields: `features` are the ISA extensions the code may use
    (`avx2`, `fma`, `avx512f`, `avx512bf16`, `avx512fp16`, `avx512vnni`,
    `amx`), `vector_bits` the widest vector register, `vector_registers`
    their count, the cache sizes are per core (L1 data, L2) and shared (L3),
    `cores` is how many threads the select passes balance work for, and
    `fma_per_cycle` how many vector FMAs a core issues per cycle.

    GPU fields: `compute_units` (SMs or CUs), `warp_size` (32 or 64),
    shared memory per block and per compute unit, 32-bit registers per
    compute unit, and `matrix_ops`, the matrix instructions the code may
    use, by input type (`mma.f16`, `mma.bf16`, `mfma.f16`, ...; `mma.tf32`
    only where f32 products may round their inputs to TF32).

    ```mlir
    #host = #r1k.target<name = "host", cpu = "x86-64-v4",
                        features = ["avx2", "fma", "avx512f"], vector_bits = 512,
                        vector_registers = 32, l1_bytes = 49152, l2_bytes = 1048576,
                        l3_bytes = 33554432, cores = 2, fma_per_cycle = 2>
    #sm90 = #r1k.target<name = "sm_90", compute_units = 132, warp_size = 32,
                        shared_per_block = 232448, shared_per_unit = 233472,
                        registers_per_unit = 65536, matrix_ops = ["mma.f16", "mma.bf16"]>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"host, sm_80, sm_90, gfx90a, ...">:$name,
    StringRefParameter<"the host CPU: x86-64-v3, x86-64-v4", "\"\"">:$cpu,
    DefaultValuedParameter<"::mlir::ArrayAttr", "nullptr",
                           "ISA extensions the code may use">:$features,
    DefaultValuedParameter<"int64_t", "0">:$vector_bits,
    DefaultValuedParameter<"int64_t", "0">:$vector_registers,
    DefaultValuedParameter<"int64_t", "0">:$l1_bytes,
    DefaultValuedParameter<"int64_t", "0">:$l2_bytes,
    DefaultValuedParameter<"int64_t", "0">:$l3_bytes,
    DefaultValuedParameter<"int64_t", "1">:$cores,
    DefaultValuedParameter<"int64_t", "0">:$fma_per_cycle,
    DefaultValuedParameter<"int64_t", "0">:$compute_units,
    DefaultValuedParameter<"int64_t", "0">:$warp_size,
    DefaultValuedParameter<"int64_t", "0">:$shared_per_block,
    DefaultValuedParameter<"int64_t", "0">:$shared_per_unit,
    DefaultValuedParameter<"int64_t", "0">:$registers_per_unit,
    DefaultValuedParameter<"::mlir::ArrayAttr", "nullptr",
                           "matrix instructions by input type">:$matrix_ops
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// Whether `features` names `feature`.
    bool hasFeature(::llvm::StringRef feature) const;
    /// The entry of `matrix_ops` for inputs of `element` type ("mma.f16",
    /// "mfma.bf16", "mma.tf32" for f32), or "" when the target has none.
    ::llvm::StringRef getMatrixOp(::mlir::Type element) const;
    bool isHost() const { return getName() == ::mlir::r1k::kHostTargetName; }
    /// The key of this target's entries in a kernel's `variants`: the name,
    /// and for the host the CPU too ("host-x86-64-v4"), since one artifact
    /// may carry a build per ISA, each with its own variants.
    std::string getVariantKey() const {
      return getCpu().empty() ? getName().str() : (getName() + "-" + getCpu()).str();
    }
  }];
}

//===----------------------------------------------------------------------===//
// Kernel variants
//===----------------------------------------------------------------------===//

def R1K_Packing : I32EnumAttr<"Packing", "where a GEMM operand is packed into panels", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"compile_time", 1>,
    I32EnumAttrCase<"run_time", 2>,
    I32EnumAttrCase<"per_call", 3>
  ]> {
  let cppNamespace = "::mlir::r1k";
  let genSpecializedAttr = 0;
}

def R1K_HostDot : I32EnumAttr<"HostDot",
    "the instruction a host GEMM's micro-kernel multiplies and adds with", [
    I32EnumAttrCase<"fma", 0>,
    I32EnumAttrCase<"dpbf16", 1>,
    I32EnumAttrCase<"dpbusd", 2>
  ]> {
  let cppNamespace = "::mlir::r1k";
  let genSpecializedAttr = 0;
}

def R1K_HostGemmAttr : R1K_Attr<"HostGemm", "host_gemm"> {
  let summary = "How host code computes one matmul kernel";
  let description = [{
    C = A * B is computed in MR x NR register blocks of `vector`-wide f32
    accumulators (NR a multiple of `vector`), walking K in steps of KC. The
    tasks of the kernel's thread split are the MC x NC blocks of C (per
    batch): a task's blocks write disjoint elements, and each element sums
    its products in the same order whatever the thread count. `pack_b` says
    where B is laid out in NR-wide panels: at compile time (a constant
    weight, stored packed), never (B is read in place, row by row), at run
    time by each task for its own block (`run_time`), or at run time once
    per call (`per_call`): a phase before the tasks writes all of B's
    panels into the kernel's arena scratch, which every task then reads,
    so a convolution's im2col gather runs once rather than once per block
    of M. With `pack_a`, each task first copies its MC x KC block of A
    into MR-row panels (k-major), so the micro-kernel's broadcasts read one
    stream instead of MR rows that may map onto one cache set. The fused
    body runs on each block while it is in cache. Tasks are numbered N
    block fastest, so that an M block of A is read from memory once and
    then from cache; with `m_inner`, M block fastest, for a B (a large
    weight) that would otherwise stream from memory once per M block.

    `dot` names the micro-kernel's instruction: `fma` (default) multiplies
    one k at a time with f32 FMAs, 16-bit operands widened as they are
    loaded; `dpbf16` (bf16 operands, AVX512-BF16) takes two k at a time
    with vdpbf16ps: B's panels hold k-pairs, two bf16 per 32-bit lane
    (an odd K's last pair padded with zero), A's pair of a row is broadcast
    as one 32-bit value, and the sums are f32. It needs B packed, A in
    place, 512-bit vectors and an even `kc`. `dpbusd` (an
    `r1.matmul_integer` or `r1.conv_integer` with a constant 8-bit weight,
    AVX512-VNNI) takes four k at a time with vpdpbusd into i32 sums: B's
    panels hold k-quads, four bytes of a column per 32-bit lane (K padded
    to a multiple of 4 with zeros), A's quad of a row is broadcast as one
    32-bit value. The weight is stored packed and flipped to signed bytes
    (a convolution's A as rows of whole quads, a matmul's B as panels), the
    activation read or packed as unsigned bytes; the zero points' terms are
    added as the sums are stored, so it needs 512-bit vectors, A in place
    and one K step (`kc` >= K).

    `transposed` (an `r1.conv_integer` with `dot = dpbusd`, or an `r1.conv`
    with `dot = dpbf16` and an f32 result) computes C^T =
    B^T A^T, for a convolution whose output plane N is too narrow for whole
    vectors of positions (7 x 7 = 49 fills 49 of 64 lanes): the positions
    are broadcast and the output channels fill the vectors. The per-call
    im2col panels are read as the broadcast side (a position's quads lie
    NR positions apart), the weight is stored as NR-wide panels of k-quads
    like a matmul's B, and each block of MR positions x NR channels is
    transposed in registers as it is stored, so C keeps its layout; a bias
    starts the sums per column. `mr` and `mc` then count positions, `nr` and
    `nc` output channels, and NR is also the width of the im2col panels; it
    needs `mr` = 8 dividing `nr`, `pack_b = per_call` and one K step.

    ```mlir
    #r1k.host_gemm<mr = 14, nr = 32, vector = 16, kc = 256, mc = 112,
                   nc = 512, pack_b = compile_time, pack_a = true>
    #r1k.host_gemm<mr = 14, nr = 32, vector = 16, kc = 768, mc = 112,
                   nc = 512, pack_b = compile_time, dot = dpbf16>
    #r1k.host_gemm<mr = 8, nr = 48, vector = 16, kc = 768, mc = 128,
                   nc = 768, pack_b = compile_time, dot = dpbusd>
    ```
  }];
  let parameters = (ins
    "int64_t":$mr,
    "int64_t":$nr,
    "int64_t":$vector,
    "int64_t":$kc,
    "int64_t":$mc,
    "int64_t":$nc,
    EnumParameter<R1K_Packing>:$pack_b,
    DefaultValuedParameter<"bool", "false",
                           "A packed per task into MR-row panels">:$pack_a,
    DefaultValuedParameter<"bool", "false",
                           "consecutive tasks walk the M blocks of one N block">:$m_inner,
    DefaultValuedParameter<"::mlir::r1k::HostDot", "::mlir::r1k::HostDot::fma",
                           "the micro-kernel's multiply-add">:$dot,
    DefaultValuedParameter<"bool", "false",
                           "positions broadcast, output channels in the vectors">:$transposed
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def R1K_HostIntegerGemmAttr : R1K_Attr<"HostIntegerGemm", "host_integer_gemm"> {
  let summary = "How host code computes one integer matmul or convolution";
  let description = [{
    An `r1.matmul_integer` or `r1.conv_integer` (a convolution as an implicit
    GEMM per image and group, the weight as A and the im2col matrix as B)
    with i32 sums, exactly. A phase before the tasks packs A and B into the
    kernel's scratch with their zero points subtracted, as 16-bit integers
    in pairs along K: A as one i32 per (row, pair of k), B as panels of `nr`
    = `lanes` x `vectors` columns, each column's pair adjacent. The
    micro-kernel keeps `mr` x `vectors` accumulators of `lanes` i32; per pair
    of k it broadcasts a row's pair and multiplies it into each B vector
    with a multiply-add of 16-bit pairs into i32 (vpmaddwd), which is exact:
    a difference of 8-bit values and its zero point fits in 16 bits, and
    two products of such differences in 32. Tasks are blocks of `mc` rows
    of one panel per GEMM; the fused body (the requantization) runs on each
    block of `mr` rows as soon as its sums are stored.

    ```mlir
    #r1k.host_integer_gemm<lanes = 16, mr = 8, vectors = 3, mc = 64>
    ```
  }];
  let parameters = (ins "int64_t":$lanes, "int64_t":$mr, "int64_t":$vectors, "int64_t":$mc);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getNr() const { return getLanes() * getVectors(); }
  }];
}

def R1K_GpuGemmInstruction : I32EnumAttr<"GpuGemmInstruction",
    "the instruction (and template) a GPU GEMM computes with", [
    I32EnumAttrCase<"ffma", 0>,
    I32EnumAttrCase<"ffma_wide", 1>,
    I32EnumAttrCase<"mma", 2>,
    I32EnumAttrCase<"mfma", 3>,
    I32EnumAttrCase<"wgmma", 4>
  ]> {
  let cppNamespace = "::mlir::r1k";
  let genSpecializedAttr = 0;
}

def R1K_GpuGemmAttr : R1K_Attr<"GpuGemm", "gpu_gemm"> {
  let summary = "How GPU code computes one matmul or implicit-GEMM convolution";
  let description = [{
    A block of `threads` threads computes a `block_m` x `block_n` tile of
    C, walking K in steps of `block_k` staged through shared memory
    (`stages` buffers; 1: no copy overlaps the products). Grid x walks the
    N tiles, y the M tiles, z the batch (a convolution's groups).

    `instruction` names the template:
    - `ffma`: 16 x 16 threads, each accumulating `thread_m` x `thread_n`
      outputs with fused multiply-adds; thread (tx, ty) owns rows
      ty + 16 i and columns tx + 16 j, so its stores are coalesced.
    - `ffma_wide`: the same for large f32 products, 8 x 8 outputs a
      thread in 4-wide groups that each step reads as 16-byte shared
      loads (a 128 x 128 tile of 256 threads, K steps of 8).
    - `mma` (NVIDIA `mma.sync`) and `mfma` (AMD MFMA): warps of the
      target's width, each computing a `warp_m` x `warp_n` tile with the
      matrix instruction the target has for the element type, f32
      accumulators. `mma` with `stages` >= 2 is the pipelined template
      (f16, bf16): `stages` buffers of dynamic shared memory filled by
      cp.async while earlier steps compute, fragments by ldmatrix.
      `mfma` takes 2 x 2 waves of 64 (threads = 256), each
      warp tile whole 32 x 32 v_mfma_f32_32x32x8 tiles held in registers
      across the k-loop, `block_k` a multiple of 16 and `stages = 2`: two
      shared buffers, A and B both stored k-contiguous, the next step's
      tiles loaded into registers while the current one computes.

    - `wgmma` (sm_90a): warpgroups of 128 threads, each computing a
      `warp_m` x `warp_n` tile with `wgmma.mma_async` on operands that
      cp.async stages in wgmma's 128-byte-swizzled shared layouts.

    `warp_m`, `warp_n` are 0 for FFMA and `thread_m`, `thread_n` 0 for
    the matrix instructions.

    `split_k` > 1 (the pipelined `mma` template, for grids that would
    leave compute units idle): grid z walks the batch times `split_k`
    slices of K; each block writes its slice's f32 partial product to the
    kernel's scratch, and a second launch sums the slices and applies the
    fused body.

    ```mlir
    #r1k.gpu_gemm<instruction = mma, threads = 128, block_m = 64, block_n = 64,
                  block_k = 32, warp_m = 32, warp_n = 32, stages = 1>
    #r1k.gpu_gemm<instruction = mfma, threads = 256, block_m = 128, block_n = 128,
                  block_k = 32, warp_m = 64, warp_n = 64, stages = 2>
    #r1k.gpu_gemm<instruction = ffma, threads = 256, block_m = 32, block_n = 64,
                  block_k = 16, thread_m = 2, thread_n = 4, stages = 1>
    ```
  }];
  let parameters = (ins
    EnumParameter<R1K_GpuGemmInstruction>:$instruction,
    "int64_t":$threads,
    "int64_t":$block_m,
    "int64_t":$block_n,
    "int64_t":$block_k,
    DefaultValuedParameter<"int64_t", "0", "rows of C per warp (matrix instructions)">:$warp_m,
    DefaultValuedParameter<"int64_t", "0", "columns of C per warp">:$warp_n,
    DefaultValuedParameter<"int64_t", "0", "rows of C per thread (FFMA)">:$thread_m,
    DefaultValuedParameter<"int64_t", "0", "columns of C per thread">:$thread_n,
    "int64_t":$stages,
    DefaultValuedParameter<"int64_t", "1", "slices of K computed by separate blocks">:$split_k
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  // split_k defaults to 1 for the templates that never split.
  let skipDefaultBuilders = 1;
  let builders = [
    AttrBuilder<(ins "GpuGemmInstruction":$instruction, "int64_t":$threads, "int64_t":$block_m,
                     "int64_t":$block_n, "int64_t":$block_k, "int64_t":$warp_m,
                     "int64_t":$warp_n, "int64_t":$thread_m, "int64_t":$thread_n,
                     "int64_t":$stages, CArg<"int64_t", "1">:$split_k), [{
      return $_get($_ctxt, instruction, threads, block_m, block_n, block_k, warp_m, warp_n,
                   thread_m, thread_n, stages, split_k);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Whether warps compute with a matrix instruction (mma, mfma) rather
    /// than threads with FFMA.
    bool usesMatrixInstruction() const {
      return getInstruction() == GpuGemmInstruction::mma ||
             getInstruction() == GpuGemmInstruction::mfma ||
             getInstruction() == GpuGemmInstruction::wgmma;
    }
  }];
}

def R1K_HostDepthwiseConvAttr : R1K_Attr<"HostDepthwiseConv", "host_depthwise_conv"> {
  let summary = "How host code computes one depthwise convolution";
  let description = [{
    A convolution whose groups each read one input channel (depthwise:
    every output channel filters one plane) has too few filters and taps
    per group to block as a GEMM. It runs as a direct kernel: each task is
    one output channel of one image; each output row is computed `vectors`
    vectors of `vector` adjacent output columns at a time, the filter's
    taps as broadcasts, the inputs as (masked) vector loads of the row,
    with the two lanes of a stride of 2 separated by a shuffle and other
    strides gathered. The fused body runs on each output plane once it is
    stored.

    ```mlir
    #r1k.host_depthwise_conv<vector = 16, vectors = 4>
    ```
  }];
  let parameters = (ins "int64_t":$vector, "int64_t":$vectors);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def R1K_HostAttentionAttr : R1K_Attr<"HostAttention", "host_attention"> {
  let summary = "How host code computes one fused attention";
  let description = [{
    Online-softmax attention that never stores the scores: each task is
    one block of `query_block` queries of one (batch, head), held
    transposed on the stack so that vectors of `vector` lanes run across
    queries. It walks the keys `key_block` at a time: the block's scores
    (transposed: keys by queries) as `rows` keys by up to four vectors of
    queries in registers, keys broadcast from where they are; then each
    query's running maximum and sum, down the lanes; then the output
    (transposed: value dims by queries) as `rows` value dims by up to four
    vectors. With a gate, `key_block` and `query_block` are the gate's
    block, and blocks the gate leaves out are skipped.

    ```mlir
    #r1k.host_attention<vector = 16, rows = 6, query_block = 64, key_block = 64>
    ```
  }];
  let parameters = (ins "int64_t":$vector, "int64_t":$rows, "int64_t":$query_block,
                        "int64_t":$key_block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def R1K_GpuAttentionAttr : R1K_Attr<"GpuAttention", "gpu_attention"> {
  let summary = "How GPU code computes one fused attention";
  let description = [{
    Online-softmax attention (FlashAttention-2's order): a block of
    `warps` warps per (batch, head, block of `query_block` query rows)
    stages its rows of Q in shared memory, then walks the keys `key_block`
    at a time, K and V tiles staged in shared memory through `stages`
    buffers. Each row's running maximum and sum stay in registers, its
    output accumulates in f32, and neither the scores nor the
    probabilities ever go to global memory.

    With `matrix`, warps compute both products with the target's matrix
    instruction on f16 and bf16, and the scores' accumulators become the
    probabilities' operand registers without leaving the warp: on NVIDIA,
    warps of 16 query rows on mma.sync m16n8k16, cp.async filling `stages`
    (2 or more) buffers one tile ahead; on AMD, waves of 32 query rows on
    v_mfma_f32_32x32x8, both products transposed, one buffer (`stages` 1).
    Without it, each warp's lanes split the keys of a tile for the scores
    and the value columns for the output, in f32 FMAs (`stages` is 1: one
    buffer holds K, then V).

    A gated attention (#r1.attention_gate) takes `query_block` equal to the
    gate's block: the block finds its kept key blocks first, from its
    staged rows of Q, and walks only those.

    ```mlir
    #r1k.gpu_attention<query_block = 128, key_block = 64, warps = 8, matrix = true, stages = 2>
    #r1k.gpu_attention<query_block = 128, key_block = 64, warps = 4, matrix = true, stages = 1>
    #r1k.gpu_attention<query_block = 32, key_block = 32, warps = 4, matrix = false, stages = 1>
    ```
  }];
  let parameters = (ins "int64_t":$query_block, "int64_t":$key_block, "int64_t":$warps,
                        "bool":$matrix, "int64_t":$stages);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // R1K_ATTRS_TD
