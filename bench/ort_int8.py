"""ONNX Runtime at int8, a peer of bench/host_vs_onnxruntime.py (--ort-int8): the fp32
model quantized statically by onnxruntime.quantization, built once and cached next to
the model, then timed like ORT at fp32.

Settings, ONNX Runtime's recommendation for x86-64 CPUs (its quantization guide): QDQ
format (QuantizeLinear/DequantizeLinear pairs around each quantizable op, which ORT
fuses into integer kernels when it loads the model); activations QUInt8 (asymmetric,
zero point from calibration); weights QInt8, symmetric, per channel (per output
channel of Conv and Gemm, per column of MatMul weights); MinMax calibration; no
reduce_range (7-bit weights only help CPUs without VNNI). A model below opset 13 is
converted to 13 first (per-channel DequantizeLinear needs it); then it goes through
quant_pre_process (shape inference and graph optimization, ORT's advised first step),
or on as it is where that fails.

Calibration reads the same kind of inputs the bench times: the case's own inputs and
random valid ones made the same way (ids inside the vocabulary, masks, images from a
standard normal) with other seeds; or, with --calibration-dir, ONNX test data sets
(DIR/test_data_set_N/input_K.pb, or DIR/MODEL/test_data_set_N/... for several models).
"""
import glob
import hashlib
import json
import os
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from host_peers import PeerFailed, one_line

SETTINGS = {"format": "QDQ", "activations": "QUInt8", "weights": "QInt8 symmetric",
            "per_channel": True, "calibration": "MinMax", "reduce_range": False,
            "pre_process": True, "min_opset": 13}


def read_test_data(folder, model):
    """Input sets from folder/test_data_set_N/input_K.pb, named by the tensor's name or
    else by the model's K-th input."""
    names = [i.name for i in model.graph.input
             if i.name not in {t.name for t in model.graph.initializer}]
    sets = []
    for set_dir in sorted(glob.glob(os.path.join(folder, "test_data_set_*"))):
        feeds = {}
        for k, path in enumerate(sorted(glob.glob(os.path.join(set_dir, "input_*.pb")),
                                        key=lambda p: int(p.rsplit("_", 1)[1][:-3]))):
            tensor = onnx.TensorProto()
            with open(path, "rb") as f:
                tensor.ParseFromString(f.read())
            feeds[tensor.name or names[k]] = numpy_helper.to_array(tensor)
        if feeds:
            sets.append(feeds)
    return sets


def calibration_sets(case, make_inputs, calibration_dir, count):
    """(input sets, a description of where they come from)."""
    model = onnx.load(case.path, load_external_data=False)
    if calibration_dir:
        for folder in (os.path.join(calibration_dir, case.name), calibration_dir):
            sets = read_test_data(folder, model)
            if sets:
                return sets, f"{len(sets)} test data sets in {folder}"
        raise PeerFailed(f"--calibration-dir {calibration_dir}: no test_data_set_N/input_K.pb "
                         f"there or under {case.name}/")
    sets = [case.feeds] + [make_inputs(model, np.random.default_rng(seed))
                           for seed in range(1, count)]
    return sets, f"{count} random valid input sets (seeds 0..{count - 1})"


class _Reader(CalibrationDataReader):
    """The calibration's input sets, one at a time, as quantize_static asks for them."""

    def __init__(self, sets):
        self._sets = iter(sets)

    def get_next(self):
        return next(self._sets, None)


def _fingerprint(path, source):
    h = hashlib.sha256(json.dumps([SETTINGS, source, ort.__version__]).encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def quantize(case, make_inputs, calibration_dir=None, count=8):
    """The int8 model of case (its path and whether it came from the cache): MODEL.ort-int8.onnx
    next to MODEL.onnx, rebuilt when the model, the calibration or the settings change
    (MODEL.ort-int8.json records them)."""
    base = os.path.splitext(case.path)[0]
    out, stamp = base + ".ort-int8.onnx", base + ".ort-int8.json"
    sets, source = calibration_sets(case, make_inputs, calibration_dir, count)
    key = _fingerprint(case.path, source)
    try:
        with open(stamp) as f:
            if json.load(f).get("key") == key and os.path.exists(out):
                return out, True
    except (OSError, ValueError):
        pass
    reader = _Reader(sets)
    source_model, pre_processed = case.path, True
    upgraded, prepared = base + ".ort-int8-opset13.onnx", base + ".ort-int8-pre.onnx"
    model = onnx.load(case.path, load_external_data=False)
    if any(o.domain in ("", "ai.onnx") and o.version < 13 for o in model.opset_import):
        # Per-channel DequantizeLinear (its axis) needs opset 13; quantize_static would
        # write it into the older opset all the same, a model ORT then refuses.
        onnx.save(onnx.version_converter.convert_version(onnx.load(case.path), 13), upgraded)
        source_model = upgraded
    try:
        quant_pre_process(source_model, prepared, skip_symbolic_shape=True)
        source_model = prepared
    except Exception:  # noqa: BLE001 - its shape inference fails on some graphs
        pre_processed = False
    try:
        quantize_static(source_model, out, reader, quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, reduce_range=False,
                        calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"WeightSymmetric": True, "ActivationSymmetric": False})
    except Exception as e:  # noqa: BLE001 - onnxruntime raises many kinds
        raise PeerFailed(f"quantize_static: {one_line(str(e))}") from e
    finally:
        for scratch in (upgraded, prepared):
            if os.path.exists(scratch):
                os.remove(scratch)
    with open(stamp, "w") as f:
        json.dump({"key": key, "settings": SETTINGS, "calibration": source,
                   "pre_processed": pre_processed, "onnxruntime": ort.__version__}, f, indent=1)
    return out, False


class OrtInt8:
    """ONNX Runtime's CPU provider on the statically quantized model. Its outputs are
    compared with ORT fp32's and reported, not held to the fp32 tolerance."""
    label = "ORT int8"
    norm_rtol = None

    def __init__(self, make_inputs, calibration_dir=None, count=8):
        self.make_inputs, self.calibration_dir, self.count = make_inputs, calibration_dir, count
        self.outputs, self.models = {}, {}

    def compile(self, case):
        """Returns (seconds, note): the quantization, or the cache hit."""
        start = time.monotonic()
        path, cached = quantize(case, self.make_inputs, self.calibration_dir, self.count)
        self.models[case.name] = path
        return time.monotonic() - start, " (cached)" if cached else ""

    def time(self, case, threads, runs):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(self.models[case.name], options,
                                           providers=["CPUExecutionProvider"])
            self.outputs.setdefault(case.name, session.run(None, case.feeds))
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                session.run(None, case.feeds)
                times.append((time.perf_counter() - start) * 1000)
        except Exception as e:  # noqa: BLE001
            raise PeerFailed(f"onnxruntime int8: {one_line(str(e))}") from e
        return statistics.median(times)
