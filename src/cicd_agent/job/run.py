"""What a run offers the core's services (recording a decision, scoring a change's risk,
opening a sandbox), read-only: the run context (:class:`~cicd_agent.job.context.RunContext`)
is one, and mypy checks it at every call.

A service takes this rather than the run context so it need not import the context (nor the
context the service), and so a test may hand it a small object with only what that service
reads. Everything here is named for type checks alone, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cicd_agent.actions.progress import Progress
    from cicd_agent.actions.runner_io import RunnerIO
    from cicd_agent.analysis.redact import Redactor
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.local.checkout import GitCheckout


class Run(Protocol):
    """One run as its services see it: which mode, its environment, repository and server,
    its token, GitHub and checkout, every secret it holds (its redactor's: none may reach a
    sandbox), where a secret is masked and untrusted text shown (its runner), where the
    stage is said, and where what the reader must know is noted."""

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
    def note(self, message: str, /) -> None: ...
