"""A mode's result as dataclasses (review's) and as a pydantic model (the other modes') render
the same: the same fields give the same ``--json``, outputs and summary, and a copy with what
posting learnt leaves the decided result alone."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.job.context import ToolRun
from cicd_agent.job.mode_result import ModeResult
from cicd_agent.job.pipeline import PlainResult
from cicd_agent.model.usage import ModelUsageReport

FINDING = Finding(rule="secret", severity=Severity.CRITICAL, category="security", path="a.py",
                  line=3, title="A key", body="A key was added.", confidence=1)  # fmt: skip


@dataclass(kw_only=True)
class Plain(PlainResult):
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    url: str = ""

    POSTED = frozenset({"url"})

    def mode_outputs(self) -> dict[str, object]:
        return {"verdict": self.verdict, "findings": self.findings, "url": self.url}


class Model(ModeResult):
    verdict: str
    findings: list[dict[str, object]] = Field(default_factory=list)
    url: str = ""

    POSTED = frozenset({"url"})

    def mode_outputs(self) -> dict[str, object]:
        return {"verdict": self.verdict, "findings": self.findings, "url": self.url}


def _both() -> tuple[Plain, Model]:
    common: dict[str, object] = {
        "mode": "toy", "headline": "One finding.", "notes": ["a note"],
        "tools": [ToolRun(tool="ruff", could_not_run="not installed")],
        "usage": ModelUsageReport(provider="openai", model="m", calls=2, cost_usd=1),
        "verdict": "comment",
    }  # fmt: skip
    plain = Plain(**common, findings=[FINDING])  # type: ignore[arg-type]
    model = Model(**common, findings=[FINDING.to_json()])  # type: ignore[arg-type]
    return plain, model


def test_a_plain_result_renders_what_the_same_pydantic_result_renders() -> None:
    plain, model = _both()
    assert plain.to_json() == model.to_json()
    assert plain.to_json()["findings"][0]["severity"] == "critical"
    assert plain.to_json()["usage"]["cost_usd"] == 1.0  # a float, as pydantic made it
    assert plain.outputs() == model.outputs()
    assert plain.summary_markdown() == model.summary_markdown()
    assert plain.posted_fields() == model.posted_fields() == {"url": str}


def test_what_posting_learnt_is_shown_on_a_copy() -> None:
    for result in _both():
        shown = result.shown({"url": "https://example.com/r/1"})
        shown.notes.append("only shown")
        assert (shown.url, result.url) == ("https://example.com/r/1", "")
        assert result.notes == ["a note"]
