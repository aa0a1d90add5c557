"""Builds the frozen case set of real flaky tests from public histories.

Usage (bare git directories, e.g. from GitHub mirrors)::

    .venv/bin/python research/gen_tests/flaky_cases.py --out research/gen_tests/flaky_cases.json \
        [--per-repo 5] [--controls 10] GIT_DIR...

The case rule, fixed before any detector run:

- **A flaky fix** is a non-merge commit on the default branch (``HEAD``) whose message says
  flaky, flakey, flakiness, deflake, flakes, intermittent(ly), sporadic(ally), "fails
  randomly", "randomly fails" or rerun (whole words: ``flake8`` and ``pyflakes`` do not
  count), and whose diff changes the body or the decorators of at least one and at most three
  test functions (``test*``, not fixtures, at module level or in a class) that already
  existed at its parent and were not skipped (nor xfail) there. Reverts are left out, and so
  are the commits :data:`EXCLUDED` names, each with its reason (read before any run).
- **The flaky tests** of a case are those functions; the case runs the detector at the fix's
  **parent**, where they were still flaky.
- **Stable controls** are, at the same parent, test functions of the same file and of one other
  test file of the repository that no flaky fix in the whole history touched (by file and
  name), and that carry no flaky, skip or xfail decorator; up to ``--controls`` per case, drawn
  with a seed from the fix's sha.
- Per repository the newest ``--per-repo`` fixes are kept (older parents rarely install on a
  current Python).
- **Scoring** (fixed now too): a flaky function (all its parametrized ids together) is
  *detected* when the judge calls any of its ids flaky, *missed* when it calls every id stable,
  *failing* when no id is flaky and one never passed, else *unchecked*; a case whose test
  cannot be collected or imported at the parent here is *not runnable* (our environment, not
  the detector) and is reported apart. A control function is a *false flake* when any of its
  ids is called flaky. Intervals are Wilson 95 %.

Nothing of the checkouts is run here: the test functions are found with ``ast`` on the
parent's blobs.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

WORDS = re.compile(
    r"\b(?:de-?)?flak(?:y|ey|iness|es)\b|\bdeflak\w*|\bintermittent(?:ly)?\b|\bsporadic(?:ally)?\b"
    r"|\bfails? randomly\b|\brandomly fail\w*|\bre-?runs?\b",
    re.IGNORECASE,
)
MARKERS = re.compile(r"flaky|rerun|retry|retries|skip|xfail", re.IGNORECASE)
SKIPS = re.compile(r"skip|xfail", re.IGNORECASE)
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
MAX_FUNCTIONS = 3
EXCLUDED = {
    "94c709d99893f6c2e73618d6cdbe169ddb37871a": "trio: re-runs a formatter over the code; no flaky test",
    "4118c1f8d13be7c088f65bd2882e28292a6b5831": "trio: adds tracing to a flaky test, no fix",
    "f525768167acf198b120a59ce9ac2f286a1677cb": "tornado: unskips tests no longer flaky",
    "f144ef88e301a4b38bf1f48ca61e34994b57cd26": "xdist: 're-run' is looponfail's feature",
}


@dataclass(frozen=True)
class TestFunction:
    """A test function of a file at one commit: its node id and its lines (decorators in)."""

    node: str
    start: int
    end: int
    marked: bool
    """A decorator names flaky, rerun, retry, skip or xfail."""
    skipped: bool = False
    """A decorator names skip or xfail: at this commit the test does not run (or not as one)."""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, check=True,
        errors="replace",
    ).stdout  # fmt: skip


def is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return path.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def test_functions(path: str, source: str) -> list[TestFunction]:
    """The test functions of ``source`` (module level, or methods of a class)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[TestFunction] = []

    def add(node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str) -> None:
        decorators = [ast.unparse(d) for d in node.decorator_list]
        if not node.name.startswith("test") or any("fixture" in d for d in decorators):
            return
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        marked = any(MARKERS.search(d) for d in decorators)
        skipped = any(SKIPS.search(d) for d in decorators)
        found.append(TestFunction(f"{path}::{prefix}{node.name}", start, node.end_lineno or start,
                                  marked, skipped))  # fmt: skip

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            add(node, "")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    add(item, f"{node.name}::")
    return found


def changed_functions(repo: Path, parent: str, commit: str) -> dict[str, bool]:
    """The parent's test functions whose lines (or decorators) ``commit`` changes, each with
    whether it was skipped (or xfail) there."""
    diff = git(repo, "diff", "-U0", "--no-renames", parent, commit, "--", "*.py")
    touched: dict[str, bool] = {}
    path = ""
    functions: list[TestFunction] = []
    added: list[str] = []
    pending: tuple[int, int] | None = None

    def settle() -> None:
        if pending is None or not functions:
            return
        old, count = pending
        text = "\n".join(added)
        for fn in functions:
            if count:
                hit = fn.start <= old + count - 1 and old <= fn.end
            else:  # an insertion after line ``old``: inside, or a decorator right above
                hit = fn.start <= old < fn.end or (
                    old + 1 == fn.start and bool(MARKERS.search(text))
                )
            if hit:
                touched[fn.node] = fn.skipped

    for line in diff.splitlines():
        if line.startswith("diff --git"):
            settle()
            pending, added, functions, path = None, [], [], ""
        elif line.startswith("--- "):
            name = line[4:]
            path = name[2:] if name.startswith("a/") else ""
            if path and is_test_file(path):
                source = git(repo, "show", f"{parent}:{path}")
                functions = test_functions(path, source)
        elif (match := HUNK.match(line)) is not None:
            settle()
            old, count = int(match[1]), int(match[2] if match[2] is not None else 1)
            pending, added = (old, count), []
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    settle()
    return touched


def files_at(repo: Path, commit: str) -> list[str]:
    return [
        p for p in git(repo, "ls-tree", "-r", "--name-only", commit).splitlines() if is_test_file(p)
    ]


def build(repo: Path, per_repo: int, controls: int) -> list[dict[str, object]]:
    log = git(repo, "log", "HEAD", "--no-merges", "--format=%H%x1f%P%x1f%cI%x1f%B%x1e")
    fixes: list[dict[str, object]] = []
    touched_ever: set[str] = set()
    for entry in log.split("\x1e"):
        parts = entry.strip("\n").split("\x1f")
        if len(parts) != 4:
            continue
        sha, parents, date, message = parts
        said = WORDS.search(message)
        if said is None or len(parents.split()) != 1:
            continue
        changed = changed_functions(repo, parents, sha)
        touched_ever.update(changed)
        functions = [node for node, skipped in changed.items() if not skipped]
        if sha in EXCLUDED or message.startswith("Revert"):
            continue
        if 1 <= len(functions) <= MAX_FUNCTIONS:
            fixes.append({"fix": sha, "parent": parents, "date": date,
                          "subject": message.splitlines()[0][:160], "said": said[0],
                          "tests": functions})  # fmt: skip
    cases = []
    for fix in fixes[:per_repo]:
        parent = str(fix["parent"])
        rng = random.Random(str(fix["fix"]))
        own = sorted({str(t).split("::", 1)[0] for t in fix["tests"]})  # type: ignore[attr-defined]
        others = sorted(set(files_at(repo, parent)) - set(own))
        chosen_files = [*own, *rng.sample(others, min(1, len(others)))]
        pool: list[str] = []
        for path in chosen_files:
            source = git(repo, "show", f"{parent}:{path}")
            pool += [fn.node for fn in test_functions(path, source)
                     if not fn.marked and fn.node not in touched_ever]  # fmt: skip
        fix["controls"] = sorted(rng.sample(pool, min(controls, len(pool))))
        fix["why"] = (
            f"the message says {fix['said']!r} and the commit changes "
            f"{len(fix['tests'])} test function(s) that existed at its parent"
        )  # type: ignore[arg-type]
        cases.append(fix)
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-repo", type=int, default=5)
    parser.add_argument("--controls", type=int, default=10)
    args = parser.parse_args()
    document = {"rule": __doc__.split("The case rule", 1)[1].split("Nothing of", 1)[0].strip(),
                "excluded": EXCLUDED, "repositories": {}}  # fmt: skip
    for repo in args.repos:
        name = repo.parent.name.replace("+", "/") if repo.name == "repo" else repo.name
        head = git(repo, "rev-parse", "HEAD").strip()
        cases = build(repo, args.per_repo, args.controls)
        document["repositories"][name] = {"head": head, "cases": cases}  # type: ignore[index]
        print(f"{name}: {len(cases)} case(s)", file=sys.stderr)
    args.out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
