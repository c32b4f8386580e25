// The r1k kernel-level dialect: a model as a sequence of kernels.
#ifndef R1K_OPS_TD
#define R1K_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "dialects/R1K/IR/R1KAttrs.td"

class R1K_Op<string mnemonic, list<Trait> traits = []>
    : Op<R1K_Dialect, mnemonic, traits>;

def R1K_KernelOp : R1K_Op<"kernel", [IsolatedFromAbove, Pure,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "One kernel: an anchor op and its fused elementwise body";
  let description = [{
    The region computes the results from the block arguments, which stand
    for `inputs` in order; it is isolated from above, so a kernel is a unit
    that a code generator can emit alone. `anchor` names the anchor op
    (`matmul`, `conv`, `softmax`, ..., or `elementwise`) and `name` gives
    the kernel a stable, readable name.

    `variants` maps a target name to the variant a select pass chose for
    this kernel on that target (`#r1k.host_gemm<...>`); a code generator
    reads its own and decides nothing. `result_offsets`, written by the
    memory plan, holds each result's byte offset in the arena (-1 for a
    result the runtime places), and `scratch_offset` the offset of the
    scratch bytes its variants need while it runs (r1k::getScratchBytes),
    which no other kernel's buffers overlap then.

    ```mlir
    %y = r1k.kernel "matmul" (%x, %w, %b) {name = "k3_matmul"}
        : (tensor<1x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>) -> tensor<1x3072xf32> {
    ^bb0(%a: tensor<1x768xf32>, %bw: tensor<768x3072xf32>, %bias: tensor<3072xf32>):
      %m = r1.matmul %a, %bw : (tensor<1x768xf32>, tensor<768x3072xf32>) -> tensor<1x3072xf32>
      %s = r1.add %m, %bias : (tensor<1x3072xf32>, tensor<3072xf32>) -> tensor<1x3072xf32>
      r1k.yield %s : tensor<1x3072xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$anchor, StrAttr:$name, Variadic<AnyTensor>:$inputs,
                       OptionalAttr<DictionaryAttr>:$variants,
                       OptionalAttr<DenseI64ArrayAttr>:$result_offsets,
                       OptionalAttr<I64Attr>:$scratch_offset);
  let results = (outs Variadic<AnyTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $anchor `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def R1K_YieldOp : R1K_Op<"yield", [Pure, Terminator, HasParent<"KernelOp">,
    ReturnLike]> {
  let summary = "Returns a kernel's results";
  let description = [{
    ```mlir
    r1k.yield %y : tensor<1x3072xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* no values */ }]>];
}

#endif // R1K_OPS_TD
