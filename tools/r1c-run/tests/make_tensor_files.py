#!/usr/bin/env python3
"""Writes the tensor files the r1c-run tensor file tests read.

Usage: make_tensor_files.py OUTDIR

For every case OUTDIR gets <case>.pb (a serialized onnx.TensorProto), <case>.bin (the
expected little-endian element bytes, written straight from numpy) and, where numpy has the
dtype, <case>.npy from numpy.save. OUTDIR/manifest.txt lists them, one tab-separated record
a line:

  onnx_node_data  DIR                       the ONNX node test suite shipped with onnx
  good            CASE DTYPE DIMS NPY       DTYPE: TensorProto code; DIMS: "2,3" ("" for 0-d);
                                            NPY: 1 if CASE.npy exists
  npy_alias       CASE FILE                 FILE is another .npy encoding of CASE's tensor
  bad_pb          FILE SUBSTRING            reading FILE as a TensorProto must fail with an
  bad_npy         FILE SUBSTRING            error containing SUBSTRING (or the same for .npy)
"""
import os
import shutil
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20240611)


def bf16_bits(values):
    """float32 values to bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN)."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    return np.where(nan, np.uint16(0x7FC0), rounded).astype(np.uint16)


def float_values(dtype, count):
    """Random values of a float type, with the special values of that type up front."""
    finfo = np.finfo(dtype)
    special = [np.nan, np.inf, -np.inf, -0.0, finfo.max, finfo.tiny, finfo.smallest_subnormal,
               -finfo.smallest_subnormal, 1.0]
    rand = RNG.standard_normal(count) * 10
    return np.concatenate([np.array(special, dtype=dtype), rand.astype(dtype)])[:count]


def int_values(dtype, count):
    info = np.iinfo(dtype)
    special = [info.min, info.max, 0, 1]
    rand = RNG.integers(info.min, info.max, size=count, dtype=dtype, endpoint=True)
    return np.concatenate([np.array(special, dtype=dtype), rand])[:count]


def values_for(name, count):
    """An array of `count` elements for the dtype `name` (bfloat16 comes as uint16 bits)."""
    if name == "bfloat16":
        # Random bit patterns, NaN and infinities included; every pattern is a valid bfloat16.
        special = np.array([0x7FC0, 0x7F80, 0xFF80, 0x8000, 0x0001, 0x7F7F, 0x3F80], np.uint16)
        rand = RNG.integers(0, 0xFFFF, size=count, dtype=np.uint16, endpoint=True)
        # NaN payloads other than the quiet one need not survive onnx's float conversion.
        rand[((rand & 0x7F80) == 0x7F80) & ((rand & 0x7F) != 0)] = 0x7FC0
        return np.concatenate([special, rand])[:count]
    if name == "bool":
        return RNG.integers(0, 1, size=count, endpoint=True).astype(np.bool_)
    dtype = np.dtype(name)
    if dtype.kind == "f":
        return float_values(dtype, count)
    return int_values(dtype, count)


# ONNX element type, numpy dtype name (bfloat16: uint16 bits), whether numpy can save it.
DTYPES = [
    ("FLOAT", "float32", True),
    ("DOUBLE", "float64", True),
    ("FLOAT16", "float16", True),
    ("BFLOAT16", "bfloat16", False),
    ("INT8", "int8", True),
    ("INT16", "int16", True),
    ("INT32", "int32", True),
    ("INT64", "int64", True),
    ("UINT8", "uint8", True),
    ("UINT16", "uint16", True),
    ("UINT32", "uint32", True),
    ("UINT64", "uint64", True),
    ("BOOL", "bool", True),
]


class Writer:
    def __init__(self, outdir):
        self.outdir = outdir
        self.lines = []

    def path(self, name):
        return os.path.join(self.outdir, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)

    def good(self, case, onnx_type, dims, array, tensor, npy):
        """array: the expected elements (bfloat16 as uint16 bits) in C order."""
        self.write(case + ".pb", tensor.SerializeToString())
        self.write(case + ".bin", np.ascontiguousarray(array).tobytes())
        if npy:
            np.save(self.path(case + ".npy"), array)
        dims_text = ",".join(str(d) for d in dims)
        self.lines.append(f"good\t{case}\t{onnx_type}\t{dims_text}\t{int(npy)}")

    def bad(self, kind, name, data, substring):
        self.write(name, data)
        self.lines.append(f"{kind}\t{name}\t{substring}")


def typed_tensor(case, onnx_type, dims, array, name):
    """A TensorProto holding `array` in the typed field ONNX uses for the type."""
    if name == "bfloat16":
        # make_tensor rounds floats to bfloat16; these floats are exactly the wanted values.
        vals = (array.astype(np.uint32) << 16).view(np.float32)
    else:
        vals = array
    return helper.make_tensor(case, onnx_type, dims, vals=vals.flatten().tolist(), raw=False)


def raw_tensor(case, onnx_type, dims, array, name):
    if name == "bfloat16":
        return helper.make_tensor(case, onnx_type, dims, vals=array.tobytes(), raw=True)
    tensor = numpy_helper.from_array(array, case)
    assert tensor.data_type == onnx_type and tensor.HasField("raw_data")
    return tensor


def good_cases(w):
    shapes = [[2, 3, 4], [], [0], [3, 0, 2]]
    for type_name, name, npy in DTYPES:
        onnx_type = getattr(TensorProto, type_name)
        for dims in shapes:
            count = int(np.prod(dims)) if dims else 1
            array = values_for(name, count).reshape(dims)
            shape_tag = "x".join(str(d) for d in dims) if dims else "scalar"
            for storage in ("raw", "typed"):
                case = f"{name}_{shape_tag}_{storage}"
                make = raw_tensor if storage == "raw" else typed_tensor
                tensor = make(case, onnx_type, dims, array, name)
                if storage == "typed":
                    assert not tensor.HasField("raw_data"), case
                w.good(case, onnx_type, dims, array, tensor, npy)

    # Other .npy versions of one tensor; numpy picks 1.0 by itself.
    array = values_for("float32", 6).reshape(2, 3)
    w.good("npy_versions", TensorProto.FLOAT, [2, 3], array,
           numpy_helper.from_array(array, "npy_versions"), True)
    for version in ((2, 0), (3, 0)):
        name = f"npy_versions_v{version[0]}.npy"
        with open(w.path(name), "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        w.lines.append(f"npy_alias\tnpy_versions\t{name}")


def tensor_with(dims, data_type=None, **fields):
    t = TensorProto()
    t.name = "bad"
    t.dims.extend(dims)
    if data_type is not None:
        t.data_type = data_type
    for key, value in fields.items():
        if key == "raw_data":
            t.raw_data = value
        elif key == "data_location":
            t.data_location = value
        else:
            getattr(t, key).extend(value)
    return t.SerializeToString()


def bad_tensor_protos(w):
    F = TensorProto.FLOAT
    cases = [
        ("count_typed.pb", tensor_with([2, 3], F, float_data=[1.0] * 5),
         "float_data has 5 values but float32[2,3] has 6 elements"),
        ("count_raw.pb", tensor_with([2, 3], F, raw_data=b"\0" * 20),
         "raw_data has 20 bytes but float32[2,3] needs 24"),
        ("count_none.pb", tensor_with([2], F), "holds no data"),
        ("huge_dims_elements.pb", tensor_with([2**40, 2**40], F, raw_data=b"\0" * 4),
         "more than 2^63 elements"),
        ("huge_dims_bytes.pb", tensor_with([2**31, 2**31], F, raw_data=b"\0" * 4),
         "needs more than 2^63 bytes"),
        ("huge_dims_fits.pb", tensor_with([2**20, 2**20], F, raw_data=b"\0" * 4),
         "raw_data has 4 bytes but float32[1048576,1048576] needs 4398046511104"),
        ("negative_dim.pb", tensor_with([3, -1], F, raw_data=b""), "dim 1 is -1"),
        ("no_data_type.pb", tensor_with([1], None, raw_data=b"\0" * 4), "no data_type"),
        ("complex.pb", tensor_with([1], TensorProto.COMPLEX64, float_data=[1.0, 2.0]),
         "complex64 (data_type 14), which is not supported"),
        ("unknown_type.pb", tensor_with([1], 99, raw_data=b"\0"), "data_type 99"),
        ("float8.pb", tensor_with([1], TensorProto.FLOAT8E4M3FN, raw_data=b"\0"),
         "not supported"),
        ("both.pb", tensor_with([1], F, float_data=[1.0], raw_data=b"\0" * 4),
         "both raw_data and float_data"),
        ("wrong_field.pb", tensor_with([1], F, int64_data=[1]), "has int64_data"),
        ("int8_range.pb", tensor_with([2], TensorProto.INT8, int32_data=[1, 300]),
         "int32_data[1] = 300 is out of range for int8"),
        ("uint8_negative.pb", tensor_with([1], TensorProto.UINT8, int32_data=[-1]),
         "out of range for uint8"),
        ("float16_range.pb", tensor_with([1], TensorProto.FLOAT16, int32_data=[70000]),
         "out of range for float16"),
        ("bool_range.pb", tensor_with([1], TensorProto.BOOL, int32_data=[2]),
         "out of range for bool"),
        ("bool_raw_byte.pb", tensor_with([2], TensorProto.BOOL, raw_data=b"\x01\x02"),
         "bool element 1 has byte value 2"),
        ("uint32_range.pb", tensor_with([1], TensorProto.UINT32, uint64_data=[2**32]),
         "does not fit in uint32"),
        ("garbage_ff.pb", b"\xff" * 32, "overflows 64 bits"),
        ("garbage_text.pb", b"this is not a tensor, just some text\n", "not a valid TensorProto"),
    ]
    strings = helper.make_tensor("s", TensorProto.STRING, [2], vals=[b"a", b"b"])
    cases.append(("strings.pb", strings.SerializeToString(), "strings"))
    external = TensorProto()
    external.name = "ext"
    external.dims.extend([4])
    external.data_type = F
    external.data_location = TensorProto.EXTERNAL
    entry = external.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    cases.append(("external.pb", external.SerializeToString(), "external file"))
    sequence = numpy_helper.from_list([np.ones(2, np.float32)], "seq")
    cases.append(("sequence.pb", sequence.SerializeToString(), "segment"))
    for name, data, substring in cases:
        w.bad("bad_pb", name, data, substring)


def npy_with_header(header, data=b"", version=(1, 0)):
    """A .npy file with a hand-written header dict, padded as numpy pads it."""
    text = header.encode("latin1")
    prefix_len = 10 if version[0] == 1 else 12
    pad = 64 - (prefix_len + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    fmt = "<H" if version[0] == 1 else "<I"
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, len(text)) + text + data


def npy_bytes(array):
    import io
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def bad_npys(w):
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5
    good = npy_bytes(a)
    cases = [
        ("fortran.npy", npy_bytes(np.asfortranarray(a)), "Fortran order"),
        ("big_endian.npy", npy_bytes(a.astype(">f4")), "big-endian"),
        ("complex.npy", npy_bytes(a.astype(np.complex64)), "'<c8' is not supported"),
        ("unicode.npy", npy_bytes(np.array(["ab", "c"])), "'<U2' is not supported"),
        ("structured.npy", npy_bytes(np.zeros(2, dtype=[("x", "<f4")])), "structured"),
        ("short_data.npy", good[:-2], "needs 24 data bytes but the file has 22"),
        ("long_data.npy", good + b"\0\0\0\0", "needs 24 data bytes but the file has 28"),
        ("bad_magic.npy", b"\x93NUMPX" + good[6:], "magic"),
        ("tiny.npy", b"\x93NUM", "magic"),
        ("version4.npy", good[:6] + b"\x04\x00" + good[8:], "version 4.0"),
        ("header_past_end.npy", good[:8] + struct.pack("<H", 5000) + good[10:],
         "header claims 5000 bytes"),
        ("negative_shape.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
         "is -1, which is negative"),
        ("huge_shape.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (9223372036854775807, 2), }"), "more than 2^63"),
        ("shape_overflow.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (99999999999999999999,), }"), "larger than 2^63-1"),
        ("huge_shape_fits.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, "
                         "1048576), }", b"\0" * 4), "needs 4398046511104 data bytes"),
        ("shape_not_tuple.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
                         b"\0" * 12), "not a tuple"),
        ("missing_key.npy", npy_with_header("{'descr': '<f4', 'shape': (1,), }", b"\0" * 4),
         "lacks 'fortran_order'"),
        ("extra_key.npy",
         npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1, }",
                         b"\0" * 4), "unexpected key 'x'"),
        ("duplicate_key.npy",
         npy_with_header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                         "'shape': (1,), }", b"\0" * 4), "appears twice"),
        ("not_dict.npy", npy_with_header("[1, 2, 3]"), "not a dict"),
        ("bool_byte.npy",
         npy_with_header("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                         b"\x00\x01\x07"), "bool element 2 has byte value 7"),
    ]
    for name, data, substring in cases:
        w.bad("bad_npy", name, data, substring)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_tensor_files.py OUTDIR")
    outdir = sys.argv[1]
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    w = Writer(outdir)
    node_data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    w.lines.append(f"onnx_node_data\t{node_data}")
    good_cases(w)
    bad_tensor_protos(w)
    bad_npys(w)
    with open(w.path("manifest.txt"), "w") as f:
        f.write("\n".join(w.lines) + "\n")


if __name__ == "__main__":
    main()
