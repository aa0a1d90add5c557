"""The git operations other layers ask for, one named function each: no module outside ``local/``
writes git's arguments (tests/project/test_git_seam.py). Each returns ``git.run``'s result and
raises as it does; what a failure means is the caller's to say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local import git
from cicd_agent.local.git import GitResult, Place


def blob(
    place: Place, commit: str, path: str, *, timeout: float, base: Mapping[str, str] | None = None
) -> GitResult:
    """The bytes of ``path`` as committed in ``commit`` (``git cat-file blob``)."""
    return git.run(place, ["cat-file", "blob", f"{commit}:{path}"], timeout=timeout, base=base)


def index_entries(place: Place, *, stages: bool, timeout: float) -> GitResult:
    """The index's entries, NUL-separated: with their mode and stage (``ls-files -s``), else
    with the tag that says a file is kept from git's view (``ls-files -v``)."""
    return git.run(place, ["ls-files", "-s" if stages else "-v", "-z"], timeout=timeout)


def ignored_untracked(place: Place, *, timeout: float) -> GitResult:
    """The untracked files and folders the ignore files name, NUL-separated, a folder whole
    where all of it is ignored (``ls-files --others --ignored --directory``)."""
    argv = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    return git.run(place, argv, timeout=timeout)


def differs_from_head(place: Place, *, timeout: float) -> GitResult:
    """Whether tracked files differ from ``HEAD`` (exit 1 when they do: ``diff-index --quiet``)."""
    return git.run(place, ["diff-index", "--quiet", "HEAD", "--"], timeout=timeout)


def resolve_commit(place: Place, commitish: str, *, timeout: float) -> GitResult:
    """The full SHA of the commit ``commitish`` names (``--end-of-options``: a value starting
    with ``-`` is a name to look up, never an option)."""
    argv = ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{commitish}^{{commit}}"]
    return git.run(place, argv, timeout=timeout)


def read_patch(diff: bytes, flags: Sequence[str], *, timeout: float) -> GitResult:
    """What ``git apply`` reads in ``diff`` (``--numstat``, ``--summary``: nothing applied),
    outside any repository and with nobody's configuration."""
    return git.run(git.nowhere(), ["apply", *flags, "-"], stdin=diff, timeout=timeout)


def sandboxed_apply(patch_file: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that apply ``patch_file`` inside the sandbox."""
    return git.sandboxed(["apply", "--", str(patch_file)])


def grep(
    place: Place, pattern: str, *, regex: bool, path: str | None, timeout: float
) -> GitResult:
    """Lines of ``HEAD``'s tracked files matching ``pattern`` (literal unless ``regex``)."""
    argv = ["grep", "-n", "-I", "--no-color", "-E" if regex else "-F", "-e", pattern, "HEAD"]
    return git.run(place, [*argv, "--", path] if path is not None else argv, timeout=timeout)


def log(place: Place, path: str, *, count: int, timeout: float) -> GitResult:
    """The latest ``count`` commits touching ``path``: short hash, date, author, subject."""
    argv = ["log", f"-n{count}", "--no-color", "--format=%h %ad %an: %s", "--date=short"]
    return git.run(place, [*argv, "--", path], timeout=timeout)


def blame(place: Place, path: str, start: int, end: int, *, timeout: float) -> GitResult:
    """Who last changed lines ``start``..``end`` of ``path`` at ``HEAD`` (no textconv)."""
    argv = ["blame", "-s", "--no-textconv", f"-L{start},{end}", "HEAD", "--", path]
    return git.run(place, argv, timeout=timeout)
