"""The test runners cicd-agent knows: one folder each, one line of :data:`RUNNERS`.

:mod:`.base` describes the seam every runner implements (:class:`~.protocol.TestRunner`: its run and
in-run check for the verifier, its report's shape in a failed log for analyse-failure, its retry for
the test step, its test layout for gen-tests) and the report every run returns
(:class:`~.base.TestReport`). :data:`LOG_SHAPES` adds the shapes of runners whose logs are read
but which are never run (:mod:`.logs_only`). :data:`DRIVEN` is the one runner whose sessions
the verifier drives itself (:class:`~.sessions.Sessions`). CONTRIBUTING walks through adding one.

The folders: ``pytest/``, ``jest/``, ``vitest/`` (with ``js/``, what the two share), ``go/``,
``cargo/``, ``maven/``, each holding its sandboxed run and in-run check (``runner``), its report's
shape in a failed log (``log``) and its rows of the log signature table (``log.toml``); pytest's
and go's also their part of the test step (``step``: their retries, pytest's usage error and
changed-lines tracer; go's ``coverage``: a failed test's lone run under coverage); cargo's the
launcher of its repeats (``boot/``); pytest's folder says what else it holds. ``logs_only/`` holds
the shapes and signature rows of runners whose logs are read but which are never run: unittest,
node:test, mocha, PHPUnit, RSpec, AVA.

The modules beside them: ``base`` (what a run is: ``Selection``, ``TestReport``, ``Layout``, and
the helpers every runner's module shares), ``orders`` (``RunsInOrder``: tests run in
chosen orders and a set-up moved, for the test step's flaky-test fixer; ``IN_ORDER`` below),
``protocol`` (the ``TestRunner`` protocol, one small
protocol per consumer: docs/plugins.md, and ``RunnerDefaults``, the answers most runners share),
``layout`` (how gen-tests reads a runner's ``Layout`` of existing tests, and names a generated
one), ``named_files`` (where a test's dotted name leads: each runner's ``NamedFiles``, read by
``file_of_test`` for the owners of a flaky test), ``judge_files`` (``LoadsByName``: what a failed
step loads into a runner by name, pytest's plugins in its ``plugins``, read by the fix judge's
``modes/analyse_failure/named_files``), ``shape`` (``RunnerShape``), ``junit`` (a JUnit report's
outcomes, and where a run writes it), ``sessions`` (the sessions the verifier drives itself,
their ``Sessions`` protocol, and ``StepWatch``, the fix judge's watch on a failed step's own
command),
``patched_lines`` (what a patch changes, as every patched run is told, and the static rules every
patch meets first) with ``import_time`` (a patch's code that runs as its module is imported),
``same_sides`` (an assertion comparing a value with itself), ``js/scopes`` and ``js/load_time``
(JavaScript read by its tokens, and a patch's code that runs as its module loads). ``RUNNERS`` and
``LOG_SHAPES`` are below.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from cicd_agent.runners import logs_only, named_files
from cicd_agent.runners.base import Selection
from cicd_agent.runners.cargo.runner import CargoTest
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js.runner import PACKAGE_TEST, test_script
from cicd_agent.runners.maven.runner import MavenJUnit
from cicd_agent.runners.orders import RunsInOrder
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.protocol import TestRunner
from cicd_agent.runners.pytest.orders import PytestOrders
from cicd_agent.runners.pytest.runner import Pytest
from cicd_agent.runners.sessions import Sessions
from cicd_agent.runners.shape import Place, RunnerShape
from cicd_agent.runners.vitest.runner import Vitest
from cicd_agent.sandbox import Sandbox, ToolMount, Workspace

RUNNERS: tuple[TestRunner, ...] = (
    Pytest(),
    Jest(),
    Vitest(),
    GoTest(),
    CargoTest(),
    MavenJUnit(),
)
"""Every runner, in the order a checkout is asked which it uses."""


def _driven() -> tuple[TestRunner, Sessions]:
    """The one runner of :data:`RUNNERS` that declares :attr:`~.protocol.TestRunner.sessions`."""
    found = [(runner, sessions) for runner in RUNNERS if (sessions := runner.sessions) is not None]
    if len(found) != 1:
        raise LookupError(f"{len(found)} runners declare sessions the verifier drives, not one")
    return found[0]


DRIVEN, SESSIONS = _driven()
"""The runner whose sessions the verifier's own loops over Python's tests drive (the flaky
hunt's rounds, gen-tests' gate and coverage meter), and how: every runner's runs are made in
its :attr:`~.sessions.Sessions.sandbox`."""

LOG_SHAPES: tuple[RunnerShape, ...] = tuple(
    dict.fromkeys((*(runner.log_shape for runner in RUNNERS), *logs_only.SHAPES))
)
"""Every report shape a failed log is read with, each once (jest and vitest share theirs): the
runners' first, in their order, then those of runners only read."""


IN_ORDER: Mapping[str, RunsInOrder] = {"pytest": PytestOrders()}
"""The runners, by name, whose tests the test step's flaky-test fixer runs in orders of its
choosing (:class:`~.orders.RunsInOrder`)."""


def placing(report: Sequence[tuple[int, str]], checkout: Path | None) -> Place:
    """Where a file a failed job's report (its numbered lines) names lies: the first runner's
    answer whose log shape places such names (:attr:`RunnerShape.places`; ``OUTSIDE`` for
    none of the project's), None where none does."""
    places = [shape.places(report, checkout) for shape in LOG_SHAPES if shape.places]

    def place(file: str, line: int, changed: Sequence[str]) -> str | None:
        return next((found for each in places if (found := each(file, line, changed)) is not None),
                    None)  # fmt: skip

    return place


def configured(checkout: Path) -> tuple[TestRunner, ...]:
    """The runners the repository in ``checkout`` configures."""
    return tuple(runner for runner in RUNNERS if runner.configured(checkout))


def running(command: str, checkout: Path | None = None) -> TestRunner | None:
    """The runner a failed step's ``command`` runs (None: no test runner the seam knows); a
    package manager's ``test`` script (``npm test``, ``yarn test``, ``pnpm test``) runs the one
    ``package.json``'s ``scripts.test`` names, read in ``checkout`` when given."""
    found = next((runner for runner in RUNNERS if runner.runs(command)), None)
    if found is None and checkout is not None and PACKAGE_TEST.search(command):
        script = test_script(checkout)
        found = next((runner for runner in RUNNERS if script and runner.runs(script)), None)
    return found


def file_of_test(checkout: Path, test: str) -> str:
    """The file of ``test`` (a canonical, dotted name, whichever runner named it) in
    ``checkout``; "" when none is there (:func:`~.named_files.file_of_test`)."""
    return named_files.file_of_test(checkout, test, RUNNERS)


def tool_mounts(environ: Mapping[str, str]) -> tuple[ToolMount, ...]:
    """The folders every runner's toolchain needs in a sandbox of the job whose environment is
    ``environ`` (:meth:`~.protocol.Runner.tool_mounts`), each once: what every sandbox is
    built with."""
    return tuple(dict.fromkeys(mount for runner in RUNNERS for mount in runner.tool_mounts(environ)))


def named(name: str) -> TestRunner | None:
    """The runner called ``name``."""
    return next((runner for runner in RUNNERS if runner.name == name), None)


def for_file(path: str, checkout: Path, environ: Mapping[str, str]) -> TestRunner | str:
    """The runner whose tests exercise ``path`` in this job, or the clause saying why no test
    runs ("" when no runner knows such files): one installed runner is the one; of several, the
    one the repository's configuration names (``package.json``'s ``devDependencies`` between
    jest and vitest); of none, the one it names is the one to install."""
    mine = [runner for runner in RUNNERS if path.endswith(runner.suffixes)]
    ready = [runner for runner in mine if not runner.missing(checkout, environ)]
    if len(ready) > 1:
        chosen = [runner for runner in ready if runner.configured(checkout)]
        if len(chosen) != 1:
            names = " and ".join(runner.name for runner in ready)
            return (f"no tests were run: {names} are all installed and the repository's "
                    "configuration does not choose one")  # fmt: skip
        ready = chosen
    if ready:
        return ready[0]
    wanted = [runner for runner in mine if runner.configured(checkout)] or mine
    return f"no tests were run: {wanted[0].name} {wanted[0].missing(checkout, environ)}" \
        if wanted else ""  # fmt: skip


def settings_problem(runner: TestRunner, paths: Collection[str]) -> str:
    """Why a fix judged by ``runner`` may not write ``paths`` ("" when it may): one is among
    the runner's settings (:attr:`~.protocol.TestRunner.settings`), which judge, not code."""
    for path in paths:
        if any(fnmatchcase(PurePosixPath(path).name, pattern) for pattern in runner.settings):
            return (f"the patch changes {path[:200]}, part of {runner.name}'s settings: a fix "
                    "changes code, not what judges it")  # fmt: skip
    return ""


def failing_tests_pass(
    runner: TestRunner,
    sandbox: Sandbox,
    space: Workspace,
    failed: Collection[str],
    *,
    patched: Collection[str],
    timeout: float,
    changed: PatchedLines | None = None,
) -> str:
    """Why ``runner``'s own report of the whole suite in ``space`` does not show each test the
    log named failing (``failed``: ``TestAdd``, ``suite › test``) run and passed, in a file the
    patch (its files: ``patched``) leaves alone, and no test failing ("" when it does): a
    step's exit code is the word of the code it runs, and a fix that edits the failing test's
    own file (Rust's ``#[cfg(test)]`` module beside the code) proves nothing. ``changed``: the
    patch's lines, whose static rule the runner applies first (:class:`.base.Selection`)."""
    if not failed:
        return (f"not verified: the log names no failing test, so {runner.name}'s report "
                "cannot show it passing")  # fmt: skip
    report = runner.run(sandbox, space, Selection(changed=changed), timeout=timeout)
    if report.problem:
        return f"not verified: {report.problem}"
    failing = sorted(test for test, outcome in report.outcomes.items() if outcome == "failed")
    if failing:
        return f"not verified: {runner.name}'s report shows {failing[0][:200]} failing"
    passed = [test.partition(" › ")[::2] for test in report.passed()]
    for name in failed:
        named = name.replace(" › ", " ")  # jest's log names ``suite › test``, its report "suite test"
        files = [file for file, test in passed if test in (name, named) or test.endswith(f"/{name}")]
        if not files:
            return (f"not verified: {runner.name}'s report ({len(report.outcomes)} test(s)) "
                    f"does not show {name[:200]} passing")  # fmt: skip
        if any(file in patched or not PurePosixPath(file).suffix for file in files):
            return (f"not verified: the patch changes the file of {name[:200]}, or its report "
                    "does not say which file holds it")  # fmt: skip
    return ""
