"""CI signals from real reports (pytest's JUnit XML, coverage.py JSON and XML) and the safety score."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.safety import (
    PullReview,
    SignalName,
    coverage_signal,
    failure_rate_signal,
    find_reports,
    foreign_tree,
    model_signal,
    parse_weights,
    pass_rate_signal,
    read_coverage,
    read_junit,
    review_signal,
    safety_score,
)
from tests.helpers.gen_tests import PROJECT_PYTHON

CALC = """
def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b


def percent(part, whole):
    return 100 * part / whole
"""

TESTS = """
import pytest
from calc import add, divide, percent


def test_add():
    assert add(2, 3) == 5


def test_divide():
    assert divide(6, 3) == 2


def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


def test_percent_is_wrong():
    assert percent(1, 4) == 20


@pytest.mark.skip(reason="not yet")
def test_later():
    pass
"""


def run(project: Path, *args: str) -> None:
    """``python -m ARGS`` with the projects' own interpreter (pytest and coverage alone: a
    cheaper start than the dev environment's, its plugins never loaded)."""
    subprocess.run([PROJECT_PYTHON, "-m", *args], cwd=project, check=False, capture_output=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run a real small suite: JUnit XML from pytest; coverage.py JSON/XML for two test sets."""
    project = tmp_path_factory.mktemp("calc")
    (project / "calc.py").write_text(CALC)
    (project / "test_calc.py").write_text(TESTS)
    run(project, "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=reports/junit-a.xml")
    run(
        project,
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "add",
        "--junitxml=reports/junit-b.xml",
    )
    run(
        project,
        "coverage",
        "run",
        "--data-file=.cov-head",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    run(
        project, "coverage", "json", "--data-file=.cov-head", "-o", "head.json", "--include=calc.py"
    )
    run(project, "coverage", "xml", "--data-file=.cov-head", "-o", "head.xml", "--include=calc.py")
    run(
        project,
        "coverage",
        "run",
        "--data-file=.cov-base",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "add",
    )
    run(
        project, "coverage", "json", "--data-file=.cov-base", "-o", "base.json", "--include=calc.py"
    )
    return project


def test_junit_counts_cases_across_files(reports: Path) -> None:
    paths = find_reports("reports/*.xml", reports)
    assert [p.name for p in paths] == ["junit-a.xml", "junit-b.xml"]
    results = read_junit(paths)
    # a: 5 cases (1 failed, 1 skipped); b: 1 selected case, passed.
    assert (results.total, results.failed, results.errors, results.skipped) == (6, 1, 0, 1)
    signal = pass_rate_signal(results)
    assert signal.score == pytest.approx(100 * (4 / 5) ** 10, abs=0.01)
    assert "4/5 passed (1 failed" in signal.detail
    # the score's figure is said beside the counts it comes from, so the reader can check it
    assert signal.detail.endswith("; score 100 × 0.8000¹⁰ = 10.7"), signal.detail


def test_a_junit_glob_that_matches_nothing_is_a_usage_error_not_green(reports: Path) -> None:
    with pytest.raises(UsageError, match=r"'nothing/\*\.xml' matched no file"):
        find_reports("reports/*.xml,nothing/*.xml", reports)
    signal = pass_rate_signal(None)
    assert signal.missing and signal.detail == "no JUnit reports given (--junit)"


def test_coverage_json_and_xml_agree(reports: Path) -> None:
    as_json = read_coverage(reports / "head.json")
    as_xml = read_coverage(reports / "head.xml")
    assert as_json.percent == pytest.approx(as_xml.percent)
    assert as_json.percent == 100.0


def test_coverage_delta_scores_a_loss(reports: Path) -> None:
    head, base = read_coverage(reports / "head.json"), read_coverage(reports / "base.json")
    assert base.percent < head.percent
    gained = coverage_signal(head, base)
    assert gained.score == 100.0
    lost = coverage_signal(base, head)
    assert lost.score == max(0.0, 100 + 20 * (base.percent - head.percent))
    assert "points" in lost.detail


def test_coverage_report_of_another_tree_is_missing_not_counted(reports: Path) -> None:
    head, base = read_coverage(reports / "head.json"), read_coverage(reports / "base.json")
    other_project = ["src/shop/orders.py", "src/shop/__init__.py", "README.md"]
    reason = foreign_tree(head, other_project)
    assert reason == (
        "the coverage report head.json describes another tree: none of its 1 files are in "
        "this repository"
    )
    signal = coverage_signal(head, base, reason)
    assert signal.missing, "a report of another tree never moves the safety score"
    assert signal.detail == reason


def test_coverage_report_matches_the_tree_by_path_suffix(reports: Path) -> None:
    as_json, as_xml = read_coverage(reports / "head.json"), read_coverage(reports / "head.xml")
    assert as_json.files == ("calc.py",)
    assert as_xml.files == (f"{reports}/calc.py",), "Cobertura: the source folder + filename"
    # Made at the project root, in a container (absolute paths), or in a subfolder.
    assert foreign_tree(as_json, ["calc.py", "test_calc.py"]) is None
    assert foreign_tree(as_xml, ["calc.py"]) is None
    assert foreign_tree(as_json, ["services/calc/calc.py"]) is None
    assert foreign_tree(as_xml, ["lib/other.py"]) is not None


def test_coverage_needs_both_reports(reports: Path) -> None:
    signal = coverage_signal(read_coverage(reports / "head.json"), None)
    assert signal.missing
    assert "head only" in signal.detail


def test_a_report_that_is_neither_format_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "cov.txt"
    bogus.write_text("TOTAL 80%\n")
    with pytest.raises(UsageError, match=r"neither coverage\.py JSON nor Cobertura XML"):
        read_coverage(bogus)
    broken = tmp_path / "junit.xml"
    broken.write_text("<testsuite><testcase")
    with pytest.raises(UsageError, match="could not be read"):
        read_junit([broken])


def test_missing_signals_have_their_weight_redistributed() -> None:
    signals = [
        pass_rate_signal(None),
        coverage_signal(None, None),
        review_signal([PullReview(7, "approved")]),
        failure_rate_signal(["success", "failure", "cancelled", "success", "success"], 14),
        model_signal(None, None),
    ]
    score, weighted = safety_score(signals, parse_weights(None))
    # review 25 x 100 and failure rate 10 x 75 (1 of 4 counted runs failed) over 35.
    assert score == pytest.approx((25 * 100 + 10 * 75) / 35, abs=0.01)
    assert {s.name: s.weight for s in weighted} == parse_weights(None), "the weights as given"
    used = {s.name: s.effective_weight for s in weighted}
    assert used[SignalName.TESTS] == 0.0
    assert used[SignalName.REVIEW] == pytest.approx(71.43, abs=0.01)


def test_no_signal_means_no_score() -> None:
    weights = {SignalName.TESTS: 35.0, SignalName.MODEL: 10.0}
    score, weighted = safety_score(
        [pass_rate_signal(None), model_signal(None, None)], weights
    )
    assert score is None
    assert all(s.effective_weight == 0 for s in weighted)


def test_review_without_pull_request_scores_zero_and_blocking_review_wins() -> None:
    assert review_signal([]).score == 0.0
    mixed = review_signal([PullReview(1, "approved"), PullReview(2, "changes_requested")])
    assert mixed.score == 0.0
    assert "#2 changes requested" in mixed.detail


def test_weights_parse_and_reject_typos() -> None:
    weights = parse_weights("tests=50, model=0")
    assert weights[SignalName.TESTS] == 50 and weights[SignalName.MODEL] == 0
    assert weights[SignalName.REVIEW] == 25
    assert parse_weights('{"coverage": 5}')[SignalName.COVERAGE] == 5
    with pytest.raises(UsageError, match="unknown signal 'test'"):
        parse_weights("test=10")
    with pytest.raises(UsageError, match="positive weight"):
        parse_weights("tests=0,coverage=0,review=0,failure_rate=0,model=0")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"tests": ' + "[" * 3000, "safety-weights is nested too deeply"),
        ('{"tests": 5', "safety-weights is not valid JSON"),
        ("{}" + "[1]", "safety-weights is not valid JSON"),
    ],
)
def test_weights_that_are_not_a_json_object_are_a_usage_error(text: str, words: str) -> None:
    """A hostile ``safety-weights`` (nested deeper than the parser recurses) is the same one
    line as any other bad value, never an internal error."""
    with pytest.raises(UsageError, match=words):
        parse_weights(text)
