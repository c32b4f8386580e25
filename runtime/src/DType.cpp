// Sizes and names of element types.
#include "r1c/runtime.h"

extern "C" size_t r1rt_dtype_size(r1rt_dtype_t dtype) {
  switch (dtype) {
  case R1RT_DTYPE_BOOL:
  case R1RT_DTYPE_UINT8:
  case R1RT_DTYPE_INT8:
  case R1RT_DTYPE_FLOAT8E4M3FN:
  case R1RT_DTYPE_FLOAT8E4M3FNUZ:
  case R1RT_DTYPE_FLOAT8E5M2:
  case R1RT_DTYPE_FLOAT8E5M2FNUZ: return 1;
  case R1RT_DTYPE_UINT16:
  case R1RT_DTYPE_INT16:
  case R1RT_DTYPE_FLOAT16:
  case R1RT_DTYPE_BFLOAT16: return 2;
  case R1RT_DTYPE_FLOAT:
  case R1RT_DTYPE_INT32:
  case R1RT_DTYPE_UINT32: return 4;
  case R1RT_DTYPE_DOUBLE:
  case R1RT_DTYPE_INT64:
  case R1RT_DTYPE_UINT64:
  case R1RT_DTYPE_COMPLEX64: return 8;
  case R1RT_DTYPE_COMPLEX128: return 16;
  // Two elements share a byte, or the size varies per element.
  case R1RT_DTYPE_STRING:
  case R1RT_DTYPE_UINT4:
  case R1RT_DTYPE_INT4:
  case R1RT_DTYPE_FLOAT4E2M1: return 0;
  case R1RT_DTYPE_MAX_ENUM: break;
  }
  return 0;
}

extern "C" const char *r1rt_dtype_name(r1rt_dtype_t dtype) {
  switch (dtype) {
  case R1RT_DTYPE_FLOAT: return "float";
  case R1RT_DTYPE_UINT8: return "uint8";
  case R1RT_DTYPE_INT8: return "int8";
  case R1RT_DTYPE_UINT16: return "uint16";
  case R1RT_DTYPE_INT16: return "int16";
  case R1RT_DTYPE_INT32: return "int32";
  case R1RT_DTYPE_INT64: return "int64";
  case R1RT_DTYPE_STRING: return "string";
  case R1RT_DTYPE_BOOL: return "bool";
  case R1RT_DTYPE_FLOAT16: return "float16";
  case R1RT_DTYPE_DOUBLE: return "double";
  case R1RT_DTYPE_UINT32: return "uint32";
  case R1RT_DTYPE_UINT64: return "uint64";
  case R1RT_DTYPE_COMPLEX64: return "complex64";
  case R1RT_DTYPE_COMPLEX128: return "complex128";
  case R1RT_DTYPE_BFLOAT16: return "bfloat16";
  case R1RT_DTYPE_FLOAT8E4M3FN: return "float8e4m3fn";
  case R1RT_DTYPE_FLOAT8E4M3FNUZ: return "float8e4m3fnuz";
  case R1RT_DTYPE_FLOAT8E5M2: return "float8e5m2";
  case R1RT_DTYPE_FLOAT8E5M2FNUZ: return "float8e5m2fnuz";
  case R1RT_DTYPE_UINT4: return "uint4";
  case R1RT_DTYPE_INT4: return "int4";
  case R1RT_DTYPE_FLOAT4E2M1: return "float4e2m1";
  case R1RT_DTYPE_MAX_ENUM: break;
  }
  return "unknown";
}
