"""An outsider's attacks on the test step's quarantine: a writer's pull request (its reports are
believed) whose own tree quarantines its own failing test, dressed so a reader might take it
for the keeper's section, or written so a reader that parsed it would stop the step; and one
whose new failing test is named so the base's entry might take it for the quarantined one (a
twin class, an inherited method, a go package folder named like the test, a module path that
spells the entry's package with dots)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cicd_agent.analysis.history import canonical_test
from cicd_agent.job.repo_config import QuarantineEntry
from cicd_agent.modes.test_step.attempts import attempt_of, run_attempts
from cicd_agent.modes.test_step.judge import judge_step
from cicd_agent.runners.go import step
from tests.git_builder import GitRepoBuilder
from tests.helpers.eslint import needs_node_tool
from tests.helpers.job_run import JobRun
from tests.helpers.toolchains import needs_go
from tests.modes.test_step.test_test_step_cli import (
    SETTINGS,
    UNTIL,
    VITEST,
    VITEST_SETTINGS,
    _step,
)

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


INHERITED = {  # the quarantined test skipped; a new failing one, inherited, bears its dotted name
    "pytest.ini": "[pytest]\npython_files = tests.py test_*.py\npython_classes = test_s Test\n",
    "tests/test_s.py": "import pytest\n\n\n@pytest.mark.skip\ndef test_quarantined():\n    pass\n",
    "base_case.py": "class Base:\n    def test_quarantined(self):\n        assert False\n",
    "tests.py": "from base_case import Base\n\n\nclass test_s(Base):\n    pass\n",
}


def test_attack_a_new_inherited_test_bearing_a_quarantined_tests_dotted_name_is_not_excused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    code, said, _ = _step(tmp_path, "pull_request", monkeypatch, github_api.env(), INHERITED,
                          issues=False)  # fmt: skip

    assert code == 1, said


HELPER = {  # the quarantined test passes; its file's helper class fails under a twin class
    "pytest.ini": "[pytest]\npython_files = tests.py test_*.py\npython_classes = test_s Test\n",
    "tests/test_s.py": "def test_quarantined():\n    pass\n\n\nclass Helper:\n"
    "    def test_quarantined(self):\n        assert False\n",
    "tests.py": "import pathlib\nimport sys\n\nsys.path.insert(0, str(pathlib.Path(__file__).parent"
    " / 'tests'))\nfrom test_s import Helper  # noqa: E402\n\n\nclass test_s(Helper):\n    pass\n",
}


def test_attack_a_failing_twin_whose_method_lies_in_the_quarantined_tests_file_is_not_excused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, github_api: Any
) -> None:
    code, said, _ = _step(tmp_path, "pull_request", monkeypatch, github_api.env(), HELPER,
                          issues=False)  # fmt: skip

    assert code == 1, said


GO_PACKAGE = "example.com/m/calc"
GO_QUARANTINED = "package calc\n\nimport \"testing\"\n\nfunc TestQuarantined(t *testing.T) {}\n"
GO_NEW = ("package {name}\n\nimport \"testing\"\n\nfunc {test}(t *testing.T) {{\n"
          "\tt.Run(\"new\", func(t *testing.T) {{ t.Fatal(\"a real failure\") }})\n}}\n")  # fmt: skip
GO_TWINS = {
    # package example.com/m/calc.TestQuarantined/sub: its test reads as a subtest of the entry's
    "a package folder named like the quarantined test": ("example.com/m", {
        "calc.TestQuarantined/sub/new_test.go": GO_NEW.format(name="sub", test="TestNew")}),
    # the module renamed: example.com/m.calc.TestQuarantined, the entry's name with a dot for a slash
    "a module path spelling the entry's package with dots": ("example.com", {
        "m.calc/new_test.go": GO_NEW.format(name="calc", test="TestQuarantined")}),
}


@needs_go
@pytest.mark.parametrize("module, files", GO_TWINS.values(), ids=GO_TWINS.keys())
def test_attack_a_new_go_test_named_to_run_within_a_quarantined_test_is_not_excused(
    tmp_path: Path, module: str, files: dict[str, str]
) -> None:
    """An entry naming a go test covers the subtests it runs, and only those: a new failing
    test whose id reads as within the quarantined one (go joins package and test with a dot)
    stays a failure, the quarantined test beside it passing."""
    repo = GitRepoBuilder(tmp_path / "mod")
    repo.commit("go", {"go.mod": f"module {module}\n\ngo 1.19\n",
                       "calc/calc_test.go": GO_QUARANTINED, **files})  # fmt: skip
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(tmp_path)),
           "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOCACHE": str(tmp_path / "cache")}  # fmt: skip
    attempts = run_attempts(["go", "test", "./..."], 1, cwd=repo.path, run=JobRun(env))
    entry = QuarantineEntry("example.com/m/calc.TestQuarantined", "@acme/calc", date(2026, 12, 20))

    verdict = judge_step(attempts, [entry], date(2026, 11, 28), code_is_proof=True)

    assert len(verdict.failing) == 1 and verdict.failing[0].endswith("/new"), verdict
    assert not verdict.quarantined and not verdict.passed


VITEST_TWIN = """\
import { describe, test, expect } from "vitest";

describe("calc", () => { test("broken", () => { expect(1).toBe(1); }); });

test("calc broken", () => { expect(1).toBe(2); });
"""


def test_attack_a_new_vitest_test_titled_as_a_quarantined_tests_describe_path_is_not_excused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = needs_node_tool("vitest")
    settings = VITEST_SETTINGS.replace("› broken", "› calc broken")
    code, said, _ = _step(tmp_path, "push", monkeypatch, command=["vitest", "run"],
                          settings=settings, tests={**VITEST, "tests/calc.test.js": VITEST_TWIN},
                          path=path)  # fmt: skip

    assert code == 1, said


def test_attack_a_go_test_sharing_a_quarantined_subtests_canonical_name_is_not_excused() -> None:
    """A package folder ``calc/TestQuarantined`` whose test ``TestX`` fails bears the canonical
    name of the quarantined test's passing subtest ``TestQuarantined/TestX``: one outcome for
    both (failed), and neither its own entry nor its parent's excuses a name two tests bear,
    whichever test's parents the run kept."""
    # go prints the folder's package after calc's, so its own (no) parents would be kept; in
    # this order the subtest's are, and the verdict must not depend on it
    native = {f"{GO_PACKAGE}/TestQuarantined.TestX": False,
              f"{GO_PACKAGE}.TestQuarantined/TestX": True}
    parents = {canonical_test(t): step.parents(t) for t in native}
    entry = QuarantineEntry(f"{GO_PACKAGE}.TestQuarantined", "@acme/calc", date(2026, 12, 20))

    verdict = judge_step([attempt_of(native, 1, parents)], [entry], date(2026, 11, 28),
                         code_is_proof=True)  # fmt: skip

    assert not verdict.quarantined and not verdict.passed, verdict
