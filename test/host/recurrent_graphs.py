"""Graphs for check_host.py with recurrent ops (one r1.recurrence kernel
each): bidirectional and reverse LSTMs with sequence_lens, initial states,
peepholes, clip and input_forget, and one with every parameterized
activation; GRUs with and without linear_before_reset, bidirectional,
clipped and with sequence_lens; RNNs reversed with
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
    "lstm_reverse_clip_input_forget": """
        <ir_version: 8, opset_import: ["" : 17]>
        lstm (float[6, 2, 3] x, float[1, 16, 3] w, float[1, 16, 4] r, float[1, 32] b,
              int32[2] lens, float[1, 2, 4] h0, float[1, 2, 4] c0, float[1, 12] p)
            => (y, yh, yc)
        { y, yh, yc = LSTM <hidden_size = 4, direction = "reverse", clip = 0.8, input_forget = 1>
                           (x, w, r, b, lens, h0, c0, p) }""",
    "lstm_activations_with_parameters": """
        <ir_version: 8, opset_import: ["" : 17]>
        lstm (float[4, 3, 5] x, float[2, 28, 5] w, float[2, 28, 7] r) => (y, yh, yc)
        { y, yh, yc = LSTM <hidden_size = 7, direction = "bidirectional",
                            activations = ["HardSigmoid", "Elu", "Softsign",
                                           "Sigmoid", "ScaledTanh", "Softplus"],
                            activation_alpha = [0.3, 0.9, 0.7], activation_beta = [0.4, 1.3]>
                           (x, w, r) }""",
    "gru_bidirectional_sequence_lens": """
        <ir_version: 8, opset_import: ["" : 17]>
        gru (float[5, 3, 4] x, float[2, 18, 4] w, float[2, 18, 6] r, float[2, 36] b,
             int32[3] lens, float[2, 3, 6] h0) => (y, yh)
        { y, yh = GRU <hidden_size = 6, direction = "bidirectional"> (x, w, r, b, lens, h0) }""",
    "gru_linear_before_reset_bidirectional_lens": """
        <ir_version: 8, opset_import: ["" : 17]>
        gru (float[5, 3, 4] x, float[2, 15, 4] w, float[2, 15, 5] r, float[2, 30] b,
             int32[3] lens) => (y, yh)
        { y, yh = GRU <hidden_size = 5, direction = "bidirectional", linear_before_reset = 1,
                       activations = ["HardSigmoid", "Affine", "Sigmoid", "Tanh"],
                       activation_alpha = [0.25, 0.5],
                       activation_beta = [0.45, 0.1]>
                      (x, w, r, b, lens) }""",
    "rnn_wide_hidden_tasks": """
        <ir_version: 8, opset_import: ["" : 17]>
        rnn (float[7, 4, 9] x, float[2, 37, 9] w, float[2, 37, 37] r, float[2, 74] b)
            => (y, yh)
        { y, yh = RNN <hidden_size = 37, direction = "bidirectional",
                       activations = ["Softsign", "ThresholdedRelu"], activation_alpha = [0.05, 0.05]>
                      (x, w, r, b) }""",
}

INPUT_RANGES = {
    "lstm_reverse_clip_input_forget": {"lens": (1, 7)},
    "gru_bidirectional_sequence_lens": {"lens": (1, 6)},
    "gru_linear_before_reset_bidirectional_lens": {"lens": (0, 6)},
    "lstm_bidirectional_sequence_lens": {"lens": (1, 6)},
    "rnn_reverse_sequence_lens": {"lens": (1, 7)},
}
