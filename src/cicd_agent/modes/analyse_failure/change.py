"""The change under test: which files and commits the failed run brought in.

Read with git from the local checkout when it has both commits (``fetch-depth: 0``); a pull
request's file list from the API otherwise. Without either, the analysis still runs, it just
cannot rank responsible files by what changed.
"""

from __future__ import annotations

from pathlib import Path

from cicd_agent.local.change_set import read_change_set
from cicd_agent.local.gitrepo import GitRepo
from cicd_agent.modes.analyse_failure.facts import Change
from cicd_agent.runner.errors import UsageError

MAX_TOUCH_LOOKUPS = 30
"""Changed files whose last commit is looked up (one ``git log`` each)."""


def git_change(repo_dir: Path, head: str, base: str | None) -> Change:
    """``base..head`` from git (``base`` None: what ``head`` itself changed).

    Raises UsageError when the checkout is no repository or lacks a commit.
    """

    repo = GitRepo.open(repo_dir)
    if base is not None:
        base = repo.merge_base(repo.resolve_commit(base, "base"), repo.resolve_commit(head, "head"))
    change = read_change_set(repo, head, base)
    paths = change.paths
    last_touch: dict[str, str] = {}
    if change.base is not None:
        for path in paths[:MAX_TOUCH_LOOKUPS]:
            sha = repo.run(
                "log", "-1", "--format=%H", f"{change.base}..{change.head}", "--", path
            ).strip()
            if sha:
                last_touch[path] = sha
    return Change(
        base=change.base,
        head=change.head,
        files=paths,
        commits=tuple((c.sha, c.subject) for c in change.commits),
        last_touch=last_touch,
    )


def try_git_change(repo_dir: Path, head: str, base: str | None) -> tuple[Change | None, str]:
    """The git change, or None with the reason (for a note) when git cannot give it."""
    try:
        return git_change(repo_dir, head, base), ""
    except UsageError as exc:
        return None, exc.message
