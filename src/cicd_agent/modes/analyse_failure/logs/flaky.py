"""What one failed log can say about flakiness, and which tests failed in it.

One log cannot prove a test flaky (that needs another run: see ``history``), but some shapes
make it likely, and are what flaky-test tools look for first: a runner that re-ran a test
(pytest-rerunfailures' ``RERUN``, the ``flaky`` plugin, jest's ``retryTimes``, Playwright's
retries, Cypress attempts, surefire's ``Flakes:``, nextest's ``TRY``/``FLAKY``, rspec-retry,
gotestsum's re-runs), a failing assertion about elapsed time (``timing_bound``: a test that
missed a delay, back-off or latency bound, by how much when the log says), and a network time-out
inside a test. Each becomes one line of evidence quoting the log line that showed it.

``failed_tests`` reads the names of the failed tests from the verdict lines runners print, in
the form their own JUnit reports use where they differ (``path::name`` for pytest).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cicd_agent.modes.analyse_failure.logs.timing_bound import timing_miss

MAX_EVIDENCE = 5
MAX_QUOTE = 160

_RERUN = re.compile(
    r"::\S+ RERUN\b|^RERUN \S+::|\b\d+ rerun\b"  # pytest-rerunfailures
    r"|===Flaky Test Report===|failed \(\d+ runs? remaining out of \d+\)"  # flaky
    r"|passed \d+ out of the required \d+"
    r"|^\s*RETRY \d+\s*$|\bretryTimes\b"  # jest
    r"|\(retry #\d+\)|^\s*Retry #\d+|^\s*\d+ flaky$"  # Playwright
    r"|\(Attempt \d+ of \d+\)"  # Cypress
    r"|\bFlakes: [1-9]|^\[\w+\]\s+Run \d+: PASS\b"  # Maven surefire
    r"|^\s*(?:TRY \d+ (?:PASS|FAIL)|FLAKY \d+/\d+)\b"  # cargo-nextest
    r"|RSpec::Retry: \d+\w* Try"  # rspec-retry
    r"|^=== RERUN|^DONE \d+ runs\b"  # gotestsum --rerun-fails
)
_TIMING = re.compile(
    r"(?i)\b(?:assert|expect|should)\b.*\b(?:elapsed|duration|took|latency|runtime|time_?taken"
    r"|timing|seconds|millis)\w*\b.*(?:<|>|less|greater|below|above|within)"
    r"|\b(?:elapsed|duration|took|latency)\w*\s*(?:[<>]=?|was|of)\s*\d"
    r"|\bassert(?:Less|Greater)(?:Equal)?\(\s*(?:elapsed|duration|took|latency|runtime)"
    r"|DeadlineExceeded|Flaky: Hypothesis|\bshould (?:have )?timed? ?out\b"
    r"|\bexpected .* to (?:be )?(?:less|greater) than\b.*\bm?s\b"
)
_NETWORK = re.compile(
    r"\b(?:ReadTimeout|ConnectTimeout|ConnectTimeoutError|ReadTimeoutError|socket\.timeout"
    r"|TimeoutError|ConnectionError|ConnectionResetError|ConnectionRefusedError"
    r"|RemoteDisconnected|ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND"
    r"|SocketTimeoutException|ConnectException|UnknownHostException)\b"
    r"|Max retries exceeded with url|Temporary failure in name resolution|timed out"
    r"|Read timed out|connect(?:ion)? timed out|socket hang up|i/o timeout"
)
_TEST_TIMEOUT = re.compile(
    r"Exceeded timeout of \d+ ?ms|Test timed out in \d+ ?ms|test timed out after \d+ ?ms"
    r"|Failed: Timeout \(?>|\+{5,} Timeout \+{5,}|panic: test timed out after"
    r"|Timeout of \d+ ?ms exceeded"
)
_TEST_CONTEXT = re.compile(
    r"^(?:\s+self\.assert|>\s|E\s|FAILED |ERROR |\s*●|--- FAIL|\s*(?:✕|✖|×)|\[ERROR\]|\s+at )"
)

_TEST_NAMES = (
    re.compile(r"^(?:FAILED|ERROR) (?P<name>\S+::.+?)(?: - .*)?$"),  # pytest summary
    re.compile(r"^(?P<name>\S+\.py::\S+) (?:FAILED|ERROR)\b"),  # pytest -v progress
    re.compile(r"^\s*● (?P<name>(?!Test suite failed).+? › .*\S)\s*$"),  # jest
    re.compile(r"^ {2}● (?P<name>(?!Validation |Deprecation |Console|Test suite)\S(?:.*\S)?)\s*$"),
    re.compile(r"^\s*--- FAIL: (?P<name>\S+)"),  # go test
    re.compile(r"^test (?P<name>\S+) \.\.\. FAILED$"),  # cargo test
    re.compile(r"^(?:FAIL|ERROR): (?P<method>\w+) \((?P<cls>[\w.]+)\)"),  # unittest
    re.compile(r"^\s*not ok \d+ - (?P<name>\S(?:.*?\S)?)\s*(?:#.*)?$"),  # TAP (node --test)
    re.compile(r"^\s*FAIL\s+(?P<name>\S+ > .*\S)\s*$"),  # vitest
    re.compile(r"^\[ERROR\]\s+(?P<name>\w[\w.$]*[.#]\w+)(?::\d+)? "),  # surefire
    re.compile(r"^\s*✘ (?:\[fail\]: )?(?P<name>\S(?:.*\S)?)\s*$"),  # AVA (title and message)
)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def offline_evidence(lines: Iterable[str], *, test_failure: bool) -> tuple[str, ...]:
    """Why the failure in ``lines`` (a failed step's text) is likely flaky, if it is.

    Timing and network shapes count only in a test's failure (``test_failure``, and on a line
    of a test's report): a network error while installing is infrastructure, not a flaky test.
    """
    lines = list(lines)
    found: dict[str, str] = {}
    if test_failure:
        miss = timing_miss(lines)
        if miss is not None:
            found["timing"] = miss.reason()
    for text in lines:
        if "rerun" not in found and _RERUN.search(text):
            found["rerun"] = f"the test runner re-ran a test ({_quote(text)!r})"
        if not test_failure:
            continue
        if "time limit" not in found and _TEST_TIMEOUT.search(text):
            found["time limit"] = f"a test ran past its time limit ({_quote(text)!r})"
        if not _TEST_CONTEXT.search(text):
            continue
        if "timing" not in found and _TIMING.search(text):
            found["timing"] = f"the failing assertion depends on timing ({_quote(text)!r})"
        elif "network" not in found and _NETWORK.search(text):
            found["network"] = (
                f"a network call timed out or failed inside a test ({_quote(text)!r})"
            )
        if len(found) == 4:
            break
    return tuple(found.values())[:MAX_EVIDENCE]


def test_name(text: str) -> str | None:
    """The failed test a runner's verdict line names, or None."""
    for pattern in _TEST_NAMES:
        match = pattern.search(text)
        if match is None:
            continue
        groups = match.groupdict()
        if "method" in groups:
            cls, method = groups["cls"], groups["method"]
            return cls if cls.endswith("." + method) else f"{cls}.{method}"
        return groups["name"].strip()
    return None


def failed_tests(lines: Iterable[str]) -> tuple[str, ...]:
    """The distinct failed tests ``lines`` name, in the order they are named."""
    names = (test_name(text) for text in lines)
    return tuple(dict.fromkeys(name for name in names if name))
