"""A mode's result as a pydantic model: for a mode whose result holds pydantic rows (its own
answers' shapes, a policy's decision), so its ``--json`` is pydantic's dump of them.

Its own module: importing pydantic is a large share of a review's start, and review's result is
plain dataclasses (:class:`~cicd_agent.job.pipeline.PlainResult`); only a mode whose result is
made here loads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.job.context import ToolRun
from cicd_agent.job.pipeline import BaseResult
from cicd_agent.model.usage import ModelUsageReport


class ModeResult(BaseResult, BaseModel):
    """:class:`~cicd_agent.job.pipeline.BaseResult`'s fields as a pydantic model."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    mode: str
    headline: str
    notes: list[str] = Field(default_factory=list)
    tools: list[ToolRun] = Field(default_factory=list)
    usage: ModelUsageReport = Field(default_factory=ModelUsageReport)
    service_failure: str | None = None
    error: str = ""

    @classmethod
    def posted_fields(cls) -> dict[str, Any]:
        fields = cls.model_fields
        return {name: fields[name].annotation or object for name in cls.POSTED if name in fields}

    def shown(self, posted: Mapping[str, object]) -> Self:
        shown = self.model_copy(update=dict(posted))
        shown.notes = list(shown.notes)
        return shown

    def fields_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
