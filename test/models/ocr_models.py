#!/usr/bin/env python3
"""Finds the PaddleOCR models that the PyPI package rapidocr-onnxruntime ships and
copies them into a cache folder, so tests and benchmarks name stable paths and the
repository never holds model files.

  python3 test/models/ocr_models.py --out build/test/ocr-models

prints one `ROLE PATH` line per model: det (DBNet text detector), rec (CTC text
recognizer, its character dictionary in the model's metadata) and cls (text
orientation classifier, 0 or 180 degrees).
"""
import argparse
import importlib.util
import os
import shutil
import sys

PACKAGE = "rapidocr_onnxruntime"
# Each role's file name in the package's models/ folder, by prefix and suffix, so a
# newer PP-OCR generation (v4 today) is found without a change here.
ROLES = {"det": ("ch_PP-OCR", "_det_infer.onnx"),
         "rec": ("ch_PP-OCR", "_rec_infer.onnx"),
         "cls": ("ch_ppocr_mobile", "_cls_infer.onnx")}


class Unavailable(Exception):
    """The package, or one of its models, is not installed."""


def package_models_dir():
    # find_spec locates the package without importing it (its __init__ imports OpenCV).
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"the Python package {PACKAGE} is not installed "
                          "(pip: rapidocr-onnxruntime; scripts/setup.sh installs it)")
    return os.path.join(list(spec.submodule_search_locations)[0], "models")


def locate():
    """{role: path} of the models inside the installed package."""
    folder = package_models_dir()
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    found = {}
    for role, (prefix, suffix) in ROLES.items():
        matches = [n for n in names if n.startswith(prefix) and n.endswith(suffix)]
        if not matches:
            raise Unavailable(f"{folder} has no {prefix}*{suffix} ({role} model)")
        found[role] = os.path.join(folder, matches[-1])  # the newest generation
    return found


def cache(out_dir):
    """Copies the models into out_dir (again only when a file changed) and returns
    {role: path} there."""
    os.makedirs(out_dir, exist_ok=True)
    cached = {}
    for role, src in locate().items():
        dst = os.path.join(out_dir, os.path.basename(src))
        if not os.path.exists(dst) or os.path.getsize(dst) != os.path.getsize(src) \
                or os.path.getmtime(dst) < os.path.getmtime(src):
            tmp = dst + ".part"
            shutil.copy2(src, tmp)
            os.replace(tmp, dst)
        cached[role] = dst
    return cached


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the cache folder")
    args = parser.parse_args()
    try:
        for role, path in cache(args.out).items():
            print(role, path)
    except Unavailable as e:
        print(f"ocr_models: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
