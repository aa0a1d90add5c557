"""An outsider's attacks on the test step's quarantine: a writer's pull request (its reports are
believed) whose own tree quarantines its own failing test, dressed so a reader might take it
for the keeper's section, or written so a reader that parsed it would stop the step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.modes.test_step.test_test_step_cli import SETTINGS, UNTIL, _step

if TYPE_CHECKING:
    from pathlib import Path

BROKEN = {"tests/test_t.py": "def test_broken():\n    assert False\n"}
ENTRY = (
    f"    - test: tests/test_t.py::test_broken\n      owner: '@mallory'\n      expires: '{UNTIL}'\n"
)
HEADS = {
    "the keeper in capitals": "Analyse-Failure:\n  quarantine:\n" + ENTRY,
    "a unicode hyphen": "analyse\u2011failure:\n  quarantine:\n" + ENTRY,
    "the keeper twice": SETTINGS + "analyse-failure:\n  quarantine:\n" + ENTRY,
    "a file the step would refuse": "analyse-failure:\n  quarantine:\n"
    + ENTRY
    + "review:\n  x: 1\n",
}


@pytest.mark.parametrize("head_text", HEADS.values(), ids=HEADS.keys())
def test_attack_a_writers_pull_request_cannot_quarantine_its_own_failure_in_its_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any, head_text: str
) -> None:
    """The base's quarantine still excuses its own test; the head's file, however dressed, is
    never read: its test fails the step (exit 1, never the usage error a parsed file gives)."""
    files = {**BROKEN, ".github/cicd-agent.yml": head_text}
    code, said, _ = _step(tmp_path, "pull_request", monkeypatch, github_api.env(), files,
                          issues=False)  # fmt: skip

    assert code == 1, said
    assert "- failed: `tests/test_t.py::test_broken`" in said
    assert "- quarantined: `tests/test_s.py::test_quarantined`" in said


TWIN = {  # a new failing test pytest names `tests.py::test_s::test_quarantined`
    "pytest.ini": "[pytest]\npython_files = tests.py test_*.py\npython_classes = test_s Test\n",
    "tests.py": "class test_s:\n    def test_quarantined(self):\n        assert False\n",
}


def test_attack_a_new_failing_test_named_as_a_quarantined_ones_canonical_twin_is_not_excused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    code, said, _ = _step(tmp_path, "pull_request", monkeypatch, github_api.env(), TWIN,
                          issues=False)  # fmt: skip

    assert "tests.py::test_s::test_quarantined" in said or "test_s.test_quarantined" in said
    assert code == 1, said
