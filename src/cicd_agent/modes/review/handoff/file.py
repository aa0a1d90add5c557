"""The review result file of the fork-safe pattern: its versioned schema, how the unprivileged
step writes it, and how the privileged step reads it without believing it.

Step 1 (``--result-file``) runs on ``pull_request`` with a read-only token and no secrets, so it
can review a fork's pull request; step 2 (``--publish-from``) runs from ``workflow_run`` with a
write token and publishes what step 1 found. Whoever opened the pull request controls step 1
entirely — its workflow file, its code, the artifact it uploads — so step 2 reads the file as
hostile input: a size cap before parsing, JSON without duplicate keys or NaN, and a schema with
``extra="forbid"``, strict types and an exact version. What the file says is then only a claim
(:mod:`.collect` checks it against the event and the pull request's real diff).

The schema, version 1 (README, "Fork pull requests: the two-workflow pattern")::

    {"format": "cicd-agent/review-result", "version": 1,
     "pull_request": 12, "head_sha": "<40 or 64 hex>", "base_sha": "<hex>" | null,
     "decision": "approve" | "comment" | "request_changes",      # informational, never used
     "risk_level": "low" | "medium" | "high" | "critical", "risk_reasons": ["…"],  # ≤ 10
     "summary": "…", "omitted_findings": 0,
     "findings": [{"rule": "secret", "severity": "critical", "category": "security",
                   "path": "src/a.py", "line": 3, "start_line": null, "title": "…",
                   "body": "…", "suggestion": null, "confidence": 1.0,
                   "source": "deterministic" | "model"}]}                     # ≤ 1,000

Every key is required (``null`` where allowed). The SARIF file is not part of it: step 2 writes
its own from the findings it accepted, so code scanning never shows an unchecked claim. A
finding's ``source`` is step 1's word and never believed: step 2 shows every finding of the file
as the pull request's claim, and only what its own checks find again as theirs.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.actions.errors import UsageError, first_problem
from cicd_agent.job.payloads import Sha
from cicd_agent.local.checkout_files import write_output
from cicd_agent.modes.review.answer import Category
from cicd_agent.modes.review.result import SUMMARY_LIMIT, ReviewDecision, ReviewResult, cut

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding

RESULT_FORMAT: Final = "cicd-agent/review-result"
RESULT_VERSION: Final = 1
MAX_RESULT_BYTES = 2 * 1024 * 1024
"""Bigger files are refused unread: step 1 never writes more (it drops the least severe
findings first to stay under it), so a bigger file was not written by cicd-agent."""
MAX_FINDINGS = 1000
TITLE_MAX = 200
BODY_MAX = 4000
"""The same cuts as for a model's findings (``decide.model_findings``)."""
SUGGESTION_MAX = 4000
REASONS_MAX = 10
REASON_MAX = 300

_REFUSED_HINT = (
    "The file comes from the pull request's own workflow run and is treated as untrusted; "
    "re-run the review workflow (same cicd-agent version in both workflows) to make a new one."
)
SeverityName = Literal["critical", "high", "medium", "low"]
RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
PositiveInt = Annotated[int, Field(ge=1)]


class _Strict(BaseModel):
    """No unknown keys, no coercion (``"3"`` is not a line number), immutable once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class HandedFinding(_Strict):
    rule: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    severity: SeverityName
    category: Category
    path: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    line: PositiveInt | None
    start_line: PositiveInt | None
    title: str
    body: str
    suggestion: str | None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    source: Literal["deterministic", "model"]


class HandedResult(_Strict):
    format: Literal["cicd-agent/review-result"]
    version: Literal[1]
    pull_request: PositiveInt
    head_sha: Sha
    base_sha: Sha | None
    decision: ReviewDecision
    risk_level: RiskLevel
    risk_reasons: Annotated[list[str], Field(max_length=REASONS_MAX)]
    summary: str
    omitted_findings: Annotated[int, Field(ge=0)]
    findings: Annotated[list[HandedFinding], Field(max_length=MAX_FINDINGS)]


# ------------------------------------------------------------------------------ step 1: write


def write_result_file(
    path: Path, result: ReviewResult, redact: Callable[[str], str], checkout: Path
) -> int:
    """Write ``result`` for the publishing step (never through a link in ``checkout``);
    returns how many findings had to be left out.

    Texts are redacted again (the artifact is downloadable by anyone who can read the
    repository) and cut to the lengths step 2 enforces, so an honest file is never refused.
    """
    if result.pull_request is None or not result.head:
        raise UsageError(
            "result-file needs a pull request: the result names the pull request and commit "
            "it is about.",
            hint="Run the review on a pull_request event (step 1 of the fork-safe pattern).",
        )
    header = HandedResult(
        format=RESULT_FORMAT,
        version=RESULT_VERSION,
        pull_request=result.pull_request,
        head_sha=result.head,
        base_sha=result.base,
        decision=result.decision,
        risk_level=cast(RiskLevel, result.risk_level),
        risk_reasons=[cut(redact(r), REASON_MAX) for r in result.risk_reasons[:REASONS_MAX]],
        summary=cut(redact(result.summary), SUMMARY_LIMIT),
        omitted_findings=0,
        findings=[],
    )
    findings = _fitting([_handed(f, redact) for f in result.findings], len(_dump(header)))
    omitted = len(result.findings) - len(findings)
    document = header.model_copy(update={"findings": findings, "omitted_findings": omitted})
    try:
        write_output(checkout, path, _dump(document))
    except OSError as exc:
        raise UsageError(
            f"The review result could not be written to {path}: {exc.strerror or exc}."
        ) from exc
    return omitted


def _handed(finding: Finding, redact: Callable[[str], str]) -> HandedFinding:
    suggestion = redact(finding.suggestion) if finding.suggestion else None
    return HandedFinding(
        rule=finding.rule,
        # pydantic checks both values against the schema's literals as the model is built
        severity=cast(SeverityName, finding.severity.label),
        category=cast(Category, finding.category),
        path=finding.path,
        line=finding.line,
        start_line=finding.start_line,
        title=cut(redact(finding.title), TITLE_MAX),
        body=cut(redact(finding.body), BODY_MAX),
        suggestion=suggestion if suggestion and len(suggestion) <= SUGGESTION_MAX else None,
        confidence=finding.confidence,
        source="deterministic" if finding.source == "deterministic" else "model",
    )


def _fitting(findings: Sequence[HandedFinding], header_bytes: int) -> list[HandedFinding]:
    """The most severe findings (they come sorted) that fit the count and size caps."""
    room = MAX_RESULT_BYTES - header_bytes - 1024
    kept: list[HandedFinding] = []
    for finding in findings[:MAX_FINDINGS]:
        room -= len(_dump(finding)) + 2
        if room < 0:
            break
        kept.append(finding)
    return kept


def _dump(model: BaseModel) -> bytes:
    return model.model_dump_json().encode("utf-8")


# ------------------------------------------------------------------------------- step 2: read


def refused(path: Path, reason: str) -> UsageError:
    """The one sentence for a result file step 2 will not publish (exit 2, nothing posted)."""
    return UsageError(
        f"The review result {path} was refused ({reason}); nothing was posted.",
        hint=_REFUSED_HINT,
    )


def read_result_file(path: Path) -> HandedResult:
    """The validated result in ``path``, or a usage error saying why it was refused."""
    data = _read_capped(path)
    try:
        raw = load_json(data, unique_keys=True)
    except JsonRefused as exc:
        raise refused(path, f"it is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise refused(path, "it is not a JSON object")
    if raw.get("format") != RESULT_FORMAT:
        raise refused(path, f"it is not a {RESULT_FORMAT} file")
    version = raw.get("version")
    if type(version) is not int or version != RESULT_VERSION:
        shown = repr(version)[:20]
        raise refused(
            path,
            f"it has schema version {shown}; this cicd-agent reads version {RESULT_VERSION}",
        )
    try:
        return HandedResult.model_validate(raw)
    except ValidationError as exc:
        raise refused(path, first_problem(exc, "the document")) from None


def _read_capped(path: Path) -> bytes:
    """At most ``MAX_RESULT_BYTES`` of a regular file, never following a symbolic link (an
    artifact could point one at a file of the runner) and never blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise refused(path, "it does not exist; was the artifact downloaded?") from None
    except OSError as exc:
        raise refused(path, f"it cannot be opened: {exc.strerror or exc}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise refused(path, "it is not a regular file")
        data = handle.read(MAX_RESULT_BYTES + 1)
    if len(data) > MAX_RESULT_BYTES:
        raise refused(path, f"it is larger than {MAX_RESULT_BYTES:,} bytes")
    return data
