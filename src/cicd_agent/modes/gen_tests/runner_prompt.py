"""gen-tests' prompts for a runner other than pytest (jest, vitest, ``go test``): what the model
sees for one changed file's uncovered lines, where the repository keeps such tests, and the
schema of the model's answer.

The layout is the repository's own: the test file of the changed file's folder nearest to it
(:meth:`~cicd_agent.verify.runners.base.TestRunner.tests_of`'s naming) says whether tests sit
beside the code or in ``__tests__``/``test``/``tests`` and whether they are ``.test`` or
``.spec`` files; Go's tests are the package's own ``_test.go`` files. That file is shown for
style (``describe``/``it``, a table of cases), and the style sentence says what to follow.

Everything the model writes is hostile: the path it proposes is only a proposal, confined by the
gate's first stage (:mod:`.runner_gate`); the file's text runs only in the sandbox. Everything
taken from the repository or a test run reaches the prompt redacted, trimmed and fenced.
"""

from __future__ import annotations

import os
import re
import stat
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.analysis.redact import Redactor
from cicd_agent.local.checkout_files import CheckoutFileError, read_text
from cicd_agent.model.tokens import TokenCounter
from cicd_agent.modes.gen_tests.prompt import unfenced
from cicd_agent.modes.gen_tests.runner_gaps import RunnerGaps
from cicd_agent.modes.gen_tests.runner_gate import TEST_FOLDERS, Candidate
from cicd_agent.prompts import UNTRUSTED_RULES, fence, template
from cicd_agent.verify.runners.base import TestRunner, nearest

_SHARES = {"source": 0.4, "tests": 0.25, "previous": 0.15, "reason": 0.05}
_NAMES = 20
"""Test file names tried for a free one (``.generated``, ``.generated2``…)."""
_TABLE = re.compile(r"\[\]struct\s*\{")
_GO_STYLE = (
    "Write Go: the file starts with `package {package}` (the package under test, so its "
    "unexported names are in reach) and imports only `testing` and the standard library. Name "
    "each test `TestXxx(t *testing.T)` and fail with `t.Errorf` or `t.Fatalf` naming the input, "
    "the value got and the value wanted.{table}"
)
_JS_STYLE = (
    "Write the tests in the language and module style (`require` or `import`) of the existing "
    "tests and of the changed file: group them with `describe`, write each case as `it(...)` "
    "with `expect`.{imports}"
)


class RunnerTest(BaseModel):
    """The model's answer: one new test file and where it goes."""

    model_config = ConfigDict(extra="forbid")

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


def job(gaps: RunnerGaps, source: str, pristine: Path, taken: Callable[[str], bool]) -> RunnerJob:
    """The job for ``source`` (a changed file with uncovered lines), read in the sandbox's
    untouched copy; a CheckoutFileError when it cannot be read."""
    runner = gaps.change.runner
    text = read_text(pristine, source)
    tests = _tests_near(runner, source, pristine)
    related = next(iter(runner.tests_of(source, tests)), "") or next(iter(tests), "")
    related_text = ""
    if related:
        try:
            related_text = read_text(pristine, related)
        except CheckoutFileError:
            related = ""
    path = _test_path(runner, source, related, taken)
    layout = f", as `{related}` shows" if related else ""
    missing = gaps.uncovered().get(source, frozenset())
    return RunnerJob(gaps, source, text, missing, path, layout, related, related_text)


def _tests_near(runner: TestRunner, source: str, root: Path) -> tuple[str, ...]:
    """The runner's test files in ``source``'s folder and its test folders (regular files, no
    link followed), nearest first."""
    folder = PurePosixPath(source).parent
    found = []
    for sub in TEST_FOLDERS:
        where = folder / sub
        try:
            entries = list(os.scandir(root / where))
        except OSError:  # missing, a link, not a folder
            continue
        for entry in entries:
            name = (where / entry.name).as_posix()
            if (stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode)
                    and name.endswith(runner.suffixes)
                    and runner.tests_of(name, (name,)) == (name,)):  # fmt: skip
                found.append(name)
    return nearest(sorted(found), source)


def _test_path(runner: TestRunner, source: str, related: str, taken: Callable[[str], bool]) -> str:
    """A free test file name for ``source`` in the repository's layout: Go's ``_test.go`` beside
    it; a JavaScript test beside it or in the folder ``related`` sits in, ``.spec`` where that
    one is (``.test`` otherwise: vitest finds no other name by default)."""
    name = PurePosixPath(source)
    stem, suffix = name.name.removesuffix(name.suffix), name.suffix
    folder = name.parent
    if related and PurePosixPath(related).parent.name in TEST_FOLDERS[1:]:
        folder = folder / PurePosixPath(related).parent.name
    kind = ".spec" if ".spec." in PurePosixPath(related).name else ".test"
    for number in range(1, _NAMES + 1):
        mark = "generated" if number == 1 else f"generated{number}"
        file = f"{stem}_{mark}_test.go" if suffix == ".go" else f"{stem}.{mark}{kind}{suffix}"
        path = (folder / file).as_posix()
        if runner.tests_of(path, (path,)) == (path,) and not taken(path):
            return path
    return ""


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
            style=_style(work),
            untrusted_rules=UNTRUSTED_RULES,
        )

    def user(self, work: RunnerJob, feedback: RunnerFeedback | None) -> str:
        lines = work.text.splitlines()
        marked = "\n".join(f"{'>>' if number in work.missing else '  '} {number:>4} | {line}"
                           for number, line in enumerate(lines, 1))  # fmt: skip
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


def _style(work: RunnerJob) -> str:
    """The style sentence for the runner: Go's package and tables, JavaScript's describe/it."""
    runner = work.gaps.change.runner.name
    if work.source.endswith(".go"):
        package = re.search(r"^package\s+(\w+)", work.text, re.M)
        table = (" The package's tests are table-driven (a slice of cases looped over with "
                 "`t.Run`): write yours the same way." if _TABLE.search(work.related_text)
                 else "")  # fmt: skip
        return _GO_STYLE.format(package=package.group(1) if package else "…", table=table)
    imports = (' Import `describe`, `it` and `expect` from "vitest" unless the existing tests '
               "use them as globals." if runner == "vitest" else "")  # fmt: skip
    return _JS_STYLE.format(imports=imports)
