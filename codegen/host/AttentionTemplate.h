//===- AttentionTemplate.h - Fused online-softmax host attention -*- C++ -*-===//
//
// Host code for an r1.attention kernel that a select pass gave a
// #r1k.host_attention variant: scores and probabilities live on the
// stack one block at a time and never reach memory.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_HOST_ATTENTIONTEMPLATE_H
#define R1C_CODEGEN_HOST_ATTENTIONTEMPLATE_H

#include "codegen/host/GemmTemplate.h"

namespace r1c {

/// Emits `op` as `variant` says: one task per (batch, head, query block).
/// `mask` is null when the op has none. `fused`, when set, runs on each
/// element of a task's output rows once they are stored.
void emitAttention(KernelBuilder &kb, mlir::r1::AttentionOp op,
                   mlir::r1k::HostAttentionAttr variant, llvm::Value *query, llvm::Value *key,
                   llvm::Value *value, llvm::Value *mask, llvm::Value *out, const FusedBody &fused);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_ATTENTIONTEMPLATE_H
