"""The items a review's result lists besides its findings: files the model did not see, the
workflow findings an ignore comment left out, and the inline comments as placed. Each renders
its own line; :mod:`.result` holds the lists.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.workflows import HonouredIgnore


class FileNote(BaseModel):
    """A file the model did not see, and why."""

    model_config = ConfigDict(extra="forbid")

    path: str
    reason: str


def ignored_line(honoured: HonouredIgnore) -> str:
    """The summary's line for a workflow finding an ignore comment left out."""
    where = f":{honoured.finding_line}" if honoured.finding_line else ""
    return (
        f"- {name_span(f'{honoured.path}{where}')}: {honoured.severity} {honoured.title} "
        f"({honoured.audit}), left out by `# zizmor: ignore[{honoured.audit}]` on line "
        f"{honoured.comment_line}: honoured because {honoured.why}."
    )


class InlineNote(BaseModel):
    """An inline comment as placed (or as it would be, in a dry run)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    line: int
    start_line: int | None = None
    body: str
    moved_from: int | None = None
