//===- HostLinker.cpp - An object file into a shared object, in-process ---===//
#include "codegen/host/HostLinker.h"

#include "lld/Common/Driver.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

LLD_HAS_DRIVER(elf)

namespace r1c {

bool linkSharedObject(llvm::StringRef object, std::vector<char> &sharedObject,
                      std::string &error) {
  // lld reads and writes files; temporary ones keep this self-contained.
  llvm::SmallString<128> objectPath, libraryPath;
  int objectFd;
  if (llvm::sys::fs::createTemporaryFile("r1c-host", "o", objectFd, objectPath) ||
      llvm::sys::fs::createTemporaryFile("r1c-host", "so", libraryPath)) {
    error = "cannot create temporary files for linking";
    return false;
  }
  {
    llvm::raw_fd_ostream os(objectFd, /*shouldClose=*/true);
    os << object;
  }
  std::string output;
  llvm::raw_string_ostream log(output);
  const char *args[] = {"ld.lld", "-shared", "--hash-style=gnu", "-z", "noexecstack",
                        "-o",     libraryPath.c_str(), objectPath.c_str()};
  lld::Result result = lld::lldMain(args, log, log, {{lld::Gnu, &lld::elf::link}});
  llvm::sys::fs::remove(objectPath);
  if (result.retCode != 0) {
    llvm::sys::fs::remove(libraryPath);
    error = "linking the host code failed: " + output;
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  llvm::sys::fs::remove(libraryPath);
  if (!buffer) {
    error = "cannot read the linked host code";
    return false;
  }
  sharedObject.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  return true;
}

} // namespace r1c
