"""What a step returns cannot be written by the steps after it: every mode's facts, verdict and
opinion types are frozen (a frozen dataclass or a frozen pydantic model), so a later step that
tried to set a field on them would fail under mypy and at run time; publish returns nothing,
and what it learns by posting goes into the run's record (``ctx.posted``), only under names
its result declares posted (``PlainResult.POSTED``).

The types are read from each step's own return annotation (resolving the names its module
imports only for type checking), so a new mode or a new step type is checked without being
listed here.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import inspect
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cicd_agent.job.pipeline import PlainResult
from cicd_agent.job.posted import PostedOutputs
from cicd_agent.modes.analyse_failure import mode as ANALYSE_FAILURE
from cicd_agent.modes.command import mode as COMMAND
from cicd_agent.modes.deploy_gate import mode as DEPLOY_GATE
from cicd_agent.modes.deploy_gate.canary import mode as CANARY
from cicd_agent.modes.gen_tests import mode as GEN_TESTS
from cicd_agent.modes.review import mode as REVIEW
from cicd_agent.modes.review.handoff.collect import collect_handoff
from cicd_agent.modes.review.result import ReviewResult

HANDOFF = types.SimpleNamespace(
    collect_handoff=collect_handoff,
    analyse_handoff=REVIEW.analyse_handoff,
    decide=REVIEW.decide,
    publish=REVIEW.publish,
)
"""The hand-off phase's steps as review's ``publish_handoff`` calls them (its collect is imported
there when the phase runs, so the wiring module does not hold it)."""

STEPS: dict[str, Any] = {
    "review": REVIEW,
    "review hand-off": HANDOFF,
    "gen-tests": GEN_TESTS,
    "analyse-failure": ANALYSE_FAILURE,
    "deploy-gate": DEPLOY_GATE,
    "deploy-gate canary": CANARY,
    "command": COMMAND,
}
HANDED_ON = ("collect", "lint", "analyse", "ask")
"""The steps whose value later steps read (decide's result is the pipeline's to finish)."""


def _type_checking_names(module: types.ModuleType) -> dict[str, Any]:
    """The names ``module`` imports under ``if TYPE_CHECKING:``, imported for real (but for
    the few that exist only for the type checker, e.g. :class:`cicd_agent.job.flags.ModeArguments`)."""
    tree = ast.parse(inspect.getsource(module))
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                block = ast.Module(body=[statement], type_ignores=[])
                with contextlib.suppress(ImportError):
                    exec(compile(block, module.__file__ or "<mode>", "exec"), names)
    return names


ALSO_NAMED = {
    "collect": ("collect_handoff",),
    "analyse": ("judge_samples", "analyse_handoff"),
}
"""Steps named for what they do (the canary's judge, the hand-off's collect)."""


def step(steps: object, method: str) -> Any:
    """The function a wiring module calls for ``method``, or None when it has no such step."""
    names = (method, *ALSO_NAMED.get(method, ()))
    return next((getattr(steps, n) for n in names if hasattr(steps, n)), None)


def _hints(steps: object, method: str) -> dict[str, Any]:
    """The resolved annotations of a step: the function a mode's wiring module calls for it
    (each ``mode.py`` imports its steps by name)."""
    function = step(steps, method)
    module = sys.modules[function.__module__]
    scope = {**vars(module), **_type_checking_names(module)}
    return typing.get_type_hints(function, globalns=scope)


def _returned(steps: object, method: str) -> list[type]:
    """The classes a step's annotation says it returns (None left out)."""
    hint = _hints(steps, method)["return"]
    if typing.get_origin(hint) is tuple:  # collect's facts and the live handle the wiring
        hint = typing.get_args(hint)[0]  # hands to ask (a meter, a verifier): not a step type
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return [member for member in members if member is not type(None)]


def _frozen(kind: type) -> bool:
    if dataclasses.is_dataclass(kind):
        return bool(kind.__dataclass_params__.frozen)  # type: ignore[attr-defined]
    if issubclass(kind, BaseModel):
        return bool(kind.model_config.get("frozen"))
    return False


KNOWN_THAWED = {
    "JobScan": "modes/analyse_failure/logs/reader.py: the one pass over a log builds it as it reads",
    "StepScan": "modes/analyse_failure/logs/reader.py: the one pass over a log builds it as it reads",
    "Hit": "modes/analyse_failure/logs/reader.py: the one pass over a log builds it as it reads",
    "History": "github/run_history.py: the reader adds each attempt as it lists them",
    "PackedFile": "analysis/packing.py: packing sets the token count once measured",
    "PromptPart": "analysis/packing.py: packing sets the token count once measured",
}
"""Parts of step types still built field by field where they are made (no later step writes
them: the audit found none), each with where and why; remove an entry once its type is
frozen (a test below fails when one is)."""


def _class_hints(kind: type) -> dict[str, Any]:
    module = sys.modules[kind.__module__]
    scope = {**vars(module), **_type_checking_names(module)}
    return typing.get_type_hints(kind, globalns=scope)


def _parts(kind: type) -> set[type]:
    """The dataclasses a dataclass holds in its fields (directly, in an optional, a list or a
    tuple), and theirs, found from the resolved annotations."""
    found: set[type] = set()
    todo = [kind]
    while todo:
        current = todo.pop()
        if not dataclasses.is_dataclass(current):
            continue
        hints = _class_hints(current)
        for field in dataclasses.fields(current):
            stack = [hints[field.name]]
            while stack:
                hint = stack.pop()
                stack.extend(typing.get_args(hint))
                origin = typing.get_origin(hint) or hint
                new = isinstance(origin, type) and origin not in found
                if new and dataclasses.is_dataclass(origin):
                    found.add(origin)
                    todo.append(origin)
    return found


def _step_types(mode: str) -> dict[str, type]:
    steps = STEPS[mode]
    named = [m for m in HANDED_ON if step(steps, m) is not None]
    kinds = {f"{m} -> {k.__qualname__}": k for m in named for k in _returned(steps, m)}
    for name, kind in list(kinds.items()):
        kinds.update({f"{name} / {part.__qualname__}": part for part in _parts(kind)})
    return kinds


@pytest.mark.parametrize("mode", sorted(STEPS))
def test_what_a_step_hands_on_is_frozen(mode: str) -> None:
    """The step types and the dataclasses they hold (a facts object's publish plan, …)."""
    kinds = _step_types(mode)
    assert kinds, f"{mode}: no step type found"
    thawed = sorted(
        name
        for name, kind in kinds.items()
        if not _frozen(kind) and kind.__qualname__ not in KNOWN_THAWED
    )
    assert not thawed, f"{mode}: later steps could write into {thawed}"


def test_the_known_thawed_parts_are_still_thawed() -> None:
    everything = {kind.__qualname__: kind for mode in STEPS for kind in _step_types(mode).values()}
    frozen_now = sorted(name for name in KNOWN_THAWED if _frozen(everything[name]))
    assert not frozen_now, f"remove from KNOWN_THAWED: {frozen_now}"


@pytest.mark.parametrize("mode", sorted(STEPS))
def test_publish_takes_the_decided_result_and_returns_nothing(mode: str) -> None:
    """publish's annotation: it takes the very result type decide returns and returns None,
    so no step hands back a result another step made."""
    steps = STEPS[mode]
    decided = _returned(steps, "decide")
    assert len(decided) == 1 and issubclass(decided[0], PlainResult), decided
    hints = _hints(steps, "publish")
    assert hints["result"] is decided[0]
    assert hints["return"] is type(None), hints["return"]


@pytest.mark.parametrize("mode", sorted(STEPS))
def test_what_publish_may_record_is_a_field_of_its_result(mode: str) -> None:
    """``POSTED`` names fields the renderings read, so what publish records reaches them."""
    [decided] = _returned(STEPS[mode], "decide")
    unknown = decided.POSTED - set(decided.posted_fields())
    assert not unknown, unknown


def test_the_run_record_refuses_a_name_the_result_does_not_declare_or_a_wrong_value() -> None:
    """``decision`` is decide's, not posting's; ``review_event`` is one of GitHub's events."""
    record = PostedOutputs(ReviewResult.posted_fields())
    record.record(review_url="https://github.com/o/r/pull/1#pullrequestreview-1")
    with pytest.raises(TypeError, match="decision"):
        record.record(decision="comment")
    with pytest.raises(ValidationError):
        record.record(review_event="approve")
    with pytest.raises(ValidationError):
        record.record(rejected_comments="2")
    with pytest.raises(TypeError):
        PostedOutputs().record(review_url="https://github.com/o/r/pull/1")
    assert record.values == {"review_url": "https://github.com/o/r/pull/1#pullrequestreview-1"}


def test_a_frozen_step_type_refuses_a_write() -> None:
    """The check above means something: writing a field of a frozen facts object raises."""
    facts_type = _returned(REVIEW, "collect")[0]
    field = dataclasses.fields(facts_type)[0].name
    fake = object.__new__(facts_type)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(fake, field, None)


def _classes(hint: Any) -> Iterator[type]:
    """The classes an annotation names: itself, or those inside an optional, a list, a tuple."""
    stack = [hint]
    while stack:
        hint = stack.pop()
        stack.extend(typing.get_args(hint))
        origin = typing.get_origin(hint) or hint
        if isinstance(origin, type):
            yield origin


def _live(kind: type) -> bool:
    """A handle on something open: it closes (``close``, ``__exit__``: a sandbox, a client,
    a connection), or one of ours is made from such a handle (a coverage meter is built on a
    sandbox, a verifier on its runs)."""
    if issubclass(kind, PurePath):
        return False  # a name; Python 3.11's Path is still a (no-op) context manager
    if hasattr(kind, "__exit__") or hasattr(kind, "close"):
        return True
    ours = kind.__module__.startswith("cicd_agent.")
    if not ours or dataclasses.is_dataclass(kind) or issubclass(kind, BaseModel):
        return False  # data: its own fields are step-type parts, checked as such
    module = sys.modules[kind.__module__]
    scope = {**vars(module), **_type_checking_names(module)}
    made_from = typing.get_type_hints(kind.__init__, globalns=scope)
    return any(_live(part) for hint in made_from.values() for part in _classes(hint))


@pytest.mark.parametrize("mode", sorted(STEPS))
def test_what_a_step_hands_on_holds_no_live_handle(mode: str) -> None:
    """Facts are data: what needs the sandbox or a client gets it from the mode's
    wiring as an argument (analyse-failure's verifier, gen-tests' coverage meter), never from
    a field of a step type, which later steps and tests can copy, compare and keep."""
    live = sorted(
        f"{name}.{field}: {part.__qualname__}"
        for name, kind in _step_types(mode).items()
        for field, hint in _class_hints(kind).items()
        for part in _classes(hint)
        if _live(part)
    )
    assert not live, f"{mode}: live handles in step types: {live}"
