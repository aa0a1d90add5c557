"""Whether a test still catches a bug in the code it calls, after a patch of the test itself:
the mutation check gen-tests' gates use (:mod:`.mutants`), for a test the product did not
write. The test step's flaky-test fixer moves statements into a failing test; a patch that
made the test pass by no longer checking anything passes every mutant as well, and this says
so.

The patched files are written into a sandbox copy (:func:`rewrite`, never through a link of
the copy's), and the test is run against each mutant of the lines it calls, one at a time, in
that copy (:func:`still_catches`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from cicd_agent.local.checkout_files import replace_file
from cicd_agent.verify.mutants import Dependence, MutantResult, Outcome, check, mutated, outcome
from cicd_agent.verify.mutation import Mutant, of_lines

TestRun = Callable[[], tuple[Mapping[str, str], Mapping[str, str]] | None]
"""One run of the test in the copy: each test's outcome (``passed``, ``failed``...) and the
failed ones whose own check failed, as the runner's report gives them; None for no result."""


def rewrite(root: Path, texts: Mapping[str, str]) -> None:
    """Each file of ``texts`` (by path under ``root``, a sandbox copy) replaced by its text."""
    for path, text in texts.items():
        replace_file(root, path, text.encode())


def still_catches(root: Path, lines: Mapping[str, Iterable[int]], run: TestRun) -> Dependence:
    """Whether the test ``run`` runs fails by its own check on a mutant of ``lines`` (by file
    under ``root``) and passes the mutant's control (:func:`.mutants.check`)."""

    def judged(mutant: Mutant) -> MutantResult:
        with mutated(root, mutant):
            said = run()
        return outcome(*said) if said is not None else MutantResult(Outcome.NO_RESULT)

    return check(of_lines(root, lines), judged)
