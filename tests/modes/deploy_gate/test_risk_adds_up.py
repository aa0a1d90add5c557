"""deploy-gate's reasons carry points, and a reader can do the sum: the summary says how the
points shown beside the reasons (and the small ones not listed) make the risk it shows, and
what a floor changed after. Run through the CLI on a real git repository, as a team reads it."""

from __future__ import annotations

import math
import re
from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

SOURCE = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20))
PYPROJECT = '[project]\nname = "shop"\ndependencies = ["requests>={0}"]\n'
NUMBER = r"(\d+\.\d+)"


def _summary(tmp_path: Path, repo: GitRepoBuilder, base: str, head: str) -> str:
    argv = ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base]
    argv += ["--head", head, "--deploy-time", "2026-11-18T12:00:00+00:00"]
    done = run_cli(argv, tmp_path, {"RUNNER_TEMP": ""})
    assert done.code == 0, done.stderr
    return done.summary


def _reason_points(summary: str) -> list[float]:
    reasons = summary.split("**Reasons**", 1)[1].split("\n\n**", 1)[0]
    return [
        float(found.group(1))
        for line in reasons.splitlines()
        if line.startswith("- ") and (found := re.search(r"\(\+" + NUMBER + r"\)", line))
    ]


def _shown_risk(summary: str) -> float:
    found = re.search(r"\| risk \| \w+ \(" + NUMBER + r"\)", summary)
    assert found, summary
    return float(found.group(1))


def _sum_line(summary: str) -> str:
    lines = [line for line in summary.splitlines() if line.startswith("How the points make")]
    assert len(lines) == 1, summary
    return lines[0]


def test_the_points_shown_add_up_to_the_risk_shown(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "shop")
    repo.commit("Start", {"pyproject.toml": PYPROJECT.format("2.31"), "src/shop.py": SOURCE})
    base = repo.head()
    head = repo.commit(
        "Fix rounding and bump requests",
        {
            "pyproject.toml": PYPROJECT.format("2.32"),
            "src/shop.py": SOURCE + "def g(x):\n    return round(x, 2)\n",
            "tests/test_shop.py": "def test_g():\n    assert True\n",
        },
    )
    summary = _summary(tmp_path, repo, base, head)
    line = _sum_line(summary)
    shown = _reason_points(summary)
    # The line restates each reason's points, in order, then what the unlisted ones add.
    added, total = line.split(":", 1)[1].split(" points;")[0].rsplit("=", 1)
    parts = [float(n) for n in re.findall(NUMBER, added)]
    assert parts[: len(shown)] == shown and len(parts) in (len(shown), len(shown) + 1)
    assert math.isclose(sum(parts), float(total), abs_tol=1e-9)
    # ... and the risk is what the formula it states gives for that total.
    assert f"1 − e^(−{float(total):.3f})" in line
    assert round(1 - math.exp(-float(total)), 2) == _shown_risk(summary)
    assert f"= {_shown_risk(summary):.2f}" in line


def test_a_floor_that_lifts_the_risk_says_from_what_to_what(tmp_path: Path) -> None:
    repo = GitRepoBuilder(tmp_path / "shop")
    repo.commit("Start", {"poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.31.0'\n"})
    base = repo.head()
    head = repo.commit(
        "Bump requests", {"poetry.lock": "[[package]]\nname = 'requests'\nversion = '2.32.3'\n"}
    )
    summary = _summary(tmp_path, repo, base, head)
    line = _sum_line(summary)
    total = float(line.split(" points;")[0].rsplit("=", 1)[1])
    before = 1 - math.exp(-total)
    assert before < 0.30 and _shown_risk(summary) == 0.30
    assert f"= {before:.2f}" in line
    assert "raised to 0.30, the lowest medium score," in line

