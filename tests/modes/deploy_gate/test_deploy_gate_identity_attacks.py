"""ATTACKS on deploy-gate's author identity, through PyGithub and the validating Prism mock:
when GitHub names no pull request for the change (the commit is in none, or the API fails or
is rate-limited), a commit identity the change forges (a maintainer's address as author, a
``.mailmap`` mapping the attacker to the maintainer, a ``Co-authored-by`` trailer) must move
nothing: the risk level and score are not lower than those of the same change honestly signed,
and the summary says the same of its author (git's text, unverified, and no first-change reason
drawn from it either way)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.git_builder import GitRepoBuilder
from tests.modes.deploy_gate.test_deploy_gate_github import SOURCE, run

PULLS_OF_COMMIT = r"/repos/octocat/Hello-World/commits/\w+/pulls"
MAINTAINER = "Test Author <author@example.com>"
ATTACKER = "Mallory <mallory@evil.example>"
FORGERIES: dict[str, tuple[str, str, dict[str, str]]] = {
    "honest": (ATTACKER, "Speed up orders", {}),
    "maintainer's address as author": (MAINTAINER, "Speed up orders", {}),
    "a .mailmap in the change": (
        ATTACKER, "Speed up orders", {".mailmap": f"{MAINTAINER} {ATTACKER}\n"}
    ),
    "a Co-authored-by trailer": (
        ATTACKER, f"Speed up orders\n\nCo-authored-by: {MAINTAINER}", {}
    ),
}  # fmt: skip
LEVELS = ("low", "medium", "high", "critical")


def _gate(tmp_path: Path, github_api: Any, forgery: str) -> tuple[int, float, list[str]]:
    """deploy-gate on a change signed as ``forgery``: its risk level (rank), score, and what
    the summary says of the author (the identity row, the newcomer's reason)."""
    author, message, extra = FORGERIES[forgery]
    repo = GitRepoBuilder(tmp_path / forgery.replace(" ", "-"))
    for n in range(3):  # the maintainer's landed past
        repo.commit(f"Orders {n}", {"src/shop/orders.py": SOURCE + f"N = {n}\n"}, author=MAINTAINER)
    base = repo.head()
    files = {"src/shop/orders.py": SOURCE + "CACHE = {}\n", **extra}
    head = repo.commit(message, files, author=author)
    code, outputs, summary = run(tmp_path, github_api, repo, "--base", base, "--head", head)
    assert code == 0, summary
    about = ("| author identity |", "- First change")
    said = [line for line in summary.splitlines() if line.startswith(about)]
    return LEVELS.index(outputs["risk_level"]), float(outputs["risk_score"]), said


@pytest.mark.parametrize("answer", ["in no pull request", "GitHub failing", "rate-limited"])
def test_a_forged_commit_identity_moves_nothing_when_github_names_no_author(
    tmp_path: Path, github_api: Any, answer: str
) -> None:
    if answer == "in no pull request":
        github_api.proxy.script("GET", PULLS_OF_COMMIT, body=[])
    elif answer == "GitHub failing":
        github_api.proxy.fail("GET", PULLS_OF_COMMIT, 500, "boom", times=None)
    else:
        github_api.proxy.fail("GET", PULLS_OF_COMMIT, 403, "API rate limit exceeded", times=None)
    level, score, said = _gate(tmp_path / "a", github_api, "honest")
    assert said == ["| author identity | git's author text, not verified |"]
    for forgery in list(FORGERIES)[1:]:
        forged = _gate(tmp_path / forgery[:8], github_api, forgery)
        assert forged[0] >= level and forged[1] >= score and forged[2] == said, forgery


def _deleted_author(pull: Any) -> Any:
    """A pull request whose author's account is gone: GitHub answers ``"user": null``."""
    listed = pull if isinstance(pull, dict) else pull[0]
    gone = {**listed, "number": 1, "user": None, "merged_at": "2026-11-17T08:00:00Z"}
    return gone if isinstance(pull, dict) else [gone]


def test_a_pull_request_whose_author_is_gone_is_no_maintainer(
    tmp_path: Path, github_api: Any
) -> None:
    """The change claims the maintainer in git; the only pull request GitHub lists for it has
    no author (a deleted account): no identity is trusted, git's claim included."""
    github_api.proxy.script("GET", PULLS_OF_COMMIT, edit=_deleted_author)
    github_api.proxy.script("GET", r"/repos/octocat/Hello-World/pulls/1$", edit=_deleted_author)
    *_, said = _gate(tmp_path, github_api, "maintainer's address as author")
    assert said == ["| author identity | git's author text, not verified |"]
