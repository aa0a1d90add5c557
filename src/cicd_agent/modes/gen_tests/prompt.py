"""gen-tests' prompts: what the model sees for one segment, and the schema of its answer.

For each segment the fast model gets, at temperature 0: the segment with line numbers and the
missing lines marked, the module's imports, and the nearest existing test file for style; a
rejected candidate comes back with the stage it failed and the trimmed error (or the lines it
still missed). It answers with a complete pytest module (:class:`GeneratedTest`).

Everything taken from the repository or from a test run is untrusted: redacted, trimmed to a
token budget, and fenced as data.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.redact import Redactor
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.coverage_gaps import Arc
from cicd_agent.modes.gen_tests.python_imports import module_name
from cicd_agent.modes.gen_tests.segments import Segment

_SHARES = {"segment": 0.35, "tests": 0.2, "imports": 0.05, "previous": 0.15, "output": 0.1}


class GeneratedTest(BaseModel):
    """The model's answer: one complete pytest module."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    test_module: str = Field(
        description="The complete source of one pytest module: imports, helpers and tests."
    )
    rationale: str = Field(
        description="One or two sentences: which lines and branches the tests run and what "
        "they check."
    )


@dataclass(frozen=True)
class Job:
    """One segment to cover, with what the prompt shows about it."""

    segment: Segment
    file_text: str
    related: tuple[str, ...]
    related_text: str


@dataclass(frozen=True)
class Feedback:
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

    def user(self, job: Job, segment: Segment, test_path: str, feedback: Feedback | None) -> str:
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

    def _feedback(self, feedback: Feedback | None) -> str:
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
    return unfenced(answer.test_module)


def unfenced(text: str) -> str:
    """A file the model wrote, unwrapped when it fenced it as Markdown despite the schema."""
    text = text.strip()
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
