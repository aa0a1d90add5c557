"""What a run offers the core's services (recording a decision, scoring risk, opening a sandbox),
read-only: the run context is one, and mypy checks it at every call. A service takes this rather
than the context so neither imports the other, and a test may hand it a small object; named for
type checks alone, so importing it costs nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cicd_agent.actions.progress import Progress
    from cicd_agent.actions.runner_io import RunnerIO
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.local.checkout import GitCheckout
    from cicd_agent.model.client import ModelClient


class Run(Protocol):
    """One run as its services see it: its mode, environment, repository, GitHub, checkout and
    model (None: offline), every secret it holds (none may reach a sandbox), and where it masks,
    shows untrusted text, says its stage, notes what the reader must know and records an external
    tool it ran."""

    @property
    def mode_name(self) -> str: ...
    @property
    def environ(self) -> Mapping[str, str]: ...
    @property
    def repository(self) -> str | None: ...
    @property
    def server_url(self) -> str: ...
    @property
    def github_token(self) -> str | None: ...
    @property
    def github(self) -> GitHubClient | None: ...
    @property
    def checkout(self) -> GitCheckout: ...
    @property
    def redactor(self) -> Redactor: ...
    @property
    def runner(self) -> RunnerIO: ...
    @property
    def progress(self) -> Progress: ...
    @property
    def model(self) -> ModelClient | None: ...
    def note(self, message: str, /) -> None: ...
    def tool(self, name: str, could_not_run: str = "", /) -> None: ...
