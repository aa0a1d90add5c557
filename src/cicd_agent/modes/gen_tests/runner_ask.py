"""gen-tests' writer for the runners other than pytest (jest, vitest, ``go test``): a test file
per changed file with uncovered lines, each judged by the runner gate, then the runner's suite
measured once more with every accepted file.

For each runner collect measured (:mod:`.runner_gaps`), its changed files go most uncovered
lines first; for each, the attempt loop (:mod:`.attempts`, Python's too) asks up to
``attempts`` candidates of :class:`FileWriter` (:mod:`.runner_prompt` builds the prompt in the
repository's layout and style, which the runner's module says), each judged by
:func:`.runner_gate.judge` in a fresh sandbox copy; a refused one is re-prompted with the stage
and the reason. A kept file is
delivered with a header naming what it covers; after the loop the whole suite runs with every
kept file in place, so the coverage after is measured, not added up. Before every call the
run's budget is asked (``refuses``); when it is spent, or the model fails, the loop stops and
keeps what it accepted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cicd_agent.actions.markdown import neutralise
from cicd_agent.analysis.file_names import folded
from cicd_agent.local.checkout_files import CheckoutFileError, create_file, lexists
from cicd_agent.modes.gen_tests.arguments import SUITE_TIMEOUT
from cicd_agent.modes.gen_tests.attempts import Judged, attempt
from cicd_agent.modes.gen_tests.patch import AcceptedTest, describe_gain
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import RERUNS, RunnerVerdict, judge
from cicd_agent.modes.gen_tests.runner_prompt import (
    RunnerFeedback,
    RunnerJob,
    RunnerPrompts,
    RunnerTest,
    job,
)
from cicd_agent.runners.base import Layout, Selection
from cicd_agent.sandbox.run import Sandbox
from cicd_agent.sandbox.workspace import remove_tree

_RATIONALE_CHARS = 300
_TEXT_CHARS = 8_000
"""The most of a candidate's file a possible bug shows."""


@dataclass(frozen=True)
class RunnerAttempt:
    """One candidate for a changed file and the gate's word on it."""

    source: str
    number: int
    verdict: RunnerVerdict
    rationale: str
    """What the model said its tests check (redacted, neutralised)."""
    text: str
    """The candidate's file (model-written: shown only in a code block, for a possible bug)."""
    seconds: float


@dataclass(frozen=True)
class RunnerOpinion:
    """One runner's candidates, the files it kept, and its suite measured with them."""

    before: RunnerGaps
    attempts: tuple[RunnerAttempt, ...]
    accepted: tuple[AcceptedTest, ...]
    after: RunnerGaps | None
    """The suite run again with every accepted file (None: none was accepted)."""


@dataclass(kw_only=True)
class RunnerWriter:
    """Each runner's changed files through the attempt loop, and its suite measured again."""

    sandbox: Sandbox
    ask: Callable[[str, str], RunnerTest]
    """(system prompt, user prompt) → answer; raises ModelError."""
    refuses: Callable[[int], str | None]
    """Why a call whose prompt holds this many tokens would go over the run's budget, or None."""
    prompts: RunnerPrompts
    attempts: int
    timeout: float
    report: Callable[[str], None]

    def run(self, found: Sequence[RunnerGaps]) -> tuple[list[RunnerOpinion], str | None]:
        """Each runner's opinion, and why generation stopped early (None: it did not)."""
        opinions: list[RunnerOpinion] = []
        stop: str | None = None
        for gaps in found:
            uncovered = gaps.targets()
            if not uncovered or stop:
                continue
            attempts: list[RunnerAttempt] = []
            accepted: list[AcceptedTest] = []
            sources = sorted(uncovered, key=lambda path: (-len(uncovered[path]), path))
            layout = gaps.change.writes.layout(self.sandbox.pristine)  # one walk
            for index, source in enumerate(sources, 1):
                place = f"{gaps.change.runner.name}, file {index} of {len(sources)}"
                stop = stop or self._file(gaps, source, place, attempts, accepted, layout=layout)
            after = self._after(gaps, accepted) if accepted else None
            opinions.append(RunnerOpinion(gaps, tuple(attempts), tuple(accepted), after))
        return opinions, stop

    def _file(
        self,
        gaps: RunnerGaps,
        source: str,
        place: str,
        attempts: list[RunnerAttempt],
        accepted: list[AcceptedTest],
        *,
        layout: Layout,
    ) -> str | None:
        """Up to ``attempts`` candidates for ``source``; why generation must stop, or None."""
        mine = {folded(test.path) for test in accepted}
        pristine = self.sandbox.pristine
        try:
            work = job(
                gaps,
                source,
                pristine,
                lambda path: folded(path) in mine or lexists(pristine, path),
                layout,
            )
        except CheckoutFileError:  # too large, or changed since: its gaps stand
            return None
        writer = FileWriter(self, work, self.prompts.system(work), mine, attempts, accepted, layout)
        stop = attempt(
            writer,
            place,
            ask=self.ask,
            refuses=self.refuses,
            counter=self.prompts.counter,
            attempts=self.attempts,
            report=self.report,
        )
        return stop.why if stop else None

    def _after(self, gaps: RunnerGaps, accepted: Sequence[AcceptedTest]) -> RunnerGaps:
        """The runner's whole suite, with every accepted file in place, measuring the change."""
        space = self.sandbox.workspace("runner after")
        try:
            for test in accepted:
                create_file(space.repo, test.path, test.text)
            cover = tuple(sorted(gaps.change.sources))
            report = gaps.change.runner.run(
                self.sandbox, space, Selection(cover=cover), timeout=SUITE_TIMEOUT
            )
        finally:
            remove_tree(space.root)
        return RunnerGaps(gaps.change, report, None)


@dataclass
class FileWriter:
    """A runner's side of the attempts at one changed file (:mod:`.attempts`): a test file
    where its runner's module says, judged by the runner gate in a fresh copy."""

    loop: RunnerWriter
    work: RunnerJob
    system: str
    mine: set[str]
    """The accepted files' names, folded: a candidate writing one of them is refused."""
    attempts: list[RunnerAttempt]
    accepted: list[AcceptedTest]
    layout: Layout
    """The existing tests of each file, walked once for the runner (the gate reads it too)."""
    feedback: RunnerFeedback | None = None

    def user(self) -> str:
        return self.loop.prompts.user(self.work, self.feedback)

    def judge(self, answer: RunnerTest, number: int) -> Judged:
        gaps, source = self.work.gaps, self.work.source
        candidate = answer.candidate()
        started = time.monotonic()
        verdict = (
            RunnerVerdict(candidate.path, "path", "a file another accepted test writes")
            if folded(candidate.path) in self.mine
            else judge(
                gaps,
                candidate,
                self.loop.sandbox,
                timeout=self.loop.timeout,
                seed=random.randrange(1, 2**31),  # noqa: S311 - a recorded order seed
                layout=self.layout,
            )
        )
        rationale = neutralise(
            self.loop.prompts.redactor.redact(answer.rationale)[:_RATIONALE_CHARS]
        )
        seconds = time.monotonic() - started
        self.attempts.append(
            RunnerAttempt(source, number, verdict, rationale, candidate.text[:_TEXT_CHARS], seconds)
        )
        if not verdict.kept:
            self.feedback = RunnerFeedback(candidate.text, verdict.stage, verdict.reason)
            return Judged(False, f"refused at the {verdict.stage} stage", seconds)
        lines = verdict.covered.get(source, frozenset())
        text = _with_header(candidate.text, source, lines, gaps.change.runner.name)
        self.accepted.append(
            AcceptedTest(
                path=candidate.path,
                target=source,
                gained_lines=tuple(sorted(lines)),
                gained_arcs=(),
                text=text,
            )
        )
        return Judged(True, "accepted", seconds)


def _with_header(text: str, source: str, lines: frozenset[int], runner: str) -> str:
    """The kept file with a header naming its target and what it newly covers (a ``//``
    comment: Go's and JavaScript's)."""
    header = [
        "// Generated by cicd-agent gen-tests; review before merging.",
        f"// Target: {source}; newly covered: {describe_gain(lines, ())}.",
        f"// Passed with {runner}: alone with the suite's tests, {RERUNS} more runs shuffled.",
        "",
    ]
    return "\n".join(header) + text.rstrip("\n") + "\n"
