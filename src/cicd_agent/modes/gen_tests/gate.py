"""The gate: a candidate test is kept only if it passes every stage, and stops at the first it
fails.

1. ``parsed`` and ``imports``: it parses, and every import (also inside functions) resolves in
   the project's environment, checked by pytest's own collection plus our plugin. Nothing is
   ever installed to make an import work.
2. ``assertion``: every test holds a real assertion (:mod:`assertions`).
3. ``pass``: it passes when run alone (every one of its tests passed; a skip is not a pass),
   leaving no more coverage data files than the host reads of a suite's run.
   ``same_copy``: it passes once more where it ran, what that run left kept (a developer's
   second run).
4. ``pass_x5``: it passes 5 more times, each in a fresh process and copy, and once in a random order
   together with the existing tests of the module it targets.
   ``repeat``: it passes :data:`REPEATS` more times in one process (pytest's
   ``--keep-duplicates``, :meth:`~cicd_agent.runners.sessions.Sessions.repeated`): a cheap run that
   catches the flaky candidate its fresh runs let through by chance
   (:data:`~.candidate_runs.REPEATS`).
5. ``suite``: the existing suite still passes with it (tests that passed before still pass).
6. ``coverage_gain``: the run alone executed lines or branches in the segment's missing set —
   a set gain measured by coverage.py, not a percentage.
7. ``depends``: its assertion fails when a changed line it ran is mutated
   (:mod:`~cicd_agent.verify.mutants`: a few mutants, one at a time, in its copy): a test
   that passes, or only crashes inside the code, whatever those lines do checks nothing about
   them; where no mutant can be made or built it is kept, "could not check dependence".

Every run happens in a fresh sandbox copy of the candidate's folder (:mod:`sandbox`), started by
the gate itself (:meth:`~cicd_agent.runners.sessions.SessionSandbox.session`). The gate judges
from pytest's per-test outcomes, which our plugin sends through a pipe
(:mod:`cicd_agent.modes.gen_tests.reruns`), not only from the exit code; a run whose report was
tampered with does not pass.
"""

from __future__ import annotations

import ast
import hashlib
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from cicd_agent.local.checkout_files import create_file, python_root
from cicd_agent.modes.gen_tests.assertions import assertion_problems
from cicd_agent.modes.gen_tests.candidate_runs import AGAIN_HERE, REPEATS, repeat_failed
from cicd_agent.modes.gen_tests.claim_run import NO_BUG, PossibleBug, possible_bug
from cicd_agent.modes.gen_tests.coverage_gaps import Arc, CoverageMeter, TooMuchCoverageData
from cicd_agent.modes.gen_tests.rerun_counts import ReliableTests
from cicd_agent.modes.gen_tests.reruns import TestRuns
from cicd_agent.modes.gen_tests.segments import Segment
from cicd_agent.modes.gen_tests.stages import Stage, Verdict
from cicd_agent.modes.gen_tests.suite import ProjectCommand, SuiteBaseline
from cicd_agent.runners.sessions import Evidence
from cicd_agent.runners.table import PYTEST, PYTEST_SESSIONS
from cicd_agent.sandbox.run import RunResult
from cicd_agent.sandbox.workspace import Workspace, remove_tree
from cicd_agent.verify import mutants, mutation

RERUNS = 5
WORKERS = 2
"""The reruns of stage 4 that run at once."""
FLAKY_RERUNS = 2
"""Runs, without the candidate, of an existing test that failed with it: one that fails there
is flaky, never the candidate's fault."""
FEEDBACK_CHARS = 3_000
PLUGIN = PYTEST_SESSIONS.plugin
_QUIET = ("-q", "--tb=short")


@dataclass
class _Trial:
    """One candidate under evaluation."""

    source: str
    segment: Segment
    test_path: str
    existing: Sequence[str]
    space: Workspace
    runs: int = 0
    executed_lines: frozenset[int] = frozenset()
    executed_arcs: frozenset[Arc] = frozenset()
    bug: PossibleBug = NO_BUG
    dependence: str = ""
    """What the mutants of the changed lines showed (:mod:`~cicd_agent.verify.mutants`)."""


def _own(test_id: str, test_path: str) -> bool:
    file_part = test_id.split("::", 1)[0]
    return (
        file_part == test_path
        or test_path.endswith("/" + file_part)
        or file_part.endswith("/" + test_path)
    )


def _tail(text: str, limit: int = FEEDBACK_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


class Gate:
    """Evaluates candidates for one repository: one sandbox, one baseline, one test command."""

    def __init__(
        self,
        meter: CoverageMeter,
        command: ProjectCommand,
        baseline: SuiteBaseline,
        *,
        timeout: float,
        reruns: int = RERUNS,
    ) -> None:
        self.sandbox = meter.sandbox
        self.meter = meter
        self.command = command
        self.baseline = baseline
        self.timeout = timeout
        self.suite_timeout = max(timeout, 3 * baseline.seconds + timeout)
        self.reruns = reruns
        self.runs = TestRuns(meter.sandbox, (*command.pytest, *_QUIET, *PLUGIN), timeout=timeout)
        self.flaky: set[str] = set(baseline.flaky)
        """Existing tests found flaky: the baseline's two runs' and those found since."""
        self._lock = threading.Lock()

    def evaluate(
        self, source: str, segment: Segment, test_path: str, existing: Sequence[str], label: str
    ) -> Verdict:
        """Run the eight stages on ``source`` saved as ``test_path``; stop at the first failure."""
        try:
            ast.parse(source)
        except SyntaxError as exc:
            reason = f"does not parse: {exc.msg} (line {exc.lineno})"
            return Verdict(Stage.PARSED, reason, feedback=reason)
        except (RecursionError, MemoryError):  # ``v.a.a…`` 5,000 deep
            reason = "does not parse: an expression nested too deeply"
            return Verdict(Stage.PARSED, reason, feedback=reason)
        space = self.sandbox.workspace(label)
        trial = _Trial(source, segment, test_path, existing, space)
        try:
            create_file(space.repo, test_path, source)  # never through a link of the PR's
            return self._stages(trial)
        finally:
            remove_tree(space.root)

    def _stages(self, trial: _Trial) -> Verdict:
        for stage, check in (
            (Stage.IMPORTS, self._imports),
            (Stage.ASSERTION, self._assertion),
            (Stage.PASS, self._pass_alone),
            (Stage.SAME_COPY, self._same_copy),
            (Stage.PASS_X5, self._pass_again),
            (Stage.REPEAT, self._repeat),
            (Stage.SUITE, self._suite),
            (Stage.COVERAGE, self._coverage_gain),
            (Stage.DEPENDS, self._depends),
        ):
            problem = check(trial)
            if problem is not None:
                stopped, (reason, feedback) = stage, problem
                break
        else:
            stopped, reason, feedback = None, f"passed every stage; {trial.dependence}", ""
        lines, arcs = trial.executed_lines, trial.executed_arcs
        if stopped is None:  # what a rejected candidate ran is no gain
            gained = (trial.segment.missing_lines & lines, trial.segment.missing_arcs & arcs)
        else:
            gained = (frozenset(), frozenset())
        found = trial.bug if stopped is Stage.PASS else NO_BUG
        reason, bug = found.label(reason)
        return Verdict(
            stopped, reason, feedback, *gained, lines, arcs, trial.runs, bug, found.contracts
        )

    # ------------------------------------------------------------------ running pytest

    def _pytest(self, trial: _Trial, *args: str, suite: bool = False) -> tuple[RunResult, Evidence]:
        """One counted run in the trial's copy: pytest with ``args``, or (``suite``) the user's
        suite with our plugin and ``args``."""
        trial.runs += 1
        if suite:
            command = [*self.command.suite, *PLUGIN, *args]
            return self.sandbox.session(command, trial.space, timeout=self.suite_timeout)
        return self.runs.once(trial.space, args)

    def _judge(
        self, trial: _Trial, result: RunResult, evidence: Evidence, *, compare_baseline: bool
    ) -> tuple[str, str] | None:
        """Why a run does not count as passing, with the output to show the model; None if it
        does."""
        if result.timed_out:
            return f"pytest {result.describe()}", _tail(result.output)
        if evidence.problem:
            return f"its outcome report cannot be trusted: {evidence.problem}", _tail(result.output)
        outcomes = evidence.outcomes
        if outcomes is None:
            return f"pytest {result.describe()} without reporting any outcome", _tail(result.output)
        if outcomes.collect_errors:
            return "collection failed", _tail("\n".join(outcomes.collect_errors))
        own = {t: o for t, o in outcomes.tests.items() if _own(t, trial.test_path)}
        if not own:
            return "none of its tests ran", _tail(result.output)
        failed = sorted(f"{test} {outcome}" for test, outcome in own.items() if outcome != "passed")
        if failed:
            why = f"{len(failed)} of its {len(own)} test(s) did not pass, first {failed[0]}"
            return why, _tail(result.output)
        if not compare_baseline and not result.ok:
            return f"pytest {result.describe()} although its tests passed", _tail(result.output)
        if compare_baseline:
            before = self.baseline.passed
            if before is not None:
                broken = sorted(
                    t
                    for t, o in outcomes.tests.items()
                    if t in before and o != "passed" and t not in self.flaky
                )
                if broken:  # not the candidate's fault if they fail without it too
                    excused = self._fail_without_candidate(broken)
                    broken = [test for test in broken if test not in excused]
                if broken:
                    return (
                        f"{len(broken)} existing test(s) that passed before now fail: {broken[0]}",
                        _tail(result.output),
                    )
            elif result.returncode != 0:
                return f"the suite {result.describe()}", _tail(result.output)
        return None

    def _fail_without_candidate(self, tests: Sequence[str]) -> set[str]:
        """Those of ``tests`` that fail again, run ``FLAKY_RERUNS`` times in a fresh copy of
        the project without the candidate: flaky, remembered and never held against one."""
        found = self.runs.judge(ReliableTests(tuple(tests), FLAKY_RERUNS), "flaky-check")
        failing = {test for test in tests if test in found.tests and found.tests[test].failed}
        with self._lock:
            self.flaky |= failing
        return failing

    # ------------------------------------------------------------------ the stages

    def _imports(self, trial: _Trial) -> tuple[str, str] | None:
        path = trial.test_path
        result, evidence = self._pytest(trial, *PYTEST.reports.collecting(path))
        if result.timed_out:
            return f"collection {result.describe()}", _tail(result.output)
        if evidence.problem:
            why = f"its collection report cannot be trusted: {evidence.problem}"
            return why, _tail(result.output)
        outcomes = evidence.outcomes
        if outcomes is None:
            return f"collection {result.describe()} without a report", _tail(result.output)
        if outcomes.collect_errors:
            return "it cannot be imported", _tail("\n".join(outcomes.collect_errors))
        if outcomes.unresolved:
            names = ", ".join(outcomes.unresolved)
            return f"imports that do not resolve: {names}", (
                f"These imports do not resolve in the project's environment: {names}. "
                "Nothing can be installed; use only the project's code, the standard library "
                "and packages the existing tests already use."
            )
        return None

    def _assertion(self, trial: _Trial) -> tuple[str, str] | None:
        problems = assertion_problems(trial.source)
        if problems:
            return problems[0], "\n".join(problems)
        return None

    def _pass_alone(self, trial: _Trial) -> tuple[str, str] | None:
        trial.runs += 1
        command = [*self.runs.pytest, trial.test_path]
        try:
            result, evidence, coverage = self.meter.measure(
                command, trial.space, timeout=self.timeout
            )
        except TooMuchCoverageData as exc:  # the suite's run after it would read them all
            return exc.message, f"{exc.message}. {exc.hint}"
        trial.executed_lines = coverage.executed_lines(trial.segment.path)
        trial.executed_arcs = coverage.executed_arcs(trial.segment.path)
        problem = self._judge(trial, result, evidence, compare_baseline=False)
        if problem is not None and trial.segment.missing_lines & trial.executed_lines:
            trial.bug = possible_bug(
                self.runs,
                trial,
                result.output,
                lambda run, evidence: self._judge(trial, run, evidence, compare_baseline=False),
            )
        return problem

    def _same_copy(self, trial: _Trial) -> tuple[str, str] | None:
        """The candidate alone once more in its copy, after its run alone, before the reruns
        that run at once: what that run left in the copy, ``HOME`` and ``TMPDIR`` is there
        (:data:`AGAIN_HERE`)."""
        result, evidence = self._pytest(trial, trial.test_path)
        problem = self._judge(trial, result, evidence, compare_baseline=False)
        return None if problem is None else (f"{AGAIN_HERE}: {problem[0]}", problem[1])

    def _pass_again(self, trial: _Trial) -> tuple[str, str] | None:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            runs = list(
                pool.map(
                    lambda _: self._fresh(trial),
                    range(self.reruns),
                )
            )
        trial.runs += self.reruns
        for number, (result, evidence) in enumerate(runs, start=1):
            problem = self._judge(trial, result, evidence, compare_baseline=False)
            if problem is not None:
                return f"flaky: run {number + 1} of {self.reruns + 1}: {problem[0]}", problem[1]
        seed = int(hashlib.sha256(trial.source.encode()).hexdigest()[:8], 16)
        files = [*trial.existing, trial.test_path]
        result, evidence = self._pytest(trial, *PYTEST_SESSIONS.varied(shuffle=seed), *files)
        problem = self._judge(trial, result, evidence, compare_baseline=True)
        if problem is not None:
            return (
                f"fails in random order (seed {seed}) with {len(trial.existing)} existing "
                f"test file(s): {problem[0]}",
                problem[1],
            )
        return None

    def _fresh(self, trial: _Trial) -> tuple[RunResult, Evidence]:
        """One run of the candidate alone in a fresh copy (its own ``HOME`` and ``TMPDIR``):
        the reruns run side by side, and in one copy two of them would meet in a file an
        honest test writes and removes."""
        space = self.sandbox.workspace(trial.space.root.name.split("-", 1)[-1])
        try:
            create_file(space.repo, trial.test_path, trial.source)
            return self.runs.once(space, [trial.test_path])
        finally:
            remove_tree(space.root)

    def _repeat(self, trial: _Trial) -> tuple[str, str] | None:
        """The candidate alone, :data:`REPEATS` times in one pytest process."""
        result, evidence = self._pytest(
            trial, *PYTEST_SESSIONS.repeated([trial.test_path], REPEATS)
        )
        problem = self._judge(trial, result, evidence, compare_baseline=False)
        return (
            None
            if problem is None
            else (repeat_failed(PYTEST.repeats.repeats, problem[0]), problem[1])
        )

    def _suite(self, trial: _Trial) -> tuple[str, str] | None:
        if self.command.is_pytest:
            # As the user runs it: a path on the command line would narrow pytest's collection
            # to that file, so the candidate is named only when the suite did not collect it.
            result, evidence = self._pytest(trial, suite=True)
            seen = evidence.outcomes.tests if evidence.outcomes is not None else None
            if seen is not None and not any(_own(t, trial.test_path) for t in seen):
                files = sorted({test.split("::", 1)[0] for test in self.baseline.passed or ()})
                result, evidence = self._pytest(trial, *files, trial.test_path, suite=True)
            return self._judge(trial, result, evidence, compare_baseline=True)
        if self.baseline.returncode != 0:
            return "the suite already fails without the candidate, so it cannot be judged", ""
        trial.runs += 1
        result, _ = self.sandbox.session(
            self.command.suite, trial.space, timeout=self.suite_timeout
        )
        if not result.ok:
            return f"the suite {result.describe()} with the candidate", _tail(result.output)
        return None

    def _coverage_gain(self, trial: _Trial) -> tuple[str, str] | None:
        segment = trial.segment
        if (
            segment.missing_lines & trial.executed_lines
            or segment.missing_arcs & trial.executed_arcs
        ):
            return None
        lines = ", ".join(str(n) for n in sorted(segment.missing_lines)) or "none"
        arcs = ", ".join(f"{a}→{b}" for a, b in sorted(segment.missing_arcs)) or "none"
        return (
            "adds no coverage to the segment",
            f"The test passed but executed none of the missing lines ({lines}) or branches "
            f"({arcs}) of {segment.qualname} in {segment.path}.",
        )

    def _depends(self, trial: _Trial) -> tuple[str, str] | None:
        """Stage 7: the candidate against mutants of the missing lines it ran, in its copy."""
        segment = trial.segment
        ran = segment.missing_lines & trial.executed_lines
        ran |= {abs(n) for arc in segment.missing_arcs & trial.executed_arcs for n in arc}
        made = mutation.of_lines(self.sandbox.pristine, {segment.path: ran})
        found = mutants.check(made, partial(self._mutant, trial))
        trial.runs += found.runs
        trial.dependence = found.label
        if found.depends is False:
            return found.label, (
                f"The test {found.label}: it checks nothing the changed lines compute. Assert "
                "their result (a returned value, a raised error, a changed state)."
            )
        return None

    def _mutant(self, trial: _Trial, mutant: mutation.Mutant) -> mutants.MutantResult:
        """One run of the candidate alone with ``mutant`` in place of its file's text, in a
        fresh copy named as the trial's: its earlier runs wrote in theirs (a folder moved and
        linked back made the mutant's write refused, which ended the mode)."""
        space = self.sandbox.workspace(trial.space.root.name.split("-", 1)[-1])
        try:
            create_file(space.repo, trial.test_path, trial.source)
            ours = self.sandbox.environment(space)["PYTHONPATH"].split(os.pathsep)
            first = len(self.sandbox.python_path())  # the boot folders, then the copy's package
            ours.insert(first, str(python_root(space.repo, mutant.path)))
            with mutants.mutated(space.repo, mutant):
                result, evidence = self.sandbox.session(
                    [*self.runs.pytest, trial.test_path],
                    space,
                    timeout=self.timeout,
                    extra_env={"PYTHONPATH": os.pathsep.join(ours)},
                )
        finally:
            remove_tree(space.root)
        outcomes = evidence.outcomes
        if result.timed_out or evidence.problem or outcomes is None or outcomes.collect_errors:
            return mutants.MutantResult(
                mutants.Outcome.NO_RESULT
            )  # it did not load, or is no result
        return mutants.outcome(
            {t: o for t, o in outcomes.tests.items() if _own(t, trial.test_path)}, outcomes.checks
        )
