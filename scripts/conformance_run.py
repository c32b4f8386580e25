#!/usr/bin/env python3
"""Conformance by execution: compiles every ONNX backend node test for the host,
runs it with r1c-run on the test's own data, and compares with the outputs the
test ships.

Every test of the suite counts, whether r1c lists its op or not (`--scope
listed` narrows the run to the ops `r1c --list-ops` prints). With --xfail, a
test that newly fails or newly passes fails the run, so the list stays exact;
each of its entries carries the reason the test fails. Prints
`N passed, N failed`.

  python3 scripts/conformance_run.py --r1c build/bin/r1c --r1c-run build/bin/r1c-run \\
      --xfail test/conformance/execution_xfail.txt [--update-xfail] [--filter REGEX]
"""
import argparse
import concurrent.futures
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import node_tests  # noqa: E402

XFAIL_HEADER = [
    "# Backend node tests r1c fails by execution on the host, one per line with its reason,",
    "# grouped by why. Regenerate: python3 scripts/conformance_run.py --r1c build/bin/r1c",
    "#   --r1c-run build/bin/r1c-run [--suite DIR] --xfail test/conformance/FILE --update-xfail",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--r1c", required=True)
    parser.add_argument("--r1c-run", required=True)
    parser.add_argument("--xfail")
    parser.add_argument("--update-xfail", action="store_true")
    parser.add_argument("--filter", help="only tests whose folder name matches this regex")
    parser.add_argument("--scope", choices=("all", "listed"), default="all",
                        help="all backend node tests (default), or only those of ops r1c lists")
    parser.add_argument("--suite", metavar="DIR",
                        help="a folder of ONNX backend test folders (default: the node suite of the "
                             "onnx package, e.g. /usr/share/libonnx-testdata/data/pytorch-converted)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--show-failures", action="store_true", help="print each failure")
    args = parser.parse_args()
    if args.update_xfail and not args.xfail:
        parser.error("--update-xfail needs --xfail FILE")

    root = args.suite or node_tests.node_test_dir()
    test_ops = node_tests.discover_tests(root)
    names = sorted(test_ops)
    if args.scope == "listed":
        listed = node_tests.list_ops(args.r1c)
        names = [n for n in names if test_ops[n] in listed]
    if args.filter:
        names = [n for n in names if re.search(args.filter, n)]
    ran_all = len(names) == len(test_ops)

    results = {}
    progress = node_tests.Progress(len(names))
    with tempfile.TemporaryDirectory(prefix="r1c-conformance-") as work:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(node_tests.run_execution, args.r1c, args.r1c_run, root, n,
                                   work, args.timeout): n for n in names}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                results[name] = future.result()
                progress.step(results[name] is None)

    failing = sorted(n for n, r in results.items() if r is not None)
    if args.show_failures:
        for name in failing:
            print(f"FAIL {name}: {results[name]}")
    passed = len(names) - len(failing)
    print(f"by execution on host: {passed} of {len(names)} tests pass "
          f"({100.0 * passed / max(len(names), 1):.1f}%)"
          + ("" if ran_all else f"; {len(test_ops)} in the suite"))

    if args.xfail and args.update_xfail:
        count = node_tests.update_xfail(args.xfail, XFAIL_HEADER, results)
        print(f"updated {args.xfail}: {count} expected failures")
        print(f"{len(names)} passed, 0 failed")
        return 0
    if not args.xfail:
        print(f"{passed} passed, {len(failing)} failed")
        return 0
    bad = node_tests.check_xfail(args.xfail, results, ran_all)
    print(f"{len(names) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
