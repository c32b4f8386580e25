"""Graphs for check_host.py with subgraphs: an If on a condition computed
from data (both ways round, so each branch is selected once), a Loop with a
constant trip count whose body reads its iteration number and a value of the
outer graph, and a Scan with reversed and transposed inputs and outputs."""

GRAPHS = {
    "if_data_condition": """
        <ir_version: 8, opset_import: ["" : 17]>
        branches (float[3, 4] x, float[4] b) => (y, z)
        { s = ReduceSum <keepdims = 0> (x)  zero = Constant <value = float {0.0}> ()
          c = Greater (s, zero)  nc = Not (c)
          y = If (c) <then_branch = g1 () => (float[3, 4] a) { a = Add (x, b) },
                      else_branch = g2 () => (float[3, 4] e) { e = Mul (x, b) }>
          z = If (nc) <then_branch = g3 () => (float[3, 4] a2) { a2 = Add (x, b) },
                       else_branch = g4 () => (float[3, 4] e2) { t = Mul (x, b)  e2 = Tanh (t) }> }""",
    "loop_constant_trip_count": """
        <ir_version: 8, opset_import: ["" : 17]>
        loop (float[2, 3] x, float[3] w) => (y, s)
        { trip = Constant <value = int64 {4}> ()  go = Constant <value = bool {1}> ()
          y, s = Loop (trip, go, x) <body = b (int64 i, bool c, float[2, 3] v)
                                             => (bool co, float[2, 3] vo, float[2, 3] so) {
            co = Identity (c)  fi = Cast <to = 1> (i)  t = Mul (v, fi)  u = Add (v, t)
            vo = Mul (u, w)  so = Tanh (vo) }> }""",
    "scan_directions_and_axes": """
        <ir_version: 8, opset_import: ["" : 17]>
        scan (float[2] init, float[4, 2] x, float[2, 4] z) => (final, ys, yz)
        { final, ys, yz = Scan (init, x, z) <body = b (float[2] s, float[2] e, float[2] f)
                                                  => (float[2] so, float[2] o1, float[2] o2) {
            p = Mul (e, f)  so = Add (s, p)  o1 = Identity (so)  o2 = Sin (so) },
            num_scan_inputs = 2, scan_input_axes = [0, 1], scan_input_directions = [0, 1],
            scan_output_axes = [0, -1], scan_output_directions = [1, 0]> }""",
}
