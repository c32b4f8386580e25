"""Runs each tier of a tiered artifact with r1c-run and checks that its outputs
equal, bit for bit, those of the artifact given for it (NAME=PATH); or, with
--sections, prints the kinds of sections at the top level and in each tier."""
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

import numpy as np

KINDS = {1: "metadata", 2: "plan", 3: "host", 4: "cuda", 5: "hip", 6: "weights",
         7: "weights-ref", 8: "tiers", 9: "tier"}


def sections(data):
    """(kind, name, bytes) of each section of an artifact, in table order."""
    table, count = struct.unpack_from("<QI", data, 24)
    for i in range(count):
        kind, _, offset, size = struct.unpack_from("<IIQQ", data, table + 48 * i)
        name = data[table + 48 * i + 24:table + 48 * i + 48].rstrip(b"\0").decode()
        yield kind, name, data[offset:offset + size]


def print_sections(path):
    data = pathlib.Path(path).read_bytes()
    top = list(sections(data))
    for kind, name, payload in top:
        if KINDS.get(kind) == "tier":
            print(f"{name}: " + " ".join(KINDS.get(k, str(k)) for k, _, _ in sections(payload)))
    print("top: " + " ".join(KINDS.get(k, str(k)) for k, _, _ in top))


def outputs(run, artifact, x, tier=None):
    with tempfile.TemporaryDirectory() as folder:
        command = [run, str(artifact), "--input", x, "--save-outputs", folder]
        if tier:
            command += ["--tier", tier]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return [np.load(os.path.join(folder, f)) for f in sorted(os.listdir(folder))]


def main():
    if sys.argv[1] == "--sections":
        return print_sections(sys.argv[2])
    tiered, x, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = False
    for pair in pairs:
        tier, single = pair.split("=", 1)
        got, want = outputs("r1c-run", tiered, x, tier), outputs("r1c-run", single, x)
        for i, (a, b) in enumerate(zip(got, want)):
            same = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            print(f"tier {tier}, output {i}: " + ("equal" if same else "DIFFERENT"))
            failed |= not same
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
