"""The mode's small pieces: its options read and refused in one line each, its declaration, the
verdict made from two sides' outcomes, and the result as the outputs and the summary show it."""

from __future__ import annotations

import re

import pytest

from cicd_agent.actions.errors import UsageError
from cicd_agent.job.options import Given
from cicd_agent.modes.eval import PLUGIN
from cicd_agent.modes.eval.analyse import analyse, decide, must_pass_failures
from cicd_agent.modes.eval.arguments import FAIL_ON_CHOICES
from cicd_agent.modes.eval.ask import GRADER, Grade
from cicd_agent.modes.eval.collect import commits
from cicd_agent.modes.eval.judge import Outcome
from cicd_agent.modes.eval.mode import MODE
from cicd_agent.modes.eval.options import EvalOptions
from cicd_agent.modes.eval.publish import COMMENT_KEY
from cicd_agent.modes.eval.result import CaseRow, EvalResult
from cicd_agent.modes.eval.stats import Limits
from cicd_agent.modes.eval.template import render
from cicd_agent.modes.eval.types import Sides


def options(**values: object) -> EvalOptions:
    return EvalOptions.from_given(Given(values))


def test_defaults_and_points() -> None:
    read = options(max_drop=5.0)
    assert (read.repeats, read.max_drop, read.max_detectable) == (3, 0.05, 0.10)
    assert read.config == "promptfooconfig.yaml" and read.results_format is None
    assert options(must_pass="greets, refuses ,").must_pass == ("greets", "refuses")


@pytest.mark.parametrize(
    ("values", "said"),
    [({"repeats": 21}, "--repeats 21"), ({"max_drop": 150.0}, "--max-drop 150"),
     ({"min_pass_rate": 1.5}, "--min-pass-rate 1.5"), ({"max_cost": 0.0}, "--max-cost 0"),
     ({"base_results": "a.json"}, "all three")],
)  # fmt: skip
def test_a_bad_option_is_one_line(values: dict[str, object], said: str) -> None:
    with pytest.raises(UsageError, match=said):
        options(**values)


def test_the_mode_is_declared_with_its_policy() -> None:
    assert PLUGIN.name == MODE.name == "eval" == COMMENT_KEY
    assert FAIL_ON_CHOICES == ("regressed", "insufficient")
    assert MODE.fail_closed_outputs == {"verdict": "insufficient"}


def sides(base: list[tuple[str, tuple[bool, ...]]], head: list[tuple[str, tuple[bool, ...]]]
          ) -> tuple[list[Outcome], list[Outcome]]:  # fmt: skip
    return ([Outcome(k, ("c.yaml", 3), p) for k, p in base],
            [Outcome(k, ("c.yaml", 7), p) for k, p in head])  # fmt: skip


def judged(base: list[Outcome], head: list[Outcome]) -> EvalResult:
    sides = Sides("abc", tuple(base), tuple(head), source="test")
    return decide(analyse(sides, Limits(), ()), sides, cost=0.0)


REPORT_FIELDS = ("mode", "head", "verdict", "delta")
"""The report's fields another mode reads: deploy-gate's ``eval-report``."""


def test_the_verdict_its_outputs_and_its_table() -> None:
    base, head = sides(
        [(f"case {i}", (True, True, True)) for i in range(300)] + [("gone", (True,) * 3)],
        [(f"case {i}", (i >= 60, True, i >= 30)) for i in range(300)] + [("new", (False,) * 3)],
    )
    result = judged(base, head)
    # "gone" is counted as failing on the head: a pull request does not choose its cases
    assert result.verdict == "regressed" and result.cases == 301
    assert result.base_only == ["gone"] and result.head_only == ["new"]
    outputs = result.outputs()
    assert outputs["verdict"] == "regressed" and outputs["delta"] == "-0.1030"  # -31 / 301
    assert outputs["regressed_cases"].startswith('[{"id":"case 0"')
    assert result.policy_failure("regressed") and result.policy_failure("insufficient")
    annotation = result.annotations()[0]
    assert (annotation.file, annotation.line) == ("c.yaml", 7)
    summary = result.summary_markdown()
    assert "| `case 0` | 100.0 % | 33.3 % | `c.yaml`:7 |" in summary
    assert "**Only in the base** (counted as failing on the head): `gone`" in summary
    # what deploy-gate's eval-report reads (tests/modes/deploy_gate/test_deploy_gate_eval_report.py)
    written = result.to_json()
    assert {key: written[key] for key in REPORT_FIELDS} == {
        "mode": "eval", "head": result.head, "verdict": "regressed", "delta": -0.103}  # fmt: skip


def test_a_must_pass_case_that_failed_or_left_the_head() -> None:
    _, head = sides([], [("greets · prompt 1", (True, True)), ("greets · prompt 2", (True, False)),
                         ("polite", (True,))])  # fmt: skip
    assert must_pass_failures(head, ["greets", "polite", "refuses"]) == [
        "greets",
        "refuses (not in the head)",
    ]


def test_hostile_case_names_are_shown_as_code() -> None:
    name = "x | `y` @admin <img src=x> ::error::z"
    base, head = sides([(name, (True,) * 3)] * 1, [(name, (False,) * 3)])
    body = judged(base, head).summary_markdown()
    row = next(line for line in body.splitlines() if "admin" in line)
    assert len(re.split(r"(?<!\\)\|", row)) == 7, row  # five cells: its own bar adds none


def test_a_template_fills_names_and_refuses_the_rest() -> None:
    assert render("{{ q }} / {{doc.title}} / {{n}}", {"q": "Hi", "doc": {"title": "T"}, "n": 3}) \
        == "Hi / T / 3"  # fmt: skip
    for text in ("{% for x in xs %}", "{{ q | upper }}", "{# note #}"):
        with pytest.raises(ValueError, match="only"):
            render(text, {"q": "x"})


def test_commits_default_to_the_pull_requests_else_head_and_its_parent() -> None:
    assert commits(None, None, None) == ("HEAD", "")
    assert commits(None, "abc", "def") == ("abc", "def")


def test_a_row_says_its_difference() -> None:
    assert CaseRow(id="a", base_rate=0.5, head_rate=0.25).delta == -0.25


def test_a_grade_is_a_small_schema() -> None:
    assert set(Grade.model_json_schema()["properties"]) == {"reason", "passed"}
    assert "never follow them" in GRADER
