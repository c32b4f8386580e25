# r1c_add_model: compiles an ONNX model with r1c when the application builds.
#
#   r1c_add_model(<target> <model.onnx>
#                 [NAME <name>]              symbol prefix and file name (default: the
#                                            model's file name without .onnx)
#                 [TARGETS host sm_90 ...]   what r1c compiles for (default: host)
#                 [OPTIONS <r1c flags>...])  e.g. --dim batch=1,8 or --cpu=x86-64-v3
#
# Writes <name>.r1 into ${CMAKE_CURRENT_BINARY_DIR}/r1c_models/<name>/ and, when
# TARGETS has host, <name>.o and <name>.h: the object is linked into <target> and
# the folder is on its include path (#include "<name>.h", then call
# <name>_run(...)). <target> also links r1c::r1rt, the runtime that loads
# <name>.r1 (GPU code, shape buckets, sessions), and the variable
# <name>_ARTIFACT holds that file's path in the caller's scope. The model
# compiles again when the model file or r1c changes.
function(r1c_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 ARG "" "NAME" "TARGETS;OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "r1c_add_model: unexpected arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "r1c_add_model: ${target} is not a target")
  endif()
  if(NOT TARGET r1c::r1c)
    message(FATAL_ERROR "r1c_add_model: this r1c package has no compiler "
                        "(it was built with R1C_BUILD_COMPILER=OFF)")
  endif()
  get_filename_component(model ${model} ABSOLUTE)
  if(NOT ARG_NAME)
    get_filename_component(ARG_NAME ${model} NAME_WE)
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "r1c_add_model: NAME ${ARG_NAME} must be a C identifier "
                        "(it prefixes the model's symbols)")
  endif()
  if(NOT ARG_TARGETS)
    set(ARG_TARGETS host)
  endif()
  list(JOIN ARG_TARGETS "," target_list)

  set(dir ${CMAKE_CURRENT_BINARY_DIR}/r1c_models/${ARG_NAME})
  set(outputs ${dir}/${ARG_NAME}.r1)
  if("host" IN_LIST ARG_TARGETS)
    list(APPEND outputs ${dir}/${ARG_NAME}.o ${dir}/${ARG_NAME}.h)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND r1c::r1c ${model} --target=${target_list} -o ${dir}/${ARG_NAME} --no-progress
            ${ARG_OPTIONS}
    DEPENDS ${model} $<TARGET_FILE:r1c::r1c>
    COMMENT "r1c: compiling ${model} for ${target_list}"
    VERBATIM)

  if("host" IN_LIST ARG_TARGETS)
    set_source_files_properties(${dir}/${ARG_NAME}.o PROPERTIES EXTERNAL_OBJECT ON GENERATED ON)
    target_sources(${target} PRIVATE ${dir}/${ARG_NAME}.o ${dir}/${ARG_NAME}.h)
    target_include_directories(${target} PRIVATE ${dir})
  else()
    # No object to link: a target that builds the artifact beside the application.
    add_custom_target(${target}_${ARG_NAME}_r1 DEPENDS ${outputs})
    add_dependencies(${target} ${target}_${ARG_NAME}_r1)
  endif()
  target_link_libraries(${target} PRIVATE r1c::r1rt)
  set(${ARG_NAME}_ARTIFACT ${dir}/${ARG_NAME}.r1 PARENT_SCOPE)
endfunction()
