"""The guardrails that merge the model's opinion with the analysis, and the Markdown they feed.

Pure functions over a real analysis of the corpus's pytest failure: no network.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cicd_agent.actions.markdown import code_block, code_span, prose
from cicd_agent.analysis.redact import Redactor
from cicd_agent.modes.analyse_failure.decide import ModelFields
from cicd_agent.modes.analyse_failure.log_facts import FailureType, LogAnalysis
from cicd_agent.modes.analyse_failure.logs.analyse import analyse_scans, scan_jobs
from cicd_agent.modes.analyse_failure.logs.sources import load_logs
from cicd_agent.modes.analyse_failure.publish import signature_key
from cicd_agent.modes.analyse_failure.types import Change, Evidence
from tests.helpers.failed_run import failed_run, opinion

HEAD, OLDER = "a" * 40, "b" * 40
CHANGE = Change(
    base="c" * 40,
    head=HEAD,
    files=("tests/test_failing.py", "src/calc.py"),
    commits=((HEAD, "add a test"), (OLDER, "touch calc")),
    last_touch={"tests/test_failing.py": HEAD, "src/calc.py": OLDER},
)


@pytest.fixture(scope="module")
def analysis() -> LogAnalysis:
    return analyse_scans(scan_jobs(load_logs(failed_run().zip_path)), changed_files=CHANGE.files)


def merged(analysis: LogAnalysis, evidence: Evidence | None = None, **changes: Any) -> ModelFields:
    result = ModelFields(analysis, CHANGE, evidence or Evidence(), Redactor().redact)
    result.apply(opinion(**changes))
    return result


def test_without_a_model_the_commit_is_the_last_to_touch_the_named_changed_file(
    analysis: LogAnalysis,
) -> None:
    floor = ModelFields(analysis, CHANGE, Evidence(), Redactor().redact)
    assert floor.commit == HEAD
    assert floor.advice is not None and floor.advice.source == "deterministic"
    assert floor.confidence == 0.8


def test_the_model_may_call_it_flaky_only_with_evidence(analysis: LogAnalysis) -> None:
    claim: dict[str, Any] = {
        "is_flaky": True,
        "flaky_evidence": ["the same assertion failed on main last week"],
    }
    without = merged(analysis, **claim)
    assert (without.is_flaky, without.failure_type) == (False, "test_failure")
    assert any("thinks the failure is flaky" in d for d in without.disagreements)

    evidence = Evidence(intermittent_on_default_branch=2, touches_changed_files=True)
    with_evidence = merged(analysis, evidence, **claim)
    assert (with_evidence.is_flaky, with_evidence.failure_type) == (True, "flaky_test")
    assert "the same assertion failed on main last week" in with_evidence.flaky_evidence
    assert with_evidence.disagreements == []


def test_a_commit_must_be_one_of_the_change(analysis: LogAnalysis) -> None:
    assert merged(analysis, responsible_commit="f" * 40).commit == HEAD
    other = merged(analysis, responsible_commit=OLDER[:9])
    assert other.commit == HEAD
    assert any(f"commit {OLDER[:12]}" in d for d in other.disagreements)


def test_files_must_be_in_the_change_or_the_excerpt(analysis: LogAnalysis) -> None:
    named = ["./src/calc.py", "/home/runner/work/app/app/src/ghost.py", "tests/test_failing.py"]
    files = merged(analysis, responsible_files=named).files
    assert [(f.path, f.source, f.changed) for f in files] == [
        ("tests/test_failing.py", "logs", True),
        ("src/calc.py", "model", True),
    ]


def test_model_text_is_redacted_and_bounded(analysis: LogAnalysis) -> None:
    key = "AKIA" + "ZXCVBNMASDFGHJKL"
    result = merged(analysis, root_cause=f"leaked {key} " + "x" * 5000)
    assert key not in result.explanation and len(result.explanation) <= 1500


def test_an_unknown_type_from_the_logs_takes_the_model_type_but_never_flaky(
    analysis: LogAnalysis,
) -> None:
    unknown = replace(analysis, failure_type=FailureType.UNKNOWN)
    assert (
        merged(unknown, failure_type=FailureType.DEPENDENCY_ERROR).failure_type
        == "dependency_error"
    )
    assert merged(unknown, failure_type=FailureType.FLAKY_TEST).failure_type == "unknown"


def test_code_spans_and_blocks_cannot_be_closed_from_inside() -> None:
    assert code_span("a ``b`` c") == "```a ``b`` c```"
    assert code_span("`edge`") == "`` `edge` ``"
    block = code_block("```\nescape\n````")
    assert block.startswith("`````text\n") and block.endswith("\n`````")
    assert (
        prose("hi @team <b>x</b> [a](b) | c")
        == "hi @\u200bteam &lt;b&gt;x&lt;/b&gt; \\[a\\](b) \\| c"
    )


def test_signature_keys_are_marker_safe_for_any_branch() -> None:
    from cicd_agent.github.comments import marker

    for branch in ("main", "feature/x--y", "weird branch#1"):
        assert marker(signature_key(branch, "fbec4aeccfd30f42")).startswith("<!-- cicd-agent:")
    assert signature_key("a", "s") != signature_key("b", "s")


def test_every_failure_type_has_advice_of_a_kind_the_model_may_give() -> None:
    """The advice is data (``data/failure_advice.json``): a type without an entry, or a kind
    the answer's schema does not know, would fail only on the run that meets it."""
    from typing import get_args

    from cicd_agent.modes.analyse_failure.answer import FixType
    from cicd_agent.modes.analyse_failure.log_facts import FailureType
    from cicd_agent.modes.analyse_failure.logs.classify import advice_for

    for failure_type in FailureType:
        kind, text = advice_for(failure_type)
        assert kind in get_args(FixType) and text.endswith("."), failure_type


def test_decide_names_no_module_of_the_fix_engine_but_its_outcome() -> None:
    """decide reads what the check step found; the engine (its prompts, its sandbox) is the
    check step's."""
    from tests.project.test_import_graph import imports_of

    fix = "cicd_agent.modes.analyse_failure.fix"
    named = imports_of("cicd_agent.modes.analyse_failure.decide")
    assert {m for m in named if m == fix or m.startswith(fix + ".")} == {f"{fix}.outcome"}
