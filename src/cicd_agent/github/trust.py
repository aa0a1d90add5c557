"""Whom the code under judgement came from, as GitHub's API answered: the one value of trust.

Two questions must not share one flag. "May this run publish?" depends on the token the workflow
holds (a comment's workflow holds the base repository's token even for a fork's pull request).
"Is this code from someone who can push?" depends only on the pull request: whether its head
lives in the base repository and whether its author has write access, per the API. Every reader
of trust (ignore comments, earlier summaries, dismissals, describe, the deploy identity, the
verifier's "verified") asks this value; nothing but :func:`read_trust` and the two classmethods
here builds one (the constructor asks for an object only this module holds), so a caller cannot
make a fork look trusted by rewriting an event or a :class:`PullRequestInfo`.

A commit's trust (:func:`read_commit_trust`) is GitHub's answer for the commit itself, never
the name of the event that ran it: an ``issue_comment``, ``workflow_run`` or
``workflow_dispatch`` run can check out any commit of the fork network (how ``/ok-to-test``
workflows run a fork's head), with the base repository named as its head repository.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import InitVar, dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport

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


@dataclass(frozen=True)
class Code:
    """The code a run judges, named as GitHub can be asked about it: a pull request
    (``pull``), else a commit (``sha``) and the branches of this repository that may hold it.
    ``local``: no event at all, the operator's own checkout. A Code that names nothing (a fork's
    head, a run GitHub records at another commit than the one it ran) is trusted with nothing."""

    pull: int | None = None
    sha: str = ""
    branches: tuple[str, ...] = ()
    local: bool = False


class Answers(Protocol):
    """Where GitHub's answers come from: the run's reads (``RunContext``), each made once a run
    and trusted with nothing, with a note, when GitHub cannot be asked."""

    def trust_of(self, number: int | None) -> Trust: ...

    def commit_trust(self, sha: str, branches: Sequence[str]) -> Trust: ...


def code_trust(code: Code, answers: Answers) -> Trust:
    """Whom ``code`` came from: the one decision every reader of trust rests on (the run's own
    checkout for review's suggestion check, gen-tests and the test step; the failed run whose
    log analyse-failure reads, for its flakiness, its re-run and its fix's "verified"). GitHub's
    answer for the pull request, else for the commit on its branches; never the event's name."""
    if code.local:
        return Trust.pushed()
    if code.pull is not None:
        return answers.trust_of(code.pull)
    if code.sha:
        return answers.commit_trust(code.sha, code.branches)
    return Trust.unknown()


def read_trust(client: Transport, number: int) -> Trust:
    """Pull request ``number``'s trust, as the API answers now: the pull request as GitHub
    returns it (its head's repository, its author) and the author's permission. Read by number
    rather than taken from a caller's copy, so no event or record a run built can change it.
    A fork's author is not asked about: its code is no proof whoever wrote it. Raises what
    the reads raise (:class:`~cicd_agent.actions.errors.GitHubError`): a caller that cannot
    ask uses :meth:`Trust.unknown`."""
    from cicd_agent.github import permissions, pulls  # the SDK: only where a run asks GitHub

    pull = pulls.get_pull_request(client, number)
    can_push = not pull.is_fork and bool(pull.author) and permissions.can_write(client, pull.author)
    return Trust(is_fork=pull.is_fork, author=pull.author, author_can_push=can_push, issuer=_ISSUER)


MAX_PULLS = 20
"""Open pull requests of one commit asked about (each costs a read or two)."""
_BRANCH = re.compile(r"[\w.+/-]{1,255}")
"""A branch name as compare's ``base...head`` may hold it (no ``:``, which names a fork)."""
_NOT_A_BRANCH = re.compile(
    r"[0-9a-fA-F]{4,40}|(?:refs|pull|tags|heads|remotes)/.*|[A-Z_]*HEAD|.*\.\..*"
)
"""Names compare resolves as git does, before or instead of a branch: a commit's hex name,
``pull/2/head`` (``refs/pull/2/head``, a fork's pushed code) and the other ``refs/`` spaces,
the server's ``HEAD`` files, a range."""


def branch_name(name: str) -> bool:
    """Whether compare reads ``name`` as a branch of this repository and as nothing else; a
    branch whose name is refused (``deadbeef``) vouches for nothing."""
    return _BRANCH.fullmatch(name) is not None and _NOT_A_BRANCH.fullmatch(name) is None


def read_commit_trust(client: Transport, sha: str, branches: Sequence[str]) -> Trust:
    """Whom commit ``sha``'s code came from, as GitHub answers for the commit: the open pull
    requests that contain it (any fork's, or any whose author cannot push: untrusted; else
    :func:`read_trust`'s answer), or, with none, whether a branch of this repository holds it
    (``branches``: the run's, and the default GitHub names, each asked by compare, whose answer
    a fork's commit cannot change; only names compare reads as a branch: :func:`branch_name`).
    Neither: untrusted, whatever event ran it. Raises what the reads raise; a caller that
    cannot ask uses :meth:`Trust.unknown`."""
    from cicd_agent.github import pulls

    listed = [p for p in pulls.pulls_for_commit(client, sha) if p.state == "open"]
    trusts = [
        Trust(is_fork=True, author=p.author, author_can_push=False, issuer=_ISSUER)
        if p.is_fork
        else read_trust(client, p.number)
        for p in listed[:MAX_PULLS]
    ]
    if trusts:
        return next((t for t in trusts if not t.code_is_proof), trusts[0])
    named = dict.fromkeys(b for b in (*branches, client.default_branch()) if branch_name(b))
    if any(pulls.branch_holds(client, branch, sha) for branch in named):
        return Trust.pushed()
    return Trust.unknown()
