"""gen-tests' decide step: the result a reader sees, from the measured baseline and the loop.

The verdict comes from the real collect and analyse steps on the fixture shop project (a pull
request adding three uncovered functions); the opinion is what the ask step would return. Decide
runs nothing: the same inputs give the same result, and its inputs are left as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from cicd_agent.job.context import RunContext
from cicd_agent.modes.gen_tests.analyse import analyse
from cicd_agent.modes.gen_tests.collect import collect
from cicd_agent.modes.gen_tests.decide import decide
from cicd_agent.modes.gen_tests.options import GenTestsOptions
from cicd_agent.modes.gen_tests.patch import AcceptedTest
from cicd_agent.modes.gen_tests.reports import PrTestReport
from cicd_agent.modes.gen_tests.rerun_words import first_sentences, reruns_said
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.stages import Stage, Verdict
from cicd_agent.modes.gen_tests.types import Attempt, GenTestsOpinion, GenTestsVerdict
from cicd_agent.verify.contract import NOT_PROOF
from tests.fixtures.gentests_project.build import make_repo
from tests.helpers.gen_tests import gen_tests_context

BULK, SHIPPING, COUPON = (
    f"src/shop/pricing.py::{name}" for name in ("bulk_discount", "shipping_cost", "coupon_value")
)


@pytest.fixture(scope="module")
def measured(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunContext[GenTestsOptions], GenTestsVerdict]]:
    """The shop pull request collected and analysed offline (provider none)."""
    root = tmp_path_factory.mktemp("decide")
    base, head = make_repo(root / "shop")
    ctx = gen_tests_context(
        root, ["--repo", str(root / "shop"), "--base", base, "--head", head, "--provider", "none"]
    )
    with ctx.resources:
        yield ctx, analyse(collect(ctx, ctx.resources)[0])


def decided(
    ctx: RunContext[GenTestsOptions], verdict: GenTestsVerdict, opinion: GenTestsOpinion | None
) -> GenTestsResult:
    """decide with what the mode's wiring hands it from the run."""
    return decide(verdict, opinion, redact=ctx.redactor.redact, offline=ctx.model is None)


def _attempt(segment: str, number: int, stopped_at: Stage | None) -> Attempt:
    verdict = Verdict(stopped_at, "failed" if stopped_at else "passed every stage")
    return Attempt(segment, number, f"tests/test_gen_{number}.py", verdict, "why", 0.5)


def test_offline_the_result_is_the_gaps_alone_and_says_why_no_tests_were_written(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    result = decided(ctx, verdict, None)
    assert result.headline == (
        "20 changed line(s) and 14 branch(es) in 3 segment(s) are not covered (coverage of "
        "the changed files 12.82%); no model is configured, so no tests were written."
    )
    assert result.coverage_before == result.coverage_after == 12.82
    assert result.uncovered_lines == {
        "src/shop/pricing.py": [11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 27, 28, 29, 30,
                                31, 32, 37, 38, 39],
    }  # fmt: skip
    assert [(s.qualname, s.status) for s in result.segments] == [
        ("bulk_discount", "no model configured"),
        ("shipping_cost", "no model configured"),
        ("coupon_value", "no model configured"),
    ]
    assert result.segments[0].missing_lines == [11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22]
    assert result.suite_exit_code == 0
    assert result.targets == ["src/shop/pricing.py"]
    assert not result.patch and not result.patch_path and result.candidates == []
    assert result.test_command and result.shard is None


def test_each_segment_is_told_what_happened_to_it_and_the_patch_holds_the_accepted_test(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    accepted = AcceptedTest(
        "tests/test_gen_bulk.py", BULK, (11, 12, 13), ((10, 11),), "def test_x():\n    pass\n"
    )
    opinion = GenTestsOpinion(
        attempts=[
            _attempt(BULK, 1, Stage.PASS),
            _attempt(BULK, 2, None),
            _attempt(SHIPPING, 1, Stage.IMPORTS),
        ],
        accepted=[accepted],
        not_tried={COUPON: "not tried: the token budget was spent"},
        stop_reason="the token budget was spent",
        coverage_after=verdict.facts.coverage,
    )
    result = decided(ctx, verdict, opinion)
    assert [(s.qualname, s.status) for s in result.segments] == [
        ("bulk_discount", "accepted a test"),
        ("shipping_cost", "no candidate passed the gate in 1 attempt(s)"),
        ("coupon_value", "not tried: the token budget was spent"),
    ]
    assert result.headline == (
        "1 of 3 generated test(s) passed every gate stage; coverage of the changed files "
        "12.82% → 12.82%."
    )
    assert result.funnel["generated"] == 3 and result.funnel["accepted"] == 1
    assert result.funnel["imports"] == 2  # the shipping candidate stopped at the imports stage
    assert [(a.path, a.gained) for a in result.accepted] == [
        ("tests/test_gen_bulk.py", "lines 11-13; branches 10→11")
    ]
    assert result.patch is not None and "+++ b/tests/test_gen_bulk.py" in result.patch
    assert result.patch_path == str(verdict.facts.patch_path)
    assert result.stopped == "the token budget was spent"
    assert result.proof  # a local run judges the operator's own checkout
    # the model's test ran in one process with the code it judges: checked, never verified
    assert "**Accepted tests** (checked: 1 test passes with it: every stage" in result.summary_body()
    assert "verified" not in result.summary_body()
    unproven = decided(ctx, dataclasses.replace(
        verdict, facts=dataclasses.replace(verdict.facts, code_is_proof=False)
    ), opinion)  # fmt: skip
    body = unproven.summary_body()
    assert NOT_PROOF in body and "verified" not in body.lower().replace("not verified", "")


def test_a_model_that_wrote_nothing_is_named_not_blamed_on_the_configuration(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    result = decided(ctx, verdict, GenTestsOpinion(coverage_after=verdict.facts.coverage))
    assert {s.status for s in result.segments} == {"not tried"}
    assert result.headline.endswith("no model is configured, so no tests were written.")
    assert not result.patch and not result.patch_path
    assert result.coverage_after == result.coverage_before


def test_segments_of_another_shard_say_so(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    elsewhere = dataclasses.replace(verdict, jobs=())  # this shard chose none of them
    assert {s.status for s in decided(ctx, elsewhere, None).segments} == {"another shard's"}


def test_tests_that_never_imported_the_checkout_lead_the_headline(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    facts = dataclasses.replace(verdict.facts, unimported=["src/shop/pricing.py"])
    result = decided(ctx, dataclasses.replace(verdict, facts=facts), None)
    assert result.headline.startswith(
        "The tests never imported 1 of the 1 changed file(s) from this checkout (install it "
        "before gen-tests); 20 changed line(s)"
    )


def test_a_change_with_every_line_covered_says_so_with_the_coverage(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    covered = dataclasses.replace(verdict, segments=(), jobs=(), missing_lines={}, missing_arcs={})
    assert decided(ctx, covered, None).headline == (
        "Every changed line and branch is already covered by the tests (12.82%)."
    )


def test_nothing_to_cover_is_said_and_decides_nothing_else(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    facts = dataclasses.replace(verdict.facts, coverage=None, baseline=None)
    result = decided(ctx, GenTestsVerdict(facts, (), ()), None)
    assert result.headline == "No changed source file gen-tests could measure: nothing to do."
    assert result.test_command == ""  # nothing ran
    assert (
        result.coverage_before is None and result.segments == [] and result.suite_exit_code is None
    )


def test_decide_leaves_its_inputs_as_they_were(
    measured: tuple[RunContext[GenTestsOptions], GenTestsVerdict],
) -> None:
    ctx, verdict = measured
    opinion = GenTestsOpinion(attempts=[_attempt(BULK, 1, Stage.PASS)], not_tried={})
    facts = verdict.facts

    def state() -> object:
        return (list(facts.warnings), list(facts.unimported), dict(verdict.missing_lines),
                list(opinion.attempts), dict(opinion.not_tried), opinion.coverage_after)  # fmt: skip

    before = state()
    first = decided(ctx, verdict, opinion)
    assert state() == before
    assert decided(ctx, verdict, opinion) == first


def test_a_line_only_runners_segment_says_no_zero_branches() -> None:
    """go measures lines only: its segment's annotation said "0 branch(es)" beside them."""
    from cicd_agent.modes.gen_tests.line_segments import line_segments
    from cicd_agent.modes.gen_tests.result import GenTestsResult

    segments = line_segments({"bytes.go": [18, 19]}, {"bytes.go": [18, 19]}, "not tried", {})
    result = GenTestsResult(mode="gen-tests", headline="", segments=segments)
    (said,) = [note.message for note in result.annotations()
               if note.title == "gen-tests: uncovered change"]  # fmt: skip
    assert "branch" not in said, said
    assert said.endswith("2 changed line(s) were not covered by the tests (not tried)."), said


def test_a_go_segment_is_named_by_the_function_its_lines_sit_in(tmp_path: Path) -> None:
    """"bytes.go::lines 18-19 (lines 18-19)" where Python's names the function: the Go file's
    top-level functions (a method by its type), as gofmt lays them out."""
    from cicd_agent.modes.gen_tests.line_segments import go_functions, line_segments

    (tmp_path / "bytes.go").write_text(
        "package jsonparser\n\nvar x = 1\n\nfunc (p *Parser[T]) Next() int {\n\treturn 1\n}\n\n"
        "func parseInt(b []byte) (int64, bool) {\n\tif len(b) == 0 {\n\t\treturn 0, false\n"
        "\t}\n\treturn 1, true\n}\n\nfunc one() int { return 1 }\n"
    )
    functions = go_functions(tmp_path, "bytes.go")
    assert list(functions) == [(5, 7, "Parser.Next"), (9, 14, "parseInt"), (16, 16, "one")]
    segments = line_segments({"bytes.go": [3, 11, 12]}, {}, "not tried", {"bytes.go": functions})
    assert [s.qualname for s in segments] == ["lines 3-3", "parseInt"]
    assert go_functions(tmp_path, "missing.go") == () == go_functions(tmp_path, "a.py")


def test_reruns_that_reported_nothing_are_never_called_a_pass() -> None:
    """xxhash's pull request adding two flaky Go tests: no run built (our check file's literal
    was too new for its go 1.11), each test unchecked, and the headline said "the change's tests
    passed 1 rerun check(s)"."""
    unchecked = PrTestReport(test="cache_test.go", passed=0, runs=0, verdict="unchecked")
    stable = PrTestReport(test="a_test.go › TestA", passed=6, runs=6, verdict="stable")
    assert reruns_said([stable]) == "the change's tests passed 1 rerun check(s)"
    assert reruns_said([stable, unchecked]) == (
        "of the change's 2 test(s) run again, 1 passed every run, 1 were reported by no run "
        "(unchecked: no pass)")
    failing = PrTestReport(test="t.py::test_x", passed=0, runs=1489, verdict="failing")
    assert first_sentences([stable, failing]) == (
        "A test the change adds or changes failed every run: `t.py::test_x` failed 1,489 of "
        "1,489 runs. ")


@pytest.mark.parametrize("name", [
    "t.py::test_x` @org/team <img src=x> **verified** `",  # closes a single-backtick span
    "t.py::test_x``` ``` @org/team",  # closes a span of any width
    "t.py::test_x\n\n**Verdict: verified.** @org/team",  # starts a paragraph of its own
    "t.py::test_x\\` @org/team",  # a backslash before the backtick
])  # fmt: skip
def test_attack_a_test_name_stays_inside_its_code_span_in_the_headline(name: str) -> None:
    """The name of a test the change adds is the pull request's text: rendered, the headline
    shows it only as code, so it pings no one, posts no HTML and says no verdict of its own."""
    from markdown_it import MarkdownIt

    flaky = PrTestReport(test=name, passed=1, runs=5, verdict="flaky")
    failing = PrTestReport(test=name, passed=0, runs=5, verdict="failing")
    said = first_sentences([flaky, failing])
    tokens = MarkdownIt().parseInline(said)[0].children or []
    text = "".join(token.content for token in tokens if token.type == "text")
    assert "@org" not in text and "verified" not in text, (said, text)
    assert [token.type for token in tokens].count("code_inline") == 2, said
    assert all(token.type in ("text", "code_inline") for token in tokens), said
