"""File names are the change's: deploy-gate names them in its job summary (the evidence of each
reason, why the tests or the build are routed as they are, why a deploy is held). A name must
not turn into live Markdown there: a mention that pings a team, or HTML. Review's summary had
the break (attack1); here a name that holds no backtick at all was live in the routing and hold
sentences, and a backtick in a name was shown as a quote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli
from tests.helpers.markdown_spans import outside_code_spans

WEEKDAY_NOON = "2026-11-18T12:00:00+00:00"
AWS_KEY = "AKIA" + "QWERTYUIOPASDFGH"


def summary_of(tmp_path: Path, files: dict[str, str]) -> str:
    repo = GitRepoBuilder(tmp_path / "project")
    base = repo.commit("Initial project", {"src/shop/orders.py": "X = 1\n", "README.md": "# s\n"})
    head = repo.commit("A hostile change", files)
    done = run_cli(
        ["deploy-gate", "--provider", "none", "--repo", str(repo.path), "--base", base,
         "--head", head, "--deploy-time", WEEKDAY_NOON],
        tmp_path,
        {"RUNNER_TEMP": ""},
    )  # fmt: skip
    assert done.code == 0, done.summary
    assert "org/team" in done.summary  # the files are named
    return done.summary


@pytest.mark.parametrize(
    "name", ["x @org/team <img src=x onerror=alert(1)> y", "x` @org/team <img src=x> `y"]
)
def test_a_file_name_cannot_ping_or_post_html_in_the_summary(tmp_path: Path, name: str) -> None:
    summary = summary_of(
        tmp_path,
        {
            f"migrations/0002_{name}.sql": "DROP TABLE users;\n",
            f"src/auth/{name}.py": "def login(user):\n    return True\n",
            f"src/{name}.py": f"KEY = '{AWS_KEY}'\n",
            f"Dockerfile{name}": "FROM scratch\n",
        },
    )
    live = outside_code_spans(summary)
    assert "@org/team" not in live
    assert "<img" not in live


def test_a_backtick_in_a_name_is_shown_as_it_is(tmp_path: Path) -> None:
    name = "x` @org/team `y"
    summary = summary_of(tmp_path, {f"src/auth/{name}.py": "def login(user):\n    return True\n"})
    evidence = [line for line in summary.splitlines() if "Evidence:" in line]
    assert evidence and all(f"src/auth/{name}.py" in line for line in evidence)
