"""The items a review's result lists besides its findings: files the model did not see, the
workflow findings an ignore comment left out, and the inline comments as placed. Each renders
its own line; :mod:`.result` holds the lists.
"""

from __future__ import annotations

from dataclasses import asdict

from pydantic import BaseModel, ConfigDict

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.workflows import HonouredIgnore


class FileNote(BaseModel):
    """A file the model did not see, and why."""

    model_config = ConfigDict(extra="forbid")

    path: str
    reason: str


class IgnoredNote(BaseModel):
    """A workflow finding an ignore comment left out, as the summary lists it."""

    model_config = ConfigDict(extra="forbid")

    path: str
    comment_line: int
    audit: str
    finding_line: int | None
    severity: str
    title: str
    why: str

    @classmethod
    def of(cls, honoured: HonouredIgnore) -> IgnoredNote:
        return cls(**asdict(honoured))

    def markdown(self) -> str:
        where = f":{self.finding_line}" if self.finding_line else ""
        return (
            f"- {name_span(f'{self.path}{where}')}: {self.severity} {self.title} "
            f"({self.audit}), left out by `# zizmor: ignore[{self.audit}]` on line "
            f"{self.comment_line}: honoured because {self.why}."
        )


class InlineNote(BaseModel):
    """An inline comment as placed (or as it would be, in a dry run)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    line: int
    start_line: int | None = None
    body: str
    moved_from: int | None = None
