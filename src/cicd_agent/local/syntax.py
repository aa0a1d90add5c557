"""The parse check of a change's Python and JavaScript files, which review and deploy-gate share: a
changed file that does not parse is a high finding even with no linter configured, and never ships.

Parsing runs none of the file's code. Our Python or the job's node may be older than the
project's, so a syntax error is blamed on the change only where a sample of the language's
untouched files parse and, for a file the base had, the base's text parsed too. Every file left
unchecked is said in a note."""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from cicd_agent.analysis.file_names import name_span
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.local.syntax_js import Broken, diff_line, node_parser

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff, FileDiff
    from cicd_agent.local.checkout import GitCheckout

MAX_BYTES = 1 << 20
"""A larger file is not parsed (said in a note)."""
MAX_FILES = 200
"""Changed files parsed, at the most (the rest are counted in a note)."""
MAX_PARSED = 8 << 20
"""Characters of changed files parsed, at the most (the files past it are counted in the same
note): our parser takes up to 1.5 CPU-seconds and 540 MiB a MiB of hostile text, so 200 files
of 1 MiB held review for minutes in its own process."""
SAMPLE = 20
"""Other files of the head parsed to learn whether our parser reads the project's syntax
before a new file's syntax error is blamed."""


@dataclass(frozen=True)
class Language:
    """One language the check parses: its files, and the parser that judges a text."""

    name: str
    tool: str
    """The name the check has in the summary's list of tools."""
    rule: str
    suffixes: tuple[str, ...]
    parser: str
    """Who parsed, as a finding says it (``this job's Python``)."""
    error: Callable[[str, str], Broken | None]
    """The error a file (its path, its text) does not parse with, None when it parses; a
    ValueError when the parser cannot judge it."""


@dataclass(frozen=True)
class Parsed:
    """What the parse check found in one language's changed files: findings, and what it could
    not check, for the notes."""

    tool: str
    """The check's name in a summary's list of tools (``python parse``, ``node --check``)."""
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    checked: int = 0
    """Files parsed."""
    missing: str = ""
    """Why the check could not run at all (no ``node``), else ""."""


def syntax_error(text: str) -> SyntaxError | None:
    """The error ``text`` does not parse with, None when it parses; a ValueError when our
    parser cannot judge it (too deep for its stack, too large). ``text`` is a file's bytes read
    as UTF-8 with the rest kept as surrogates (:func:`_texts`): they are parsed as the bytes,
    as Python reads a file, by its encoding line and byte order mark."""
    try:
        source = text.encode("utf-8", "surrogateescape")
        with warnings.catch_warnings():  # "invalid escape sequence" and such are not errors
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as exc:
        return exc
    except (RecursionError, MemoryError, UnicodeEncodeError) as exc:
        raise ValueError(type(exc).__name__) from exc
    return None


_PYTHON_LINE_END = re.compile(r"\r\n|[\n\r]")
"""Where Python ends a line: at a lone CR too."""


def _python_error(path: str, text: str) -> Broken | None:
    error = syntax_error(text)
    where = diff_line(text, error.lineno or 1, _PYTHON_LINE_END) if error is not None else 0
    return None if error is None else (where, str(error.msg))


PYTHON = Language(
    "Python",
    "python parse",
    "python/syntax-error",
    (".py", ".pyi"),
    "this job's Python",
    _python_error,
)
JS_SUFFIXES = (".js", ".mjs", ".cjs")
SUFFIXES = (*PYTHON.suffixes, *JS_SUFFIXES)
"""The files the check parses, by their names' ends."""


def parse_check(
    repo: GitCheckout,
    diff: Diff,
    commits: tuple[str, str],
    *,
    environ: Mapping[str, str],
    clean: Callable[[str], str],
) -> tuple[Parsed, ...]:
    """What parsing the changed Python and JavaScript files of ``diff`` between ``commits``
    (base, head) finds, one :class:`Parsed` a language (JavaScript's only when such a file
    changed and ``node`` is missing); ``environ``: the job's, whose ``PATH`` finds node;
    ``clean``: what makes the parser's words, which quote the change's code, fit to show."""
    found: list[Parsed] = []
    with node_parser(environ) as (node_error, missing):
        js = Language(
            "JavaScript",
            "node --check",
            "javascript/syntax-error",
            JS_SUFFIXES,
            "this job's node",
            node_error,
        )
        for language in (PYTHON, js):
            if missing and language is js:
                if _changed(js, diff):
                    found.append(Parsed(js.tool, missing=missing))
                continue
            found.append(parse_changes(language, repo, diff, commits, clean))
    return tuple(found)


def _changed(language: Language, diff: Diff) -> list[FileDiff]:
    return [
        f
        for f in diff.files
        if f.path.endswith(language.suffixes) and f.status != "deleted" and not f.is_binary
    ]


def parse_changes(
    language: Language,
    repo: GitCheckout,
    diff: Diff,
    commits: tuple[str, str],
    clean: Callable[[str], str],
) -> Parsed:
    """High findings for the changed files of ``language`` that ``diff`` makes unparseable
    between ``commits`` (base, head), each on the changed line the error names (or the
    nearest changed line above it: an unclosed bracket is reported where it opened), with
    notes for the files not checked and why."""
    base, head = commits
    findings: list[Finding] = []
    notes: list[str] = []
    checked = 0
    files = _changed(language, diff)
    if not files:
        return Parsed(language.tool)
    files = _not_links(language, repo, head, files, notes)
    now = _texts(language, repo, head, [f.path for f in files[:MAX_FILES]])
    files = _within_budget(language, files, now, notes)
    # a file renamed from another language's name had no text of this one at the base
    before_paths = {
        f.path: f.old_path or f.path
        for f in files
        if f.status != "added" and (f.old_path or f.path).endswith(language.suffixes)
    }
    was_linked = _links(repo, base, list(before_paths.values()))
    before_paths = {now: was for now, was in before_paths.items() if was not in was_linked}
    before = _texts(language, repo, base, sorted(set(before_paths.values())))
    added = {f.path: dict(f.added_lines()) for f in files}
    unreadable: list[str] = []
    broken: list[tuple[str, Broken, str]] = []
    for file in files:
        if file.path not in now:
            unreadable.append(file.path)
            continue
        try:
            error = language.error(file.path, now[file.path])
            was_path = before_paths.get(file.path, "")
            was = before.get(was_path)
            base_error = language.error(was_path, was) if was is not None and error else None
        except ValueError as exc:
            notes.append(f"{language.tool} could not judge {name_span(file.path)} ({exc}).")
            continue
        checked += 1
        if error is None:
            continue
        if file.path not in before_paths:
            broken.append((file.path, error, "the project's other files parsed"))
        elif was is None:
            unreadable.append(file.path)
        elif base_error is not None:
            notes.append(
                f"{name_span(file.path)} does not parse at the base either with "
                f"{language.parser} (newer syntax, or broken before), so a syntax error there "
                "was not checked."
            )
        else:
            broken.append(
                (file.path, error, "the base's text and the project's other files parsed")
            )
    # A project whose untouched files our parser cannot read (JSX, Flow, a newer Python) may
    # write that syntax anywhere: a file's base parsing shows only that it held none yet.
    failing = _other_unparsed(language, repo, base, head) if broken else ""
    for path, error, because in broken:
        if failing:
            new = "New file " if path not in before_paths else ""
            notes.append(
                f"{new}{name_span(path)} does not parse with {language.parser}, "
                f"nor does {name_span(failing)}, so its syntax was not judged."
            )
        else:
            findings.append(
                _finding(language, path, error, added[path], clean=clean, because=because)
            )
    if unreadable:
        notes.append(
            f"{language.tool} did not check {len(unreadable)} file(s) over "
            f"{MAX_BYTES >> 20} MiB or unreadable at a commit."
        )
    return Parsed(language.tool, tuple(findings), tuple(notes), checked)


def _texts(language: Language, repo: GitCheckout, rev: str, paths: list[str]) -> dict[str, str]:
    """The text of each of ``paths`` at ``rev`` up to :data:`MAX_BYTES`; Python's keeps the
    bytes that are not UTF-8 as surrogates, so the parser reads the bytes git stores."""
    errors = "surrogateescape" if language is PYTHON else "replace"
    blobs = repo.git.blob_ids(repo.resolve(rev), paths, MAX_BYTES)
    return {path: data.decode("utf-8", errors) for path, data in repo.git.blobs(blobs)}


def _within_budget(
    language: Language, files: list[FileDiff], texts: Mapping[str, str], notes: list[str]
) -> list[FileDiff]:
    """The first ``files`` within :data:`MAX_FILES` and :data:`MAX_PARSED` (the rest said in
    ``notes``)."""
    sizes = [len(texts.get(f.path, "")) for f in files[:MAX_FILES]]
    totals = enumerate(accumulate(sizes))
    within = next((n for n, total in totals if total > MAX_PARSED), len(sizes))
    if within < len(files):
        notes.append(
            f"{language.tool} checked {within} of {len(files)} changed "
            f"{language.name} files (at most {MAX_FILES}, "
            f"{MAX_PARSED >> 20} MiB of text in all)."
        )
    return files[:within]


def _other_unparsed(language: Language, repo: GitCheckout, base: str, head: str) -> str:
    """A file of ``language`` the change leaves alone (the same at ``base`` and ``head``) that
    does not parse here (of the first :data:`SAMPLE`), else "": whether our parser reads the
    project's syntax. A file the change touched speaks for the change, not for our parser,
    whether or not the check took it (one past :data:`MAX_FILES`, or left out of review)."""
    kept = _blobs(language, repo, base).items() & _blobs(language, repo, head).items()
    others = sorted(path for path, _ in kept)
    for path, text in _texts(language, repo, head, others[:SAMPLE]).items():
        try:
            if language.error(path, text) is not None:
                return path
        except ValueError:
            continue
    return ""


def _blobs(language: Language, repo: GitCheckout, commit: str) -> dict[str, str]:
    """Each file of ``language`` at ``commit`` (no link) and its blob's id."""
    listed = repo.git.run("ls-tree", "-r", "-z", "--full-tree", commit)
    blobs = {}
    for entry in listed.split("\0"):
        about, _, path = entry.partition("\t")
        if path.endswith(language.suffixes) and about.count(" ") == 2 and about[:6] != LINK:
            blobs[path] = about.split(" ")[2]
    return blobs


LINK = "120000"
"""git's mode of a symbolic link, whose blob is the name it points at: no source to parse."""


def _not_links(
    language: Language, repo: GitCheckout, head: str, files: list[FileDiff], notes: list[str]
) -> list[FileDiff]:
    """``files`` but those git stores as links at ``head`` (said in ``notes``)."""
    linked = _links(repo, head, [f.path for f in files[:MAX_FILES]])
    if linked:
        notes.append(
            f"{language.tool} did not parse {len(linked)} changed path(s) git stores "
            f"as links, such as {name_span(min(linked))}."
        )
    return [f for f in files if f.path not in linked]


def _links(repo: GitCheckout, commit: str, paths: list[str]) -> set[str]:
    if not paths:
        return set()
    listed = repo.git.run("ls-tree", "-z", "--full-tree", commit, "--", *paths)
    entries = (entry.partition("\t") for entry in listed.split("\0"))
    return {path for about, _, path in entries if about[:6] == LINK}


def _finding(
    language: Language,
    path: str,
    error: Broken,
    added: Mapping[int, str],
    *,
    clean: Callable[[str], str],
    because: str,
) -> Finding:
    """The high finding for ``error`` on the changed line it names, else the nearest changed
    line above it (where an unclosed bracket opened), else the line it names."""
    named = max(error[0], 1)
    above = [number for number in added if number <= named]
    line = named if named in added else max(above) if above else named
    message = clean(" ".join(error[1].split())[:300]) or "invalid syntax"
    where = "" if line == named else f" {language.name} reports it at line {named}."
    return Finding(
        rule=language.rule,
        severity=Severity.HIGH,
        category="build",
        path=path,
        line=line,
        title=f"{language.name.lower()}: the change does not parse: {message}"[:200],
        body=(
            f"{message} (`syntax-error`, from parsing the changed file with "
            f"{language.parser}; {because}).{where}"
        ),
    )
