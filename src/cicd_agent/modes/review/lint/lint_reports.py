"""A linter's JSON report read as data, and its hits on the lines a change added as findings.

The report is attacker text: the linter runs the pull request's own configuration (an eslint
configuration is JavaScript, a plugin may print anything), so nothing in it is trusted. A hit
becomes a finding only when it names a file we asked about and a line the change added; its
rule id is cut to a plain name, and its message passes through the caller's ``clean`` (redacted
and neutralised, like any finding's text) and is cut to one line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from cicd_agent.actions import bounded_json
from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.modes.review.lint.compile_errors import (
    MAX_MESSAGE,
    go_note,
    go_type_errors,
    mypy_errors,
    mypy_finished,
    tsc_errors,
    tsc_finished,
)
from cicd_agent.modes.review.lint.lint_fixes import Edit, fixed_lines

MAX_FINDINGS_PER_TOOL = 200
"""Findings kept of one tool's report (the review posts at most ``max-findings`` anyway)."""
_RULE = re.compile(r"[^\w./@-]")


@dataclass(frozen=True)
class LintHit:
    """One problem a linter reported."""

    path: str
    line: int
    code: str
    message: str
    error: bool
    """An error (eslint's severity 2, any ruff or golangci-lint issue), not a warning."""
    edits: tuple[Edit, ...] = ()
    """The linter's own fix, when its report carries one it applies itself (ruff's ``fix`` of
    applicability ``safe``, eslint's ``fix``; never eslint's ``suggestions``): the offline
    suggestion review checks before posting."""
    compiles: bool = False
    """The code does not build or type-check here (a compiler's or type checker's error):
    placed on the changed line it depends on
    (:mod:`~cicd_agent.modes.review.lint.compile_errors`)."""
    related: tuple[tuple[str, int], ...] = ()
    """Lines the compiler's own notes point at (rustc's "method defined here"): where a call
    that no longer fits looks for what it calls, so a changed signature there is the cause."""


class UnreadableReport(ValueError):
    """The output is not the report that tool writes, or (``hits``: what it did report) the
    tool stopped before it checked everything (cargo's build failed: clippy lints what built)."""

    def __init__(self, why: str, hits: list[LintHit] | None = None) -> None:
        super().__init__(why)
        self.hits = hits or []


def read_report(kind: str, text: str, root: str, *, exited: int | None = None) -> list[LintHit]:
    """The hits of a ``kind`` report (a name in :data:`READERS`); paths are made relative to
    ``root`` (the folder it ran in); ``exited``: the run's exit status (None: a report read
    without its run). Raises :class:`UnreadableReport`."""
    reader = READERS[kind]
    try:
        document = reader.frame(text)
        hits = list(reader.hits(document, root))
        finished = reader.finished(document)  # its summary is the run's words too
    except UnreadableReport:
        raise
    except bounded_json.JsonRefused:
        raise UnreadableReport(f"{kind}'s output was not JSON") from None
    # ArithmeticError: JSON's 1e999 is an infinite float, which int() refuses with OverflowError
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        raise UnreadableReport(f"{kind}'s output was not its JSON report") from None
    if not finished or (reader.exits_clean and exited not in (0, None)):
        raise UnreadableReport(reader.unfinished, hits)
    return hits


def _relative(path: str, root: str) -> str:
    posix = PurePosixPath(path)
    if posix.is_absolute():
        if not posix.is_relative_to(root):
            return ""
        posix = posix.relative_to(root)
    parts = [part for part in posix.parts if part != "."]
    return "" if ".." in parts or not parts else "/".join(parts)


def _hit(root: str, path: Any, line: Any, code: Any, message: Any, *, error: bool) -> LintHit:
    """One hit of a report's JSON values (a wrong type raises, and the report is unreadable)."""
    return LintHit(_relative(str(path), root), int(line), str(code), str(message), error)


def _ruff(document: object, root: str) -> Iterator[LintHit]:
    for item in document if isinstance(document, list) else []:
        code = item["code"] or "syntax-error"  # a file ruff cannot parse has no code
        where = item["location"]["row"]
        hit = _hit(root, item["filename"], where, code, item["message"], error=True)
        fix = item.get("fix") or {}
        if fix.get("applicability") == "safe":  # never "unsafe" or "display-only"
            hit = replace(hit, edits=tuple(_edit(edit) for edit in fix["edits"]))
        yield hit


def _edit(edit: Mapping[str, Any]) -> Edit:
    start, end = edit["location"], edit["end_location"]
    return Edit(
        (int(start["row"]), int(start["column"])),
        (int(end["row"]), int(end["column"])),
        str(edit["content"]),
    )


def _eslint(document: object, root: str) -> Iterator[LintHit]:
    for result in document if isinstance(document, list) else []:
        for message in result["messages"]:
            if "line" not in message:  # a file-wide note (a file ignored by the config)
                continue
            hit = _hit(
                root,
                result["filePath"],
                message["line"],
                message.get("ruleId") or "parse-error",
                message["message"],
                error=int(message["severity"]) >= 2,
            )
            fix = message.get("fix")  # its autofix, which ``--fix`` applies; not "suggestions"
            if fix and message.get("ruleId"):
                begin, end = fix["range"]
                hit = replace(hit, edits=(Edit(int(begin), int(end), str(fix["text"])),))
            yield hit


def _golangci(document: object, root: str) -> Iterator[LintHit]:
    issues = document.get("Issues") if isinstance(document, dict) else None
    for issue in issues or []:
        severity = str(issue.get("Severity") or "").lower()
        yield _hit(
            root,
            issue["Pos"]["Filename"],
            issue["Pos"]["Line"],
            issue["FromLinter"],
            issue["Text"],
            error=severity not in {"warning", "info", "low"},
        )


def _biome(document: object, root: str) -> Iterator[LintHit]:
    diagnostics = document.get("diagnostics") if isinstance(document, dict) else None
    for item in diagnostics or []:
        where = item["location"]
        path = where.get("path")
        path = path.get("file") if isinstance(path, dict) else path  # biome 1 nested it
        if path and where.get("start"):  # not a diagnostic of the run, not of a line
            yield _hit(
                root,
                path,
                where["start"]["line"],
                item["category"],
                item["message"],
                error=item["severity"] in ("error", "fatal"),
            )


def _go_vet(text: str, root: str) -> list[LintHit]:
    """go vet's ``-json`` output on standard error: each package's ``# name`` line, then its
    JSON object (``{package: {analyzer: [{posn, message}]}}``, the object's braces alone on
    their lines; ``{}`` on one line for a package with no finding), or, for a package that
    does not type-check, its ``vet: path:line:col: error`` line and the lines indented under
    it (go's own complaints, ``go: …``, alike); nothing at all where it checked no package."""
    hits: list[LintHit] = []
    stopped: list[str] = []
    block: list[str] | None = None
    for line in text.splitlines():
        if block is None and line.startswith("{"):
            block = []
        if block is not None:
            block.append(line)
            if line.rstrip().endswith("}") and (line == "}" or len(block) == 1):  # or ``{}``
                hits += _go_vet_package(block, root)
                block = None
        elif go_note(line):
            stopped.append(line)  # read with the error above it
        elif line.strip() and not line.startswith("# "):
            stopped.append(line.strip().removeprefix("vet: "))
    if block is not None:
        raise UnreadableReport("go vet's output ended inside its JSON report", hits)
    typed = [_compiles(root, *error) for error in go_type_errors(stopped)]
    if len(typed) < len([line for line in stopped if not go_note(line)]):
        raise UnreadableReport(
            f"go vet did not type-check every package ({stopped[0][:200]}), "
            "so it did not check them all",
            hits + typed,
        )
    return hits + typed


def _compiles(root: str, path: str, line: int, code: str, message: str) -> LintHit:
    return LintHit(_relative(path, root), line, code, message, error=True, compiles=True)


def _mypy(text: str, root: str) -> list[LintHit]:
    return [_compiles(root, *error) for error in mypy_errors(text)]


def _tsc(text: str, root: str) -> list[LintHit]:
    return [_compiles(root, *error) for error in tsc_errors(text)]


def _pyright(document: object, root: str) -> Iterator[LintHit]:
    """pyright's ``--outputjson``: an error does not type-check, as mypy's (placed on the
    changed line it depends on); a warning is a lint on its line; an information is neither.
    Its lines count from 0."""
    diagnostics = document["generalDiagnostics"] if isinstance(document, dict) else []
    for item in diagnostics:
        if item["severity"] not in ("error", "warning"):
            continue
        line = int(item["range"]["start"]["line"]) + 1
        code = item.get("rule") or "error"  # a syntax or import error may have no rule
        message = str(item["message"])[:MAX_MESSAGE]
        hit = _hit(root, item["file"], line, code, message, error=item["severity"] == "error")
        yield replace(hit, compiles=hit.error)


def _analysed(document: object) -> bool:
    """pyright checked a file: a configuration that leaves every named file out analyses none,
    and says nothing of the code."""
    summary = document.get("summary") if isinstance(document, dict) else None
    return isinstance(summary, dict) and int(summary.get("filesAnalyzed", 0)) > 0


def _go_vet_package(block: list[str], root: str) -> list[LintHit]:
    try:
        document = bounded_json.load("\n".join(block))
        found = []
        for package in document.values():
            for analyzer, items in package.items():
                for item in items:
                    path, line, _ = str(item["posn"]).rsplit(":", 2)
                    found.append(_hit(root, path, line, analyzer, item["message"], error=True))
    except (bounded_json.JsonRefused, KeyError, TypeError, ValueError, AttributeError):
        raise UnreadableReport("go vet's output was not its JSON report") from None
    return found


def _built(document: object) -> bool:
    """Whether cargo's last word is that the build finished (a failed build script stops it
    before clippy lints the crate, and cargo still prints JSON: no finding is no result)."""
    lines = document if isinstance(document, list) else []  # each a dict: _clippy read them
    ends = [line for line in lines if line.get("reason") == "build-finished"]
    return bool(ends) and ends[-1].get("success") is True


def _clippy(document: object, root: str) -> Iterator[LintHit]:
    """Each hit once: every target builds the library again (its unit tests), and rustc
    reports the same lint or error in each."""
    seen: set[LintHit] = set()
    for hit in _clippy_each(document, root):
        if hit not in seen:
            seen.add(hit)
            yield hit


def _clippy_each(document: object, root: str) -> Iterator[LintHit]:
    for line in document if isinstance(document, list) else []:
        message = line["message"] if line.get("reason") == "compiler-message" else {}
        code = str((message.get("code") or {}).get("code") or "rustc").removeprefix("clippy::")
        for primary in message.get("spans") or []:
            if primary["is_primary"]:  # rustc's own warnings come too, code and all
                span = _called_from(primary, root)
                label = primary.get("label")  # "expected `u64`, found `u32`": what it is about
                said = f"{message['message']}: {label}" if label else message["message"]
                hit = _hit(
                    root,
                    span["file_name"],
                    span["line_start"],
                    code,
                    said,
                    error=message["level"] == "error",
                )
                # an error of rustc itself (E0308, or none), not one of clippy's lints denied
                rustc = hit.error and not str(
                    (message.get("code") or {}).get("code") or ""
                ).startswith("clippy::")
                yield replace(hit, compiles=rustc, related=_noted(message, root) if rustc else ())


def _called_from(span: dict[str, Any], root: str) -> dict[str, Any]:
    """The span in the checkout behind one in a macro of the toolchain's (``format!``'s
    type error is placed in the standard library's source): the call the code wrote."""
    while not _relative(str(span["file_name"]), root) and span.get("expansion"):
        span = span["expansion"]["span"]
    return span


def _noted(message: dict[str, Any], root: str) -> tuple[tuple[str, int], ...]:
    """The places rustc's notes on an error point at, in the checkout (none outside it)."""
    spans = [
        span
        for child in message.get("children") or []
        if child["level"] == "note"
        for span in child["spans"]
        if span["is_primary"]
    ]
    found = ((_relative(str(span["file_name"]), root), int(span["line_start"])) for span in spans)
    return tuple(dict.fromkeys(place for place in found if place[0]))


def _first_value(text: str) -> object:
    """The first JSON value of the text (golangci-lint and biome may print more after it)."""
    stripped = text.lstrip()
    return bounded_json.load(stripped, first_value=True) if stripped else None


def _json_lines(text: str) -> object:
    """One JSON object a line (cargo's messages)."""
    return [bounded_json.load(line) for line in text.lstrip().splitlines() if line]


def _as_text(text: str) -> object:
    return text


def _whole(document: object) -> bool:
    return True


@dataclass(frozen=True)
class ReportReader:
    """How one linter's report is read: ``frame`` turns the text into a document, ``hits``
    reads the document's hits, ``finished`` says whether the tool checked everything it was
    asked to (``unfinished`` is what the review says when it did not)."""

    hits: Callable[[Any, str], Iterable[LintHit]]
    frame: Callable[[str], object] = _first_value
    finished: Callable[[object], bool] = _whole
    unfinished: str = ""
    exits_clean: bool = False
    """The report's saying it finished counts only from a run that exited 0: the code the tool
    builds can print into its report (what cargo's build runs does), so a status its process
    alone sets is the only word nothing it runs can write."""


READERS: Mapping[str, ReportReader] = {
    "ruff": ReportReader(_ruff),
    "eslint": ReportReader(_eslint),
    "golangci-lint": ReportReader(_golangci),
    "biome": ReportReader(_biome),
    "clippy": ReportReader(
        _clippy,
        frame=_json_lines,
        finished=_built,
        unfinished="cargo's build did not finish (a build script or the crate failed to build, "
        "or cargo was ended after a last word it did not say, so clippy did not lint it all)",
        exits_clean=True,  # a procedural macro's print reaches cargo's report
    ),
    "go vet": ReportReader(_go_vet, frame=_as_text),
    "mypy": ReportReader(
        _mypy,
        frame=_as_text,
        finished=lambda text: mypy_finished(str(text)),
        unfinished="mypy stopped before it checked every file (no closing line: a crash, a switch "
        "it does not know; or a blocking error, such as a module found twice)",
    ),
    "pyright": ReportReader(
        _pyright,
        finished=_analysed,
        unfinished="pyright analysed no file (its configuration left the changed files out, or "
        "it stopped on an error of its own), so it did not check the code",
    ),
    "tsc": ReportReader(
        _tsc,
        frame=_as_text,
        finished=lambda text: tsc_finished(str(text)),
        unfinished="tsc stopped on an error of its own, with no file (its configuration named "
        "no inputs or could not be read), so it did not check the code",
    ),
}
"""Every linter review reads, by the name ``known_tools.toml``'s ``report`` gives it."""


def lint_findings(
    tool: str,
    hits: list[LintHit],
    added: Mapping[str, set[int]],
    clean: Callable[[str], str],
    texts: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for ``hits`` on lines ``added`` (path → the lines the change added), at most
    :data:`MAX_FINDINGS_PER_TOOL`: errors medium, warnings low. A hit with the linter's own
    fix (:attr:`LintHit.edits`) carries it as a suggestion when ``texts`` has its file and
    every line the fix changes is one the change added (one reaching past them never is)."""
    found: list[Finding] = []
    for hit in hits:
        if hit.compiles or hit.line not in added.get(hit.path, ()):
            continue
        text = (texts or {}).get(hit.path)
        code = _RULE.sub("", hit.code)[:80] or "unnamed"
        # the check asks whether the rule is gone by the name the finding carries
        fixed = fixed_lines(text, hit.edits) if hit.edits and text and code == hit.code else None
        if fixed and not set(range(fixed[0], fixed[1] + 1)) <= added[hit.path]:
            fixed = None
        message = clean(" ".join(hit.message.split())[:300]) or "no message"
        found.append(
            Finding(
                rule=f"{tool}/{code}",
                severity=Severity.MEDIUM if hit.error else Severity.LOW,
                category="lint",
                path=hit.path,
                line=fixed[1] if fixed else hit.line,
                start_line=fixed[0] if fixed and fixed[0] < fixed[1] else None,
                suggestion=fixed[2] if fixed else None,
                title=f"{tool} {code}: {message}"[:200],
                body=(
                    f"{message} (`{code}`, from the repository's own {tool} configuration, run "
                    "on the changed lines in the sandbox)"
                ),
            )
        )
        if len(found) >= MAX_FINDINGS_PER_TOOL:
            break
    return found
