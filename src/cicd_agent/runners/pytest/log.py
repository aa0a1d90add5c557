"""pytest: ``____ test_x ____`` opens a test's report (its ``E`` lines, captured output); a
``==== … ====`` section line closes it; the short summary's ``FAILED id - message`` lines quote
each test's message."""

import re

from cicd_agent.runners.shape import FlakySigns, RunnerShape, beside

SHAPE = RunnerShape(
    "pytest",
    opens=re.compile(r"^_{3,} .+ _{3,}$|^(?:FAILED|ERROR) \S+::\S+|^\S+\.py::\S+ (?:FAILED|ERROR)"),
    ends=re.compile(r"^={3,} .+ ={3,}$"),
    reports=re.compile(r"^_{3,} (?P<name>.+?) _{3,}$"),
    quoted=re.compile(r"^(?:\s|>)"),
    output=re.compile(r"^-{3,} Captured (?:stdout|stderr|log) \w+ -{3,}$"),
    asserts=re.compile(r"^E\s+(?:assert\b|AssertionError\b)"),
    verdict=re.compile(
        r"^(?:FAILED|ERROR) (?P<name>\S+::.+?)(?: - .*)?$"
        r"|^(?P<name2>\S+\.py::\S+) (?:FAILED|ERROR)\b"
    ),
    details=("pytest.E",),
    signatures=beside(__name__),
    flaky=FlakySigns(
        reruns=re.compile(
            r"(?<!\S)(?=\S*::\S)\S++ RERUN\b|^RERUN \S+::|\b\d+ rerun\b"  # pytest-rerunfailures
            r"|===Flaky Test Report===|failed \(\d+ runs? remaining out of \d+\)"  # flaky
            r"|passed \d+ out of the required \d+"
        ),
        timed_out=re.compile(
            r"Failed: Timeout \(?>|\+{5,} Timeout \+{5,}"
        ),  # the pytest timeout plugin
        report_line=re.compile(r"^(?:>\s|E\s|FAILED |ERROR )"),
        failed_test=(
            re.compile(r"^_{3,} (?P<name>\S.*?) _{3,}$"),  # its failure section
            re.compile(r"^(?:FAILED|ERROR) (?>\S+::)(?P<name>\S+)(?: - .*)?$"),  # its summary
        ),
        clock=re.compile(r"^=+ .* in \d+(?:\.\d+)?s\b"),  # its closing line
    ),
)
