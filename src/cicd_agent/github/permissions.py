"""Whether a user may write to the repository, as GitHub's permission API says. A comment's
``author_association`` does not: MEMBER goes to every organisation member and COLLABORATOR to
read-only collaborators too. The permission API's answer is the user's highest base role from
every grant (``maintain`` reported as ``write``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from github import GithubException

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport


WRITE_PERMISSIONS = frozenset({"admin", "write"})
"""Base roles that may push (``maintain`` reports as ``write``)."""


def can_write(client: Transport, login: str) -> bool:
    """Whether ``login`` has admin, maintain or write permission on the repository; a user
    GitHub does not know (404) has none. Other failures raise, so nothing runs on a guess."""

    def read() -> bool:
        try:
            permission = client.repository.get_collaborator_permission(login)
        except GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return permission in WRITE_PERMISSIONS

    return client.read(f"reading the repository permission of {login}", read)
