// Passes of r1c, grouped by area.
#ifndef R1C_PASSES_TD
#define R1C_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

def LegalizeOnnx : Pass<"r1c-legalize-onnx", "::mlir::func::FuncOp"> {
  let summary = "Replace imported ONNX nodes with typed r1 ops, by op type and opset";
  let description = [{
    Visits `r1.onnx_node` ops in program order and rewrites each with the
    pattern registered for its op type at the largest opset not above the
    node's. New ops get inferred types, are verified and folded before the
    next node is visited, so shape computations become constants and later
    nodes see static shapes. A node with no pattern, or whose new ops do not
    verify, is an error naming the node. Finally the function's result types
    are updated to the inferred ones.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def SpecializeDims : Pass<"r1c-specialize-dims", "::mlir::func::FuncOp"> {
  let summary = "Give symbolic input dims fixed sizes, by dim name";
  let description = [{
    Runs on the import phase, before legalization: every dynamic dim of a
    function argument whose name (`r1.dim_names`) is in `sizes` becomes that
    size. Legalization then infers static types for the whole graph and folds
    the shape computations that depended on it. This is how one artifact
    holds a specialization per shape bucket (`r1c --dim batch=1,8`).
    A name in `sizes` that no argument uses is an error.
  }];
  let options = [
    ListOption<"sizes", "sizes", "std::string",
               "NAME=SIZE pairs, e.g. batch=8">
  ];
}

def FoldWeightTransposes : Pass<"r1c-fold-weight-transposes", "::mlir::func::FuncOp"> {
  let summary = "Transpose constant weights at compile time";
  let description = [{
    Exporters write `MatMul(x, Transpose(W))` for a linear layer whose
    weight is stored [out, in]: Gemm with transB, and GPT-2's language-model
    head, which reads the token embedding. Without this pass the transpose
    runs on every inference, over the whole weight (154 MB for GPT-2's
    head). Each `r1.transpose` of an `r1.constant` becomes a constant holding
    the transposed elements, out of line as the weights are. A weight that
    other ops read as it is stays too: the artifact then holds both layouts.
    Boolean constants are left alone (MLIR packs them into bits).
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def FoldBatchNorms : Pass<"r1c-fold-batch-norms", "::mlir::func::FuncOp"> {
  let summary = "Fold inference batch norms into the convolutions before them";
  let description = [{
    A batch norm in inference mode is a per-channel affine map, so one that
    is the only reader of a convolution with constant f32 weights folds into
    them: the weights are scaled by `scale / sqrt(var + epsilon)` per filter
    and the bias becomes `(bias - mean) * s + shift`, computed in double and
    rounded once. The convolution then writes the normalized result and the
    batch norm's pass over the activation disappears (ResNet-50 exports
    keep one after every convolution). The new weight is out of line,
    named after the original, so shape buckets share it; the fused
    location names both ONNX nodes.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def FuseDecomposedOps : Pass<"r1c-fuse-decomposed-ops", "::mlir::func::FuncOp"> {
  let summary = "Recognize ops that exporters spell out, and use the fused r1 op";
  let description = [{
    PyTorch's exporter writes LayerNormalization as ReduceMean, Sub, Pow,
    ReduceMean, Add, Sqrt, Div, Mul and Add. Such a chain becomes one
    `r1.layer_norm` when it computes exactly that: both means over the same
    trailing dims with keepdims, the square as `pow` by a constant 2 or a
    product of the difference with itself, a constant epsilon, a scale (and
    optionally a bias) of the normalized dims' shape, and no value inside
    the chain read by anything else. Host and GPU code then make one pass
    for statistics and one for the result, where the chain took four
    kernels and as many round trips through memory; 16-bit floats keep
    their statistics in f32. The fused op carries the chain's locations, so
    errors still name the ONNX nodes.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def FuseQuantizedContractions : Pass<"r1c-fuse-quantized-contractions",
                                      "::mlir::func::FuncOp"> {
  let summary = "Run matmuls and convolutions of dequantized 8-bit values as integer contractions";
  let description = [{
    QDQ models (what onnxruntime.quantization writes by default) keep
    float MatMul and Conv nodes between DequantizeLinear and QuantizeLinear.
    `r1.matmul(r1.dequantize(a, sa, za), r1.dequantize(b, sb, zb))` becomes
    `r1.matmul_integer(a, b, za, zb)` cast to f32 and scaled by `sa * sb`,
    and a convolution likewise (`r1.conv_integer`, its float bias added
    after the scale), when a and x are quantized per tensor and b or w per
    tensor or per output column (channel), as 8-bit integers. The sums are
    exact, and the following `r1.quantize` fuses into the integer kernel as
    its requantization, so the chain runs on integers from end to end.
    On modules whose targets are all the host, a per-tensor `r1.quantize`
    of a max pool's only result moves above the pool, which then takes the
    8-bit codes: the max commutes with the quantization exactly.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def FuseAttention : Pass<"r1c-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Replace each attention that exporters spell out with one r1.attention";
  let description = [{
    Decides, then applies. For every softmax over the last axis it matches
    the chain back to `matmul(q, k^T)` and forward to `matmul(p, v)`:
    scales (a multiplication or division by a constant, on the scores or
    on q and k before the product), additive biases (padding masks,
    position biases), boolean masks through `where` with a constant fill,
    casts around the softmax, and a `where(is_nan(p), 0, p)` guard. q, k and
    v are traced back through transposes (and a tile, or an expand and
    reshape, of key/value heads for grouped queries), so the fused op reads
    them in the layout the projections wrote; a context transposed back to
    [b, s, h, d] is written that way directly. A constant lower-triangular
    mask becomes `causal`. Each match becomes one `r1.attention` carrying
    the locations of the ops it replaces; chains whose middle values have
    other readers stay unfused.
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

//===----------------------------------------------------------------------===//
// Shape buckets
//===----------------------------------------------------------------------===//

def FindIndependentDims : Pass<"r1c-find-independent-dims", "::mlir::func::FuncOp"> {
  let summary = "Find a symbolic input dim whose rows never mix, so requests can be padded";
  let description = [{
    Runs on the graph phase of an unspecialized function. For each symbolic
    dim name of the arguments, in first-use order, a forward dataflow gives
    every value one state: free (does not depend on the dim's rows), carried
    along an axis whose element i belongs to row i / factor, the dim's
    extent as an element of a shape vector, or mixed. Elementwise ops,
    matmuls off their contracted dim, convolution and pooling along N,
    reductions and normalizations over other axes, transposes, views whose
    leading element count is kept, gathers, slices, concats, splits,
    expands, tiles and pads off the carried axis keep rows apart; anything
    else touching the dim mixes them.

    The first dim with no mixed value, whose every result is free or
    carried with factor 1, is recorded: `r1.independent_dim` on the
    function, `r1.pad_axis` on each argument and result that carries it.
    A request smaller than a shape bucket can then run in it, padded with
    zero rows that no real row ever reads. When no dim qualifies, nothing
    is recorded.
  }];
}

//===----------------------------------------------------------------------===//
// Kernel formation
//===----------------------------------------------------------------------===//

def FormKernels : Pass<"r1c-form-kernels", "::mlir::func::FuncOp"> {
  let summary = "Group r1 ops into r1k.kernel ops: an anchor plus its fused elementwise consumers";
  let description = [{
    Walks the graph in order. Every op that is not elementwise, a constant
    or a view (reshape, squeeze, unsqueeze, flatten) anchors a new kernel.
    An elementwise op joins the kernel that produces one of its operands when
    that value has no other use and has the op's result shape; otherwise it
    starts an `elementwise` kernel of its own. Scalar and splat constants
    are copied into the kernels that read them; other constants are weights
    and stay outside as inputs. Views and constants remain between kernels.
  }];
  let dependentDialects = ["::mlir::r1k::R1KDialect"];
}

def SelectAttentionGate : Pass<"r1c-select-attention-gate", "::mlir::func::FuncOp"> {
  let summary = "Decide which fused attentions skip key blocks, and how many";
  let description = [{
    With `policy` = `dense` (the default) nothing changes. With
    `gated[:block=B,keep=K,threshold=T,window=W,global=G,rest=R]` (defaults
    64, 0.25, 0.05, 1, 1, mean), every `r1.attention` with more key blocks
    than the gate would keep gets `gate = #r1.attention_gate<block = B,
    keep = K, threshold = T, window = W, global = G, rest = R>`; the
    kernels then compute only the kept blocks of each query block (at least
    K of them, and any that some query is estimated to give T of its
    weight), and estimate the others from their mean key and value (`mean`)
    or drop them (`drop`, which has no threshold). An attention whose mask
    differs between queries gets `rest = drop`: a block's mean could not
    honour it. An attention with fewer key blocks than the gate keeps at
    the least stays dense: gating it would skip nothing. A malformed policy
    fails the pass with a message that names the bad field.
  }];
  let options = [
    Option<"policy", "policy", "std::string", "\"dense\"",
           "dense, or gated[:block=64,keep=0.25,threshold=0.05,window=1,global=1,rest=mean]">
  ];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

//===----------------------------------------------------------------------===//
// Variant selection
//===----------------------------------------------------------------------===//

def SelectVariants : Pass<"r1c-select-variants", "::mlir::ModuleOp"> {
  let summary = "Choose each kernel's variant per target by an analytic cost model";
  let description = [{
    For every target in the module's `r1k.targets` and every kernel whose
    anchor has variants on it, enumerates the legal candidates, scores each
    with the target's cost model and writes the cheapest into the kernel's
    `variants` under the target's name. Host matmuls get a
    `#r1k.host_gemm`: register blocks that fit the vector registers, K steps,
    cache blocks, and where B is packed, scored by the cycles of the
    micro-kernel (FMA and load throughput, FMA latency), cache misses, the
    traffic of packing and of partial sums, and how evenly the blocks share
    the target's cores. GPU matmuls and implicit-GEMM convolutions get a
    `#r1k.gpu_gemm` by fixed rules: the matrix instruction where the
    target has one for the element type, else 128 x 128 FFMA tiles for
    large products whose grid still fills the compute units, else smaller
    FFMA tiles, shrunk until the grid fills them. Scores and rules depend
    on shapes and the target alone, so the same model and target always
    give the same choice. With `variant-log`, every candidate, its score
    and why it lost (for a GPU, one line: the variant and why) are written
    to that file (appended to, so that the shape buckets of one compile
    share it). With `tuning-db`, a variant measured for the same problem on
    the same target (`r1c --tune`) wins over the model's, when it is among the
    legal candidates. A module without targets is left as it is.
  }];
  let options = [
    Option<"variantLog", "variant-log", "std::string", "\"\"",
           "Write every candidate with its score to this file ('-': stderr)">,
    Option<"packWeights", "pack-weights", "bool", "true",
           "Constant weights may be stored packed in the host code">,
    Option<"tuningDb", "tuning-db", "std::string", "\"\"",
           "Prefer the variants measured in this tuning database (r1c --tune)">
  ];
  let dependentDialects = ["::mlir::r1k::R1KDialect"];
}

//===----------------------------------------------------------------------===//
// Planning
//===----------------------------------------------------------------------===//

def PlanMemory : Pass<"r1c-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Assign every kernel result an offset in one static arena, by liveness";
  let description = [{
    A kernel's result lives from its kernel to its last reader; views
    (reshape, squeeze, unsqueeze, flatten) alias their input and extend its
    life. An elementwise kernel writes in place over an input of the same
    size that dies there. Buffers are placed greedily, largest first, at the
    lowest 64-byte-aligned offset free during their lifetime. A result whose
    dims are computed at run time from data (a reduction over axes given as
    a tensor) gets room for its largest possible size. Each kernel gets
    `result_offsets` (bytes; -1 for a result whose size depends on a dynamic
    dim, which the runtime places), the function `r1k.arena_size`.
  }];
}


//===----------------------------------------------------------------------===//
// Precision
//===----------------------------------------------------------------------===//

def SelectPrecision : Pass<"r1c-select-precision", "::mlir::func::FuncOp"> {
  let summary = "Decide the number format each op computes in";
  let description = [{
    With `policy` = `fp32` (the default) nothing changes. With `bf16` or
    `fp16`, every matmul and convolution whose operands are f32 gets
    `r1.precision = #r1.precision<compute = T, accumulate = f32, storage = f32>`:
    its products run in the lower format and sum in f32, and its result
    keeps the f32 sums. Everything else
    stays f32: elementwise ops are bound by memory, not arithmetic, and
    softmax, normalization statistics and reductions lose most to a short
    mantissa or a narrow range. Ops of a model that is already in a lower
    format keep theirs. With `fp16`, an op with a constant operand past
    f16's range (65504), or an operand whose calibrated `r1.operand_ranges`
    reach past it, stays f32 rather than compute with infinities.

    With `int8`, a matmul or convolution whose weight (operand 1) is a
    constant and whose activation (operand 0) has a calibrated range gets
    `#r1.precision<compute = i8, accumulate = i32, storage = f32>`: the
    activation is quantized per tensor to ui8, the weight per output
    channel to symmetric i8, and the exact integer sums are scaled back to
    f32 (passes/IntegerQuantization.h). A matmul whose activation was
    calibrated per channel (`r1.operand_channel_ranges`) and has an outlier
    channel also gets `r1.int8_smoothing = alpha`, from `int8-smoothing`
    (0 turns smoothing off). An int8 op whose activation has calibrated
    channel means (`r1.operand_channel_means`) gets
    `r1.int8_bias_correction` with `int8-bias-correction`: the apply pass
    takes off the mean shift the weight's rounding gives each output
    channel (passes/Int8BiasCorrection.h).
  }];
  let options = [
    Option<"policy", "policy", "std::string", "\"fp32\"", "fp32, bf16, fp16, int8 or auto">,
    Option<"int8Smoothing", "int8-smoothing", "double", "0.0",
           "Migration strength alpha of int8 matmul smoothing, in [0, 1]; 0 turns it off">,
    Option<"int8BiasCorrection", "int8-bias-correction", "bool", "false",
           "Take off the mean shift int8 weight rounding gives each output channel">
  ];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

def ApplyPrecision : Pass<"r1c-apply-precision", "::mlir::func::FuncOp"> {
  let summary = "Give each op the number formats its r1.precision names";
  let description = [{
    For every op with `r1.precision`: constant float operands become
    constants of the compute type (converted once, here, rounding to
    nearest even; out-of-line weights stay out of line), other float
    operands are cast to it, the result takes the storage type, and where
    that differs from the original a cast back serves the users that
    expected it. A round trip through a wider float (bf16 to f32 to bf16)
    folds away in canonicalization. An 8-bit integer compute type gives
    the op QDQ operands (r1.quantize then r1.dequantize of the activation,
    the weight's i8 codes dequantized), which
    r1c-fuse-quantized-contractions then turns into an integer contraction.
    An int8 matmul with `r1.int8_smoothing` (alpha, which the select pass
    writes) is smoothed first: its activation is multiplied by the constant
    1/s, its weight replaced by diag(s) W, and the activation quantized
    over the smoothed range (passes/IntegerQuantization.h says how s is
    chosen). One with `r1.int8_bias_correction` has the mean shift of its
    weight's rounding over the activation's channel means taken off its
    bias (a convolution's constant bias, else an r1.add after it).
  }];
  let dependentDialects = ["::mlir::r1::R1Dialect"];
}

#endif // R1C_PASSES_TD
