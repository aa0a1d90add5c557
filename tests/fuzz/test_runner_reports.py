"""What the test runners and their tools write, under any content: Surefire's XML reports and
Maven's console, the fix judge's JUnit evidence, ``go test``'s cover profile and ``-json``
stream, cargo's ``--message-format=json`` build plan and libtest's text, jest's and vitest's
JSON report and the istanbul coverage map inside it. Each reader gives its result or says why
there is none, in words, and never raises.

The code under test writes every one of these (a test prints, a build script writes the
profile's folder, a test binary writes the report), so they are the pull request's text:
real-shaped documents with hostile names, numbers past any range, cut lines, nesting, and
any bytes at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cicd_agent.runners.cargo.report import read_blocks
from cicd_agent.runners.cargo.report import test_binaries as binaries_in
from cicd_agent.runners.go.profile import read_profile
from cicd_agent.runners.go.runner import read_events
from cicd_agent.runners.js.istanbul import read_coverage
from cicd_agent.runners.js.report import outcomes_of, the_report
from cicd_agent.runners.junit import outcomes
from cicd_agent.runners.maven.runner import read_console
from cicd_agent.runners.pytest.evidence import missing_evidence
from tests.fuzz.hostile import budget, json_values, mutated, texts

numbers = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.sampled_from(["", "-1", "1e9", "0x10", "9" * 5_000, "１２", "NaN", " 3"]),
)
"""A count or a line number as a report writes it: a real one, or past what Python reads
(more digits than ``int`` takes from a string), or no number at all."""


def _attribute(draw: st.DrawFn) -> str:
    return str(draw(st.one_of(texts(20).map(quoteattr), numbers.map(quoteattr))))


@st.composite
def surefire(draw: st.DrawFn) -> bytes:
    """A Surefire ``TEST-*.xml``: properties, cases with failures, errors, reruns and flaky
    runs, their output, every attribute and text hostile."""
    cases = []
    for _ in range(draw(st.integers(0, 4))):
        inner = draw(st.lists(st.sampled_from([
            "<failure message={a} type={a}>{t}</failure>", "<error message={a}>{t}</error>",
            "<skipped message={a}/>", "<rerunFailure message={a}><stackTrace>{t}</stackTrace>"
            "</rerunFailure>", "<flakyFailure message={a}>{t}</flakyFailure>",
            "<flakyError>{t}</flakyError>", "<system-out>{t}</system-out>",
            "<system-err><![CDATA[{t}]]></system-err>"]), max_size=3))  # fmt: skip
        body = "".join(part.format(a=_attribute(draw), t=draw(texts(30)).replace("<", "&lt;"))
                       for part in inner)  # fmt: skip
        cases.append(f"<testcase name={_attribute(draw)} classname={_attribute(draw)} "
                     f"time={_attribute(draw)}>{body}</testcase>")  # fmt: skip
    counts = " ".join(f"{key}={_attribute(draw)}" for key in ("tests", "errors", "skipped",
                                                              "failures", "time"))  # fmt: skip
    properties = "".join(f"<property name={_attribute(draw)} value={_attribute(draw)}/>"
                         for _ in range(draw(st.integers(0, 2))))  # fmt: skip
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name={_attribute(draw)} '
            f"{counts}><properties>{properties}</properties>{''.join(cases)}</testsuite>")  # fmt: skip
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.sampled_from([b"", b"\xff", b"&x;", b"<", b"\x00"])) + data[at:]
    return data


XML = st.one_of(surefire(), surefire(), st.binary(max_size=200),
                st.sampled_from([b"<testsuite>" * 50_000, b"<testsuite/>" * 3]))  # fmt: skip


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("runner-reports")


@budget(60)
@given(report=XML, failed=st.lists(texts(20, huge=False), max_size=2))
def test_any_surefire_report_gives_outcomes_or_a_refusal(report: bytes, failed: list[str]) -> None:
    """JUnit XML as Surefire writes it, through the core's readers of JUnit XML: the outcomes
    (analyse-failure's history, the test step) and the fix judge's evidence (deploy-gate's pass
    rate: its own tests, tests/modes/deploy_gate/fuzz/test_safety_reports.py)."""
    found = outcomes(report)
    assert all(isinstance(name, str) and isinstance(passed, bool) for name, passed in found.items())
    said = missing_evidence(report, failed, ["src/test/java/x/FooTest.java"], "mvn test")
    assert isinstance(said, str)


console_lines = st.one_of(
    texts(30),
    st.builds("[{}] Running {}".format, st.sampled_from(["INFO", "ERROR", "WARNING"]), texts(20)),
    st.builds(
        "[ERROR] Tests run: {}, Failures: {}, Errors: {}, Skipped: {}, Time elapsed: {} s "
        "<<< FAILURE! - in {}".format,
        numbers,
        numbers,
        numbers,
        numbers,
        numbers,
        texts(20),
    ),
    st.builds(
        "[ERROR] {}({})  Time elapsed: {} s  <<< {}!".format,
        texts(10),
        texts(20),
        numbers,
        st.sampled_from(["FAILURE", "ERROR"]),
    ),
    st.sampled_from(
        [
            "[INFO] BUILD SUCCESS",
            "[ERROR] BUILD FAILURE",
            "[INFO] Results:",
            "[WARNING] Flakes: 1",
            "[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0",
        ]
    ),
)


@budget(80)
@given(lines=st.lists(console_lines, max_size=12), returncode=st.integers(-9, 300))
def test_any_maven_console_gives_outcomes_or_says_why_not(
    lines: list[str], returncode: int
) -> None:
    found, why = read_console("\n".join(lines), returncode)
    assert isinstance(why, str)
    assert all(isinstance(name, str) and isinstance(status, str) for name, status in found.items())


profile_lines = st.one_of(
    texts(30),
    st.builds(
        "{}:{}.{},{}.{} {} {}".format,
        st.sampled_from(["example.com/m/calc.go", "example.com/m/x/y.go", "calc.go", ""]),
        numbers,
        numbers,
        numbers,
        numbers,
        numbers,
        numbers,
    ),
)


@budget(80)
@given(
    head=st.sampled_from(["mode: set", "mode: count", "mode: atomic", "", "mode:"]),
    lines=st.lists(profile_lines, max_size=10),
    module=st.one_of(st.just("module example.com/m\n"), texts(20)),
)
@example(head="mode: set", lines=[f"example.com/m/calc.go:{'9' * 5_000}.1,3.4 1 1"],
         module="module example.com/m\n")  # fmt: skip
def test_any_go_cover_profile_gives_lines_or_says_why_not(
    place: Path, head: str, lines: list[str], module: str
) -> None:
    repo = place / "go"
    repo.mkdir(exist_ok=True)
    (repo / "go.mod").write_bytes(module.encode("utf-8", "surrogatepass"))
    profile = place / "cover.out"
    profile.write_bytes("\n".join([head, *lines]).encode("utf-8", "surrogatepass"))
    executed, measured, why = read_profile(profile, repo, ["calc.go", "x/y.go"])
    assert isinstance(why, str)
    if executed is not None and measured is not None:
        assert all(executed[file] <= measured[file] for file in executed)


def _go_event(draw: st.DrawFn) -> str:
    event = {"Action": draw(st.sampled_from(["run", "pass", "fail", "output", "skip", "start"])),
             "Package": draw(st.sampled_from(["example.com/m", "", "x"])),
             "Test": draw(st.sampled_from(["TestAdd", "ExampleCicd", "TestAdd/sub", ""])),
             "Output": draw(texts(20)), "Elapsed": 0.1}  # fmt: skip
    value = draw(mutated(event, 2)) if draw(st.booleans()) else event
    return json.dumps(value)


@budget(80)
@given(data=st.data(), returncode=st.integers(-9, 300), count=st.integers(0, 3))
def test_any_go_test_json_stream_gives_outcomes_or_says_why_not(
    data: st.DataObject, returncode: int, count: int
) -> None:
    lines = data.draw(st.lists(st.one_of(st.composite(_go_event)(), texts(30)), max_size=10))
    found, why = read_events("\n".join(lines), returncode, {"example.com/m/TestAdd": "calc_test.go"},
                             "ExampleCicd", count)  # fmt: skip
    assert isinstance(why, str)
    assert all(isinstance(name, str) and isinstance(status, str) for name, status in found.items())


def test_an_event_whose_action_is_a_list_is_no_event() -> None:
    """Found by the test above: ``{"Action": ["pass"]}`` raised TypeError (unhashable) where the
    reader asked whether the action ends a test."""
    stream = '{"Action": ["pass"], "Package": "p", "Test": "T"}\n{"Action": "pass", "Package": "p"}'
    assert read_events(stream, 0, {}) == ({}, "")


ARTIFACT = {"reason": "compiler-artifact", "package_id": "calc 0.1.0", "target": {"kind": ["lib"],
            "name": "calc", "test": True}, "profile": {"test": True, "opt_level": "0"},
            "executable": "/work/target/debug/deps/calc-1a2b", "filenames": [], "fresh": False}  # fmt: skip


@budget(80)
@given(data=st.data())
def test_any_cargo_build_plan_counts_its_test_binaries(data: st.DataObject) -> None:
    messages = data.draw(st.lists(st.one_of(
        mutated(ARTIFACT).map(json.dumps), json_values.map(json.dumps), texts(30),
        st.just(json.dumps(ARTIFACT))), max_size=6))  # fmt: skip
    plan = "\n".join(messages).encode("utf-8", "surrogatepass")
    # the one executable named twice is one binary, run once
    assert binaries_in(plan) >= min(1, messages.count(json.dumps(ARTIFACT)))
    assert binaries_in(data.draw(st.binary(max_size=200))) >= 0


libtest_lines = st.one_of(
    texts(30),
    st.builds("running {} test{}".format, numbers, st.sampled_from(["", "s"])),
    st.builds("test {} ... {}".format, texts(15), st.sampled_from(["ok", "FAILED", "ignored"])),
    st.builds(
        "test result: {}. {} passed; {} failed; {} ignored; {} measured; {} filtered out".format,
        st.sampled_from(["ok", "FAILED"]),
        numbers,
        numbers,
        numbers,
        numbers,
        numbers,
    ),
    st.sampled_from(
        [
            "failures:",
            "successes:",
            "    cicd_check::ran",
            "---- a stdout ----",
            "   Doc-tests calc",
            "",
        ]
    ),
)


@budget(80)
@given(lines=st.lists(libtest_lines, max_size=14), returncode=st.integers(-9, 300),
       binaries=st.integers(0, 3))  # fmt: skip
def test_any_libtest_stream_gives_outcomes_or_says_why_not(
    lines: list[str], returncode: int, binaries: int
) -> None:
    found, why = read_blocks("\n".join(lines), returncode, "cicd_check", binaries)
    assert isinstance(why, str)
    assert all(isinstance(name, str) and isinstance(status, str) for name, status in found.items())


JEST = {"success": False, "numFailedTests": 1, "testResults": [
    {"name": "/r/src/a.test.js", "status": "failed", "assertionResults": [
        {"fullName": "adds", "status": "passed", "title": "adds"},
        {"fullName": "subtracts", "status": "failed", "title": "subtracts"}]}],
    "coverageMap": {"/r/src/a.js": {"statementMap": {"0": {"start": {"line": 1, "column": 0},
                    "end": {"line": 1, "column": 9}}}, "s": {"0": 1}}}}  # fmt: skip


@budget(100)
@given(data=st.data(), returncode=st.integers(-9, 300))
def test_any_jest_report_gives_outcomes_and_coverage_or_says_why_not(
    data: st.DataObject, returncode: int
) -> None:
    document: Any = data.draw(st.one_of(mutated(JEST, 4), json_values, st.just(JEST)))
    printed = data.draw(st.lists(texts(30), max_size=3))
    text = "\n".join([*printed, json.dumps(document), *printed[:1]])
    report, why = the_report(text, returncode)
    assert isinstance(report, dict) and isinstance(why, str)
    found, said = outcomes_of(report, "/r", returncode, data.draw(st.sampled_from(
        [(), ("src/a.test.js",)])))  # fmt: skip
    assert isinstance(said, str)
    assert all(isinstance(name, str) and isinstance(status, str) for name, status in found.items())
    mapped = report.get("coverageMap") if isinstance(document, dict) else document
    executed, measured, why = read_coverage(mapped, "/r", ["src/a.js"], lambda _file: False)
    assert isinstance(why, str)
    if executed is not None and measured is not None:
        assert executed["src/a.js"] <= measured["src/a.js"]
