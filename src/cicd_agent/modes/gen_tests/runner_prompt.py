"""gen-tests' prompts for a runner other than pytest (jest, vitest, ``go test``): what the model
sees for one changed file's uncovered lines, where the repository keeps such tests, and the
schema of the model's answer.

The layout is the repository's own: the existing test of the changed file nearest to it (by
:meth:`~cicd_agent.runners.protocol.Runner.tests_of`'s naming in its folder, or for jest
and vitest one that imports it, a root ``tests/`` among them: :mod:`cicd_agent.runners.js.layout`),
else any test of its folder, is shown for style, and
the runner's module says where the new file goes and how it is written
(:meth:`~cicd_agent.runners.protocol.WritesTests.test_file_for` and ``test_style``: Go's
package and tables, jest's ``describe``/``it``), so a language is its runner's one module.

Everything the model writes is hostile: the path it proposes is only a proposal, confined by the
gate's first stage (:mod:`.runner_gate`); the file's text runs only in the sandbox. Everything
taken from the repository or a test run reaches the prompt redacted, trimmed and fenced.
"""

from __future__ import annotations

import os
import stat
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.file_names import has_control_characters
from cicd_agent.analysis.redact import Redactor
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.prompt import unfenced
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import CANDIDATE_FOLDERS, Candidate
from cicd_agent.runners import layout as test_layout
from cicd_agent.runners.base import Layout, nearest
from cicd_agent.runners.protocol import Runner

_SHARES = {"source": 0.4, "tests": 0.25, "previous": 0.15, "reason": 0.05}


class RunnerTest(BaseModel):
    """The model's answer: one new test file and where it goes."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    path: str = Field(description="Where the new test file goes, relative to the repository root.")
    test_file: str = Field(description="The complete text of the test file.")
    rationale: str = Field(
        description="One or two sentences: which lines the tests run and what they check."
    )

    def candidate(self) -> Candidate:
        """The answer as the gate takes it (the text unwrapped from a Markdown fence)."""
        return Candidate(self.path.strip(), unfenced(self.test_file))


@dataclass(frozen=True)
class RunnerJob:
    """One changed file's uncovered lines, with where its test goes and how tests look here."""

    gaps: RunnerGaps
    source: str
    text: str
    missing: frozenset[int]
    test_path: str
    layout: str
    """Why ``test_path`` is there: the existing test it follows ("" when there is none)."""
    related: str
    related_text: str


def job(
    gaps: RunnerGaps,
    source: str,
    pristine: Path,
    taken: Callable[[str], bool],
    existing: Layout,
) -> RunnerJob:
    """The job for ``source`` (a changed file with uncovered lines), read in the sandbox's
    untouched copy (``existing``: the tests of each file,
    :meth:`~cicd_agent.runners.protocol.WritesTests.layout`); a CheckoutFileError when it cannot be
    read."""
    runner = gaps.change.runner
    text = read_text(pristine, source)
    tests = _tests_near(runner, source, pristine)
    testing = runner.tests_of(source, tests)
    if homes := test_layout.tests_of(existing, source):  # jest/vitest: a root tests/ too
        testing = nearest((*testing, *homes), source)
    # a name that would add lines to the prompt is never shown (anywhere, since the layout)
    # a file no test reaches: the project's root test folder (css-select's test/), after any near
    rooted = test_layout.elsewhere(existing, source)
    related = next((t for t in (*testing, *tests, *rooted) if not has_control_characters(t)), "")
    related_text = ""
    if related:
        try:
            related_text = read_text(pristine, related)
        except CheckoutFileError:
            related = ""
    path = gaps.change.writes.test_file_for(source, related, taken)
    layout = f", as `{related}` shows" if related else ""
    missing = gaps.targets().get(source, frozenset())
    return RunnerJob(gaps, source, text, missing, path, layout, related, related_text)


def _tests_near(runner: Runner, source: str, root: Path) -> tuple[str, ...]:
    """The runner's test files in ``source``'s folder and its test folders (regular files, no
    link followed), nearest first."""
    folder = PurePosixPath(source).parent
    found = []
    for sub in CANDIDATE_FOLDERS:
        where = folder / sub
        try:
            entries = list(os.scandir(root / where))
        except OSError:  # missing, a link, not a folder
            continue
        for entry in entries:
            name = (where / entry.name).as_posix()
            if (
                stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode)
                and name.endswith(runner.suffixes)
                and runner.tests_of(name, (name,)) == (name,)
            ):
                found.append(name)
    return nearest(sorted(found), source)


@dataclass(frozen=True)
class RunnerFeedback:
    """Why the previous candidate was refused, for the next attempt."""

    previous: str
    stage: str
    reason: str


class RunnerPrompts:
    """Builds the two messages for one attempt at a runner's job, within a token budget."""

    def __init__(self, redactor: Redactor, counter: TokenCounter, budget: int) -> None:
        self.redactor = redactor
        self.counter = counter
        self.budget = budget

    def _fit(self, label: str, text: str, share: str) -> str:
        limit = max(200, int(self.budget * _SHARES[share]))
        return fence(label, self.counter.truncate(self.redactor.redact(text), limit))

    def system(self, work: RunnerJob) -> str:
        return string.Template(template("gen_tests_runner_system")).substitute(
            runner=work.gaps.change.runner.name,
            style=work.gaps.change.writes.test_style(work.text, work.related_text),
            untrusted_rules=UNTRUSTED_RULES,
        )

    def user(self, work: RunnerJob, feedback: RunnerFeedback | None) -> str:
        lines = work.text.splitlines()
        marked = "\n".join(
            f"{'>>' if number in work.missing else '  '} {number:>4} | {line}"
            for number, line in enumerate(lines, 1)
        )
        tests = (
            f"How the existing tests in `{work.related}` are written (follow their style):\n\n"
            f"{self._fit(work.related, work.related_text, 'tests')}"
            if work.related_text
            else "There are no existing tests beside this file yet."
        )
        return string.Template(template("gen_tests_runner_user")).substitute(
            runner=work.gaps.change.runner.name,
            path=work.source,
            test_path=work.test_path,
            layout=work.layout,
            source=self._fit(work.source, marked, "source"),
            tests=tests,
            feedback=self._feedback(feedback),
        )

    def _feedback(self, feedback: RunnerFeedback | None) -> str:
        if feedback is None:
            return ""
        return (
            f"\nYour previous file was refused at the gate's `{feedback.stage}` check: "
            f"{self._fit('why', feedback.reason, 'reason')}\n\n"
            f"{self._fit('previous file', feedback.previous, 'previous')}\n\n"
            "Fix this and answer with the complete corrected file.\n"
        )
