"""The one typed result every mode returns, and its renderings.

Outputs, job summary, annotations and ``--json`` are all views of the same object, so they can
never disagree with each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.actions.markdown import Reference, code_span, linked, prose
from cicd_agent.actions.runner_io import Annotation
from cicd_agent.model.usage import ModelUsageReport


@dataclass(frozen=True)
class Fixed:
    """A number with a fixed count of decimals: ``0.4534`` in step outputs (strings, as GitHub
    requires), a JSON number in ``--json``."""

    value: float
    places: int


class ToolRun(BaseModel):
    """One external tool the run started (a linter, a fixer, a test runner, zizmor): it ran, or
    it could not, and then why and how to fix it, so a tool that did not run never reads as
    a clean result."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tool: str
    could_not_run: str = ""
    """Why it did not run and how to fix it ("" when it ran)."""

    def line(self) -> str:
        said = f"could not run: {self.could_not_run}" if self.could_not_run else "ran"
        return f"- {code_span(self.tool)}: {said}"


class ModeResult(BaseModel):
    """Base of every mode's result. ``headline`` is the one plain sentence a reader sees first."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    mode: str
    headline: str
    notes: list[str] = Field(default_factory=list)
    tools: list[ToolRun] = Field(default_factory=list)
    """Every external tool the run started, and whether it ran."""
    usage: ModelUsageReport = Field(default_factory=ModelUsageReport)
    # Set when an external service failed but the mode could still give a safe, complete answer
    # (e.g. Prometheus down → "continue, unhealthy"): outputs are written, and the exit code is 3.
    service_failure: str | None = None
    error: str = ""
    """The ``error`` output: why the run could not finish ("" when it did)."""

    POSTED: ClassVar[frozenset[str]] = frozenset()
    """The fields only posting can fill (where a review or comment went, the commit pushed):
    as decided they are empty (or what was decided to post), and the publish step records
    them in the run's :class:`~cicd_agent.job.context.PostedOutputs` as each post lands, never
    on this object. The outputs, summary and ``--json`` render :meth:`shown`."""

    def posted_outputs(self) -> frozenset[str]:
        """The outputs posting may learn: the pipeline writes them after publish, every other
        output before it (so a crash while posting still leaves the decided ones)."""
        return self.POSTED & self.mode_outputs().keys()

    def shown(self, posted: Mapping[str, object]) -> Self:
        """A copy with what posting learnt (``posted``: field → value) for the renderings after
        publish; this result is left as decided (the copy shares no list of notes with it)."""
        shown = self.model_copy(update=dict(posted))
        shown.notes = list(shown.notes)
        return shown

    def mode_outputs(self) -> dict[str, object]:
        """The mode's own step outputs; values are rendered by :func:`render_output`."""
        return {}

    def summary_body(self) -> str:
        """Mode-specific Markdown shown after the headline in the job summary."""
        return ""

    def annotations(self) -> list[Annotation]:
        return []

    def references(self) -> tuple[Reference, ...]:
        """The issues and pull requests our own words in this result name (``#12``): posted,
        they stay references; any other ``#12`` is broken (the seam's ``posted``)."""
        return ()

    def posted_references(self) -> tuple[Reference, ...]:
        """The issues and pull requests behind the links GitHub answered our posts with (the
        ``*_url`` outputs posting learnt): shown in our own words, they stay links, while the
        same link written by untrusted text is shown as text."""
        outputs = self.outputs()
        found = (linked(outputs[name]) for name in self.posted_outputs() if name.endswith("_url"))
        return tuple(sorted({ref for ref in found if ref is not None}, key=lambda r: r.number))

    def policy_failure(self, fail_on: str | None) -> str | None:
        """Why ``fail-on`` makes this run exit 1, or None. Modes override with their scale."""
        return None

    def outputs(self) -> dict[str, str]:
        """Every step output, as strings: the mode's own, the model usage, and ``error`` (empty
        when the run finished), so a later step reads a written value rather than a missing one."""
        values: dict[str, object] = dict(self.mode_outputs())
        values["error"] = self.error
        values["tokens_used"] = self.usage.tokens_used
        values["cost_usd"] = f"{self.usage.cost_usd:.6f}"
        return {name: render_output(value) for name, value in values.items()}

    def summary_markdown(self, first: str = "") -> str:
        """The job summary; ``first`` (:func:`fail_on_sentence`) comes before the headline."""
        parts = [
            f"### cicd-agent {self.mode}",
            "",
            *([first, ""] if first else []),
            self.headline,
            "",
        ]
        body = self.summary_body().strip()
        if body:
            parts += [body, ""]
        if self.tools:
            parts += ["**Tools**", ""] + [tool.line() for tool in self.tools] + [""]
        if self.notes:
            parts += ["**Notes**", ""] + [f"- {note}" for note in self.notes] + [""]
        parts.append(f"<sub>{self.usage.summary_line()}</sub>")
        return "\n".join(parts) + "\n"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: every output by name with the value the step output has
        (``error`` included), plus the full structured result. Numbers are JSON numbers and a
        list an output renders as ``[]`` stays ``[]``; a value that is empty (``""`` or null)
        is left out, as its output is empty, so a reader tests for presence."""
        document: dict[str, Any] = self.model_dump(mode="json")
        document.update({name: _json_value(value) for name, value in self.mode_outputs().items()})
        document["tokens_used"] = self.usage.tokens_used
        document["cost_usd"] = json_cost(self.usage.cost_usd)
        return without_empty(document)


def fail_on_sentence(fail_on: str | None, reason: str | None, exit_code: int) -> str:
    """The summary's first sentence when ``fail-on`` was met (``reason``: the mode's
    :meth:`ModeResult.policy_failure`): that it was, and the exit code that follows; "" when it
    was not met. Every mode's summary gets it from here, so a failed step always says why."""
    if not fail_on or not reason:
        return ""
    why = prose(reason).rstrip(".")
    if exit_code == 1:
        return f"**fail-on {fail_on} was met, so this step fails with exit 1:** {why}."
    return (
        f"**fail-on {fail_on} was met** ({why}); the step exits {exit_code} for the failure below."
    )


def json_cost(cost_usd: float) -> float:
    """``cost_usd`` as ``--json`` shows it: the step output's six decimals, as a number (the
    unrounded float of a cheap call, ``0.0002424``, disagreed with the output ``0.000242``)."""
    return round(cost_usd, 6)


def without_empty(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` without its top-level empty values (``""`` and null)."""
    return {key: value for key, value in document.items() if value is not None and value != ""}


def render_output(value: object) -> str:
    """Step outputs are strings: booleans as ``true``/``false``, containers as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fixed):
        return f"{value.value:.{value.places}f}"
    if value is None:
        return ""
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    if isinstance(value, list | tuple | dict):
        return json.dumps(_json_value(value), separators=(",", ":"), sort_keys=False)
    return str(value)


def _json_value(value: object) -> Any:
    if isinstance(value, Fixed):
        return round(value.value, value.places)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value
