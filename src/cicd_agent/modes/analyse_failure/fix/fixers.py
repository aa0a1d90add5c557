"""The deterministic fixer: the repository's own linter or formatter, run in its fixing form.

When the failing command ran a tool with a fixing form in
:data:`cicd_agent.analysis.known_tools.TOOLS` (ruff, black, isort, eslint, prettier), and that
tool is installed in this job, the same command with the tool's fixing switch (``ruff check
--fix``, ``ruff format``, ``black``, ``isort``, ``eslint --fix``, ``prettier --write``) runs on a
copy of the checkout, with the same arguments (so the same files and configuration), **in the
sandbox**: eslint and prettier configurations are JavaScript and run as the tool starts, and any
formatter's configuration is the pull request's. What changed in the copy, read back as data by
:func:`tree_diff` (on our side, in Python: ``git diff --no-index`` would read attributes and
configuration that the copy controls), is the patch; the verifier then judges it like any other.

Only files the fixer changed count: a file it created (a cache) is not part of a fix. A command
with shell syntax (pipes, ``&&``, redirections) is not rewritten: its fixing form is not ours
to guess. Nor is a step whose ``shell:`` is not bash or sh (pwsh, powershell, cmd, python):
its command is not a POSIX shell line, and running it under bash would verify something the
step never ran.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cicd_agent.analysis.known_tools import TOOLS, KnownTool, base, tools_named
from cicd_agent.analysis.unified_diff import file_diff
from cicd_agent.local.job_tools import Refused, job_tool
from cicd_agent.modes.analyse_failure.fix.judge.claims import FailingCommand, Patch
from cicd_agent.modes.analyse_failure.fix.judge.script import shell_argv
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.walk import FOLDER_FLAGS, Visitor, walk
from cicd_agent.sandbox.workspace import SKIPPED_NAMES, remove_tree

FIX_TIMEOUT = 300.0
_POSIX_SHELLS = frozenset({"bash", "sh"})
_SHELL_SYNTAX = frozenset({"|", "||", "&", "&&", ";", ";;", ">", ">>", "<", "<<", "(", ")"})


_NOT_STARTED = {126: "its tool is not executable there", 127: "its tool was not found there"}
"""The shell's exit codes for a command it could not start: nothing ran, so nothing changed
says nothing about the fix (``ruff`` missing was "changed nothing")."""


def fixing_command(command: str) -> tuple[KnownTool, str] | None:
    """The fixer for a simple command running one known tool, and its fixing form."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    if any(token in _SHELL_SYNTAX for token in tokens) or "$(" in command or "`" in command:
        return None
    named = tools_named(command)
    for tool in (tool for tool in TOOLS if tool.name in named):
        rewritten = tool.rewrite(tokens)
        if rewritten is not None:
            return tool, shlex.join(rewritten)
    return None


def not_installed(
    fixer: KnownTool, command: str, checkout: Path, environ: Mapping[str, str]
) -> str:
    """Why the tool is not this job's to run ("" when it is): as named (a path, from the
    checkout's root, where the step runs), on ``PATH``, in the checkout's virtualenv or
    ``node_modules/.bin``; never a file the pull request's tree tracks (``job_tool``)."""
    words = shlex.split(command)
    named = next((w for w in words if base(w) == fixer.executable and "/" in w), None)
    found = job_tool(named or fixer.executable, checkout, environ, installs=True)
    if found is None:
        return f"{fixer.executable} is not installed in this job; install it before this step"
    return found.reason if isinstance(found, Refused) else ""


@dataclass(frozen=True)
class FixerRun:
    """What the deterministic fixer did: the patch (if any), or why there is none; ``tool``: the
    fixing command it started and why it could not run ("": it ran), for the run's ``tools``."""

    patch: Patch | None
    note: str
    tool: tuple[str, str] | None = None


def run_fixer(sandbox: Sandbox, failing: FailingCommand, environ: Mapping[str, str]) -> FixerRun:
    """The deterministic fixer's patch for ``failing``: its tool's fixing form, run in a
    sandboxed copy."""
    # the program of its ``shell:`` line (``/usr/bin/bash -e {0}``); none is bash, the default
    if base((failing.shell.split() or ["bash"])[0]) not in _POSIX_SHELLS:
        return FixerRun(None, f"the step's shell is not bash or sh ({failing.shell[:80]})")
    found = fixing_command(failing.failing)
    if found is None:
        return FixerRun(None, "the failing command runs no linter or formatter we can fix with")
    fixer, command = found
    why = not_installed(fixer, failing.failing, sandbox.checkout, environ)
    if why:
        return FixerRun(None, f"not attempted: {why}", (command, why))
    if not sandbox.isolation.sandboxed:
        return FixerRun(None, f"no sandbox on this runner ({sandbox.isolation.detail})")
    parts = failing.commands
    before = parts[: parts.index(failing.failing)] if failing.failing in parts else ()
    space = sandbox.workspace("fixer")
    try:
        script = space.scratch("fix", ".sh")
        script.write_text("\n".join([*before, command]) + "\n", encoding="utf-8")
        argv = shell_argv(failing.shell, script)
        if argv is None:
            return FixerRun(None, f"the step's shell line cannot run here ({failing.shell[:80]})")
        ran = sandbox.run(argv, space, timeout=FIX_TIMEOUT, borrowed_env=dict(failing.env))
        why = ran.describe() if ran.sandbox_failure else ""
        if ran.returncode in _NOT_STARTED:  # the shell's status: the tool never ran
            why = (
                f"it could not start in the sandbox (exit {ran.returncode}: "
                f"{_NOT_STARTED[ran.returncode]}); install it where the step's PATH finds it"
            )
        if why:
            return FixerRun(None, f"not attempted: `{command}`: {why}", (command, why))
        try:
            diff = tree_diff(sandbox.pristine, space.repo)
        except UnreadableChange as exc:
            return FixerRun(None, f"{fixer.name} changed a file we cannot show ({exc})")
    finally:
        remove_tree(space.root)
    if not diff:
        return FixerRun(None, f"`{command}` changed nothing", (command, ""))
    return FixerRun(Patch(diff=diff, source="fixer", summary=command), command, (command, ""))


MAX_FILE_BYTES = 2 << 20
"""A changed file larger than this is not read back (no offered patch could hold it anyway)."""


class UnreadableChange(ValueError):
    """A changed file that is not UTF-8 text: no patch of ours carries binary data."""


def tree_diff(before: Path, after: Path) -> str:
    """What turned ``before`` into ``after``, as a ``git apply``-able diff (paths a/ b/).

    Only regular files count: symbolic links (a linked ``.venv``, ``node_modules``) and cache
    folders are skipped on both sides, and so are files that exist on one side only (a
    formatter's cache is not part of its fix). Both trees are walked and read by
    descriptors (:func:`cicd_agent.sandbox.walk`), never by whole paths: a path that fits under
    the checkout may be past the kernel's limit under the sandbox's longer folder.
    """
    old, new = _Files(before).found, _Files(after).found
    chunks: list[str] = []
    for relative in sorted(old.keys() & new.keys()):
        if old[relative] == new[relative]:
            continue
        left, right = _read(before, relative), _read(after, relative)
        if left != right:
            chunks.append(file_diff(relative, _text(relative, left), _text(relative, right)))
    return "".join(chunks)


def _read(root: Path, relative: str) -> bytes:
    """The bytes of ``relative`` under ``root``, opened one name at a time (no link followed)."""
    *folders, name = relative.split("/")
    folder = os.open(root, FOLDER_FLAGS)
    try:
        for part in folders:
            deeper = os.open(part, FOLDER_FLAGS, dir_fd=folder)
            os.close(folder)
            folder = deeper
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as file:
        if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
            raise UnreadableChange(f"{name} is larger than {MAX_FILE_BYTES >> 20} MiB")
        return file.read()


def _text(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableChange(f"{path} changed and is not UTF-8 text") from exc


class _Files(Visitor):
    """The regular files under ``root``: each one's path and size and a digest of its bytes
    (read in chunks: a large unchanged file is never held whole); links and skipped folders
    are left out. Walked without recursion (a fixer's run may nest folders thousands deep)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.found: dict[str, tuple[int, bytes]] = {}
        walk(root, self)

    def entry(self, folder: int, name: str, found: os.stat_result) -> bool:
        if stat.S_ISDIR(found.st_mode):
            return name not in SKIPPED_NAMES
        if stat.S_ISREG(found.st_mode):
            digest = hashlib.sha256()
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
            with os.fdopen(fd, "rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
            self.found["/".join([*self.parts, name])] = (found.st_size, digest.digest())
        return False

    def failed(self, error: OSError) -> None:
        raise error
