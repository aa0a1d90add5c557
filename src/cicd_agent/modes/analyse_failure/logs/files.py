"""Source files named by the failure, ranked by how likely they are to hold its cause.

Paths come from tracebacks and compiler messages in the failed steps. They are made relative to
the checkout (the runner's ``/home/runner/work/<repo>/<repo>/`` and its Windows, macOS and
container forms), and paths of installed packages, toolchains and the interpreter are dropped:
nobody fixes a failure in ``site-packages``. Files the change touched come first, then the
file of the root cause (its own path, or the location line that closes its message, as
pytest's ``tests/test_x.py:12: AssertionError``), then the files the weightiest and most
frequent lines name. Lines that are infrastructure noise (``noisy``) name files last: a network
error's traceback runs through the HTTP client, which is not where the failing assertion is.
Surefire's summary names a test as ``Class.method:LINE``, without its file: with the checkout
given, it names the one test source of that class (:func:`test_class_file`) where no stack
frame of the log names the class's file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cicd_agent.modes.analyse_failure.log_facts import ResponsibleFile
from cicd_agent.modes.analyse_failure.logs.checkout_places import TEST_ROOT, Walked, jvm_path
from cicd_agent.modes.analyse_failure.logs.located import WORKSPACE
from cicd_agent.modes.analyse_failure.logs.region import LogFinding
from cicd_agent.modes.analyse_failure.logs.source_maps import SourceMaps
from cicd_agent.runners.shape import OUTSIDE, Frame, Place

MAX_FILES = 20
MAX_CHANGE_SOURCES = 3
"""Changed source files put first for a failure whose log names only tests."""
ROOT_LOCATION_LINES = 15
"""How far after a root line without a path its location line may come."""
_FOREIGN = (
    "site-packages/",
    "dist-packages/",
    "node_modules/",
    "/usr/",
    "/opt/hostedtoolcache/",
    "<frozen",
    "<string>",
    "<stdin>",
    "/rustc/",
    ".cargo/registry/",
    "/go/pkg/mod/",
    "/lib/python3",
    "node:internal",
    "<anonymous>",
    "/_temp/",
    "/.venv/",
    "venv/lib/",
    "/gems/",
    "/vendor/",
    "<doctest ",
)
_DOCTEST = re.compile(r"<doctest (?P<file>[^\s<>\[\]]+\.(?:md|markdown|rst|txt))\[\d+\]>")
"""The frame of an example of a document's doctest (``<doctest README.md[27]>``): the file is
the document, the line the example's own, not the file's."""


def normalise_path(path: str) -> str | None:
    """``path`` relative to the checkout, or None for files outside the project. Its ``.``
    and ``..`` are read as a folder's (``tests/../README.md`` is ``README.md``), and a
    relative path they lead out of its folder is none of the project's files."""
    cleaned = path.strip().strip("'\"`").replace("\\", "/")
    cleaned = WORKSPACE.sub("", cleaned).removeprefix("file://")
    if not cleaned or any(marker in cleaned for marker in _FOREIGN):
        return None
    if "/." in f"/{cleaned}":
        cleaned = posixpath.normpath(cleaned)
        if cleaned == ".." or cleaned.startswith("../") or cleaned == ".":
            return None
    return cleaned


def same_file(path: str, changed: str) -> bool:
    """Whether a path the log names is a file of the change: the whole repository path, never
    a tail of it. A changed ``index.js`` is not ``test/index.js``; a log's path relative to a
    step's folder is made the repository's (:meth:`.checkout_places.Walked.place`) before it is
    compared."""
    return path == changed


@dataclass
class _Tally:
    first: tuple[int, int]
    weight: int
    mentions: int = 0
    lines: dict[int, None] = field(default_factory=dict)
    """The lines named, in the order the log names them."""


def _root_path(findings: Sequence[LogFinding], root: LogFinding | None) -> str | None:
    if root is None:
        return None
    if root.hit.match.path:
        return normalise_path(root.hit.match.path)
    after = sorted(
        (
            f
            for f in findings
            if f.step_index == root.step_index
            and f.hit.match.path
            and 0 < f.hit.line - root.hit.line <= ROOT_LOCATION_LINES
        ),
        key=lambda f: f.hit.line,
    )
    return next((p for p in (normalise_path(f.hit.match.path or "") for f in after) if p), None)


def responsible_files(
    findings: Sequence[LogFinding],
    root: LogFinding | None,
    changed_files: Sequence[str],
    noisy: Collection[LogFinding] = (),
    changed_lines: Mapping[str, Collection[int]] | None = None,
    *,
    runtime: bool = False,
    checkout: Path | None = None,
    place: Place = lambda name, line, changed: None,
) -> tuple[ResponsibleFile, ...]:
    """The project files the findings name, likeliest culprit first.

    With the change's lines (``changed_lines``: path -> added lines at the head), the line a
    person wants first is the changed one the failure leads to: a named line the change wrote
    (a traceback frame, a panic's or a compiler's location) leads its file, and its file leads
    the list. A ``runtime`` failure (a test failed, the log names no tool's line to fix) that
    runs through a changed source file without naming a changed line is blamed on that file's
    first changed line; when it names no changed file at all (only the test and its helpers, as
    an assertion does), the changed source files come first with their changed lines, marked
    ``from_change`` because no log line names them. Then the test lines, as before.
    ``place`` says where a file a line names by its base name lies (a runner's
    :attr:`~cicd_agent.runners.shape.RunnerShape.places`: go's, by the package whose output
    holds the line).
    """
    changed = [c for c in (normalise_path(path) for path in changed_files) if c]
    checkout = checkout if checkout is not None and checkout.is_dir() else None
    written = {
        c: sorted(set(n))
        for p, n in (changed_lines or {}).items()
        if (c := normalise_path(p)) and n
    }
    tallies: dict[str, _Tally] = {}
    root_path = _root_path(findings, root)
    quiet = {id(finding) for finding in noisy}

    def count(path: str, finding: LogFinding, line: int | None) -> None:
        weight = 0 if id(finding) in quiet else finding.weight
        tally = tallies.setdefault(path, _Tally(finding.order, weight))
        tally.mentions += 1
        tally.weight = max(tally.weight, weight)
        if line is not None:
            tally.lines.setdefault(line)

    walked = Walked(checkout)
    maps = SourceMaps(checkout)
    named = [
        (finding, *_placed(finding, changed, walked, maps=maps, place=place, checkout=checkout))
        for finding in findings
    ]
    blind = checkout is not None and not walked.holds(changed)
    unplaced: set[str] = set()
    for finding, path, placed, line in named:
        if path and not placed and not (blind and path in walked.placed):
            unplaced.add(path)
        if path:
            count(path, finding, line)
    framed = {PurePosixPath(path).stem for path in tallies}
    classes = [
        (f, cls) for f in findings if (cls := f.hit.match.groups.get("cls")) and cls not in framed
    ]
    by_class = walked.jvm() if classes else {}
    for finding, cls in classes:
        if len(found := [p for p in by_class.get(cls, []) if TEST_ROOT.search(p)]) == 1:
            count(found[0], finding, finding.hit.match.source_line)

    def lines_written(path: str) -> list[int]:
        return next((n for c, n in written.items() if same_file(path, c)), [])

    def blamed(path: str, tally: _Tally) -> tuple[int | None, bool]:
        """The changed line to show first, and whether the log names it."""
        wrote = lines_written(path)
        named = next((line for line in tally.lines if line in wrote), None)
        if named is not None:
            return named, True
        source = runtime and wrote and not _TEST_PATH.search(path)
        return (wrote[0] if source else None), False

    def key(item: tuple[str, _Tally]) -> tuple[bool, bool, bool, int, int, tuple[int, int]]:
        path, tally = item
        in_change = any(same_file(path, c) for c in changed)
        return (
            not blamed(path, tally)[1],
            not in_change,
            path != root_path,
            -tally.weight,
            -tally.mentions,
            tally.first,
        )

    ranked = sorted(tallies.items(), key=key)[:MAX_FILES]
    files = []
    for path, tally in ranked:
        line, _ = blamed(path, tally)
        if line is None and tally.lines:  # no changed line: the line the log names first
            line = next(iter(tally.lines))
        rest = sorted(n for n in tally.lines if n != line)
        files.append(
            ResponsibleFile(
                path=path,
                lines=tuple([line] if line is not None else []) + tuple(rest[:19]),
                changed=path not in unplaced and any(same_file(path, c) for c in changed),
                mentions=tally.mentions,
                frame=path in unplaced,
                line_changed=line is not None and line in lines_written(path),
            )
        )
    if runtime and not any(f.changed for f in files):
        unresolved = any(_UNRESOLVED.search(finding.hit.text) for finding in findings)
        sources = [
            ResponsibleFile(
                path=path,
                lines=tuple(lines[:20]),
                changed=True,
                mentions=0,
                from_change=True,
                line_changed=True,
            )
            for path, lines in sorted(
                written.items(),  # a manifest after the code
                key=lambda item: bool(_MANIFEST.search(item[0])),
            )
            if not _TEST_PATH.search(path)
            and not _DOC_PATH.search(path)
            and (unresolved or not _MANIFEST.search(path))
        ]
        files = sources[:MAX_CHANGE_SOURCES] + files
    return tuple(files[:MAX_FILES])


_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|spec|__tests__|testdata)/|(?:^|/)test_[^/]*$|_test\.\w+$"
    r"|\.(?:test|spec)\.\w+$|_spec\.rb$|Test\.(?:php|java|kt)$"
)
_MANIFEST = re.compile(
    r"(?:^|/)(?:pyproject\.toml|setup\.(?:py|cfg)|requirements[^/]*\.(?:txt|in)|Pipfile(?:\.lock)?"
    r"|(?:poetry|uv|pdm)\.lock|package(?:-lock)?\.json|pnpm-lock\.yaml|yarn\.lock|go\.(?:mod|sum)"
    r"|Cargo\.(?:toml|lock)|Gemfile(?:\.lock)?|composer\.(?:json|lock)|pom\.xml"
    r"|build\.gradle(?:\.kts)?)$"
)
"""A dependency manifest or lock file: a test that fails on an assertion does not run it, so it
is named as responsible only where the log shows a dependency going wrong (:data:`_UNRESOLVED`)."""
_UNRESOLVED = re.compile(
    r"ModuleNotFoundError|ImportError|No module named|Cannot find (?:module|package)"
    r"|ERR_MODULE_NOT_FOUND|ERR_PACKAGE_PATH_NOT_EXPORTED|VersionConflict|DistributionNotFound"
    r"|No matching distribution|ResolutionImpossible|ERESOLVE|is not a function|has no attribute"
    r"|cannot import name|unresolved import|cannot find package"
)
"""Log words of a failure a dependency change can cause: a module or name that is no longer
there, a version the resolver could not satisfy."""
_DOC_PATH = re.compile(r"\.(?:md|rst|txt|adoc)$|(?:^|/)docs?/|(?:^|/)(?:CHANGELOG|LICENSE)[^/]*$")


def _placed(
    finding: LogFinding,
    changed: Sequence[str],
    walked: Walked,
    *,
    maps: SourceMaps,
    place: Place,
    checkout: Path | None,
) -> tuple[str | None, bool, int | None]:
    """The repository path and line a finding names (None: none of the project's), and whether
    it is a file of the repository. A JVM frame's file name is placed through :func:`jvm_path`,
    a base name or a path no folder holds (a trimmed Go frame) through the runner's ``place``,
    a built JavaScript file through its source map
    (:class:`~.source_maps.SourceMaps`, once :meth:`.checkout_places.Walked.place` found the built
    file: an absolute ``/app/dist/x.js`` is ``dist/x.js``); with the checkout, a path it
    does not hold is the frame as printed, never a file."""
    raw, line = finding.hit.match.path, finding.hit.match.source_line
    if raw and (doctest := _DOCTEST.fullmatch(raw.strip())):
        raw, line = doctest["file"], None  # its report's ``File "README.md", line 129`` places it
    path = normalise_path(raw) if raw else None
    frame = finding.hit.match.groups.get("frame")
    if not path:
        return None, True, line
    if frame and "/" not in path:
        placed = jvm_path(frame, path, changed, walked.jvm)
        return (placed, True, line) if placed is not None else (f"{frame} ({path})", False, line)
    placed = place(path, finding.hit.line, changed)
    if placed == OUTSIDE:  # the runner's toolchain's or a dependency's file
        return None, True, line
    if isinstance(placed, Frame):  # the runner found two files it could be: no file
        return str(placed), False, line
    path = placed or path
    if checkout is None:
        return path, True, line
    held, found = walked.place(path, changed)
    mapped = maps.original(held, line, finding.hit.match.column) if found and line else None
    return (mapped[0], True, mapped[1]) if mapped else (held, found, line)


def rank_changed(changed_files: Sequence[str], responsible: Sequence[ResponsibleFile]) -> list[str]:
    """The change's files, likeliest culprit first: those the failure names (in its order), then
    source, then tests, then documents. A failure often names only the test that caught it;
    the source file the change touched is the next place a person looks."""
    named = [f.path for f in responsible if f.changed]

    def key(item: tuple[int, str]) -> tuple[int, int, int]:
        position, path = item
        hits = [i for i, n in enumerate(named) if same_file(path, n)]
        if hits:
            return (0, hits[0], position)
        kind = 3 if _DOC_PATH.search(path) else 2 if _TEST_PATH.search(path) else 1
        return (kind, 0, position)

    return [path for _, path in sorted(enumerate(changed_files), key=key)]
