"""Where a build may run. Building a pull request's Dockerfile runs its ``RUN`` lines, so the
build happens only where the job holds no secret and no write token: ``pull_request`` (a
fork's gets neither), ``push``, ``merge_group`` (approved pull requests' code, built as any
head is: the builder's bare environment, its own storage), a dispatch or a local run.
``pull_request_target`` runs with the base's secrets, and ``workflow_run`` on a fork's head
inherits the base's too: both refused.

The checkout's side: the Dockerfile and the context must be inside the files exported from the
commit, and a link under the context that points out of it is refused (a ``COPY`` following it
would read the runner's files)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from cicd_agent.api import Event, UsageError


def refusal(event_name: str | None, event: Event | None) -> str:
    """Why this event must not build the pull request's code ("" when it may)."""
    if event_name == "pull_request_target":
        return (
            "the build mode refuses pull_request_target: it would run the pull request's "
            "RUN lines with the base's secrets; run it on pull_request"
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
