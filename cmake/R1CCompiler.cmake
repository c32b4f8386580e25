# Finds LLVM/MLIR 19, ONNX and protobuf, and sets up TableGen for the compiler half of the tree.
find_package(MLIR REQUIRED CONFIG)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "r1c needs LLVM/MLIR 19, found ${LLVM_PACKAGE_VERSION}")
endif()
message(STATUS "Using MLIR from ${MLIR_DIR}")
list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")

# HandleLLVMOptions adds -fno-exceptions to match LLVM; only the ONNX reader turns them back on.
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
include_directories(${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})

find_package(Protobuf REQUIRED)
find_package(ONNX CONFIG REQUIRED)
find_package(CLI11 CONFIG QUIET)
find_package(fmt REQUIRED)

# Everything links the shared libMLIR/libLLVM that Debian ships: fast links, one copy of
# each registry.
set(R1C_MLIR_LIBS MLIR LLVM)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
