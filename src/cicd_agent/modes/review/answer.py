"""The schemas review's model answers in: a review call's :class:`ReviewAnswer` and
``describe``'s :class:`DescriptionAnswer` (strict structured output: every field required).
They import nothing of review, so the step types (:mod:`.types`) and the prompts
(:mod:`.prompt`) both stand on them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ModelVerdict = Literal["approve", "comment", "request_changes"]
Category = Literal[
    "security",
    "correctness",
    "reliability",
    "performance",
    "maintainability",
    "testing",
    "other",
]


class ModelFinding(BaseModel):
    """One problem as the model reports it (every field required: strict structured output)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    path: str
    line: int
    start_line: int | None
    severity: Literal["critical", "high", "medium", "low"]
    category: Category
    title: str
    body: str
    replacement: str | None
    confidence: float


class ReviewAnswer(BaseModel):
    """What one review call returns."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    summary: str
    verdict: ModelVerdict
    findings: list[ModelFinding]


class GroupSummary(BaseModel):
    """The model's sentence on one file group."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    group: str
    summary: str


class DescriptionAnswer(BaseModel):
    """What the model answers for ``describe`` (strict structured output; no risk field)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    what: str
    why: str
    groups: list[GroupSummary]
