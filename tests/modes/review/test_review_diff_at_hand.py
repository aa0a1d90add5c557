"""Review reads a range once, through the core's parsed diff (the diff's own tests:
tests/unit/analysis/test_diff.py)."""

from __future__ import annotations

from cicd_agent.local.checkout import GitCheckout
from cicd_agent.risk.assessment import RiskAssessment
from tests.git_builder import GitRepoBuilder
from tests.unit.analysis.test_diff import repo

__all__ = ["repo"]


def test_the_parsed_diff_stands_for_git_numstat_and_path_diffs(repo: GitRepoBuilder) -> None:
    """Review reads a range once: the change set and the detectors' text come from its parsed
    diff, and must be what git's ``--raw --numstat`` and ``git diff -- PATHS`` say."""
    from cicd_agent.analysis.changes import parse_raw_numstat
    from cicd_agent.local.change_set import read_change_set
    from cicd_agent.local.gitrepo import GitRepo
    from cicd_agent.modes.review.risk import diff_at_hand
    from cicd_agent.risk.checkout import assess_risk, read_history

    base = repo.head()
    GitRepoBuilder(repo.path / "vendor" / "lib").commit("nested", {"lib.c": "int x;\n"})
    repo.git("mv", "old_name.py", "new_name.py")
    head = repo.commit(
        "mixed",
        {
            "new_name.py": (repo.path / "new_name.py").read_text() + "value_31 = 31\n",
            "src/app.py": "--- not a header\n+++ nor this\n"
            + (repo.path / "src/app.py").read_text(),
            "db/V2__drop.sql": "ALTER TABLE users DROP COLUMN legacy_id;\n",
            "src/auth.py": "def is_admin(user):\n    return True\n",
            "logo.png": bytes(range(256)) * 8,
        },
        remove=("gone.py",),
    )
    git = GitRepo.open(repo.path)
    at_hand = diff_at_hand(GitCheckout(repo.path).diff(base, head))

    numstat = parse_raw_numstat(git.diff_raw_numstat(base, head))
    assert sorted(at_hand.files, key=lambda f: f.path) == sorted(numstat, key=lambda f: f.path)
    assert any(f.submodule for f in at_hand.files) and any(f.binary for f in at_hand.files)
    for paths in (["src/app.py", "db/V2__drop.sql"], ["src/auth.py"], ["gone.py"]):
        assert at_hand.text(paths, 10_000) == git.diff_text(base, head, paths, 10_000)
    assert at_hand.text(["src/app.py"], 25) == git.diff_text(base, head, ["src/app.py"], 25)

    def risk(read_once: bool) -> RiskAssessment:  # review's risk, from its diff or from git
        change = read_change_set(git, head, base, files=at_hand.files if read_once else None)
        history = read_history(git, change, now=git.commit_time(change.head))
        text = at_hand.text if read_once else None
        return assess_risk(
            git,
            change,
            history,
            None,
            identity=None,
            deepened=False,
            text=text,
            now=git.commit_time(change.head),
        )

    once, again = risk(True), risk(False)
    assert once == again
    assert {r.signal for r in once.reasons} >= {"destructive_migration", "weakened_access"}
