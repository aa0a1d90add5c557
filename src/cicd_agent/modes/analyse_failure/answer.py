"""The schema of analyse-failure's diagnosis call: what the model answers about one failed run
(strict structured output: every field required). It imports nothing of the mode, so the step
types (:mod:`.types`) and the prompt (:mod:`.prompt`) both stand on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from cicd_agent.modes.analyse_failure.log_facts import FailureType

FixType = Literal[
    "code", "test", "dependency", "configuration", "infrastructure", "retry", "investigate"
]


class FixRecommendation(BaseModel):
    """What to change, in words (every field required: strict structured output). No patch: the
    only patch offered is the fix step's, once checked in the sandbox."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    type: FixType
    description: str

    @model_validator(mode="before")
    @classmethod
    def _without_patch(cls, data: object) -> object:
        """A model that still writes a patch (a provider that does not enforce the schema, or
        one prompted by an older release) keeps its diagnosis; the unchecked patch is dropped."""
        if isinstance(data, dict) and "patch" in data:
            return {key: value for key, value in data.items() if key != "patch"}
        return data


class FailureAnswer(BaseModel):
    """The model's answer about one failed run: the schema of the diagnosis call."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    root_cause: str
    failure_type: FailureType
    responsible_files: list[str]
    responsible_commit: str | None
    fix: FixRecommendation
    confidence: float
    is_flaky: bool
    flaky_evidence: list[str]
