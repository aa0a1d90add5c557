"""The model's tools: each call's typed arguments, and its read-only view of the checkout
(read a file, search, git log and blame).

Every argument comes from the model, which read attacker text (the checkout and the logs). The
SDK derives each tool's strict JSON schema from its pydantic model
(:func:`cicd_agent.model.conversation.function_tool`: every field listed, no other allowed), and
every call's arguments are parsed into the same model before anything runs: whatever does not
fit (not JSON, a lone surrogate, a wrong type, a number no line can have, a NUL, a field the
tool does not take, a tool that does not exist) is :class:`Refused` with one line the model
reads back, never a crash. Optional fields are nullable rather than absent, as strict schemas
require; ``None`` means the tool's default.

Each path is checked before use (:mod:`cicd_agent.local.checkout_files`): relative, no ``..``,
nothing under ``.git``, and no symbolic link on the way, since the pull request made every
link here (``cfg -> .git/config`` would hand the model the checkout's credential header).
Searches and git commands run through :mod:`cicd_agent.local.git` with fixed argument lists
(never a shell), a timeout and bounded output, and read the checked-out commit's objects, never
the working tree's ``.gitattributes`` or ``.mailmap`` (a ``* binary`` line would hide every file
from the search); a regular expression goes to ``git grep`` (whose matcher does not backtrack
without limit, unlike Python's ``re``). Nothing here writes to the checkout: edits exist only
as diffs the verifier applies to its own copy in the sandbox, under its policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from cicd_agent.actions.errors import UsageError
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes, unlinked
from cicd_agent.local.git import GitResult, GitTimedOut, Place, objects_of
from cicd_agent.local.git_ops import blame as git_blame
from cicd_agent.local.git_ops import grep as git_grep
from cicd_agent.local.git_ops import log as git_log
from cicd_agent.model.conversation import Tool, function_tool

if TYPE_CHECKING:
    from collections.abc import Callable

    from cicd_agent.local.checkout import GitCheckout

MAX_READ_LINES = 400
MAX_READ_BYTES = 4 << 20
MAX_TOOL_OUTPUT = 12_000
"""Characters of one tool result the model sees; the rest is cut with a note."""
MAX_SEARCH_HITS = 60
GIT_TIMEOUT = 20.0


class Refused(Exception):
    """A tool call that was not carried out, with the one-line reason the model and audit get."""


def checked_path(root: Path, raw: str) -> PurePosixPath:
    """``raw`` as a path inside ``root`` that goes through no symbolic link, or Refused saying
    why not (see the module docstring)."""
    if not raw.strip():
        raise Refused("a path must be a non-empty string")
    text = raw.strip()
    if "\\" in text:
        raise Refused(f"path {text[:200]!r} has a backslash")
    try:
        return unlinked(root, text)
    except CheckoutFileError as exc:
        raise Refused(f"path {exc}") from None


def bounded(text: str, limit: int = MAX_TOOL_OUTPUT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [{len(text) - limit:,} more characters cut]"


@dataclass(frozen=True)
class Checkout:
    """The failed commit's checkout, as the model's tools see it: the run's one git checkout
    (``ctx.checkout``), read through its files and its objects."""

    checkout: GitCheckout

    def read(self, arguments: ToolArguments) -> str:
        """A read-only tool's answer (None in an argument: the tool's default): a file's lines,
        matching lines (``path:line:text``) in the tracked files, the latest commits touching a
        path (short hash, date, author, subject), or who last changed each line of a range."""
        root = self.checkout.root
        match arguments:
            case ReadFile():
                return self._read_file(checked_path(root, arguments.path), arguments)
            case Search():
                where = None if arguments.path is None else str(checked_path(root, arguments.path))
                output = self._git(
                    git_grep,
                    arguments.pattern,
                    regex=arguments.regex is True,
                    path=where,
                    allowed_codes=(0, 1),
                )
                lines = [line.removeprefix("HEAD:") for line in output.splitlines()]
                if not lines:
                    return "no matches"
                shown = "\n".join(line[:300] for line in lines[:MAX_SEARCH_HITS])
                more = (
                    f"\n… [{len(lines) - MAX_SEARCH_HITS} more matches]"
                    if len(lines) > MAX_SEARCH_HITS
                    else ""
                )
                return bounded(shown + more)
            case GitLog():
                relative = str(checked_path(root, arguments.path))
                count = min(max(arguments.max_count or 10, 1), 30)
                found = self._git(git_log, relative, count=count)
                return bounded(found or "no commits touch this path")
            case GitBlame():
                relative = str(checked_path(root, arguments.path))
                start = max(arguments.start_line or 1, 1)
                end = min(max(arguments.end_line or 40, start), start + 199)
                return bounded(self._git(git_blame, relative, start, end))
        raise Refused(f"{type(arguments).__name__} is no read of the checkout")

    def _read_file(self, relative: PurePosixPath, arguments: ReadFile) -> str:
        """Numbered lines of a text file in the checkout."""
        start = max(arguments.start_line or 1, 1)
        count = min(max(arguments.max_lines or 200, 1), MAX_READ_LINES)
        try:
            data = read_bytes(self.checkout.root, relative, MAX_READ_BYTES)
        except CheckoutFileError as exc:
            raise Refused(str(exc)) from None
        if b"\0" in data[:8192]:
            raise Refused(f"{relative} is a binary file")
        lines = data.decode("utf-8", "replace").splitlines()
        shown = lines[start - 1 : start - 1 + count]
        text = "\n".join(f"{number:>5}  {line}" for number, line in enumerate(shown, start))
        more = len(lines) - (start - 1 + len(shown))
        tail = (
            f"\n… [{more} more lines; read on with start_line={start + len(shown)}]"
            if more > 0
            else ""
        )
        return bounded(f"{relative} ({len(lines)} lines)\n{text}{tail}")

    @cached_property
    def _objects(self) -> Place:
        """The checkout's objects without its working tree (opened once: a process)."""
        repo = self.checkout.git
        return objects_of(repo.git_dir, repo.shared_dir)

    def _git(
        self,
        operation: Callable[..., GitResult],
        *args: object,
        allowed_codes: tuple[int, ...] = (0,),
        **options: object,
    ) -> str:
        """``operation`` of :mod:`~cicd_agent.local.git_ops` on the checkout's objects."""
        name = operation.__name__
        try:
            done = operation(self._objects, *args, timeout=GIT_TIMEOUT, **options)
        except GitTimedOut:
            raise Refused(f"git {name} took longer than {GIT_TIMEOUT:g}s") from None
        except (OSError, UsageError) as exc:
            raise Refused(f"git {name} could not run: {exc}") from None
        if done.returncode not in allowed_codes:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise Refused(f"git {name} failed: {reason[-1][:300] if reason else done.returncode}")
        return done.stdout[: 1 << 20].decode("utf-8", "replace")


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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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


TOOLS: Final[tuple[Tool, ...]] = tuple(function_tool(model, name) for name, model in NAMES.items())
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
