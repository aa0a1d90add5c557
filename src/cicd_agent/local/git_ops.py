"""The git operations other layers ask for, one named function each: no module outside ``local/``
writes git's arguments (tests/project/test_git_seam.py). Each returns ``git.run``'s result (or
what it read: :func:`blobs`) and raises as it does; what a failure means is the caller's to say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cicd_agent.local import git
from cicd_agent.local.git import GitResult, Place


def blobs(
    place: Place,
    commit: str,
    paths: Sequence[str],
    *,
    timeout: float,
    base: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """The bytes of each of ``paths`` that is a file as committed in ``commit``, by one ``git
    cat-file --batch``; a path that is absent there or not a file is left out, and so is every
    path when git fails."""
    asked = "".join(f"{commit}:{path}\n" for path in paths).encode("utf-8", "surrogateescape")
    done = git.run(place, ["cat-file", "--batch"], stdin=asked, timeout=timeout, base=base)
    out = done.stdout if done.ok else b""
    found: dict[str, bytes] = {}
    position = 0
    for path in paths:
        end = out.find(b"\n", position)
        if end == -1:
            break
        header = out[position:end].split()  # "<id> <type> <size>", or "<name> missing"
        position = end + 1
        if len(header) == 3 and header[2].isdigit():  # the object follows, then a newline
            size = int(header[2])
            if header[1] == b"blob":
                found[path] = out[position : position + size]
            position += size + 1
    return found


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
    return git.sandboxed(["apply", "--", str(patch_file)])


def grep(place: Place, pattern: str, *, regex: bool, path: str | None, timeout: float) -> GitResult:
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
