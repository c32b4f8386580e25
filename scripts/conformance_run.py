#!/usr/bin/env python3
"""Conformance by execution: compiles every in-scope ONNX backend node test for
the host, runs it with r1c-run on the test's own data, and compares with the
outputs the test ships.

A test is in scope when its op is one `r1c --list-ops` prints (the same scope
as scripts/op_coverage.py). With --xfail, a test that newly fails or newly
passes fails the run, so the list stays exact. Prints `N passed, N failed,
N skipped` (skipped: out of scope).

  python3 scripts/conformance_run.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      --xfail test/conformance/execution_xfail.txt [--update-xfail] [--filter REGEX]
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import op_coverage  # noqa: E402  (shares test discovery, scope and the xfail format)

XFAIL_HEADER = [
    "# Backend node tests r1c is expected to fail by execution on the host (one per line).",
    "# Regenerate: python3 scripts/conformance_run.py --r1c build/bin/r1c "
    "--r1c-run build/bin/r1c-run --xfail test/conformance/execution_xfail.txt --update-xfail",
]


def first_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[0] if lines else ""


def run_test(args, root, name, work):
    """None when every data set matches, else why not (one line)."""
    folder = os.path.join(root, name)
    base = os.path.join(work, name)
    try:
        proc = subprocess.run([args.r1c, os.path.join(folder, "model.onnx"), "--target=host",
                               "-o", base], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, errors="replace", timeout=args.timeout)
        if proc.returncode != 0:
            return "r1c: " + (first_line(proc.stderr) or f"exit code {proc.returncode}")
        sets = sorted(d for d in os.listdir(folder) if d.startswith("test_data_set_"))
        for data in sets:
            proc = subprocess.run([args.r1c_run, base + ".r1", "--test-data",
                                   os.path.join(folder, data)], stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, errors="replace",
                                  timeout=args.timeout)
            if proc.returncode != 0:
                text = proc.stderr if proc.returncode != 1 else proc.stdout
                mismatch = [l for l in text.splitlines() if "MISMATCH" in l]
                reason = mismatch[0] if mismatch else first_line(text)
                if proc.returncode < 0:
                    reason = f"killed by signal {-proc.returncode}"
                return f"r1c-run ({data}): {reason}"
        return None
    except subprocess.TimeoutExpired:
        return f"timed out after {args.timeout:g} s"
    finally:
        for suffix in (".o", ".h", ".r1"):
            if os.path.exists(base + suffix):
                os.remove(base + suffix)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--xfail")
    parser.add_argument("--update-xfail", action="store_true")
    parser.add_argument("--filter", help="only tests whose folder name matches this regex")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--show-failures", action="store_true", help="print each failure")
    args = parser.parse_args()

    root = op_coverage.node_test_dir()
    test_ops = op_coverage.discover_tests(root)
    in_scope = op_coverage.list_ops(args.r1c)
    names = [n for n, op in test_ops.items() if op in in_scope]
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    skipped = len(test_ops) - len(names)

    results = {}
    progress = op_coverage.Progress(len(names))
    with tempfile.TemporaryDirectory() as work:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(run_test, args, root, n, work): n for n in names}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                results[name] = future.result()
                progress.step(results[name] is None)

    failing = sorted(n for n, r in results.items() if r is not None)
    if args.show_failures:
        for name in failing:
            print(f"FAIL {name}: {results[name]}")
    passed = len(names) - len(failing)
    print(f"by execution on host: {passed} of {len(names)} in-scope tests pass "
          f"({100.0 * passed / max(len(names), 1):.1f}%)")

    if args.xfail and args.update_xfail:
        _, listed = op_coverage.read_xfail(args.xfail)
        # A filtered run keeps the entries it did not look at.
        kept = [n for n in listed if n not in results]
        op_coverage.write_xfail(args.xfail, XFAIL_HEADER, kept + failing)
        print(f"updated {args.xfail}: {len(kept) + len(failing)} expected failures")
        print(f"{len(names)} passed, 0 failed, {skipped} skipped")
        return 0
    if not args.xfail:
        print(f"{passed} passed, {len(failing)} failed, {skipped} skipped")
        return 0
    _, expected = op_coverage.read_xfail(args.xfail)
    unexpected_failures = [n for n in failing if n not in expected]
    unexpected_passes = sorted(n for n in results if results[n] is None and n in expected)
    for name in unexpected_failures:
        print(f"unexpected failure: {name}: {results[name]}")
    for name in unexpected_passes:
        print(f"unexpected pass (remove it from {args.xfail}): {name}")
    bad = len(unexpected_failures) + len(unexpected_passes)
    print(f"{len(names) - bad} passed, {bad} failed, {skipped} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
