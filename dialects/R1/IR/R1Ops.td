// Ops of the r1 graph dialect.
#ifndef R1_OPS_TD
#define R1_OPS_TD

include "R1Dialect.td"
include "R1Attrs.td"

//===----------------------------------------------------------------------===//
// Import and constants
//===----------------------------------------------------------------------===//

def R1_OnnxNodeOp : R1_Op<"onnx_node"> {
  let summary = "One ONNX node as imported, before legalization";
  let description = [{
    The importer turns each ONNX node into one `r1.onnx_node` that keeps
    everything the file said: op type, domain, the opset in force for that
    domain, the node name and its attributes (`onnx_attrs`). Absent optional
    inputs are the value of an `r1.none`. `r1c-legalize-onnx` replaces it with
    typed r1 ops, choosing the pattern by op type and opset.

    ```mlir
    %y = r1.onnx_node "Relu"(%x) {domain = "", opset = 17 : i64,
        node_name = "relu1", onnx_attrs = {}} : (tensor<4xf32>) -> !r1.unknown
    ```

    A graph attribute (If's branches, the body of Loop and Scan) is a region,
    named in `subgraphs` in region order: the subgraph's inputs are the block
    arguments, its nodes are `r1.onnx_node`s and its outputs are the operands
    of the closing `r1.onnx_yield`. Regions are not isolated from above, since
    ONNX subgraphs read values of the enclosing graphs by name.

    ```mlir
    %y = r1.onnx_node "If"(%c) {domain = "", node_name = "branch",
        onnx_attrs = {}, opset = 17 : i64, subgraphs = ["else_branch", "then_branch"]}
        : (tensor<i1>) -> !r1.unknown ({
      %n = r1.onnx_node "Neg"(%x) {...} : (tensor<2xf32>) -> tensor<2xf32>
      r1.onnx_yield %n : tensor<2xf32>
    }, {
      r1.onnx_yield %x : tensor<2xf32>
    })
    ```
  }];
  let arguments = (ins StrAttr:$op_type, StrAttr:$domain, I64Attr:$opset,
                       StrAttr:$node_name, DictionaryAttr:$onnx_attrs,
                       OptionalAttr<StrArrayAttr>:$subgraphs,
                       Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$outputs);
  let regions = (region VariadicRegion<SizedRegion<1>>:$bodies);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
    (` ` `(` $bodies^ `)`)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The region of graph attribute `name`, or null when the node has none.
    ::mlir::Region *getSubgraph(::llvm::StringRef name);
  }];
}

def R1_OnnxYieldOp : R1_Op<"onnx_yield",
    [Pure, Terminator, HasParent<"OnnxNodeOp">]> {
  let summary = "The outputs of an imported ONNX subgraph";
  let description = [{
    Closes a region of `r1.onnx_node`; its operands are the subgraph's
    outputs, in the order the file lists them.

    ```mlir
    r1.onnx_yield %cond, %sum : !r1.unknown, tensor<2xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def R1_NoneOp : R1_Op<"none", [Pure, ConstantLike]> {
  let summary = "Marks an absent optional input of an imported node";
  let description = [{
    ```mlir
    %none = r1.none
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
  let hasFolder = 1;
}

def R1_ConstantOp : R1_TypedOp<"constant", [ConstantLike]> {
  let summary = "A constant tensor: an ONNX initializer or Constant node";
  let description = [{
    Weights are `dense_resource` blobs, so they print outside the graph;
    small constants are `dense` literals.

    ```mlir
    %c = r1.constant dense<[1, 2]> : tensor<2xi64>
    %w = r1.constant dense_resource<conv1.weight> : tensor<64x3x7x7xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs R1_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class R1_UnaryOp<string mnemonic, string what, Type operandType = R1_Tensor,
                 list<Trait> traits = []>
    : R1_TypedOp<mnemonic, traits> {
  let summary = "Elementwise " # what;
  let description = "Applies " # what # " to each element; the result has the "
      # "operand's shape and element type.\n\n```mlir\n%y = r1." # mnemonic
      # " %x : (tensor<?x8xf32>) -> tensor<?x8xf32>\n```";
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$output);
}

def R1_AbsOp : R1_UnaryOp<"abs", "absolute value"> { let hasFolder = 1; }
def R1_NegOp : R1_UnaryOp<"neg", "negation"> { let hasFolder = 1; }
def R1_ReluOp : R1_UnaryOp<"relu", "max(x, 0)">;
def R1_SigmoidOp : R1_UnaryOp<"sigmoid", "1 / (1 + exp(-x))", R1_FloatTensor>;
def R1_TanhOp : R1_UnaryOp<"tanh", "hyperbolic tangent", R1_FloatTensor>;
def R1_ErfOp : R1_UnaryOp<"erf", "the error function", R1_FloatTensor>;
def R1_SqrtOp : R1_UnaryOp<"sqrt", "square root", R1_FloatTensor>;
def R1_ExpOp : R1_UnaryOp<"exp", "exp(x)", R1_FloatTensor>;
def R1_LogOp : R1_UnaryOp<"log", "natural logarithm", R1_FloatTensor>;
def R1_ReciprocalOp : R1_UnaryOp<"reciprocal", "1 / x", R1_FloatTensor>;
def R1_FloorOp : R1_UnaryOp<"floor", "rounding down", R1_FloatTensor>;
def R1_CeilOp : R1_UnaryOp<"ceil", "rounding up", R1_FloatTensor>;
def R1_RoundOp : R1_UnaryOp<"round", "rounding half to even", R1_FloatTensor>;
def R1_SignOp : R1_UnaryOp<"sign", "the sign (-1, 0 or 1)">;
def R1_SinOp : R1_UnaryOp<"sin", "sine", R1_FloatTensor>;
def R1_CosOp : R1_UnaryOp<"cos", "cosine", R1_FloatTensor>;
def R1_TanOp : R1_UnaryOp<"tan", "tangent", R1_FloatTensor>;
def R1_AsinOp : R1_UnaryOp<"asin", "arcsine (NaN outside [-1, 1])", R1_FloatTensor>;
def R1_AcosOp : R1_UnaryOp<"acos", "arccosine (NaN outside [-1, 1])", R1_FloatTensor>;
def R1_AtanOp : R1_UnaryOp<"atan", "arctangent", R1_FloatTensor>;
def R1_SinhOp : R1_UnaryOp<"sinh", "hyperbolic sine", R1_FloatTensor>;
def R1_CoshOp : R1_UnaryOp<"cosh", "hyperbolic cosine", R1_FloatTensor>;
def R1_AsinhOp : R1_UnaryOp<"asinh", "inverse hyperbolic sine", R1_FloatTensor>;
def R1_AcoshOp : R1_UnaryOp<"acosh", "inverse hyperbolic cosine (NaN below 1)",
                            R1_FloatTensor>;
def R1_AtanhOp : R1_UnaryOp<"atanh", "inverse hyperbolic tangent (NaN outside [-1, 1])",
                            R1_FloatTensor>;
def R1_SoftplusOp : R1_UnaryOp<"softplus", "log(1 + exp(x))", R1_FloatTensor>;
def R1_SoftsignOp : R1_UnaryOp<"softsign", "x / (1 + |x|)", R1_FloatTensor>;
def R1_HardSwishOp : R1_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))",
                                R1_FloatTensor>;
def R1_NotOp : R1_UnaryOp<"not", "logical negation", R1_BoolTensor> {
  let hasFolder = 1;
}
def R1_BitwiseNotOp : R1_UnaryOp<"bitwise_not", "bitwise complement (~x)", R1_BitsTensor> {
  let hasFolder = 1;
}

def R1_LeakyReluOp : R1_UnaryOp<"leaky_relu", "x >= 0 ? x : alpha * x", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha);
}
def R1_EluOp : R1_UnaryOp<"elu", "x >= 0 ? x : alpha * (exp(x) - 1)", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha);
}
def R1_SeluOp : R1_UnaryOp<"selu",
    "gamma * (x > 0 ? x : alpha * (exp(x) - 1))", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha, F32Attr:$gamma);
}
def R1_CeluOp : R1_UnaryOp<"celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
                           R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha);
}
def R1_MishOp : R1_UnaryOp<"mish", "x * tanh(log(1 + exp(x)))", R1_FloatTensor>;
def R1_ThresholdedReluOp : R1_UnaryOp<"thresholded_relu", "x > alpha ? x : 0", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha);
}
def R1_ShrinkOp : R1_UnaryOp<"shrink",
    "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$bias, F32Attr:$lambd);
}
def R1_HardSigmoidOp : R1_UnaryOp<"hard_sigmoid", "max(0, min(1, alpha * x + beta))",
                                  R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta);
}
def R1_GeluOp : R1_UnaryOp<"gelu",
    "x * Phi(x), exactly (`approximate = \"none\"`) or by its tanh form", R1_FloatTensor> {
  let arguments = (ins R1_FloatTensor:$input,
                       DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let hasVerifier = 1;
}
def R1_ClipOp : R1_UnaryOp<"clip", "clamping to [min, max] (either bound optional)"> {
  let arguments = (ins R1_Tensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
}

def R1_CastOp : R1_TypedOp<"cast"> {
  let summary = "Elementwise conversion to another element type";
  let description = [{
    Floats convert to integers by truncation toward zero, to `i1` by `x != 0`.

    ```mlir
    %y = r1.cast %x {to = f32} : (tensor<2x3xi64>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, TypeAttr:$to);
  let results = (outs R1_Tensor:$output);
  let hasFolder = 1;
}

def R1_IsNaNOp : R1_TypedOp<"is_nan"> {
  let summary = "Elementwise test for NaN";
  let description = [{
    True where the element is a NaN. Exporters guard softmax with it: a row
    whose scores are all masked to -inf gives NaN, which a `where` then zeroes.

    ```mlir
    %m = r1.is_nan %p : (tensor<?x12x128x128xf32>) -> tensor<?x12x128x128xi1>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input);
  let results = (outs R1_BoolTensor:$output);
}

def R1_IsInfOp : R1_TypedOp<"is_inf"> {
  let summary = "Elementwise test for infinity, of either sign or one";
  let description = [{
    True where the element is +inf (when `detect_positive`) or -inf (when
    `detect_negative`).

    ```mlir
    %m = r1.is_inf %x {detect_negative = false} : (tensor<8xf32>) -> tensor<8xi1>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input,
                       DefaultValuedAttr<BoolAttr, "true">:$detect_negative,
                       DefaultValuedAttr<BoolAttr, "true">:$detect_positive);
  let results = (outs R1_BoolTensor:$output);
}

class R1_BinaryOp<string mnemonic, string what, Type operandType = R1_Tensor,
                  Type resultType = operandType, list<Trait> traits = []>
    : R1_TypedOp<mnemonic, traits> {
  let summary = "Elementwise " # what # " with numpy broadcasting";
  let description = "Computes " # what # " of each pair of elements. Shapes "
      # "broadcast as in numpy: aligned from the right, a dim of 1 stretches.\n\n"
      # "```mlir\n%z = r1." # mnemonic
      # " %x, %y : (tensor<?x1x8xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>\n```";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$output);
  let hasVerifier = 1;
}

def R1_AddOp : R1_BinaryOp<"add", "lhs + rhs", R1_Tensor, R1_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_SubOp : R1_BinaryOp<"sub", "lhs - rhs"> { let hasFolder = 1; }
def R1_MulOp : R1_BinaryOp<"mul", "lhs * rhs", R1_Tensor, R1_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_DivOp : R1_BinaryOp<"div", "lhs / rhs (integers truncate)"> { let hasFolder = 1; }
def R1_PowOp : R1_BinaryOp<"pow", "lhs raised to rhs"> {}
def R1_MaxOp : R1_BinaryOp<"max", "the larger", R1_Tensor, R1_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_MinOp : R1_BinaryOp<"min", "the smaller", R1_Tensor, R1_Tensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_ModOp : R1_BinaryOp<"mod", "the remainder (`fmod`: sign of lhs, else of rhs)"> {
  let arguments = (ins R1_Tensor:$lhs, R1_Tensor:$rhs, DefaultValuedAttr<BoolAttr, "false">:$fmod);
  let hasFolder = 1;
}
def R1_AndOp : R1_BinaryOp<"and", "logical and", R1_BoolTensor, R1_BoolTensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_OrOp : R1_BinaryOp<"or", "logical or", R1_BoolTensor, R1_BoolTensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_XorOp : R1_BinaryOp<"xor", "logical xor", R1_BoolTensor, R1_BoolTensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_BitwiseAndOp : R1_BinaryOp<"bitwise_and", "lhs & rhs", R1_BitsTensor, R1_BitsTensor,
                                  [Commutative]> {
  let hasFolder = 1;
}
def R1_BitwiseOrOp : R1_BinaryOp<"bitwise_or", "lhs | rhs", R1_BitsTensor, R1_BitsTensor,
                                 [Commutative]> {
  let hasFolder = 1;
}
def R1_BitwiseXorOp : R1_BinaryOp<"bitwise_xor", "lhs ^ rhs", R1_BitsTensor, R1_BitsTensor,
                                  [Commutative]> {
  let hasFolder = 1;
}
// A shift by the bit width or more gives 0, as numpy's (ONNX's reference)
// does, where C and LLVM leave it undefined.
def R1_ShiftLeftOp : R1_BinaryOp<"shift_left",
    "lhs shifted left by rhs bits (0 once rhs reaches the bit width)", R1_UnsignedTensor>;
def R1_ShiftRightOp : R1_BinaryOp<"shift_right",
    "lhs shifted right by rhs bits, zeros shifted in (0 once rhs reaches the bit width)",
    R1_UnsignedTensor>;
def R1_EqualOp : R1_BinaryOp<"equal", "lhs == rhs", R1_Tensor, R1_BoolTensor, [Commutative]> {
  let hasFolder = 1;
}
def R1_LessOp : R1_BinaryOp<"less", "lhs < rhs", R1_Tensor, R1_BoolTensor> {
  let hasFolder = 1;
}
def R1_LessEqualOp : R1_BinaryOp<"less_equal", "lhs <= rhs", R1_Tensor, R1_BoolTensor> {
  let hasFolder = 1;
}
def R1_GreaterOp : R1_BinaryOp<"greater", "lhs > rhs", R1_Tensor, R1_BoolTensor> {
  let hasFolder = 1;
}
def R1_GreaterEqualOp : R1_BinaryOp<"greater_equal", "lhs >= rhs", R1_Tensor, R1_BoolTensor> {
  let hasFolder = 1;
}

def R1_WhereOp : R1_TypedOp<"where"> {
  let summary = "Elementwise select with numpy broadcasting";
  let description = [{
    ```mlir
    %z = r1.where %m, %x, %y : (tensor<1x1x8x8xi1>, tensor<?x12x8x8xf32>, tensor<f32>)
        -> tensor<?x12x8x8xf32>
    ```
  }];
  let arguments = (ins R1_BoolTensor:$condition, R1_Tensor:$on_true, R1_Tensor:$on_false);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantized integers
//===----------------------------------------------------------------------===//

// 8- and 16-bit integers that quantized values take; contractions of them
// (matmul_integer, conv_integer) take the 8-bit ones only.
def R1_QuantizedTensor : TensorOf<[I8, UI8, I16, UI16, I32]>;
def R1_Int8Tensor : TensorOf<[I8, UI8]>;

def R1_QuantizeOp : R1_TypedOp<"quantize"> {
  let summary = "Elementwise affine quantization to integers, with numpy broadcasting";
  let description = [{
    `saturate(round_half_to_even(input / scale) + zero_point)`, computed in
    f32 (16-bit float operands are widened first), saturated to the range
    of the zero point's element type, which is the result's. Scale and zero
    point broadcast against the input as numpy does: a per-axis scale is a
    1-D tensor reshaped so that its dim lines up with the axis (legalization
    does that), which keeps the op elementwise, so it fuses after any anchor.

    ```mlir
    %q = r1.quantize %x, %scale, %zp
        : (tensor<4x64xf32>, tensor<64xf32>, tensor<64xi8>) -> tensor<4x64xi8>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input, R1_FloatTensor:$scale,
                       R1_QuantizedTensor:$zero_point);
  let results = (outs R1_QuantizedTensor:$output);
  let hasVerifier = 1;
}

def R1_DequantizeOp : R1_TypedOp<"dequantize"> {
  let summary = "Elementwise affine dequantization to floats, with numpy broadcasting";
  let description = [{
    `(input - zero_point) * scale`, computed in f32; the result has the
    scale's element type. Scale and zero point broadcast as for
    `r1.quantize`; the zero point has the input's element type.

    ```mlir
    %x = r1.dequantize %q, %scale, %zp
        : (tensor<8x3x3x3xi8>, tensor<8x1x1x1xf32>, tensor<8x1x1x1xi8>) -> tensor<8x3x3x3xf32>
    ```
  }];
  let arguments = (ins R1_QuantizedTensor:$input, R1_FloatTensor:$scale,
                       R1_QuantizedTensor:$zero_point);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
}

def R1_MatMulIntegerOp : R1_TypedOp<"matmul_integer"> {
  let summary = "Exact product of 8-bit integer matrices, i32 result, numpy semantics";
  let description = [{
    `sum_k (lhs[.., m, k] - lhs_zero_point) * (rhs[.., k, n] - rhs_zero_point)`
    in i32, exactly (products of two 9-bit differences sum without overflow
    for K up to 2^15). Shapes as `r1.matmul`, with operands of rank 2 or
    more. `lhs_zero_point` has lhs's element type and broadcasts against
    lhs with its last dim 1 (one zero point per row, or one for all);
    `rhs_zero_point` has rhs's and broadcasts against rhs with its
    second-to-last dim 1 (one per column, or one).

    ```mlir
    %c = r1.matmul_integer %a, %b, %za, %zb
        : (tensor<4x64xui8>, tensor<64x32xi8>, tensor<ui8>, tensor<32xi8>) -> tensor<4x32xi32>
    ```
  }];
  let arguments = (ins R1_Int8Tensor:$lhs, R1_Int8Tensor:$rhs, R1_Int8Tensor:$lhs_zero_point,
                       R1_Int8Tensor:$rhs_zero_point);
  let results = (outs TensorOf<[I32]>:$output);
  let hasVerifier = 1;
}

def R1_ConvIntegerOp : R1_TypedOp<"conv_integer"> {
  let summary = "Exact N-d convolution of 8-bit integers, NCHW, grouped, i32 result";
  let description = [{
    `r1.conv` on `input - input_zero_point` and `weight - weight_zero_point`,
    accumulated in i32 exactly; padding reads the input's zero point (a
    difference of 0). `input_zero_point` is one value (rank 0 or one
    element); `weight_zero_point` is one value or one per output channel
    (shape [C_out]). Window attributes as `r1.conv`.

    ```mlir
    %y = r1.conv_integer %x, %w, %zx, %zw {strides = array<i64: 1, 1>,
        pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x3x8x8xui8>, tensor<16x3x3x3xi8>, tensor<ui8>, tensor<16xi8>)
        -> tensor<1x16x8x8xi32>
    ```
  }];
  let arguments = (ins R1_Int8Tensor:$input, R1_Int8Tensor:$weight,
                       R1_Int8Tensor:$input_zero_point, R1_Int8Tensor:$weight_zero_point,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs TensorOf<[I32]>:$output);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling, normalization
//===----------------------------------------------------------------------===//

def R1_MatMulOp : R1_ContractionOp<"matmul"> {
  let summary = "Matrix product with numpy semantics";
  let description = [{
    1-D operands are promoted to matrices and the added dim dropped again;
    batch dims broadcast. The result has the operands' element type, or f32
    where they are bf16 or f16: products summed in f32 and kept in f32, as
    mixed precision computes (a bf16 result rounds each sum once).

    ```mlir
    %c = r1.matmul %a, %b : (tensor<?x128x768xf32>, tensor<768x3072xf32>) -> tensor<?x128x3072xf32>
    %d = r1.matmul %x, %w : (tensor<128x768xbf16>, tensor<768x768xbf16>) -> tensor<128x768xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$lhs, R1_Tensor:$rhs);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_ConvOp : R1_ContractionOp<"conv"> {
  let summary = "N-d convolution, NCHW layout, grouped, optional bias";
  let description = [{
    `pads` holds the begin pads of each spatial dim, then the end pads.
    Input and weight have one element type; the result has it too, or f32
    where it is bf16 or f16 (sums kept in f32); the bias has the input's
    element type or the result's.

    ```mlir
    %y = r1.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>,
        dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input, R1_FloatTensor:$weight,
                       Optional<R1_FloatTensor>:$bias, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       I64Attr:$group);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
}

class R1_PoolOp<string mnemonic, string what, Type tensor = R1_FloatTensor, string more = "">
    : R1_TypedOp<mnemonic> {
  let summary = what # " pooling over the spatial dims (NCHW)";
  let description = [{
    `pads` holds begin pads, then end pads. With `ceil_mode` the output size
    rounds up, as long as the last window starts inside the padded input.}] # more # [{

    ```mlir
    %y = r1.}] # mnemonic # [{ %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>,
        pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false,
        count_include_pad = false} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let results = (outs tensor:$output);
  let hasVerifier = 1;
}
def R1_MaxPoolOp : R1_PoolOp<"max_pool", "Max", TensorOf<[AnyFloat, I8, UI8]>, [{
    A max of 8-bit integer codes (int8 moves a per-tensor quantization
    above the pool, which it commutes with) compares them as their
    signedness says; padding never wins.}]>;
def R1_AveragePoolOp : R1_PoolOp<"average_pool", "Average">;

def R1_BatchNormOp : R1_TypedOp<"batch_norm"> {
  let summary = "Batch normalization in inference mode";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, per channel (dim 1).

    ```mlir
    %y = r1.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32}
        : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input, R1_FloatTensor:$scale, R1_FloatTensor:$bias,
                       R1_FloatTensor:$mean, R1_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
}

def R1_LayerNormOp : R1_TypedOp<"layer_norm"> {
  let summary = "Layer normalization over the dims from `axis` on";
  let description = [{
    ```mlir
    %y = r1.layer_norm %x, %g, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<?x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x128x768xf32>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input, R1_FloatTensor:$scale,
                       Optional<R1_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
}

class R1_AxisOp<string mnemonic, string what> : R1_TypedOp<mnemonic> {
  let summary = what # " along one axis";
  let description = [{
    ```mlir
    %y = r1.}] # mnemonic # [{ %x {axis = -1 : i64} : (tensor<?x12x128x128xf32>) -> tensor<?x12x128x128xf32>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$input, I64Attr:$axis);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
}
def R1_SoftmaxOp : R1_AxisOp<"softmax", "Softmax">;
def R1_LogSoftmaxOp : R1_AxisOp<"log_softmax", "Log of softmax">;

def R1_AttentionOp : R1_TypedOp<"attention"> {
  let summary = "softmax(scale * Q K^T + mask) V, per head, in one op";
  let description = [{
    Scaled dot-product attention, as `r1c-fuse-attention` finds it in the
    graph. Each operand is rank 4, laid out as [batch, heads, sequence,
    dim], or [batch, sequence, heads, dim] where its `sequence_major` entry
    (query, key, value, output, in that order) is true: the layout the
    projections write before the head transpose, which the op then reads in
    place. `key` and `value` may have fewer heads than `query` (grouped
    queries): query head h reads key and value head h / (heads / kv heads),
    as a repeat of each head writes them, or h mod kv heads with
    `tiled_kv_heads`, as a tile of all of them (ONNX's Attention) does.

    The scores `scale * q . k` of a query row and its keys then take the
    mask: a float `mask` broadcast to [batch, heads, queries, keys] is
    added; an i1 `mask` keeps a score where true and replaces it by
    `masked_score` elsewhere; `causal` replaces it by `masked_score` where
    the key comes after the query (key j > query i, aligned at the top left
    as ONNX defines it).
    Softmax over the keys then weights the values. A query row whose every
    score is -inf gives zeros (not the NaN that the plain formula gives).

    `gate`, when present, computes only some key blocks of each query
    block (`#r1.attention_gate`); a select pass sets it, dense is the
    default. Scores are computed in f32 for every float type.

    ```mlir
    %o = r1.attention %q, %k, %v, %bias {scale = 0.125 : f64, causal = false,
        masked_score = 0xFFF0000000000000 : f64, tiled_kv_heads = false,
        sequence_major = array<i1: true, true, true, true>}
        : (tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>,
           tensor<1x1x1x128xf32>) -> tensor<1x128x12x64xf32>
    ```
  }];
  let arguments = (ins R1_FloatTensor:$query, R1_FloatTensor:$key, R1_FloatTensor:$value,
                       Optional<R1_Tensor>:$mask, F64Attr:$scale, BoolAttr:$causal,
                       F64Attr:$masked_score, BoolAttr:$tiled_kv_heads,
                       DenseBoolArrayAttr:$sequence_major,
                       OptionalAttr<R1_AttentionGateAttr>:$gate);
  let results = (outs R1_FloatTensor:$output);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The sizes attention is computed over, from the operand types
    /// (kDynamic where a type does not say).
    struct Dims {
      int64_t batch, heads, kvHeads, queries, keys, headDim, valueDim;
    };
    Dims getDims();
    /// Which of query, key, value and output (0 to 3) is [b, s, h, d].
    bool isSequenceMajor(unsigned operand) { return getSequenceMajor()[operand]; }
    /// Element strides of query, key, value or output (0 to 3) per batch,
    /// head and sequence position; the head dim is contiguous. Static
    /// shapes only.
    struct Strides {
      int64_t batch, head, position;
    };
    Strides getStrides(unsigned operand);
    /// Element strides of the mask broadcast to [batch, heads, queries,
    /// keys]: 0 along the dims it broadcasts (all 0 without a mask).
    std::array<int64_t, 4> getMaskStrides();
    /// The key/value head that query head `head` reads.
    int64_t getKvHead(int64_t head) {
      Dims dims = getDims();
      return getTiledKvHeads() ? head % dims.kvHeads
                               : head / (dims.heads / dims.kvHeads);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class R1_ReduceOp<string mnemonic, string what> : R1_TypedOp<mnemonic> {
  let summary = what # " over `axes` (all dims when empty)";
  let description = [{
    Reduced dims stay as 1 with `keepdims`, else disappear.

    Axes are static (`axes`) in all but rare graphs. When a graph computes
    them at run time they arrive as the `computed_axes` operand instead
    (`axes` is then empty): an empty list at run time reduces every dim,
    or none with `noop_with_empty_axes`. The result type is then only as
    static as that allows.

    ```mlir
    %m = r1.}] # mnemonic # [{ %x {axes = array<i64: -1>, keepdims = true, noop_with_empty_axes = false}
        : (tensor<?x128x768xf32>) -> tensor<?x128x1xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, Optional<TensorOf<[I64]>>:$computed_axes,
                       DenseI64ArrayAttr:$axes, BoolAttr:$keepdims,
                       BoolAttr:$noop_with_empty_axes);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}
def R1_ReduceSumOp : R1_ReduceOp<"reduce_sum", "Sum">;
def R1_ReduceMeanOp : R1_ReduceOp<"reduce_mean", "Mean">;
def R1_ReduceMaxOp : R1_ReduceOp<"reduce_max", "Maximum">;
def R1_ReduceMinOp : R1_ReduceOp<"reduce_min", "Minimum">;
def R1_ReduceProdOp : R1_ReduceOp<"reduce_prod", "Product">;

class R1_ArgOp<string mnemonic, string what> : R1_TypedOp<mnemonic> {
  let summary = "Index of the " # what # " along one axis, as i64";
  let description = [{
    Ties pick the first index, or the last with `select_last_index`.

    ```mlir
    %i = r1.}] # mnemonic # [{ %x {axis = 1 : i64, keepdims = false, select_last_index = false}
        : (tensor<?x1000xf32>) -> tensor<?xi64>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                       BoolAttr:$select_last_index);
  let results = (outs TensorOf<[I64]>:$output);
  let hasVerifier = 1;
}
def R1_ArgMaxOp : R1_ArgOp<"arg_max", "largest element">;
def R1_ArgMinOp : R1_ArgOp<"arg_min", "smallest element">;

def R1_TopKOp : R1_TypedOp<"top_k"> {
  let summary = "The k largest (or smallest) elements along one axis and their indices";
  let description = [{
    `values` has the input's shape with dim `axis` cut to `k`; `indices`
    (i64) says where along the axis each value was. The elements come best
    first; of equal elements the one at the lower index comes first, as
    ONNX says. `sorted = false` allows any order (the elements are still
    those of the sorted order).

    ```mlir
    %v, %i = r1.top_k %logits {axis = -1 : i64, k = 50 : i64, largest = true, sorted = true}
        : (tensor<1x32000xf32>) -> (tensor<1x50xf32>, tensor<1x50xi64>)
    ```
  }];
  let arguments = (ins R1_Tensor:$input, I64Attr:$axis, I64Attr:$k, BoolAttr:$largest,
                       BoolAttr:$sorted);
  let results = (outs R1_Tensor:$values, TensorOf<[I64]>:$indices);
  let hasVerifier = 1;
}

def R1_NonMaxSuppressionOp : R1_TypedOp<"non_max_suppression"> {
  let summary = "Greedy non-maximum suppression of boxes per batch and class (ONNX NonMaxSuppression)";
  let description = [{
    `boxes` is [B, N, 4] and `scores` [B, C, N]. For each batch b and class
    c, the boxes whose score is greater than `score_threshold` (every box
    when it is absent) are visited best score first, the lower box index
    first among equal scores; a box is selected unless its intersection
    over union with a box already selected for (b, c) is greater than
    `iou_threshold`, until `max_output_boxes_per_class` are selected. A box
    is [y1, x1, y2, x2] with either corner first, or with
    `center_point_box` [x_center, y_center, width, height]. The three
    parameters are one-element tensors read when the op runs; a negative
    maximum selects nothing.

    The result has a row (b, c, box) per selected box, batch-major, then
    class, then in the order selected. How many there are depends on the
    data, so the result has a fixed `num_selected` rows: the selections past
    it are dropped, and the rows past the last selection are -1.

    ```mlir
    %sel = r1.non_max_suppression %boxes, %scores, %max, %iou, %thresh
        {center_point_box = false, num_selected = 100 : i64}
        : (tensor<1x6000x4xf32>, tensor<1x80x6000xf32>, tensor<1xi64>, tensor<1xf32>,
           tensor<1xf32>) -> tensor<100x3xi64>
    ```
  }];
  let arguments = (ins TensorOf<[F32]>:$boxes, TensorOf<[F32]>:$scores,
                       TensorOf<[I64]>:$max_output_boxes_per_class,
                       TensorOf<[F32]>:$iou_threshold,
                       Optional<TensorOf<[F32]>>:$score_threshold,
                       BoolAttr:$center_point_box, I64Attr:$num_selected);
  let results = (outs TensorOf<[I64]>:$selected);
  let hasVerifier = 1;
}

def R1_NonZeroOp : R1_TypedOp<"non_zero"> {
  let summary = "Coordinates of the nonzero elements, packed at the front, and their count";
  let description = [{
    For an input of rank r (at least 1) with N elements, column j of
    `positions` [r, N] holds the coordinates of the j-th nonzero element in
    row-major order, for j below `count` (a one-element i64 tensor); the
    columns after it are zero. NaN is nonzero; so is any true boolean.

    The shapes stay static, bounded by N: ONNX NonZero and Compress take
    the leading `count` columns with `r1.keep_leading` when the graph needs
    the exact extent, or a fixed number when the model declares one.

    ```mlir
    %p, %n = r1.non_zero %mask : (tensor<4x5xi1>) -> (tensor<2x20xi64>, tensor<1xi64>)
    ```
  }];
  let arguments = (ins R1_Tensor:$input);
  let results = (outs TensorOf<[I64]>:$positions, TensorOf<[I64]>:$count);
  let hasVerifier = 1;
}

def R1_RecurrenceOp : R1_TypedOp<"recurrence", [AttrSizedOperandSegments]> {
  let summary = "The time loop of an ONNX RNN, GRU or LSTM, after its input projection";
  let description = [{
    Runs `cell` over the sequence, one step per time, in each direction.
    The input projection of every step is done beforehand, so `inputs` is
    [seq, batch, dirs * gates * hidden]: X x W^T with the biases added
    (for GRU with `linear_before_reset`, all but Rbh, which arrives as
    `reset_bias` [dirs, hidden] since it is multiplied by the reset gate).
    `recurrence` is R as ONNX gives it, [dirs, gates * hidden, hidden]:
    each sum of the step's product h x R^T is a dot product of h with a
    row of R, which code reads front to back. Gates
    are in ONNX's order: z, r, h for GRU; i, o, f, c for LSTM.

    `initial_h` and `initial_c` ([dirs, batch, hidden]) are zeros when
    absent; `peepholes` is [dirs, 3 * hidden] (i, o, f). `activations`
    holds the cell's activations for each direction in turn (f for RNN;
    f, g for GRU; f, g, h for LSTM), with one alpha and one beta each
    (those an activation does not take are ignored). `clip` bounds every
    activation's input but that of LSTM's h(c).

    `sequence_lens` ([batch]) behaves as in ONNX Runtime: past its length
    an entry keeps its state and its rows of `y` are zeros; the reverse
    direction walks each entry from its own last step.

    Results: `y` [seq, dirs, batch, hidden], the last state `y_h`
    [dirs, batch, hidden], and for LSTM the last cell state `y_c`.

    ```mlir
    %y, %yh, %yc = r1.recurrence %xw, %r initial_h %h0 initial_c %c0 {
        activation_alpha = array<f32: 0.0, 0.0, 0.0>, activation_beta = array<f32: 0.0, 0.0, 0.0>,
        activations = [#r1.recurrent_activation<sigmoid>, #r1.recurrent_activation<tanh>,
                       #r1.recurrent_activation<tanh>],
        cell = #r1.recurrent_cell<lstm>, direction = #r1.recurrent_direction<forward>,
        input_forget = false, linear_before_reset = false}
        : (tensor<64x1x1024xf32>, tensor<1x1024x256xf32>, tensor<1x1x256xf32>,
           tensor<1x1x256xf32>)
        -> (tensor<64x1x1x256xf32>, tensor<1x1x256xf32>, tensor<1x1x256xf32>)
    ```
  }];
  let arguments = (ins R1_FloatTensor:$inputs, R1_FloatTensor:$recurrence,
                       Optional<R1_FloatTensor>:$initial_h,
                       Optional<R1_FloatTensor>:$initial_c,
                       Optional<TensorOf<[I32, I64]>>:$sequence_lens,
                       Optional<R1_FloatTensor>:$peepholes,
                       Optional<R1_FloatTensor>:$reset_bias,
                       R1_RecurrentCellAttr:$cell, R1_RecurrentDirectionAttr:$direction,
                       R1_RecurrentActivationArrayAttr:$activations,
                       DenseF32ArrayAttr:$activation_alpha, DenseF32ArrayAttr:$activation_beta,
                       OptionalAttr<F32Attr>:$clip, BoolAttr:$linear_before_reset,
                       BoolAttr:$input_forget);
  let results = (outs R1_FloatTensor:$y, R1_FloatTensor:$y_h, Optional<R1_FloatTensor>:$y_c);
  let assemblyFormat = [{
    $inputs `,` $recurrence (`initial_h` $initial_h^)? (`initial_c` $initial_c^)?
    (`sequence_lens` $sequence_lens^)? (`peepholes` $peepholes^)? (`reset_bias` $reset_bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Gates per cell: 1 for rnn, 3 for gru, 4 for lstm.
    int64_t getNumGates();
    /// 2 when bidirectional, else 1.
    int64_t getNumDirections();
    /// Activations per direction: 1 for rnn, 2 for gru, 3 for lstm.
    int64_t getActivationsPerDirection();
    int64_t getHiddenSize();
  }];
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def R1_KeepLeadingOp : R1_TypedOp<"keep_leading"> {
  let summary = "The leading entries along one axis, as many as a count read at run time";
  let description = [{
    The first `count` entries of `input` along `axis`, where `count` is a
    one-element i64 tensor read when the op runs and clamped to [0, the
    input's extent]. The result's extent along the axis is known only then:
    its type has `?` there, and the input's size bounds it, which is what
    the memory plan reserves. The code reports the real dims with the
    result.

    Ops whose output size depends on the data (NonZero, Compress, Unique,
    NonMaxSuppression, TopK with a computed k) compute a result padded to
    its bound and end with this op.

    ```mlir
    %y = r1.keep_leading %padded, %count {axis = 1 : i64}
        : (tensor<2x20xi64>, tensor<1xi64>) -> tensor<2x?xi64>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, TensorOf<[I64]>:$count, I64Attr:$axis);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}


def R1_ShapeOp : R1_TypedOp<"shape"> {
  let summary = "The dims [start, end) of a tensor as a 1-D i64 tensor";
  let description = [{
    Folds to a constant when those dims are static.

    ```mlir
    %s = r1.shape %x {start = 0 : i64, end = 4 : i64} : (tensor<?x3x224x224xf32>) -> tensor<4xi64>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, I64Attr:$start, I64Attr:$end);
  let results = (outs TensorOf<[I64]>:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_SizeOp : R1_TypedOp<"size"> {
  let summary = "The number of elements of a tensor, as a 0-D i64 tensor";
  let description = [{
    ```mlir
    %n = r1.size %x : (tensor<?x8xf32>) -> tensor<i64>
    ```
  }];
  let arguments = (ins R1_Tensor:$input);
  let results = (outs TensorOf<[I64]>:$output);
  let hasFolder = 1;
}

def R1_ReshapeOp : R1_TypedOp<"reshape"> {
  let summary = "Reshape to the dims held in a 1-D i64 tensor";
  let description = [{
    A `-1` in `shape` takes the remaining size; a `0` copies the input dim
    unless `allowzero` is set. The result type is as static as the known
    values of `shape` allow.

    ```mlir
    %y = r1.reshape %x, %s {allowzero = false}
        : (tensor<?x128x768xf32>, tensor<4xi64>) -> tensor<?x128x12x64xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, TensorOf<[I64]>:$shape, BoolAttr:$allowzero);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_TransposeOp : R1_TypedOp<"transpose"> {
  let summary = "Permutes dims: result dim i is input dim perm[i]";
  let description = [{
    ```mlir
    %y = r1.transpose %x {perm = array<i64: 0, 2, 1, 3>}
        : (tensor<?x128x12x64xf32>) -> tensor<?x12x128x64xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_ConcatOp : R1_TypedOp<"concat"> {
  let summary = "Joins tensors along one axis";
  let description = [{
    ```mlir
    %y = r1.concat %a, %b {axis = 1 : i64}
        : (tensor<?x1x768xf32>, tensor<?x196x768xf32>) -> tensor<?x197x768xf32>
    ```
  }];
  let arguments = (ins Variadic<R1_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_SplitOp : R1_TypedOp<"split"> {
  let summary = "Cuts a tensor along one axis into pieces of the given sizes";
  let description = [{
    ```mlir
    %q, %k, %v = r1.split %x {axis = 2 : i64, sizes = array<i64: 768, 768, 768>}
        : (tensor<?x128x2304xf32>) -> (tensor<?x128x768xf32>, tensor<?x128x768xf32>, tensor<?x128x768xf32>)
    ```
  }];
  let arguments = (ins R1_Tensor:$input, I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<R1_Tensor>:$outputs);
  let hasVerifier = 1;
}

def R1_SliceOp : R1_TypedOp<"slice"> {
  let summary = "Strided slice with one start, end and step per axis";
  let description = [{
    Starts and ends follow ONNX: negative values count from the end and are
    clamped to the dim; `axes` lists each sliced dim once.

    ```mlir
    %y = r1.slice %x {axes = array<i64: 1>, starts = array<i64: 0>, ends = array<i64: 1>,
        steps = array<i64: 1>} : (tensor<?x197x768xf32>) -> tensor<?x1x768xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                       DenseI64ArrayAttr:$steps);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_GatherOp : R1_TypedOp<"gather"> {
  let summary = "Picks entries along one axis by index (negative counts from the end)";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape + data.shape[axis+1:]`.

    ```mlir
    %e = r1.gather %table, %ids {axis = 0 : i64}
        : (tensor<30522x768xf32>, tensor<?x128xi64>) -> tensor<?x128x768xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$data, R1_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_GatherElementsOp : R1_TypedOp<"gather_elements"> {
  let summary = "Picks one element per index along one axis (ONNX GatherElements)";
  let description = [{
    `data` and `indices` have the same rank; the result has the shape of
    `indices`. Each result element at position `p` reads `data` at `p` with
    dim `axis` replaced by `indices[p]`, where a negative index counts from
    the end of that dim. Along the other dims `indices` may be shorter than
    `data`, never longer.

    ```mlir
    %t = r1.gather_elements %types, %positions {axis = 1 : i64}
        : (tensor<1x512xi64>, tensor<1x128xi64>) -> tensor<1x128xi64>
    ```
  }];
  let arguments = (ins R1_Tensor:$data, R1_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_GatherNDOp : R1_TypedOp<"gather_nd"> {
  let summary = "Picks slices of data by index tuples in the last dim of indices (ONNX GatherND)";
  let description = [{
    With `b = batch_dims`, `data` of rank r and `indices` of rank q, the first
    b dims of both are shared batch dims and the last dim of `indices`, m
    (1 to r - b), is the length of each index tuple. A tuple names dims
    b .. b+m-1 of `data` (negative entries count from the end), and the
    result holds the slice it names:
    `shape = indices.shape[:q-1] + data.shape[b+m:]`.

    ```mlir
    %m = r1.gather_nd %mask, %pairs {batch_dims = 0 : i64}
        : (tensor<?x128xi64>, tensor<4x2xi64>) -> tensor<4xi64>
    %r = r1.gather_nd %x, %rows {batch_dims = 1 : i64}
        : (tensor<2x3x8xf32>, tensor<2x5x1xi32>) -> tensor<2x5x8xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$data, R1_IndexTensor:$indices, I64Attr:$batch_dims);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_ScatterElementsOp : R1_TypedOp<"scatter_elements"> {
  let summary = "Writes updates into a copy of data, one element per index along one axis "
                "(ONNX ScatterElements, Scatter)";
  let description = [{
    The inverse of `r1.gather_elements`: `data`, `indices` and `updates` have
    the same rank, `updates` the shape of `indices`. The result starts as
    `data`; then, in row-major order of `indices`, the update at position
    `p` lands on the result at `p` with dim `axis` replaced by `indices[p]`
    (a negative index counts from the end of that dim). `reduction` says how
    it combines with the element there: `none` overwrites, so when two
    updates land on one element the later one wins; `add`, `mul`, `max` and
    `min` fold each update in.

    ```mlir
    %y = r1.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = #r1.scatter_reduction<add>}
        : (tensor<4x8xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$data, R1_IndexTensor:$indices, R1_Tensor:$updates,
                       I64Attr:$axis, R1_ScatterReductionAttr:$reduction);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_ScatterNDOp : R1_TypedOp<"scatter_nd"> {
  let summary = "Writes slices of updates into a copy of data at index tuples (ONNX ScatterND)";
  let description = [{
    The inverse of `r1.gather_nd` without batch dims. With `data` of rank r
    and `indices` of rank q, the last dim of `indices`, m (1 to r), is the
    length of each index tuple, and
    `updates.shape = indices.shape[:q-1] + data.shape[m:]`. The result
    starts as `data`; then, tuple after tuple in row-major order, the slice
    of `updates` for a tuple lands on the slice of the result the tuple names
    (negative entries count from the end), combined as `reduction` says
    (`none`: the later of two updates of one element wins).

    ```mlir
    %cache = r1.scatter_nd %past, %rows, %new {reduction = #r1.scatter_reduction<none>}
        : (tensor<1x16x1024x64xf32>, tensor<16x3xi64>, tensor<16x64xf32>) -> tensor<1x16x1024x64xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$data, R1_IndexTensor:$indices, R1_Tensor:$updates,
                       R1_ScatterReductionAttr:$reduction);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_UnsqueezeOp : R1_TypedOp<"unsqueeze"> {
  let summary = "Inserts dims of size 1 at `axes` (positions in the result)";
  let description = [{
    ```mlir
    %y = r1.unsqueeze %x {axes = array<i64: 1, 2>} : (tensor<?x128xf32>) -> tensor<?x1x1x128xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_SqueezeOp : R1_TypedOp<"squeeze"> {
  let summary = "Removes dims of size 1 at `axes`";
  let description = [{
    ```mlir
    %y = r1.squeeze %x {axes = array<i64: 1>} : (tensor<?x1x768xf32>) -> tensor<?x768xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_FlattenOp : R1_TypedOp<"flatten"> {
  let summary = "Reshapes to 2-D: dims before `axis`, and dims from `axis` on";
  let description = [{
    ```mlir
    %y = r1.flatten %x {axis = 1 : i64} : (tensor<?x2048x1x1xf32>) -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, I64Attr:$axis);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_ExpandOp : R1_TypedOp<"expand"> {
  let summary = "Broadcasts a tensor against a shape held in a 1-D i64 tensor";
  let description = [{
    ```mlir
    %y = r1.expand %cls, %s : (tensor<1x1x768xf32>, tensor<3xi64>) -> tensor<?x1x768xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, TensorOf<[I64]>:$shape);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_TileOp : R1_TypedOp<"tile"> {
  let summary = "Repeats a tensor along each dim the number of times in `repeats`";
  let description = [{
    ```mlir
    %y = r1.tile %x, %r : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, TensorOf<[I64]>:$repeats);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_ConstantOfShapeOp : R1_TypedOp<"constant_of_shape"> {
  let summary = "A tensor of the shape held in a 1-D i64 tensor, filled with `value`";
  let description = [{
    ```mlir
    %z = r1.constant_of_shape %s {value = dense<0.0> : tensor<1xf32>}
        : (tensor<2xi64>) -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I64]>:$shape, ElementsAttr:$value);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_RangeOp : R1_TypedOp<"range"> {
  let summary = "The 1-D sequence start, start + delta, ... below limit";
  let description = [{
    ```mlir
    %r = r1.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<128xi64>
    ```
  }];
  let arguments = (ins R1_Tensor:$start, R1_Tensor:$limit, R1_Tensor:$delta);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
  let hasFolder = 1;
}

def R1_PadOp : R1_TypedOp<"pad"> {
  let summary = "Pads each dim: `pads` holds all begin amounts, then all ends";
  let description = [{
    `mode` is `constant` (fills with `value`), `reflect` or `edge`.
    Negative pads crop.

    ```mlir
    %y = r1.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = "constant", value = 0.0}
        : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, DenseI64ArrayAttr:$pads, StrAttr:$mode, F64Attr:$value);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

def R1_TriluOp : R1_TypedOp<"trilu"> {
  let summary = "Keeps the upper or lower triangle of the last two dims, zeroes the rest";
  let description = [{
    Diagonal `k` shifts the triangle's edge: above the main diagonal for k > 0.

    ```mlir
    %m = r1.trilu %x {upper = false, k = 0 : i64} : (tensor<128x128xf32>) -> tensor<128x128xf32>
    ```
  }];
  let arguments = (ins R1_Tensor:$input, BoolAttr:$upper, I64Attr:$k);
  let results = (outs R1_Tensor:$output);
  let hasVerifier = 1;
}

#endif // R1_OPS_TD
