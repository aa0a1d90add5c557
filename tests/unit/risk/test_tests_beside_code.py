"""Tests and documentation written beside a code change leave its size: the change scores as the
riskier of its code and its tests or docs, each scored alone (a new user's finding: a five-line
change scored low alone and medium with a 122-line test file or 60 README lines beside it, as if
they were one 127-line change), and never below either (one line of code beside a large tests
change must not make it safer). On a real project's history rebuilt (twine, fitted) and on a
short one (the general rules), through the CLI as a user runs it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.analysis.scale import RiskLevel
from tests.unit.risk.test_common_sense import Project, deploy_gate_json, lines

CODE = {"twine/utils.py": lines(5)}
TESTS = "".join(f"def test_{i}():\n    assert {i} == {i}\n\n" for i in range(40))
PROSE = "".join(f"A sentence of the guide, number {i}.\n" for i in range(60))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    yield Project(tmp_path_factory.mktemp("risk-beside"))


@pytest.mark.parametrize(
    "beside",
    [
        {"tests/test_beside.py": TESTS},
        {"tests/test_utils.py": TESTS},
        {"README.rst": PROSE},
        {"docs/index.rst": PROSE, "tests/test_beside.py": TESTS},
    ],
    ids=["a new test file", "a test file with a past", "readme lines", "docs and tests"],
)
def test_tests_or_docs_beside_a_code_change_never_raise_its_risk(
    project: Project, beside: dict[str, str]
) -> None:
    alone = project.score(project.change(CODE))
    part = project.score(project.change(beside))  # the tests or docs as a change of their own
    head = project.change({**CODE, **beside})
    assert all((project.repo / name).is_file() for name in beside)
    both = project.score(head)
    # no riskier than the riskier of its two parts scored alone, never safer than either
    top = max(alone, part, key=lambda s: (RiskLevel(s["risk_level"]).rank, s["risk_score"]))
    assert both["risk_score"] == max(alone["risk_score"], part["risk_score"]), (alone, part, both)
    assert RiskLevel(both["risk_level"]) == RiskLevel(top["risk_level"])
    assert both["requires_approval"] <= alone["requires_approval"] or part["requires_approval"]
    said = " ".join(r["message"] for r in both["reasons"])
    assert "left out of the size" in said, said
    # only the size leaves them out: the change's types are all its files'
    assert set(both["change_types"]) > set(alone["change_types"]), both["change_types"]


def test_more_code_beside_the_same_tests_still_scores_higher(project: Project) -> None:
    """The monotone rule holds with tests beside: more lines of code never score lower."""
    beside = {"tests/test_beside.py": TESTS}
    small = project.score(project.change({**CODE, **beside}))
    large = project.score(project.change({"twine/utils.py": lines(300), **beside}))
    assert large["risk_score"] >= small["risk_score"]
    assert large["risk_score"] > small["risk_score"] or large["risk_level"] == "critical"


def git(repo: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo.parent), "GIT_AUTHOR_NAME": "a",
           "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@example.org"}  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    )
    return done.stdout.strip()


def test_a_short_history_scored_by_the_general_rules_keeps_the_same_promise(
    tmp_path: Path,
) -> None:
    """Below 150 past commits the hand-set rules score the change: the same rule holds."""
    repo = tmp_path / "short"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for number in range(12):
        (repo / "lib.py").write_text(lines(10 + number))
        (repo / "test_lib.py").write_text(lines(5 + number, "t"))
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"step {number}")
    base = git(repo, "rev-parse", "HEAD")

    def head(extra: dict[str, str], code: bool = True) -> str:
        git(repo, "checkout", "-q", "-B", "work", base)
        with (repo / "lib.py").open("a") as handle:
            handle.write(lines(5, "new") if code else "")
        for name, text in extra.items():
            with (repo / name).open("a") as handle:
                handle.write(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "change")
        return git(repo, "rev-parse", "HEAD")

    runs = tmp_path / "runs"
    runs.mkdir()
    alone = deploy_gate_json(repo, base, head({}), tmp_path / "cache", runs)
    for extra in ({"test_lib.py": TESTS}, {"README.md": PROSE}):
        both = deploy_gate_json(repo, base, head(extra), tmp_path / "cache", runs)
        part = deploy_gate_json(repo, base, head(extra, code=False), tmp_path / "cache", runs)
        top = max(alone["risk_score"], part["risk_score"])
        assert both["risk_score"] == top, (extra, alone["risk_score"], part["risk_score"], both)


def test_a_line_of_code_added_to_a_large_tests_change_never_makes_it_safer(
    project: Project,
) -> None:
    """Leaving tests out of the size must not let one code line lower a tests change: the change
    is scored no lower than its tests alone, and says so where that decides."""
    many = "".join(f"def test_big_{i}():\n    assert {i} + 1 == {i + 1}\n\n" for i in range(900))
    tests = {"tests/test_beside.py": many, "tests/test_utils.py": many}
    alone = project.score(project.change(tests))
    both = project.score(project.change({"twine/utils.py": lines(1), **tests}))
    assert both["risk_score"] >= alone["risk_score"], (alone["risk_score"], both["risk_score"])
    assert RiskLevel(both["risk_level"]).rank >= RiskLevel(alone["risk_level"]).rank


def test_the_raised_score_says_which_part_decided_it(project: Project) -> None:
    """Where the tests alone decide, the reasons and the arithmetic say so; elsewhere nothing."""
    from cicd_agent.risk.beside import at_least

    many = "".join(f"def test_big_{i}():\n    assert {i} + 1 == {i + 1}\n\n" for i in range(900))
    both = project.score(project.change({"twine/utils.py": lines(1), "tests/test_x.py": many}))
    said = " ".join(r["message"] for r in both["reasons"])
    assert "Its tests and documentation alone score" in said, said
    assert "Its tests and documentation alone score" in both["risk_arithmetic"]
    small = project.score(project.change({**CODE, "tests/test_beside.py": TESTS[:40]}))
    assert "alone score" not in " ".join(r["message"] for r in small["reasons"])
    assert callable(at_least)
