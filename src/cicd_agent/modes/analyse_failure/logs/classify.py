"""One failure type for a failed job, from its ranked findings and the runner's verdicts.

Runner-level facts (timeout, out of memory, disk full, lost runner) decide outright: whatever a
tool printed afterwards is a consequence. Otherwise the best finding that implies a type names
it, with two corrections learned from real logs: a resolver error preceded by network errors is
the network's fault (pip prints "no matching distribution" for an unreachable index too), and a
missing Python module that is the project's own is a broken import, not a missing dependency.
Exit codes and the API's conclusion are the last resort. Flakiness is never guessed from one
log: it needs evidence about other runs, weighed by the mode's ``flakiness`` module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import PurePosixPath

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.flaky import TEST_TIMEOUT
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from cicd_agent.modes.analyse_failure.logs.runner_reports import failing_tests

_EXIT_CODE_TYPES = {
    124: FailureType.TIMEOUT,
    127: FailureType.CONFIG_ERROR,
    137: FailureType.OOM,
    143: FailureType.INFRASTRUCTURE,
}
_CONCLUSION_TYPES = {
    "timed_out": FailureType.TIMEOUT,
    "cancelled": FailureType.INFRASTRUCTURE,
    "startup_failure": FailureType.CONFIG_ERROR,
}
_LINTER_MARKS = ("clippy::", "implied by `-D warnings`", "cargo clippy")
_CONFIG_FILES = (
    "Cargo.toml",
    "package.json",
    "tsconfig.json",
    "pom.xml",
    "pyproject.toml",
    "setup.cfg",
    ".yml",
    ".yaml",
    ".ini",
    "go.mod",
    "build.gradle",
    "Makefile",
)


def local_module_roots(paths: Iterable[str]) -> set[str]:
    """Names a project's own modules can have, from the paths seen in its logs and changes."""
    roots: set[str] = set()
    for path in paths:
        parts = PurePosixPath(path.replace("\\", "/")).parts
        roots.update(part for part in parts[:-1] if part.isidentifier())
        if parts:
            roots.add(PurePosixPath(parts[-1]).stem)
    return roots


def classify(
    ranked: Sequence[LogFinding],
    *,
    exit_codes: Sequence[int],
    conclusion: str | None,
    step_names: Sequence[str],
    local_roots: set[str],
    lines: Sequence[str] = (),
) -> FailureType:
    """The failure type of one job whose findings are ``ranked`` best first.

    ``lines`` (the failed steps' text) tell a linter that speaks through the compiler (clippy)
    from the compiler itself.
    """
    late = late_kills(ranked)
    for finding in ranked:
        if finding.hit.match.signature.decisive and finding not in late:
            return finding.hit.match.signature.failure_type or FailureType.UNKNOWN
    failed = len(failing_tests(lines))
    for finding in ranked:
        module = finding.hit.match.groups.get("module")
        failure_type = finding.hit.match.signature.failure_type
        if failure_type is None or (module is not None and module.split(".")[0] in local_roots):
            continue  # a missing module that is the project's own: a broken import (docstring)
        network = any(f.hit.match.signature.name.startswith("network.") for f in ranked)
        if failure_type is FailureType.DEPENDENCY_ERROR and network:
            return FailureType.INFRASTRUCTURE
        if failure_type is FailureType.BUILD_ERROR and _linted(step_names, lines):
            return FailureType.LINT_ERROR
        if failure_type in (FailureType.BUILD_ERROR, FailureType.TYPE_ERROR) and _in_config(ranked):
            return FailureType.CONFIG_ERROR
        if failure_type is FailureType.TIMEOUT and failed > sum(map(_timed_out, lines)):
            return FailureType.TEST_FAILURE  # a test that failed its assertion is no timeout
        return failure_type
    for code in exit_codes:
        if code in _EXIT_CODE_TYPES:
            return _EXIT_CODE_TYPES[code]
    return _CONCLUSION_TYPES.get(conclusion or "", FailureType.UNKNOWN)


def _timed_out(line: str) -> bool:
    return TEST_TIMEOUT.search(line) is not None


def killed_after_report(ranked: Sequence[LogFinding]) -> list[LogFinding]:
    """``ranked`` with a time limit's kill (``timeout``'s exit 124) that
    came after a test runner's closing count of failed tests (mocha's ``5 failing``) put last:
    the tests had failed, each on its own message, before the process, which did not exit
    (mocha without ``--exit`` waits on open handles), was killed. The kill is a fact of its
    own (:func:`hung_after_report`), not why the tests failed. A hanging test can print such a
    count too; the failures above it are still failures, and the kill is still said."""
    late = late_kills(ranked)
    return [f for f in ranked if f not in late] + late


def late_kills(ranked: Sequence[LogFinding]) -> list[LogFinding]:
    """The findings of ``ranked`` that are a time limit's kill after a runner's closing count
    of failed tests, in the same step: no failure group of their own either."""
    summaries = {
        (f.step_index, f.hit.line) for f in ranked if f.hit.match.signature.name == _SUMMARY
    }
    return [
        f
        for f in ranked
        if f.hit.match.signature.name in KILLS
        and any(step == f.step_index and line < f.hit.line for step, line in summaries)
    ]


KILLS = frozenset({"timeout.exit_124"})
"""The signature of a time limit that ended the step: the ``timeout`` command's exit 124 (the
job's own limit still decides the type: it is the runner's, not the step's)."""
_SUMMARY = "test.summary"


def hung_after_report(failure_type: FailureType, signatures: Sequence[str]) -> str:
    """What a reader is told where a time limit ended a step whose tests had already failed
    ("" where it did not, or the run is typed a timeout and says so itself)."""
    if failure_type is FailureType.TIMEOUT or not KILLS & set(signatures):
        return ""
    return (
        "The step was also ended by a time limit (exit 124) after a "
        "closing count of failed tests was printed: the process did not exit once its tests "
        "ended (open handles; mocha waits on them unless run with --exit), or a test still "
        "running printed that count. Either way it is a fault of its own: the tests above "
        "failed on their own messages, not by time."
    )


def _linted(step_names: Sequence[str], lines: Sequence[str]) -> bool:
    """A compiler's errors that a linter raised (``cargo clippy -- -D warnings``)."""
    if any("clippy" in name for name in step_names):
        return True
    return any(mark in text for text in lines for mark in _LINTER_MARKS)


def _in_config(ranked: Sequence[LogFinding]) -> bool:
    """Every file the errors point at is a manifest or configuration file, not source."""
    paths = [f.hit.match.path for f in ranked if f.hit.match.path]
    return bool(paths) and all(path.endswith(_CONFIG_FILES) for path in paths)


ADVICE_FILE = "failure_advice.json"
"""The deterministic advice per failure type, ``{type: [fix kind, text]}``: words, kept as data."""


@cache
def advice_for(failure_type: FailureType) -> tuple[str, str]:
    """The fix kind (``code``, ``dependency``, ``config``, …) and the advice for
    ``failure_type``, a reader's next step when no model gives one."""
    from importlib.resources import files  # only when a run has failed jobs to advise on

    table = json.loads(files(__package__).joinpath(ADVICE_FILE).read_text(encoding="utf-8"))
    kind, text = table[failure_type.value]
    return str(kind), str(text)
