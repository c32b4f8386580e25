//===- HostLinker.h - An object file into a shared object, in-process -*- C++ -*-===//
#ifndef R1C_CODEGEN_HOST_HOSTLINKER_H
#define R1C_CODEGEN_HOST_HOSTLINKER_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace r1c {

/// Links an ELF relocatable object into a shared object with lld, in this
/// process (no linker is run). Unresolved symbols (libm's) stay for the
/// loader. Returns false with `error` set on failure.
bool linkSharedObject(llvm::StringRef object, std::vector<char> &sharedObject,
                      std::string &error);

} // namespace r1c

#endif // R1C_CODEGEN_HOST_HOSTLINKER_H
