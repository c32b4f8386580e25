//===- SharedObjectLinker.h - Relocatable object to shared object -*- C++ -*-===//
//
// lld, linked into r1c, turns one ELF relocatable object into a shared
// object: the host code (x86-64) and AMDGPU code objects both load as
// shared objects. No linker has to be on PATH.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_LLVM_SHAREDOBJECTLINKER_H
#define R1C_CODEGEN_LLVM_SHAREDOBJECTLINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace r1c {

/// Links `object` into a shared object with lld in this process, passing
/// `extraArgs` after "-shared". Unresolved symbols (libm's, for the host)
/// stay for the loader. `what` names the code in messages ("the host
/// code"). Safe to call from several threads: lld keeps global state, so
/// links take turns. Returns false with `error` set on failure.
bool linkSharedObject(llvm::StringRef object, llvm::ArrayRef<const char *> extraArgs,
                      llvm::StringRef what, std::vector<char> &sharedObject, std::string &error);

} // namespace r1c

#endif // R1C_CODEGEN_LLVM_SHAREDOBJECTLINKER_H
