"""cargo test and nextest: ``---- name stdout ----`` opens a test's captured output and panic
message; ``failures:`` lists and ``test result:`` close. nextest: ``--- STDOUT: name ---``.
A doctest's name holds spaces: ``src/lib.rs - Prefix::upper (line 328)``."""

import re

from cicd_agent.runners.cargo.step import step_ids, step_parents
from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

_NAME = r"\S+(?: - [^()]*\(line \d{1,7}\)(?: - compile fail)?)?"
"""A test's name: a path of a unit test, or a doctest's file, item and line."""

SHAPE = RunnerShape(
    "cargo test",
    opens=re.compile(rf"^---- {_NAME} std(?:out|err) ----$|^\s*--- STD(?:OUT|ERR): +\S"),
    ends=re.compile(r"^failures:$|^test result: |^\s*Summary \[|^\s*Cancelling due to"),
    verdict=re.compile(rf"^test (?P<name>{_NAME}) (?:- should panic )?\.\.\. FAILED$"),
    message=re.compile(r"^thread '(?P<test>[^']+)'(?: \(\d+\))? (?P<msg>panicked at \S+:)$"),
    reports=re.compile(rf"^---- {_NAME} std(?:out|err) ----$|^\s*--- STD(?:OUT|ERR): +\S"),
    headings=("cargo.test",),
    details=("rust.panic",),
    signatures=beside(__name__),
    flaky=FlakySigns(
        reruns=re.compile(r"^\s*(?:TRY \d+ (?:PASS|FAIL)|FLAKY \d+/\d+)\b"),  # nextest
        failed_test=(re.compile(r"^---- (?P<name>\S+) stdout ----$"),),
    ),
    step_ids=step_ids,
    step_parents=step_parents,
)
