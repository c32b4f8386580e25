"""Graphs for check_host.py whose outputs have sizes only the data decides:
NonZero, Compress, Unique, NonMaxSuppression and TopK with k computed at run
time, with the count dims left unnamed or symbolic. check_host.py runs each
twice: linked into the C harness (the packed data), and with r1c-run, which
also checks the dims the code reports."""

GRAPHS = {
    # Relu zeroes about half of the standard-normal inputs; Compress of the
    # flattened input takes a condition shorter than it.
    "data_sized_nonzero_and_compress": """
        <ir_version: 8, opset_import: ["" : 13]>
        nz (float[6, 7] x, float[3, 4, 5] v, float[7] c, float[37] d) => (int64[2, n] a, b, y, z)
        <float zero = {0.0}>
        { r = Relu (x)  a = NonZero (r)
          m = Greater (v, zero)  b = NonZero (m)
          keep = Greater (c, zero)  y = Compress <axis = 1> (x, keep)
          flat = Greater (d, zero)  z = Compress (v, flat) }""",
    "data_sized_top_k_and_unique": """
        <ir_version: 8, opset_import: ["" : 11]>
        tk (float[5, 9] x, int64[1] k, int64[40] u, int64[6, 3] w) => (v, i, s, y, ui, inv, cnt, wy)
        { v, i = TopK <axis = 1> (x, k)
          s, si = TopK <axis = 0, largest = 0> (x, k)
          y, ui, inv, cnt = Unique (u)
          wy, wi = Unique <axis = 1, sorted = 0> (w) }""",
    "data_sized_non_max_suppression": """
        <ir_version: 8, opset_import: ["" : 11]>
        nms (float[2, 120, 4] boxes, float[2, 3, 120] scores, int64[1] m) => (a, c)
        <int64[1] m2 = {25}, float[1] iou = {0.3}, float[1] st = {0.4}, float[1] iou2 = {0.1}>
        { a = NonMaxSuppression (boxes, scores, m, iou, st)
          ab = Abs (boxes)
          c = NonMaxSuppression <center_point_box = 1> (ab, scores, m2, iou2) }""",
    # Nodes that read such results run on the padded values and are cut
    # again: x[mask] as torch exports it (NonZero, Transpose, GatherND) with
    # elementwise ops after, and the boxes and classes NonMaxSuppression
    # selects, gathered from its rows and concatenated.
    "data_sized_consumers": """
        <ir_version: 8, opset_import: ["" : 13]>
        dc (float[4, 6] x, float[2, 60, 4] boxes, float[2, 3, 60] scores) => (y, s, det, flat)
        <float zero = {0.0}, float two = {2.0}, int64 c0 = {0}, int64 c1 = {1}, int64 c2 = {2},
         int64 sixty = {60}, int64[2] rows = {-1, 4}, int64[1] ax1 = {1}, int64[1] m = {8},
         float[1] iou = {0.3}, float[1] st = {0.2}>
        { mask = Greater (x, zero)  nz = NonZero (mask)  t = Transpose (nz)
          g = GatherND (x, t)  y = Mul (g, two)  s = Sigmoid (g)
          sel = NonMaxSuppression (boxes, scores, m, iou, st)
          batch = Gather <axis = 1> (sel, c0)  box = Gather <axis = 1> (sel, c2)
          first = Mul (batch, sixty)  flat = Add (first, box)
          all = Reshape (boxes, rows)  picked = Gather <axis = 0> (all, flat)
          cls = Gather <axis = 1> (sel, c1)  column = Unsqueeze (cls, ax1)
          clsf = Cast <to = 1> (column)  det = Concat <axis = 1> (picked, clsf) }""",
}

# k in [0, 5] (TopK along axis 0 has 5 rows); Unique's values in [0, 6)
# repeat; the maximum per class stays under the boxes kept.
INPUT_RANGES = {
    "data_sized_top_k_and_unique": {"k": (0, 6), "u": (0, 6), "w": (0, 2)},
    "data_sized_non_max_suppression": {"m": (5, 40)},
}

# Non-maximum suppression is checked against ONNX's reference, as the
# other NonMaxSuppression graphs are.
ONNX_REFERENCE = {"data_sized_non_max_suppression", "data_sized_consumers"}
