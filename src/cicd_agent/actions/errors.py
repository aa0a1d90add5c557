"""The one error policy: expected failures carry an exit code and a fix; anything else is a bug.
Exit codes, the same for every mode (README): 0 ran, whatever the verdict · 1 a threshold the
user set was met · 2 usage or configuration · 3 an external service failed."""

from __future__ import annotations

import re
from enum import IntEnum

from cicd_agent.actions.bidi import BIDI_CONTROLS

TYPE_CHECKING = False  # not typing's: --help imports this module, and typing is a real share
if TYPE_CHECKING:
    from pydantic import ValidationError


class ExitCode(IntEnum):
    OK = 0
    POLICY = 1
    USAGE = 2
    EXTERNAL = 3


_BREAKS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff{BIDI_CONTROLS}]")
"""What would end, hide or reorder a line: controls, line and paragraph separators, lone
surrogates, bidirectional controls."""


def one_line(text: str) -> str:
    """``text`` with every character that would break its line, or turn its order around on
    screen (a bidirectional control), shown escaped (``\\n``, ``\\u202e``)."""
    return _BREAKS.sub(lambda found: repr(found.group())[1:-1], text)


class CicdError(Exception):
    """An expected failure: one plain sentence for the user, an optional hint saying how to fix
    it. Both are one line whatever they quote (a key, a file name, a value of the input that
    failed): the exit path prints them as one line and one step output."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str = "") -> None:
        message, hint = one_line(message), one_line(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        # the hint is its own sentence: "... no such host. Check the FROM line ...", not
        # "... no such host Check the FROM line ..." after a message that quotes a tool
        stop = "" if not self.message or self.message.endswith((".", "!", "?", ":")) else "."
        return f"{self.message}{stop} {self.hint}".strip()


class UsageError(CicdError):
    """Bad flag or input, unreadable or malformed event, wrong event for the mode (exit 2)."""

    exit_code = ExitCode.USAGE


class ExternalServiceError(CicdError):
    """GitHub, the model, Prometheus or another service failed and the mode could not finish
    (exit 3)."""

    exit_code = ExitCode.EXTERNAL


class ModelError(ExternalServiceError):
    """The model could not give a usable answer; modes catch it and keep the deterministic
    result."""


class GitHubError(ExternalServiceError):
    """A GitHub API call failed. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


class GitHubWriteDenied(GitHubError):
    """The token cannot write here (fork PR, read-only token, 403): publish degrades, never
    fails."""


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


MORE_PLACES = 3
"""Where the problems after the first are, named at most."""


def first_problem(error: ValidationError, whole: str) -> str:
    """The first validation problem as ``findings.3.severity: message``, and how many more, with
    where the next few are (two missing fields are fixed in one go). The input is never quoted
    and a key is shown escaped and cut: an event, artifact or policy chose it, and this goes to
    the log."""
    problems = error.errors(include_url=False, include_input=False)

    def where(loc: tuple[int | str, ...]) -> str:
        return (
            ".".join(
                str(part)
                if isinstance(part, int) or _PLAIN_KEY.fullmatch(part)
                else repr(part[:40])
                for part in loc
            )
            or whole
        )

    first = problems[0]
    extra = len(problems) - 1
    places = ", ".join(where(p["loc"]) for p in problems[1 : 1 + MORE_PLACES])
    places += ", …" if extra > MORE_PLACES else ""
    more = f" (and {extra} more problem{'s' if extra > 1 else ''}: {places})" if extra else ""
    return f"{where(first['loc'])}: {first['msg']}{more}"
