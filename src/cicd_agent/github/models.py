"""Plain data the GitHub facade takes and returns, importing nothing from PyGithub, so a mode can
build comments and read results without loading the client library."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from cicd_agent.actions.runner_io import Annotation as RunnerAnnotation

if TYPE_CHECKING:
    from cicd_agent.actions.annotations import AnnotationText
    from cicd_agent.actions.markdown import Neutral

WriteStatus = Literal["created", "updated", "skipped", "dry_run"]
ReviewEvent = Literal["COMMENT", "APPROVE", "REQUEST_CHANGES"]
Side = Literal["LEFT", "RIGHT"]
AnnotationLevel = Literal["notice", "warning", "failure"]
CheckConclusion = Literal[
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"
]
ReviewVerdict = Literal["approved", "changes_requested", "review_required"]


@dataclass(frozen=True)
class SentRequest:
    """One write exactly as it went (or, in a dry run, would have gone) to the API."""

    method: str
    path: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class WriteOutcome:
    """What a write did; ``skipped`` carries the reason so the mode can put it in the summary."""

    what: str
    status: WriteStatus
    requests: tuple[SentRequest, ...] = ()
    id: int | None = None
    url: str = ""
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.status in ("created", "updated")


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    title: str
    body: str
    state: str
    draft: bool
    merged: bool
    author: str
    html_url: str
    head_sha: str
    head_ref: str
    head_repo: str
    base_sha: str
    base_ref: str
    base_repo: str

    @property
    def is_fork(self) -> bool:
        """A fork's head lives in another repository (or in one deleted since)."""
        return self.head_repo != self.base_repo


class FileChange(NamedTuple):
    """One file of a commit we make: its text (None: deleted) and its git file mode."""

    path: str
    text: str | None
    mode: str


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str
    additions: int
    deletions: int
    patch: str = ""
    previous_filename: str = ""


@dataclass(frozen=True)
class ReviewComment:
    """An inline review comment; ``start_line`` makes it span lines ``start_line..line``."""

    path: str
    line: int
    body: Neutral
    side: Side = "RIGHT"
    start_line: int | None = None
    start_side: Side | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "body": self.body,
            "line": self.line,
            "side": self.side,
        }
        if self.start_line is not None:
            data["start_line"] = self.start_line
            data["start_side"] = self.start_side or self.side
        return data


@dataclass(frozen=True)
class ReviewDecision:
    """Where a pull request's reviews stand: the latest approving or blocking review per user."""

    number: int
    merged: bool
    verdict: ReviewVerdict


@dataclass(frozen=True, init=False)
class Annotation(RunnerAnnotation):
    """One check run annotation: the runner's annotation, whose texts are made there and only
    there (plain text within the Checks API's limits: a title over 255 characters or a lone
    surrogate makes GitHub refuse the whole check run), given as the Checks API names its
    parts. Its level is the runner's (``error``) until :meth:`payload` spells it ``failure``."""

    file: AnnotationText
    line: int
    end_line: int

    def __init__(
        self,
        path: str,
        start_line: int,
        end_line: int,
        level: AnnotationLevel,
        message: str,
        *,
        title: str = "",
        raw_details: str = "",
    ) -> None:
        super().__init__(
            "error" if level == "failure" else level,
            message,
            title=title or None,
            file=path,
            line=start_line,
            end_line=end_line,
            raw_details=raw_details or None,
        )

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.file,
            "start_line": self.line,
            "end_line": self.end_line,
            "annotation_level": "failure" if self.level == "error" else self.level,
            "message": self.message,
        }
        if self.title:
            data["title"] = self.title
        if self.raw_details:
            data["raw_details"] = self.raw_details
        return data


@dataclass(frozen=True)
class StepInfo:
    number: int
    name: str
    status: str
    conclusion: str | None


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    conclusion: str | None
    run_attempt: int
    html_url: str
    steps: tuple[StepInfo, ...] = field(default=())


DEPLOYMENTS_READ = 50
"""Deployments to an environment read at most (the newest, one page of the listing)."""


@dataclass(frozen=True)
class DeploymentInfo:
    """One deployment GitHub lists: its id, the commit it deployed and when it was made."""

    id: int
    sha: str
    created_at: datetime


@dataclass(frozen=True)
class DeploymentListing:
    """The deployments GitHub listed that name a deployment id, a 40-digit commit id and a
    time with its zone, and how many others it listed (left out: a date the keys cannot order,
    or a commit name such as ``HEAD`` that would choose what a deployment is compared with)."""

    deployments: tuple[DeploymentInfo, ...]
    dropped: int


@dataclass(frozen=True)
class WorkflowRunInfo:
    id: int
    name: str
    workflow_id: int
    head_sha: str
    head_branch: str
    event: str
    status: str
    conclusion: str | None
    run_attempt: int
    html_url: str
    pull_request_numbers: tuple[int, ...] = ()
    path: str = ""
    """The workflow's file (``.github/workflows/ci.yml``): the test history's key."""
    from_fork: bool = True
    """Its head lives in another repository than the run's (a fork's pull request), or in one
    GitHub no longer names: its code is no one's who can push, whatever branch holds it."""
