//===- RecurrenceAnchors.cpp - Host code for recurrence -------------------===//
//
// An r1.recurrence runs its whole time loop in one kernel. Entries
// (direction, batch entry) are independent, so the outermost loop walks
// them and splits into tasks; each entry keeps its state in its record of
// the kernel's scratch (r1k::RecurrenceLayout) and walks its steps in
// order. A step is the product h x R^T, gates * hidden dot products of h
// with R's rows (read in order, the sums in vector lanes), then the gates
// elementwise. Sums and state are in the compute type (f32 for
// the 16-bit floats), rounded only where they reach Y, Y_h and Y_c.
// The GPU runs the same steps (codegen/gpu/RecurrencePrinter.cpp).
//
//===----------------------------------------------------------------------===//
#include "codegen/host/Anchors.h"
#include "codegen/host/FloatApproximations.h"
#include "codegen/host/ScalarOps.h"
#include "dialects/R1/IR/R1Ops.h"
#include "dialects/R1K/IR/RecurrenceLayout.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/IR/Intrinsics.h"

using namespace mlir;
using namespace mlir::r1;

namespace r1c {
namespace {

/// inputs, recurrence, initial_h, initial_c, sequence_lens, peepholes,
/// reset_bias.
constexpr unsigned kDeclaredOperands = 7;

/// Rows of R whose dot products with h one pass of the product computes.
constexpr int64_t kRowsPerPass = 4;

class RecurrenceEmitter {
public:
  RecurrenceEmitter(KernelBuilder &kb, RecurrenceOp op, ArrayRef<llvm::Value *> inputs,
                    ArrayRef<llvm::Value *> outputs)
      : kb(kb), b(kb.b), op(op), layout(r1k::getRecurrenceLayout(op)), inputs(inputs),
        outputs(outputs), element(getElementTypeOrSelf(op.getInputs().getType())),
        compute(getComputeType(element)),
        seq(cast<RankedTensorType>(op.getInputs().getType()).getDimSize(0)), hidden(layout.hidden),
        width(layout.gates * layout.hidden) {}

  void emit() {
    int64_t batch = layout.batch;
    kb.loop(layout.entries(), [&](llvm::Value *entry) {
      direction = b.CreateUDiv(entry, kb.i64(batch));
      batchIndex = b.CreateURem(entry, kb.i64(batch));
      record = b.CreateMul(entry, kb.i64(layout.recordElements()));
      stateRow = b.CreateMul(entry, kb.i64(hidden));
      if (op.getNumDirections() == 1)
        return emitEntry(0);
      // Each direction has its own activations and walking order, fixed
      // when the code is emitted.
      kb.ifElse(
          b.CreateICmpEQ(direction, kb.i64(0)), [&] { emitEntry(0); }, [&] { emitEntry(1); });
    });
  }

private:
  KernelBuilder &kb;
  llvm::IRBuilder<> &b;
  RecurrenceOp op;
  r1k::RecurrenceLayout layout;
  ArrayRef<llvm::Value *> inputs, outputs;
  Type element, compute;
  int64_t seq, hidden, width;
  // Of the entry being emitted.
  llvm::Value *direction = nullptr, *batchIndex = nullptr, *record = nullptr, *stateRow = nullptr;

  llvm::Value *constant(double value) { return kb.constant(compute, value); }
  llvm::Value *scratchAt(int64_t offset, llvm::Value *index) {
    return b.CreateAdd(record, b.CreateAdd(kb.i64(offset), index));
  }
  llvm::Value *loadScratch(int64_t offset, llvm::Value *index) {
    return kb.load(kb.scratch, scratchAt(offset, index), compute);
  }
  void storeScratch(llvm::Value *value, int64_t offset, llvm::Value *index) {
    kb.store(value, kb.scratch, scratchAt(offset, index), compute);
  }
  llvm::Value *max(llvm::Value *x, llvm::Value *y) {
    return b.CreateIntrinsic(llvm::Intrinsic::maximum, {x->getType()}, {x, y});
  }
  llvm::Value *min(llvm::Value *x, llvm::Value *y) {
    return b.CreateIntrinsic(llvm::Intrinsic::minimum, {x->getType()}, {x, y});
  }

  /// Activation `index` of direction `d` applied to `x`, whose input is
  /// clipped first unless `clip` is false (LSTM's h(c)).
  llvm::Value *activate(int64_t d, int64_t index, llvm::Value *x, bool clip = true) {
    int64_t at = d * op.getActivationsPerDirection() + index;
    if (clip && op.getClipAttr())
      x = max(constant(-op.getClipAttr().getValueAsDouble()),
              min(constant(op.getClipAttr().getValueAsDouble()), x));
    auto kind = cast<RecurrentActivationAttr>(op.getActivations()[at]).getValue();
    llvm::Value *alpha = constant(op.getActivationAlpha()[at]);
    llvm::Value *beta = constant(op.getActivationBeta()[at]);
    llvm::Value *zero = constant(0), *one = constant(1);
    auto negative = [&] { return b.CreateFCmpOLT(x, zero); };
    switch (kind) {
    case RecurrentActivation::relu:
      return b.CreateSelect(negative(), zero, x);
    case RecurrentActivation::tanh:
      return emitTanh(b, x);
    case RecurrentActivation::sigmoid:
      return b.CreateFDiv(one, b.CreateFAdd(one, emitExp(b, b.CreateFNeg(x))));
    case RecurrentActivation::affine:
      return b.CreateFAdd(b.CreateFMul(x, alpha), beta);
    case RecurrentActivation::leaky_relu:
      return b.CreateSelect(negative(), b.CreateFMul(x, alpha), x);
    case RecurrentActivation::thresholded_relu:
      return b.CreateSelect(b.CreateFCmpOGT(x, alpha), x, zero);
    case RecurrentActivation::scaled_tanh:
      return b.CreateFMul(alpha, emitTanh(b, b.CreateFMul(x, beta)));
    case RecurrentActivation::hard_sigmoid:
      return max(zero, min(one, b.CreateFAdd(b.CreateFMul(x, alpha), beta)));
    case RecurrentActivation::elu:
      return b.CreateSelect(negative(), b.CreateFMul(alpha, b.CreateFSub(emitExp(b, x), one)), x);
    case RecurrentActivation::softsign:
      return b.CreateFDiv(
          x, b.CreateFAdd(one, b.CreateIntrinsic(llvm::Intrinsic::fabs, {x->getType()}, {x})));
    case RecurrentActivation::softplus:
      return b.CreateIntrinsic(llvm::Intrinsic::log, {x->getType()},
                               {b.CreateFAdd(one, emitExp(b, x))});
    }
    llvm_unreachable("every activation handled");
  }

  /// sums[first + j] = sum over k of source[k] * R[d][first + j][k], for
  /// j < rows; `source` is the record's h or r * h. Each sum walks one row
  /// of R front to back, so the whole product reads R once, in order, and
  /// may reassociate, which lets LLVM keep it in vector lanes (its order is
  /// still fixed by the code, whatever the thread count). Rows go
  /// kRowsPerPass at a time: their sums are independent chains of FMAs
  /// where one row's sum alone waits on each FMA's latency, and they share
  /// the loads of `source`.
  void recurrentProduct(int64_t d, int64_t source, int64_t first, int64_t rows) {
    Type weightType = getElementTypeOrSelf(op.getRecurrence().getType());
    llvm::Type *computeType = getScalarType(b.getContext(), compute);
    auto pass = [&](llvm::Value *firstRow, int64_t count) {
      SmallVector<llvm::Value *> sums, rowStarts;
      for (int64_t i = 0; i < count; ++i) {
        sums.push_back(kb.accumulator(compute));
        b.CreateStore(constant(0), sums.back());
        llvm::Value *row = b.CreateAdd(firstRow, kb.i64(i));
        rowStarts.push_back(
            b.CreateMul(b.CreateAdd(kb.i64(d * width + first), row), kb.i64(hidden)));
      }
      kb.loop(hidden, [&](llvm::Value *k) {
        llvm::Value *factor = loadScratch(source, k);
        for (int64_t i = 0; i < count; ++i) {
          llvm::Value *weight =
              kb.loadComputed(inputs[1], b.CreateAdd(rowStarts[i], k), weightType);
          llvm::Value *product = b.CreateFMul(factor, weight);
          llvm::Value *total = b.CreateFAdd(b.CreateLoad(computeType, sums[i]), product);
          for (llvm::Value *value : {product, total}) {
            auto *instruction = llvm::cast<llvm::Instruction>(value);
            instruction->setHasAllowContract(true);
            instruction->setHasAllowReassoc(true);
          }
          b.CreateStore(total, sums[i]);
        }
      });
      for (int64_t i = 0; i < count; ++i)
        storeScratch(b.CreateLoad(computeType, sums[i]), layout.gatesAt() + first,
                     b.CreateAdd(firstRow, kb.i64(i)));
    };
    int64_t passes = rows / kRowsPerPass;
    kb.loop(passes,
            [&](llvm::Value *p) { pass(b.CreateMul(p, kb.i64(kRowsPerPass)), kRowsPerPass); });
    if (int64_t rest = rows % kRowsPerPass)
      pass(kb.i64(passes * kRowsPerPass), rest);
  }

  /// The input projection of gate `gate` at hidden unit j for time `time`.
  llvm::Value *projected(int64_t d, llvm::Value *time, int64_t gate, llvm::Value *j) {
    llvm::Value *row = b.CreateAdd(b.CreateMul(time, kb.i64(layout.batch)), batchIndex);
    llvm::Value *at = b.CreateAdd(b.CreateMul(row, kb.i64(op.getNumDirections() * width)),
                                  kb.i64(d * width + gate * hidden));
    return kb.loadComputed(inputs[0], b.CreateAdd(at, j), element);
  }
  /// Gate `gate`'s pre-activation at j: its projection plus its recurrent sum.
  llvm::Value *preActivation(int64_t d, llvm::Value *time, int64_t gate, llvm::Value *j) {
    return b.CreateFAdd(projected(d, time, gate, j),
                        loadScratch(layout.gatesAt() + gate * hidden, j));
  }
  /// An element of an optional per-direction vector operand ([dirs, n]).
  llvm::Value *perDirection(unsigned operand, int64_t d, int64_t n, int64_t offset,
                            llvm::Value *j) {
    return kb.loadComputed(inputs[operand], b.CreateAdd(kb.i64(d * n + offset), j), element);
  }

  /// One step of direction d at `time`: the new h (and c) in the record,
  /// and h in Y's row `time`.
  void step(int64_t d, llvm::Value *time) {
    RecurrentCell cell = op.getCell();
    bool resetFirst = cell == RecurrentCell::gru && !op.getLinearBeforeReset();
    // GRU without linear_before_reset multiplies r * h, not h, by Rh.
    recurrentProduct(d, layout.hAt(), 0, resetFirst ? 2 * hidden : width);
    if (resetFirst) {
      kb.loop(hidden, [&](llvm::Value *j) {
        llvm::Value *reset = activate(d, 0, preActivation(d, time, 1, j));
        storeScratch(b.CreateFMul(reset, loadScratch(layout.hAt(), j)), layout.resetHAt(), j);
      });
      recurrentProduct(d, layout.resetHAt(), 2 * hidden, hidden);
    }
    llvm::Value *yRow =
        b.CreateMul(b.CreateAdd(b.CreateMul(time, kb.i64(op.getNumDirections() * layout.batch)),
                                b.CreateAdd(kb.i64(d * layout.batch), batchIndex)),
                    kb.i64(hidden));
    kb.loop(hidden, [&](llvm::Value *j) {
      llvm::Value *h = loadScratch(layout.hAt(), j), *next = nullptr;
      switch (cell) {
      case RecurrentCell::rnn:
        next = activate(d, 0, preActivation(d, time, 0, j));
        break;
      case RecurrentCell::gru: {
        llvm::Value *z = activate(d, 0, preActivation(d, time, 0, j));
        llvm::Value *candidate;
        if (resetFirst) {
          candidate = activate(d, 1, preActivation(d, time, 2, j));
        } else {
          llvm::Value *reset = activate(d, 0, preActivation(d, time, 1, j));
          llvm::Value *linear = loadScratch(layout.gatesAt() + 2 * hidden, j);
          if (op.getResetBias())
            linear = b.CreateFAdd(linear, perDirection(6, d, hidden, 0, j));
          candidate =
              activate(d, 1, b.CreateFAdd(projected(d, time, 2, j), b.CreateFMul(reset, linear)));
        }
        // h = (1 - z) * candidate + z * h
        next =
            b.CreateFAdd(b.CreateFMul(b.CreateFSub(constant(1), z), candidate), b.CreateFMul(z, h));
        break;
      }
      case RecurrentCell::lstm: {
        llvm::Value *c = loadScratch(layout.cAt(), j);
        // Gates i, o, f, c; peepholes i, o, f.
        llvm::Value *preI = preActivation(d, time, 0, j), *preO = preActivation(d, time, 1, j);
        llvm::Value *preF = preActivation(d, time, 2, j);
        bool peepholes = bool(op.getPeepholes());
        if (peepholes) {
          preI = b.CreateFAdd(preI, b.CreateFMul(perDirection(5, d, 3 * hidden, 0, j), c));
          preF = b.CreateFAdd(preF, b.CreateFMul(perDirection(5, d, 3 * hidden, 2 * hidden, j), c));
        }
        llvm::Value *i = activate(d, 0, preI);
        llvm::Value *f = op.getInputForget() ? b.CreateFSub(constant(1), i) : activate(d, 0, preF);
        llvm::Value *candidate = activate(d, 1, preActivation(d, time, 3, j));
        c = b.CreateFAdd(b.CreateFMul(f, c), b.CreateFMul(i, candidate));
        storeScratch(c, layout.cAt(), j);
        if (peepholes)
          preO = b.CreateFAdd(preO, b.CreateFMul(perDirection(5, d, 3 * hidden, hidden, j), c));
        next = b.CreateFMul(activate(d, 0, preO), activate(d, 2, c, /*clip=*/false));
        break;
      }
      }
      storeScratch(next, layout.hAt(), j);
      kb.storeComputed(next, outputs[0], b.CreateAdd(yRow, j), element);
    });
  }

  /// The whole time loop of one entry of direction d.
  void emitEntry(int64_t d) {
    bool lstm = op.getCell() == RecurrentCell::lstm;
    kb.loop(hidden, [&](llvm::Value *j) {
      llvm::Value *at = b.CreateAdd(stateRow, j);
      storeScratch(inputs[2] ? kb.loadComputed(inputs[2], at, element) : constant(0), layout.hAt(),
                   j);
      if (lstm)
        storeScratch(inputs[3] ? kb.loadComputed(inputs[3], at, element) : constant(0),
                     layout.cAt(), j);
    });
    bool reverse = op.getDirection() == RecurrentDirection::reverse || d == 1;
    llvm::Value *length = kb.i64(seq);
    if (Value lengths = op.getSequenceLens()) {
      // Clamped to the sequence, so no step reads outside it.
      llvm::Value *given = b.CreateSExtOrTrunc(
          kb.load(inputs[4], batchIndex, getElementTypeOrSelf(lengths.getType())), b.getInt64Ty());
      given = b.CreateSelect(b.CreateICmpSLT(given, kb.i64(0)), kb.i64(0), given);
      length = b.CreateSelect(b.CreateICmpSGT(given, length), length, given);
    }
    kb.loop(seq, [&](llvm::Value *s) {
      auto run = [&] {
        // Reverse walks an entry from its own last step.
        step(d, reverse ? b.CreateSub(b.CreateSub(length, kb.i64(1)), s) : s);
      };
      if (!op.getSequenceLens())
        return run();
      // Past its length an entry keeps its state; the times it never
      // visits are exactly those from its length on, and their rows are 0.
      kb.ifElse(b.CreateICmpSLT(s, length), run, [&] {
        llvm::Value *yRow =
            b.CreateMul(b.CreateAdd(b.CreateMul(s, kb.i64(op.getNumDirections() * layout.batch)),
                                    b.CreateAdd(kb.i64(d * layout.batch), batchIndex)),
                        kb.i64(hidden));
        kb.loop(hidden, [&](llvm::Value *j) {
          kb.storeComputed(constant(0), outputs[0], b.CreateAdd(yRow, j), element);
        });
      });
    });
    kb.loop(hidden, [&](llvm::Value *j) {
      llvm::Value *at = b.CreateAdd(stateRow, j);
      kb.storeComputed(loadScratch(layout.hAt(), j), outputs[1], at, element);
      if (lstm)
        kb.storeComputed(loadScratch(layout.cAt(), j), outputs[2], at, element);
    });
  }
};

} // namespace

LogicalResult emitRecurrence(KernelBuilder &kb, Operation *anchor, ArrayRef<llvm::Value *> inputs,
                             ArrayRef<llvm::Value *> outputs) {
  auto op = cast<RecurrenceOp>(anchor);
  if (!kb.scratch)
    return op.emitOpError("has no scratch for its state; the memory plan sizes it");
  // `inputs` holds the operands present; the emitter reads them by their
  // place in the op's declaration, null where absent.
  SmallVector<llvm::Value *> declared;
  for (unsigned i = 0, e = kDeclaredOperands; i < e; ++i) {
    auto [start, length] = op.getODSOperandIndexAndLength(i);
    declared.push_back(length ? inputs[start] : nullptr);
  }
  RecurrenceEmitter(kb, op, declared, outputs).emit();
  return success();
}

} // namespace r1c
