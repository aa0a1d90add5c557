"""A test runner's knowledge is its folder's (docs/plugins.md): the log reader holds no rule of
one runner's report. Go's were in it (its ``=== RUN``/``--- PASS`` spans, its ``-json``
events' ``Output``); they are go's log shape's fields now, which any runner may fill.
Docstrings may name a runner as an example; code may not."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cicd_agent"
READERS = sorted((SRC / "modes" / "analyse_failure" / "logs").glob("*.py"))
JOB = sorted((SRC / "job").glob("*.py"))
TEST_FILE_RULES = re.compile(r"_test\.go|src/test/(?:java|kotlin)|\.java\b")
GO_RULES = re.compile(r"=== \(\?:RUN|--- \(\?:PASS|_test\.go|\"Output\"")


def _code_strings(path: Path, nodes: list[ast.AST] | None = None) -> list[str]:
    """The string constants of ``path`` that are no docstring (``nodes``: its tree's nodes,
    when the caller walked it already)."""
    nodes = nodes if nodes is not None else list(ast.walk(ast.parse(path.read_text())))
    docstrings = {id(node.value) for node in nodes
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}  # fmt: skip
    return [node.value for node in nodes if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]  # fmt: skip


def test_the_log_reader_holds_no_rule_of_go_s_report() -> None:
    assert READERS, "READERS names no module: the log reader's folder moved"
    found = {path.name: hits for path in READERS
             if (hits := [s for s in _code_strings(path) if GO_RULES.search(s)])}  # fmt: skip
    assert not found, found


PYTEST_LINES = re.compile(r"\^_\{3,\}|\^=\{3,\}")
"""pytest's heading over a test's report (``____ test_a ____``) and its section line
(``==== … ====``): its log shape's ``reports`` and ``ends`` (``runners/pytest/log.py``)."""


def test_the_log_reader_reads_pytest_s_report_lines_from_its_shape() -> None:
    """A copy of pytest's report lines in the log reader would drift from its shape's."""
    found = {path.name: hits for path in READERS
             if (hits := [s for s in _code_strings(path) if PYTEST_LINES.search(s)])}  # fmt: skip
    assert not found, found


def test_the_run_s_own_modules_hold_no_runner_s_test_files() -> None:
    """Where go's or Maven's test files lie is their folders' (``named_files``), handed to the
    issues of flaky tests by the caller: job/ imports no runner and names none of their files."""
    assert JOB, "JOB names no module: job/ moved"
    found = {path.name: hits for path in JOB
             if (hits := [s for s in _code_strings(path) if TEST_FILE_RULES.search(s)])}  # fmt: skip
    assert not found, found


STEP = sorted((SRC / "modes" / "test_step").glob("*.py"))
RUNNER_NAMES = re.compile(r"\b(?:pytest|jest|vitest|go test|cargo|maven|mvn)\b|^-p$|PYTHONPATH")
EXAMPLE = re.compile(r"`[^`]*`")
"""A command quoted for a person (``e.g. `pytest -q` ``): an example in help text, no rule."""


def _names_compared(path: Path) -> list[str]:
    """Each comparison of a ``.name`` with a string in ``path``: a mode asking which runner it
    holds, to do that runner's part itself."""
    tree = ast.parse(path.read_text())
    return [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and any(isinstance(side, ast.Attribute) and side.attr == "name"
                    for side in (node.left, *node.comparators))]  # fmt: skip


def test_the_test_step_holds_no_runner_s_own_knowledge() -> None:
    """The test step asks its runner (the seam's ``RetriesStep``): how it runs, retries, stops
    on a usage error and records which tests ran the change. No runner's name, option, exit
    status or environment variable is the mode's, and it never asks which runner it holds."""
    assert STEP, "STEP names no module: the test step's folder moved"
    found = {path.name: hits for path in STEP
             if (hits := [s for s in _code_strings(path) if RUNNER_NAMES.search(EXAMPLE.sub("", s))]
                 + _names_compared(path))}  # fmt: skip
    assert not found, found


PYTEST = SRC / "runners" / "pytest"
PYTEST_MACHINERY = re.compile(r"PYTEST_ADDOPTS|--junit-?xml|junit_family|--cicd-|pytest -p\b")
"""How pytest is driven: its options' variable, its JUnit report's options, our plugin's options
and a plugin loaded by ``-p``."""
PYTEST_MODULES = ("pytest", "_pytest", "pluggy")
PYTEST_KNOWN = {
    Path("sandbox/run.py"): "every run's own pytest cache is set through PYTEST_ADDOPTS",
}
"""Modules outside pytest's folder that still hold how pytest is driven, and why: each one left
is work to do (a word of :class:`~cicd_agent.runners.sessions.Sessions` instead)."""


def pytest_s_knowledge(path: Path) -> list[str]:
    """What of pytest ``path`` holds in its code: an import of pytest or pluggy (a plugin of
    ours), or a string that drives pytest (:data:`PYTEST_MACHINERY`)."""
    nodes = list(ast.walk(ast.parse(path.read_text())))
    imported = [alias.name for node in nodes if isinstance(node, ast.Import)
                for alias in node.names] + [node.module for node in nodes
                                            if isinstance(node, ast.ImportFrom) and node.module]  # fmt: skip
    return [name for name in imported if name.split(".")[0] in PYTEST_MODULES] + [
        text[:80] for text in _code_strings(path, nodes) if PYTEST_MACHINERY.search(text)]


@functools.cache  # two tests read it: src is parsed once
def pytest_outside_its_folder() -> dict[Path, list[str]]:
    return {path.relative_to(SRC): found for path in sorted(SRC.rglob("*.py"))
            if not path.is_relative_to(PYTEST) and (found := pytest_s_knowledge(path))}  # fmt: skip


def test_pytest_s_own_modules_live_in_its_folder() -> None:
    """pytest's plugins of ours, its in-run check's readers and its report's options are
    ``runners/pytest/``'s: a module outside it that imports pytest or drives it fails here
    (the in-run check's plugins, ``runners/boot/``, and its readers once did)."""
    found = {str(where): hits for where, hits in pytest_outside_its_folder().items()
             if where not in PYTEST_KNOWN}  # fmt: skip
    assert not found, found


def test_each_module_still_holding_pytest_s_knowledge_is_still_there() -> None:
    """A module that stopped driving pytest itself leaves :data:`PYTEST_KNOWN`."""
    assert set(PYTEST_KNOWN) <= set(pytest_outside_its_folder())


def test_the_reader_finds_pytest_s_knowledge(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text('"""Runs PYTEST_ADDOPTS."""\nimport pytest\n')
    report = tmp_path / "report.py"
    report.write_text('OPTS = "PYTEST_ADDOPTS"\nWORDS = ["--junitxml=r.xml"]\n')
    told = tmp_path / "told.py"
    told.write_text('"""pytest with --junitxml, in prose."""\nNAME = "pytest"\n')
    assert pytest_s_knowledge(plugin) == ["pytest"]
    assert pytest_s_knowledge(report) == ["PYTEST_ADDOPTS", "--junitxml=r.xml"]
    assert pytest_s_knowledge(told) == []


REVIEW_JUDGE = SRC / "modes" / "review" / "keeps_passing.py"
PYTEST_WORDS = re.compile(r"ModuleNotFoundError|ImportError|^\.py$")


def test_review_s_suggestion_judge_reads_no_runner_s_output_nor_its_files() -> None:
    """Which test module pytest could not import, and which changed files Python imports first,
    are pytest's (``runners/pytest/``), handed over in its report and its selection: the judge
    that runs every runner's tests tests no suffix and reads no runner's words itself."""
    nodes = list(ast.walk(ast.parse(REVIEW_JUDGE.read_text())))
    found = [s for s in _code_strings(REVIEW_JUDGE, nodes) if PYTEST_WORDS.search(s)]
    suffix_tests = [ast.unparse(node) for node in nodes if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute) and node.func.attr == "endswith"]  # fmt: skip
    assert not found and not suffix_tests, (found, suffix_tests)


FIX_SETTINGS = SRC / "modes" / "analyse_failure" / "fix" / "judge" / "runner_settings.py"
PYTEST_SECTIONS = re.compile(r"\bpytest\b|\btox\b|testenv")


def test_the_fix_judge_asks_the_runner_which_shared_settings_are_its_own() -> None:
    """Which of ``pyproject.toml``'s tables and ``setup.cfg``'s sections are pytest's and tox's
    is pytest's folder's (its sessions' ``shared_settings``): the fix judge compares the parts
    the runner names and holds no section name of its own."""
    found = [s for s in _code_strings(FIX_SETTINGS) if PYTEST_SECTIONS.search(s)]
    assert not found, found
