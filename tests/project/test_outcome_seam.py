"""Every "the tests passed" is read through the test-runner seam (``runners/``, by the
decision "one in-run check for every 'the tests passed'"): no other module reads a run's test
report.

Why a project test: review's checked suggestions once read our pytest plugin's report alone
while the fix judge read pytest's runner through its in-run check; a suggestion that replaced
``Function.runtest`` with a no-op was posted as "Checked in the sandbox". Two ways of reading
"the tests passed", guarded unequally. The rule, per module of ``src/cicd_agent``:

- a sandboxed run's evidence pipe (``evidence=True``) is opened only by the seam's runners,
  the fix judge (the failed step's own command, whose pipe carries the in-run check's records,
  read by the driven runner's watch, ``PYTEST.watches.watch``, as its own runs' are), the one place
  that runs linters (their JSON reports: no test outcome) and the test step's sandboxed run
  (its standard output, as a run on the host prints it);
- the readers of a test report (:data:`READERS`: our plugin's, jest's and vitest's, the
  in-run check's, the JUnit report of a judged run) are imported only by :data:`MAY_READ`.

Everything else gets a :class:`~cicd_agent.runners.base.TestReport` or the pytest
runner's ``Evidence``, which the in-run check already judged.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.harness.payloads import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "cicd_agent"
SEAM = Path("runners")
OPENS_PIPE = {
    Path("modes/analyse_failure/fix/judge/verifier.py"): "the fix judge: the failed step's "
    "command, watched by the in-run check",
    Path("modes/review/lint/lint_command.py"): "the linters' JSON reports, on the head, the base "
    "and a suggestion's copy (no test outcome)",
    Path("sandbox/step.py"): "the test step's command in the sandbox: its standard output, "
    "as a run on the host prints it (read by the runners' step methods)",
}
READERS = {
    "parse_evidence", "read_report", "passed_tests", "by_process", "in_run_problem",
    "missing_evidence", "guard_problem", "in_run_check_loaded", "outcomes", "named_runs",
}  # fmt: skip
"""Functions that turn a run's raw report into test outcomes (by name, wherever they live)."""
LINT_REPORTS = "cicd_agent.modes.review.lint.lint_reports.read_report"
MAY_READ = {
    Path("modes/review/lint/lint_command.py"): {LINT_REPORTS},  # linters
}  # fmt: skip
"""Who may read a raw report other than the seam, and with what: the linters' readers (the fix
judge reads the failed step's own command through the driven runner's watch)."""


def outside_the_seam(tree: ast.Module, where: Path) -> list[str]:
    """Where the module ``where`` (relative to the package) reads test outcomes outside the seam."""
    if where.is_relative_to(SEAM):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and where not in OPENS_PIPE:
            for keyword in node.keywords:
                if keyword.arg == "evidence" and isinstance(keyword.value, ast.Constant) \
                        and keyword.value.value is True:  # fmt: skip
                    found.append(f"{where}:{node.lineno}: opens a run's evidence pipe")
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if alias.name in READERS and name not in MAY_READ.get(where, set()):
                    found.append(f"{where}:{node.lineno}: reads test outcomes with {name}")
    return found


def test_no_module_reads_test_outcomes_outside_the_seam() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE)
        found += outside_the_seam(ast.parse(path.read_text(encoding="utf-8")), where)
    assert found == [], "read test outcomes through runners/ (a TestReport)"


OLD_SUGGESTED = '''
from cicd_agent.verify.js_tests import NODE_OPTIONS, passed_tests

def _js_tests(self, space, runner, tests, timeout):
    run = self.sandbox.run(argv, space, timeout=timeout, extra_env=options, evidence=True)
    return passed_tests(run.evidence.decode(), "/r", run.returncode, tests)
'''


def test_the_rule_finds_the_reader_review_once_had() -> None:
    """The rule on review's own reading of jest's report before the seam (and on a mode that
    opens a pipe of its own): each is found; the same text inside the seam is not."""
    tree = ast.parse(OLD_SUGGESTED)
    assert outside_the_seam(tree, Path("modes/review/lint/lint_command.py")) == [
        "modes/review/lint/lint_command.py:2: reads test outcomes with "
        "cicd_agent.verify.js_tests.passed_tests"
    ]
    assert "opens a run's evidence pipe" in outside_the_seam(
        tree, Path("modes/review/keeps_passing.py")
    )[-1]  # the suggestion check runs its linters through lint_command only
    assert outside_the_seam(tree, Path("modes/gen_tests/gate.py")) == [
        "modes/gen_tests/gate.py:2: reads test outcomes with cicd_agent.verify.js_tests.passed_tests",
        "modes/gen_tests/gate.py:5: opens a run's evidence pipe",
    ]
    assert outside_the_seam(tree, Path("runners/jest/runner.py")) == []


def test_no_runner_linter_or_fixer_finds_its_program_but_through_job_tools() -> None:
    """The program that runs as a test runner, linter or fixer is the job's install, never a
    file of the pull request: ``local/job_tools.job_tool`` is the one place that looks one up
    (two answers once stood side by side, one of them blind to a committed link)."""
    found = [
        str(path.relative_to(PACKAGE))
        for folder in ("verify", "modes")
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        if "which(" in path.read_text(encoding="utf-8") and path.name != "job_tools.py"
    ]
    assert found == [], "find the program with cicd_agent.local.job_tools.job_tool"
