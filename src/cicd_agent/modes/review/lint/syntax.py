"""Review's parse check of the changed Python and JavaScript files (the core's
:func:`~cicd_agent.local.syntax.parse_check`): its findings, but where a checker already
found a build error on the line; its notes and its lines in the summary's tools. A linter
that could not parse a line the check found broken says the same error in its own words: it
is left out (:func:`said_once`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import neutralise
from cicd_agent.local.syntax import parse_check

if TYPE_CHECKING:
    from cicd_agent.analysis.diff import Diff
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.modes.review.options import ReviewOptions


def parse_changed(
    ctx: RunContext[ReviewOptions],
    repo: GitCheckout,
    diff: Diff,
    commits: tuple[str, str],
    found: Sequence[Finding],
) -> list[Finding]:
    """The parse check's findings on ``diff`` between ``commits`` (base, head), but for a
    line where a checker already ``found`` a build error (mypy and eslint report a syntax
    error too), its notes and its lines in the summary's tools."""

    def clean(text: str) -> str:  # the parser's words quote the pull request's code
        return neutralise(ctx.redactor.redact(text), allowed_links=ctx.own_links)

    findings: list[Finding] = []
    for parsed in parse_check(repo, diff, commits, environ=ctx.environ, clean=clean):
        if parsed.missing:
            ctx.tool(parsed.tool, parsed.missing)
            continue
        for note in parsed.notes:
            ctx.note(note)
        if parsed.checked:
            ctx.tool(parsed.tool)
        findings += parsed.findings
    broken = {(f.path, f.line) for f in found if f.category == "build"}
    return [f for f in findings if (f.path, f.line) not in broken]


LINTERS_PARSE_ERRORS = frozenset({"eslint/parse-error"})
"""A linter's finding that it could not parse the file (eslint's fatal message, no rule)."""


def said_once(found: Sequence[Finding], parsed: Sequence[Finding]) -> list[Finding]:
    """The checkers' ``found`` and the parse check's ``parsed`` findings, without a linter's
    parse error on a line the parse check names: one error, one finding."""
    broken = {(f.path, f.line) for f in parsed}
    return [
        f for f in found if f.rule not in LINTERS_PARSE_ERRORS or (f.path, f.line) not in broken
    ] + [*parsed]
