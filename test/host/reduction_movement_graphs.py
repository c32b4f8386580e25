"""Graphs for check_host.py that exercise reduction, normalization and data
movement anchors (ONNX text syntax, static shapes)."""

GRAPHS = {
    "reduce_all_kinds": """
        <ir_version: 8, opset_import: ["" : 17]>
        red (float[2, 3, 4] x) => (s, m, mx, mn, p)
        <int64[1] a1 = {1}>
        { s = ReduceSum <keepdims = 0> (x, a1)  m = ReduceMean <axes = [0, 2]> (x)
          mx = ReduceMax <axes = [-1], keepdims = 0> (x)  mn = ReduceMin <keepdims = 1> (x)
          p = ReduceProd <axes = [1]> (x) }""",
    "global_average_pool_flatten": """
        <ir_version: 8, opset_import: ["" : 17]>
        gap (float[2, 8, 5, 5] x) => (y)
        { g = GlobalAveragePool (x)  y = Flatten <axis = 1> (g) }""",
    "softmax_and_log_softmax": """
        <ir_version: 8, opset_import: ["" : 17]>
        sm (float[3, 5, 7] x) => (a, b, c)
        { a = Softmax <axis = -1> (x)  b = Softmax <axis = 1> (x)  c = LogSoftmax <axis = 0> (x) }""",
    "layer_norm_then_gelu": """
        <ir_version: 8, opset_import: ["" : 17]>
        ln (float[2, 6, 16] x, float[16] g, float[16] bias) => (y)
        { n = LayerNormalization <axis = -1, epsilon = 0.00001> (x, g, bias)
          half = Constant <value = float {0.5}> ()  one = Constant <value = float {1.0}> ()
          rs2 = Constant <value = float {0.70710678}> ()
          s = Mul (n, rs2)  e = Erf (s)  e1 = Add (e, one)  h = Mul (n, half)  y = Mul (h, e1) }""",
    "transpose_slice_concat": """
        <ir_version: 8, opset_import: ["" : 17]>
        tsc (float[2, 3, 4, 5] x) => (y, z)
        <int64[2] starts = {1, 0}, int64[2] ends = {4, 5}, int64[2] axes = {1, 3},
         int64[2] steps = {2, 2}, int64[1] rstart = {-1}, int64[1] rend = {-100},
         int64[1] raxes = {2}, int64[1] rsteps = {-1}>
        { t = Transpose <perm = [0, 2, 1, 3]> (x)
          s = Slice (t, starts, ends, axes, steps)
          y = Concat <axis = 1> (s, s)
          z = Slice (x, rstart, rend, raxes, rsteps) }""",
    "gather_embedding_and_split": """
        <ir_version: 8, opset_import: ["" : 18]>
        ges (int64[2, 5] ids, float[10, 8] table) => (a, b, c)
        <int64[2] sizes = {3, 5}, int64 last = {-1}>
        { e = Gather <axis = 0> (table, ids)
          a, b = Split <axis = 2> (e, sizes)
          c = Gather <axis = 1> (table, last) }""",
    # Random int64 indices lie in [-3, 3]: negative ones count from the end.
    "gather_elements_first_and_last_axis": """
        <ir_version: 8, opset_import: ["" : 13]>
        ge (float[4, 3] x, int64[2, 3] i, float[2, 3, 5] z, int64[2, 3, 4] k) => (a, b, c)
        <int32[2, 3, 2] j = {-1, 0, 4, -5, 2, 3, -2, 1, 0, 0, -3, 4}>
        { a = GatherElements <axis = 0> (x, i)
          b = GatherElements <axis = -1> (z, j)
          c = GatherElements <axis = 2> (z, k) }""",
    "gather_nd_batch_dims_0_and_1": """
        <ir_version: 8, opset_import: ["" : 13]>
        gnd (float[4, 5, 3] x, int64[3, 2] i, float[2, 4, 3] y, int64[2, 3, 1] k) => (a, b, c)
        <int64[2, 1, 2] j = {-1, 4, 2, -5}>
        { a = GatherND (x, i)
          b = GatherND <batch_dims = 1> (y, k)
          c = GatherND (x, j) }""",
    # Random int64 indices lie in [-3, 3], so along an axis of 4 every one is
    # valid and many repeat: with reduction none the later update wins, as
    # ONNX Runtime's serial loop has it; the reductions fold every update in.
    "scatter_elements_every_reduction": """
        <ir_version: 8, opset_import: ["" : 18]>
        se (float[4, 6] x, int64[3, 6] i, float[3, 6] u, int64[5, 4] j, float[5, 4] v)
            => (a, b, c, d, e)
        { a = ScatterElements <axis = 0> (x, i, u)
          b = ScatterElements <axis = 0, reduction = "add"> (x, i, u)
          c = ScatterElements <axis = 0, reduction = "mul"> (x, i, u)
          t = Transpose <perm = [1, 0]> (x)
          d = ScatterElements <axis = -1, reduction = "max"> (t, j, v)
          e = ScatterElements <axis = 1, reduction = "min"> (t, j, v) }""",
    # Scatter (opset 10) on integers, ScatterElements along a middle axis.
    "scatter_opset_10_and_middle_axis": """
        <ir_version: 5, opset_import: ["" : 10]>
        s10 (int64[2, 4, 3] x, int64[2, 2, 3] i, int64[2, 2, 3] u) => (a)
        { a = Scatter <axis = 1> (x, i, u) }""",
    # ScatterND: whole rows (tuples of 1), single elements (tuples of 3, one
    # repeated under add) and slices in between, negative entries counting
    # from the end; integers under max and min.
    "scatter_nd_tuple_lengths": """
        <ir_version: 8, opset_import: ["" : 18]>
        snd (float[4, 3, 5] x, float[2, 3, 5] r, float[4] e, float[3, 5] s, int64[4, 6] n,
             int64[2, 6] m) => (a, b, c, d, f, g)
        <int64[2, 1] rows = {3, -4}, int64[4, 3] at = {0, 0, 0, -1, 2, 4, 0, 0, 0, 2, 1, 3},
         int64[3, 2] pairs = {1, 2, 3, -1, 0, 0}, int64[2, 1] nrows = {2, -1}>
        { a = ScatterND (x, rows, r)
          b = ScatterND <reduction = "add"> (x, at, e)
          c = ScatterND <reduction = "mul"> (x, pairs, s)
          d = ScatterND <reduction = "add"> (x, rows, r)
          f = ScatterND <reduction = "max"> (n, nrows, m)
          g = ScatterND <reduction = "min"> (n, nrows, m) }""",
    # One position of a [batch, heads, seq, dim] cache, as torch's index_put
    # exports `cache[:, :, pos] = new`.
    "scatter_nd_kv_cache_row": """
        <ir_version: 8, opset_import: ["" : 17]>
        kv (float[1, 4, 16, 8] cache, float[1, 4, 1, 8] new) => (y)
        <int64[1, 4, 1, 3] at = {0, 0, 11, 0, 1, 11, 0, 2, 11, 0, 3, 11}>
        { y = ScatterND (cache, at, new) }""",
    # TopK on the last, first and middle axes, largest and smallest, k from
    # 1 to the whole axis (a full sort); integers in [-3, 3] tie often, and
    # ties keep the lower index first.
    "top_k_axes_orders_and_ties": """
        <ir_version: 8, opset_import: ["" : 11]>
        tk (float[3, 9] x, int64[6, 4, 5] n) => (a, ai, b, bi, c, ci, d, di, e, ei)
        <int64[1] k3 = {3}, int64[1] k9 = {9}, int64[1] k1 = {1}, int64[1] k4 = {4}, int64[1] k2 = {2}>
        { a, ai = TopK (x, k3)
          b, bi = TopK <largest = 0> (x, k9)
          c, ci = TopK <axis = 0> (x, k1)
          d, di = TopK <axis = 0, largest = 0> (n, k4)
          e, ei = TopK <axis = -2> (n, k2) }""",
    # Before opset 10, k is an attribute.
    "top_k_attribute_k": """
        <ir_version: 4, opset_import: ["" : 9]>
        tk1 (float[2, 5, 3] x) => (v, i)
        { v, i = TopK <k = 2, axis = 1> (x) }""",
    # NonMaxSuppression on hundreds of random boxes (normal corners, so
    # often flipped), several batches and classes: with a score threshold,
    # in center format (sizes made positive), and at opset 10 without a
    # score threshold. How many boxes the data select is declared, as the
    # model must; ONNX's reference gives it for check_host.py's inputs.
    "non_max_suppression_random_boxes": """
        <ir_version: 8, opset_import: ["" : 11]>
        nms (float[2, 300, 4] boxes, float[2, 4, 300] scores) => (int64[470, 3] a, int64[365, 3] c)
        <int64[1] m = {60}, float[1] iou = {0.3}, float[1] st = {0.4}, int64[1] m2 = {100},
         float[1] iou2 = {0.05}>
        { a = NonMaxSuppression (boxes, scores, m, iou, st)
          ab = Abs (boxes)
          c = NonMaxSuppression <center_point_box = 1> (ab, scores, m2, iou2) }""",
    "non_max_suppression_opset_10": """
        <ir_version: 5, opset_import: ["" : 10]>
        nms10 (float[3, 200, 4] boxes, float[3, 3, 200] scores) => (int64[435, 3] d)
        <int64[1] m = {100}, float[1] iou = {0.1}>
        { d = NonMaxSuppression (boxes, scores, m, iou) }""",
    "expand_and_tile": """
        <ir_version: 8, opset_import: ["" : 17]>
        et (float[1, 3, 1] x) => (e, t)
        <int64[3] shape = {2, 3, 4}, int64[3] reps = {2, 1, 3}>
        { e = Expand (x, shape)  t = Tile (x, reps) }""",
    # Every Pad mode; negative pads crop, wrap (opset 19) takes indices modulo the extent.
    "pad_every_mode": """
        <ir_version: 9, opset_import: ["" : 19]>
        pads (float[2, 3, 4, 5] x, int64[3, 4] i) => (c, r, e, w, n)
        <int64[8] p = {0, 1, 2, -1, 1, 0, 1, 2}, int64[8] q = {0, 0, 2, 3, 0, 0, 1, 2},
         int64[4] pi = {1, 2, 0, 1}, float v = {-2.5}>
        { c = Pad <mode = "constant"> (x, p, v)
          r = Pad <mode = "reflect"> (x, q)
          e = Pad <mode = "edge"> (x, p)
          w = Pad <mode = "wrap"> (x, p)
          n = Pad (i, pi) }""",
    # Einsum: attention scores (a batched matmul over b and h), a chain of
    # three operands, an implicit output, a diagonal and an ellipsis.
    "einsum_forms": """
        <ir_version: 8, opset_import: ["" : 12]>
        es (float[2, 3, 4, 8] q, float[2, 3, 5, 8] k, float[4, 6] a, float[6, 7] b, float[7, 3] c,
            float[2, 5, 5] d) => (s, chain, implicit, diagonal)
        { s = Einsum <equation = "bhqd,bhkd->bhqk"> (q, k)
          chain = Einsum <equation = "ij,jk,kl->il"> (a, b, c)
          implicit = Einsum <equation = "ij,jk"> (a, b)
          diagonal = Einsum <equation = "...ii->...i"> (d) }""",
    "int_reductions": """
        <ir_version: 8, opset_import: ["" : 17]>
        ir (int64[3, 4] x) => (s, mx)
        <int64[1] a = {1}>
        { s = ReduceSum <keepdims = 0> (x, a)  mx = ReduceMax <axes = [0], keepdims = 0> (x) }""",
}
