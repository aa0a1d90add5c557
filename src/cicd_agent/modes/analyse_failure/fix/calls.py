"""The fix loop's tools as typed arguments: one pydantic model per tool.

The openai SDK derives each tool's strict JSON schema from its model
(:func:`openai.pydantic_function_tool`: every field listed, no other allowed), and every call's
arguments are parsed into the same model before anything runs. The arguments come from a model
that read attacker text, so whatever does not fit (not JSON, a lone surrogate, a wrong type, a
number no line can have, a NUL, a field the tool does not take, a tool that does not exist) is
:class:`~.tools.Refused` with one line the model reads back, never a crash. Optional fields are
nullable rather than absent, as strict schemas require; ``None`` means the tool's default.
"""

from __future__ import annotations

from typing import Annotated, Final

import openai
from openai.types.chat import ChatCompletionToolParam
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from cicd_agent.modes.analyse_failure.fix.tools import Refused

MAX_LINE_NUMBER = 10_000_000
"""No file the tools read has more lines (they read at most 4 MiB); a larger number is a
malformed call, refused rather than clamped."""
MAX_PATTERN = 500
MAX_LISTED_PROBLEMS = 3
NOT_JSON = frozenset({"json_invalid", "json_type", "string_unicode"})
"""Validation error types that mean the arguments are not JSON text at all."""


def _text(value: str) -> str:
    if "\0" in value:
        raise ValueError("must not hold a NUL character")
    return value


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON true is no line number, though int(True) is 1
        raise ValueError("must be a whole number, not a boolean")
    return value


def _pattern(value: str) -> str:
    if not 1 <= len(value) <= MAX_PATTERN:
        raise ValueError(f"must be 1 to {MAX_PATTERN} characters")
    return value


def _line(value: int) -> int:
    if not 1 <= value <= MAX_LINE_NUMBER:
        raise ValueError(f"must be from 1 to {MAX_LINE_NUMBER:,}")
    return value


Text = Annotated[str, AfterValidator(_text)]
Number = Annotated[int, BeforeValidator(_not_bool), AfterValidator(_line)]
PathText = Annotated[Text, Field(description="path relative to the checkout root")]
DiffText = Annotated[Text, Field(description="unified diff with --- a/PATH and +++ b/PATH headers")]


class ToolArguments(BaseModel):
    """The arguments of one tool; the docstring of each subclass is its description."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadFile(ToolArguments):
    """Read numbered lines of a text file in the checkout."""

    path: PathText
    start_line: Number | None = None
    max_lines: Number | None = None


class Search(ToolArguments):
    """Search the checkout's tracked files; fixed string unless regex is true (POSIX ERE)."""

    pattern: Annotated[
        Text, AfterValidator(_pattern), Field(description=f"1 to {MAX_PATTERN} characters")
    ]
    regex: StrictBool | None = None  # "yes" or 1 is no answer to a yes-or-no question
    path: PathText | None = None


class GitLog(ToolArguments):
    """The latest commits touching a path."""

    path: PathText
    max_count: Number | None = None


class GitBlame(ToolArguments):
    """Who last changed each line of a file, for a line range."""

    path: PathText
    start_line: Number | None = None
    end_line: Number | None = None


class RunFailingCommand(ToolArguments):
    """Run the failing command in the sandbox, with a candidate diff applied if given."""

    diff: DiffText | None = None


class ProposePatch(ToolArguments):
    """Submit a fix; it is verified in the sandbox and the verdict comes back."""

    diff: DiffText
    summary: Annotated[Text, Field(description="one sentence")]


NAMES: Final[dict[str, type[ToolArguments]]] = {
    "read_file": ReadFile,
    "search": Search,
    "git_log": GitLog,
    "git_blame": GitBlame,
    "run_failing_command": RunFailingCommand,
    "propose_patch": ProposePatch,
}
"""Each tool's name, as the model calls it, and its arguments."""

TOOLS: Final[tuple[ChatCompletionToolParam, ...]] = tuple(
    openai.pydantic_function_tool(model, name=name, description=model.__doc__)
    for name, model in NAMES.items()
)
"""What the model is offered: each tool's strict schema, derived by the SDK from its model."""


def parse_call(name: str, arguments: str) -> ToolArguments:
    """The call's arguments as its tool's model, or Refused saying what does not fit."""
    model = NAMES.get(name)
    if model is None:
        raise Refused(f"there is no tool named {name[:80]!r}")
    try:
        return model.model_validate_json(arguments or "{}")
    except ValidationError as exc:
        raise Refused(_problem(name, exc)) from None


def _problem(name: str, exc: ValidationError) -> str:
    """One line for the model, never quoting the input it sent."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if any(error["type"] in NOT_JSON for error in errors):
        return "the arguments are not valid JSON"
    if any(error["type"] == "model_type" and not error["loc"] for error in errors):
        return "the arguments must be a JSON object"
    shown = [
        f"{'.'.join(str(part) for part in error['loc']) or '(arguments)'}: {error['msg']}"
        for error in errors[:MAX_LISTED_PROBLEMS]
    ]
    more = (
        f" (and {len(errors) - MAX_LISTED_PROBLEMS} more)"
        if len(errors) > MAX_LISTED_PROBLEMS
        else ""
    )
    return f"the arguments do not fit {name}: {'; '.join(shown)}{more}"
