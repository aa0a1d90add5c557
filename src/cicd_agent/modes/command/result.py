"""The command's one result: what was asked, what happened, at which commit, and the reply."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, PrivateAttr

from cicd_agent.result import ModeResult

if TYPE_CHECKING:
    from cicd_agent.modes.command.mode import CommandFacts

Status = Literal["ignored", "refused", "answered", "ran", "failed"]


class CommandResult(ModeResult):
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
    details: list[str] = Field(default_factory=list)
    _facts: CommandFacts | None = PrivateAttr(default=None)
    """What ``publish`` needs to run the command (the pinned pull request); not rendered."""

    def mode_outputs(self) -> dict[str, object]:
        return {
            "command": self.command,
            "command_status": self.status,
            "head_sha": self.head_sha,
            "reply_url": self.reply_url,
        }

    def summary_body(self) -> str:
        lines = [
            "| | |",
            "|---|---|",
            f"| Command | {('`' + self.command + '`') if self.command else '—'} |",
            f"| Status | {self.status} |",
        ]
        if self.pull_request is not None:
            lines.append(f"| Pull request | #{self.pull_request} |")
        if self.head_sha:
            lines.append(f"| Head commit | `{self.head_sha[:12]}` |")
        if self.ran_mode:
            lines.append(f"| Ran | {self.ran_mode} (exit {self.ran_exit_code}) |")
        if self.reply_url:
            lines.append(f"| Reply | {self.reply_url} |")
        return "\n".join(lines)
