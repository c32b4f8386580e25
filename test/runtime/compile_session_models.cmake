# Compiles the models of runtime.sessions: each MODEL.txt in ONNX's text
# syntax becomes WORK_DIR/MODEL.onnx, then WORK_DIR/MODEL.r1 with r1c.
# Run with -DPYTHON= -DR1C= -DSOURCE_DIR= (this folder) -DWORK_DIR=.
set(models
  "bucketed_softmax|--dim|batch=1,4"
  "static_gemm"
  "reduce_sum_axes")
file(MAKE_DIRECTORY ${WORK_DIR})
foreach(entry ${models})
  string(REPLACE "|" ";" args "${entry}")
  list(POP_FRONT args model)
  foreach(step
      "${PYTHON};${SOURCE_DIR}/../lib/onnx_from_text.py;${SOURCE_DIR}/${model}.txt;-o;${WORK_DIR}/${model}.onnx"
      "${R1C};${WORK_DIR}/${model}.onnx;--target=host;${args};-o;${WORK_DIR}/${model}")
    execute_process(COMMAND ${step} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "${model}: step failed (${result}): ${step}\n${out}")
    endif()
  endforeach()
endforeach()
# The allocator's cascade (make_tier_models.py): for the host, and for sm_90
# and the host where NVRTC is, which the fake GPU runs (and fails on purpose).
foreach(step
    "${PYTHON};${SOURCE_DIR}/make_tier_models.py;${WORK_DIR}"
    "${R1C};--tiers=${WORK_DIR}/tier_coarse.onnx,${WORK_DIR}/tier_fine.onnx;--cascade=confidence:0.8;--target=host;--dim;batch=1,4;-o;${WORK_DIR}/cascade")
  execute_process(COMMAND ${step} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "cascade: step failed (${result}): ${step}\n${out}")
  endif()
endforeach()
file(REMOVE ${WORK_DIR}/cascade_gpu.r1)
execute_process(COMMAND ${R1C} --tiers=${WORK_DIR}/tier_coarse.onnx,${WORK_DIR}/tier_fine.onnx
                        --cascade=confidence:0.8 --target=sm_90,host --dim batch=1,4
                        -o ${WORK_DIR}/cascade_gpu
                RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT result EQUAL 0)
  message(STATUS "no sm_90 cascade (the fallback test skips): ${out}")
endif()
message(STATUS "compiled: bucketed_softmax.r1, static_gemm.r1, reduce_sum_axes.r1, cascade.r1")
