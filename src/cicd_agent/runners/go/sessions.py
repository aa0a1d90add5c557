"""go test's sessions in the sandbox, as the test step's flaky-test fixer drives them: one
``go test -json`` over the copy, read with the in-run check every run of ours has.

Each session's tests are named as the test step names them (``example.com/m/calc.TestX``), so
the fixer finds the step's flaky tests among them: a test the fixer's chosen order ran as a
subtest of ours (the one its ``-run`` names, never a project's test of a name like it) gets
its own name back, its subtests left out (the fixer orders top-level tests only). The in-run
check's example is left out of these sessions (a chosen order's ``-run`` selects only our
test); its benchmark, which the testing package runs only once every test of the binary
passed, still has to agree with go's verdict on each package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TypeVar

from cicd_agent.local.checkout_files import walk_files
from cicd_agent.local.job_tools import job_tool
from cicd_agent.runners.base import on_pipe
from cicd_agent.runners.go.build_cache import CACHE, seed
from cicd_agent.runners.go.in_run_check import add_in_run_check, passes_by_package, read_events
from cicd_agent.runners.go.log import go_event
from cicd_agent.runners.go.profile import module_path
from cicd_agent.runners.go.runner import ENVIRONMENT, repeat_counts
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.sessions import Evidence, Outcomes, SessionSandbox
from cicd_agent.sandbox import RunResult, Sandbox, Workspace

ORDERED = "Test_cicdOrder"
"""How the name of our test that runs a chosen order starts (a random part follows)."""
_CHOSEN = re.compile(rf"^-run=\^({ORDERED}[0-9a-f]{{16}})\$$")
"""The ``-run`` word of a chosen order, naming our test."""
_MARK = re.compile(r"^\s+[\w.+-]+_test\.go:\d+: .*")
"""The testing package's mark of a failing check in a test file."""
_COUNT = re.compile(r"^--?count=(\d+)$")
_NOT_TESTED = frozenset({"vendor", "testdata", "node_modules"})
"""Folders ``./...`` leaves out, searched for no test file."""
_T = TypeVar("_T")
WARM = 300.0
"""Seconds our one run that fills the standard-library build cache may take."""


class GoSandbox(SessionSandbox):
    """The sandbox of go test's sessions: each run gets a fresh home, with a copy of the build
    cache of the standard library our own first run with that go left."""

    temp_prefix = "cicd-agent-go-orders-"

    def session(
        self,
        argv: Sequence[str],
        space: Workspace,
        *,
        timeout: float,
        extra_env: Mapping[str, str] | None = None,
        shared: Sequence[Path] = (),
        patched: PatchedLines | None = None,
    ) -> tuple[RunResult, Evidence]:
        """Run ``argv`` (``go test`` and its words) in ``space`` with the in-run check's
        benchmark beside every test file, and read go's events. ``patched`` is not watched: a
        guard on changed lines is pytest's alone."""
        environ = self.environment(space)
        go = job_tool("go", self.checkout, environ)
        if not isinstance(go, str):
            said = "there is no go to run"
            return RunResult(tuple(argv), 127, False, said, 0.0), Evidence(None, said)
        words = [go, *argv[1:]] if argv and argv[0] == "go" else list(argv)
        own = {**ENVIRONMENT, "GOCACHE": str(space.home / CACHE)}
        seed(self, space, go, lambda box, ours: _warm(box, ours, go, own))
        tests = [f for f in walk_files(space.repo, _NOT_TESTED) if f.endswith("_test.go")]
        records = space.scratch("verdicts", "")
        records.mkdir()
        check = add_in_run_check(space.repo, tests, records)
        try:
            result = self.run(
                on_pipe([*words, *check.bench_flags()], self.evidence_variable),
                space,
                timeout=timeout,
                evidence=True,
                shared=(*shared, records),
                extra_env={**own, **(extra_env or {})},
            )
        finally:  # a copy's later sessions add their own
            for path in check.written:
                path.unlink(missing_ok=True)
        if result.timed_out or result.killed_for or result.sandbox_failure:
            return result, Evidence(None, f"go test {result.describe()}")
        stream = result.evidence.decode("utf-8", "replace")
        count = next((int(m.group(1)) for word in reversed(words) if (m := _COUNT.match(word))), 1)
        ended, why = read_events(
            stream,
            result.returncode,
            {},
            "",
            count,
            passes=passes_by_package(check, module_path(space.repo)),
        )
        if why:
            return result, Evidence(None, why)
        repeats = repeat_counts(stream, {}) if count > 1 else {}
        chosen = next((m.group(1) for word in reversed(words) if (m := _CHOSEN.match(word))), "")
        named = _named(ended, chosen)
        return result, Evidence(
            Outcomes(
                named,
                (),
                (),
                None if result.timed_out else result.returncode,
                checks=_checks(stream, chosen, named),
                repeats=_named(repeats, chosen),
            )
        )


def _warm(sandbox: Sandbox, space: Workspace, go: str, own: Mapping[str, str]) -> object:
    """Our module's tests, built as a session builds."""
    return sandbox.run(
        [go, "test", "-count=1", "./..."],
        space,
        timeout=WARM,
        extra_env={**own, "GOCACHE": str(space.home / CACHE)},
    )


def _named(found: Mapping[str, _T], chosen: str) -> dict[str, _T]:
    """``found`` (keyed ``package › test``) by the
    step's names, ``package.TestX``: ``chosen``, the ordering test this session wrote ("":
    none), left out, each test it ran by its own name; subtests left out. A project's test
    named as ours is not ours: its subtests stay subtests."""
    named: dict[str, _T] = {}
    for key, value in found.items():
        package, _, test = key.partition(" › ")
        own = test.removeprefix(f"{chosen}/") if chosen else test
        if own != chosen and "/" not in own:
            named[f"{package}.{own}"] = value
    return named


def _checks(stream: str, chosen: str, tests: Mapping[str, str]) -> dict[str, str]:
    """Each failed test of ``tests`` that failed by its own check: the testing package's mark
    of a ``t.Error``/``t.Fatal`` in a test file (``calc_test.go:12: got 1``) among what it or
    its subtests printed, and no ``panic:`` (a crash, whatever it printed before)."""
    printed: dict[str, list[str]] = {}
    for line in stream.splitlines():
        event = go_event(line)
        if event is None or event.get("Action") != "output" or not event.get("Test"):
            continue
        test = str(event["Test"])
        own = test.removeprefix(f"{chosen}/") if chosen else test
        key = f"{event.get('Package', '')}.{own.split('/', 1)[0]}"
        printed.setdefault(key, []).append(str(event.get("Output", "")))
    found: dict[str, str] = {}
    for test, outcome in tests.items():
        said = printed.get(test, [])
        marks = [mark.group(0).strip() for line in said if (mark := _MARK.match(line))]
        if (
            outcome == "failed"
            and marks
            and not any(line.lstrip().startswith("panic: ") for line in said)
        ):
            found[test] = marks[0][:300]
    return found


def package_folder(module: str, package: str) -> str | None:
    """The folder of the import path ``package`` in the module ``module`` (``.`` for the
    module's own), or None when it is no package of that module."""
    if package == module:
        return "."
    if module and package.startswith(f"{module}/"):
        folder = PurePosixPath(package.removeprefix(f"{module}/"))
        return None if ".." in folder.parts else folder.as_posix()
    return None
