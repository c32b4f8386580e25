#!/usr/bin/env python3
"""Lists the sections of an r1c artifact (docs/design/artifact-format.md).

As a module: sections(path) returns (kind, name, offset, size) tuples, read
from the header and the section table; the runtime checks the rest.
As a script: prints one line per section.
"""
import struct
import sys

KINDS = {1: "METADATA", 2: "PLAN", 3: "HOST_CODE", 4: "CUDA_CODE", 5: "HIP_CODE",
         6: "WEIGHTS", 7: "EXTERNAL_WEIGHTS_REF"}


def sections(path):
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:8] != b"R1CARTF\0":
            raise ValueError(f"{path}: not an r1c artifact")
        table_offset, count = struct.unpack_from("<QI", header, 24)
        f.seek(table_offset)
        table = f.read(48 * count)
    result = []
    for i in range(count):
        kind, _flags, offset, size = struct.unpack_from("<IIQQ", table, 48 * i)
        name = table[48 * i + 24:48 * i + 48].rstrip(b"\0").decode()
        result.append((KINDS.get(kind, str(kind)), name, offset, size))
    return result


if __name__ == "__main__":
    for kind, name, offset, size in sections(sys.argv[1]):
        print(f"{kind:22} {name:24} {size:>12} bytes at {offset}")
