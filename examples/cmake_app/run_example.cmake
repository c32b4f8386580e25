# Installs this build of r1c into a fresh prefix, then builds and runs
# examples/cmake_app against the installed tree only, as an application would;
# and imports the installed Python package, which must find the installed r1c.
#   -DBUILD_DIR= the r1c build tree   -DSOURCE_DIR= the r1c checkout
#   -DWORK_DIR= scratch folder        -DPYTHON= the interpreter the SDK is built for
#   -DGENERATOR= CMake generator for the application
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(app ${WORK_DIR}/app-build)
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${prefix}"
    "${PYTHON};${SOURCE_DIR}/examples/make_small_model.py;--out;${WORK_DIR}/small_mlp.onnx;--batch;4"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/examples/cmake_app;-B;${app};-G;${GENERATOR};-DCMAKE_PREFIX_PATH=${prefix};-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF;-DMODEL=${WORK_DIR}/small_mlp.onnx"
    "${CMAKE_COMMAND};--build;${app}"
    "${app}/classify"
    "${CMAKE_COMMAND};-E;env;--unset=R1C_COMPILER;PYTHONPATH=${prefix}/lib/r1c/python;${PYTHON};${SOURCE_DIR}/examples/cmake_app/check_installed_python.py;${prefix};${WORK_DIR}/small_mlp.onnx;${WORK_DIR}/cache")
  execute_process(COMMAND ${step} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "${out}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${step}")
  endif()
endforeach()
# The application found the installed package, not this build tree.
file(STRINGS ${app}/CMakeCache.txt found REGEX "^r1c_DIR:")
if(NOT found MATCHES "${prefix}/lib/cmake/r1c")
  message(FATAL_ERROR "the application used another r1c package: ${found}")
endif()
# r1c_add_model put the model's code and artifact in the application's tree.
foreach(file small_mlp.o small_mlp.h small_mlp.r1)
  if(NOT EXISTS ${app}/r1c_models/small_mlp/${file})
    message(FATAL_ERROR "r1c_add_model wrote no ${file}")
  endif()
endforeach()
