"""Asking for candidate tests, segment by segment, and feeding the gate's verdict back.

For each segment (most missing first) the fast model gets, at temperature 0: the segment with
line numbers and the missing lines marked, the module's imports, and the nearest existing test
file for style. It answers with a complete pytest module. A rejected candidate is re-prompted
with the stage it failed and the trimmed error (or the lines it still missed), up to 3 attempts
per segment. Before every call the run's token and cost budget is checked; when it is spent, or
the model fails, generation stops and everything accepted so far is kept.

Everything taken from the repository or from a test run is untrusted: redacted, trimmed to a
token budget, and fenced as data.
"""

from __future__ import annotations

import ast
import string
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.redact import Redactor
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.coverage_gaps import Arc, CoverageReport
from cicd_agent.modes.gen_tests.gate import FUNNEL_LABELS, Gate, Verdict
from cicd_agent.modes.gen_tests.patch import AcceptedTest, choose_test_path, with_header
from cicd_agent.modes.gen_tests.segments import Segment, module_name
from cicd_agent.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.runner.errors import ModelError
from cicd_agent.runner.markdown import neutralise

ATTEMPTS = 3
ANSWER_RESERVE = 4_000
"""Tokens set aside for each answer when checking the run's budget before a call."""

_SHARES = {"segment": 0.35, "tests": 0.2, "imports": 0.05, "previous": 0.15, "output": 0.1}
_RATIONALE_CHARS = 300


class GeneratedTest(BaseModel):
    """The model's answer: one complete pytest module."""

    model_config = ConfigDict(extra="forbid")

    test_module: str = Field(
        description="The complete source of one pytest module: imports, helpers and tests."
    )
    rationale: str = Field(
        description="One or two sentences: which lines and branches the tests run and what "
        "they check."
    )


Ask = Callable[[str, str], GeneratedTest]
"""(system prompt, user prompt) → answer; raises ModelError."""
Spent = Callable[[], tuple[int, float]]
"""Tokens and USD spent by the run so far."""


@dataclass(frozen=True)
class Budget:
    """The most one run may spend on generation."""

    tokens: int
    cost_usd: float

    def refuses(self, spent: tuple[int, float], next_tokens: int) -> str | None:
        """Why the next call would go over budget, or None."""
        tokens, cost = spent
        if tokens + next_tokens > self.tokens:
            return (
                f"the token budget of {self.tokens:,} was reached ({tokens:,} used, the next "
                f"call needs about {next_tokens:,})"
            )
        if cost >= self.cost_usd:
            return f"the cost budget of ${self.cost_usd:.2f} was reached (${cost:.4f} spent)"
        return None


@dataclass(frozen=True)
class Job:
    """One segment to cover, with what the prompt shows about it."""

    segment: Segment
    file_text: str
    related: tuple[str, ...]
    related_text: str


@dataclass(frozen=True)
class Attempt:
    """One candidate and where the gate stopped it."""

    segment: str
    number: int
    test_path: str
    verdict: Verdict
    rationale: str
    seconds: float


@dataclass
class Outcome:
    """Everything generation produced, accepted or not."""

    attempts: list[Attempt] = field(default_factory=list)
    accepted: list[AcceptedTest] = field(default_factory=list)
    not_tried: dict[str, str] = field(default_factory=dict)
    stop_reason: str | None = None
    # Coverage of the changed files with every accepted test together (measured in ``ask``,
    # so ``decide`` runs nothing).
    coverage_after: CoverageReport | None = None


@dataclass(frozen=True)
class _Feedback:
    previous: str
    stage: str
    reason: str
    detail: str


class Prompts:
    """Builds the two messages for one attempt, within a token budget."""

    def __init__(
        self, redactor: Redactor, counter: TokenCounter, budget: int, run_command: Sequence[str]
    ) -> None:
        self.redactor = redactor
        self.counter = counter
        self.budget = budget
        self.run_command = " ".join(run_command)

    def _fit(self, label: str, text: str, share: str) -> str:
        limit = max(200, int(self.budget * _SHARES[share]))
        return fence(label, self.counter.truncate(self.redactor.redact(text), limit))

    def system(self) -> str:
        return string.Template(template("gen_tests_system")).substitute(
            untrusted_rules=UNTRUSTED_RULES
        )

    def user(self, job: Job, segment: Segment, test_path: str, feedback: _Feedback | None) -> str:
        lines = job.file_text.splitlines()
        tests = (
            f"How the existing tests in `{job.related[0]}` are written (follow their imports "
            f"and style):\n\n{self._fit(job.related[0], job.related_text, 'tests')}"
            if job.related and job.related_text
            else "There are no existing tests for this module yet."
        )
        return string.Template(template("gen_tests_user")).substitute(
            qualname=segment.qualname,
            path=segment.path,
            start=segment.start,
            end=segment.end,
            test_path=test_path,
            run_command=f"{self.run_command} {test_path}",
            module=module_name(segment.path),
            arcs=_arcs_sentence(segment.missing_arcs),
            segment=self._fit(
                f"{segment.path} lines {segment.start}-{segment.end}",
                numbered(lines, segment),
                "segment",
            ),
            imports=self._fit(f"{segment.path} imports", _imports(job.file_text), "imports"),
            tests=tests,
            feedback=self._feedback(feedback),
        )

    def _feedback(self, feedback: _Feedback | None) -> str:
        if feedback is None:
            return ""
        return (
            f"\nYour previous module was rejected at the gate's `{feedback.stage}` check: "
            f"{self.redactor.redact(feedback.reason)}\n\n"
            f"{self._fit('previous module', feedback.previous, 'previous')}\n\n"
            f"What the check reported:\n\n{self._fit('gate output', feedback.detail, 'output')}\n\n"
            "Fix this and answer with the complete corrected module.\n"
        )


def module_text(answer: GeneratedTest) -> str:
    """The answer's module, unwrapped when the model fenced it as Markdown despite the schema."""
    text = answer.test_module.strip()
    if text.startswith("```") and text.endswith("```") and "\n" in text:
        text = text[text.index("\n") + 1 : -3]
    return text.strip("\n") + "\n"


def numbered(lines: Sequence[str], segment: Segment) -> str:
    """The segment (and its context ranges) with line numbers; missing lines marked ``>>``."""
    marked = segment.missing_lines
    blocks = []
    for start, end in (*segment.context, (segment.start, segment.end)):
        blocks.append(
            "\n".join(
                f"{'>>' if number in marked else '  '} {number:>4} | {lines[number - 1]}"
                for number in range(start, min(end, len(lines)) + 1)
            )
        )
    return "\n   ...\n".join(blocks)


def _arcs_sentence(arcs: frozenset[Arc]) -> str:
    if not arcs:
        return ""
    shown = ", ".join(f"line {a} → {'exit' if b < 0 else f'line {b}'}" for a, b in sorted(arcs))
    return f" Branches never taken: {shown}."


def _imports(text: str) -> str:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ""
    found = [
        ast.get_source_segment(text, node) or ""
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return "\n".join(found) or "(none)"


class Generator:
    """The attempt loop: ask, gate, re-prompt; keep what passes."""

    def __init__(
        self,
        *,
        gate: Gate,
        ask: Ask,
        spent: Spent,
        budget: Budget,
        prompts: Prompts,
        test_dir: str | None,
        file_exists: Callable[[str], bool],
        add_file: Callable[[str, str], None],
        attempts: int = ATTEMPTS,
        report: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.gate = gate
        self.ask = ask
        self.spent = spent
        self.budget = budget
        self.prompts = prompts
        self.test_dir = test_dir
        self.file_exists = file_exists
        self.add_file = add_file
        self.attempts = attempts
        self.report = report
        """Told how far the loop got, a line per judged candidate (the run's progress)."""
        self._place = ""

    def run(
        self,
        jobs: Sequence[Job],
        missing_lines: MutableMapping[str, frozenset[int]],
        missing_arcs: MutableMapping[str, frozenset[Arc]],
    ) -> Outcome:
        """Work through ``jobs`` in order; ``missing_*`` shrink as tests are accepted."""
        outcome = Outcome()
        system = self.prompts.system()
        for index, job in enumerate(jobs, 1):
            self._place = f"segment {index} of {len(jobs)}"
            key = job.segment.key
            if outcome.stop_reason:
                outcome.not_tried[key] = f"not tried: {outcome.stop_reason}"
                continue
            path = job.segment.path
            segment = job.segment.narrowed(missing_lines.get(path, ()), missing_arcs.get(path, ()))
            if not segment.weight:
                outcome.not_tried[key] = "covered by a test accepted for another segment"
                continue
            self._segment(
                job,
                segment,
                system,
                outcome,
                missing_lines=missing_lines,
                missing_arcs=missing_arcs,
            )
        return outcome

    def _taken(self, outcome: Outcome) -> Callable[[str], bool]:
        accepted = {test.path for test in outcome.accepted}
        return lambda path: path in accepted or self.file_exists(path)

    def _segment(
        self,
        job: Job,
        segment: Segment,
        system: str,
        outcome: Outcome,
        *,
        missing_lines: MutableMapping[str, frozenset[int]],
        missing_arcs: MutableMapping[str, frozenset[Arc]],
    ) -> None:
        feedback: _Feedback | None = None
        for number in range(1, self.attempts + 1):
            test_path = choose_test_path(
                segment.path, self.test_dir, job.related, self._taken(outcome)
            )
            if test_path is None:
                outcome.not_tried[segment.key] = (
                    "not tried: no new test file name is free in its folder (is the folder "
                    "a symbolic link? links are never written through)"
                )
                return
            user = self.prompts.user(job, segment, test_path, feedback)
            needed = self.prompts.counter.count(system + user) + ANSWER_RESERVE
            refusal = self.budget.refuses(self.spent(), needed)
            if refusal:
                outcome.stop_reason = refusal
                outcome.not_tried.setdefault(segment.key, f"not tried: {refusal}")
                return
            try:
                answer = self.ask(system, user)
            except ModelError as exc:
                outcome.stop_reason = f"the model failed ({exc})"
                outcome.not_tried.setdefault(segment.key, f"stopped: {outcome.stop_reason}")
                return
            source = module_text(answer)
            started = time.monotonic()
            verdict = self.gate.evaluate(
                source, segment, test_path, job.related, f"{segment.qualname}-{number}"
            )
            outcome.attempts.append(
                Attempt(
                    segment.key,
                    number,
                    test_path,
                    verdict,
                    neutralise(self.prompts.redactor.redact(answer.rationale)[:_RATIONALE_CHARS]),
                    time.monotonic() - started,
                )
            )
            self.report(
                f"{self._place}, attempt {number}: "
                + ("accepted" if verdict.accepted or verdict.stopped_at is None
                   else f"rejected at the {FUNNEL_LABELS[verdict.stopped_at.value]} stage")
                + f" ({time.monotonic() - started:.1f}s)"
            )
            if verdict.accepted:
                self._accept(source, segment, test_path, verdict, outcome)
                path = segment.path
                missing_lines[path] = missing_lines.get(path, frozenset()) - verdict.executed_lines
                missing_arcs[path] = missing_arcs.get(path, frozenset()) - verdict.executed_arcs
                return
            assert verdict.stopped_at is not None
            feedback = _Feedback(source, verdict.stopped_at.value, verdict.reason, verdict.feedback)

    def _accept(
        self,
        source: str,
        segment: Segment,
        test_path: str,
        verdict: Verdict,
        outcome: Outcome,
    ) -> None:
        text = with_header(source, segment, verdict.gained_lines, verdict.gained_arcs)
        self.add_file(test_path, text)
        outcome.accepted.append(
            AcceptedTest(
                path=test_path,
                target=segment.key,
                gained_lines=tuple(sorted(verdict.gained_lines)),
                gained_arcs=tuple(sorted(verdict.gained_arcs)),
                text=text,
            )
        )
