"""A hostile model's answer for a runner other than pytest (jest, vitest, ``go test``): where
the gate's first stage (:func:`.runner_gate._path_problem`) lets its file be written, before
anything runs. Attacks written by someone who did not write the gate: each path names a
file of the checkout as a file system that ignores case or Unicode form sees it (macOS and
Windows, where the kept test is delivered), or reaches the checkout's links. A real checkout
folder and the real runners' naming; no sandbox is needed, as nothing runs at this stage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import Candidate, _path_problem
from cicd_agent.runners.go.runner import GoTest
from cicd_agent.runners.jest.runner import Jest
from cicd_agent.runners.js import layout as js_layout
from tests.helpers.gen_tests import Runner, runner_change

SOURCES = {"src/calc.js": frozenset({2}), "pkg/calc.go": frozenset({3}), "src/café.js": frozenset({1})}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout with a test beside each source, a decomposed ``é`` in one name, and a test
    folder that is a link to a folder outside it."""
    root = tmp_path_factory.mktemp("answers")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.test.js").write_text("outside\n")
    for name in ("src/calc.js", "src/calc.test.js", "src/cafe\u0301.test.js", "pkg/calc.go",
                 "pkg/calc_test.go"):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    os.symlink(outside, root / "src" / "tests")
    return root


def _refused(runner: Runner, path: str, root: Path) -> str:
    gaps = RunnerGaps(runner_change(runner, SOURCES, ()), None, None)
    return _path_problem(gaps, Candidate(path, "x\n"), root, SOURCES, js_layout.layout(runner, root))


@pytest.mark.parametrize(("runner", "path"), [
    (Jest(), "src/Calc.test.js"),
    (Jest(), "src/CALC.test.js"),
    (Jest(), "src/caf\u00e9.test.js"),  # composed, where the checkout's is decomposed
    (GoTest(), "pkg/Calc_test.go"),
])  # fmt: skip
def test_attack_a_name_that_folds_onto_a_file_of_the_checkout_is_refused(
    checkout: Path, runner: Runner, path: str
) -> None:
    """Before: written beside ``calc.test.js`` as a new file and kept, so the delivered test
    replaced the pull request's own test on macOS and Windows, where both names are one file."""
    assert "already holds" in _refused(runner, path, checkout)


def test_attack_a_path_through_a_linked_test_folder_is_refused_before_any_run(
    checkout: Path,
) -> None:
    """``src/tests`` is a link out of the checkout: the name is taken before a run is paid for
    (before: the existence check followed the link, and the write refused it only in the run)."""
    assert "already holds" in _refused(Jest(), "src/tests/x.test.js", checkout)
    assert "already holds" in _refused(Jest(), "src/tests/y.test.js", checkout)


def test_a_new_name_beside_them_is_still_free(checkout: Path) -> None:
    assert _refused(Jest(), "src/calc.more.test.js", checkout) == ""
    assert _refused(GoTest(), "pkg/calc_more_test.go", checkout) == ""
