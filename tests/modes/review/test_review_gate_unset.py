"""A review run as a gate with no ``fail-on`` exits 0 whatever it finds (the documented
contract: only a change that does not build fails it unasked). A new user ran it on a commit
adding a GitHub token and got a green step with "Fail on: not set" in a table: the summary's
first line now says that nothing fails the step and names the setting that would."""

from __future__ import annotations

from pathlib import Path

from tests.git_builder import GitRepoBuilder
from tests.helpers.cli import run_cli

# the trial's own change to pytimeparse: a token appended to timeparse.py
TIMEPARSE = "def timeparse(sval):\n    return int(sval)\n"
TOKEN = '\nGITHUB_TOKEN = "ghp_Zq3vT8kLmN2pR7sW4xY9aB1cD5eF6gH0jK2m"\n'


def _review(tmp_path: Path, *extra: str) -> tuple[int, str]:
    repo = GitRepoBuilder(tmp_path / "pytimeparse")
    base = repo.commit("start", {"pytimeparse/timeparse.py": TIMEPARSE})
    head = repo.commit("add token", {"pytimeparse/timeparse.py": TIMEPARSE + TOKEN})
    argv = ["review", "--provider", "none", "--repo", str(repo.path), "--base", base,
            "--head", head, *extra]  # fmt: skip
    done = run_cli(argv, tmp_path, {"HOME": str(tmp_path / "home")})
    return done.code, done.summary


def test_a_secret_with_no_fail_on_says_the_step_stays_green_and_names_the_setting(
    tmp_path: Path,
) -> None:
    code, summary = _review(tmp_path)
    assert code == 0
    first = summary.split("\n\n")[1]
    assert first.startswith("**Nothing fails this step: fail-on is not set.** `--fail-on "
                            "critical` (the action's `fail-on` input) makes it exit 1 here: "
                            "1 finding(s) at or above critical"), summary  # fmt: skip
    assert "\n" not in first


def test_a_fail_on_that_is_set_gets_no_such_line(tmp_path: Path) -> None:
    code, summary = _review(tmp_path, "--fail-on", "none")
    assert code == 0
    assert "Nothing fails this step" not in summary
    code, summary = _review(tmp_path / "met", "--fail-on", "high")
    assert code == 1
    assert "Nothing fails this step" not in summary
