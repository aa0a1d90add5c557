"""The ids a test step's pytest report gives, read from reports real pytest writes: one test
pytest writes twice (its call failed, then its fixture's teardown failed) is one test, while two
tests bearing one id stay unsure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cicd_agent.runners.pytest.runner import Pytest

TEARDOWN = (
    "import pytest\n\n\n@pytest.fixture\ndef db():\n    yield\n"
    "    raise RuntimeError('the database was left locked')\n\n\n"
    "def test_quarantined(db):\n    assert False\n\n\ndef test_ok():\n    pass\n"
)


def step_report(tmp_path: Path, files: dict[str, str]) -> tuple[dict[str, bool], set[str]]:
    """The outcomes and the unsure ids of a real pytest run of ``files``, asked and read as
    the test step asks and reads them."""
    project = tmp_path / "project"
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    runner = Pytest()
    folder = tmp_path / "step"
    folder.mkdir()
    argv = runner.step_command([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                               folder, None)  # fmt: skip
    assert argv is not None
    subprocess.run(argv, cwd=project, capture_output=True, check=False, timeout=120)
    found = runner.step_outcomes(folder, "", project)
    return dict(found), set(getattr(found, "unsure", set()))


def test_a_test_whose_call_and_teardown_both_fail_is_one_test_not_two(tmp_path: Path) -> None:
    """pytest writes a test whose call failed and whose fixture then failed in teardown as two
    results under one id (JUnit allows one failure a test case). It is one test: its id stays
    sure, so the quarantine entry naming it still excuses it (before: unsure, so a quarantined
    flake that leaves its fixture broken failed the step)."""
    outcomes, unsure = step_report(tmp_path, {"tests/test_s.py": TEARDOWN})
    assert outcomes == {"tests/test_s.py::test_quarantined": False, "tests/test_s.py::test_ok": True}
    assert unsure == set()


def test_two_tests_bearing_one_id_stay_unsure_whatever_their_teardowns_do(tmp_path: Path) -> None:
    """A twin written in another file whose method lies in the quarantined test's file (the
    step rebuilds both ids alike) stays unsure, its teardown failing too or not."""
    helper = TEARDOWN.replace("def test_quarantined(db):\n    assert False\n",
                              "def test_quarantined(db):\n    pass\n\n\nclass Helper:\n"
                              "    def test_quarantined(self, db):\n        assert False\n")  # fmt: skip
    twin = ("import pathlib\nimport sys\n\nsys.path.insert(0, str(pathlib.Path(__file__).parent"
            " / 'tests'))\nfrom test_s import Helper, db  # noqa: E402,F401\n\n\n"
            "class test_s(Helper):\n    pass\n")  # fmt: skip
    ini = "[pytest]\npython_files = tests.py test_*.py\npython_classes = test_s Test\n"
    outcomes, unsure = step_report(tmp_path, {"pytest.ini": ini, "tests/test_s.py": helper,
                                              "tests.py": twin})  # fmt: skip
    assert outcomes["tests/test_s.py::test_quarantined"] is False
    assert "tests/test_s.py::test_quarantined" in unsure
