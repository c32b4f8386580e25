"""Graphs for check_host.py of ops that legalize into other r1 ops: Unique,
Det by elimination, STFT and MelWeightMatrix, BatchNormalization in training
mode, the random ops and ai.onnx.ml's tree ensembles, and a k x 1 convolution
that runs as its 1 x k twin (ONNX text syntax, static shapes)."""

GRAPHS = {
    # Beyond 4 x 4, Det eliminates with partial pivoting, unrolled.
    "det_by_elimination": """
        <ir_version: 8, opset_import: ["" : 13]>
        det (float[3, 6, 6] x, float[9, 9] y) => (a, b)
        { a = Det (x)  b = Det (y) }""",
    "conv_kx1_over_width_one": """
        <ir_version: 8, opset_import: ["" : 17]>
        ck (float[2, 6, 40, 1] x, float[8, 3, 5, 1] w, float[8] b) => (y, z)
        { y = Conv <pads = [2, 0, 1, 0], strides = [2, 1], dilations = [2, 1], group = 2> (x, w, b)
          w2 = Concat <axis = 1> (w, w)
          z = Conv <kernel_shape = [5, 1]> (x, w2) }""",
    # Random int64 inputs lie in [-3, 3]: 40 of them hold all 7 values, so
    # the declared count of unique values is what the data give.
    "unique_sorted_first_order_and_slices": """
        <ir_version: 8, opset_import: ["" : 11]>
        uq (int64[40] x, int64[6, 2] m) =>
           (int64[7] y, int64[7] i, int64[40] v, int64[7] c, int64[7] z, int64[7] j, int64[4, 2] w)
        { y, i, v, c = Unique (x)
          z, j = Unique <sorted = 0> (x)
          w = Unique <axis = 0> (m) }""",
    "stft_windowed_and_mel_matrix": """
        <ir_version: 8, opset_import: ["" : 17]>
        st (float[2, 96, 1] s) => (a, b, mel)
        <int64 step = {8}, int64 len = {16}, int64 wlen = {24}, int32 bins = {10},
         int32 dft = {64}, int32 rate = {16000}, float lo = {100.0}, float hi = {6000.0}>
        { a = STFT (s, step, , len)
          w = HannWindow (wlen)
          b = STFT <onesided = 0> (s, step, w)
          mel = MelWeightMatrix (bins, dft, rate, lo, hi) }""",
    "batchnorm_training_statistics": """
        <ir_version: 8, opset_import: ["" : 15]>
        bn (float[4, 3, 5, 5] x, float[3] s, float[3] b, float[3] m, float[3] v) => (y, rm, rv)
        { y, rm, rv = BatchNormalization <training_mode = 1, momentum = 0.8> (x, s, b, m, v) }""",
    # Random draws differ from the reference's, so the graph checks what
    # any correct draw gives: rounded means and variances over 2^16
    # elements, and that Dropout scales what it keeps.
    "random_draw_statistics": """
        <ir_version: 8, opset_import: ["" : 17]>
        rnd (float[256, 256] x) => (u, n, nv, p, kept, scaled)
        <float ten = {10.0}, float twenty = {20.0}, float r = {0.25}, float keep = {0.75},
         bool t = {1}, float half = {0.3}>
        { du = RandomUniformLike (x)  mu = ReduceMean <keepdims = 0> (du)
          su = Mul (mu, ten)  u = Round (su)
          dn = RandomNormal <shape = [256, 256], mean = 0.0, scale = 1.0> ()
          mn = ReduceMean <keepdims = 0> (dn)  sn = Mul (mn, ten)  n = Round (sn)
          sq = Mul (dn, dn)  vn = ReduceMean <keepdims = 0> (sq)  sv = Mul (vn, ten)
          nv = Round (sv)
          shape = Shape (x)  ph = Expand (half, shape)  db = Bernoulli (ph)
          mb = ReduceMean <keepdims = 0> (db)  sb = Mul (mb, ten)  p = Round (sb)
          y, mask = Dropout <seed = 3> (x, r, t)
          mf = Cast <to = 1> (mask)  mm = ReduceMean <keepdims = 0> (mf)
          sk = Mul (mm, twenty)  kept = Round (sk)
          back = Mul (y, keep)  diff = Sub (back, x)  zero = Sub (x, x)
          off = Where (mask, diff, zero)  aoff = Abs (off)
          scaled = ReduceMax <keepdims = 0> (aoff) }""",
    "tree_ensemble_sum_and_membership": """
        <ir_version: 8, opset_import: ["" : 17, "ai.onnx.ml" : 5]>
        te (float[16, 3] x) => (y, z)
        { rx = Round (x)
          y = ai.onnx.ml.TreeEnsemble <
            aggregate_function = 1, n_targets = 2, post_transform = 0, tree_roots = [0, 3],
            nodes_featureids = [0, 1, 2, 2, 0], nodes_modes = uint8[5] {0, 3, 1, 2, 5},
            nodes_splits = float[5] {0.0, -0.5, 1.0, 0.2, 0.4},
            nodes_truenodeids = [1, 0, 1, 4, 2], nodes_trueleafs = [0, 1, 1, 0, 1],
            nodes_falsenodeids = [2, 2, 3, 0, 4], nodes_falseleafs = [0, 1, 1, 1, 1],
            leaf_targetids = [0, 1, 0, 1, 0], leaf_weights = float[5] {1.5, -2.0, 0.25, 3.0, -1.0}
          > (x)
          z = ai.onnx.ml.TreeEnsemble <
            aggregate_function = 3, n_targets = 1, tree_roots = [0, 1],
            nodes_featureids = [1, 0], nodes_modes = uint8[2] {6, 4},
            nodes_splits = float[2] {0.0, 0.0}, membership_values = float[4] {-1.0, 1.0, 2.0, nan},
            nodes_truenodeids = [0, 1], nodes_trueleafs = [1, 1],
            nodes_falsenodeids = [1, 2], nodes_falseleafs = [1, 1],
            leaf_targetids = [0, 0, 0], leaf_weights = float[3] {5.0, -1.0, 2.0}
          > (rx) }""",
}

# Graphs checked against ONNX's reference implementation, not ONNX Runtime (its
# STFT is exact in f64 where ONNX Runtime's leaves 1e-5 in bins that are zero).
ONNX_REFERENCE = {"batchnorm_training_statistics", "random_draw_statistics", "stft_windowed_and_mel_matrix",
                  "tree_ensemble_sum_and_membership"}
# Integer inputs that must stay in a range ([low, high)), by graph.
INPUT_RANGES = {"unique_sorted_first_order_and_slices": {"m": (0, 2)}}
