//===- SharedObjectLinker.cpp - Relocatable object to shared object -------===//
#include "codegen/llvm/SharedObjectLinker.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

namespace r1c {

bool linkSharedObject(llvm::StringRef object, llvm::ArrayRef<const char *> extraArgs,
                      llvm::StringRef what, std::vector<char> &sharedObject, std::string &error) {
  // lld keeps its state in globals; one link at a time. After a link that
  // says it cannot run again, none may.
  static std::mutex lldMutex;
  static bool lldUsable = true;
  std::lock_guard<std::mutex> lock(lldMutex);
  if (!lldUsable) {
    error = "cannot link " + what.str() + ": an earlier link left lld unusable";
    return false;
  }

  // lld reads and writes files; temporary ones keep this self-contained.
  llvm::SmallString<128> objectPath, libraryPath;
  int objectFd;
  if (llvm::sys::fs::createTemporaryFile("r1c-link", "o", objectFd, objectPath) ||
      llvm::sys::fs::createTemporaryFile("r1c-link", "so", libraryPath)) {
    error = "cannot create temporary files for linking " + what.str();
    return false;
  }
  {
    llvm::raw_fd_ostream os(objectFd, /*shouldClose=*/true);
    os << object;
  }
  std::string output;
  llvm::raw_string_ostream log(output);
  llvm::SmallVector<const char *> args = {"ld.lld", "-shared"};
  args.append(extraArgs.begin(), extraArgs.end());
  args.append({"-o", libraryPath.c_str(), objectPath.c_str()});
  lld::Result result = lld::lldMain(args, log, log, {{lld::Gnu, &lld::elf::link}});
  lldUsable = result.canRunAgain;
  llvm::sys::fs::remove(objectPath);
  if (result.retCode != 0) {
    llvm::sys::fs::remove(libraryPath);
    error = "linking " + what.str() + " failed: " + output;
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(libraryPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  llvm::sys::fs::remove(libraryPath);
  if (!buffer) {
    error = "cannot read the linked " + what.str();
    return false;
  }
  sharedObject.assign((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  return true;
}

} // namespace r1c
