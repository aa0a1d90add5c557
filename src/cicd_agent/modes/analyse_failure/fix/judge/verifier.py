"""The judge of fixes: a patch is offered only if the failed step passes with it, in the sandbox.

:class:`SandboxVerifier` works on copies of the local checkout, which the caller has checked is
the failed commit with no tracked file changed: only then does a patch apply to the failed
commit. For each patch, in a fresh copy:

1. five gates refuse it. On the patch's text alone, before any copy, the policy
   (:mod:`.policy`; :meth:`SandboxVerifier.refusal` lets a tool loop ask first). On each
   patched file's text before and after, in :meth:`SandboxVerifier._moves_the_judge`, since
   they need the failed commit's text: before any run, a change to the test runner's or a
   linter's settings (:mod:`.runner_settings`), an encoding declaration that hides code
   (:func:`cicd_agent.runners.patched_lines.cookie_problem`) and a file among the judging
   runner's own ``settings`` (:func:`cicd_agent.runners.lookups.settings_problem`); once its
   runs passed, code that runs as a module is imported
   (:func:`cicd_agent.runners.import_time.import_time_problem`);
2. it must apply (``git apply`` in the sandbox);
3. the failing command, after the step's commands before it, must pass twice, and the runner's
   own report must show the tests the log named run and passed, since an exit code is the word
   of the code under test: pytest's through its in-run check
   (:mod:`cicd_agent.runners.pytest.evidence`), go test's, jest's or vitest's through the
   test-runner seam (:mod:`cicd_agent.runners`); an exit code alone counts only for a linter or
   formatter the fix step knows;
4. the step's other commands must not fail with it where they pass without it (a regression).

Each patch is measured against the failing command run without it, alike and at the same path:
a failure that does not reproduce (flaky, a tool missing) verifies nothing, and says so. Every
command runs in :class:`~cicd_agent.sandbox.Sandbox`; outputs come back redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cicd_agent.analysis.known_tools import tools_named
from cicd_agent.local.checkout_files import CheckoutFileError
from cicd_agent.modes.analyse_failure.fix.judge.claims import (
    FailingCommand,
    Patch,
    RunOutcome,
    Verdict,
    Verification,
    failing_script,
    refused,
    rest_script,
)
from cicd_agent.modes.analyse_failure.fix.judge.passing import (
    JudgedRun,
    why_failing_tests_do_not_pass,
)
from cicd_agent.modes.analyse_failure.fix.judge.policy import PolicyVerdict, policy_verdict
from cicd_agent.modes.analyse_failure.fix.judge.runner_settings import settings_change
from cicd_agent.modes.analyse_failure.fix.judge.script import shell_argv
from cicd_agent.modes.analyse_failure.fix.judge.step_files import named_files
from cicd_agent.runners.import_time import import_time_problem
from cicd_agent.runners.lookups import running, settings_problem
from cicd_agent.runners.patched_lines import PatchedLines, cookie_problem, unnamed_by_the_linter
from cicd_agent.sandbox import RunResult, Sandbox, Workspace
from cicd_agent.verify.contract import NOT_PROOF
from cicd_agent.verify.judged import JudgedCopies, text_of

if TYPE_CHECKING:
    from cicd_agent.runners.protocol import Runner
    from cicd_agent.runners.sessions import WatchesFixes

RUN_TIMEOUT = 300.0
"""One run of the failing command (seconds): the step's own command, as CI ran it."""


class WatchingRunner(Protocol):
    """The runner the judge watches a failed step with, handed in by its caller (pytest's row,
    ``cicd_agent.runners.table.PYTEST``, for Python's tests): whether a command runs it, its
    name in a verdict, and its in-run check (``watches``), so this judge is no one runner's."""

    @property
    def runner(self) -> Runner: ...

    @property
    def watches(self) -> WatchesFixes: ...


BUDGET = 600.0
"""Every run of one verifier together (seconds): the fix must not cost the run its deadline."""
OUTPUT_CHARS = 6_000
"""The tail of a run's output kept in a :class:`RunOutcome` (redacted)."""
JUDGED = "judged"
"""The folder (in the sandbox's work folder) of every judged copy, one at a time, the
baseline's too: a base that tells its folder's name could fail only unpatched."""


class SandboxVerifier(JudgedCopies):
    """Judges patches against one failing command on copies of one checkout (see module doc);
    its public methods are :class:`~.claims.Verifier`'s, documented there."""

    def __init__(
        self,
        sandbox: Sandbox,
        failing: FailingCommand,
        *,
        watched: WatchingRunner,
        redact: Callable[[str], str],
        failing_test_files: Collection[str] = (),
        failed_test_names: Collection[str] = (),
        budget: float = BUDGET,
        said: Callable[[str], None] | None = None,
        code_is_proof: bool = False,
    ) -> None:
        """``failing_test_files``: the failing tests' files (the policy keeps them unchanged);
        ``failed_test_names``: their names as the log gave them. Either known, or a failing command
        that runs the ``watched`` runner, a verified fix needs its report (pytest's:
        :mod:`cicd_agent.runners.pytest.evidence`); otherwise (a linter failed) the exit code
        is the judge. ``budget``: :data:`BUDGET`'s seconds; the rest as :class:`JudgedCopies`'s
        (``code_is_proof``: the caller's ``Trust.code_is_proof``, read from GitHub's answer)."""
        super().__init__(sandbox, budget=budget, code_is_proof=code_is_proof, said=said)
        self.failing = failing
        self.watched = watched
        name = watched.runner.name
        self._redact = redact
        self._failing_test_files = tuple(failing_test_files)
        self._failed_test_names = tuple(failed_test_names)
        self._runs_watched = watched.runner.runs(
            failing_script(failing)
        )  # its in-run check watches
        self._lints = any(tool != name for tool in tools_named(failing.script))
        self._needs_evidence = bool(failed_test_names or failing_test_files or self._runs_watched)
        seam = running(failing.failing, sandbox.checkout)  # go test, jest: its report judges
        self._seam = seam if seam is not None and not self._runs_watched else None
        # Why a pass in which the watched runner did not run is no evidence ("" for a known linter).
        self._unwatched = (
            ""
            if any(tool != name for tool in tools_named(failing.failing))
            else f"not verified: no {name} ran, and the failing command is no linter or "
            "formatter the fix step knows, so its exit code is the word of the code it runs"
        )
        self._named = named_files(failing, sandbox.checkout)  # its plugins, scripts, settings
        self._watch = watched.watches.watch(sandbox.root)  # the runner's in-run check and report
        self._baseline: RunOutcome | None = None
        self._verdicts: dict[str, Verification] = {}
        self._policies: dict[str, PolicyVerdict] = {}

    def refusal(self, diff: str) -> str:
        verdict = self._policy(diff)
        return "" if verdict.allowed else verdict.reason

    def _policy(self, diff: str) -> PolicyVerdict:
        """The policy's verdict on ``diff``, read once: a tool loop asks before a run, the run
        asks, then the proposal and its verification ask again about the same text."""
        known = self._policies.get(diff)
        if known is None:
            known = self._policies[diff] = policy_verdict(
                diff,
                self.sandbox.checkout,
                failing_test_files=self._failing_test_files,
                named=self._named,
                linted=self._lints,
            )
        return known

    def reproduces(self) -> RunOutcome:
        if self._baseline is None:
            self._baseline = self.run_failing(None)
        return self._baseline

    def run_failing(self, patch: Patch | None) -> RunOutcome:
        if patch is not None:
            refusal = self.refusal(patch.diff)
            if refusal:
                return RunOutcome(126, refused(refusal))
        with self.copy("run") as space:
            if patch is not None:
                applied = self.apply(space, patch)
                if applied is not None:
                    return applied
            return self.script(space, failing_script(self.failing))

    def verify(self, patch: Patch) -> Verification:
        """The same diff is judged once: a tool loop that verified a patch and the step that
        offers it ask the same question, and get the first answer."""
        known = self._verdicts.get(patch.diff)
        if known is None:
            known = self._verdicts[patch.diff] = self._verify(patch)
        return known

    def _verify(self, patch: Patch) -> Verification:
        problem = self.cannot_run
        if problem:
            return Verification(patch, problem)
        verdict = self._policy(patch.diff)
        if not verdict.allowed:
            return Verification(patch, refused(verdict.reason))
        self.said(
            f"judging patch {len(self._verdicts) + 1}: the failing command without it, "
            "then twice with it, in the sandbox"
        )
        with self.copy("judged", at=JUDGED) as probe:  # the lines the guard watches, known first
            applied = self.apply(probe, patch)
            if applied is not None:
                return Verification(
                    patch,
                    "the patch does not apply to the failed commit",
                    (applied,),
                )
            try:
                patched = _read_back(probe, verdict.paths)
            except CheckoutFileError as exc:  # a folder, a FIFO or a huge file where a file was
                return Verification(patch, f"the patched file {exc}")
        moved = self._moves_the_judge(patched)
        if moved:
            return Verification(patch, refused(moved))
        changed = self.changed(probe, patched)
        baseline, rest_before = self._judged_baseline(changed)
        if baseline.guarded or baseline.outcome.passed:
            return Verification(
                patch,
                baseline.guarded
                or (
                    "the failing command passes in the sandbox without any patch, so no patch can "
                    "be shown to fix it (a flaky failure, or one that needs the network or secrets)"
                ),
                (baseline.outcome,),
            )
        with self.copy("judged", at=JUDGED) as space:
            return self._verify_in(space, patch, (baseline.outcome, rest_before), patched, changed)

    def _judged_baseline(self, changed: PatchedLines) -> tuple[JudgedRun, RunOutcome | None]:
        """The failing command without the patch, watched as the patched runs are, with their
        very environment (the lines ``changed`` names included) in a copy at their path: the
        base is the pull request's, and one that sees which run it is in can fail only in the
        baseline, so that any patch verifies. Also the step's other commands run after it there
        (None: none), as they run after the patched runs: one that fails only in a copy of its
        own hides every regression."""
        with self.copy("judged", at=JUDGED) as space:
            run = self._judged_run(space, failing_script(self.failing), "baseline", (), changed)
            rest = rest_script(self.failing)
            rest_before = self.script(space, rest) if rest and not run.guarded else None
        return run, rest_before

    def _verify_in(
        self,
        space: Workspace,
        patch: Patch,
        baselines: tuple[RunOutcome, RunOutcome | None],
        patched: tuple[tuple[str, str | None], ...],
        changed: PatchedLines,
    ) -> Verification:
        baseline, before = baselines
        paths = tuple(path for path, _after in patched)
        applied = self.apply(space, patch)
        if applied is not None or _read_back(space, paths) != patched:
            return Verification(
                patch,
                "the patch does not apply to the failed commit",
                (baseline, *filter(None, [applied])),
            )
        runs = [baseline]
        script = failing_script(self.failing)
        for attempt in ("first", "second"):
            run = self._judged_run(space, script, attempt, paths, changed)
            outcome = run.outcome
            runs.append(outcome)
            if run.guarded:  # the static rule's reason, when it has one, names the line it reads
                said = self._moves_the_judge(patched, after_runs=True)
                return Verification(patch, refused(said) if said else run.guarded, tuple(runs))
            if not outcome.passed:
                why = (
                    f"the fix step's {self.budget:.0f} s for all its runs were spent"
                    if self.left() <= 0
                    else f"not verified: {self.watched.runner.name} could not load the fix step's "
                    f"in-run check ({attempt} run; a PYTHONPATH the step sets itself replaces the "
                    "folder it is in)"
                    if self._watch.module in outcome.output
                    else f"the failing command still fails with the patch ({attempt} run, "
                    f"{_ended(outcome)})"
                )
                return Verification(patch, why, tuple(runs))
            if run.unproven:
                return Verification(patch, f"{run.unproven} ({attempt} run)", tuple(runs))
        rest = rest_script(self.failing)
        if rest and before is not None:
            after = self.script(space, rest)
            runs += [before, after]
            if before.passed and not after.passed:
                return Verification(
                    patch,
                    f"regression: the step's other commands pass without the patch and fail "
                    f"with it ({_ended(after)})",
                    tuple(runs),
                )
        unnamed = self._moves_the_judge(patched, after_runs=True) or (
            "" if self._needs_evidence else unnamed_by_the_linter(paths, baseline.output)
        )
        if unnamed:
            return Verification(patch, refused(unnamed), tuple(runs))
        said = ""
        if self._failed_test_names or self._failing_test_files:
            said = " and its report shows the failing tests passing"
        elif self._runs_watched:
            said = f" and {self.watched.runner.name}'s report shows its tests passing"
        proof = self.code_is_proof
        said = f"the failing command passes twice with the patch{said}"
        tests = len(self._failed_test_names) or self._watch.passing(space.root / "tests-second")
        return Verification(
            patch,
            said if proof else f"{said}; {NOT_PROOF}",
            tuple(runs),
            patched,
            verdict=Verdict.VERIFIED if proof else Verdict.PASSES,
            tests=tests,
        )

    def _moves_the_judge(
        self, patched: tuple[tuple[str, str | None], ...], *, after_runs: bool = False
    ) -> str:
        """Why the gates of step 1 (module docstring) that read the failed commit's text refuse
        the patch ("" when none does); once its runs passed, only :func:`import_time_problem`."""
        for path, after in patched:
            before = self._before(path)
            if after_runs:
                moved = import_time_problem(path, before, after)
            else:
                moved = settings_change(path, before, after, linted=self._lints)
                moved = moved or cookie_problem(path, before, after)
                moved = moved or (settings_problem(self._seam, (path,)) if self._seam else "")
            if moved:
                return moved
        return ""

    def _before(self, path: str) -> str | None:
        """The text of ``path`` in the checkout, as the failed commit holds it (None: none)."""
        return text_of(self.sandbox.checkout, path)

    def _judged_run(
        self,
        space: Workspace,
        script: str,
        attempt: str,
        patched: tuple[str, ...],
        changed: PatchedLines,
    ) -> JudgedRun:
        """Run the failing command, always watched (a script can hide its pytest from the log).
        With no pytest in the run, its exit code counts only for a known linter or formatter:
        any other command's is the word of the code it runs (``os._exit(0)`` as unittest
        imports ``calc``)."""
        folder = space.root / "tests"  # every judged run's, in its environment and its options
        folder.mkdir()
        lent = self.sandbox.environment(space, borrowed=dict(self.failing.env))  # scrubbed
        options = self._watch.environment(
            lent,
            self.sandbox.evidence_variable,
            self._failed_test_names,
            self._failing_test_files,
            changed,
            folder=folder,
        )
        outcome = self.script(space, script, extra_env=options, shared=(folder,), evidence=True)
        folder = folder.rename(space.root / f"tests-{attempt}")  # the next run's is fresh
        if self._seam is not None:
            if not outcome.passed:
                return JudgedRun(outcome)
            unproven = why_failing_tests_do_not_pass(
                self._seam,
                self.sandbox,
                space,
                self._failed_test_names,
                patched=patched,
                timeout=min(RUN_TIMEOUT, self.left()),
                changed=changed,
            )
            return JudgedRun(outcome, unproven)
        seen = self._watch.seen(
            outcome.check_records,
            folder,
            space.repo,
            patched=patched,
            failed_tests=self._failed_test_names,
            test_files=self._failing_test_files,
            script=script,
            installed=self.sandbox.installed,
        )
        if seen.guarded or (not self._needs_evidence and not seen.loaded):
            return JudgedRun(outcome, self._unwatched, seen.guarded)
        return JudgedRun(outcome, seen.problem)

    def apply(self, space: Workspace, patch: Patch) -> RunOutcome | None:
        """Apply ``patch`` in ``space``; the failed run's outcome, or None."""
        if self.cannot_run:
            return RunOutcome(126, self.cannot_run)
        failed = self.applied(space, patch.diff)
        return None if failed is None else self._outcome(failed)

    def script(
        self,
        space: Workspace,
        script: str,
        *,
        extra_env: dict[str, str] | None = None,
        shared: tuple[Path, ...] = (),
        evidence: bool = False,
    ) -> RunOutcome:
        """Run ``script`` in ``space``; with ``evidence``, the in-run check's stream comes back in
        the outcome (:attr:`RunOutcome.check_records`)."""
        if self.cannot_run:
            return RunOutcome(126, self.cannot_run)
        script_file = space.scratch("step", ".sh")
        script_file.write_text(script + "\n", encoding="utf-8")
        argv = shell_argv(self.failing.shell, script_file)
        if argv is None:
            return RunOutcome(126, f"the step's shell is not one we can run: {self.failing.shell}")
        left = self.left()
        if left <= 0:
            return RunOutcome(124, "the fix step's time budget is spent", timed_out=True)
        timeout = min(RUN_TIMEOUT, left)
        result = self.sandbox.run(
            argv,
            space,
            timeout=timeout,
            borrowed_env=dict(self.failing.env),
            extra_env=extra_env,
            shared=shared,
            evidence=evidence,
        )
        return self._outcome(result)

    def _outcome(self, result: RunResult) -> RunOutcome:
        output = self._redact(result.output)[-OUTPUT_CHARS:]
        if result.killed_for or result.sandbox_failure:
            output += f"\n[cicd-agent: the run {result.describe()}]"
        code = result.returncode if result.returncode >= 0 else 128 - result.returncode
        return RunOutcome(code, output, timed_out=result.timed_out, check_records=result.evidence)


def _read_back(space: Workspace, paths: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    """The patched files' text in the copy, read right after the patch applied (before any run
    could rewrite them)."""
    return tuple((path, text_of(space.repo, path, lenient=False)) for path in paths)


def _ended(outcome: RunOutcome) -> str:
    if outcome.timed_out:
        return "timed out"
    return f"exit {outcome.exit_code}"
