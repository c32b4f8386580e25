#!/usr/bin/env python3
"""Checks r1c --weights=external by execution.

Compiles one model twice for the host, with embedded and with external
weights, runs both with r1c-run on the same random inputs and requires
identical outputs; the external object must have lost the weights' bytes.
Then it copies the external artifact and its side file to another folder
(the side file is found beside the artifact, wherever it runs from), and
flips one byte of the side file: r1c-run must then fail with the checksum
error. Exit status 0 when everything holds.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ONNX_TO_NUMPY = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64,
    onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.BOOL: np.bool_,
}


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr}")
    return result


def write_inputs(model_path, folder):
    """Random inputs for every graph input, as .npy files, in input order."""
    model = onnx.load(model_path, load_external_data=False)
    initializers = {init.name for init in model.graph.initializer}
    rng = np.random.default_rng(0)
    paths = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        tensor = value.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in tensor.shape.dim]
        dtype = ONNX_TO_NUMPY.get(tensor.elem_type)
        if dtype is None:
            fail(f"input '{value.name}' has an element type this check does not generate")
        if np.issubdtype(dtype, np.floating):
            array = rng.standard_normal(dims).astype(dtype)
        else:
            array = np.zeros(dims, dtype=dtype)
        path = os.path.join(folder, f"input_{len(paths)}.npy")
        np.save(path, array)
        paths.append(path)
    return paths


def run_model(r1c_run, artifact, inputs, out_dir, cwd=None):
    os.makedirs(out_dir, exist_ok=True)
    command = [r1c_run, artifact, "--save-outputs", out_dir]
    for path in inputs:
        command += ["--input", path]
    run(command, cwd=cwd)
    return sorted(os.listdir(out_dir))


def check_side_file(path):
    """The side file is safetensors: aligned data, covered without holes."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    start = 8 + length
    if start % 64:
        fail(f"{path}: the data starts at {start}, not 64-byte aligned")
    if header.get("__metadata__", {}).get("format") != "r1c":
        fail(f"{path}: no __metadata__ format r1c")
    spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    at = 0
    for begin, end in spans:
        if begin != at:
            fail(f"{path}: tensor data at {begin}, expected {at} (a hole or an overlap)")
        at = end
    if start + at != len(data):
        fail(f"{path}: the tensors cover {at} bytes of {len(data) - start}")
    return at


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--model", required=True, help="the .onnx model to compile")
    args = parser.parse_args()
    # One run works from another folder.
    args.r1c, args.r1c_run = os.path.abspath(args.r1c), os.path.abspath(args.r1c_run)
    if not os.path.exists(args.model):
        fail(f"{args.model} is missing; the models.generate test writes it")

    with tempfile.TemporaryDirectory(prefix="r1c-external-weights-") as work:
        embedded = os.path.join(work, "embedded")
        external = os.path.join(work, "external")
        run([args.r1c, args.model, "--target=host", "--no-progress", "-o", embedded])
        run([args.r1c, args.model, "--target=host", "--no-progress", "--weights=external",
             "-o", external])
        weight_bytes = check_side_file(external + ".safetensors")

        embedded_object = os.path.getsize(embedded + ".o")
        external_object = os.path.getsize(external + ".o")
        print(f"weights {weight_bytes} bytes; OUT.o embedded {embedded_object} bytes, "
              f"external {external_object} bytes")
        if embedded_object - external_object < 0.9 * weight_bytes:
            fail("the external object did not lose the weights' bytes")

        inputs = write_inputs(args.model, work)
        want_dir, got_dir = os.path.join(work, "out-embedded"), os.path.join(work, "out-external")
        names = run_model(args.r1c_run, embedded + ".r1", inputs, want_dir)
        # From another folder and another working directory: the side file
        # is found beside the artifact.
        moved = os.path.join(work, "moved")
        os.makedirs(moved)
        for suffix in (".r1", ".safetensors"):
            shutil.copy(external + suffix, os.path.join(moved, "external" + suffix))
        artifact = os.path.join(moved, "external.r1")
        if run_model(args.r1c_run, artifact, inputs, got_dir, cwd="/") != names or not names:
            fail("the two runs wrote different outputs")
        for name in names:
            want = np.load(os.path.join(want_dir, name))
            got = np.load(os.path.join(got_dir, name))
            if want.dtype != got.dtype or want.shape != got.shape or want.tobytes() != got.tobytes():
                fail(f"{name} differs between embedded and external weights")
        print(f"{len(names)} outputs identical")

        side = os.path.join(moved, "external.safetensors")
        with open(side, "r+b") as f:
            f.seek(os.path.getsize(side) - 1)
            last = f.read(1)[0]
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([last ^ 0x01]))
        result = subprocess.run([args.r1c_run, artifact], capture_output=True, text=True)
        if result.returncode == 0 or "checksum" not in result.stderr:
            fail(f"a corrupt side file ran, or failed without naming the checksum:\n"
                 f"{result.stderr}")
        print(f"corrupt side file: {result.stderr.strip()}")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
