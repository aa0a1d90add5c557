"""cargo test and nextest: ``---- name stdout ----`` opens a test's captured output and panic
message; ``failures:`` lists and ``test result:`` close. nextest: ``--- STDOUT: name ---``."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "cargo test",
    opens=re.compile(r"^---- \S+ std(?:out|err) ----$|^\s*--- STD(?:OUT|ERR): +\S"),
    ends=re.compile(r"^failures:$|^test result: |^\s*Summary \[|^\s*Cancelling due to"),
    verdict=re.compile(r"^test (?P<name>\S+) (?:- should panic )?\.\.\. FAILED$"),
    message=re.compile(r"^thread '(?P<test>[^']+)'(?: \(\d+\))? (?P<msg>panicked at \S+:)$"),
    reports=re.compile(r"^---- \S+ std(?:out|err) ----$|^\s*--- STD(?:OUT|ERR): +\S"),
    headings=("cargo.test",),
    details=("rust.panic",),
    signatures=beside(__name__),
    flaky=FlakySigns(reruns=re.compile(r"^\s*(?:TRY \d+ (?:PASS|FAIL)|FLAKY \d+/\d+)\b")),  # nextest
)
