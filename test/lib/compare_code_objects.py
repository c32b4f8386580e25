#!/usr/bin/env python3
"""Checks that AMDGPU code objects of two architectures, written by
`r1c --emit=kernels`, are the same kernels: for every KERNEL.ARCH_A.co in a
folder, KERNEL.ARCH_B.co exists, says it is for ARCH_B, and declares the
same arguments (offset, size, kind), kernel-argument segment and wavefront
size; and where both were compiled from the same source (r1c wrote no
KERNEL.ARCH_B.hip), also the same kernel name, LDS (group segment) size and
work-group limit. Kernels printed differently per architecture (tiles
chosen for its compute-unit count) may differ in those. The launch plan
passes the same arguments either way, so a differing argument list would
be a wrong launch.

Usage: compare_code_objects.py DIR ARCH_A ARCH_B [--readelf llvm-readelf]
Prints one line per kernel and exits 1 on the first mismatch.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

INTERFACE_FIELDS = ["kernarg_segment_size", "wavefront_size"]
SAME_SOURCE_FIELDS = ["name", "group_segment_fixed_size", "max_flat_workgroup_size"]
ARG_FIELDS = ["offset", "size", "value_kind"]


def read_metadata(readelf, path):
    """The target and the kernels ({field: value, "args": [...]}) of a code object."""
    text = subprocess.run([readelf, "--notes", path], capture_output=True, text=True,
                          check=True).stdout
    target = re.search(r"^amdhsa\.target:\s*(\S+)", text, re.M)
    kernels = []
    for line in text.splitlines():
        kernel_key = re.match(r"^  (- |  )\.(\w+):\s*(.*)$", line)
        arg_key = re.match(r"^      (- |  )\.(\w+):\s*(.*)$", line)
        if kernel_key:
            if kernel_key.group(1) == "- ":
                kernels.append({"args": []})
            if kernel_key.group(2) != "args":
                kernels[-1][kernel_key.group(2)] = kernel_key.group(3)
        elif arg_key and kernels:
            if arg_key.group(1) == "- ":
                kernels[-1]["args"].append({})
            kernels[-1]["args"][-1][arg_key.group(2)] = arg_key.group(3)
    return (target.group(1) if target else None), kernels


def interface(kernel, same_source):
    fields = INTERFACE_FIELDS + (SAME_SOURCE_FIELDS if same_source else [])
    return ({field: kernel.get(field) for field in fields},
            [{field: arg.get(field) for field in ARG_FIELDS} for arg in kernel["args"]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("arch_a")
    parser.add_argument("arch_b")
    parser.add_argument("--readelf", default="llvm-readelf")
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(args.dir, f"*.{args.arch_a}.co")))
    if not paths:
        print(f"FAIL: no *.{args.arch_a}.co in {args.dir}")
        return 1
    printed_apart = 0
    for path_a in paths:
        stem = os.path.basename(path_a)[:-len(f".{args.arch_a}.co")]
        path_b = os.path.join(args.dir, f"{stem}.{args.arch_b}.co")
        if not os.path.exists(path_b):
            print(f"FAIL {stem}: no {args.arch_b} code object")
            return 1
        target_a, kernels_a = read_metadata(args.readelf, path_a)
        target_b, kernels_b = read_metadata(args.readelf, path_b)
        if not target_b or not target_b.endswith("--" + args.arch_b):
            print(f"FAIL {stem}: the {args.arch_b} code object is for {target_b}")
            return 1
        same_source = not os.path.exists(os.path.join(args.dir, f"{stem}.{args.arch_b}.hip"))
        seen_a = [interface(k, same_source) for k in kernels_a]
        seen_b = [interface(k, same_source) for k in kernels_b]
        if not kernels_a or seen_a != seen_b:
            print(f"FAIL {stem}: the kernels differ:\n  {args.arch_a}: {seen_a}\n"
                  f"  {args.arch_b}: {seen_b}")
            return 1
        printed_apart += not same_source
        first = kernels_b[0]
        print(f"ok {stem}: {len(first['args'])} args, LDS {first.get('group_segment_fixed_size')}, "
              f"{args.arch_b} vgprs {first.get('vgpr_count')}"
              f"{'' if same_source else f' (printed for {args.arch_b})'}")
    print(f"{len(paths)} kernels have the same interface on {args.arch_a} and {args.arch_b} "
          f"({printed_apart} printed differently)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
