"""The suggestion check: every ``suggestion`` block review would post, the model's or a
linter's own safe fix, applied to the head in the sandbox and judged by the verifier
(:class:`~cicd_agent.verify.suggested.PatchChecks`) before ``decide`` may keep it.

It runs between ``ask`` and ``decide`` (the mode's wiring calls it): the suggestions are known
only once the model answered, and ``decide`` stays pure, told each one's verdict. Without a
model (``--provider none``) the linters' fixes are checked all the same. Review never runs the
sandbox for a claim itself: it names the claim (the patch, the tests of the touched file, the
linters that check it, the rule it fixes) and the engine returns its word.

The tests are found by naming convention (``test_<module>.py`` or ``<module>_test.py``
anywhere in the checkout, or the file itself when it is a test): review has no coverage
baseline to go by. Time is bounded: at most :data:`MAX_SUGGESTIONS` suggestions, all within
:data:`BUDGET` seconds; the rest are unchecked and never posted as suggestions.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from cicd_agent.local.checkout_files import walk_files
from cicd_agent.modes.review.decide import Checks, SuggestionKey, key_of
from cicd_agent.sandbox import find_bwrap, probe_isolation
from cicd_agent.verify.contract import KeepsPassing
from cicd_agent.verify.pytest_sandbox import PytestSandbox
from cicd_agent.verify.suggested import Kept, PatchChecks

if TYPE_CHECKING:
    from cicd_agent.analysis.finding import Finding
    from cicd_agent.job.context import RunContext
    from cicd_agent.modes.review.options import ReviewOptions
    from cicd_agent.modes.review.types import ReviewFacts

MAX_SUGGESTIONS = 10
"""Suggestions checked in one review; later ones (by the findings' order) go without a block."""
BUDGET = 300.0
"""Seconds all checks of one review may take together (two runs of a file's tests each)."""
MAX_TEST_FILES = 5
"""Test files run for one suggested file (the nearest names first)."""
PYTEST = ("python", "-m", "pytest", "-q", "--tb=line", "-p", "no:cacheprovider",
          "-p", "cicd_gentests_plugin")  # fmt: skip


def check_suggestions(
    ctx: RunContext[ReviewOptions], facts: ReviewFacts, proposed: Sequence[Finding]
) -> Checks:
    """Judge the first :data:`MAX_SUGGESTIONS` of ``proposed`` (findings with a suggestion)."""
    proposed = [f for f in proposed if f.suggestion is not None and f.line][:MAX_SUGGESTIONS]
    if not proposed:
        return Checks()
    if facts.sources is None:
        return Checks(why_unchecked="there is no checkout of the head to apply them to")
    isolation = probe_isolation(find_bwrap(ctx.environ))
    if not isolation.sandboxed:
        return Checks(why_unchecked=f"no sandbox on this runner ({isolation.detail})")
    texts = facts.sources.texts([f.path for f in proposed])
    ctx.progress.say(f"checking {len(proposed)} suggestion(s) in the sandbox")
    verdicts: dict[SuggestionKey, Kept] = {}
    with PytestSandbox(ctx.options.repo_dir, ctx.environ, known_secrets=ctx.redactor.known,
                       isolation=isolation) as sandbox:  # fmt: skip
        files = list(walk_files(sandbox.pristine))
        checks = PatchChecks(sandbox, PYTEST, budget=BUDGET, code_is_proof=ctx.code_is_proof,
                             said=ctx.progress.say)  # fmt: skip
        for finding in proposed:
            text = texts.get(finding.path)
            if text is None:
                continue
            verdicts[key_of(finding)] = checks.judge(_claim(finding, text, files, facts))
    return Checks(verdicts)


def _claim(finding: Finding, text: str, files: Sequence[str], facts: ReviewFacts) -> KeepsPassing:
    path = finding.path
    linters = tuple(c for c in facts.linters if path.endswith(c.suffixes))
    tool, _, rule = finding.rule.partition("/")
    gone = rule if finding.source == "deterministic" and any(c.label == tool for c in linters) \
        else ""  # fmt: skip
    return KeepsPassing(patch(finding, text), (path,), naming_tests(path, files), linters, gone)


def patch(finding: Finding, text: str) -> str:
    """The unified diff that replaces the finding's lines of ``text`` with its suggestion."""
    lines = text.splitlines(keepends=True)
    last = finding.line or 0
    first = finding.start_line or last
    new = (finding.suggestion or "").splitlines(keepends=True)
    if new and not new[-1].endswith("\n"):
        new[-1] += "\n"
    after = [*lines[: first - 1], *new, *lines[last:]]
    path = finding.path
    return "".join(difflib.unified_diff(lines, after, f"a/{path}", f"b/{path}"))


def naming_tests(path: str, files: Sequence[str]) -> tuple[str, ...]:
    """The test files that exercise ``path`` by pytest's naming convention, nearest first."""
    name = PurePosixPath(path)
    if name.suffix != ".py":
        return ()
    if name.name.startswith("test_") or name.stem.endswith("_test"):
        return (path,)
    wanted = {f"test_{name.stem}.py", f"{name.stem}_test.py"}
    found = [f for f in files if PurePosixPath(f).name in wanted]
    near = sorted(found, key=lambda f: (-_shared(f, path), f))
    return tuple(near[:MAX_TEST_FILES])


def _shared(one: str, other: str) -> int:
    """How many leading folders two paths share."""
    count = 0
    for a, b in zip(PurePosixPath(one).parts[:-1], PurePosixPath(other).parts[:-1], strict=False):
        if a != b:
            break
        count += 1
    return count
