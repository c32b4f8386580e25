// Attributes of the r1 graph dialect.
#ifndef R1_ATTRS_TD
#define R1_ATTRS_TD

include "R1Dialect.td"
include "mlir/IR/EnumAttr.td"

def R1_ScatterReduction : I32EnumAttr<"ScatterReduction",
    "how a scatter combines an update with the element it lands on", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"add", 1>,
    I32EnumAttrCase<"mul", 2>,
    I32EnumAttrCase<"max", 3>,
    I32EnumAttrCase<"min", 4>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::r1";
}

def R1_ScatterReductionAttr
    : EnumAttr<R1_Dialect, R1_ScatterReduction, "scatter_reduction"> {
  let summary = "How a scatter combines each update: `none` overwrites (the "
                "last update of an element wins), or add, mul, max, min";
  let assemblyFormat = "`<` $value `>`";
}

def R1_RecurrentCell : I32EnumAttr<"RecurrentCell",
    "the cell a recurrence steps: ONNX RNN, GRU or LSTM", [
    I32EnumAttrCase<"rnn", 0>,
    I32EnumAttrCase<"gru", 1>,
    I32EnumAttrCase<"lstm", 2>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::r1";
}

def R1_RecurrentCellAttr : EnumAttr<R1_Dialect, R1_RecurrentCell, "recurrent_cell"> {
  let summary = "The cell of a recurrence: rnn (1 gate), gru (3: z, r, h) or "
                "lstm (4: i, o, f, c)";
  let assemblyFormat = "`<` $value `>`";
}

def R1_RecurrentDirection : I32EnumAttr<"RecurrentDirection",
    "which way a recurrence walks its sequence", [
    I32EnumAttrCase<"forward", 0>,
    I32EnumAttrCase<"reverse", 1>,
    I32EnumAttrCase<"bidirectional", 2>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::r1";
}

def R1_RecurrentDirectionAttr
    : EnumAttr<R1_Dialect, R1_RecurrentDirection, "recurrent_direction"> {
  let summary = "forward, reverse, or bidirectional (forward is direction 0)";
  let assemblyFormat = "`<` $value `>`";
}

def R1_RecurrentActivation : I32EnumAttr<"RecurrentActivation",
    "an activation function of ONNX's recurrent ops", [
    I32EnumAttrCase<"relu", 0>,
    I32EnumAttrCase<"tanh", 1>,
    I32EnumAttrCase<"sigmoid", 2>,
    I32EnumAttrCase<"affine", 3>,
    I32EnumAttrCase<"leaky_relu", 4>,
    I32EnumAttrCase<"thresholded_relu", 5>,
    I32EnumAttrCase<"scaled_tanh", 6>,
    I32EnumAttrCase<"hard_sigmoid", 7>,
    I32EnumAttrCase<"elu", 8>,
    I32EnumAttrCase<"softsign", 9>,
    I32EnumAttrCase<"softplus", 10>
  ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::r1";
}

def R1_RecurrentActivationAttr
    : EnumAttr<R1_Dialect, R1_RecurrentActivation, "recurrent_activation"> {
  let summary = "An activation of a recurrent cell, with the alpha and beta "
                "of the ONNX operator of that name where it takes them";
  let assemblyFormat = "`<` $value `>`";
}

def R1_RecurrentActivationArrayAttr
    : TypedArrayAttrBase<R1_RecurrentActivationAttr, "recurrent activations">;

def R1_AttentionGateAttr : AttrDef<R1_Dialect, "AttentionGate"> {
  let mnemonic = "attention_gate";
  let summary = "Which key blocks a gated attention computes";
  let description = [{
    Keys are cut into blocks of `block` keys, queries likewise. For each
    query block, a gate scores every key block by the dot product of the
    query block's mean query with the key block's mean key, and the
    attention computes `ceil(keep * visible blocks)` of them: the first
    `global` blocks, the `window` blocks on either side of the query
    block's own (its diagonal), then the best-scored others (more when the
    first two kinds alone are more). With a causal mask, only blocks some
    query of the block may see are visible.

    With a `threshold` above 0, a block is also computed when some query
    of the query block is estimated to give it at least that share of its
    weight: each key block's estimate (its mean key, the variance of its
    keys and its key count, as `rest = mean` forms them) gives every
    query's share of each block, so the blocks that matter are kept however
    many there are, and `keep` is a floor. Attention spread evenly over the
    keys keeps every block; attention concentrated on a few keeps few.

    `rest` says what becomes of the blocks left out: `drop` gives their
    keys no weight, as if masked; `mean` counts each as one key, its mean
    key and mean value, weighted by how many keys it holds (the keys a
    padding mask leaves), so the softmax keeps their share of the weight.
    `mean` needs a mask that is the same for every query of a key.

    ```mlir
    #r1.attention_gate<block = 64, keep = 0.25, threshold = 0.05, window = 1, global = 1,
                       rest = mean>
    ```

    A threshold needs `rest = mean`, whose estimates it reads.
  }];
  let parameters = (ins "int64_t":$block, "::llvm::APFloat":$keep, "::llvm::APFloat":$threshold,
                        "int64_t":$window, "int64_t":$global, "bool":$estimateRest);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The fraction of key blocks kept, in (0, 1].
    double getKeepRatio() const { return getKeep().convertToDouble(); }
    /// The least share of a query's weight that keeps a block; 0 for none.
    double getThresholdShare() const { return getThreshold().convertToDouble(); }
    /// Key blocks computed per query block when `visible` are visible, at
    /// the least (a threshold may keep more at run time).
    int64_t getKeptBlocks(int64_t visible) const;
    /// Key blocks computed, summed over the query blocks of an attention
    /// of `queries` x `keys`, and the blocks there are to compute (after
    /// causal skipping), as the kernels count them; with a threshold, the
    /// least they compute.
    std::pair<int64_t, int64_t> countBlocks(int64_t queries, int64_t keys, bool causal) const;
  }];
}


def R1_PrecisionAttr : AttrDef<R1_Dialect, "Precision"> {
  let mnemonic = "precision";
  let summary = "The number formats one op computes in";
  let description = [{
    Written by r1c-select-precision on the ops it lowers from the model's
    f32, read by r1c-apply-precision: `compute` is the element type the
    op's float operands take (weights converted when compiling, other
    operands cast), `accumulate` the type its sums run in (products of a
    matmul or convolution: f32 whatever `compute` is), and `storage` the
    element type of its result. An op without the attribute computes in
    the types its operands have.

    ```mlir
    %y = r1.matmul %x, %w {r1.precision = #r1.precision<compute = bf16, accumulate = f32, storage = f32>}
    ```
  }];
  let parameters = (ins "::mlir::Type":$compute, "::mlir::Type":$accumulate,
                        "::mlir::Type":$storage);
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// The discardable attribute's name on the ops it describes.
    static constexpr ::llvm::StringLiteral kName = "r1.precision";
  }];
}

def R1_RangeAttr : AttrDef<R1_Dialect, "Range"> {
  let mnemonic = "range";
  let summary = "The values one tensor takes, as calibration measured them";
  let description = [{
    The interval a calibration run found a tensor's values in, after its
    method (min/max, a percentile, or the entropy of its histogram) clipped
    the outliers: integer formats spread their codes over it. Ops carry
    them as `r1.operand_ranges`, one entry per operand, `unit` for an
    operand not measured (a constant, whose values the compiler reads).

    ```mlir
    %y = r1.matmul %x, %w {r1.operand_ranges = [#r1.range<-3.5, 4.25>, unit]}
    ```
  }];
  let parameters = (ins "::llvm::APFloat":$min, "::llvm::APFloat":$max);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The discardable attribute on ops: an array with one range (or
    /// unit) per operand.
    static constexpr ::llvm::StringLiteral kOperandRangesName = "r1.operand_ranges";
    double getLower() const { return getMin().convertToDouble(); }
    double getUpper() const { return getMax().convertToDouble(); }
    /// The measured range of operand `index` of `op`, or null.
    static RangeAttr ofOperand(::mlir::Operation *op, unsigned index);
  }];
}

def R1_ChannelRangesAttr : AttrDef<R1_Dialect, "ChannelRanges"> {
  let mnemonic = "channel_ranges";
  let summary = "The values each channel of one tensor takes, as calibration measured them";
  let description = [{
    The smallest and largest value calibration saw in each channel (index
    along the last dim) of a matmul's activation, unclipped. Ops carry them
    as `r1.operand_channel_ranges`, one entry per operand, `unit` for an
    operand not measured per channel. int8 smooths a matmul with them: it
    divides channel c of the activation by a factor s_c and multiplies row
    c of the constant weight by it, and the smoothed activation's range is
    [min_c(min[c] / s_c), max_c(max[c] / s_c)].

    ```mlir
    %y = r1.matmul %x, %w {r1.operand_channel_ranges = [
        #r1.channel_ranges<[-1.0, -30.0], [2.0, 40.0]>, unit]}
    ```
  }];
  let parameters = (ins "::mlir::DenseF32ArrayAttr":$min, "::mlir::DenseF32ArrayAttr":$max);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The discardable attribute on ops: an array with one entry (or unit)
    /// per operand.
    static constexpr ::llvm::StringLiteral kOperandChannelRangesName =
        "r1.operand_channel_ranges";
    int64_t getChannels() const { return getMin().size(); }
    /// The measured channel ranges of operand `index` of `op`, or null.
    static ChannelRangesAttr ofOperand(::mlir::Operation *op, unsigned index);
  }];
}

def R1_ChannelMeansAttr : AttrDef<R1_Dialect, "ChannelMeans"> {
  let mnemonic = "channel_means";
  let summary = "The mean of each channel of one tensor, as calibration measured it";
  let description = [{
    The average calibration found in each channel of a matmul's or a
    convolution's activation: along the last dim of a matmul's, along dim 1
    (NCHW) of a convolution's. Ops carry them as `r1.operand_channel_means`,
    one entry per operand, `unit` for an operand not measured. int8 reads
    them to correct its bias: rounding a weight to 8 bits moves each output
    channel's mean by sum_k (W_q - W)[k, n] mean[k], which the activations'
    means being far from 0 (after a ReLU or a hard swish) makes systematic.

    ```mlir
    %y = r1.conv %x, %w {r1.operand_channel_means = [#r1.channel_means<[0.25, 1.5]>, unit]}
    ```
  }];
  let parameters = (ins "::mlir::DenseF32ArrayAttr":$mean);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The discardable attribute on ops: an array with one entry (or unit)
    /// per operand.
    static constexpr ::llvm::StringLiteral kOperandChannelMeansName = "r1.operand_channel_means";
    int64_t getChannels() const { return getMean().size(); }
    /// The measured channel means of operand `index` of `op`, or null.
    static ChannelMeansAttr ofOperand(::mlir::Operation *op, unsigned index);
  }];
}

#endif // R1_ATTRS_TD
