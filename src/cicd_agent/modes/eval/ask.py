"""The model's answers: each case's request asked ``repeats`` times, through the run's model
client (the endpoint and key of the action's settings), and the graded asserts put to the same
trusted model.

A request byte-identical on both sides is asked once, so a case the pull request did not touch
shares its answers and shows no difference. Answers are kept in ``cache-dir`` by the request,
the endpoint and the sample's index (the third sample of a request is always the same answer
once asked); a failed request is never kept. ``max-cost`` is checked before every request: once
the run's cost reaches it, or a request is for a model with no known price (whose cost the cap
cannot count), nothing more is asked and the run says it stopped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from cicd_agent.actions.bounded_json import JsonRefused
from cicd_agent.actions.bounded_json import load as load_json
from cicd_agent.actions.errors import ModelError
from cicd_agent.model.prompts import UNTRUSTED_RULES, fence
from cicd_agent.modes.eval.cases import Case
from cicd_agent.modes.eval.checks import Check

if TYPE_CHECKING:
    from cicd_agent.model.client import ModelClient

MAX_ANSWER = 64 * 1024
"""Characters of an answer judged and kept: the asserts run on it, a report never shows it."""


class Stopped(Exception):
    """The cost cap was reached before this request."""


class Grade(BaseModel):
    """The grader's verdict on one answer against one rubric."""

    model_config = ConfigDict(defer_build=True)
    reason: str = Field(max_length=2000)
    passed: bool


GRADER = (
    "You grade one answer of an AI system against a rubric written by its team. Reply with "
    "passed true only when the answer meets the rubric. " + UNTRUSTED_RULES
)


@dataclass
class Sample:
    """One answer, or why there is none."""

    text: str = ""
    error: str = ""


@dataclass
class Asker:
    client: ModelClient
    repeats: int
    cache: Path | None
    max_cost: float | None
    endpoint: str
    say: Callable[[str], None] = lambda _: None
    asked: int = 0
    unanswered: int = 0
    memo: dict[str, list[Sample]] = field(default_factory=dict)
    grades: dict[str, bool | str] = field(default_factory=dict)

    def spent(self) -> float:
        return self.client.usage.cost_usd

    def _check_cost(self, model: str) -> None:
        if self.max_cost is None:
            return
        if not self.client.usage.priced(model):
            raise Stopped(
                f"the run stopped before asking {model}: it has no known price, so max-cost "
                f"${self.max_cost:g} cannot bound it (give its price in model-prices, or set "
                "model)"
            )
        if self.spent() >= self.max_cost:
            raise Stopped(
                f"the run stopped at max-cost ${self.max_cost:g} (spent ${self.spent():.4f} "
                f"after {self.asked} requests): the comparison is not complete"
            )

    def samples(self, case: Case) -> list[Sample]:
        """``repeats`` answers to the case's request (shared with every identical request)."""
        request = case.request()
        if request not in self.memo:
            self.memo[request] = [self._sample(case, request, i) for i in range(self.repeats)]
        return self.memo[request]

    def _key(self, *parts: str) -> str:
        return hashlib.sha256(json.dumps([self.endpoint, *parts]).encode()).hexdigest()

    def _kept(self, key: str) -> str | None:
        path = self.cache / f"{key}.json" if self.cache else None
        if path is None or not path.is_file():
            return None
        try:
            value = load_json(path.read_bytes())
        except (JsonRefused, OSError):
            return None
        return value.get("answer") if isinstance(value, dict) else None

    def _keep(self, key: str, answer: str) -> None:
        if self.cache is not None:
            self.cache.mkdir(parents=True, exist_ok=True)
            (self.cache / f"{key}.json").write_text(json.dumps({"answer": answer}), "utf-8")

    def _sample(self, case: Case, request: str, index: int) -> Sample:
        key = self._key(request, str(index))
        kept = self._kept(key)
        if kept is not None:
            return Sample(kept)
        self._check_cost(case.model)
        self.asked += 1
        self.say(f"asking {case.model}: request {self.asked}")
        settings: dict[str, Any] = dict(case.options)
        try:
            text = self.client.complete(
                [{"role": role, "content": content} for role, content in case.messages],  # type: ignore[misc]
                model=case.model,
                temperature=_number(settings.get("temperature")),
                top_p=_number(settings.get("top_p")),
                seed=_whole(settings.get("seed")),
                max_tokens=_whole(settings.get("max_tokens")),
                stop=tuple(str(s) for s in _listed(settings.get("stop"))),
                presence_penalty=_number(settings.get("presence_penalty")),
                frequency_penalty=_number(settings.get("frequency_penalty")),
            )
        except ModelError as error:
            self.unanswered += 1
            return Sample(error=f"the model gave no answer: {error}")
        self._keep(key, text[:MAX_ANSWER])
        return Sample(text[:MAX_ANSWER])

    def grade(self, check: Check, answer: str) -> bool | str:
        """Whether the trusted model finds ``answer`` meets the rubric, or why it could not
        say (an error is a failed sample and is not kept)."""
        key = self._key("grade", self.client.config.model, check.kind, str(check.value), answer)
        if key in self.grades:
            return self.grades[key]
        kept = self._kept(key)
        if kept is not None:
            return kept == "pass"
        self._check_cost(self.client.config.model)
        self.asked += 1
        self.say(f"grading with the model: request {self.asked}")
        task = "a rubric" if check.kind == "llm-rubric" else "a criterion the answer must meet"
        try:
            verdict = self.client.ask(
                Grade,
                system=GRADER,
                user=f"The rubric ({task}):\n{fence('rubric', str(check.value))}\n\n"
                f"The answer:\n{fence('answer', answer)}",
            )
        except ModelError as error:
            self.unanswered += 1
            return f"the grader gave no verdict: {error}"
        self.grades[key] = verdict.passed
        self._keep(key, "pass" if verdict.passed else "fail")
        return verdict.passed


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _listed(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
