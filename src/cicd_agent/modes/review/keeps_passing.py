"""The claim :class:`KeepsPassing` and its judge: a suggested patch, applied to the head in the
sandbox, keeps the tests of its files and its linters passing (review's suggestions;
:meth:`KeepsPassingJudge.lint` runs and reads each linter as the checkers do).

For each claim, in fresh copies of the checkout: the claimed tests and linters run once without the
patch (remembered per set of files), then with it. A test that passed without the patch and does not
pass with it broke; a linter rule reported more often on the patched files broke; the rule the patch
answers still reported as often means it did not fix what it claims. The tests run through the
test-runner seam (:mod:`cicd_agent.runners`), as every other claim that tests passed: its report
comes through the sandbox's evidence pipe and counts only with its in-run check (pytest's, in
:mod:`cicd_agent.runners.pytest.in_run`, with its guard on the lines the patch changed), so a patch
that makes the runner report passes without running the tests (``Function.runtest`` set to a no-op
as its module is imported) gets no result. A run whose report was tampered with, timed out or never
started is no result at all, and the claim is *unchecked* (never held), as is one the budget cannot
pay.

A held claim says what it was checked against. On code from someone who cannot push, the tests
and the linters' settings are the pull request's own: its conftest can make any run pass, its
``extend-exclude`` any linter silent, so the line says so and never says verified
(:data:`cicd_agent.verify.contract.NOT_PROOF`'s rule).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cicd_agent.modes.review.lint.lint_command import LintCommand, run_lint
from cicd_agent.runners.base import Selection
from cicd_agent.sandbox import Sandbox, Workspace
from cicd_agent.verify.contract import checked
from cicd_agent.verify.judged import JudgedCopies, text_of

if TYPE_CHECKING:
    from cicd_agent.runners.protocol import ChecksSuggestions

RUN_TIMEOUT = 120.0
"""One run of the tests or of one linter (seconds); the caller's budget caps it further."""


@dataclass(frozen=True)
class KeepsPassing:
    """The claim "with ``diff`` applied to the head, ``tests`` that passed still pass, ``lint``
    reports nothing new on ``paths``, and the finding the patch answers (``gone``: the rule
    of the linter that reported it, "" for none) is gone", judged by review.
    ``runner``: the test runner that runs ``tests`` (none: no tests run);
    ``untested``: why no tests ran, the clause the posted line carries ("" for the default)."""

    diff: str
    paths: tuple[str, ...]
    tests: tuple[str, ...]
    lint: tuple[LintCommand, ...] = ()
    gone: str = ""
    runner: ChecksSuggestions | None = None
    untested: str = ""


@dataclass(frozen=True)
class Kept:
    """The judge's word on one claim: ``held`` (it may be posted) and what it was checked
    against, or why not; ``broke``: the tests and linter rules it broke; ``unchecked``: no run
    gave a word on it (the budget, a tampered report), which is never a held claim."""

    held: bool
    said: str
    broke: tuple[str, ...] = ()
    unchecked: bool = False


@dataclass(frozen=True)
class _Runs:
    """What one copy showed: the tests that passed and the linters' rules per file, or why
    there is no result ("" when there is)."""

    passed: frozenset[str]
    rules: Counter[tuple[str, str]]
    problem: str = ""
    unimportable: str = ""
    """Why no test could even be imported (the module missing, and the fix); "" otherwise."""


def unimportable(error: str, python: str) -> str:
    """The clause for a run of tests none of which could be imported, naming the missing module
    (``error``: the runner's :attr:`~cicd_agent.runners.base.TestReport.unimportable`) and the
    fix ("" when the run shows no such error)."""
    if not error:
        return ""
    where = f"the checkout's {python}" if python else "the job's python"
    return (
        f"its tests could not be imported with {where} ({error}), so no test "
        "checked it: install the project there before this step (`pip install -e .`)"
    )


def against(
    claim: KeepsPassing, passed: frozenset[str], *, code_is_proof: bool, unimported: str = ""
) -> str:
    """The line under a held suggestion: what ran with it (``passed``: its tests that passed
    without it; none checked nothing, and a test file that ran none is not counted; where none
    could be imported, ``unimported`` says so), and how much that proves: code from someone who
    cannot push ran the checks."""
    if claim.tests and not passed:
        claim = replace(
            claim,
            tests=(),
            untested=unimported
            or f"no test of its "
            f"{len(claim.tests)} test file(s) passed without the change, so no test "
            "checked it",
        )
    linters = " and ".join(command.label for command in claim.lint)
    if not claim.tests:
        if not linters:
            return (
                f"Applied to the head in the sandbox; {claim.untested}."
                if claim.untested
                else (
                    "Applied to the head in the sandbox; no test file or linter covers this "
                    "file, so nothing else was run."
                )
            )
        why = claim.untested or "no tests were run for this file"
        said = f"Applied to the head in the sandbox and checked against {linters}; {why}."
        own = f"{linters} ran this pull request's own configuration"
    else:
        files = sum(
            any(n.startswith((f"{t} › ", f"{t}::")) or n == t for n in passed) for t in claim.tests
        )
        rest = len(claim.tests) - files
        more = f" ({rest} more named after it ran no passing test)" if rest else ""
        still = f", and {linters} still pass" if linters else ""
        said = (
            f"Applied to the head in the sandbox and {checked(len(passed))} "
            f"({files} test file(s){more}{still})."
        )
        # a linter reads the pull request's settings too: an exclude silences it on any file
        own = (
            f"The tests{' and linter settings' if claim.lint else ''} are this pull request's "
            "own code"
        )
    return said if code_is_proof else f"{said} {own}, so this is not proof."


class KeepsPassingJudge(JudgedCopies):
    """Judges :class:`KeepsPassing` claims on copies of ``sandbox``'s checkout, all within
    ``budget`` seconds from now; each claim's tests run with its runner (:mod:`cicd_agent.runners`),
    each linter as review runs and reads it (:meth:`lint`)."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        budget: float,
        code_is_proof: bool,
        said: Callable[[str], None] | None = None,
        python: str = "",
    ) -> None:
        super().__init__(sandbox, budget=budget, code_is_proof=code_is_proof, said=said)
        self.python = python
        """Python's tests' interpreter (:attr:`~cicd_agent.runners.base.Selection.python`)."""
        self._before: dict[tuple[tuple[str, ...], ...], _Runs] = {}

    def judge(self, claim: KeepsPassing) -> Kept:
        """Run the claim's tests and linters without and with its patch (see module doc)."""
        if self.cannot_run:
            return Kept(False, self.cannot_run, unchecked=True)
        key = (claim.paths, claim.tests, tuple(c.label for c in claim.lint))
        if key not in self._before:
            self.said(f"checking suggestions on {', '.join(claim.paths)}: the head's runs")
            self._before[key] = self._runs(claim, "")
        before = self._before[key]
        after = self._runs(claim, claim.diff) if not before.problem else before
        if before.problem or after.problem:
            return Kept(False, f"unchecked: {before.problem or after.problem}", unchecked=True)
        broke = sorted(before.passed - after.passed)
        broke += [
            f"{tool} {rule}"
            for (tool, rule), count in sorted(after.rules.items())
            if count > before.rules[tool, rule]
        ]
        if broke:
            return Kept(False, f"it broke {', '.join(broke[:3])}", tuple(broke))
        gone = [(c.label, claim.gone) for c in claim.lint if claim.gone]
        if gone and all(after.rules[g] >= before.rules[g] and before.rules[g] for g in gone):
            return Kept(
                False,
                f"{claim.gone} is still reported with it",
                (f"{claim.gone} (still reported)",),
            )
        return Kept(
            True,
            against(
                claim,
                before.passed,
                code_is_proof=self.code_is_proof,
                unimported=before.unimportable,
            ),
        )

    def _runs(self, claim: KeepsPassing, diff: str) -> _Runs:
        """The claim's linters, then its tests, in one fresh copy (with ``diff`` applied)."""
        with self.copy("suggestion") as space:
            if diff and (failed := self.applied(space, diff)) is not None:
                why = f"the patch did not apply ({failed.describe()})"
                return _Runs(frozenset(), Counter(), why)
            rules: Counter[tuple[str, str]] = Counter()
            for command in claim.lint:
                problem = self.lint(space, command, claim.paths, rules)
                if problem:
                    return _Runs(frozenset(), rules, problem)
            if not claim.tests:
                return _Runs(frozenset(), rules)
            left = self.left()
            if left <= 0:
                return _Runs(frozenset(), rules, "the time budget was spent")
            runner = claim.runner
            if runner is None:
                return _Runs(frozenset(), rules, "no test runner was named for its tests")
            after = ((path, text_of(space.repo, path)) for path in claim.paths)
            changed = self.changed(space, after) if diff else None
            chosen = Selection(
                claim.tests, changed=changed, python=self.python, patched=claim.paths
            )
            report = runner.run(self.sandbox, space, chosen, timeout=min(RUN_TIMEOUT, left))
            if report.problem:
                return _Runs(frozenset(), rules, f"its tests gave no result ({report.problem})")
            passed = report.passed()
            why = "" if passed else unimportable(report.unimportable, self.python)
            return _Runs(passed, rules, unimportable=why)

    def lint(
        self,
        space: Workspace,
        command: LintCommand,
        paths: tuple[str, ...],
        rules: Counter[tuple[str, str]],
    ) -> str:
        """Run ``command`` on ``paths`` in ``space`` and count its rules there into ``rules``;
        why it gave no result (""). A report read only in part is none: its missing rules
        would read as ones the patch fixed, or hide ones it broke."""
        left = self.left()
        if left <= 0:
            return "the time budget was spent"
        lint = run_lint(self.sandbox, space, command, paths, timeout=min(RUN_TIMEOUT, left))
        if lint.problem or lint.stopped:
            return f"{command.label}: {lint.problem or lint.stopped}"
        rules.update((command.label, hit.code) for hit in lint.hits if hit.path in paths)
        return ""
