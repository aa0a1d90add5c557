"""The suggestion check: every ``suggestion`` block review would post, the model's or a
linter's own fix (ruff's safe ones, eslint's), applied to the head in the sandbox and judged
(:meth:`~cicd_agent.modes.review.keeps_passing.KeepsPassingJudge.judge`) before ``decide`` may
keep it.

It is review's check step (:func:`check`), between ``ask`` and ``decide``, as analyse-failure's
judges its fix: the suggestions are known only once the model answered, and ``decide`` stays
pure, handed each one's verdict. Without a model (``--provider none``) the linters' fixes are
checked all the same. Review opens the sandbox and names each claim (the patch, the tests of the
touched file, the linters that check it, the rule it fixes); review's
:class:`~.keeps_passing.KeepsPassingJudge` applies the patch in a copy and runs the tests and the
linters there.

The tests are the touched file's as its test runner finds them (:mod:`cicd_agent.runners`:
pytest's ``test_<module>.py``, jest's ``<name>.test.js``, Go's same-package ``_test.go``, ...):
review has no coverage baseline to go by. They run with the runner this job installed, Python's
with the checkout's own environment where it has one (``.venv/bin/python``, where review finds
the project's linters too), else the job's ``python``; without a runner installed, or with no
test of its file, a suggestion is checked against its linters alone and its line says why. Only
regular files of the checkout are tests (no link). Time is bounded: at most
:data:`MAX_SUGGESTIONS` suggestions, all within :data:`BUDGET` seconds; the rest are unchecked
and never posted as suggestions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from cicd_agent.actions.markdown import posted
from cicd_agent.actions.rendered import code_texts
from cicd_agent.analysis.unified_diff import file_diff, git_lines
from cicd_agent.local.checkout_files import walk_files
from cicd_agent.modes.review.placement import comment_body
from cicd_agent.modes.review.types import SuggestionChecks, SuggestionKey, key_of

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.keeps_passing import KeepsPassing, Kept
    from cicd_agent.modes.review.lint.lint_command import LintCommand
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.types import ReviewVerdict
    from cicd_agent.runners.protocol import ChecksSuggestions

MAX_SUGGESTIONS = 10
"""Suggestions checked in one review; later ones (by the findings' order) go without a block."""
BUDGET = 300.0
"""Seconds all checks of one review may take together (two runs of a file's tests each)."""
MAX_TEST_FILES = 5
"""Test files run for one suggested file (the nearest names first)."""


def check(
    ctx: RunContext[ReviewOptions], verdict: ReviewVerdict, proposed: Sequence[Finding]
) -> SuggestionChecks:
    """The check step: the judge's word on the first :data:`MAX_SUGGESTIONS` suggestions of
    ``proposed``, the findings decide would post (:func:`~.decide.proposed`)."""
    facts = verdict.facts
    proposed = [
        f
        for f in proposed
        if f.suggestion is not None and f.line and posts_as_checked(f, ctx.own_links)
    ][:MAX_SUGGESTIONS]
    if not proposed:
        return SuggestionChecks()
    if facts.sources is None:
        return SuggestionChecks(why_unchecked="there is no checkout of the head to apply them to")
    # the sandbox: as the judge below
    from cicd_agent.runners.sandboxes import PYTEST_SESSION_SANDBOX, isolation_of, opened

    isolation = isolation_of(ctx)
    if not isolation.sandboxed:
        return SuggestionChecks(why_unchecked=f"no sandbox on this runner ({isolation.detail})")
    # The judge and its runners (about 0.15 s of CPU to import): only a review with a
    # suggestion to check pays for them.
    from cicd_agent.local.job_tools import job_python
    from cicd_agent.modes.review.keeps_passing import KeepsPassingJudge
    from cicd_agent.runners.lookups import file_tests

    texts = facts.sources.texts([f.path for f in proposed])
    ctx.progress.say(f"checking {len(proposed)} suggestion(s) in the sandbox")
    verdicts: dict[SuggestionKey, Kept] = {}
    # One sandbox for every suggestion, whatever its language: pytest's, since a file's tests
    # may be pytest's (which needs its sessions); other runners run in it as in a plain one.
    with opened(ctx, ctx.options.repo_dir, PYTEST_SESSION_SANDBOX) as sandbox:
        files = list(walk_files(sandbox.pristine, frozenset({"node_modules"})))  # not its own
        checks = KeepsPassingJudge(
            sandbox,
            budget=BUDGET,
            code_is_proof=ctx.code_is_proof,
            said=ctx.progress.say,
            python=job_python(sandbox.checkout, ctx.environ),
        )
        for finding in proposed:
            text = texts.get(finding.path)
            if text is None:
                continue
            tests = file_tests(finding.path, files, sandbox.checkout, ctx.environ)
            verdicts[key_of(finding)] = checks.judge(_claim(finding, text, verdict.linters, tests))
    return SuggestionChecks(verdicts)


def posts_as_checked(finding: Finding, allowed_links: tuple[str, ...]) -> bool:
    """Whether the block GitHub would apply is the suggestion the check applies, and reads as it:
    the posting seam breaks what is live in code (a comment opener, a control character, a
    secret) and cuts a long comment; a format character (bidi, zero-width) shows other text than
    it commits."""
    if any(unicodedata.category(c) == "Cf" for c in finding.suggestion or ""):
        return False
    body = posted(comment_body(finding, suggestion=True), allowed_links=allowed_links)
    blocks = code_texts(body) or [""]
    return blocks[-1].removesuffix("\n") == (finding.suggestion or "").removesuffix("\n")


def _claim(
    finding: Finding,
    text: str,
    ran: tuple[LintCommand, ...],
    tests: tuple[ChecksSuggestions, tuple[str, ...]] | str,
) -> KeepsPassing:
    """The claim for ``finding``; ``ran``: the linters the checkers ran; ``tests``: its file's
    test runner and tests, or why none runs ("": no runner knows such files)."""
    path = finding.path
    linters = tuple(c for c in ran if path.endswith(c.suffixes))
    tool, _, rule = finding.rule.partition("/")
    gone = (
        rule if finding.source == "deterministic" and any(c.label == tool for c in linters) else ""
    )
    from cicd_agent.modes.review.keeps_passing import KeepsPassing

    claim = KeepsPassing(patch(finding, text), (path,), (), linters, gone)
    if isinstance(tests, str):
        return replace(claim, untested=tests)
    runner, files = tests
    return replace(claim, tests=files[:MAX_TEST_FILES], runner=runner)


def patch(finding: Finding, text: str) -> str:
    """The unified diff that replaces the finding's lines of ``text`` with its suggestion, the
    lines counted as GitHub counts them when it applies the block (:func:`git_lines`)."""
    lines = git_lines(text)
    last = finding.line or 0
    first = finding.start_line or last
    new = git_lines(finding.suggestion or "")
    if new and not new[-1].endswith("\n"):
        new[-1] += "\n"
    return file_diff(finding.path, text, "".join([*lines[: first - 1], *new, *lines[last:]]))
