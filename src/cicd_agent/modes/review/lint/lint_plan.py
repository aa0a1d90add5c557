"""Which of the linters the repository configures review runs, on which changed files
(:func:`plan_linters`): a tool runs only when the base configures it at its root and it is
installed in this job, only on the changed files whose text in the checkout is the reviewed
head's, and always with the base's settings (:func:`base_settings`): a pull request neither
switches a checker on for itself nor loosens it, nor turns it off by removing its settings. A
tool that will not run says why, and one installed that the repository does not configure is
named in a note, so its silence is not read as a clean check."""

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
from cicd_agent.modes.review.lint.lint_command import LintCommand, Setting, run_argv

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
    """The pull request changes the tool's settings, which its run did not read."""


def configured(checking: Checking, checkout: Path) -> bool:
    """Whether the checkout configures the tool at its root."""
    if any(is_file(checkout, name) for name in checking.configs):
        return True
    for name, start in checking.inside:
        if not is_file(checkout, name):
            continue
        try:
            text = read_text(checkout, name)
        except CheckoutFileError:
            continue
        if _opens(text, start):
            return True
    return False


def configured_at(repo: GitCheckout, commit: str, checking: Checking) -> bool:
    """Whether ``commit`` (the base) configures the tool at its root."""
    texts = repo.read_texts(commit, [*checking.configs, *(name for name, _ in checking.inside)])
    return any(name in texts for name in checking.configs) or any(
        _opens(texts.get(name, ""), start) for name, start in checking.inside
    )


def _opens(text: str, start: str) -> bool:
    return any(line.strip().startswith(start) for line in text.splitlines())


def base_settings(repo: GitCheckout, commit: str, checking: Checking, whole: Diff) -> list[Setting]:
    """The tool's settings files as ``commit`` (the base) has them, for its run to read in
    place of the pull request's: those at the root, and those the change touches in any folder
    (ruff and eslint read the nearest), each None where the base has none."""
    names = checking.setting_files()
    touched = {
        path
        for file in whole.files
        for path in (file.path, file.old_path)
        if path and PurePosixPath(path).name in names
    }
    paths = sorted({*names, *touched})
    if not paths:
        return []
    resolved = repo.resolve(commit)
    texts = repo.read_texts(resolved, paths)
    links = repo.git.link_ids(resolved, paths)
    return [Setting(path, texts.get(path), path in links) for path in paths]


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


CALLERS_TOO = ("mypy", "pyright")
"""Checkers run on the changed files that check a caller only when it is named too
(:mod:`.callers`); tsc, go vet and clippy check the whole project or package."""
TYPE_CHECKERS = ("mypy", "pyright", "tsc")
"""The tools whose absence leaves a change's types unchecked: said in a note when neither
configured nor run, so silence never reads as types checked."""


def plan_linters(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    diff: Diff,
    sides: tuple[str, str],
    checkout: Path,
    *,
    whole: Diff | None = None,
) -> list[Planned]:
    """The linters to run on ``diff`` between ``sides`` (base, head), each with the files it
    checks; every tool that will not run says why (``ctx.tool``), or a note names it.
    ``whole``: every file the change touches (``diff`` by default), a settings file the
    review's own settings leave out of ``diff`` among them."""
    base, head = sides
    whole = whole or diff
    changed = [f.path for f in diff.files if f.status != "deleted" and not f.is_binary]
    # a module deleted, renamed away or linked elsewhere breaks its importers as a changed
    # signature does
    gone = [f.old_path or f.path for f in diff.files if f.status == "deleted" or f.old_path]
    linked = linked_packages(repo, head, diff)
    gone += [*linked, *linked_packages(repo, sides[0], diff)]
    planned: list[Planned] = []
    at_base = {
        tool.label: configured_at(repo, base, tool.checking) for tool in TOOLS if tool.checking
    }
    untyped: set[str] = set()  # the suffixes a note already says no type checker checks
    for tool in TOOLS:
        checking = tool.checking
        if checking is None:
            continue
        files = [path for path in changed if path.endswith(checking.suffixes)]
        if not at_base[tool.label]:
            if _typed_otherwise(tool, at_base):  # the other checker runs or says why
                continue
            _unplanned(ctx, tool, files, (checkout, whole), untyped)
            continue
        callers = tool.label in CALLERS_TOO
        away = [path for path in gone if callers and path.endswith(checking.suffixes)]
        if not files and not away:
            continue
        executable = job_tool(tool.executable, checkout, ctx.environ, installs=True)
        label, checks = tool.label, checking.argv
        if not isinstance(executable, str):
            missing = f"not installed in this job; {checking.install}"
            ctx.tool(tool.label, executable.reason if executable else missing)
            if not checking.fallback:
                continue
            executable = job_tool(checking.fallback[0], checkout, ctx.environ, installs=True)
            if not isinstance(executable, str):
                continue
            label, checks = " ".join(checking.fallback), (checking.fallback[1], *checks[1:])
        same = _as_at_head(repo, head, checkout, files)
        if len(same) < len(files):  # never a clean result: "Incomplete" in the headline
            ctx.tool(
                label,
                f"{len(files) - len(same)} of the {len(files)} changed file(s) "
                f"it checks differ in the checkout{repo.holding(head)} from the reviewed "
                f"commit {head[:12]}, so it did not check them; "
                f"{_check_out(head, ctx.has_event)}",
            )
        if not same and not away:
            continue
        if len(same) > MAX_FILES:
            ctx.note(f"{label} checked {MAX_FILES} of {len(same)} changed file(s).")
        same = same[:MAX_FILES]
        if callers:  # the unchanged files a changed signature or a module gone breaks
            found = importers(repo, head, [*same, *away], MAX_FILES - len(same))
            same += _as_at_head(repo, head, checkout, found) + linked  # a link's: not read
        if same:
            argv = run_argv(tool.name, checks, checkout)
            settings = tuple(base_settings(repo, base, checking, whole))
            command = LintCommand(
                label,
                (executable, *argv),
                checking.report,
                checking.suffixes,
                checking.targets,
                checking.stream,
                checking.environment,
                checking.quiet,
                settings,
            )
            planned.append(Planned(tool, command, tuple(same), bool(reconfigured(checking, whole))))
    return planned


def _unplanned(
    ctx: RunContext[ReviewOptions],
    tool: KnownTool,
    files: Sequence[str],
    sides: tuple[Path, Diff],
    untyped: set[str],
) -> None:
    """Say why ``tool``, which the base does not configure, did not run, where it matters:
    the change configures it first, it is installed, or no type checker checks ``files``
    (said once for their suffixes: ``untyped``). ``sides``: the checkout, the whole change."""
    checkout, whole = sides
    checking = tool.checking
    if checking is None:
        return
    installed = files and isinstance(
        job_tool(tool.executable, checkout, ctx.environ, installs=True), str
    )
    if files and (configured(checking, checkout) or reconfigured(checking, whole)):
        ctx.note(
            f"This pull request adds {tool.label}'s configuration, which the base "
            f"branch does not have: review runs each checker with the base branch's "
            f"settings, so {tool.label} did not run on this change; it runs on pull "
            "requests after this one is merged."
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
    elif files and tool.label in TYPE_CHECKERS and not untyped >= set(checking.suffixes):
        untyped.update(checking.suffixes)
        ctx.note(
            f"No type checker ran on the change: the repository configures "
            f"{tool.label} nowhere review looks ({_where(checking)}), and "
            f"{tool.label} is not installed in this job; add both to have review "
            f"run {tool.label} on the change."
        )


def _typed_otherwise(tool: KnownTool, at_base: dict[str, bool]) -> bool:
    """Whether ``tool`` is a type checker and the base configures another for the same files
    (pyright where mypy is not): its absence then leaves no change's types unchecked."""
    if tool.label not in TYPE_CHECKERS or tool.checking is None:
        return False
    suffixes = set(tool.checking.suffixes)
    return any(
        other.label != tool.label
        and other.label in TYPE_CHECKERS
        and at_base.get(other.label)
        and other.checking is not None
        and suffixes & set(other.checking.suffixes)
        for other in TOOLS
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
