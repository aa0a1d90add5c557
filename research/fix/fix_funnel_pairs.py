"""Bug/fix pairs from a project's history and their broken checkouts (research/fix/fix_funnel.py).

Steps 1 and 2 of research/fix/fix_funnel.py's docstring: pick the fix commits that came with a test,
then build each one's broken checkout and keep the pair only when its test fails there and
passes with the historical fix.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_LINES = 60
TEST_TIMEOUT = 180
_FIX = re.compile(r"\bfix", re.IGNORECASE)


def git(repo: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        input=input,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args[:3])}: {done.stderr.strip()[:300]}")
    return done.stdout


def is_test(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        any(part in {"test", "tests", "testing"} for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@dataclass
class Pair:
    """One bug fix with its test, from a project's history."""

    project: str
    sha: str
    subject: str
    tests: list[str]
    sources: list[str]
    source_lines: int
    checkout: Path | None = None
    fix_diff: str = ""
    command: str = ""
    status: str = "candidate"
    failing_output: str = ""

    @property
    def name(self) -> str:
        return f"{self.project}@{self.sha[:10]}"


def candidate_pairs(mirror: Path, project: str, limit: int) -> list[Pair]:
    """Fix commits that came with a test (step 1 of the module docstring), newest first."""
    log = git(
        mirror, "log", "--no-merges", "--first-parent", "--format=%x00%H %s", "--numstat", "HEAD"
    )
    pairs: list[Pair] = []
    for entry in log.split("\0")[1:]:
        head, *stats = entry.strip().splitlines()
        sha, _, subject = head.partition(" ")
        if not _FIX.search(subject) or "typo" in subject.lower():
            continue
        tests, sources, lines = [], [], 0
        for row in stats:
            added, removed, path = [*row.split("\t"), "", "", ""][:3]
            if not path.endswith(".py") or "=>" in path:
                continue
            if is_test(path):
                tests.append(path)
            else:
                sources.append(path)
                lines += int(added or 0) + int(removed or 0) if added.isdigit() else 999
        if tests and 1 <= len(sources) <= 3 and lines <= MAX_SOURCE_LINES:
            pairs.append(Pair(project, sha, subject, tests, sources, lines))
        if len(pairs) >= limit * 3:
            break
    return pairs


def python_env(checkout: Path) -> dict[str, str]:
    """The environment the project's tests run in: our interpreter, the checkout importable."""
    path = os.pathsep.join(str(checkout / part) for part in ("src", "."))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def run_tests(checkout: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        shell=True,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=TEST_TIMEOUT,
        env=python_env(checkout),
        check=False,
    )


def reproduce(mirror: Path, pair: Pair, work: Path) -> None:
    """Build the broken checkout and check the test fails there and passes with the fix."""
    checkout = work / pair.project / pair.sha[:12]
    if checkout.exists():
        shutil.rmtree(checkout)
    checkout.parent.mkdir(parents=True, exist_ok=True)
    git(work, "clone", "-q", "--shared", "--no-checkout", str(mirror), str(checkout))
    git(checkout, "checkout", "-q", f"{pair.sha}^")
    git(checkout, "config", "user.name", "fix funnel")
    git(checkout, "config", "user.email", "funnel@example.invalid")
    test_diff = git(checkout, "diff", f"{pair.sha}^", pair.sha, "--", *pair.tests)
    git(checkout, "apply", "--index", "-", input=test_diff)
    git(checkout, "commit", "-q", "--no-verify", "-m", "tests of the change under test")
    pair.fix_diff = git(checkout, "diff", f"{pair.sha}^", pair.sha, "--", *pair.sources)
    pair.checkout = checkout
    present = [path for path in pair.tests if (checkout / path).is_file()]
    if not present:
        pair.status = "no test file left"
        return
    pair.command = (
        f"PYTHONPATH=src:. {shlex.quote(sys.executable)} -m pytest -q -x -p no:cacheprovider "
        + " ".join(shlex.quote(path) for path in present)
    )
    try:
        broken = run_tests(checkout, pair.command)
        if broken.returncode == 0:
            pair.status = "test passes without the fix"
            return
        if broken.returncode not in (1,):
            pair.status = f"test cannot run here (pytest exit {broken.returncode})"
            return
        git(checkout, "apply", "-", input=pair.fix_diff)
        fixed = run_tests(checkout, pair.command)
    except subprocess.TimeoutExpired:
        pair.status = "test timed out"
        return
    finally:
        git(checkout, "checkout", "-q", "--", ".")
    if fixed.returncode != 0:
        pair.status = "test fails with the fix too"
        return
    pair.status = "reproduced"
    pair.failing_output = broken.stdout[-6000:]
