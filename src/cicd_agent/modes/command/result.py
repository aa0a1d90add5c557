"""The command's one result: what was asked, what happened, at which commit, and the reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from cicd_agent.actions.markdown import Reference
from cicd_agent.job.pipeline import NOT_SHOWN, PlainResult

_COMMON = frozenset({"error", "tokens_used", "cost_usd"})
"""Outputs every result writes: the command's values stand for the step."""

Status = Literal["ignored", "refused", "answered", "ran", "failed"]


@dataclass(kw_only=True)
class CommandResult(PlainResult):
    """``status``: ``ignored`` (not a command: no reaction, no reply), ``refused`` (no write
    access: one polite line), ``answered`` (a reply only: help, ask, a problem with the
    command), ``ran`` (another mode ran), ``failed`` (the mode it ran could not finish)."""

    command: str = ""
    status: Status = "ignored"
    reason: str = ""
    pull_request: int | None = None
    head_sha: str = ""
    """The head commit the command acted on (read once from the API, then pinned)."""
    ran_mode: str = ""
    ran_headline: str = ""
    ran_exit_code: int = 0
    reply: str = ""
    reply_url: str = ""
    reacted: bool = False
    thread: int | None = None
    """The review thread answered in, when the comment was in one."""
    details: list[str] = field(default_factory=list)
    ran_outputs: dict[str, str] = field(default_factory=dict, metadata=NOT_SHOWN)
    """The outputs of the mode the command ran: the step's outputs too (the command's own
    win where the names meet), written once with the command's."""
    ran_summary: str = field(default="", metadata=NOT_SHOWN)
    """The summary of the mode the command ran, shown before the command's own."""

    POSTED: ClassVar[frozenset[str]] = frozenset(
        {"status", "reply", "ran_mode", "ran_exit_code", "ran_headline", "ran_outputs"}
        | {"ran_summary", "details", "service_failure", "reply_url"}
    )
    """What publish learns by running the command's mode and replying: how the mode ended (or
    that nothing was run after all), the reply worded from it, and where the reply went."""

    def posted_outputs(self) -> frozenset[str]:
        """``command_status`` and ``reply_url``; the ran mode's outputs, which the decided
        result has none of, are written after publish too."""
        return frozenset({"command_status", "reply_url"})

    def mode_outputs(self) -> dict[str, object]:
        return {
            **{name: value for name, value in self.ran_outputs.items() if name not in _COMMON},
            "command": self.command,
            "command_status": self.status,
            "head_sha": self.head_sha,
            "reply_url": self.reply_url,
        }

    def summary_markdown(self, first: str = "") -> str:
        return self.ran_summary + super().summary_markdown(first)

    def references(self) -> tuple[Reference, ...]:
        return () if self.pull_request is None else (Reference(self.pull_request),)

    def summary_body(self) -> str:
        lines = [
            "| | |",
            "|---|---|",
            f"| Command | {('`' + self.command + '`') if self.command else '—'} |",
            f"| Status | {self.status} |",
        ]
        if self.pull_request is not None:
            lines.append(f"| Pull request | {Reference(self.pull_request)} |")
        if self.head_sha:
            lines.append(f"| Head commit | `{self.head_sha[:12]}` |")
        if self.ran_mode:
            lines.append(f"| Ran | {self.ran_mode} (exit {self.ran_exit_code}) |")
        if self.reply_url:
            lines.append(f"| Reply | {self.reply_url} |")
        elif self.reply and self.status != "ignored":  # not posted (no token, a dry run)
            lines += ["", "**The reply, not posted:**", "", self.reply]
        return "\n".join(lines)
