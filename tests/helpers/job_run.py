"""A run known only by its job's environment, for tests that open the run's sandbox without a
whole run context (the test step's runs): it holds the secrets that environment holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cicd_agent.analysis.redact import Redactor, known_secrets_from_env


@dataclass(frozen=True)
class JobRun:
    environ: Mapping[str, str]

    @property
    def redactor(self) -> Redactor:
        return Redactor(known_secrets_from_env(self.environ))
