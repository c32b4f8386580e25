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

#endif // R1_ATTRS_TD
