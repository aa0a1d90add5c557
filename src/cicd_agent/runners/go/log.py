"""go test: ``=== RUN TestX`` opens a test's output, ``--- FAIL: TestX`` its verdict, whose
indented ``x_test.go:12: message`` lines follow; the package's ``FAIL``/``ok`` line closes.
``# pkg`` opens a package's build errors (the compiler's, vet's), printed only when it failed
to build: a failed test's report as much as a ``--- FAIL``.
A test's ``t.Log`` line prints as its ``t.Errorf`` line does: its message is the first that
reads like a failure (``failed_words``), else its last; with the checkout, the source line it
names decides (a ``t.Errorf(`` call over a ``t.Logf(`` one).
``go test -v``'s ``=== RUN TestX`` and ``--- PASS: TestX`` enclose a passing test's own lines.
``go test -json``'s events are read as the lines their ``Output`` holds (:func:`event_output`)."""

import re

from cicd_agent.actions.bounded_json import JsonRefused, load
from cicd_agent.runners.go.names import parents, step_ids
from cicd_agent.runners.go.paths import go_places
from cicd_agent.runners.shape import FlakySigns, RunnerShape, Subtests, beside


def go_event(line: str) -> dict[str, object] | None:
    """One ``go test -json`` event, or None for any other line. A line of the stream can be a
    test's own (written to go's output), so it is read by the project's one JSON reader: a
    lone surrogate is U+FFFD, never a string no codec encodes."""
    try:
        event = load(line)
    except JsonRefused:
        return None
    return event if isinstance(event, dict) else None


def event_output(text: str) -> str | None:
    """The line a ``go test -json`` event carries (its ``Output``), as ``go test`` prints it;
    None for a line that is no such event."""
    if not text.startswith('{"') or '"Output":"' not in text:
        return None
    output = (go_event(text) or {}).get("Output")
    return output.rstrip("\n") if isinstance(output, str) else None


SHAPE = RunnerShape(
    "go test",
    opens=re.compile(
        r"^\s*(?:=== (?:RUN|CONT|NAME|PAUSE)|--- (?:FAIL|PASS|SKIP):) +\S|^# \S+(?: \[\S+\])?$"
    ),
    ends=re.compile(r"^(?:FAIL|ok|PASS)(?:\s|$)"),
    verdict=re.compile(r"^\s*--- FAIL: (?P<name>\S+)"),
    message=re.compile(r"^\s+(?P<msg>(?P<file>\S+\.go):(?P<line>\d{1,12}): .*\S)\s*$"),
    reports=re.compile(r"^# \S+(?: \[\S+\])?$"),
    failed_words=re.compile(
        r"(?i)\b(?:got|want(?:ed)?|expect(?:ed|ing)?|mismatch(?:ed)?|unexpected|err(?:or)?s?"
        r"|fail(?:ed|s|ure)?|should|must|incorrect|wrong|invalid|bad|differ(?:s|ent)?|diff"
        r"|missing|not equal)\b|!=|≠"
    ),
    log_call=re.compile(r"\.Logf?\("),
    fail_call=re.compile(r"\.(?:Errorf?|Fatalf?|Fail(?:Now)?)\("),
    headings=("go.test",),
    details=("go.test_line", "go.panic"),
    signatures=beside(__name__),
    places=go_places,
    started=re.compile(r"^\s*=== (?:RUN|CONT|NAME)\s+(?P<name>\S+)"),
    passed=re.compile(r"^\s*--- (?:PASS|SKIP): (?P<name>\S+)"),
    events=event_output,
    flaky=FlakySigns(
        reruns=re.compile(r"^=== RERUN|^DONE \d+ runs\b"),  # gotestsum --rerun-fails
        timed_out=re.compile(r"panic: test timed out after"),
        report_line=re.compile(r"^--- FAIL"),
        failed_test=(re.compile(r"^\s*--- FAIL: (?P<name>\S+)"),),
    ),
    subtests=Subtests(joins="/", indent=4),  # ``--- FAIL: TestX`` over ``    --- FAIL: TestX/case``
    step_ids=step_ids,
    step_parents=parents,
)
