"""Where a build may run, and which base may write the storage kept between runs.

Building a pull request's Dockerfile runs its ``RUN`` lines, so the build happens only where
the job holds no secret and no write token, or where the code is the repository's own:
``pull_request`` (a fork's gets neither), ``push``, ``merge_group`` (approved pull requests'
code, built as any head is: the builder's bare environment, its own storage), a dispatch, a
schedule, ``workflow_run`` on the repository's own head, or a local run. Every other event is
refused: ``pull_request_target``, ``issue_comment`` and the review events run with the base's
secrets and a write token while the workflow may check out a fork's head, and so does
``workflow_run`` on a fork's head.

The kept storage is read by every later run's builds, so only a base that GitHub vouches for
is built into it: the merge base with a pull request's base branch, or a push's ``before``
(the branch as it was). A base given by hand, or taken as the head's parent, may be anyone's
commit (a dispatch's ``head`` input set to a fork's): it builds in the run's own storage, and
the team's own files are not read from it. So does a merge queue's ``base_sha``: with two pull
requests queued it is the first one's group, approved code that may leave the queue unmerged.

The checkout's side: the Dockerfile and the context must be inside the files exported from the
commit, and a link under the context that points out of it is refused (a ``COPY`` following it
would read the runner's files)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.events import Event

BUILDS_ON = frozenset(
    {"pull_request", "push", "merge_group", "workflow_dispatch", "schedule", "workflow_run"}
)
"""The events the build mode runs on (a local run has none)."""


def refusal(event_name: str | None, event: Event | None) -> str:
    """Why this event must not build the pull request's code ("" when it may)."""
    if event_name and event_name not in BUILDS_ON:
        return (
            f"the build mode refuses {event_name}: that job holds the base's secrets and a "
            "write token, and may have checked out a fork's code, whose RUN lines the build "
            "would run; run it on pull_request"
        )
    run = event.workflow_run if event is not None else None
    if event_name == "workflow_run" and run is not None:
        head = run.head_repository.full_name if run.head_repository else ""
        own = event.repository.full_name if event is not None and event.repository else ""
        if not head or head != own:
            return (
                "the build mode refuses workflow_run on a fork's head: it would run the "
                "fork's RUN lines with this repository's secrets; run it on pull_request"
            )
    return ""


def vouched_base(event: Event | None) -> str:
    """The commit the event vouches for as the team's own, whose merge base with the head may
    be built into the kept storage: a pull request's base, a push's ``before``; "" for any
    other event (a merge queue's group too: its parent may be another queued group), a new
    branch's push, or a local run."""
    if event is None:
        return ""
    if event.pull_request is not None:
        return event.pull_request.base.sha
    if event.push is not None and set(event.push.before) != {"0"}:
        return event.push.before
    return ""


def inside(root: Path, relative: str, what: str) -> Path:
    """``relative`` under ``root``, refused when it climbs out or is absolute."""
    clean = posixpath.normpath(relative.replace("\\", "/"))
    if clean.startswith(("/", "../")) or clean == "..":
        raise UsageError(
            f"--{what} {relative!r} is outside the checkout.",
            hint=f"Give --{what} relative to the checkout.",
        )
    return root / clean


def links_out(context: Path, left_out: list[str], root: Path) -> list[str]:
    """The links under ``context`` that point out of it: those the export left out (they
    pointed out of the checkout) and those that climb out of the context folder."""
    inner = context.relative_to(root).as_posix().strip(".")
    prefix = f"{inner}/" if inner else ""
    found = [name for name in left_out if name.removeprefix("./").startswith(prefix)]
    for path in context.rglob("*"):
        if path.is_symlink():
            try:
                target = (path.parent / path.readlink()).resolve(strict=False)
            except (OSError, RuntimeError):  # a loop of links
                target = Path("/")
            if not target.is_relative_to(context.resolve()):
                found.append(path.relative_to(root).as_posix())
    return sorted(found)
