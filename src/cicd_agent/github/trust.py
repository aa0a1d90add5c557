"""Whom the code under judgement came from, as GitHub's API answered: the one value of trust.

Two questions used to share one flag. "May this run publish?" depends on the token the workflow
holds (a comment's workflow holds the base repository's token even for a fork's pull request).
"Is this code from someone who can push?" depends only on the pull request: whether its head
lives in the base repository and whether its author has write access, per the API. Every reader
of trust (ignore comments, earlier summaries, dismissals, describe, the deploy identity, the
verifier's "verified") asks this value; nothing but :func:`read_trust` and the two classmethods
here builds one (the constructor asks for an object only this module holds), so a caller cannot
make a fork look trusted by rewriting an event or a :class:`PullRequestInfo`.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import TYPE_CHECKING

from cicd_agent.github import permissions, pulls

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient

_ISSUER = object()
"""Only this module makes a :class:`Trust`: its constructor asks for this object."""


@dataclass(frozen=True)
class Trust:
    """Where the code under judgement came from.

    ``is_fork``: the pull request's head lives in another repository (or one we cannot place).
    ``author``: the pull request's author, per the API ("" for code already pushed).
    ``author_can_push``: the author has write access to the base repository, per the API.
    """

    is_fork: bool
    author: str
    author_can_push: bool
    issuer: InitVar[object] = None

    def __post_init__(self, issuer: object) -> None:
        if issuer is not _ISSUER:
            raise TypeError("Trust is read from GitHub by cicd_agent.github.trust.read_trust")

    @property
    def code_is_proof(self) -> bool:
        """Whether a pass in the sandbox proves something: the code under test came from someone
        who can push (a same-repository branch whose author can write, or pushed code)."""
        return not self.is_fork and self.author_can_push

    @classmethod
    def pushed(cls) -> Trust:
        """Code that is already on a branch of the base repository with no pull request around
        it (a push, the default branch): only someone with write access could have put it there."""
        return cls(is_fork=False, author="", author_can_push=True, issuer=_ISSUER)

    @classmethod
    def unknown(cls) -> Trust:
        """No answer from GitHub (offline, no token): trusted with nothing."""
        return cls(is_fork=True, author="", author_can_push=False, issuer=_ISSUER)


def read_trust(client: GitHubClient, number: int) -> Trust:
    """Pull request ``number``'s trust, as the API answers now: the pull request as GitHub
    returns it (its head's repository, its author) and the author's permission. Read by number
    rather than taken from a caller's copy, so no event or record a run built can change it.
    A fork's author is not asked about: its code is no proof whoever wrote it. Raises what
    the reads raise (:class:`~cicd_agent.runner.errors.GitHubError`): a caller that cannot
    ask uses :meth:`Trust.unknown`."""
    pull = pulls.get_pull_request(client, number)
    can_push = not pull.is_fork and bool(pull.author) and permissions.can_write(client, pull.author)
    return Trust(is_fork=pull.is_fork, author=pull.author, author_can_push=can_push, issuer=_ISSUER)
