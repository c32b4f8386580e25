"""Graphs for check_host.py with image ops: Resize in each mode and
coordinate transformation (constant scales, sizes and roi, as models give
them), Upsample, ConvTranspose on both of its paths (a GEMM when kernel
equals stride, else a convolution of the zero-inserted input), DepthToSpace,
SpaceToDepth, GridSample and AffineGrid. Built with onnx.helper, so that
weights can be random initializers."""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

_TYPES = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16}


def _model(nodes, inputs, outputs, constants=(), opset=19, dtype=np.float32):
    """`inputs`: (name, shape) graph inputs of `dtype`; `constants`: (name,
    array) initializers."""
    elem = _TYPES[dtype]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, elem, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, elem, None) for n in outputs],
        [numpy_helper.from_array(np.asarray(value), name) for name, value in constants])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    return model


def _resize(shape, scales=None, sizes=None, roi=None, opset=19, dtype=np.float32, **attrs):
    names = ["x", "roi" if roi is not None else "", "scales" if scales is not None else "",
             "sizes" if sizes is not None else ""]
    while names[-1] == "":
        names.pop()
    constants = []
    if roi is not None:
        constants.append(("roi", np.array(roi, np.float32)))
    if scales is not None:
        constants.append(("scales", np.array(scales, np.float32)))
    if sizes is not None:
        constants.append(("sizes", np.array(sizes, np.int64)))
    return _model([helper.make_node("Resize", names, ["y"], **attrs)], [("x", shape)], ["y"],
                  constants, opset, dtype)


def _weights(shape, seed, scale=0.5):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _conv_transpose(x_shape, w_shape, bias=True, **attrs):
    names = ["x", "w"] + (["b"] if bias else [])
    constants = [("w", _weights(w_shape, 3))]
    if bias:
        group = attrs.get("group", 1)
        constants.append(("b", _weights([w_shape[1] * group], 4, 1.0)))
    return _model([helper.make_node("ConvTranspose", names, ["y"], **attrs)], [("x", x_shape)],
                  ["y"], constants, opset=17)


def _grid_sample(x_shape, grid_shape, opset, **attrs):
    return _model([helper.make_node("GridSample", ["x", "grid"], ["y"], **attrs)],
                  [("x", x_shape), ("grid", grid_shape)], ["y"], opset=opset)


GRAPHS = {
    # Resize: nearest upsampling by 2 (one broadcast), linear to sizes that
    # shrink one axis and grow the other, cubic with align_corners and
    # exclude_outside, antialiased downsampling, the nearest modes, a crop
    # with extrapolation, and float16.
    "resize_nearest_2x": _resize([2, 3, 5, 6], scales=[1, 1, 2, 2], mode="nearest"),
    "resize_linear_sizes": _resize([2, 3, 7, 9], sizes=[2, 3, 12, 5], mode="linear"),
    "resize_linear_axes_asymmetric": _resize(
        [1, 4, 6, 5], scales=[1.5, 0.8], mode="linear", axes=[2, 3],
        coordinate_transformation_mode="asymmetric"),
    "resize_cubic_align_corners_exclude_outside": _resize(
        [1, 2, 6, 7], sizes=[1, 2, 9, 4], mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5,
        coordinate_transformation_mode="align_corners"),
    "resize_linear_antialias": _resize([1, 3, 16, 12], sizes=[1, 3, 5, 7], mode="linear",
                                       antialias=1),
    "resize_cubic_antialias_pytorch": _resize(
        [1, 2, 12, 10], sizes=[1, 2, 5, 4], mode="cubic", antialias=1,
        coordinate_transformation_mode="pytorch_half_pixel"),
    "resize_nearest_ceil_asymmetric": _resize(
        [1, 2, 5, 7], sizes=[1, 2, 8, 10], mode="nearest", nearest_mode="ceil",
        coordinate_transformation_mode="asymmetric"),
    "resize_nearest_not_larger": _resize(
        [1, 2, 4, 6], sizes=[9, 20], mode="nearest", axes=[2, 3],
        keep_aspect_ratio_policy="not_larger"),
    "resize_tf_crop_and_resize": _resize(
        [1, 2, 6, 6], roi=[0.1, 0.3, 0.9, 1.2], sizes=[4, 5], axes=[2, 3], mode="linear",
        coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.0),
    "resize_linear_f16": _resize([1, 4, 6, 6], scales=[1, 1, 2, 2], mode="linear",
                                 dtype=np.float16),
    "upsample_nearest_opset9": _model(
        [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")], [("x", [1, 2, 3, 4])],
        ["y"], [("scales", np.array([1, 1, 2, 3], np.float32))], opset=9),
    # ConvTranspose: kernel == stride with groups (the GEMM), then the
    # convolution of the zero-inserted input with pads, output_padding,
    # dilations, output_shape, auto_pad and 1-D / 3-D inputs.
    "conv_transpose_k2s2": _conv_transpose([2, 6, 5, 7], [6, 4, 2, 2], strides=[2, 2]),
    "conv_transpose_k2s2_grouped": _conv_transpose([1, 6, 4, 5], [6, 2, 2, 2], group=3,
                                                   strides=[2, 2]),
    "conv_transpose_3x3_s2_pads_output_padding": _conv_transpose(
        [1, 4, 5, 6], [4, 3, 3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    "conv_transpose_dilated_grouped": _conv_transpose(
        [2, 4, 5, 5], [4, 3, 3, 2], group=2, strides=[1, 2], dilations=[2, 1],
        pads=[0, 1, 2, 0]),
    "conv_transpose_output_shape_same_upper": _conv_transpose(
        [1, 3, 4, 5], [3, 2, 3, 3], strides=[2, 2], auto_pad="SAME_UPPER", bias=False),
    "conv_transpose_output_shape": _conv_transpose(
        [1, 2, 3, 3], [2, 2, 3, 3], strides=[3, 2], output_shape=[10, 8]),
    "conv_transpose_1d": _conv_transpose([2, 3, 9], [3, 5, 4], strides=[3], pads=[1, 2]),
    "conv_transpose_3d": _conv_transpose([1, 2, 3, 4, 3], [2, 3, 2, 3, 2], strides=[2, 1, 2],
                                         pads=[0, 1, 1, 1, 0, 0]),
    # GridSample in each mode and padding mode, 2-D (opset 16 names) and
    # 3-D, with and without align_corners; AffineGrid feeding it.
    "grid_sample_bilinear_zeros": _grid_sample([2, 3, 5, 6], [2, 4, 7, 2], 16, mode="bilinear"),
    "grid_sample_nearest_border_align_corners": _grid_sample(
        [1, 2, 6, 5], [1, 5, 4, 2], 16, mode="nearest", padding_mode="border", align_corners=1),
    "grid_sample_bicubic_reflection": _grid_sample(
        [1, 2, 5, 7], [1, 6, 3, 2], 16, mode="bicubic", padding_mode="reflection"),
    # Bicubic with border padding is left to the backend tests: ONNX
    # Runtime clamps the taps of a coordinate past the border where ONNX's
    # reference (and r1c) clamps the coordinate.
    "grid_sample_bicubic_zeros_align_corners": _grid_sample(
        [2, 1, 4, 4], [2, 3, 5, 2], 16, mode="bicubic", align_corners=1),
    "grid_sample_3d_linear_reflection_align_corners": _grid_sample(
        [1, 2, 3, 4, 5], [1, 2, 3, 4, 3], 20, mode="linear", padding_mode="reflection",
        align_corners=1),
    "grid_sample_3d_nearest_zeros": _grid_sample([2, 2, 4, 3, 5], [2, 3, 2, 2, 3], 20,
                                                 mode="nearest"),
    "affine_grid_then_grid_sample": _model(
        [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=0),
         helper.make_node("GridSample", ["x", "grid"], ["y"], mode="linear")],
        [("theta", [2, 2, 3]), ("x", [2, 3, 6, 7])], ["grid", "y"],
        [("size", np.array([2, 3, 5, 4], np.int64))], opset=20),
    "affine_grid_3d_align_corners": _model(
        [helper.make_node("AffineGrid", ["theta", "size"], ["grid"], align_corners=1)],
        [("theta", [2, 3, 4])], ["grid"], [("size", np.array([2, 1, 3, 4, 5], np.int64))],
        opset=20),
    # DepthToSpace (DCR, CRD) and SpaceToDepth.
    "depth_to_space_dcr_crd": _model(
        [helper.make_node("DepthToSpace", ["x"], ["a"], blocksize=2),
         helper.make_node("DepthToSpace", ["x"], ["b"], blocksize=2, mode="CRD")],
        [("x", [2, 8, 3, 4])], ["a", "b"], opset=13),
    "space_to_depth": _model([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=3)],
                             [("x", [2, 2, 6, 9])], ["y"], opset=13),
}
