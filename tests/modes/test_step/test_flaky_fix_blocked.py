"""A patch that breaks another test in the checking runs is not offered, and the reason names
that test: a new user's tomli suite (trial 10) had its order-dependent fix withheld because a
second flaky test of the suite failed in the checking runs, and the reason named only the
cleaner tried. Every run is a real pytest session in the sandbox."""

from __future__ import annotations

from pathlib import Path

from cicd_agent.modes.test_step.fixer import BUDGET, fix_flaky
from cicd_agent.runners.table import TABLE
from cicd_agent.verify.orders import OrderedRuns
from tests.git_builder import GitRepoBuilder
from tests.helpers.gen_tests import PROJECT_PATH
from tests.modes.test_step.test_flaky_fixes import PROJECT, PYTEST

AFTER = """\
from app import config


def test_after():
    # passes only while the polluter's mode is still set when it runs
    assert config.SETTINGS["mode"] == "debug"
"""


def test_a_patch_withheld_for_another_tests_failure_names_that_test(tmp_path: Path) -> None:
    """The cleaner's ``config.reset()`` moved into the victim makes the victim pass, and makes
    ``test_after`` (run after it in the written order) fail, where it passed without the patch.
    Before: "no patch moved from tests/test_a.py::test_cleaner held in every order", and not a
    word of which test failed."""
    repo = GitRepoBuilder(tmp_path / "project")
    repo.commit("tests", {**PROJECT, "tests/test_c.py": AFTER})
    orders = next(row.in_order for row in TABLE if row.in_order is not None)
    command = orders.command(PYTEST)
    assert command is not None
    environ = {"PATH": PROJECT_PATH, "HOME": "/nonexistent"}
    with orders.sandbox(repo.path, environ) as sandbox:
        runs = OrderedRuns(orders, sandbox, command, budget=BUDGET)
        fixes, why = fix_flaky(runs, ["tests/test_b.py::test_victim"], trusted=True)
        step_s = ["tests/test_b.py::test_victim", "tests/test_c.py::test_after"]
        both, _ = fix_flaky(runs, step_s, trusted=True)
    assert why == ""
    (fixed,) = fixes
    assert (fixed.kind, fixed.related_test) == ("order-dependent", "tests/test_a.py::test_polluter")
    assert fixed.status == "none" and fixed.patch == "", fixed
    assert (
        "no patch moved from tests/test_a.py::test_cleaner held in every order: with it, "
        "tests/test_c.py::test_after failed in the suite's written order, where without it "
        "they passed: no fix is offered"
    ) in fixed.evidence, fixed.evidence
    flaky_too = "tests/test_c.py::test_after (a flaky test of this step too) failed in the"
    assert flaky_too in both[0].evidence, both[0].evidence
    assert flaky_too not in fixed.evidence  # said only of the step's own flaky tests
