"""Typed views of the webhook payloads the modes read: the shapes ``GITHUB_EVENT_PATH``'s file is
read into (:func:`cicd_agent.job.resolve.load_event` reads it).

Why views and not the full schemas: GitHub's payloads carry hundreds of fields, change over time
and older recordings lack fields newer schemas require. We model only the fields we use, ignore
the rest (``extra="ignore"``) and default optional ones to ``None``, so a payload from an older
GitHub Enterprise Server still loads. What we do use is checked strictly: a commit SHA must look
like one (it is later handed to git as an argument), numbers must be numbers. A file that does not
fit is a usage error (exit 2) that names the file and the problem, never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from cicd_agent.actions.errors import UsageError

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def _check_sha(value: str) -> str:
    if not _SHA.fullmatch(value):
        # repr() and a cap: the value is untrusted and this message is printed to the log.
        shown = repr(value[:48] + ("..." if len(value) > 48 else ""))
        raise PydanticCustomError("sha", "{value} is not a full commit SHA", {"value": shown})
    return value


Sha = Annotated[str, AfterValidator(_check_sha)]
"""A full commit SHA (SHA-1, or SHA-256 for repositories that use it), lower-case hex."""

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


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
        """True when the head lives in another repository (or a deleted one).

        Such a pull request runs with a read-only token and no secrets, so publishing must
        degrade to outputs, summary and annotations.
        """
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
    """A comment in a pull request's conversation or on one of its lines (a review comment).

    ``author_association`` is what GitHub says of the writer's standing in the repository
    (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, ...); ``in_reply_to_id`` is set on a reply in a
    review thread and names the thread's first comment."""

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

# How to recognise a payload when GITHUB_EVENT_NAME is not set (outside a runner): keys the event
# must have, and keys that mark a look-alike (deployment_status and workflow_job payloads also
# carry a deployment; deployment payloads also carry a workflow_run). Checked in order.
_SHAPES: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("pull_request_review_comment", frozenset({"comment", "pull_request"}), frozenset()),
    ("issue_comment", frozenset({"comment", "issue"}), frozenset()),
    ("pull_request", frozenset({"pull_request", "number"}), frozenset()),
    ("deployment", frozenset({"deployment"}), frozenset({"deployment_status", "workflow_job"})),
    ("workflow_run", frozenset({"workflow_run", "workflow"}), frozenset({"deployment"})),
    ("workflow_dispatch", frozenset({"inputs", "workflow", "ref"}), frozenset()),
    ("merge_group", frozenset({"merge_group"}), frozenset()),
    ("push", frozenset({"ref", "before", "after", "commits"}), frozenset({"pull_request"})),
)


class Invoker(Enum):
    """Who started a mode: the workflow's own event, or a writer's comment that the command
    mode turned into a run of the mode (a comment's workflow holds the base repository's
    token, even for a fork's pull request). Never read from the payload."""

    WORKFLOW = "workflow"
    COMMAND = "command"


@dataclass(frozen=True)
class Event:
    """The run's event: its name, the raw payload, and the typed view for its kind.

    Exactly one of the views is set for the events we understand; none for other events or
    when there is no event file (a local run with ``--base``/``--head``). ``invoked_by`` is
    set by whoever builds the event, never by the payload.
    """

    name: str | None
    path: Path | None
    raw: dict[str, Any] = field(default_factory=dict)
    action: str | None = None
    repository: Repository | None = None
    sender: User | None = None
    pull_request: PullRequest | None = None
    push: Push | None = None
    workflow_run: WorkflowRun | None = None
    deployment: Deployment | None = None
    dispatch: Dispatch | None = None
    issue: Issue | None = None
    comment: Comment | None = None
    merge_group: MergeGroup | None = None
    invoked_by: Invoker = Invoker.WORKFLOW


def infer_event_name(raw: dict[str, Any]) -> str | None:
    """Guess which of our events a payload is from its keys; None when it matches none.

    ``pull_request_target`` payloads look exactly like ``pull_request`` ones and are reported
    as the latter; only a runner's ``GITHUB_EVENT_NAME`` can tell them apart.
    """
    keys = raw.keys()
    for name, required, excluded in _SHAPES:
        if required <= keys and not excluded & keys:
            return name
    return None


def event_from(name: str | None, path: Path, raw: dict[str, Any]) -> Event:
    """The event ``raw`` holds, read from ``path`` as a payload of kind ``name``: its typed view
    set (none for a kind no mode reads). A payload that does not fit its kind's view raises
    pydantic's ``ValidationError``, which the reader of the file turns into a usage error."""
    payload_type = _PAYLOADS.get(name or "")
    if payload_type is None:
        return Event(name=name, path=path, raw=raw, action=_str_or_none(raw.get("action")))
    payload = payload_type.model_validate(raw)
    return Event(
        name=name,
        path=path,
        raw=raw,
        action=payload.action,
        repository=payload.repository,
        sender=payload.sender,
        pull_request=payload.pull_request if isinstance(payload, _PullRequestPayload) else None,
        push=payload if isinstance(payload, _PushPayload) else None,
        workflow_run=payload.workflow_run if isinstance(payload, _WorkflowRunPayload) else None,
        deployment=payload.deployment if isinstance(payload, _DeploymentPayload) else None,
        dispatch=payload if isinstance(payload, _DispatchPayload) else None,
        merge_group=payload.merge_group if isinstance(payload, _MergeGroupPayload) else None,
        issue=payload.issue if isinstance(payload, _IssueCommentPayload) else None,
        comment=(
            payload.comment
            if isinstance(payload, _IssueCommentPayload | _ReviewCommentPayload)
            else None
        ),
    )


def require(event: Event, kinds: Collection[str], mode: str, *, hint: str = "") -> None:
    """Fail with a usage error unless the run's event is one of ``kinds``.

    Why here and not in each mode: the message and the exit code must be the same everywhere.
    """
    if event.path is None or event.name not in kinds:
        raise _wrong_event(event, kinds, mode, hint)


def require_workflow_run(event: Event, mode: str, *, hint: str = "") -> WorkflowRun:
    """The workflow run of a ``workflow_run`` event, or a usage error."""
    if event.workflow_run is None:
        raise _wrong_event(event, ("workflow_run",), mode, hint)
    return event.workflow_run


def described(event: Event) -> str:
    """The run's event in a message; an event file whose kind is not told is not "a None event"."""
    if event.path is not None and event.name is None:  # neither --event-name nor its keys
        return f"{event.path.name}, an event file of unknown kind; pass --event-name"
    return "no event file" if event.path is None else f"a {event.name} event"


def _wrong_event(event: Event, kinds: Collection[str], mode: str, hint: str) -> UsageError:
    wanted = " or ".join(kinds)
    return UsageError(
        f"Mode {mode} needs a {wanted} event, got {described(event)}.",
        hint=hint or f"Run it from a workflow triggered by {wanted}, or pass --event PATH to one.",
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
