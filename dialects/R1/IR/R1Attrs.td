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

#endif // R1_ATTRS_TD
