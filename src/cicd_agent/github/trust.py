"""Whom the code under judgement came from, as GitHub's API answered: the one value of trust.

Two questions used to share one flag. "May this run publish?" depends on the token the workflow
holds (a comment's workflow holds the base repository's token even for a fork's pull request).
"Is this code from someone who can push?" depends only on the pull request: whether its head
lives in the base repository and whether its author has write access, per the API. Every reader
of trust (ignore comments, earlier summaries, dismissals, describe, the deploy identity, the
verifier's "verified") asks this value; nothing but :func:`read_trust` and :meth:`Trust.pushed`
builds one, so a caller cannot make a fork look trusted by rewriting an event.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def code_is_proof(self) -> bool:
        """Whether a pass in the sandbox proves something: the code under test came from someone
        who can push (a same-repository branch whose author can write, or pushed code)."""
        return not self.is_fork and self.author_can_push

    @classmethod
    def pushed(cls) -> Trust:
        """Code that is already on a branch of the base repository with no pull request around
        it (a push, the default branch): only someone with write access could have put it there."""
        return cls(is_fork=False, author="", author_can_push=True)

    @classmethod
    def unknown(cls) -> Trust:
        """No answer from GitHub (offline, no token): trusted with nothing."""
        return cls(is_fork=True, author="", author_can_push=False)
