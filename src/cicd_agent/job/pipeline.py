"""The shape every mode shares: collect → analyse → ask → decide → publish.

The parts that must behave the same everywhere are here: :func:`begin` (options and ``fail-on``
checked before any I/O), :func:`ask_model` and :func:`model_answer` (where a failed ask step is
caught: the deterministic result kept) and :func:`finish` (outputs written before
publish, one way of reporting a failed publish, the summary and exit code). ``analyse`` and
``decide`` are handed values, not the run, so their notes and tools come back in what they
return.

:class:`PlainResult` is the one result every mode returns; outputs, summary, annotations and
``--json`` are all views of it, so they can never disagree."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar, get_type_hints

from cicd_agent.actions.errors import (
    ExitCode,
    ExternalServiceError,
    GitHubWriteDenied,
    ModelError,
)
from cicd_agent.actions.markdown import Reference, linked, posted, prose
from cicd_agent.actions.runner_io import SUMMARY_LIMIT_BYTES, Annotation
from cicd_agent.job.context import RunContext, ToolRun
from cicd_agent.job.first_sentence import fail_on_sentence, unset_fail_on_sentence
from cicd_agent.job.flags import validate_fail_on
from cicd_agent.job.posted import PostedOutputs
from cicd_agent.model.usage import ModelUsageReport

if TYPE_CHECKING:
    from cicd_agent.model.client import ModelClient

NOT_SHOWN: Mapping[str, object] = MappingProxyType({"shown": False})
"""The ``metadata`` of a result's dataclass field that no rendering shows (``--json`` and the
outputs leave it out): what publish alone needs, the patch a file holds."""


@dataclass(frozen=True)
class Fixed:
    """A number with a fixed count of decimals: ``0.4534`` in step outputs (strings, as GitHub
    requires), a JSON number in ``--json``."""

    value: float
    places: int


@dataclass(kw_only=True)
class PlainResult:
    """Base of every mode's result (dataclasses, so a run's start loads no validation library).
    ``headline`` is the one plain sentence a reader sees first: decide writes it and
    :func:`finish` completes it (what could not run), so every rendering, the posted ones too,
    reads it and never makes it again. ``--json`` shows each field in order by
    :func:`as_json`."""

    mode: str
    headline: str
    notes: list[str] = field(default_factory=list)
    tools: list[ToolRun] = field(default_factory=list)
    """Every external tool the run started, and whether it ran."""
    usage: ModelUsageReport = field(default_factory=ModelUsageReport)
    service_failure: str | None = None
    """Set when an external service failed but the mode could still give a safe, complete
    answer (e.g. Prometheus down → "continue, unhealthy"): outputs are written, exit code 3."""
    error: str = ""
    """The ``error`` output: why the run could not finish ("" when it did)."""

    FINDINGS_ANNOTATED: ClassVar[bool] = False
    """Whether the annotations are findings at their own level (review's: a critical or high
    finding is an ``error`` whether or not the step fails), not why the step failed (an
    ``error`` then, a ``warning`` on a run that exits 0)."""
    POSTED: ClassVar[frozenset[str]] = frozenset()
    """The fields only posting can fill (where a review or comment went, the commit pushed):
    as decided they are empty (or what was decided to post), and the publish step records
    them in the run's :class:`~cicd_agent.job.posted.PostedOutputs` as each post lands, never
    on this object. The outputs, summary and ``--json`` render :meth:`shown`."""

    @classmethod
    def posted_fields(cls) -> dict[str, Any]:
        """Each field only posting fills (:attr:`POSTED`), with its type: what the run's record
        of posting takes, and nothing else."""
        hints = get_type_hints(cls)
        return {item.name: hints[item.name] for item in fields(cls) if item.name in cls.POSTED}

    def shown(self, posted: Mapping[str, object]) -> Self:
        """A copy with what posting learnt (``posted``: field → value) for the renderings after
        publish; this result is left as decided (the copy shares no list of notes with it)."""
        update: dict[str, Any] = dict(posted)  # each value checked against its field's type
        shown = replace(self, **update)
        shown.notes = list(shown.notes)
        return shown

    def fields_json(self) -> dict[str, Any]:
        """Every field by name, in order, as JSON values: the structured half of ``--json``."""
        return _fields_json(self)

    def posted_outputs(self) -> frozenset[str]:
        """The outputs posting may learn: the pipeline writes them after publish, every other
        output before it (so a crash while posting still leaves the decided ones)."""
        return self.POSTED & self.mode_outputs().keys()

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
        """The issues and pull requests behind the links GitHub answered our posts with: in our
        words they stay links, while untrusted text's same link shows as text."""
        outputs = self.outputs()
        found = (linked(outputs[name]) for name in self.posted_outputs() if name.endswith("_url"))
        return tuple(sorted({ref for ref in found if ref is not None}, key=lambda r: r.number))

    def policy_failure(self, fail_on: str | None) -> str | None:
        """Why ``fail-on`` makes this run exit 1, or None. Modes override with their scale."""
        return None

    def gate_value(self) -> str | None:
        """The loosest ``fail-on`` under which this run would exit 1, where a gate would want
        to hear of it (review: its worst finding's level; deploy-gate: ``hold``), else None.
        With no ``fail-on`` set the step exits 0: the summary then says so and names it."""
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
        """The job summary; ``first`` (:mod:`.first_sentence`) comes before the headline."""
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
        """The ``--json`` document: every output by name with its step output's value, plus the
        structured result, typed (numbers as numbers, ``[]`` as a list). An empty value is left
        out, as its output is empty, so a reader tests for presence."""
        document = self.fields_json()
        document.update({name: as_json(value) for name, value in self.mode_outputs().items()})
        document["tokens_used"] = self.usage.tokens_used
        document["cost_usd"] = json_cost(self.usage.cost_usd)
        return without_empty(document)


def json_cost(cost_usd: float) -> float:
    """``cost_usd`` as ``--json`` shows it: the step output's six decimals, so the two agree."""
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
    if hasattr(value, "model_dump_json"):  # a model's answer, as pydantic read it
        return str(value.model_dump_json())
    if isinstance(value, list | tuple | dict) or (
        is_dataclass(value) and not isinstance(value, type)
    ):
        return json.dumps(as_json(value), separators=(",", ":"), sort_keys=False)
    return str(value)


def as_json(value: object) -> Any:
    """``value`` as ``--json`` shows it: a dataclass by its fields (but :data:`NOT_SHOWN`, or its
    own ``to_json``), a :class:`Fixed` as its number, containers as lists and objects."""
    if isinstance(value, Fixed):
        return round(value.value, value.places)
    if hasattr(value, "model_dump"):  # a model's answer, as pydantic read it
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_json"):  # a finding (its severity by name), a tool's run
            return as_json(value.to_json())
        return _fields_json(value)
    if isinstance(value, Mapping):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


def _fields_json(value: Any) -> dict[str, Any]:
    """A dataclass's fields by name, in order, as JSON values, but those :data:`NOT_SHOWN`."""
    return {
        item.name: as_json(getattr(value, item.name))
        for item in fields(value)
        if item.metadata.get("shown", True)
    }


OpinionT = TypeVar("OpinionT")
AnswerT = TypeVar("AnswerT")
ResultT = TypeVar("ResultT", bound=PlainResult)

Finished = tuple[ResultT, ExitCode]
"""What a mode's run returns, as :func:`finish` makes it: the result and the exit code it earns
(``Finished[ReviewResult]``)."""


class Mode(Protocol):
    """A mode as the CLI and the registry (:func:`cicd_agent.plugins.installed_modes`) see it."""

    @property
    def name(self) -> str: ...

    # Outputs written whenever the mode cannot finish, even before its options parse (a bad
    # flag): the safe answer a later job may branch on, e.g. deploy-gate's recommendation=hold.
    @property
    def fail_closed_outputs(self) -> Mapping[str, str]: ...

    def run(self, ctx: RunContext[Any]) -> Finished[PlainResult]:
        """Run the mode end to end: its wiring's steps in order (review's ``mode.run``)."""

    def failure_outputs(self, ctx: RunContext[Any]) -> dict[str, str]:
        """Outputs written when the mode cannot finish after its options parsed; they add to
        (and may refine) ``fail_closed_outputs``, e.g. with an audit record of the failure."""


def begin(
    ctx: RunContext[Any], *, phase: str = "", fail_on_choices: tuple[str, ...] | None = None
) -> None:
    """Before any I/O: every option typed and ``fail-on`` one of the mode's choices (or a phase's
    own scale); an unknown value is a usage error, never ignored: a typo must not turn a gate
    off."""
    _ = ctx.mode_options
    choices = ctx.fail_on_choices if fail_on_choices is None else fail_on_choices
    validate_fail_on(ctx.options.fail_on, choices, phase or ctx.mode_name)
    ctx.progress.stage("collect: reading what the run is about")


def announce_analyse(ctx: RunContext[Any]) -> None:
    ctx.progress.stage("analyse: the deterministic verdict")


def ask_model(
    ctx: RunContext[Any], ask: Callable[[ModelClient], OpinionT | None]
) -> OpinionT | None:
    """The model's opinion (``ask(model)``, handed the run's model), or None when no model is
    configured or it failed: a failure becomes a note and the deterministic result stands."""
    model = ctx.model
    if model is None:
        return None
    ctx.progress.stage(f"ask: the model ({model.config.model})")
    return model_answer(lambda: ask(model), ctx.note)


def model_answer(ask: Callable[[], AnswerT | None], note: Callable[[str], None]) -> AnswerT | None:
    """Where a failed ask step is caught: ``ask()``'s answer, or None with a note, so the run
    goes on with the deterministic result. A step that keeps part of its work past one failed
    call (a review's other calls, the description, a fix's test) catches that call itself and
    says what it kept."""
    try:
        return ask()
    except ModelError as exc:
        # the error may quote the model (a refusal, a key its answer should not have had)
        note(
            f"The model gave no usable answer ({prose(str(exc))}); the deterministic result stands."
        )
    return None


def finish(
    ctx: RunContext[Any], result: ResultT, publish: Callable[[ResultT], None]
) -> Finished[ResultT]:
    """Everything after decide, the same in every mode: the run's notes and tools into the
    result, outputs written around ``publish(result)``, the summary, annotations and the exit
    code the result earns under ``fail-on``."""
    _join_run_notes(ctx, result, decided=True)
    if missing := [tool.tool for tool in result.tools if tool.could_not_run]:
        # the first thing read never passes for a clean result ("0 findings"); a tool that ran
        # too left some of its work undone
        ran = {tool.tool for tool in result.tools if not tool.could_not_run}
        undone = [
            f"{', '.join(names)} {verb}"
            for names, verb in (
                (dict.fromkeys(t for t in missing if t not in ran), "could not run"),
                (dict.fromkeys(t for t in missing if t in ran), "did not check everything"),
            )
            if names
        ]
        result.headline += f" Incomplete: {'; '.join(undone)} (see Tools)."
    result.usage = ctx.usage_report()
    ctx.progress.stage(
        "publish: " + ("computing only (dry run)" if ctx.options.dry_run else "writing the results")
    )
    result, exit_code = _publish(publish, ctx, result)
    final: list[Annotation] = []
    if result.service_failure and exit_code is ExitCode.OK:
        final.append(Annotation("error", result.service_failure))
        exit_code = ExitCode.EXTERNAL
    reason = result.policy_failure(ctx.options.fail_on)
    if reason and exit_code is ExitCode.OK:
        said = f"fail-on {ctx.options.fail_on}: " if ctx.options.fail_on else ""
        final.append(Annotation("error", f"{said}{reason}"))
        exit_code = ExitCode.POLICY
    # The outcome is known before the summary is written: its first sentence says so.
    first = fail_on_sentence(ctx.options.fail_on, reason, int(exit_code))
    if not first and not ctx.options.fail_on and (value := result.gate_value()):
        first = unset_fail_on_sentence(value, result.policy_failure(value))
    ctx.runner.write_summary(
        posted(
            result.summary_markdown(first),
            allowed_links=ctx.own_links,
            references=(*result.references(), *result.posted_references()),
            limit=SUMMARY_LIMIT_BYTES,
        )
    )
    for annotation in result.annotations():
        ctx.runner.annotate(
            _at_most_warning(annotation)
            if exit_code is ExitCode.OK and not result.FINDINGS_ANNOTATED
            else annotation
        )
    for annotation in final:
        ctx.runner.annotate(annotation)
    return result, exit_code


def _publish(
    publish: Callable[[ResultT], None], ctx: RunContext[Any], decided: ResultT
) -> tuple[ResultT, ExitCode]:
    """The publish step between two writes of the outputs: the decided ones first, so a crash
    while posting leaves them for later steps, then what posting learnt and ``error``. Returns
    the result as shown and the exit code a failed publish earns."""
    outputs = decided.outputs()
    learnt = decided.posted_outputs() | {"error"}
    before = {name: value for name, value in outputs.items() if name not in learnt}
    ctx.runner.set_outputs(before)
    ctx.posted = PostedOutputs(decided.posted_fields())
    exit_code = ExitCode.OK
    # The `error` output: why the run could not finish (a service that failed the mode, or the
    # publishing), empty when it did.
    unfinished = decided.service_failure or ""
    failed: list[str] = []
    try:
        publish(decided)
    except GitHubWriteDenied as exc:
        failed.append(f"Could not publish to GitHub, results are in this summary: {exc}")
    except ExternalServiceError as exc:
        unfinished = f"Publishing to GitHub failed: {exc}"
        ctx.runner.annotate(Annotation("error", unfinished))
        exit_code = ExitCode.EXTERNAL
    finally:
        ctx.progress.end()
        shown = as_shown(ctx, decided, failed)
        if exit_code is ExitCode.EXTERNAL:
            shown.headline = f"{unfinished} {shown.headline}"
        shown.error = unfinished
        after = shown.outputs()
        ctx.runner.set_outputs({name: after[name] for name in after if name not in before})
    return shown, exit_code


def as_shown(ctx: RunContext[Any], decided: ResultT, failed: Sequence[str] = ()) -> ResultT:
    """``decided`` as the renderings after publish show it: what posting learnt so far, then
    ``failed`` (why posting stopped) and the run's notes and tools noted since decide. A publish
    step that writes a summary of its own asks for it here, so the notes join in one place."""
    shown = decided.shown(ctx.posted.values)
    shown.notes.extend(failed)
    _join_run_notes(ctx, shown)
    return shown


def _join_run_notes(ctx: RunContext[Any], result: PlainResult, *, decided: bool = False) -> None:
    """The one place the run's notes and tools join a result, each said once: the steps that
    hold the run (collect, ask, publish) note on it, analyse and decide return theirs in the
    result. A result as decide returned it (``decided``, joined by :func:`finish`) holds none of
    the run's yet: they come first, as collect and ask made them first. On a result that holds
    them (after publishing, or before a publish step writes a summary of its own), the ones
    noted since follow what it shows."""
    if decided:
        result.notes = list(dict.fromkeys([*ctx.notes, *result.notes]))
        result.tools = list(dict.fromkeys([*ctx.tools, *result.tools]))
    else:
        result.notes = list(dict.fromkeys([*result.notes, *ctx.notes]))
        result.tools = list(dict.fromkeys([*result.tools, *ctx.tools]))


def _at_most_warning(annotation: Annotation) -> Annotation:
    """An ``error`` annotation says why a step failed; on a run that exits 0 it is a warning."""
    if annotation.level != "error":
        return annotation
    return replace(annotation, level="warning")
