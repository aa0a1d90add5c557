"""The run's event: its kind, the payload's file and the typed views of it the modes read
(:mod:`cicd_agent.job.payloads`), and the checks that a mode got the event it needs.

The views are pydantic models that validate the payload; they are loaded when an event file is
read (:func:`event_from`), so a run without one never loads them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import UsageError

if TYPE_CHECKING:
    from cicd_agent.job.payloads import (
        Comment,
        Deployment,
        Dispatch,
        Issue,
        MergeGroup,
        PullRequest,
        Push,
        Repository,
        User,
        WorkflowRun,
    )

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")


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
    """The run's event: its name, the raw payload, and the typed view for its kind (none for
    other events, or a local run). ``invoked_by`` is set by whoever builds the event, never by
    the payload."""

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
    """Which of our events a payload is, from its keys (None: none). A ``pull_request_target``
    payload reads as ``pull_request``: only ``GITHUB_EVENT_NAME`` tells them apart."""
    keys = raw.keys()
    for name, required, excluded in _SHAPES:
        if required <= keys and not excluded & keys:
            return name
    return None


def event_from(name: str | None, path: Path, raw: dict[str, Any]) -> Event:
    """The event ``raw`` holds, read from ``path`` as a payload of kind ``name``: its typed view
    set (none for a kind no mode reads). A payload that does not fit its kind's view raises
    pydantic's ``ValidationError``, which the reader of the file turns into a usage error."""
    from cicd_agent.job.payloads import views_of

    views = views_of(name, raw)
    if views is None:
        return Event(name=name, path=path, raw=raw, action=_str_or_none(raw.get("action")))
    return Event(name=name, path=path, raw=raw, **views)


def require(event: Event, kinds: Collection[str], mode: str, *, hint: str = "") -> None:
    """Fail with a usage error unless the run's event is one of ``kinds``: one message and exit
    code everywhere."""
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
