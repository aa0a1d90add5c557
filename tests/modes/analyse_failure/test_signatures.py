"""The signature table: every example matches its own signature, fast paths stay honest."""

from __future__ import annotations

import pytest

from cicd_agent.modes.analyse_failure.log_facts import FailureType
from cicd_agent.modes.analyse_failure.logs.signatures import SCAN_ANCHORS, SIGNATURES, Matcher

MATCHER = Matcher()
EXAMPLES = [(sig.name, example) for sig in SIGNATURES for example in sig.examples]


def test_every_signature_has_an_example() -> None:
    assert {name for name, _ in EXAMPLES} == {sig.name for sig in SIGNATURES}


@pytest.mark.parametrize(("name", "line"), EXAMPLES)
def test_example_matches_its_own_signature(name: str, line: str) -> None:
    hit = MATCHER.match(line, full=True)
    assert hit is not None
    assert hit.signature.name == name


@pytest.mark.parametrize("signature", SIGNATURES, ids=lambda sig: sig.name)
def test_needles_are_in_every_example(signature: object) -> None:
    # A needle missing from a matching line would hide that line from the streaming pass.
    needles = signature.needles  # type: ignore[attr-defined]
    for example in signature.examples:  # type: ignore[attr-defined]
        assert not needles or any(needle in example for needle in needles), example


def test_the_stream_finds_the_errors_that_can_sit_far_from_the_end() -> None:
    far = [
        "FAILED tests/test_calc.py::test_add - assert 5 == 6",
        "main.c:4:12: error: 'count' undeclared (first use in this function)",
        "error[E0308]: mismatched types",
        "ERROR: Could not find a version that satisfies the requirement x==9",
        "E       assert 5 == 6",
        "##[error]Process completed with exit code 1.",
        "/home/runner/work/_temp/0c6d.sh: line 2: pytset: command not found",
        "Killed",
        "curl: (6) Could not resolve host: example.invalid",
    ]
    for line in far:
        assert MATCHER.candidates(line.encode()), line
    assert any(anchor in "##[group]Run pytest" for anchor in SCAN_ANCHORS)


@pytest.mark.parametrize(
    "line",
    [
        "tests/test_errors.py::test_error_message_is_clear PASSED                [ 12%]",
        "main.c:4:9: warning: unused variable 'total' [-Wunused-variable]",
        "Collecting requests==2.32.3 (from -r requirements.txt (line 3))",
        "  /home/runner/work/app/app/src/calc.py:14: DeprecationWarning: legacy_mean is deprecated",
        "ok 1 - adds numbers",
        "✔ subtracts (0.29ms)",
        "Successfully installed certifi-2024.7.4 requests-2.32.3",
    ],
)
def test_noise_is_not_an_error(line: str) -> None:
    hit = MATCHER.match(line, full=True)
    assert hit is None or hit.signature.failure_type is None, hit


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "FAILED tests/test_io.py::test_read - json.decoder.JSONDecodeError: Expecting value",
            FailureType.TEST_FAILURE,
        ),
        ("E   ModuleNotFoundError: No module named 'fancylib'", FailureType.DEPENDENCY_ERROR),
        ("E     SyntaxError: '(' was never closed", FailureType.BUILD_ERROR),
        (
            "WARNING: Retrying (Retry(total=1)) after connection broken by 'Connection refused'",
            FailureType.INFRASTRUCTURE,
        ),
        ("src/app.py:3: error: Incompatible return value type", FailureType.TYPE_ERROR),
        ("main.c:3:1: error: expected ';' before '}' token", FailureType.BUILD_ERROR),
        ("##[error]The action 'Run tests' has timed out after 5 minutes.", FailureType.TIMEOUT),
    ],
)
def test_specific_shapes_win_over_general_ones(line: str, expected: FailureType) -> None:
    hit = MATCHER.match(line, full=True)
    assert hit is not None
    assert hit.signature.failure_type is expected


def test_paths_and_lines_are_read_from_locations() -> None:
    hit = MATCHER.match('  File "/home/runner/work/app/app/src/calc.py", line 12, in div')
    assert hit is not None
    assert (hit.path, hit.source_line) == ("/home/runner/work/app/app/src/calc.py", 12)
    gcc = MATCHER.match("src/engine.c:41:7: error: 'stepz' undeclared")
    assert gcc is not None
    assert (gcc.path, gcc.source_line) == ("src/engine.c", 41)
