"""A draft pull request of files a mode wrote, from a branch of its own: how a mode proposes a
change (analyse-failure's verified fix, test-step's fixed flaky test). The commit is made with
the Git Data API on the parent named, so nothing of the checkout is pushed; a branch that
exists already is never pushed to, and says so."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.github.models import FileChange

if TYPE_CHECKING:
    from cicd_agent.actions.markdown import Neutral
    from cicd_agent.github.client import GitHubClient


@dataclass(frozen=True)
class DraftPull:
    """The draft's address, or why there is none (a clause: "the branch x exists already")."""

    url: str = ""
    why_not: str = ""


def open_draft_pull(
    client: GitHubClient,
    *,
    parent: str,
    into: str,
    branch: str,
    checkout: Path,
    files: Mapping[str, str | None],
    message: Neutral,
    title: Neutral,
    body: Neutral,
) -> DraftPull:
    """``files`` (path → text, None: deleted) committed on ``parent`` to the new ``branch``,
    each keeping its mode in the ``checkout`` (the parent's tree), and a draft pull request from
    it into ``into``. A write the token may not make is said with the client's reason; an error
    GitHub answers with is raised (``ExternalServiceError``), as every write's."""
    exists = f"the branch {branch} exists already (nothing is pushed to an existing branch)"
    if client.branch_exists(branch):
        return DraftPull(why_not=exists)
    changes = [FileChange(path, text, _mode(checkout / path)) for path, text in files.items()]
    sha = client.commit_files(parent, changes, message)
    if sha is None:
        return DraftPull(why_not=f"nothing was committed: {client.capability.reason}")
    made = client.create_branch(branch, sha)
    if made is None:
        return DraftPull(why_not=f"the branch {branch} was not made: {client.capability.reason}")
    if not made:
        return DraftPull(why_not=exists)
    url = client.create_draft_pull(base=into, head=branch, title=title, body=body)
    if url is None:
        return DraftPull(why_not=f"the draft was not opened: {client.capability.reason}")
    return DraftPull(url=url)


def _mode(path: Path) -> str:
    """The file's git mode as the checkout has it (a new file: a plain one)."""
    try:
        return "100755" if os.lstat(path).st_mode & 0o111 else "100644"
    except OSError:
        return "100644"
