"""A mode's result of dataclasses renders as the pydantic result every mode but review had
rendered: each field in ``--json`` as JSON (a finding by its own ``to_json``, a model's answer
by pydantic's dump, tuples as lists), a field no rendering shows left out of ``--json`` and
the outputs, and a copy with what posting learnt leaves the decided result alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import BaseModel

from cicd_agent.analysis.finding import Finding
from cicd_agent.analysis.severity import Severity
from cicd_agent.job.context import ToolRun
from cicd_agent.job.pipeline import NOT_SHOWN, PlainResult
from cicd_agent.model.usage import ModelUsageReport

FINDING = Finding(rule="secret", severity=Severity.CRITICAL, category="security", path="a.py",
                  line=3, title="A key", body="A key was added.", confidence=1)  # fmt: skip


class Answer(BaseModel):
    said: str
    sure: float


@dataclass(frozen=True, kw_only=True)
class Row:
    name: str
    lines: tuple[int, ...] = ()
    kept: tuple[str, ...] = field(default=(), metadata=NOT_SHOWN)


@dataclass(kw_only=True)
class Plain(PlainResult):
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    answer: Answer | None = None
    url: str = ""
    patch: str = field(default="", metadata=NOT_SHOWN)

    POSTED = frozenset({"url"})

    def mode_outputs(self) -> dict[str, object]:
        return {"verdict": self.verdict, "findings": self.findings, "rows": self.rows,
                "first_row": self.rows[0], "url": self.url}  # fmt: skip


def _plain() -> Plain:
    return Plain(
        mode="toy", headline="One finding.", notes=["a note"],
        tools=[ToolRun(tool="ruff", could_not_run="not installed")],
        usage=ModelUsageReport(provider="openai", model="m", calls=2, cost_usd=1),
        verdict="comment", findings=[FINDING],
        rows=[Row(name="a", lines=(1, 2), kept=("only for publish",))],
        answer=Answer(said="fine", sure=1), patch="only for the patch file",
    )  # fmt: skip


def test_every_field_renders_as_json_and_a_field_not_shown_nowhere() -> None:
    result = _plain()
    document = result.to_json()
    assert document["findings"][0]["severity"] == "critical"
    assert document["usage"]["cost_usd"] == 1.0  # a float, as pydantic made it
    assert document["rows"] == [{"name": "a", "lines": [1, 2]}]
    assert document["answer"] == {"said": "fine", "sure": 1.0}
    outputs = result.outputs()
    assert outputs["rows"] == outputs["first_row"].join("[]") == '[{"name":"a","lines":[1,2]}]'
    shown = [json.dumps(document), *outputs.values(), result.summary_markdown()]
    assert not [text for text in shown if "only for" in text or "kept" in text]
    assert "patch" not in document
    assert result.posted_fields() == {"url": str}


def test_what_posting_learnt_is_shown_on_a_copy() -> None:
    result = _plain()
    shown = result.shown({"url": "https://example.com/r/1"})
    shown.notes.append("only shown")
    assert (shown.url, result.url) == ("https://example.com/r/1", "")
    assert result.notes == ["a note"]
