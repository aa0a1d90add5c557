"""Sessions of one runner's tests in orders of the caller's choosing (:class:`OrderedRuns`): the
test step's flaky-test fixer asks which test another depends on, and whether a patch of the
test holds.

Each session runs in a fresh copy of the checkout in the sandbox, so no file a run leaves (a
counter, a cache, a database) reaches the next: a test that depends on another is shown by the
order alone. A patch of test files is written into the copy before the session, never through a
link of the copy's. All sessions share one budget of seconds; a session past it gives no
result.

:meth:`OrderedRuns.still_catches` is the mutation check of gen-tests' gates, for
a test the product did not write: a patched test that made its failure go away by no longer
checking anything passes the mutants of the code it calls as well. Only mutants the test
failed before the patch are asked about: one in a branch it never takes says nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cicd_agent.local.checkout_files import (
    CheckoutFileError,
    python_root,
    read_text,
    replace_file,
)
from cicd_agent.runners.orders import RunsInOrder
from cicd_agent.runners.sessions import Outcomes, SessionSandbox
from cicd_agent.sandbox import Workspace
from cicd_agent.sandbox.workspace import remove_tree
from cicd_agent.verify.mutants import (
    MutantResult,
    Outcome,
    mutated,
    outcome,
    still_fails,
)
from cicd_agent.verify.mutation import Mutant, of_lines

SESSION = 300.0
"""Seconds one session may take at most."""


def quiet(line: str) -> None:
    """Progress nobody reads."""


class OrderedRuns:
    """``orders``' sessions of the step's ``command`` in ``sandbox``, within ``budget`` seconds."""

    def __init__(
        self,
        orders: RunsInOrder,
        sandbox: SessionSandbox,
        command: Sequence[str],
        *,
        budget: float,
        say: Callable[[str], None] = quiet,
    ) -> None:
        self.orders = orders
        self.sandbox = sandbox
        self.command = tuple(command)
        self.ends = time.monotonic() + budget
        self.say = say
        self.sessions = 0
        self.problem = ""
        """Why the last session that gave no result gave none ("" while each gave one)."""
        self._seen: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], Outcomes | None] = {}

    def outcomes(
        self,
        order: Sequence[str],
        patched: Mapping[str, str] | None = None,
        times: int = 1,
        *,
        again: bool = True,
    ) -> Outcomes | None:
        """One session of ``order`` (empty: the command's own tests, in their own order) in a
        copy with the files of ``patched``, each test run ``times`` times; None: no result, or
        no time left. Without ``again``, a session of the same order and files run before is
        not run again."""
        key = (tuple(order), tuple(sorted((patched or {}).items())))
        if not again and times == 1 and key in self._seen:
            return self._seen[key]
        space = self.sandbox.workspace("ordered")
        try:
            for path, text in (patched or {}).items():
                replace_file(space.repo, path, text.encode())
            said = self._session(space, order, times)
        finally:  # removed while its files are fresh: a classification runs dozens of them
            remove_tree(space.root)
        if times == 1:
            self._seen[key] = said
        return said

    def passes(
        self,
        order: Sequence[str],
        patched: Mapping[str, str] | None = None,
        *,
        again: bool = True,
    ) -> dict[str, bool] | None:
        """Each test of one session that ran to an outcome, and whether it
        passed (a skipped one left out)."""
        said = self.outcomes(order, patched, again=again)
        return (
            None
            if said is None
            else {
                test: outcome == "passed"
                for test, outcome in said.tests.items()
                if outcome in ("passed", "failed", "error")
            }
        )

    def reruns(
        self, test: str, times: int, patched: Mapping[str, str] | None = None
    ) -> tuple[int, int] | None:
        """``test`` run alone ``times`` times in one session, in a copy with the files of
        ``patched``: its failed runs and all its runs."""
        said = self.outcomes([test], patched, times=times)
        if said is None or test not in said.repeats:
            return None
        won, lost = said.repeats[test]
        return lost, won + lost

    def text(self, path: str) -> str | None:
        """``path``'s text in the checkout's copy (None: a link, or not there)."""
        try:
            return read_text(self.sandbox.pristine, path)
        except CheckoutFileError:
            return None

    def still_catches(
        self, test: str, patched: Mapping[str, str], before: Sequence[str], *, times: int = 1
    ) -> tuple[bool | None, str]:
        """Whether ``test``, in a copy with ``patched``, still fails on a mutant of the code it
        calls that it failed before the patch, run in ``before`` (an order the unpatched test
        passes in, ending with it), and passes the mutant's control:
        True, False, or None when no mutant could judge it; and what showed it. A test that
        fails at random is run ``times`` times before the patch, and a mutant counts as failed
        only when every run failed: one chance failure would make a mutant it never reaches
        look caught, and the fixed test's pass there look like a weakened check."""
        if not before:
            return None, "could not check dependence: the test passed in no order before the patch"
        unpatched, space = self.sandbox.workspace("mutants"), self.sandbox.workspace("mutants")
        try:
            return self._caught(test, patched, before, times, unpatched=unpatched, space=space)
        finally:  # removed while their files are fresh, as a session's copy is
            remove_tree(unpatched.root)
            remove_tree(space.root)

    def _caught(
        self,
        test: str,
        patched: Mapping[str, str],
        before: Sequence[str],
        times: int,
        *,
        unpatched: Workspace,
        space: Workspace,
    ) -> tuple[bool | None, str]:
        """:meth:`still_catches` in its two copies: ``unpatched``, and ``space`` to patch."""
        for path, text in patched.items():
            replace_file(space.repo, path, text.encode())
        lines = self.orders.under_test(unpatched.repo, test)
        if not lines:
            return (
                None,
                "could not check dependence: it calls no function of the code under test by name",
            )

        def judged(
            copy: Workspace, order: Sequence[str], runs: int = 1
        ) -> Callable[[Mutant], MutantResult]:
            def run(mutant: Mutant) -> MutantResult:
                with mutated(copy.repo, mutant):
                    said = self._session(copy, order, runs, python_root(copy.repo, mutant.path))
                if runs > 1 and said is not None and said.repeats.get(test, (0, 0))[0]:
                    return MutantResult(Outcome.NO_RESULT)  # it passed a run: says nothing
                return _of(said, test)

            return run

        found = still_fails(
            of_lines(unpatched.repo, lines), judged(unpatched, before, times), judged(space, [test])
        )
        return found.depends, found.label

    def _session(
        self, space: Workspace, order: Sequence[str], times: int, first: Path | None = None
    ) -> Outcomes | None:
        """One session; with ``first``, that folder of the copy first on ``PYTHONPATH`` after
        the sandbox's own (a mutant's package: code installed in editable mode is otherwise
        imported from the checkout, where no mutant is)."""
        left = self.ends - time.monotonic()
        if left <= 1:
            self.problem = "the time budget was spent"
            return None
        argv = [
            *self.command,
            *self.orders.in_order(space, order),
            *(self.orders.again(times) if times > 1 else ()),
        ]
        extra: dict[str, str] = {}
        if first is not None:
            paths = self.sandbox.environment(space)["PYTHONPATH"].split(os.pathsep)
            paths.insert(len(self.sandbox.python_path()), str(first))
            extra["PYTHONPATH"] = os.pathsep.join(paths)
        self.sessions += 1
        result, evidence = self.sandbox.session(
            argv, space, timeout=min(SESSION, left), extra_env=extra
        )
        said, why = self.orders.read(result, evidence)
        if said is None:
            self.problem = why or "the session reported nothing"
        return said


def _of(said: Outcomes | None, test: str) -> MutantResult:
    """What one mutant run says of ``test`` alone (the order's other tests are its set-up): a
    run whose tests could not be collected (the mutant broke an import) erred, as a crash."""
    if said is None:
        return MutantResult(Outcome.NO_RESULT)
    if test not in said.tests and said.collect_errors:
        return MutantResult(
            Outcome.CRASHED, f"{test} (not collected: {said.collect_errors[0][:160]})"
        )
    return outcome({test: said.tests[test]} if test in said.tests else {}, said.checks)
