"""The cases one side of an eval asks (:mod:`.config` makes them from the promptfoo config): a
prompt asked of one model with one test's variables, and how its answer is judged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cicd_agent.modes.eval.checks import Check
from cicd_agent.modes.eval.template import render


@dataclass(frozen=True)
class Provider:
    key: str
    model: str
    options: tuple[tuple[str, Any], ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Prompt:
    key: str
    text: str
    error: str = ""


@dataclass(frozen=True)
class Case:
    """One prompt asked of one model with one test's variables, and how its answer is judged."""

    key: str
    """What pairs the case with the other side's: the test's description (else its vars), the
    prompt's label (else its place) and the provider's label (else its place)."""
    where: tuple[str, int]
    """The config file and line of the test."""
    model: str = ""
    messages: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, Any], ...] = ()
    checks: tuple[Check, ...] = ()
    threshold: float | None = None
    error: str = ""
    """Why the case cannot be asked ("" when it can): a failure on this side."""
    judge_error: str = ""
    """Why its asserts cannot be judged ("" when they can): a failure on this side."""
    prompt: str = ""
    """The prompt before its variables are filled in."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    """The test's variables, ``file://`` ones read from this side's commit."""

    @property
    def seed(self) -> Any:
        return dict(self.options).get("seed")

    def seeded(self, seed: Any) -> Case:
        """This case asked with ``seed`` (another side's; None: no seed) instead of its own."""
        options = [(name, value) for name, value in self.options if name != "seed"]
        options += [("seed", seed)] if seed is not None else []
        return replace(self, options=tuple(sorted(options)))

    def asked_with(self, variables: Mapping[str, Any]) -> Case:
        """This case's prompt filled in with ``variables`` (another side's) instead of its own;
        a case that cannot be asked stays as it is."""
        if self.error or variables == self.variables:
            return self
        try:
            messages = chat(render(self.prompt, variables))
        except ValueError as why:
            return replace(self, messages=(), variables=variables, error=str(why))
        return replace(self, messages=messages, variables=variables)

    def request(self) -> str:
        """The request as bytes would be sent: two cases with the same one share answers."""
        return json.dumps(
            {"model": self.model, "messages": self.messages, "options": self.options},
            sort_keys=True,
            ensure_ascii=False,
        )


@dataclass(frozen=True)
class Suite:
    path: str
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = field(default=())


def chat(text: str) -> tuple[tuple[str, str], ...]:
    """The messages of a prompt: a JSON list of ``{role, content}`` is a chat as written, any
    other text one user message (as promptfoo sends it)."""
    if text.lstrip().startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(
            isinstance(m, dict)
            and m.get("role") in ("system", "user", "assistant")
            and isinstance(m.get("content"), str)
            for m in parsed
        ):
            return tuple((m["role"], m["content"]) for m in parsed)
    return (("user", text),)
