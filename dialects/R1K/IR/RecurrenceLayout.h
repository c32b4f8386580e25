//===- RecurrenceLayout.h - Where a recurrence keeps its state --*- C++ -*-===//
//
// Host and GPU code run an r1.recurrence with its state in the kernel's
// arena scratch, laid out alike on both, so the memory plan sizes it once.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_DIALECTS_R1K_IR_RECURRENCELAYOUT_H
#define R1C_DIALECTS_R1K_IR_RECURRENCELAYOUT_H

#include "dialects/R1/IR/R1Ops.h"

namespace mlir::r1k {

/// The scratch of an r1.recurrence, in elements of its compute type (f32,
/// or f64 for an f64 op): one record per (direction, batch entry), entry
/// e = d * batch + b, each the hidden state h, the cell state c (LSTM),
/// the gates' pre-activations (gates * hidden) and, for GRU applying the
/// reset gate before its product, r * h. Records are whole 64-byte lines
/// so that threads running different entries never share one.
struct RecurrenceLayout {
  int64_t directions = 0, batch = 0, hidden = 0, gates = 0, elementBytes = 4;
  int64_t entries() const { return directions * batch; }
  /// Elements of one record, rounded up to whole 64-byte lines.
  int64_t recordElements() const;
  int64_t recordAt(int64_t entry) const { return entry * recordElements(); }
  // Offsets within a record.
  int64_t hAt() const { return 0; }
  int64_t cAt() const { return hidden; }
  int64_t gatesAt() const { return 2 * hidden; }
  int64_t resetHAt() const { return (2 + gates) * hidden; }
  int64_t bytes() const { return entries() * recordElements() * elementBytes; }
};

/// The layout of `op`, whose operand shapes must be static.
RecurrenceLayout getRecurrenceLayout(r1::RecurrenceOp op);

} // namespace mlir::r1k

#endif // R1C_DIALECTS_R1K_IR_RECURRENCELAYOUT_H
