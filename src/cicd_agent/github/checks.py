"""A check run per (name, head commit): created once, then updated, annotations 50 at a time.

GitHub accepts at most 50 annotations per request and appends those of each update, so every
batch is its own PATCH; the last one also completes the run with its conclusion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.markdown import Neutral
from cicd_agent.github.limits import (
    ANNOTATIONS_PER_REQUEST,
    CHECK_SUMMARY_MAX,
    CHECK_TITLE_MAX,
    fit,
)
from cicd_agent.github.models import Annotation, CheckConclusion, WriteOutcome

if TYPE_CHECKING:
    from cicd_agent.github.transport import Transport


def publish_check_run(
    client: Transport,
    *,
    name: str,
    head_sha: str,
    title: Neutral,
    summary: Neutral,
    conclusion: CheckConclusion,
    annotations: Sequence[Annotation] = (),
    text: Neutral | None = None,
) -> WriteOutcome:
    """Create (if needed) and complete the check run; one outcome listing every request.
    Title, summary and text are neutral text; an annotation's message and title are shown as
    plain text (GitHub renders no Markdown in them)."""
    what = f"publishing check run {name!r} on {head_sha[:12]}"

    def find() -> int | None:
        runs = client.repository.get_commit(head_sha).get_check_runs(check_name=name)
        return next((run.id for run in runs if run.name == name), None)

    existing = client.read(f"looking up check run {name!r}", find)
    output: dict[str, Any] = {
        "title": fit(title, CHECK_TITLE_MAX),
        "summary": fit(summary, CHECK_SUMMARY_MAX),
    }
    if text:
        output["text"] = fit(text, CHECK_SUMMARY_MAX)
    outcomes: list[WriteOutcome] = []
    if existing is None:
        created = client._send(
            what,
            "POST",
            f"{client.repo_path}/check-runs",
            {"name": name, "head_sha": head_sha, "status": "in_progress", "output": output},
            status="created",
        )
        outcomes.append(created)
        existing = created.id
    run_ref = str(existing) if existing is not None else "{check_run_id}"
    starts = range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
    batches = [annotations[i : i + ANNOTATIONS_PER_REQUEST] for i in starts] or [()]
    for index, batch in enumerate(batches):
        body: dict[str, Any] = {"output": dict(output)}
        if batch:
            body["output"]["annotations"] = [a.payload() for a in batch]
        if index == len(batches) - 1:
            body |= {"status": "completed", "conclusion": conclusion}
        outcomes.append(
            client._send(
                what, "PATCH", f"{client.repo_path}/check-runs/{run_ref}", body, status="updated"
            )
        )
    return _combine(what, outcomes)


def _combine(what: str, outcomes: list[WriteOutcome]) -> WriteOutcome:
    """One outcome for the whole publication: the first skip decides, else the first status."""
    requests = tuple(r for o in outcomes for r in o.requests)
    skipped = next((o for o in outcomes if o.status == "skipped"), None)
    first = outcomes[0]
    ids = [o.id for o in outcomes if o.id is not None]
    urls = [o.url for o in outcomes if o.url]
    return WriteOutcome(
        what,
        skipped.status if skipped else first.status,
        requests,
        id=ids[0] if ids else None,
        url=urls[-1] if urls else "",
        reason=skipped.reason if skipped else first.reason,
    )
