// The r1 graph dialect: its declaration, types and op base classes.
#ifndef R1_DIALECT_TD
#define R1_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def R1_Dialect : Dialect {
  let name = "r1";
  let cppNamespace = "::mlir::r1";
  let summary = "Tensor-level graph of an ONNX model";
  let description = [{
    The r1 dialect holds a model as a graph of tensor ops with value semantics.
    Tensor types carry static dims or `?` for symbolic ones (a dynamic batch);
    every op infers its result type from its operands, so a graph can be
    re-typed after a dim becomes known. Imported ONNX nodes first appear as
    `r1.onnx_node` and are legalized into the typed ops by `r1c-legalize-onnx`.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
}

def R1_UnknownType : TypeDef<R1_Dialect, "Unknown"> {
  let mnemonic = "unknown";
  let summary = "Type of an imported value whose type is not inferred yet";
  let description = [{
    An `r1.onnx_node` result that the ONNX file gave no type for. Legalization
    replaces every such value with one of an inferred tensor type.
  }];
}

// Tensors r1 computes on: ranked or unranked, of the ONNX element types.
// ONNX's signed integers are signless here; its unsigned ones are `ui`.
def R1_ElementType : AnyTypeOf<[AnyFloat, AnyInteger]>;
def R1_Tensor : TensorOf<[R1_ElementType]>;
def R1_FloatTensor : TensorOf<[AnyFloat]>;
def R1_IntTensor : TensorOf<[AnyInteger]>;
// Bitwise ops take ONNX's integers, not bool; shifts only unsigned ones.
def R1_BitsTensor : TensorOf<[I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def R1_UnsignedTensor : TensorOf<[UI8, UI16, UI32, UI64]>;
def R1_BoolTensor : TensorOf<[I1]>;
def R1_IndexTensor : TensorOf<[I32, I64]>;

// Shared by every typed op: inferred result types may be refined by the IR
// (a `?` in the inferred type may be a static dim in the op's result type).
defvar R1_RefinableResults = [{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange actual) {
    return ::mlir::r1::areRefinableTypes(inferred, actual);
  }
}];

// Contractions (matmul, conv) may also widen: 16-bit float operands with an
// f32 result, the products summed and kept in f32 (mixed precision).
defvar R1_WideningResults = [{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange actual) {
    return ::mlir::r1::areRefinableTypes(inferred, actual) ||
           ::mlir::r1::isWidenedResult(inferred, actual);
  }
}];

class R1_Op<string mnemonic, list<Trait> traits = []>
    : Op<R1_Dialect, mnemonic, traits>;

// A typed op: pure, with result types inferred from operands and attributes.
class R1_TypedOp<string mnemonic, list<Trait> traits = []>
    : R1_Op<mnemonic, traits # [Pure, InferTypeOpAdaptorBase<R1_RefinableResults>]> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

// A contraction: typed as above, but its result may be f32 where the
// operands are 16-bit floats (R1_WideningResults).
class R1_ContractionOp<string mnemonic, list<Trait> traits = []>
    : R1_Op<mnemonic, traits # [Pure, InferTypeOpAdaptorBase<R1_WideningResults>]> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

#endif // R1_DIALECT_TD
