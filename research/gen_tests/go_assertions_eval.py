"""Go's assertion stage (stage 2) on real tests nobody here wrote: every ``TestX`` of every
``_test.go`` at HEAD of each Go repository in ``--mirrors`` (``owner+name/repo`` bare clones),
read with its folder's other test files as the package's helpers. A real test almost always
asserts, so each one read as asserting nothing is a refusal a right candidate of that style
would get. Compared with the rule of 7788cec2 (a failure call in the test's own text, by
regular expression). Run from the repository root:
``nice .venv/bin/python -m research.gen_tests.go_assertions_eval --mirrors DIR > OUT.tsv``;
one line per test read as asserting nothing (repo, file, test, whether the old rule did too),
then a summary line."""

import argparse
import re
import subprocess
from pathlib import Path, PurePosixPath

from cicd_agent.runners.go.assertions import same_package, unasserted_tests

_OLD_TEST = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
_OLD_CHECK = re.compile(r"\bt\.(?:Errorf?|Fatalf?|Fail(?:Now)?)\(|\b(?:assert|require)\.\w+\(")


def old_idle(text: str) -> set[str]:
    """7788cec2's rule: the tests whose own text holds no failure call (same sides aside)."""
    starts = [(found.start(), found.group(1)) for found in _OLD_TEST.finditer(text)]
    ends = [start for start, _ in starts[1:]] + [len(text)] * bool(starts)
    return {name for (start, name), end in zip(starts, ends, strict=True)
            if not _OLD_CHECK.search(text, start, end)}  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          errors="replace", check=True).stdout  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    mirrors = parser.parse_args().mirrors
    tests = old = new = both = 0
    for repo in sorted(mirrors.glob("*/repo")):
        names = [n for n in _git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()
                 if n.endswith("_test.go")]  # fmt: skip
        if not names:
            continue
        texts = {name: _git(repo, "show", f"HEAD:{name}") for name in names}
        for name, text in texts.items():
            folder = PurePosixPath(name).parent
            siblings = tuple(t for n, t in texts.items()
                             if n != name and PurePosixPath(n).parent == folder)  # fmt: skip
            count, idle = unasserted_tests(text, same_package(text, siblings))
            before = old_idle(text)
            tests, old, new = tests + count, old + len(before), new + len(idle)
            both += len(before & set(idle))
            for test in idle:
                print(f"{repo.parent.name}\t{name}\t{test}\t{'old too' if test in before else 'new'}")
    print(f"# {tests} tests; read as asserting nothing: old rule {old}, new {new} "
          f"({new - both} of them not by the old rule)")


if __name__ == "__main__":
    main()
