"""DORA's four keys where the evidence is thin or hostile: they say so, never a figure they
cannot show."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cicd_agent.github.models import DeploymentInfo
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.modes.deploy_gate.dora import committed, four_keys
from tests.git_builder import GitRepoBuilder

START = datetime(2026, 11, 1, tzinfo=UTC)


def deployed(*shas: str) -> list[DeploymentInfo]:
    return [DeploymentInfo(n, sha, START + timedelta(days=n)) for n, sha in enumerate(shas)]


def test_no_deployments_read_measures_nothing_and_says_why() -> None:
    keys = four_keys(None, "no environment named (--environment)", lambda *_: [], cut=False)
    every = [getattr(keys, item.name) for item in fields(keys)]
    assert len(every) == 4 and all(key.value is None for key in every)
    assert all(key.evidence == "no environment named (--environment)" for key in every)
    assert "| deployment frequency | not measured |" in "\n".join(keys.rows())


def test_a_listing_at_its_cap_says_older_deployments_were_not_read() -> None:
    shas = [f"{n:040x}" for n in range(50)]
    keys = four_keys(deployed(*shas), "", lambda *_: [], cut=True)
    assert keys.deployment_frequency.value == 1.0
    assert "the newest only" in keys.deployment_frequency.evidence
    assert "thin" not in keys.change_failure_rate.evidence
    assert keys.change_failure_rate.value == 0.0
    assert keys.time_to_restore.value is None and "none to time" in keys.time_to_restore.evidence


def test_a_deployment_whose_commit_is_no_commit_id_never_reaches_git(tmp_path: Path) -> None:
    """GitHub's answer names the commits; one that is an option (``--output=…``) would be read
    by git as one: it is counted as a commit the checkout does not hold."""
    project = GitRepoBuilder(tmp_path / "project")
    first = project.commit("Initial", {"a.py": "a = 1\n"})
    second = project.commit("Next", {"a.py": "a = 2\n"})
    hostile = f"--output={tmp_path / 'written'}"
    commits = committed(GitRepo.open(project.path))
    assert commits(first, second) is not None and len(commits(first, second) or ()) == 1
    keys = four_keys(deployed(first, second, hostile), "", commits, cut=False)
    assert "1 deployment(s) whose commits the checkout does not hold" in (
        keys.lead_time_for_changes.evidence
    )
    assert not (tmp_path / "written").exists()
    assert commits(first, "0" * 40) is None  # a commit the clone lacks


def test_attack_commits_dated_after_their_deployment_do_not_move_the_lead_time() -> None:
    """A pull request's commits carry the committer time their writer chose. Three dated in
    2099, shipped beside one real commit twelve hours old, were each counted as shipped at once
    (the time clamped to zero), and the median lead time read 0 hours. A commit cannot be made
    after the deployment that shipped it: its time is no evidence, and the key says how many
    it left out."""
    first, second = "1" * 40, "2" * 40
    real = (START + timedelta(hours=12)).timestamp()
    forged = datetime(2099, 1, 1, tzinfo=UTC).timestamp()

    def commits(base: str | None, head: str) -> list[int]:
        return [int(real), int(forged), int(forged) + 1, int(forged) + 2]

    key = four_keys(deployed(first, second), "", commits, cut=False).lead_time_for_changes
    assert key.value == 12.0
    assert "3 commit(s) dated after the deployment that shipped them" in key.evidence
    assert key.evidence.startswith("1 commit(s)")
