"""Graphs for check_host.py with recurrent ops: a bidirectional LSTM with
sequence_lens, initial states and peepholes; GRUs with and without
linear_before_reset, bidirectional and clipped; RNNs reversed with
sequence_lens and bidirectional with two activations (activation_alpha has one value per
activation: ONNX consumes them by the activations that take one, ONNX
Runtime's RNN indexes them by direction, and both read this list alike). sequence_lens are
graph inputs (INPUT_RANGES keeps them in [1, sequence length]), so the
per-entry masks and reversal run as code. ONNX Runtime has no batch-first
(layout = 1) kernels; the backend node tests cover that layout."""

GRAPHS = {
    "lstm_bidirectional_sequence_lens": """
        <ir_version: 8, opset_import: ["" : 17]>
        lstm (float[5, 3, 4] x, float[2, 24, 4] w, float[2, 24, 6] r, float[2, 48] b,
              int32[3] lens, float[2, 3, 6] h0, float[2, 3, 6] c0, float[2, 18] p)
            => (y, yh, yc)
        { y, yh, yc = LSTM <hidden_size = 6, direction = "bidirectional">
                           (x, w, r, b, lens, h0, c0, p) }""",
    "gru_linear_before_reset": """
        <ir_version: 8, opset_import: ["" : 17]>
        gru (float[4, 2, 3] x, float[1, 15, 3] w, float[1, 15, 5] r, float[1, 30] b,
             float[1, 2, 5] h0) => (y, yh)
        { y, yh = GRU <hidden_size = 5, linear_before_reset = 1, direction = "reverse">
                      (x, w, r, b, "", h0) }""",
    "gru_bidirectional_clip": """
        <ir_version: 8, opset_import: ["" : 17]>
        gru (float[4, 2, 3] x, float[2, 12, 3] w, float[2, 12, 4] r, float[2, 24] b)
            => (y, yh)
        { y, yh = GRU <hidden_size = 4, direction = "bidirectional", clip = 1.5> (x, w, r, b) }""",
    "rnn_reverse_sequence_lens": """
        <ir_version: 8, opset_import: ["" : 17]>
        rnn (float[6, 3, 4] x, float[1, 5, 4] w, float[1, 5, 5] r, float[1, 10] b,
             int32[3] lens) => (y, yh)
        { y, yh = RNN <hidden_size = 5, direction = "reverse"> (x, w, r, b, lens) }""",
    "rnn_bidirectional_activations": """
        <ir_version: 8, opset_import: ["" : 17]>
        rnn (float[3, 2, 4] x, float[2, 3, 4] w, float[2, 3, 3] r) => (y, yh)
        { y, yh = RNN <hidden_size = 3, direction = "bidirectional",
                       activations = ["LeakyRelu", "Sigmoid"], activation_alpha = [0.2, 0.7]>
                      (x, w, r) }""",
}

INPUT_RANGES = {
    "lstm_bidirectional_sequence_lens": {"lens": (1, 6)},
    "rnn_reverse_sequence_lens": {"lens": (1, 7)},
}
