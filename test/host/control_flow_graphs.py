"""Graphs for check_host.py with subgraphs: an If on a condition computed
from data (both ways round, so each branch is selected once)."""

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
}
