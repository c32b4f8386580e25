// RUN: r1c-opt %s -canonicalize | FileCheck %s

// Folds of shape computations on small integer tensors, and what must stay.

//===----------------------------------------------------------------------===//
// shape, size
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @shape_of_static
func.func @shape_of_static(%x: tensor<2x3x4xf32>) -> (tensor<3xi64>, tensor<1xi64>, tensor<0xi64>) {
  // CHECK-DAG: %[[ALL:.*]] = r1.constant dense<[2, 3, 4]> : tensor<3xi64>
  // CHECK-DAG: %[[MID:.*]] = r1.constant dense<3> : tensor<1xi64>
  // CHECK-DAG: %[[NONE:.*]] = r1.constant dense<> : tensor<0xi64>
  // CHECK-NOT: r1.shape
  // CHECK: return %[[ALL]], %[[MID]], %[[NONE]]
  %0 = r1.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %1 = r1.shape %x {start = 1 : i64, end = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<1xi64>
  %2 = r1.shape %x {start = 2 : i64, end = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<0xi64>
  return %0, %1, %2 : tensor<3xi64>, tensor<1xi64>, tensor<0xi64>
}

// The static dims of a dynamic tensor fold; a range with `?` does not.
// CHECK-LABEL: func @shape_of_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf32>)
func.func @shape_of_dynamic(%x: tensor<?x3x4xf32>) -> (tensor<3xi64>, tensor<2xi64>) {
  // CHECK-DAG: %[[TAIL:.*]] = r1.constant dense<[3, 4]> : tensor<2xi64>
  // CHECK-DAG: %[[ALL:.*]] = r1.shape %[[X]] {end = 3 : i64, start = 0 : i64}
  // CHECK: return %[[ALL]], %[[TAIL]]
  %0 = r1.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<?x3x4xf32>) -> tensor<3xi64>
  %1 = r1.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  return %0, %1 : tensor<3xi64>, tensor<2xi64>
}

// CHECK-LABEL: func @size
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[Y:.*]]: tensor<?x3xf32>, %[[S:.*]]: tensor<f32>)
func.func @size(%x: tensor<2x3x4xf32>, %y: tensor<?x3xf32>, %s: tensor<f32>)
    -> (tensor<i64>, tensor<i64>, tensor<i64>, tensor<*xi64>) {
  // CHECK-DAG: %[[N:.*]] = r1.constant dense<24> : tensor<i64>
  // CHECK-DAG: %[[ONE:.*]] = r1.constant dense<1> : tensor<i64>
  // CHECK-DAG: %[[DYN:.*]] = r1.size %[[Y]] : (tensor<?x3xf32>) -> tensor<i64>
  // A result written as unranked cannot hold a literal.
  // CHECK-DAG: %[[UNRANKED:.*]] = r1.size %[[X]] : (tensor<2x3x4xf32>) -> tensor<*xi64>
  // CHECK: return %[[N]], %[[DYN]], %[[ONE]], %[[UNRANKED]]
  %0 = r1.size %x : (tensor<2x3x4xf32>) -> tensor<i64>
  %1 = r1.size %y : (tensor<?x3xf32>) -> tensor<i64>
  %2 = r1.size %s : (tensor<f32>) -> tensor<i64>
  %3 = r1.size %x : (tensor<2x3x4xf32>) -> tensor<*xi64>
  return %0, %1, %2, %3 : tensor<i64>, tensor<i64>, tensor<i64>, tensor<*xi64>
}

//===----------------------------------------------------------------------===//
// cast
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @cast_int_constants
func.func @cast_int_constants() -> (tensor<3xi32>, tensor<3xi1>, tensor<3xui8>, tensor<2xi64>, tensor<2xi64>) {
  // CHECK-DAG: %[[I32:.*]] = r1.constant dense<[1, -2, 300]> : tensor<3xi32>
  // CHECK-DAG: %[[BOOL:.*]] = r1.constant dense<[true, true, false]> : tensor<3xi1>
  // Narrowing wraps.
  // CHECK-DAG: %[[U8:.*]] = r1.constant dense<[1, 254, 44]> : tensor<3xui8>
  // Unsigned values widen without a sign.
  // CHECK-DAG: %[[FROM_U8:.*]] = r1.constant dense<[200, 7]> : tensor<2xi64>
  // CHECK-DAG: %[[FROM_BOOL:.*]] = r1.constant dense<[1, 0]> : tensor<2xi64>
  // CHECK-NOT: r1.cast
  // CHECK: return %[[I32]], %[[BOOL]], %[[U8]], %[[FROM_U8]], %[[FROM_BOOL]]
  %c = r1.constant dense<[1, -2, 300]> : tensor<3xi64>
  %z = r1.constant dense<[7, -1, 0]> : tensor<3xi64>
  %0 = r1.cast %c {to = i32} : (tensor<3xi64>) -> tensor<3xi32>
  %1 = r1.cast %z {to = i1} : (tensor<3xi64>) -> tensor<3xi1>
  %2 = r1.cast %c {to = ui8} : (tensor<3xi64>) -> tensor<3xui8>
  %u = r1.constant dense<[200, 7]> : tensor<2xui8>
  %3 = r1.cast %u {to = i64} : (tensor<2xui8>) -> tensor<2xi64>
  %b = r1.constant dense<[true, false]> : tensor<2xi1>
  %4 = r1.cast %b {to = i64} : (tensor<2xi1>) -> tensor<2xi64>
  return %0, %1, %2, %3, %4 : tensor<3xi32>, tensor<3xi1>, tensor<3xui8>, tensor<2xi64>, tensor<2xi64>
}

// CHECK-LABEL: func @cast_to_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>)
func.func @cast_to_same_type(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // CHECK-NOT: r1.cast
  // CHECK: return %[[X]]
  %0 = r1.cast %x {to = f32} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// Floats are not folded.
// CHECK-LABEL: func @cast_float_no_fold
func.func @cast_float_no_fold() -> (tensor<2xi64>, tensor<2xf32>) {
  // CHECK: r1.cast %{{.*}} {to = i64} : (tensor<2xf32>) -> tensor<2xi64>
  // CHECK: r1.cast %{{.*}} {to = f32} : (tensor<2xi64>) -> tensor<2xf32>
  %f = r1.constant dense<[1.5, -2.5]> : tensor<2xf32>
  %0 = r1.cast %f {to = i64} : (tensor<2xf32>) -> tensor<2xi64>
  %i = r1.constant dense<[1, 2]> : tensor<2xi64>
  %1 = r1.cast %i {to = f32} : (tensor<2xi64>) -> tensor<2xf32>
  return %0, %1 : tensor<2xi64>, tensor<2xf32>
}

//===----------------------------------------------------------------------===//
// add, sub, mul, div, equal, where
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @arithmetic_broadcast
func.func @arithmetic_broadcast() -> (tensor<2x3xi64>, tensor<2x3xi64>, tensor<3xi64>, tensor<2x1xi64>) {
  // CHECK-DAG: %[[ADD:.*]] = r1.constant dense<{{\[}}[11, 21, 31], [12, 22, 32]]> : tensor<2x3xi64>
  // CHECK-DAG: %[[SUB:.*]] = r1.constant dense<{{\[}}[-9, -19, -29], [-8, -18, -28]]> : tensor<2x3xi64>
  // CHECK-DAG: %[[MUL:.*]] = r1.constant dense<[20, 40, 60]> : tensor<3xi64>
  // CHECK-DAG: %[[DIV:.*]] = r1.constant dense<{{\[}}[-3], [3]]> : tensor<2x1xi64>
  // CHECK-NOT: r1.add
  // CHECK-NOT: r1.sub
  // CHECK-NOT: r1.mul
  // CHECK-NOT: r1.div
  // CHECK: return %[[ADD]], %[[SUB]], %[[MUL]], %[[DIV]]
  %col = r1.constant dense<[[1], [2]]> : tensor<2x1xi64>
  %row = r1.constant dense<[10, 20, 30]> : tensor<3xi64>
  %two = r1.constant dense<2> : tensor<i64>
  %0 = r1.add %col, %row : (tensor<2x1xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %1 = r1.sub %col, %row : (tensor<2x1xi64>, tensor<3xi64>) -> tensor<2x3xi64>
  %2 = r1.mul %two, %row : (tensor<i64>, tensor<3xi64>) -> tensor<3xi64>
  // Integer division truncates toward zero.
  %num = r1.constant dense<[[-7], [7]]> : tensor<2x1xi64>
  %3 = r1.div %num, %two : (tensor<2x1xi64>, tensor<i64>) -> tensor<2x1xi64>
  return %0, %1, %2, %3 : tensor<2x3xi64>, tensor<2x3xi64>, tensor<3xi64>, tensor<2x1xi64>
}

// CHECK-LABEL: func @arithmetic_i32
func.func @arithmetic_i32() -> tensor<2xi32> {
  // CHECK: %[[C:.*]] = r1.constant dense<[5, -1]> : tensor<2xi32>
  // CHECK-NEXT: return %[[C]]
  %a = r1.constant dense<[2, -4]> : tensor<2xi32>
  %b = r1.constant dense<3> : tensor<1xi32>
  %0 = r1.add %a, %b : (tensor<2xi32>, tensor<1xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// CHECK-LABEL: func @equal_and_where
func.func @equal_and_where() -> (tensor<3xi1>, tensor<2x2xi64>) {
  // CHECK-DAG: %[[EQ:.*]] = r1.constant dense<[false, true, false]> : tensor<3xi1>
  // CHECK-DAG: %[[SEL:.*]] = r1.constant dense<{{\[}}[1, -1], [3, -1]]> : tensor<2x2xi64>
  // CHECK-NOT: r1.equal
  // CHECK-NOT: r1.where
  // CHECK: return %[[EQ]], %[[SEL]]
  %a = r1.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = r1.constant dense<2> : tensor<i64>
  %0 = r1.equal %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %c = r1.constant dense<[true, false]> : tensor<2xi1>
  %x = r1.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %y = r1.constant dense<-1> : tensor<i64>
  %1 = r1.where %c, %x, %y : (tensor<2xi1>, tensor<2x2xi64>, tensor<i64>) -> tensor<2x2xi64>
  return %0, %1 : tensor<3xi1>, tensor<2x2xi64>
}

// CHECK-LABEL: func @unary_logic_and_ordering
func.func @unary_logic_and_ordering() -> (tensor<3xi64>, tensor<3xi64>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  // CHECK-DAG: %[[NEG:.*]] = r1.constant dense<[1, 0, -2]> : tensor<3xi64>
  // CHECK-DAG: %[[ABS:.*]] = r1.constant dense<[1, 0, 2]> : tensor<3xi64>
  // CHECK-DAG: %[[NOT:.*]] = r1.constant dense<[false, true]> : tensor<2xi1>
  // CHECK-DAG: %[[AND:.*]] = r1.constant dense<[true, false]> : tensor<2xi1>
  // CHECK-DAG: %[[OR:.*]] = r1.constant dense<true> : tensor<2xi1>
  // CHECK-DAG: %[[XOR:.*]] = r1.constant dense<[false, true, false]> : tensor<3xi1>
  // CHECK-DAG: %[[MAX:.*]] = r1.constant dense<[0, 0, 2]> : tensor<3xi64>
  // CHECK-DAG: %[[MIN:.*]] = r1.constant dense<[-1, 0, 0]> : tensor<3xi64>
  // CHECK-DAG: %[[LT:.*]] = r1.constant dense<[true, false, false]> : tensor<3xi1>
  // CHECK-DAG: %[[LE:.*]] = r1.constant dense<[true, true, false]> : tensor<3xi1>
  // CHECK-DAG: %[[GT:.*]] = r1.constant dense<[false, false, true]> : tensor<3xi1>
  // CHECK-DAG: %[[GE:.*]] = r1.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK-NOT: r1.neg
  // CHECK-NOT: r1.less
  // CHECK-NOT: r1.greater
  // CHECK: return %[[NEG]], %[[ABS]], %[[NOT]], %[[AND]], %[[OR]], %[[XOR]], %[[MAX]], %[[MIN]], %[[LT]], %[[LE]], %[[GT]], %[[GE]]
  %a = r1.constant dense<[-1, 0, 2]> : tensor<3xi64>
  %zero = r1.constant dense<0> : tensor<i64>
  %t = r1.constant dense<[true, false]> : tensor<2xi1>
  %u = r1.constant dense<true> : tensor<i1>
  %neg = r1.neg %a : (tensor<3xi64>) -> tensor<3xi64>
  %abs = r1.abs %a : (tensor<3xi64>) -> tensor<3xi64>
  %not = r1.not %t : (tensor<2xi1>) -> tensor<2xi1>
  %and = r1.and %t, %u : (tensor<2xi1>, tensor<i1>) -> tensor<2xi1>
  %or = r1.or %t, %u : (tensor<2xi1>, tensor<i1>) -> tensor<2xi1>
  %t3 = r1.constant dense<[true, false, true]> : tensor<3xi1>
  %xor = r1.xor %t3, %u : (tensor<3xi1>, tensor<i1>) -> tensor<3xi1>
  %max = r1.max %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %min = r1.min %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %lt = r1.less %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %le = r1.less_equal %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %gt = r1.greater %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %ge = r1.greater_equal %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  return %neg, %abs, %not, %and, %or, %xor, %max, %min, %lt, %le, %gt, %ge : tensor<3xi64>, tensor<3xi64>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<3xi1>, tensor<3xi64>, tensor<3xi64>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// A ui64 above INT64_MAX does not order as an int64: no fold.
// CHECK-LABEL: func @no_fold_ordering_large_ui64
func.func @no_fold_ordering_large_ui64() -> tensor<i1> {
  // CHECK: r1.less
  %a = r1.constant dense<18446744073709551615> : tensor<ui64>
  %b = r1.constant dense<1> : tensor<ui64>
  %0 = r1.less %a, %b : (tensor<ui64>, tensor<ui64>) -> tensor<i1>
  return %0 : tensor<i1>
}

// CHECK-LABEL: func @unsigned_division
func.func @unsigned_division() -> tensor<ui8> {
  // CHECK: %[[C:.*]] = r1.constant dense<100> : tensor<ui8>
  // CHECK-NEXT: return %[[C]]
  %a = r1.constant dense<200> : tensor<ui8>
  %b = r1.constant dense<2> : tensor<ui8>
  %0 = r1.div %a, %b : (tensor<ui8>, tensor<ui8>) -> tensor<ui8>
  return %0 : tensor<ui8>
}

// Mod folds with Python's sign rule (the divisor's), or C's with fmod; not
// by zero.
// CHECK-LABEL: func @mod_int_constants
func.func @mod_int_constants() -> (tensor<4xi64>, tensor<4xi64>, tensor<i64>) {
  // CHECK-DAG: %[[PY:.*]] = r1.constant dense<[1, -2, 2, 0]> : tensor<4xi64>
  // CHECK-DAG: %[[C:.*]] = r1.constant dense<[1, 2, -1, 0]> : tensor<4xi64>
  // CHECK-DAG: %[[ZERO:.*]] = r1.mod
  // CHECK: return %[[PY]], %[[C]], %[[ZERO]]
  %a = r1.constant dense<[7, 7, -7, 6]> : tensor<4xi64>
  %b = r1.constant dense<[3, -3, 3, 3]> : tensor<4xi64>
  %c = r1.constant dense<[3, 5, 3, 2]> : tensor<4xi64>
  %0 = r1.mod %a, %b : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %1 = r1.mod %a, %c {fmod = true} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %x = r1.constant dense<5> : tensor<i64>
  %zero = r1.constant dense<0> : tensor<i64>
  %2 = r1.mod %x, %zero : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %0, %1, %2 : tensor<4xi64>, tensor<4xi64>, tensor<i64>
}

// CHECK-LABEL: func @no_fold_division_by_zero
func.func @no_fold_division_by_zero() -> (tensor<2xi64>, tensor<i64>) {
  // CHECK: r1.div %{{.*}}, %{{.*}} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  // The quotient does not fit in i64.
  // CHECK: r1.div %{{.*}}, %{{.*}} : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %a = r1.constant dense<[4, 5]> : tensor<2xi64>
  %b = r1.constant dense<[2, 0]> : tensor<2xi64>
  %0 = r1.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %min = r1.constant dense<-9223372036854775808> : tensor<i64>
  %minus1 = r1.constant dense<-1> : tensor<i64>
  %1 = r1.div %min, %minus1 : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %0, %1 : tensor<2xi64>, tensor<i64>
}

// CHECK-LABEL: func @no_fold_overflow
func.func @no_fold_overflow() -> (tensor<i64>, tensor<i64>) {
  // CHECK: r1.add
  // CHECK: r1.mul
  %max = r1.constant dense<9223372036854775807> : tensor<i64>
  %one = r1.constant dense<1> : tensor<i64>
  %0 = r1.add %max, %one : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %1 = r1.mul %max, %max : (tensor<i64>, tensor<i64>) -> tensor<i64>
  return %0, %1 : tensor<i64>, tensor<i64>
}

// CHECK-LABEL: func @no_fold_float_arithmetic
func.func @no_fold_float_arithmetic() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xi1>, tensor<2xf32>) {
  // CHECK: r1.add {{.*}} -> tensor<2xf32>
  // CHECK: r1.div {{.*}} -> tensor<2xf32>
  // CHECK: r1.equal {{.*}} -> tensor<2xi1>
  // CHECK: r1.where {{.*}} -> tensor<2xf32>
  %a = r1.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = r1.constant dense<0.5> : tensor<f32>
  %0 = r1.add %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %1 = r1.div %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %2 = r1.equal %a, %b : (tensor<2xf32>, tensor<f32>) -> tensor<2xi1>
  %c = r1.constant dense<[true, false]> : tensor<2xi1>
  %3 = r1.where %c, %a, %b : (tensor<2xi1>, tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xf32>, tensor<2xi1>, tensor<2xf32>
}

// CHECK-LABEL: func @no_fold_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?xi64>, %[[Y:.*]]: tensor<2xi64>)
func.func @no_fold_dynamic(%x: tensor<?xi64>, %y: tensor<2xi64>) -> (tensor<?xi64>, tensor<2xi64>) {
  // CHECK: r1.add %[[X]], %{{.*}} : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  // CHECK: r1.mul %[[Y]], %{{.*}} : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %one = r1.constant dense<1> : tensor<i64>
  %0 = r1.add %x, %one : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %1 = r1.mul %y, %one : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0, %1 : tensor<?xi64>, tensor<2xi64>
}

//===----------------------------------------------------------------------===//
// bitwise_and, bitwise_or, bitwise_xor, bitwise_not
//===----------------------------------------------------------------------===//

// Each works on the bits of the element type: signed, unsigned and narrow.
// CHECK-LABEL: func @bitwise_int_constants
func.func @bitwise_int_constants() -> (tensor<2x2xi64>, tensor<2xui8>, tensor<2xi8>, tensor<2xui64>) {
  // CHECK-DAG: %[[AND:.*]] = r1.constant dense<{{\[}}[4, 4], [0, 2]]> : tensor<2x2xi64>
  // CHECK-DAG: %[[OR:.*]] = r1.constant dense<[255, 15]> : tensor<2xui8>
  // CHECK-DAG: %[[XOR:.*]] = r1.constant dense<[-1, 1]> : tensor<2xi8>
  // CHECK-DAG: %[[NOT:.*]] = r1.constant dense<[18446744073709551615, 0]> : tensor<2xui64>
  // CHECK-NOT: r1.bitwise
  // CHECK: return %[[AND]], %[[OR]], %[[XOR]], %[[NOT]]
  %col = r1.constant dense<[[-4], [2]]> : tensor<2x1xi64>
  %row = r1.constant dense<[5, 6]> : tensor<2xi64>
  %0 = r1.bitwise_and %col, %row : (tensor<2x1xi64>, tensor<2xi64>) -> tensor<2x2xi64>
  %u = r1.constant dense<[240, 5]> : tensor<2xui8>
  %v = r1.constant dense<[15, 10]> : tensor<2xui8>
  %1 = r1.bitwise_or %u, %v : (tensor<2xui8>, tensor<2xui8>) -> tensor<2xui8>
  %s = r1.constant dense<[-128, 3]> : tensor<2xi8>
  %t = r1.constant dense<[127, 2]> : tensor<2xi8>
  %2 = r1.bitwise_xor %s, %t : (tensor<2xi8>, tensor<2xi8>) -> tensor<2xi8>
  %w = r1.constant dense<[0, 18446744073709551615]> : tensor<2xui64>
  %3 = r1.bitwise_not %w : (tensor<2xui64>) -> tensor<2xui64>
  return %0, %1, %2, %3 : tensor<2x2xi64>, tensor<2xui8>, tensor<2xi8>, tensor<2xui64>
}

//===----------------------------------------------------------------------===//
// reshape, unsqueeze, squeeze, flatten, transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @reshape_like_constants
func.func @reshape_like_constants() -> (tensor<2x3xi64>, tensor<1xi64>, tensor<i64>, tensor<2x3xf32>, tensor<1x6xi64>) {
  // CHECK-DAG: %[[R:.*]] = r1.constant dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  // CHECK-DAG: %[[U:.*]] = r1.constant dense<7> : tensor<1xi64>
  // CHECK-DAG: %[[S:.*]] = r1.constant dense<8> : tensor<i64>
  // CHECK-DAG: %[[F:.*]] = r1.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
  // CHECK-DAG: %[[FL:.*]] = r1.constant dense<{{\[}}[1, 2, 3, 4, 5, 6]]> : tensor<1x6xi64>
  // CHECK-NOT: r1.reshape
  // CHECK-NOT: r1.unsqueeze
  // CHECK-NOT: r1.squeeze
  // CHECK-NOT: r1.flatten
  // CHECK: return %[[R]], %[[U]], %[[S]], %[[F]], %[[FL]]
  %c = r1.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi64>
  %shape = r1.constant dense<[2, -1]> : tensor<2xi64>
  %0 = r1.reshape %c, %shape {allowzero = false} : (tensor<6xi64>, tensor<2xi64>) -> tensor<2x3xi64>
  %s = r1.constant dense<7> : tensor<i64>
  %1 = r1.unsqueeze %s {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %t = r1.constant dense<[8]> : tensor<1xi64>
  %2 = r1.squeeze %t {axes = array<i64: 0>} : (tensor<1xi64>) -> tensor<i64>
  // Float constants are reshaped too: no arithmetic, the same elements.
  %f = r1.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>
  %3 = r1.reshape %f, %shape {allowzero = false} : (tensor<6xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %4 = r1.flatten %0 {axis = 0 : i64} : (tensor<2x3xi64>) -> tensor<1x6xi64>
  return %0, %1, %2, %3, %4 : tensor<2x3xi64>, tensor<1xi64>, tensor<i64>, tensor<2x3xf32>, tensor<1x6xi64>
}

// CHECK-LABEL: func @reshape_like_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<2xi64>)
func.func @reshape_like_same_type(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK-NOT: r1.reshape
  // CHECK-NOT: r1.flatten
  // CHECK: return %[[X]], %[[X]], %[[X]]
  %shape = r1.constant dense<[2, 3]> : tensor<2xi64>
  %0 = r1.reshape %x, %shape {allowzero = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  // Even with the shape only known at run time: the types say it all.
  %1 = r1.reshape %x, %s {allowzero = false} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %2 = r1.flatten %x {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// With dynamic dims the same type does not prove the same layout.
// CHECK-LABEL: func @reshape_dynamic_no_fold
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[S:.*]]: tensor<2xi64>)
func.func @reshape_dynamic_no_fold(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  // CHECK: %[[R:.*]] = r1.reshape %[[X]], %[[S]]
  // CHECK: %[[F:.*]] = r1.flatten %[[X]]
  // CHECK: return %[[R]], %[[F]]
  %0 = r1.reshape %x, %s {allowzero = false} : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %1 = r1.flatten %x {axis = 1 : i64} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// CHECK-LABEL: func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf32>, %[[Y:.*]]: tensor<4x4xf32>)
func.func @transpose(%x: tensor<?x3x4xf32>, %y: tensor<4x4xf32>) -> (tensor<?x3x4xf32>, tensor<4x4xf32>) {
  // The identity permutation folds, dynamic dims or not.
  // CHECK-NOT: perm = array<i64: 0, 1, 2>
  // A square transpose keeps the type but not the layout.
  // CHECK: %[[T:.*]] = r1.transpose %[[Y]] {perm = array<i64: 1, 0>}
  // CHECK: return %[[X]], %[[T]]
  %0 = r1.transpose %x {perm = array<i64: 0, 1, 2>} : (tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
  %1 = r1.transpose %y {perm = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0, %1 : tensor<?x3x4xf32>, tensor<4x4xf32>
}

//===----------------------------------------------------------------------===//
// concat, slice, gather
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @concat
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf32>, %[[Y:.*]]: tensor<?x8xf32>)
func.func @concat(%x: tensor<?x3x4xf32>, %y: tensor<?x8xf32>) -> (tensor<3xi64>, tensor<3xi64>, tensor<?x8xf32>) {
  // The static tail of a shape joins a constant; the dynamic batch does not.
  // CHECK-DAG: %[[FOLDED:.*]] = r1.constant dense<[3, 4, -1]> : tensor<3xi64>
  // CHECK-DAG: %[[BATCH:.*]] = r1.shape %[[X]] {end = 1 : i64, start = 0 : i64}
  // CHECK-DAG: %[[JOINED:.*]] = r1.concat %[[BATCH]], %{{.*}} {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  // CHECK: return %[[FOLDED]], %[[JOINED]], %[[Y]]
  %tail = r1.shape %x {start = 1 : i64, end = 3 : i64} : (tensor<?x3x4xf32>) -> tensor<2xi64>
  %m1 = r1.constant dense<-1> : tensor<1xi64>
  %0 = r1.concat %tail, %m1 {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %batch = r1.shape %x {start = 0 : i64, end = 1 : i64} : (tensor<?x3x4xf32>) -> tensor<1xi64>
  %c = r1.constant dense<[7, 8]> : tensor<2xi64>
  %1 = r1.concat %batch, %c {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  // One input of the result's type is that input.
  %2 = r1.concat %y {axis = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0, %1, %2 : tensor<3xi64>, tensor<3xi64>, tensor<?x8xf32>
}

// CHECK-LABEL: func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>, %[[S:.*]]: tensor<4xi64>)
func.func @slice(%x: tensor<4x5xf32>, %s: tensor<4xi64>) -> (tensor<2xi64>, tensor<2xi64>, tensor<4x5xf32>, tensor<2xi64>) {
  // CHECK-DAG: %[[REV:.*]] = r1.constant dense<[40, 20]> : tensor<2xi64>
  // CHECK-DAG: %[[MID:.*]] = r1.constant dense<[20, 30]> : tensor<2xi64>
  // CHECK-DAG: %[[DYN:.*]] = r1.slice %[[S]]
  // CHECK: return %[[REV]], %[[MID]], %[[X]], %[[DYN]]
  %c = r1.constant dense<[10, 20, 30, 40]> : tensor<4xi64>
  %0 = r1.slice %c {axes = array<i64: 0>, starts = array<i64: -1>,
      ends = array<i64: -9223372036854775808>, steps = array<i64: -2>}
      : (tensor<4xi64>) -> tensor<2xi64>
  %1 = r1.slice %c {axes = array<i64: -1>, starts = array<i64: 1>, ends = array<i64: -1>,
      steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<2xi64>
  // Slicing everything with unit steps is the input.
  %2 = r1.slice %x {axes = array<i64: 0, 1>, starts = array<i64: 0, 0>,
      ends = array<i64: 4, 9223372036854775807>, steps = array<i64: 1, 1>}
      : (tensor<4x5xf32>) -> tensor<4x5xf32>
  %3 = r1.slice %s {axes = array<i64: 0>, starts = array<i64: 1>, ends = array<i64: 3>,
      steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<2xi64>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<2xi64>, tensor<4x5xf32>, tensor<2xi64>
}

// A full reversal keeps the type but not the order.
// CHECK-LABEL: func @slice_reverse_no_identity
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @slice_reverse_no_identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[R:.*]] = r1.slice %[[X]]
  // CHECK: return %[[R]]
  %0 = r1.slice %x {axes = array<i64: 0>, starts = array<i64: -1>,
      ends = array<i64: -9223372036854775808>, steps = array<i64: -1>}
      : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func @gather
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x224xf32>, %[[I:.*]]: tensor<i64>)
func.func @gather(%x: tensor<?x3x224xf32>, %i: tensor<i64>) -> (tensor<2xi64>, tensor<i64>, tensor<2xi64>, tensor<i64>, tensor<i64>) {
  // CHECK-DAG: %[[PICKED:.*]] = r1.constant dense<[30, 10]> : tensor<2xi64>
  // CHECK-DAG: %[[LAST:.*]] = r1.constant dense<30> : tensor<i64>
  // CHECK-DAG: %[[DIMS:.*]] = r1.constant dense<[224, 3]> : tensor<2xi64>
  // CHECK-DAG: %[[SHAPE:.*]] = r1.shape %[[X]]
  // CHECK-DAG: %[[BATCH:.*]] = r1.gather %[[SHAPE]], %{{.*}} {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  // CHECK-DAG: %[[DYN:.*]] = r1.gather %{{.*}}, %[[I]]
  // CHECK: return %[[PICKED]], %[[LAST]], %[[DIMS]], %[[BATCH]], %[[DYN]]
  %c = r1.constant dense<[10, 20, 30]> : tensor<3xi64>
  %idx = r1.constant dense<[2, 0]> : tensor<2xi64>
  %0 = r1.gather %c, %idx {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %m1 = r1.constant dense<-1> : tensor<i64>
  %1 = r1.gather %c, %m1 {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  // Static dims of a dynamic tensor's shape are known; the batch is not.
  %shape = r1.shape %x {start = 0 : i64, end = 3 : i64} : (tensor<?x3x224xf32>) -> tensor<3xi64>
  %idx32 = r1.constant dense<[2, 1]> : tensor<2xi32>
  %2 = r1.gather %shape, %idx32 {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi32>) -> tensor<2xi64>
  %zero = r1.constant dense<0> : tensor<i64>
  %3 = r1.gather %shape, %zero {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %4 = r1.gather %c, %i {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  return %0, %1, %2, %3, %4 : tensor<2xi64>, tensor<i64>, tensor<2xi64>, tensor<i64>, tensor<i64>
}

// Element gathers of literals fold, for any element type; negative indices
// count from the end. One that reads an argument stays.
// CHECK-LABEL: func @gather_elements
// CHECK-SAME: (%[[I:.*]]: tensor<1x3xi64>)
func.func @gather_elements(%i: tensor<1x3xi64>) -> (tensor<1x3xi64>, tensor<2x2xf32>, tensor<2xi1>, tensor<1x3xi64>) {
  // CHECK-DAG: %[[TYPES:.*]] = r1.constant dense<{{\[}}[7, 5, 7]]> : tensor<1x3xi64>
  // CHECK-DAG: %[[ROWS:.*]] = r1.constant dense<{{\[}}[3.000000e+00, 2.000000e+00], [1.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  // CHECK-DAG: %[[BOOLS:.*]] = r1.constant dense<[true, false]> : tensor<2xi1>
  // CHECK-DAG: %[[DYN:.*]] = r1.gather_elements %{{.*}}, %[[I]]
  // CHECK: return %[[TYPES]], %[[ROWS]], %[[BOOLS]], %[[DYN]]
  %t = r1.constant dense<[[5, 6, 7, 8]]> : tensor<1x4xi64>
  %p = r1.constant dense<[[2, 0, -2]]> : tensor<1x3xi32>
  %0 = r1.gather_elements %t, %p {axis = 1 : i64} : (tensor<1x4xi64>, tensor<1x3xi32>) -> tensor<1x3xi64>
  %f = r1.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %r = r1.constant dense<[[1, 0], [0, -1]]> : tensor<2x2xi64>
  %1 = r1.gather_elements %f, %r {axis = 0 : i64} : (tensor<2x2xf32>, tensor<2x2xi64>) -> tensor<2x2xf32>
  %b = r1.constant dense<[false, true]> : tensor<2xi1>
  %bi = r1.constant dense<[1, 0]> : tensor<2xi64>
  %2 = r1.gather_elements %b, %bi {axis = 0 : i64} : (tensor<2xi1>, tensor<2xi64>) -> tensor<2xi1>
  %3 = r1.gather_elements %t, %i {axis = 1 : i64} : (tensor<1x4xi64>, tensor<1x3xi64>) -> tensor<1x3xi64>
  return %0, %1, %2, %3 : tensor<1x3xi64>, tensor<2x2xf32>, tensor<2xi1>, tensor<1x3xi64>
}

// An index out of range is left for run time to report.
// CHECK-LABEL: func @gather_elements_out_of_range
func.func @gather_elements_out_of_range() -> tensor<2xi64> {
  // CHECK: r1.gather_elements
  %t = r1.constant dense<[5, 6]> : tensor<2xi64>
  %i = r1.constant dense<[0, 2]> : tensor<2xi64>
  %0 = r1.gather_elements %t, %i {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func @gather_nd
func.func @gather_nd() -> (tensor<2xi64>, tensor<2x2xf32>, tensor<2x1x2xf32>) {
  // CHECK-DAG: %[[PAIRS:.*]] = r1.constant dense<[6, 1]> : tensor<2xi64>
  // CHECK-DAG: %[[ROWS:.*]] = r1.constant dense<{{\[}}[3.000000e+00, 4.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
  // CHECK-DAG: %[[BATCHED:.*]] = r1.constant dense<{{\[}}{{\[}}[3.000000e+00, 4.000000e+00]], {{\[}}[5.000000e+00, 6.000000e+00]]]> : tensor<2x1x2xf32>
  // CHECK: return %[[PAIRS]], %[[ROWS]], %[[BATCHED]]
  %m = r1.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %q = r1.constant dense<[[1, -1], [0, 0]]> : tensor<2x2xi64>
  %0 = r1.gather_nd %m, %q {batch_dims = 0 : i64} : (tensor<2x3xi64>, tensor<2x2xi64>) -> tensor<2xi64>
  %f = r1.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %r = r1.constant dense<[[1], [-2]]> : tensor<2x1xi32>
  %1 = r1.gather_nd %f, %r {batch_dims = 0 : i64} : (tensor<2x2xf32>, tensor<2x1xi32>) -> tensor<2x2xf32>
  // Batch 0 picks its row 1, batch 1 its row 0.
  %g = r1.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %s = r1.constant dense<[[[1]], [[0]]]> : tensor<2x1x1xi64>
  %2 = r1.gather_nd %g, %s {batch_dims = 1 : i64} : (tensor<2x2x2xf32>, tensor<2x1x1xi64>) -> tensor<2x1x2xf32>
  return %0, %1, %2 : tensor<2xi64>, tensor<2x2xf32>, tensor<2x1x2xf32>
}

// A row of a 2-D constant is not its flattened elements: the gathered shape
// [3, 4] must type the reshape, not the element at flat index 1.
// CHECK-LABEL: func @gather_rows_of_matrix
// CHECK-SAME: (%[[X:.*]]: tensor<12xf32>)
func.func @gather_rows_of_matrix(%x: tensor<12xf32>) -> tensor<3x4xf32> {
  // CHECK: %[[R:.*]] = r1.reshape %[[X]], %{{.*}} {allowzero = false} : (tensor<12xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  // CHECK: return %[[R]]
  %d = r1.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %i = r1.constant dense<1> : tensor<i64>
  %g = r1.gather %d, %i {axis = 0 : i64} : (tensor<2x2xi64>, tensor<i64>) -> tensor<2xi64>
  %0 = r1.reshape %x, %g {allowzero = false} : (tensor<12xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

//===----------------------------------------------------------------------===//
// constant_of_shape, range
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @constant_of_shape
// CHECK-SAME: (%[[X:.*]]: tensor<?x128xf32>)
func.func @constant_of_shape(%x: tensor<?x128xf32>) -> (tensor<2x3xf32>, tensor<4xi1>, tensor<?x128xi64>) {
  // CHECK-DAG: %[[HALF:.*]] = r1.constant dense<5.000000e-01> : tensor<2x3xf32>
  // CHECK-DAG: %[[TRUE:.*]] = r1.constant dense<true> : tensor<4xi1>
  // CHECK-DAG: %[[SHAPE:.*]] = r1.shape %[[X]]
  // CHECK-DAG: %[[DYN:.*]] = r1.constant_of_shape %[[SHAPE]] {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x128xi64>
  // CHECK: return %[[HALF]], %[[TRUE]], %[[DYN]]
  %s = r1.constant dense<[2, 3]> : tensor<2xi64>
  %0 = r1.constant_of_shape %s {value = dense<0.5> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<2x3xf32>
  %n = r1.constant dense<4> : tensor<1xi64>
  %1 = r1.constant_of_shape %n {value = dense<true> : tensor<1xi1>} : (tensor<1xi64>) -> tensor<4xi1>
  %shape = r1.shape %x {start = 0 : i64, end = 2 : i64} : (tensor<?x128xf32>) -> tensor<2xi64>
  %2 = r1.constant_of_shape %shape {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x128xi64>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<4xi1>, tensor<?x128xi64>
}

// CHECK-LABEL: func @range
// CHECK-SAME: (%[[N:.*]]: tensor<i64>)
func.func @range(%n: tensor<i64>) -> (tensor<4xi64>, tensor<3xi32>, tensor<0xi64>, tensor<?xi64>, tensor<?xf32>) {
  // CHECK-DAG: %[[UP:.*]] = r1.constant dense<[0, 3, 6, 9]> : tensor<4xi64>
  // CHECK-DAG: %[[DOWN:.*]] = r1.constant dense<[5, 3, 1]> : tensor<3xi32>
  // CHECK-DAG: %[[EMPTY:.*]] = r1.constant dense<> : tensor<0xi64>
  // CHECK-DAG: %[[DYN:.*]] = r1.range %{{.*}}, %[[N]], %{{.*}} : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  // CHECK-DAG: %[[FLOAT:.*]] = r1.range %{{.*}} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  // CHECK: return %[[UP]], %[[DOWN]], %[[EMPTY]], %[[DYN]], %[[FLOAT]]
  %zero = r1.constant dense<0> : tensor<i64>
  %ten = r1.constant dense<10> : tensor<i64>
  %three = r1.constant dense<3> : tensor<i64>
  %0 = r1.range %zero, %ten, %three : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
  %five = r1.constant dense<5> : tensor<i32>
  %nil = r1.constant dense<0> : tensor<i32>
  %minus2 = r1.constant dense<-2> : tensor<i32>
  %1 = r1.range %five, %nil, %minus2 : (tensor<i32>, tensor<i32>, tensor<i32>) -> tensor<3xi32>
  %2 = r1.range %ten, %zero, %three : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<0xi64>
  %3 = r1.range %zero, %n, %three : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %f0 = r1.constant dense<0.0> : tensor<f32>
  %f1 = r1.constant dense<1.0> : tensor<f32>
  %fstep = r1.constant dense<0.25> : tensor<f32>
  %4 = r1.range %f0, %f1, %fstep : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  return %0, %1, %2, %3, %4 : tensor<4xi64>, tensor<3xi32>, tensor<0xi64>, tensor<?xi64>, tensor<?xf32>
}

//===----------------------------------------------------------------------===//
// A shape chain as exporters write it
//===----------------------------------------------------------------------===//

// Shape -> Gather -> Mul -> Unsqueeze -> Concat, around a dynamic batch: the
// static dims fold to constants, the batch stays a gather of the shape.
// CHECK-LABEL: func @shape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<?x128x12x64xf32>)
func.func @shape_chain(%x: tensor<?x128x12x64xf32>) -> tensor<3xi64> {
  // CHECK-DAG: %[[SEQ:.*]] = r1.constant dense<128> : tensor<1xi64>
  // CHECK-DAG: %[[HD:.*]] = r1.constant dense<768> : tensor<1xi64>
  // CHECK-DAG: %[[SHAPE:.*]] = r1.shape %[[X]] {end = 4 : i64, start = 0 : i64}
  // CHECK-DAG: %[[BATCH:.*]] = r1.gather %[[SHAPE]], %{{.*}} {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  // CHECK-NOT: r1.mul
  // CHECK-NOT: r1.unsqueeze
  // CHECK: %[[NEW:.*]] = r1.concat %[[BATCH]], %[[SEQ]], %[[HD]] {axis = 0 : i64}
  // CHECK-NEXT: return %[[NEW]]
  %s = r1.shape %x {start = 0 : i64, end = 4 : i64} : (tensor<?x128x12x64xf32>) -> tensor<4xi64>
  %i0 = r1.constant dense<0> : tensor<1xi64>
  %i1 = r1.constant dense<1> : tensor<i64>
  %i2 = r1.constant dense<2> : tensor<i64>
  %i3 = r1.constant dense<3> : tensor<i64>
  %b = r1.gather %s, %i0 {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %seq = r1.gather %s, %i1 {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %h = r1.gather %s, %i2 {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %d = r1.gather %s, %i3 {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %hd = r1.mul %h, %d : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %seq1 = r1.unsqueeze %seq {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %hd1 = r1.unsqueeze %hd {axes = array<i64: 0>} : (tensor<i64>) -> tensor<1xi64>
  %0 = r1.concat %b, %seq1, %hd1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  return %0 : tensor<3xi64>
}
