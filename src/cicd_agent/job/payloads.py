"""Typed views of the webhook payloads the modes read, from ``GITHUB_EVENT_PATH``'s file.

Only the fields we use are modelled, the rest ignored and optional ones defaulted, so a payload
from an older GitHub Enterprise Server still loads; what we use is checked strictly (a SHA must
look like one: it is handed to git). A file that does not fit is a usage error naming the file
and the problem. Its own module, so a run without an event file never loads pydantic."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypedDict

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def _check_sha(value: str) -> str:
    if not _SHA.fullmatch(value):
        # repr() and a cap: the value is untrusted and this message is printed to the log.
        shown = repr(value[:48] + ("..." if len(value) > 48 else ""))
        raise PydanticCustomError("sha", "{value} is not a full commit SHA", {"value": shown})
    return value


Sha = Annotated[str, AfterValidator(_check_sha)]
"""A full commit SHA (SHA-1, or SHA-256 for repositories that use it), lower-case hex."""


class _View(BaseModel):
    """Base of every view: unknown fields ignored, values immutable once loaded."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class User(_View):
    login: str
    type: str | None = None
    """``User``, ``Bot`` or ``Organization``."""


class Repository(_View):
    full_name: str
    name: str
    owner: User
    default_branch: str | None = None
    html_url: str | None = None


class Branch(_View):
    """One side of a pull request. ``repo`` is null when the fork it came from was deleted."""

    sha: Sha
    ref: str
    repo: Repository | None = None


def from_other_repository(head: Repository | None, base: Repository | None) -> bool:
    """Whether ``head`` is another repository than ``base`` (a fork), or one we cannot place
    (deleted, or not in the payload): either way it runs without the base's trust."""
    return head is None or base is None or head.full_name != base.full_name


class PullRequest(_View):
    number: int
    title: str
    body: str | None = None
    head: Branch
    base: Branch
    draft: bool = False
    user: User | None = None
    html_url: str | None = None

    @property
    def is_fork(self) -> bool:
        """True when the head lives in another repository (or a deleted one): such a run has a
        read-only token and no secrets, so publishing degrades."""
        return from_other_repository(self.head.repo, self.base.repo)


class Push(_View):
    """The pushed range; its commits are read from git, not from the payload (which lists 20)."""

    ref: str
    before: Sha
    after: Sha


class RunBranch(_View):
    sha: Sha
    ref: str


class RunPullRequest(_View):
    number: int
    head: RunBranch
    base: RunBranch


class WorkflowRun(_View):
    id: int
    workflow_id: int
    head_sha: Sha
    head_branch: str | None = None
    event: str
    conclusion: str | None = None
    run_attempt: int | None = None
    html_url: str
    pull_requests: list[RunPullRequest] = []
    head_repository: Repository | None = None
    path: str = ""
    """The workflow's file (``.github/workflows/ci.yml``)."""


class MergeGroup(_View):
    """A merge queue's group: the commit GitHub made of the base and the queued pull requests
    (``head_sha``, on a ``gh-readonly-queue/…`` branch) and the base it was made on."""

    head_sha: Sha
    head_ref: str
    base_sha: Sha
    base_ref: str


class Deployment(_View):
    id: int
    sha: Sha
    ref: str
    environment: str


class Dispatch(_View):
    """A ``workflow_dispatch`` run: the inputs the user typed and the ref it runs on."""

    ref: str
    inputs: dict[str, Any] | None = None


class Issue(_View):
    """The issue an ``issue_comment`` is on; ``pull_request`` is set when that issue is a pull
    request (it then holds only links: the pull request itself must be read from the API)."""

    number: int
    title: str = ""
    pull_request: dict[str, Any] | None = None

    @property
    def is_pull_request(self) -> bool:
        return self.pull_request is not None


class Comment(_View):
    """A comment in a pull request's conversation or on one of its lines. ``in_reply_to_id``
    names a review thread's first comment."""

    id: int
    body: str | None = None
    user: User | None = None
    author_association: str = "NONE"
    html_url: str | None = None
    in_reply_to_id: int | None = None
    path: str | None = None
    line: int | None = None
    diff_hunk: str | None = None
    commit_id: str | None = None
    """A line comment's commit now: GitHub moves it to a later head that leaves its line alone
    (and a reply in the thread carries the moved one)."""
    original_commit_id: str | None = None
    """The commit the comment (or its thread) was written on."""

    @property
    def written_on(self) -> str | None:
        """The commit whose diff the writer read, for a line comment; None for a conversation
        comment. Never the moved ``commit_id`` where GitHub says the original: a fork's push
        that leaves the line alone would otherwise pass as read."""
        return self.original_commit_id or self.commit_id


class _Envelope(_View):
    """Fields every event we use carries."""

    action: str | None = None
    repository: Repository
    sender: User | None = None


class _PullRequestPayload(_Envelope):
    pull_request: PullRequest


class _IssueCommentPayload(_Envelope):
    issue: Issue
    comment: Comment


class _ReviewCommentPayload(_PullRequestPayload):
    comment: Comment


class _PushPayload(_Envelope, Push):
    pass


class _WorkflowRunPayload(_Envelope):
    workflow_run: WorkflowRun


class _DeploymentPayload(_Envelope):
    deployment: Deployment


class _DispatchPayload(_Envelope, Dispatch):
    pass


class _MergeGroupPayload(_Envelope):
    merge_group: MergeGroup


_PAYLOADS: dict[str, type[_Envelope]] = {
    "pull_request": _PullRequestPayload,
    "pull_request_target": _PullRequestPayload,
    "push": _PushPayload,
    "workflow_run": _WorkflowRunPayload,
    "merge_group": _MergeGroupPayload,
    "deployment": _DeploymentPayload,
    "workflow_dispatch": _DispatchPayload,
    "issue_comment": _IssueCommentPayload,
    "pull_request_review_comment": _ReviewCommentPayload,
}


class Views(TypedDict, total=False):
    """The run's event's typed views, by the :class:`~cicd_agent.job.events.Event` field each
    fills."""

    action: str | None
    repository: Repository
    sender: User | None
    pull_request: PullRequest
    push: Push
    workflow_run: WorkflowRun
    deployment: Deployment
    dispatch: Dispatch
    merge_group: MergeGroup
    issue: Issue
    comment: Comment


def views_of(name: str | None, raw: dict[str, Any]) -> Views | None:
    """The views of a payload of kind ``name`` (None for a kind no mode reads). A payload that
    does not fit its kind's view raises pydantic's ``ValidationError``, which the reader of the
    file turns into a usage error."""
    payload_type = _PAYLOADS.get(name or "")
    if payload_type is None:
        return None
    payload = payload_type.model_validate(raw)
    views = Views(action=payload.action, repository=payload.repository, sender=payload.sender)
    if isinstance(payload, _PullRequestPayload):
        views["pull_request"] = payload.pull_request
    if isinstance(payload, _PushPayload):
        views["push"] = payload
    if isinstance(payload, _WorkflowRunPayload):
        views["workflow_run"] = payload.workflow_run
    if isinstance(payload, _DeploymentPayload):
        views["deployment"] = payload.deployment
    if isinstance(payload, _DispatchPayload):
        views["dispatch"] = payload
    if isinstance(payload, _MergeGroupPayload):
        views["merge_group"] = payload.merge_group
    if isinstance(payload, _IssueCommentPayload):
        views["issue"] = payload.issue
    if isinstance(payload, _IssueCommentPayload | _ReviewCommentPayload):
        views["comment"] = payload.comment
    return views
