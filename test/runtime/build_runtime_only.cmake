# Configures, builds and tests the runtime alone (R1C_BUILD_COMPILER=OFF), so a
# machine without LLVM, MLIR or ONNX can still build libr1rt.
foreach(step configure build test)
  if(step STREQUAL "configure")
    set(cmd ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G Ninja
            -DR1C_BUILD_COMPILER=OFF -DR1C_BUILD_PYTHON=OFF
            -DCMAKE_BUILD_TYPE=Release)
  elseif(step STREQUAL "build")
    set(cmd ${CMAKE_COMMAND} --build ${BINARY_DIR})
  else()
    set(cmd ${CMAKE_CTEST_COMMAND} --test-dir ${BINARY_DIR} --output-on-failure)
  endif()
  execute_process(COMMAND ${cmd} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "runtime-only ${step} failed:\n${out}")
  endif()
endforeach()
# The compiler's tools must not exist in that tree.
if(EXISTS ${BINARY_DIR}/bin/r1c)
  message(FATAL_ERROR "R1C_BUILD_COMPILER=OFF still built r1c")
endif()
message(STATUS "runtime-only build and tests passed")
