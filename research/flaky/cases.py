"""Builds the second frozen set of real flaky tests from public histories.

Usage (bare git directories of the repositories, ``MIRRORS/owner+name/repo``)::

    .venv/bin/python research/flaky/cases.py --out research/flaky/cases.json \
        [--per-repo 4] [--controls 10] GIT_DIR...

The rule, fixed and committed before the detector ran on any case:

- **Repositories**: Python projects whose tests run with pytest, none of the 11 of the first
  set (``research/gen_tests/flaky_cases.json``), chosen by name before reading any history:
  listed in ``research/flaky/selection.md`` with the reason each was picked.
- **A flaky fix** is exactly the first set's rule (``research/gen_tests/flaky_cases.py``): a
  non-merge commit on the default branch whose message says flaky, flakey, flakiness,
  deflake, flakes, intermittent(ly), sporadic(ally), "fails randomly", "randomly fails" or
  rerun (whole words), and whose diff changes the body or decorators of one to three test
  functions that existed, not skipped nor xfail, at its parent. A test function is one pytest
  collects by default: ``test*`` at module level or in a class whose name starts with ``Test``
  or (``unittest`` style, which the first set missed) ends with ``Test`` or ``Tests``. Two
  additions, both read
  from the message only: a message that also names ``flake8``, ``pyflakes`` or ``lint`` is
  left out (the first set's two false positives were flake8 fixes), and so are reverts.
- **Platform**: a case whose message names another platform or runtime (Windows, win32,
  macOS, OS X, darwin, PyPy, GraalPy, free-threaded, BSD, NFS, ARM, s390x) is marked
  ``"platform": "other"``; it is kept in the set but apart from the Linux figure, since a
  Linux CPython sandbox cannot show it (9 of the first set's 26 were such).
- **The flaky tests** are those functions, judged at the fix's parent.
- **Stable controls**: up to ``--controls`` test functions at the same parent, of the same file
  and of one other test file, that no flaky fix in the whole history touched and that carry
  no flaky, retry, skip or xfail decorator, drawn with a seed from the fix's sha.
- Per repository the newest ``--per-repo`` fixes are kept.
- **Scoring**: the first set's, unchanged. A flaky function is *detected* when the detector
  calls any of its ids flaky, *missed* when it calls every id stable, *failing* when none is
  flaky and one never passed, else *unchecked*; *not runnable* when no id is collected at the
  parent here (reported apart). A control function is a *false flake* when any of its ids is
  called flaky. The headline is detected / (detected + missed + failing + unchecked) among the
  Linux cases; intervals are Wilson 95 %.

Nothing of the checkouts runs here: functions are found with ``ast`` on the parent's blobs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from research.gen_tests import flaky_cases as first  # noqa: E402

LINT = re.compile(r"\bflake8\b|\bpyflakes\b|\blint", re.IGNORECASE)
PLATFORM = re.compile(
    r"\bwindows\b|\bwin32\b|\bmac ?os\b|\bos ?x\b|\bdarwin\b|\bpypy\b|\bgraalpy\b|free-?thread"
    r"|\bbsd\b|\bnfs\b|\barm(?:64)?\b|\baarch64\b|\bs390x?\b",
    re.IGNORECASE,
)


def test_functions(path: str, source: str) -> list[first.TestFunction]:
    """The first set's test functions of ``source``, and those of ``unittest``-style classes
    (``...Test``, ``...Tests``), which pytest collects as well."""
    found = first_test_functions(path, source)
    try:
        tree = first.ast.parse(source)
    except SyntaxError:
        return found
    for node in tree.body:
        if isinstance(node, first.ast.ClassDef) and UNITTEST.search(node.name):
            wrapped = first.ast.Module(body=[first.ast.ClassDef(
                name=f"Test{node.name}", bases=[], keywords=[], body=node.body,
                decorator_list=[], type_params=[])], type_ignores=[])
            for fn in first_test_functions(path, first.ast.unparse(wrapped)):
                real = fn.node.replace(f"::Test{node.name}::", f"::{node.name}::")
                method = next(m for m in node.body if isinstance(
                    m, first.ast.FunctionDef | first.ast.AsyncFunctionDef)
                    and real.endswith(f"::{m.name}"))
                start = min([method.lineno, *(d.lineno for d in method.decorator_list)])
                found.append(first.TestFunction(real, start, method.end_lineno or start,
                                                fn.marked, fn.skipped))
    return found


first_test_functions = first.test_functions
first.test_functions = test_functions  # the builder's helpers look the name up at call time
UNITTEST = re.compile(r"(?<!^)Tests?$")


def build(repo: Path, per_repo: int, controls: int) -> list[dict[str, object]]:
    """The first set's cases of ``repo`` under this set's two exclusions and platform mark."""
    cases = []
    for case in first.build(repo, per_repo * 4, controls):
        message = first.git(repo, "log", "-1", "--format=%B", str(case["fix"]))
        if LINT.search(message):
            continue
        case["platform"] = "other" if PLATFORM.search(message) else "linux"
        cases.append(case)
    return cases[:per_repo]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-repo", type=int, default=4)
    parser.add_argument("--controls", type=int, default=10)
    args = parser.parse_args()
    rule = __doc__.split("The rule", 1)[1].split("Nothing of", 1)[0].strip()
    document: dict[str, object] = {"rule": rule, "excluded": first.EXCLUDED, "repositories": {}}
    repos: dict[str, object] = {}
    for repo in args.repos:
        name = repo.parent.name.replace("+", "/") if repo.name == "repo" else repo.name
        head = first.git(repo, "rev-parse", "HEAD").strip()
        cases = build(repo, args.per_repo, args.controls)
        repos[name] = {"head": head, "cases": cases}
        print(f"{name}: {len(cases)} case(s), "
              f"{sum(len(c['tests']) for c in cases)} function(s)", file=sys.stderr)  # type: ignore[arg-type,misc]
    document["repositories"] = repos
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
