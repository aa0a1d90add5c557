"""Which of the linters the repository configures review runs, on which changed files
(:func:`plan_linters`): a tool runs only when the repository configures it at its root and it
is installed in this job, only on the changed files whose text in the checkout is the reviewed
head's; a tool that will not run says why, among them one whose configuration the change
removes, and one installed that the repository does not configure is named in a note, so its
silence is not read as a clean check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.analysis.known_tools import TOOLS, Checking, KnownTool
from cicd_agent.local.checkout import GitCheckout, check_out_head
from cicd_agent.local.checkout_files import CheckoutFileError, is_file, read_text
from cicd_agent.local.job_tools import job_tool
from cicd_agent.modes.review.lint.callers import importers, linked_packages
from cicd_agent.modes.review.lint.lint_command import LintCommand, run_argv

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff, FileDiff
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.options import ReviewOptions

_check_out = partial(check_out_head, commit="the reviewed commit", mode="review")
MAX_FILES = 500
"""Changed files handed to one linter (the rest are counted in a note)."""


@dataclass(frozen=True)
class Planned:
    """One linter to run: the tool, its command as the suggestion check runs it again
    (:class:`~cicd_agent.modes.review.lint.lint_command.LintCommand`), and the files it checks."""

    tool: KnownTool
    command: LintCommand
    files: tuple[str, ...]
    reconfigured: bool = False
    """The pull request changes the tool's settings: its silence is under them."""


def configured(checking: Checking, checkout: Path) -> bool:
    """Whether the repository configures the tool at its root."""
    if any(is_file(checkout, name) for name in checking.configs):
        return True
    for name, start in checking.inside:
        if not is_file(checkout, name):
            continue
        try:
            text = read_text(checkout, name)
        except CheckoutFileError:
            continue
        if any(line.strip().startswith(start) for line in text.splitlines()):
            return True
    return False


def unconfigured(checking: Checking, diff: Diff) -> bool:
    """Whether the change takes away the tool's configuration at the root: deletes or renames
    one of its files, or removes the line that opens its section (``[tool.mypy]``). A pull
    request that breaks a type and drops the checker's settings with it is not reviewed as if
    the project had no checker."""
    for file in diff.files:
        before = file.old_path or file.path
        if before in checking.configs and (file.status == "deleted" or before != file.path):
            return True
        if any(
            file.path == name
            and any(
                line.kind == "-" and line.text.strip().startswith(start)
                for hunk in file.hunks
                for line in hunk.lines
            )
            for name, start in checking.inside
        ):
            return True
    return False


def reconfigured(checking: Checking, diff: Diff) -> list[str]:
    """The files configuring the tool at the root that the change adds or edits (``noCheck``
    or an ``exclude`` turns it off for the files it would check)."""
    return [
        file.path
        for file in diff.files
        if file.path in checking.configs
        or any(file.path == name and _in_section(start, file) for name, start in checking.inside)
    ]


def _in_section(start: str, file: FileDiff) -> bool:
    """Whether a line the change adds or removes in ``file`` lies in the section whose opening
    line begins with ``start``."""
    inside = False
    for hunk in file.hunks:
        for line in hunk.lines:
            text = line.text.strip()
            if text.startswith("["):
                inside = text.startswith(start)
            if inside and line.kind in ("+", "-"):
                return True
    return False


CALLERS_TOO = ("mypy",)
"""Checkers run on the changed files that check a caller only when it is named too
(:mod:`.callers`); tsc, go vet and clippy check the whole project or package."""
TYPE_CHECKERS = ("mypy", "tsc")
"""The tools whose absence leaves a change's types unchecked: said in a note when neither
configured nor run, so silence never reads as types checked."""


def plan_linters(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    diff: Diff,
    sides: tuple[str, str],
    checkout: Path,
) -> list[Planned]:
    """The linters to run on ``diff`` between ``sides`` (base, head), each with the files it
    checks; every tool that will not run says why (``ctx.tool``), or a note names it."""
    head = sides[1]
    changed = [f.path for f in diff.files if f.status != "deleted" and not f.is_binary]
    # a module deleted, renamed away or linked elsewhere breaks its importers as a changed
    # signature does
    gone = [f.old_path or f.path for f in diff.files if f.status == "deleted" or f.old_path]
    linked = linked_packages(repo, head, diff)
    gone += [*linked, *linked_packages(repo, sides[0], diff)]
    planned: list[Planned] = []
    for tool in TOOLS:
        checking = tool.checking
        if checking is None:
            continue
        files = [path for path in changed if path.endswith(checking.suffixes)]
        if not configured(checking, checkout):
            installed = files and isinstance(
                job_tool(tool.executable, checkout, ctx.environ, installs=True), str
            )
            if unconfigured(checking, diff):
                ctx.tool(
                    tool.label,
                    "the pull request removes its configuration, so it did "
                    "not run (its checks still apply to the base branch)",
                )
            elif files and (added := reconfigured(checking, diff)):
                ctx.tool(
                    tool.label,
                    _not_checked_out(ctx, repo, head, tool, added, installed=bool(installed)),
                )
            elif installed and checking.unconfigured and not _above(checking, checkout, files):
                ctx.tool(tool.label, checking.unconfigured)  # never a clean result: Incomplete
            elif installed and tool.label in TYPE_CHECKERS:
                ctx.note(
                    f"No type checker ran on the change: {tool.label} is installed in this "
                    "job, but the repository configures it nowhere review looks "
                    f"({_where(checking)}); add one to have review run {tool.label} on the "
                    "change."
                )
            elif installed:
                ctx.note(
                    f"{tool.label} is installed in this job but review did not run it: the "
                    f"repository configures it nowhere review looks ({_where(checking)}); "
                    f"add one to have review run {tool.label} on the change."
                )
            elif files and tool.label in TYPE_CHECKERS:
                ctx.note(
                    f"No type checker ran on the change: the repository configures "
                    f"{tool.label} nowhere review looks ({_where(checking)}), and "
                    f"{tool.label} is not installed in this job; add both to have review "
                    f"run {tool.label} on the change."
                )
            continue
        callers = tool.label in CALLERS_TOO
        away = [path for path in gone if callers and path.endswith(checking.suffixes)]
        if not files and not away:
            continue
        executable = job_tool(tool.executable, checkout, ctx.environ, installs=True)
        if not isinstance(executable, str):
            missing = f"not installed in this job; {checking.install}"
            ctx.tool(tool.label, executable.reason if executable else missing)
            continue
        same = _as_at_head(repo, head, checkout, files)
        if len(same) < len(files):  # never a clean result: "Incomplete" in the headline
            ctx.tool(
                tool.label,
                f"{len(files) - len(same)} of the {len(files)} changed file(s) "
                f"it checks differ in the checkout{repo.holding(head)} from the reviewed "
                f"commit {head[:12]}, so it did not check them; "
                f"{_check_out(head, ctx.has_event)}",
            )
        if not same and not away:
            continue
        if len(same) > MAX_FILES:
            ctx.note(f"{tool.label} checked {MAX_FILES} of {len(same)} changed file(s).")
        same = same[:MAX_FILES]
        if callers:  # the unchanged files a changed signature or a module gone breaks
            found = importers(repo, head, [*same, *away], MAX_FILES - len(same))
            same += _as_at_head(repo, head, checkout, found) + linked  # a link's: not read
        if same:
            argv = run_argv(tool.name, checking.argv, checkout)
            command = LintCommand(
                tool.label,
                (executable, *argv),
                checking.report,
                checking.suffixes,
                checking.targets,
                checking.stream,
                checking.environment,
                checking.quiet,
            )
            planned.append(Planned(tool, command, tuple(same), bool(reconfigured(checking, diff))))
    return planned


def _not_checked_out(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    head: str,
    tool: KnownTool,
    added: Sequence[str],
    *,
    installed: bool,
) -> str:
    """Why a tool whose configuration the change itself adds did not run: review reads the
    configuration from the checkout, and the checkout is not the reviewed commit (a new user
    reviewed a change adding mypy.ini from another branch and was told to add one)."""
    missing = (
        ""
        if installed
        else (
            f"; {tool.label} is not installed in this job either: "
            f"{tool.checking.install if tool.checking else ''}"
        )
    )
    return (
        f"the change adds or edits its configuration ({', '.join(added)}), which the "
        f"checkout{repo.holding(head)} does not hold: review reads it from the checkout, "
        f"which must be the reviewed commit {head[:12]}; "
        f"{_check_out(head, ctx.has_event)}{missing}"
    )


def _above(checking: Checking, checkout: Path, files: Sequence[str]) -> bool:
    """Whether a file of ``checking.configs`` lies in the folder of one of ``files`` or above
    it (a nested Go module's go.mod, which review does not run go vet in, but which builds)."""
    for path in files:
        folder = PurePosixPath(path).parent
        for place in (folder, *folder.parents):
            if any(is_file(checkout, place / name) for name in checking.configs):
                return True
    return False


def _where(checking: Checking) -> str:
    """The root files and sections where review looks for a tool's configuration, in words
    (``mypy.ini, .mypy.ini, [tool.mypy] in pyproject.toml or [mypy] in setup.cfg``)."""
    places = [
        *checking.configs,
        *(f"{_section(start)} in {name}" for name, start in checking.inside),
    ]
    return " or ".join([", ".join(places[:-1]), places[-1]] if len(places) > 1 else places)


def _section(start: str) -> str:
    """A section's opening line as written (``[tool.mypy]``) from the start review matches."""
    return f"{start}]" if start.startswith("[") and not start.endswith("]") else start


def _as_at_head(repo: GitCheckout, head: str, checkout: Path, files: Sequence[str]) -> list[str]:
    """The files whose text in the checkout is the one at ``head`` (a merge commit's may not
    be, and a linter's line numbers must be the diff's)."""
    at_head = repo.read_texts(head, list(files))
    same: list[str] = []
    for path in files:
        try:
            if path in at_head and read_text(checkout, path) == at_head[path]:
                same.append(path)
        except CheckoutFileError:
            continue
    return same
