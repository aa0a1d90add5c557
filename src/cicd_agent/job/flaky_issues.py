"""``test-step --issues``: each flaky test of the job's history gets its GitHub issue,
opened once and updated on later runs, its owners from CODEOWNERS at the trusted
commit, and closed once its test has passed a set number of runs in a row. Only on a run
whose outcomes were recorded (a push to the default branch): a pull request's runs open
nothing. A GitHub error is a line of the summary, never the step's fate.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from cicd_agent.analysis.codeowners import owners_of
from cicd_agent.analysis.flaky_issue import (
    FlakyEvidence,
    closing,
    issue_body,
    issue_key,
    issue_title,
)
from cicd_agent.analysis.flaky_stats import FlakyStat, StoredRun, stable
from cicd_agent.job.repo_config import codeowners
from cicd_agent.runner.errors import CicdError
from cicd_agent.runner.markdown import code_span

MAX_ISSUES = 10
"""Issues opened or updated a run, most CI time lost first (the rest wait for the next run)."""


def own(found: Sequence[FlakyStat], runs: Sequence[StoredRun], environ: Mapping[str, str],
        cwd: Path, *, commit: str | None, command: Sequence[str], today: date,
        stable_after: int) -> list[str]:  # fmt: skip
    """The summary's lines for the issues of ``found`` (the job's flaky tests over ``runs``,
    its history): each opened or updated, unless its test has passed its last
    ``stable_after`` runs; the open issue of such a test is closed, naming those runs."""
    from cicd_agent.github.client import connect  # the SDK: only where issues are asked for
    from cicd_agent.github.settings import settings_from_env

    calm = stable(runs, stable_after)
    if not found and not calm:
        return []
    lines = ["", "**Issues of the flaky tests:**"]
    try:
        client = connect(settings_from_env(environ))
        text = codeowners(cwd, commit)
        for stat in [stat for stat in found if stat.test not in calm][:MAX_ISSUES]:
            owners = owners_of(text, _file_of(cwd, stat.test))
            evidence = FlakyEvidence(stat, replay=shlex.join(command))
            outcome = client.upsert_flaky_issue(
                issue_key(stat.test), issue_title(stat.test),
                issue_body(evidence, owners, today), owners=owners,
            )  # fmt: skip
            why = f" ({outcome.reason})" if outcome.reason else ""
            lines.append(f"- {code_span(stat.test)}: {outcome.status}{why} {outcome.url}".rstrip())
        for done in client.close_stable_issues([closing(t, passed) for t, passed in calm.items()]):
            why = f" ({done.reason})" if done.reason else ""
            lines.append(f"- {done.what}: {done.status}{why} {done.url}".rstrip())
    except CicdError as error:
        lines.append(f"- not opened: {error}")
    return lines


ROOTS = ("", "src/test/java", "src/test/kotlin")
"""Where a dotted test name's file is looked for: the checkout, and Maven's test folders."""
TEST_FILES = (".py", ".java", ".kt", ".go", ".rs", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")


def _file_of(cwd: Path, test: str) -> str:
    """The file of ``test`` (a canonical, dotted name) in the checkout, whichever runner named
    it: its dotted parts walked as folders and a file name of one or more parts (pytest's
    ``tests.test_a.test_b``, jest's ``src.calc.test.js.adds``, JUnit's ``a.BTest.method`` under
    ``src/test/java``, go's package ``example.com.m.calc.TestX``: a module's prefix skipped, the
    package's first test file); "" when none is there (CODEOWNERS' ``*`` still owns it)."""
    parts = [part for part in test.split("[", 1)[0].split(".") if part]
    for root in ROOTS:
        for skip in range(len(parts)):
            found = _walk(cwd, root, parts[skip:])
            if found:
                return found
    return ""


def _walk(cwd: Path, folder: str, parts: Sequence[str]) -> str:
    """The first file (for go's package, its first ``_test.go`` file) ``parts`` name under
    ``folder``, a name taking one or more parts joined by dots."""
    for end in range(1, len(parts)):
        name = ".".join(parts[:end])
        path = f"{folder}/{name}" if folder else name
        if (cwd / path).is_file() and path.endswith(TEST_FILES):
            return path
        if (cwd / f"{path}.py").is_file() or (cwd / f"{path}.java").is_file():
            return f"{path}.py" if (cwd / f"{path}.py").is_file() else f"{path}.java"
        if (cwd / path).is_dir() and not (cwd / path).is_symlink():
            inner = _walk(cwd, path, parts[end:])
            if inner:
                return inner
            tests = sorted((cwd / path).glob("*_test.go"))
            if tests:  # go's package: its first test file stands for its folder
                return f"{path}/{tests[0].name}"
    return ""
