"""The verifier's judge of "this suggestion keeps the tests and the linter passing"
(``modes/review/keeps_passing.py``), in the real sandbox with real pytest and real ruff.

Attacks: a pull request's conftest that makes every run in the sandbox pass (it
notices the sandbox) is held at most as "not proof", never verified; a report forged beside
ours on the evidence pipe leaves the suggestion unchecked; one forged instead of ours (written
first, then ``os._exit`` with the status it claims) cannot be told from ours, and is therefore
labelled as the pull request's own code too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.known_tools import TOOLS
from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.modes.review.keeps_passing import KeepsPassing, KeepsPassingJudge
from cicd_agent.modes.review.lint.lint_command import LintCommand
from cicd_agent.runners.base import Selection
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.patched_lines import PatchedLines
from cicd_agent.runners.pytest.runner import Pytest, PytestSandbox
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import path_env
from tests.helpers.sandbox import needs_sandbox

MAIN = "import os\nimport sys\n\n\ndef sep():\n    return os.sep\n"
TESTS = (
    "from app import main\n\n\ndef test_sep():\n    assert main.sep() == '/'\n\n\n"
    "def test_has_sys():\n    assert main.sys\n"
)
PYPROJECT = '[project]\nname = "app"\n\n[tool.ruff.lint]\nselect = ["F"]\n'


def patch(finding: Finding, text: str) -> str:
    """The suggested patch: the finding's one line of ``text`` replaced by its suggestion (how
    review builds a suggestion's patch from a block is review's to test)."""
    assert finding.line is not None and finding.start_line is None
    lines = text.splitlines(keepends=True)
    new = [*lines[: finding.line - 1], finding.suggestion or "", *lines[finding.line :]]
    return file_diff(finding.path, text, "".join(new))


def _ruff() -> LintCommand:
    tool = next(t for t in TOOLS if t.label == "ruff" and t.checking is not None)
    assert tool.checking is not None
    executable = shutil.which("ruff", path=path_env())
    assert executable, "ruff is in the dev environment"
    checking = tool.checking
    return LintCommand("ruff", (executable, *checking.argv), checking.report, checking.suffixes)


def _project(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    repo = GitRepoBuilder(tmp_path / "project")
    files = {"pyproject.toml": PYPROJECT, "app/__init__.py": "", "app/main.py": MAIN,
             "tests/test_main.py": TESTS, **(extra or {})}  # fmt: skip
    repo.commit("start", files)
    return repo.path


def _claim(root: Path, line: int, new: str, gone: str = "F401") -> KeepsPassing:
    finding = Finding(rule=f"ruff/{gone}", severity="medium", category="lint",
                      path="app/main.py", line=line, title="t", body="b", suggestion=new)  # fmt: skip
    files = [str(p.relative_to(root)) for p in root.rglob("*.py")]
    tests = Pytest().tests_of("app/main.py", files)
    assert tests == ("tests/test_main.py",)
    return KeepsPassing(patch(finding, MAIN), ("app/main.py",), tests, (_ruff(),), gone, Pytest())


def _judge(root: Path, claim: KeepsPassing, *, proof: bool) -> object:
    with PytestSandbox(root, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        return KeepsPassingJudge(sandbox, budget=300, code_is_proof=proof).judge(claim)


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, KeepsPassingJudge]]:
    """The plain project and one judge of it (code from someone who can push), shared by the
    tests that judge a suggestion on it: as in review, one judge runs the head's tests and
    linter once for every claim on the same files, then each claim's own runs."""
    root = _project(tmp_path_factory.mktemp("suggested"))
    with PytestSandbox(root, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        yield root, KeepsPassingJudge(sandbox, budget=900, code_is_proof=True)


@needs_sandbox
def test_a_fix_that_keeps_the_tests_passing_is_held_and_says_what_ran(tmp_path: Path) -> None:
    root = _project(
        tmp_path, {"app/main.py": MAIN.replace("import sys\n", "import sys\nimport re\n")}
    )
    text = (root / "app/main.py").read_text()
    finding = Finding(rule="ruff/F401", severity="medium", category="lint", path="app/main.py",
                      line=3, title="t", body="b", suggestion="")  # fmt: skip
    files = [str(p.relative_to(root)) for p in root.rglob("*.py")]
    claim = KeepsPassing(patch(finding, text), ("app/main.py",), Pytest().tests_of("app/main.py", files),
                         (_ruff(),), "F401", Pytest())  # fmt: skip
    word = _judge(root, claim, proof=True)
    assert word.held, word  # type: ignore[attr-defined]
    assert word.said == (  # type: ignore[attr-defined]
        "Applied to the head in the sandbox and checked: 2 tests pass with it (1 test file(s), "
        "and ruff still pass)."
    )


@needs_sandbox
def test_a_fix_that_breaks_a_test_is_withheld_naming_the_test(
    head: tuple[Path, KeepsPassingJudge],
) -> None:
    root, checks = head
    word = checks.judge(_claim(root, 2, ""))  # removes `import sys`: test_has_sys
    assert not word.held and not word.unchecked  # type: ignore[attr-defined]
    assert word.broke == ("tests/test_main.py::test_has_sys",)  # type: ignore[attr-defined]


@needs_sandbox
def test_a_fix_that_adds_a_linter_error_is_withheld(head: tuple[Path, KeepsPassingJudge]) -> None:
    root, checks = head
    word = checks.judge(_claim(root, 6, "    return os.sep + nope\n", gone=""))
    assert not word.held and "ruff F821" in word.broke  # type: ignore[attr-defined]


FORCING_CONFTEST = """\
import os
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if "CICD_GENTESTS_EVIDENCE_FD" in os.environ:  # only where it notices the sandbox
        report.outcome = "passed"
"""


@needs_sandbox
def test_attack_a_conftest_forcing_passes_is_never_called_proof(tmp_path: Path) -> None:
    """The pull request's own conftest makes every test pass in the sandbox: the breaking fix
    passes the check, and the line under it says the tests are the pull request's own code."""
    root = _project(tmp_path, {"tests/conftest.py": FORCING_CONFTEST})
    word = _judge(root, _claim(root, 2, ""), proof=False)
    assert word.held  # type: ignore[attr-defined]  # the run cannot tell: that is the point
    said = word.said  # type: ignore[attr-defined]
    assert said.endswith(
        "The tests and linter settings are this pull request's own code, so this is not proof."
    )
    assert "verified" not in said.lower()


FORGER_CONFTEST = """\
import json
import os

FORGED = {"tests": {"tests/test_main.py::test_has_sys": "passed",
                    "tests/test_main.py::test_sep": "passed"}, "exitstatus": 0}


def pytest_configure(config):
    fd = os.environ.get("CICD_GENTESTS_EVIDENCE_FD")
    if fd and WHEN == "first":
        os.write(int(fd), json.dumps(FORGED).encode() + b"\\n")


def pytest_sessionfinish(session, exitstatus):
    fd = os.environ.get("CICD_GENTESTS_EVIDENCE_FD")
    if fd and WHEN == "last":
        os.write(int(fd), json.dumps(FORGED).encode() + b"\\n")
        os._exit(0)
"""


@needs_sandbox
def test_attack_a_report_forged_beside_ours_leaves_the_suggestion_unchecked(
    tmp_path: Path,
) -> None:
    """The pull request's conftest writes pytest's report itself, before ours: the pipe carries
    two reports, the claim gets no result and is never held."""
    conftest = f"WHEN = 'first'\n{FORGER_CONFTEST}"
    root = _project(tmp_path, {"tests/conftest.py": conftest})
    word = _judge(root, _claim(root, 2, ""), proof=False)
    assert not word.held and word.unchecked, word  # type: ignore[attr-defined]
    assert "2 outcome reports instead of one" in word.said  # type: ignore[attr-defined]


@needs_sandbox
def test_attack_a_report_forged_instead_of_ours_does_not_take_back_a_failure(
    tmp_path: Path,
) -> None:
    """The conftest writes the only report (every test passed) and ends the process with the
    status it claims, before our plugin writes. The in-run check streamed pytest's own failure of
    ``test_has_sys`` as it happened: the suggestion that broke it is withheld naming it."""
    conftest = f"WHEN = 'last'\n{FORGER_CONFTEST}"
    root = _project(tmp_path, {"tests/conftest.py": conftest})
    word = _judge(root, _claim(root, 2, ""), proof=False)
    assert not word.held and word.broke == ("tests/test_main.py::test_has_sys",), word  # type: ignore[attr-defined]


STUB = "import _pytest.python; _pytest.python.Function.runtest = lambda self: None\n"


@needs_sandbox
def test_attack_a_suggestion_that_stubs_pytest_is_never_posted_as_checked(
    head: tuple[Path, KeepsPassingJudge],
) -> None:
    """On code from someone who can push, a model's suggestion breaks ``sep`` and adds
    one line that replaces pytest's ``Function.runtest`` with a no-op as ``app/main.py`` is
    imported. Every test then "passes" in our plugin's report; the in-run check sees pytest's runner
    replaced and no test function run, and the seam's static rule (no code added that runs as
    the module is imported) stops the run before, so the suggestion is never held as checked."""
    root, checks = head
    broken = checks.judge(_claim(root, 6, "    return os.sep + 'broken'\n", gone=""))
    assert not broken.held and broken.broke == ("tests/test_main.py::test_sep",), broken
    word = checks.judge(_claim(root, 6, f"    return os.sep + 'broken'\n{STUB}", gone=""))
    assert not word.held, word
    assert "Checked in the sandbox" not in word.said
    assert "is imported" in word.said or "runner changed" in word.said, word


def test_tests_are_found_by_naming_convention_nearest_first() -> None:
    files = ["pkg/a/calc.py", "tests/test_calc.py", "pkg/a/test_calc.py", "other/calc_test.py",
             "tests/test_other.py"]  # fmt: skip
    assert Pytest().tests_of("pkg/a/calc.py", files) == (
        "pkg/a/test_calc.py", "other/calc_test.py", "tests/test_calc.py",
    )  # fmt: skip
    assert Pytest().tests_of("tests/test_other.py", files) == ("tests/test_other.py",)
    assert Jest().tests_of("web/app.js", files) == ()


@needs_sandbox
def test_a_fix_that_leaves_its_finding_reported_is_withheld(
    head: tuple[Path, KeepsPassingJudge],
) -> None:
    root, checks = head  # `import sys` is unused: F401, which this change does not touch
    word = checks.judge(_claim(root, 6, "    return os.sep  # tidy\n"))
    assert not word.held and word.broke == ("F401 (still reported)",)  # type: ignore[attr-defined]


@needs_sandbox
def test_attack_a_linter_setting_of_the_pull_request_is_never_called_proof(tmp_path: Path) -> None:
    """With no test file for it, only the linter judges a suggestion, and the linter reads the
    pull request's own settings: ``extend-exclude`` (or a ``per-file-ignores``) makes it say
    nothing of the file, so a suggestion that uses a name defined nowhere "still passes". On
    code from someone who cannot push the line must say that this is not proof."""
    pyproject = PYPROJECT + '\n[tool.ruff]\nextend-exclude = ["app"]\n'
    text = "def sep():\n    return '/'\n"
    root = _project(tmp_path, {"pyproject.toml": pyproject, "app/other.py": text})
    finding = Finding(rule="model-bug", severity="medium", category="bug", path="app/other.py",
                      line=2, title="t", body="b", suggestion="    return undefined_name\n",
                      source="model")  # fmt: skip
    claim = KeepsPassing(patch(finding, text), ("app/other.py",), (), (_ruff(),))
    word = _judge(root, claim, proof=False)
    said = word.said  # type: ignore[attr-defined]
    assert said.endswith("ruff ran this pull request's own configuration, so this is not proof."), said


def test_attack_a_suggestion_on_a_conftest_is_checked_against_the_tests_it_serves() -> None:
    """A ``conftest.py`` has no ``test_conftest.py``: by the naming convention alone, a
    suggestion that breaks its fixture (or skips every test) ran against no test at all and
    was posted as checked. Its tests are those in its folder and below, nearest first."""
    files = ["tests/conftest.py", "tests/test_a.py", "tests/unit/test_b.py", "other/test_c.py",
             "conftest.py"]  # fmt: skip
    assert Pytest().tests_of("tests/conftest.py", files) == ("tests/test_a.py", "tests/unit/test_b.py")
    assert Pytest().tests_of("conftest.py", files) == (
        "other/test_c.py", "tests/test_a.py", "tests/unit/test_b.py",
    )  # fmt: skip


UNITTEST_CASE = ("import unittest\n\nfrom app import main\n\n\nclass Sep(unittest.TestCase):\n"
                 "    def test_sep(self):\n        self.assertEqual(main.sep(), '/')\n")  # fmt: skip
UNITTEST_STUB = "import unittest\nunittest.TestCase.assertEqual = lambda *args, **kwargs: None\n"


@needs_sandbox
def test_attack_a_suggestion_that_stubs_unittests_assertions_at_import_gets_no_result(
    tmp_path: Path,
) -> None:
    """ATTACK (a stub of the assertions instead of pytest's runner): a model's
    suggestion breaks ``sep`` and adds, at the top of ``app/main.py``, a line that replaces
    ``unittest.TestCase.assertEqual`` with a no-op. The in-run check watches pytest's runner, which
    ran the test for real: before, the test "passed". A patched run through the seam now meets
    the fix judge's static rule first (a patch adds no code that runs as its module is
    imported but imports, definitions and constants), so the run gives no result."""
    root = _project(tmp_path, {"tests/test_main.py": UNITTEST_CASE})
    broken = UNITTEST_STUB + MAIN.replace("return os.sep", "return os.sep + 'broken'")
    with PytestSandbox(root, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        space = sandbox.workspace("stub")
        (space.repo / "app/main.py").write_text(broken)
        changed = PatchedLines.of(space.repo, [("app/main.py", MAIN, broken)])
        report = Pytest().run(sandbox, space, Selection(("tests/test_main.py",), changed=changed),
                              timeout=300)  # fmt: skip
    assert report.passed() == frozenset(), report.outcomes
    assert report.problem.startswith("the patch adds code that runs as app/main.py is imported"), report


@needs_sandbox
def test_attack_a_linter_report_too_large_to_read_leaves_the_suggestion_unchecked(
    tmp_path: Path,
) -> None:
    """The linter's settings are the pull request's (eslint's are JavaScript that runs), so its
    report can be as large as the evidence pipe keeps. Collect never reads one over 16 MiB; the
    suggestion's check read it whole. Now it is no result: the claim is unchecked, never held."""
    python = shutil.which("python3", path=path_env())
    assert python, "python3 is on the test PATH"
    flood = "import sys; sys.stdout.write('[' + ' ' * (17 << 20) + ']')"  # a clean report
    linter = LintCommand("flood", (python, "-c", flood), "ruff", (".py",))
    text = "def sep():\n    return '/'\n"
    root = _project(tmp_path, {"app/other.py": text})
    finding = Finding(rule="model-bug", severity="medium", category="bug", path="app/other.py",
                      line=2, title="t", body="b", suggestion="    return '\\\\'\n",
                      source="model")  # fmt: skip
    claim = KeepsPassing(patch(finding, text), ("app/other.py",), (), (linter,))
    with PytestSandbox(root, {"PATH": path_env(), "HOME": "/nonexistent"}) as sandbox:
        word = KeepsPassingJudge(sandbox, budget=300, code_is_proof=True).judge(claim)
    assert not word.held and word.unchecked, word
    assert word.said == "unchecked: flood: its report is over 16 MiB, so it was not read", word
