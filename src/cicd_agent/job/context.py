"""Everything a mode needs for one run, passed in explicitly (no global settings object).

Heavy clients (the model SDK, PyGithub) are built on first use, so ``--help`` and offline runs
never import them, and a mode that needs no GitHub call never asks for a token.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, Self, TypeVar, cast

from cicd_agent.analysis.redact import Redactor, known_secrets_from_env
from cicd_agent.job.options import CommonOptions
from cicd_agent.job.repo_config import RepoConfig
from cicd_agent.model.usage import ModelUsageReport
from cicd_agent.runner.inputs import input_value
from cicd_agent.runner.progress import Progress
from cicd_agent.runner.runner_io import RunnerIO

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.job.events import Event
    from cicd_agent.model.client import ModelClient
    from cicd_agent.model.config import ModelConfig


class ModeOptions(Protocol):
    """A mode's frozen options object (``modes/<mode>/options.py``)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Self: ...


_OptionsT = TypeVar("_OptionsT", bound=ModeOptions)


@dataclass
class RunContext:
    """One run: options, the environment it was given, runner I/O, and lazily built clients."""

    mode_name: str
    options: CommonOptions
    args: argparse.Namespace
    environ: Mapping[str, str]
    runner: RunnerIO
    repo_config: RepoConfig = field(default_factory=RepoConfig)
    """``.github/cicd-agent.yml`` and the guidance files, as the trusted commit has them."""
    notes: list[str] = field(default_factory=list)
    progress: Progress = field(default_factory=lambda: Progress(None))
    """Stage and count lines on stderr (silent unless the CLI gives it a stream)."""
    _mode_options: dict[type, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for secret in self.redactor.known:
            self.runner.mask(secret)

    def mode_options(self, kind: type[_OptionsT]) -> _OptionsT:
        """The mode's typed options, built and checked from the parsed flags once per run, so
        every step reads the same object and a file an option names is read once."""
        if kind not in self._mode_options:
            self._mode_options[kind] = kind.from_args(self.args)
        return cast(_OptionsT, self._mode_options[kind])

    def note(self, message: str) -> None:
        """Something the reader must know (a degraded publish, a model failure, a missing signal)."""
        if message not in self.notes:
            self.notes.append(message)

    @property
    def server_url(self) -> str:
        """The GitHub server this run belongs to (GHES sets its own), without a trailing /."""
        return (self.environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")

    @property
    def own_links(self) -> tuple[str, ...]:
        """The one place model text may still link to: this repository on its GitHub server."""
        return (f"{self.server_url}/{self.repository}/",) if self.repository else ()

    @cached_property
    def redactor(self) -> Redactor:
        """Knows every secret value this run holds, plus the shapes of common credentials."""
        return Redactor(known_secrets_from_env(self.environ))

    @cached_property
    def event(self) -> Event:
        # Imported here: the event models are built on first use, not when a mode is imported.
        from cicd_agent.job.events import load_event

        return load_event(self.options.event_path, self.options.event_name)

    @cached_property
    def has_event(self) -> bool:
        """Whether an event payload was given at all (local runs work from flags alone)."""
        return self.options.event_path is not None

    @cached_property
    def model_config(self) -> ModelConfig:
        # +6 modules (pydantic's SecretStr among them; python -X importtime): offline runs skip it.
        from cicd_agent.model.config import model_config_from

        config, reason = model_config_from(self.options, self.environ)
        self.runner.info(reason)
        if config.api_key is not None:
            self.runner.mask(config.api_key.get_secret_value())
        return config

    @cached_property
    def model(self) -> ModelClient | None:
        """The model client, or None when the provider is ``none`` (offline).

        The provider is checked first so an offline run never imports the SDK (about a second)."""
        if self.model_config.provider == "none":
            return None
        from cicd_agent.model.client import build_model_client
        from cicd_agent.model.tokens import context_note

        config = self.model_config
        client = build_model_client(config)
        if client is not None:
            client.on_request = self.progress.say
            for name in dict.fromkeys((config.model, config.fast_model)):
                note = context_note(name, config.context_tokens)
                if note is not None:  # prompts are cut to a guess: say which setting fixes it
                    self.runner.info(note)
        return client

    def usage_report(self) -> ModelUsageReport:
        if "model" not in self.__dict__ or self.model is None:
            provider = self.model_config.provider if "model_config" in self.__dict__ else "none"
            return ModelUsageReport(provider=provider)
        return self.model.usage.report()

    @cached_property
    def github_token(self) -> str | None:
        token = input_value(self.environ, "github-token") or self.environ.get("GITHUB_TOKEN")
        if token:
            self.runner.mask(token)
        return token or None

    @cached_property
    def repository(self) -> str | None:
        """``owner/name`` of the repository the event is about."""
        from_env = self.environ.get("GITHUB_REPOSITORY")
        if from_env:
            return from_env
        if self.has_event and self.event.repository is not None:
            return self.event.repository.full_name
        return None

    @cached_property
    def github(self) -> GitHubClient | None:
        """The GitHub facade, or None (with a note) when there is no token or repository."""
        if self.github_token is None:
            self.note(
                "No GitHub token (input github-token or GITHUB_TOKEN): nothing was read from "
                "or written to GitHub."
            )
            return None
        if self.repository is None:
            self.note("No repository (GITHUB_REPOSITORY or the event): GitHub was not contacted.")
            return None
        # PyGithub: +371 modules, about a second (python -X importtime); only with a token.
        from cicd_agent.github.client import connect, settings_from_env

        return connect(
            settings_from_env(
                self.environ,
                token=self.github_token,
                repo=self.repository,
                dry_run=self.options.dry_run,
            )
        )
