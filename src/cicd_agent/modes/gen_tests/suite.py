"""The user's own test suite, run whole under coverage: the baseline, and the run after.

``run_suite`` is what collect measures the change against (run twice, to tell flaky tests) and
what prompt measures the accepted tests with; ``cannot_run`` tells a suite that failed from a
test command that never got to run its tests (a usage error, exit 2, rather than coverage that
says nothing).
"""

from __future__ import annotations

import re
import shlex

from cicd_agent.modes.gen_tests.coverage_gaps import CoverageMeter, CoverageReport
from cicd_agent.modes.gen_tests.gate import PLUGIN, ProjectCommand, SuiteBaseline
from cicd_agent.runner.errors import UsageError
from cicd_agent.sandbox import RunResult, remove_tree
from cicd_agent.verify.reruns import Evidence
from cicd_agent.verify.reruns import PytestSandbox as Sandbox


def run_suite(
    sandbox: Sandbox,
    meter: CoverageMeter,
    command: ProjectCommand,
    *,
    timeout: float,
    label: str,
    rerun: bool = False,
) -> tuple[SuiteBaseline, CoverageReport, RunResult]:
    """Run the user's suite, as it stands in the pristine copy, under coverage; with ``rerun``
    (pytest only), once more in the same copy, as a candidate's suite stage runs after its
    earlier stages there: a test whose outcome differs between the two runs is flaky."""
    space = sandbox.workspace(label)
    again: Evidence | None = None
    try:
        argv = list(command.suite)
        if command.is_pytest:
            argv += PLUGIN
        result, evidence, coverage = meter.measure(argv, space, timeout=timeout, suite=True)
        outcomes = evidence.outcomes if command.is_pytest else None
        if rerun and outcomes is not None and not cannot_run(command, result, evidence):
            second, told = sandbox.pytest(argv, space, timeout=timeout)
            again = None if second.timed_out else told
    finally:
        remove_tree(space.root)
    problem = cannot_run(command, result, evidence)
    if problem:
        raise UsageError(
            f"the test command `{shlex.join(command.suite)}` could not run: {problem}",
            hint=(
                "The sandbox failed, not the project: check that bubblewrap runs on this runner "
                "(or report it to cicd-agent with this line)."
                if result.sandbox_failure
                else "Point test-command at your tests (e.g. `python -m pytest tests`)."
                if problem.startswith("no tests")
                else "Install the project and its test tools in an earlier step (e.g. "
                "`pip install -e . pytest`), or set test-command to a command that runs them."
            ),
        )
    passed = outcomes.passed() if outcomes is not None else None
    ran = len(outcomes.tests) if outcomes is not None else None
    flaky: frozenset[str] = frozenset()
    if passed is not None and outcomes is not None and again is not None and again.outcomes:
        both = outcomes.tests.keys() & again.outcomes.tests.keys()
        flaky = frozenset((passed ^ again.outcomes.passed()) & both)
        passed -= flaky  # held against no candidate: it fails without one
    baseline = SuiteBaseline(result.returncode, result.seconds, passed, ran, flaky)
    return baseline, coverage, result


# The lines a command that never got to run its tests ends with: a missing module, a missing
# program (bwrap's ``execvp``, a shell's "not found"), pytest's own usage errors.
_CANNOT_RUN = re.compile(
    r"No module named [\w.'\"]+|execvp .+|command not found|: not found$|"
    r"^ERROR: (?:file or directory not found|usage)[^\n]*|^E?\s*ModuleNotFoundError: [^\n]+",
    re.M,
)
_PYTEST_NO_TESTS = 5
_PYTEST_USAGE = 4


def cannot_run(command: ProjectCommand, result: RunResult, evidence: Evidence) -> str:
    """Why the suite never ran its tests, in the command's own words ("" when it did).

    A missing interpreter module (``No module named pytest``), a missing program, pytest's
    usage error and pytest collecting no test at all are a test command that cannot run:
    a usage error, not a suite whose coverage could say anything about the change."""
    if result.sandbox_failure:
        return f"the sandbox could not start it ({result.sandbox_failure})"
    if result.timed_out or result.killed_for or result.returncode == 0:
        return ""
    lines = [line.strip(" =") for line in result.output.splitlines() if line.strip(" =")]
    said = [m.group(0).strip() for line in lines if (m := _CANNOT_RUN.search(line))]
    outcomes = evidence.outcomes
    if command.is_pytest and outcomes is not None:
        # pytest ran a session: only its own "nothing collected" or usage error count.
        if outcomes.exitstatus == _PYTEST_NO_TESTS and not outcomes.tests:
            return next((line for line in reversed(lines) if line.startswith("no tests ran")),
                        "no tests ran (pytest collected none)")  # fmt: skip
        if outcomes.exitstatus == _PYTEST_USAGE:
            return said[-1] if said else (lines[-1] if lines else "pytest usage error")
        return ""
    if result.returncode == 127 or (command.is_pytest and outcomes is None):
        return said[-1] if said else (lines[-1] if lines else f"exit {result.returncode}")
    # Another runner (make, tox, a script): only when its last words say it could not start.
    return said[-1] if said and lines and said[-1] in lines[-1] else ""
