"""Runs r1c on every model of the broken-model corpus and checks it fails with one clean, keyword-bearing error line."""

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def read_manifest(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise SystemExit(f"{path}:{lineno}: expected '<file>\\t<keyword>'")
            cases.append((parts[0], parts[1]))
    return cases


def check_case(r1c, directory, file_name, keyword, timeout):
    """Returns None when the case passes, else the reason it failed."""
    cmd = [r1c, os.path.join(directory, file_name), "--compile-to=graph", "-o", os.devnull]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s"
    except OSError as e:
        return f"could not run {r1c}: {e}"

    stderr = proc.stderr.decode("utf-8", errors="replace")
    lines = stderr.splitlines()
    first = lines[0] if lines else ""
    if proc.returncode < 0:
        return f"killed by signal {-proc.returncode}; stderr: {first!r}"
    if proc.returncode != 1:
        # Sanitizers and aborts exit with their own codes; only a deliberate 1 counts.
        return f"exit code {proc.returncode} (expected 1); stderr: {first!r}"
    if len(lines) != 1:
        return f"stderr has {len(lines)} lines (expected exactly 1): {stderr[:300]!r}"
    if not first.startswith("error: ") or not first[len("error: "):].strip():
        return f"stderr line does not start with 'error: ' and a message: {first!r}"
    if keyword.lower() not in first.lower():
        return f"error line lacks keyword {keyword!r}: {first!r}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--r1c", required=True, help="path to the r1c binary")
    parser.add_argument("--dir", required=True, help="corpus folder written by make_broken.py")
    parser.add_argument("--timeout", type=float, default=20, help="seconds allowed per case (default 20)")
    args = parser.parse_args()

    cases = read_manifest(os.path.join(args.dir, "manifest.txt"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        reasons = list(pool.map(lambda c: check_case(args.r1c, args.dir, c[0], c[1], args.timeout), cases))

    failed = 0
    for (file_name, _), reason in zip(cases, reasons):
        if reason is not None:
            failed += 1
            print(f"FAIL {file_name}: {reason}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
