"""The model's read-only view of the checkout: read a file, search, git log and blame.

Every argument comes from the model, which read attacker text (the checkout and the logs): its
types, ranges and characters are checked by the tool's model (:mod:`.calls`), and each path is
checked before use (:mod:`cicd_agent.local.checkout_files`): relative, no ``..``, nothing
under ``.git``, and no symbolic link on the way, since the pull request made every link here
(``cfg -> .git/config`` would hand the model the checkout's credential header). Searches and
git commands run through :mod:`cicd_agent.local.git` with fixed argument lists (never a shell),
a timeout and bounded output, and read the checked-out commit's objects, never the working
tree's ``.gitattributes`` or ``.mailmap`` (a ``* binary`` line would hide every file from the
search); a regular expression goes to ``git grep`` (whose matcher does not backtrack without
limit, unlike Python's ``re``).
Nothing here writes to the checkout: edits exist only as diffs the verifier applies to its own
copy in the sandbox (diffs are checked by :mod:`.policy`, the verifier's own rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.local import git, git_ops
from cicd_agent.local.checkout_files import CheckoutFileError, read_bytes, unlinked
from cicd_agent.runner.errors import UsageError

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

    @property
    def root(self) -> Path:
        return self.checkout.root

    def read_file(self, path: str, start_line: int = 1, max_lines: int = 200) -> str:
        """Numbered lines of a text file in the checkout."""
        relative = checked_path(self.root, path)
        start = max(start_line, 1)
        count = min(max(max_lines, 1), MAX_READ_LINES)
        try:
            data = read_bytes(self.root, relative, MAX_READ_BYTES)
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

    def search(self, pattern: str, regex: bool = False, path: str | None = None) -> str:
        """Matching lines (``path:line:text``) in the checkout's tracked files."""
        where = None if path is None else str(checked_path(self.root, path))
        output = self._git(git_ops.grep, pattern, regex=regex, path=where, allowed_codes=(0, 1))
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

    def git_log(self, path: str, max_count: int = 10) -> str:
        """The latest commits touching ``path``: short hash, date, author, subject."""
        relative = checked_path(self.root, path)
        count = min(max(max_count, 1), 30)
        found = self._git(git_ops.log, str(relative), count=count)
        return bounded(found or "no commits touch this path")

    def git_blame(self, path: str, start_line: int = 1, end_line: int = 40) -> str:
        """Who last changed each line of ``path`` in a range (at most 200 lines)."""
        relative = checked_path(self.root, path)
        start = max(start_line, 1)
        end = min(max(end_line, start), start + 199)
        return bounded(self._git(git_ops.blame, str(relative), start, end))

    @cached_property
    def _objects(self) -> git.Place:
        """The checkout's objects without its working tree (opened once: a process)."""
        repo = self.checkout.git
        return git.objects_of(repo.git_dir, repo.shared_dir)

    def _git(
        self,
        operation: Callable[..., git.GitResult],
        *args: object,
        allowed_codes: tuple[int, ...] = (0,),
        **options: object,
    ) -> str:
        """``operation`` of :mod:`~cicd_agent.local.git_ops` on the checkout's objects."""
        name = operation.__name__
        try:
            done = operation(self._objects, *args, timeout=GIT_TIMEOUT, **options)
        except git.GitTimedOut:
            raise Refused(f"git {name} took longer than {GIT_TIMEOUT:g}s") from None
        except (OSError, UsageError) as exc:
            raise Refused(f"git {name} could not run: {exc}") from None
        if done.returncode not in allowed_codes:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise Refused(f"git {name} failed: {reason[-1][:300] if reason else done.returncode}")
        return done.stdout[: 1 << 20].decode("utf-8", "replace")
