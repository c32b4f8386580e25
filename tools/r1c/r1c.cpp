//===- r1c.cpp - The r1c command: ONNX model in, compiled IR out ----------===//
#include "compiler/driver/CompilerDriver.h"
#include "compiler/driver/Tiers.h"

#include <CLI/CLI.hpp>

#include <map>

int main(int argc, char **argv) {
  CLI::App app{"r1c: ahead-of-time compiler for ONNX models.\n\n"
               "Reads MODEL.onnx (and its external-data files), imports every node, "
               "legalizes it into the r1 graph dialect and writes the result.\n"
               "Errors name the ONNX node, its op type and opset, and exit with status 1.",
               "r1c"};
  app.set_version_flag("--version", r1c::getVersionString());
  app.get_formatter()->column_width(34);

  r1c::CompilerOptions options;
  bool listOps = false;
  std::string phase = "graph";
  std::string emit = "mlir";

  app.add_option("model", options.inputPath,
                 "The ONNX model to compile (.onnx), or r1 IR as --compile-to writes it (.mlir)");
  app.add_option("-o,--output", options.outputPath,
                 "Where to write the result; '-' is stdout")
      ->default_str("-");
  std::string phaseHelp = "Stop after this phase and write its IR:\n"
                          "  import  one r1.onnx_node per ONNX node, as in the file\n"
                          "  graph   typed r1 ops, shapes inferred, constants folded\n"
                          "  kernel  r1k.kernel ops: an anchor with its fused elementwise body\n"
                          "  plan    kernels with the arena offset of every result\n"
                          "(not with --target, which compiles on to code)";
  app.add_option("--compile-to", phase, phaseHelp)
      ->check(CLI::IsMember({"import", "graph", "kernel", "plan"}))
      ->default_str("graph");
  app.add_option("--emit", emit,
                 "Output format:\n"
                 "  mlir    MLIR text; weights as dense_resource blobs at the end\n"
                 "  mlirbc  MLIR bytecode, compact; r1c-opt reads both\n"
                 "  obj     with --target: the artifact OUT.r1, and with host also\n"
                 "          OUT.o and OUT.h (the default there)\n"
                 "  llvm    with --target=host: the optimized LLVM IR\n"
                 "  kernels with GPU targets: into the directory -o names, each\n"
                 "          kernel's .cu/.hip source, its cubin and PTX per sm_XX,\n"
                 "          its code object per gfxXXX")
      ->check(CLI::IsMember({"mlir", "mlirbc", "obj", "llvm", "kernels"}))
      ->default_str("mlir");
  app.add_option("--target", options.target,
                 "Generate code for these targets (a comma list) instead of\n"
                 "printing IR:\n"
                 "  host    x86-64; OUT.r1 gets the host code, and OUT.o (model code\n"
                 "          and weights) and OUT.h (its C entry point) are written too\n"
                 "  sm_80, sm_86, sm_89, sm_90  NVIDIA GPUs, CUDA C++ through NVRTC:\n"
                 "          a cubin per architecture, and PTX in the newest\n"
                 "  sm_90a      H100/H200 with wgmma (f16/bf16 matmuls), opt-in:\n"
                 "          its cubin runs on sm_90 GPUs only, which prefer it\n"
                 "  gfx90a, gfx942              AMD GPUs, HIP C++ through hipRTC (for\n"
                 "          gfx942 with hipRTC before HIP 5.7: its front end, then\n"
                 "          r1c's own LLVM back end)\n"
                 "One artifact OUT.r1 (for -o OUT) holds every target; the runtime\n"
                 "runs it on the GPU it finds, else on the host. GPU kernels compile\n"
                 "in-process (--stats counts them); --emit=kernels -o DIR writes\n"
                 "them for reading instead");
  app.add_option("--cpu", options.cpu,
                 "Host ISA: auto (default: x86-64-v3 and x86-64-v4 code in one\n"
                 "artifact, and x86-64-v4-dl code too for models with bf16\n"
                 "matmuls or convolutions, or int8 ones with constant weights;\n"
                 "it runs the best code the CPU has;\n"
                 "R1C_MAX_CPU_ISA=x86-64-v3 or x86-64-v4 holds it there),\n"
                 "x86-64-v3 (AVX2 only: a smaller artifact), x86-64-v4 (AVX-512\n"
                 "only), x86-64-v4-dl (AVX-512 with AVX512-BF16 and VNNI only)\n"
                 "or native (this CPU exactly)")
      ->check(CLI::IsMember({"auto", "native", "x86-64-v3", "x86-64-v4", "x86-64-v4-dl"}))
      ->default_str("auto");
  app.add_option("--variant-log", options.variantLog,
                 "Write every kernel variant r1c-select-variants scored, with its\n"
                 "estimated cycles and why it lost, to FILE ('-': stderr). The\n"
                 "choices themselves are in the IR from --compile-to=kernel on")
      ->type_name("FILE");
  app.add_flag("--tune", options.tune,
               "With --target=host: time the best few variants of each distinct\n"
               "matmul and convolution on this machine (one thread) and keep the\n"
               "fastest, recorded in the tuning database (--tuning-db, default\n"
               "OUT.tuning). Problems already recorded are not timed again");
  app.add_option("--tuning-db", options.tuningDb,
                 "A tuning database (text, one measured variant a line): its\n"
                 "variants win over the cost model's; with --tune, new measurements\n"
                 "are merged into it. The same model and database always give the\n"
                 "same artifact")
      ->type_name("FILE");
  app.add_flag("--tf32", options.allowTf32,
               "On NVIDIA targets, f32 MatMul, Gemm and Conv may round their\n"
               "inputs to TF32 (a 10-bit mantissa, about 3 decimal digits) to run\n"
               "on tensor cores, accumulating in f32. Without it they run in full\n"
               "f32 (FFMA). AMD targets have no TF32 and ignore it");
  app.add_option("--sparse-attention", options.sparseAttention,
                 "Attention the compiler fused (r1.attention) computes:\n"
                 "  dense   every key for every query (default)\n"
                 "  gated[:block=64,keep=0.25,threshold=0.05,window=1,global=1,rest=mean]\n"
                 "          per block of `block` queries, a gate scores the key blocks and\n"
                 "          computes the first `global`, those within `window` of the query\n"
                 "          block's own, every block some query is estimated to give at\n"
                 "          least `threshold` of its weight, and the best by mean query .\n"
                 "          mean key up to ceil(keep x blocks) in all. The rest are\n"
                 "          estimated by their mean key and value (rest=mean) or left out\n"
                 "          (rest=drop, no threshold). threshold=0 computes exactly keep.\n"
                 "          Faster on long sequences, approximate (docs/attention.md);\n"
                 "          --stats counts the blocks")
      ->type_name("POLICY");
  app.add_option("--precision", options.precision,
                 "The number format matmuls and convolutions compute in:\n"
                 "  fp32  as the model says (default)\n"
                 "  bf16  products of bf16 operands, summed in f32: AVX512-BF16 dot\n"
                 "        products on CPUs that have them, tensor cores / MFMA on GPUs;\n"
                 "        weights converted when compiling\n"
                 "  fp16  the same with f16 operands (the GPUs' fast format; on the host\n"
                 "        it converts to f32); an op whose weight or calibrated activation\n"
                 "        passes f16's range stays f32\n"
                 "  int8  8-bit integer products summed exactly in i32 (VNNI dot products\n"
                 "        where the CPU has them): activations per tensor over the ranges\n"
                 "        calibration measures (--calibration; random sets without it),\n"
                 "        weights per output channel, symmetric; host targets only\n"
                 "  auto  per op, the cheapest of int8, bf16 (on CPUs with AVX512-BF16)\n"
                 "        and fp32 that keeps the outputs within --accuracy-budget of fp32,\n"
                 "        measured on the calibration sets and verified on held-out ones\n"
                 "Softmax, normalizations, reductions and elementwise ops stay f32.\n"
                 "--compile-to=graph shows each op's r1.precision (docs/precision.md)")
      ->type_name("FORMAT");
  app.add_option("--int8-smoothing", options.int8Smoothing,
                 "With --precision=int8 or auto: alpha of matmul smoothing, in [0, 1]\n"
                 "(default 0.75; 0 turns it off). Calibration measures each matmul\n"
                 "activation's channels (last dim); where one channel is 8 times the\n"
                 "median channel or more, channel c is divided by\n"
                 "s_c = a_c^alpha / w_c^(1 - alpha) (a_c its largest |x|, w_c the\n"
                 "largest |W| in weight row c) and weight row c multiplied by it, so\n"
                 "that a few outlier channels no longer set the activation's\n"
                 "per-tensor int8 range (docs/precision.md#int8)")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str("0.75")
      ->type_name("ALPHA");
  app.add_option("--int8-bias-correction", options.int8BiasCorrection,
                 "With --precision=int8 or auto: take off the shift that rounding the\n"
                 "weights to 8 bits gives each output channel's mean, sum_k (W_q - W)[k, n]\n"
                 "times the mean of activation channel k, which calibration measures\n"
                 "(default true; false keeps the plain rounding; docs/precision.md#int8)")
      ->default_str("true")
      ->type_name("BOOL");
  app.add_option("--accuracy-budget", options.accuracyBudget,
                 "With --precision=auto: how far from fp32 the outputs may go:\n"
                 "  E        relative error ||y - y_fp32|| / ||y_fp32|| of every output\n"
                 "           on every set at most E (default 0.01)\n"
                 "  top1:A   for a classifier: the arg max of the first output's last\n"
                 "           dim agrees with fp32's on at least a share A of its rows")
      ->type_name("BUDGET");
  app.add_option("--precision-report", options.precisionReport,
                 "With --precision=auto: write what it measured and chose to FILE (JSON)\n"
                 "and FILE.txt (a table): per op, each format's error alone and the\n"
                 "one chosen; per format, the first op whose output is 5% from fp32's\n"
                 "with every op in that format")
      ->type_name("FILE");
  app.add_option("--calibration", options.calibrationDir,
                 "Measure the range of every non-constant f32 operand of each\n"
                 "matmul and convolution by running the f32 model (compiled for this\n"
                 "CPU) on the input sets in DIR: one subfolder per set, holding\n"
                 "input_0.pb, input_1.pb, ... (TensorProto, in input order, as ONNX\n"
                 "test data) or NAME.npy per input. The ranges are written as\n"
                 "r1.operand_ranges on the graph's ops (--compile-to=graph shows\n"
                 "them). Without DIR, formats that need ranges draw random sets\n"
                 "(--calibration-samples; docs/precision.md#calibration)")
      ->type_name("DIR");
  app.add_option("--calibration-method", options.calibrationMethod,
                 "How measured values become a range:\n"
                 "  minmax      the smallest and largest value (default)\n"
                 "  percentile  [min, max] clipped to [-t, t], t the 99.99th\n"
                 "              percentile of |x| (upper edge of its bin in a\n"
                 "              2048-bin histogram over [0, max |x|])\n"
                 "  entropy     clipped at the t whose 128-level quantization of the\n"
                 "              |x| histogram has the least KL divergence from it")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy"}))
      ->default_str("minmax");
  app.add_option("--calibration-samples", options.calibrationSamples,
                 "Without --calibration DIR: how many random input sets to measure on\n"
                 "(fixed seed): floats standard normal, token ids uniform over their\n"
                 "embedding's rows, other integer inputs ones (a mask), or zeros when\n"
                 "their name says type or segment. Symbolic dims take their first\n"
                 "--dim size, else 8. Given alone, calibrates on them")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20))
      ->default_str("8");
  bool unfusedAttention = false;
  app.add_flag("--unfused-attention", unfusedAttention,
               "Keep attention as the graph spells it (matmul, softmax, matmul,\n"
               "with the scores in memory) instead of one fused kernel; to compare\n"
               "with, never faster");
  std::string weights = "embedded";
  app.add_option("--weights", weights,
                 "With --target, where the weights go:\n"
                 "  embedded  inside the host code (OUT.o and OUT.r1); with GPU targets,\n"
                 "            in OUT.r1's WEIGHTS section, which host and GPU code share\n"
                 "  external  in OUT.safetensors beside OUT.r1, which records its size\n"
                 "            and CRC-32 for the runtime to check; OUT.r1 and OUT.o keep\n"
                 "            only code. Host and GPU code read the one file; with GPU\n"
                 "            targets each weight starts on a 64-byte boundary, the gaps\n"
                 "            filled by U8 tensors named __r1c_padding_OFFSET. With --tiers,\n"
                 "            every tier reads the one file, a tensor tiers hold alike once")
      ->check(CLI::IsMember({"embedded", "external"}))
      ->default_str("embedded");
  app.add_option("--dim", options.dimSizes,
                 "Sizes for a symbolic input dim, by its name in the model:\n"
                 "  --dim batch=1,8  one entry point (shape bucket) per size, and per\n"
                 "                   combination with other --dim options; the runtime\n"
                 "                   picks the bucket that fits each request\n"
                 "Symbolic dims not given here get sizes 1,2,4,8. A dim the model\n"
                 "leaves unnamed (\"?\", -1, no dim_param) is named INPUT.AXIS, e.g.\n"
                 "--dim input_ids.1=128. With --compile-to, one size per dim prints\n"
                 "the IR specialized to it. Repeatable.")
      ->type_name("NAME=SIZE[,SIZE...]")
      ->allow_extra_args(false);
  app.add_flag("--debug-locations", options.printLocations,
               "Print each op's location (ONNX node name and file)");
  app.add_flag("--elide-weights", options.elideWeights,
               "Print weights as __elided__: readable, but not parseable again");
  app.add_flag("--timing", options.timing, "Print the time each pass took to stderr");
  app.add_flag("--stats", options.stats,
               "Print what the compiled model holds to stderr: weights, kernels by\n"
               "anchor, arena bytes (from the plan phase on)");
  r1c::TierOptions tiers;
  std::vector<std::string> tierEntries;
  app.add_option("--tiers", tierEntries,
                 "One artifact of tiers (with --target and -o OUT), cheapest first,\n"
                 "which the runtime's allocator picks from per request:\n"
                 "  A.onnx,B.onnx  several models (no MODEL), which must take the\n"
                 "                 same inputs and give the same outputs\n"
                 "  bf16,fp32      MODEL at each --precision (fp32, bf16, fp16);\n"
                 "                 weights the tiers hold alike are stored once")
      ->delimiter(',')
      ->type_name("A.onnx,B.onnx|P1,P2");
  app.add_option("--cascade", tiers.cascade,
                 "With --tiers: run the first tier, and escalate a request to the\n"
                 "next when a row of the scored output (class probabilities on its\n"
                 "last axis) has a top-1 probability (confidence:T) or a top-1 minus\n"
                 "top-2 margin (margin:T) below T")
      ->type_name("confidence:T|margin:T");
  app.add_option("--cascade-output", tiers.cascadeOutput,
                 "With --cascade: the output it scores, by name (default: the first)")
      ->type_name("NAME");
  bool noProgress = false;
  app.add_flag("--no-progress", noProgress, "Do not show progress on a terminal");
  app.add_flag("--list-ops", listOps,
               "Print the ONNX operators r1c supports and exit: the default domain's "
               "by name, then ai.onnx.ml's as ai.onnx.ml.NAME");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "error: " << e.what() << " (see r1c --help)\n";
    return 2;
  }
  if (listOps) {
    r1c::printSupportedOps();
    return 0;
  }
  if (!tierEntries.empty()) {
    if (!r1c::resolveTierEntries(tierEntries, options.inputPath, tiers))
      return 2;
    if (!tiers.precisions.empty() && app.count("--precision") > 0) {
      std::cerr << "error: --precision sets one precision, and --tiers gives each tier its own; "
                   "drop --precision\n";
      return 2;
    }
    if (options.target.empty()) {
      std::cerr << "error: --tiers compiles code: give --target (e.g. --target=host) and -o OUT\n";
      return 2;
    }
  } else if (!tiers.cascade.empty() || !tiers.cascadeOutput.empty()) {
    std::cerr << "error: --cascade and --cascade-output go with --tiers\n";
    return 2;
  }
  if (options.inputPath.empty() && tierEntries.empty()) {
    std::cerr << "error: no model given (usage: r1c MODEL.onnx [options]; see r1c --help)\n";
    return 2;
  }
  options.phase = *r1c::parseCompilePhase(phase);
  options.fuseAttention = !unfusedAttention;
  options.calibrate = app.count("--calibration") + app.count("--calibration-method") +
                          app.count("--calibration-samples") >
                      0;
  if (options.precision != "fp32" && options.precision != "bf16" && options.precision != "fp16" &&
      options.precision != "int8" && options.precision != "auto") {
    std::cerr << "error: --precision=" << options.precision
              << ": unknown format (expected fp32, bf16, fp16, int8 or auto)\n";
    return 2;
  }
  if (options.precision != "auto" &&
      (app.count("--accuracy-budget") > 0 || app.count("--precision-report") > 0)) {
    std::cerr << "error: --accuracy-budget and --precision-report go with --precision=auto\n";
    return 2;
  }
  // --target compiles past every IR phase; a phase asked for with it would
  // be silently ignored.
  if (app.count("--compile-to") > 0 && !options.target.empty()) {
    std::cerr << "error: --compile-to writes the IR of one phase, and --target compiles on to "
                 "code; give one of them (the IR shows each target's variant choices from "
                 "--compile-to=kernel on)\n";
    return 2;
  }
  bool emitGiven = app.count("--emit") > 0;
  if (emit == "mlirbc")
    options.emit = r1c::EmitFormat::MlirBytecode;
  else if (emit == "llvm")
    options.emit = r1c::EmitFormat::Llvm;
  else if (emit == "kernels")
    options.emit = r1c::EmitFormat::Kernels;
  else if (emit == "obj" || (!options.target.empty() && !emitGiven))
    options.emit = r1c::EmitFormat::Object;
  bool codeOnly = options.emit == r1c::EmitFormat::Llvm ||
                  options.emit == r1c::EmitFormat::Object ||
                  options.emit == r1c::EmitFormat::Kernels;
  if (codeOnly != !options.target.empty()) {
    std::cerr << "error: --emit=obj, --emit=llvm and --emit=kernels go with --target, and "
                 "--target with them (see r1c --help)\n";
    return 2;
  }
  if (weights == "external" && options.target.empty()) {
    std::cerr << "error: --weights=external goes with --target: it moves the compiled "
                 "code's weights to a side file (see r1c --help)\n";
    return 2;
  }
  options.weights =
      weights == "external" ? r1c::WeightStorage::External : r1c::WeightStorage::Embedded;
  options.progress = !noProgress;
  if (!tierEntries.empty())
    return r1c::runTieredCompiler(options, tiers);
  return r1c::runCompiler(options);
}
