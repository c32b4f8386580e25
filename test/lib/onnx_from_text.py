#!/usr/bin/env python3
"""Writes an .onnx model from ONNX's textual syntax, for lit tests.

The input file holds the model text; lines starting with '#' or '//' (lit's
RUN and CHECK lines) are skipped. Usage: onnx_from_text.py TEST_FILE -o OUT.onnx
"""
import argparse
import sys

import onnx
import onnx.parser


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    with open(args.input, encoding="utf-8") as f:
        lines = [l for l in f if not l.lstrip().startswith(("#", "//"))]
    try:
        model = onnx.parser.parse_model("".join(lines))
    except Exception as e:  # the parser raises its own error types
        print(f"onnx_from_text: {args.input}: {e}", file=sys.stderr)
        return 1
    onnx.save(model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
