# Builds and runs examples/link_app the way a user would: generate the model,
# compile it with r1c, compile the app against OUT.h and link OUT.o.
foreach(step
    "${PYTHON};${SOURCE_DIR}/examples/make_small_model.py;--out;${WORK_DIR}/small_mlp.onnx;--batch;4"
    "${R1C};${WORK_DIR}/small_mlp.onnx;--target=host;-o;${WORK_DIR}/small_mlp"
    "${CXX};-std=c++17;-I${WORK_DIR};${SOURCE_DIR}/examples/link_app/main.cpp;${WORK_DIR}/small_mlp.o;-o;${WORK_DIR}/app"
    "${WORK_DIR}/app")
  execute_process(COMMAND ${step} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "${out}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${step}")
  endif()
endforeach()
