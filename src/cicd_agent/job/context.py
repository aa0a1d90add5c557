"""Everything a mode needs for one run, passed in explicitly (no global settings object).

Heavy clients (the model SDK, PyGithub) are built on first use, so ``--help`` and offline runs
never import them, and a mode that needs no GitHub call never asks for a token. The model's
settings are validated (pydantic) only when a provider or a model setting is given.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from cicd_agent.actions.errors import ExternalServiceError, UsageError
from cicd_agent.actions.inputs import input_value
from cicd_agent.actions.markdown import code_span
from cicd_agent.actions.masking import is_secret_name, worth_hiding
from cicd_agent.actions.progress import Progress
from cicd_agent.actions.runner_io import RunnerIO
from cicd_agent.actions.withheld import withheld
from cicd_agent.analysis.redact import Redactor, known_secrets_from_env
from cicd_agent.job.options import Given
from cicd_agent.job.posted import PostedOutputs
from cicd_agent.job.repo_config import RepoConfig
from cicd_agent.local.checkout import GitCheckout
from cicd_agent.model.provider import Provider, model_choice
from cicd_agent.model.usage import ModelUsageReport

if TYPE_CHECKING:
    from datetime import date

    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.trust import Code, Trust
    from cicd_agent.job.events import Event
    from cicd_agent.job.resolve import CommonOptions, ResolvedRun
    from cicd_agent.model.client import ModelClient
    from cicd_agent.model.config import ModelConfig


OptionsT_co = TypeVar("OptionsT_co", covariant=True)
"""A mode's frozen options object (``modes/<mode>/options.py``)."""


@dataclass(frozen=True, kw_only=True)
class ToolRun:
    """One external tool the run started (a linter, a fixer, a test runner, zizmor): it ran, or
    it could not, and then why and how to fix it, so a tool that did not run never reads as
    a clean result."""

    tool: str
    could_not_run: str = ""
    """Why it did not run and how to fix it ("" when it ran)."""

    def line(self) -> str:
        said = f"could not run: {self.could_not_run}" if self.could_not_run else "ran"
        return f"- {code_span(self.tool)}: {said}"

    def to_json(self) -> dict[str, str]:
        return {"tool": self.tool, "could_not_run": self.could_not_run}


@dataclass
class RunContext(Generic[OptionsT_co]):
    """One run: options, the environment it was given, runner I/O, and lazily built clients.

    Typed by the mode's options (``RunContext[ReviewOptions]``), so a step reads
    ``ctx.mode_options.report_on`` and mypy knows what it gets."""

    mode_name: str
    options: CommonOptions
    given: Given
    """Every option's value as the run resolved it (flag, then input, then setting), before the
    mode typed it: what a failure path may still read when the mode's options did not build."""
    build_options: Callable[[Given], OptionsT_co]
    """How the mode turns ``given`` into its options (``ReviewOptions.from_given``)."""
    environ: Mapping[str, str]
    runner: RunnerIO
    today: date
    """The run's one day, read once when the run was resolved: the settings' quarantine
    expiries were checked against it, and analyse-failure judges them on it."""
    fail_on_choices: tuple[str, ...] = ()
    """The values ``fail-on`` may take, as the mode's ``arguments`` declares them (none: the
    mode has no policy, and any ``fail-on`` is refused)."""
    repo_config: RepoConfig = field(default_factory=RepoConfig)
    """``.github/cicd-agent.yml`` and the guidance files, as the trusted commit has them."""
    notes: list[str] = field(default_factory=list)
    tools: list[ToolRun] = field(default_factory=list)
    """The external tools the run started, each with why it could not run ("": it ran)."""
    progress: Progress = field(default_factory=lambda: Progress(None))
    """Stage and count lines on stderr (silent unless the CLI gives it a stream)."""
    resources: ExitStack = field(default_factory=ExitStack)
    """What the run holds open (temporary folders, worktrees): closed by whoever started the
    run, after it, so no mode keeps an instance to hold them."""
    posted: PostedOutputs = field(default_factory=PostedOutputs)
    """What the publish step learnt by posting; the pipeline gives it a fresh record, taking
    the result's posted fields, before publish runs."""
    _commit_trusts: dict[str, Trust] = field(default_factory=dict, repr=False)
    _pull_trusts: dict[int, Trust] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls, run: ResolvedRun, build_options: Callable[[Given], OptionsT_co], runner: RunnerIO
    ) -> RunContext[OptionsT_co]:
        """The context of the run ``run`` resolved, noting where its settings were read from;
        ``build_options`` types the mode's options on their first read."""
        ctx = cls(
            mode_name=run.mode,
            fail_on_choices=run.fail_on_choices,
            options=run.common,
            given=run.given,
            build_options=build_options,
            environ=run.environ,
            runner=runner,
            repo_config=run.settings,
            today=run.today,
        )
        if run.event is not None:
            ctx.event = run.event  # already loaded to find the trusted commit; not read twice
        if run.settings.source is not None:
            ctx.note(f"Settings read from {run.settings.source} (workflow inputs take precedence).")
        return ctx

    def __post_init__(self) -> None:
        for secret in self.redactor.known:
            self.runner.mask(secret)
        # Everything posted while the run is open is redacted with its secrets first. What no
        # process it starts may be handed is narrower: the secrets cicd-agent itself was given
        # (a flag's, an input's, the token; its own variables the process seam knows by name),
        # not the workflow's own secret-named variables, which trusted code's tests may need.
        given = [*given_secrets(self.given), *([self.github_token] if self.github_token else [])]
        self.resources.enter_context(withheld(self.redactor.redact, given))

    @cached_property
    def mode_options(self) -> OptionsT_co:
        """The mode's typed options, built and checked once per run, so every step reads the
        same object and a file an option names is read once. Built on first read: a mode's
        ``run`` reads it before any I/O, so a bad value stops the run there, with this context
        (its notes, the fail-closed outputs) in place."""
        return self.build_options(self.given)

    def note(self, message: str) -> None:
        """Something the reader must know (a degraded publish, a model failure, a missing
        signal)."""
        if message not in self.notes:
            self.notes.append(message)

    def tool(self, name: str, could_not_run: str = "") -> None:
        """Record that the external tool ``name`` ran, or why it could not and how to fix it."""
        run = ToolRun(tool=name, could_not_run=could_not_run)
        if run not in self.tools:
            self.tools.append(run)

    def temp_file(self, name: str) -> Path:
        """Where a file for later steps goes (a patch, a SARIF log, an excerpt): ``name`` under
        ``$RUNNER_TEMP`` (the runner empties it after each job), never in the checkout. Off a
        runner, in the system temp folder with this process's id in the name, so two runs on
        one machine never overwrite each other's file."""
        runner_temp = self.environ.get("RUNNER_TEMP")
        if runner_temp:
            return Path(runner_temp) / name
        return Path(tempfile.gettempdir()) / f"{Path(name).stem}-{os.getpid()}{Path(name).suffix}"

    def runner_file(self, name: str) -> Path | None:
        """Where a file only this job's later steps read goes (a SARIF log, a log excerpt):
        ``name`` under ``$RUNNER_TEMP``, which the runner empties after the job. Off a runner
        None: such a file is written only where the user asks, never left in the temporary
        folder."""
        runner_temp = self.environ.get("RUNNER_TEMP")
        return Path(runner_temp) / name if runner_temp else None

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
        """Knows every secret value this run holds, whichever way it came in (the environment,
        an input, a flag: :func:`given_secrets`), plus the shapes of common credentials."""
        return Redactor([*known_secrets_from_env(self.environ), *given_secrets(self.given)])

    @cached_property
    def event(self) -> Event:
        # Imported here: the event models are built on first use, not when a mode is imported.
        from cicd_agent.job.resolve import load_event

        return load_event(self.options.event_path, self.options.event_name)

    @cached_property
    def checkout(self) -> GitCheckout:
        """The repository's checkout (``--repo``), opened once per run: every step reads git
        through this one object, so refs and merge bases are resolved once."""
        return GitCheckout(self.options.repo_dir)

    @cached_property
    def has_event(self) -> bool:
        """Whether an event payload was given at all (local runs work from flags alone)."""
        return self.options.event_path is not None

    @cached_property
    def model_config(self) -> ModelConfig | None:
        """The model's settings, validated, and the provider's choice said in the log; None
        when there is nothing to validate: provider none and no model setting given."""
        choice = model_choice(self.given, self.environ)
        config = None
        if not choice.offline:  # only then pydantic, which validates the settings
            from cicd_agent.model.config import model_config_from

            config = model_config_from(choice)
        self.runner.info(choice.provider.reason)
        if choice.key is not None:
            self.runner.mask(choice.key.value)
        return config

    @property
    def provider(self) -> Provider:
        """The run's model provider (its settings read and checked on first use)."""
        return "none" if self.model_config is None else self.model_config.provider

    @cached_property
    def model(self) -> ModelClient | None:
        """The model client, or None when the provider is ``none`` (offline).

        The provider is checked first so an offline run never imports the SDK, the costliest
        import a run can make."""
        config = self.model_config
        if config is None or config.provider == "none":
            return None
        from cicd_agent.model.client import build_model_client
        from cicd_agent.model.tokens import context_note

        client = build_model_client(config)
        if client is not None:
            client.on_request = self.progress.say
            for name in dict.fromkeys((config.model, config.fast_model)):
                note = context_note(name, config.context_tokens)
                if note is not None:  # prompts are cut to a guess: say which setting fixes it
                    self.runner.info(note)
        return client

    def share_model(self, parent: RunContext[object]) -> None:
        """Make this run (a mode another mode runs) use ``parent``'s model client when both
        resolved the same model settings, else a client of its own (none when its provider is
        none) counting into ``parent``'s usage, so the two runs' usage adds up."""
        config = self.model_config
        if config is None:  # offline: no client to share
            self.model = None
        elif config == parent.model_config:
            self.model = parent.model
        else:
            from cicd_agent.model.client import build_model_client

            shared = parent.model.usage if parent.model is not None else None
            self.model = build_model_client(config, usage=shared)

    def usage_report(self) -> ModelUsageReport:
        if "model" not in self.__dict__ or self.model is None:
            provider = self.provider if "model_config" in self.__dict__ else "none"
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
    def trust(self) -> Trust:
        """Whom the event's pull request came from, as GitHub's API answers (read once a run, by
        number); trusted with nothing without a pull request, a token or an answer."""
        pull = self.event.pull_request if self.has_event else None
        return self.trust_of(pull.number if pull is not None else None)

    @property
    def code_is_proof(self) -> bool:
        """Whether the code the checkout holds came from someone who can push (review's
        suggestion check, gen-tests): :func:`~cicd_agent.github.trust.code_trust`'s answer."""
        from cicd_agent.github.trust import code_trust

        return code_trust(self.checkout_code(), self).code_is_proof

    def checkout_code(self) -> Code:
        """The code the checkout holds, as GitHub can be asked about it: the event's pull
        request; on any other event (a push, a dispatch, a comment, a schedule) the commit
        checked out (:attr:`checked_out`; on a push, only while it is the pushed commit) on the
        event's branches; with no event, the operator's own checkout."""
        from cicd_agent.github.trust import Code

        if not self.has_event:
            return Code(local=True)
        if self.event.pull_request is not None:
            return Code(pull=self.event.pull_request.number)
        return Code(sha=self.checked_out, branches=self._branches())

    def push_trust(self) -> Trust:
        """A push event's code, on what the event says: someone who can push put the commit
        ``after`` on a branch of this repository (GitHub sends the event for nothing else), so
        the checkout is pushed code while it holds that commit. Any other commit, or no push
        event, is trusted with nothing."""
        from cicd_agent.github.trust import Trust

        pushed = self.has_event and self.event.push is not None and bool(self.checked_out)
        return Trust.pushed() if pushed else Trust.unknown()

    @cached_property
    def checked_out(self) -> str:
        """The commit the checkout holds, the one every trust of a run without a pull request
        is about ("" when it is no repository), read once a run. On a push event, "" unless it
        is the pushed commit (``after``): a re-run, or a workflow that checks out another ref,
        holds code the event does not vouch for, and a note says so."""
        try:
            head = self.checkout.resolve("HEAD")
        except (UsageError, OSError):
            return ""
        push = self.event.push if self.has_event else None
        if push is not None and head != push.after:
            self.note(
                f"The checkout holds {head[:12]}, which is not the pushed commit "
                f"{push.after[:12]}: its code is trusted with nothing."
            )
            return ""
        return head

    def _branches(self) -> tuple[str, ...]:
        """The branches a pushed commit would be on: the event's (a push's ``ref``, a merge
        group's queue branch, else ``GITHUB_REF``'s), a merge group's base, the repository's
        default. A replayed event (``--event``) names them without the runner's variables."""
        push, group = self.event.push, self.event.merge_group
        ref = push.ref if push is not None else group.head_ref if group is not None else ""
        refs = (ref or self.environ.get("GITHUB_REF", ""), group.base_ref if group else "")
        named = [r.removeprefix("refs/heads/") if r.startswith("refs/heads/") else "" for r in refs]
        repository = self.event.repository
        return *named, (repository.default_branch or "") if repository is not None else ""

    def trust_of(self, number: int | None) -> Trust:
        """Whom pull request ``number`` came from, as GitHub's API answers (read once a run per
        number); trusted with nothing without a number, a token or an answer (the note says
        which)."""
        from cicd_agent.github.trust import Trust

        if number is None or self.github is None:
            return Trust.unknown()
        if number not in self._pull_trusts:
            try:
                self._pull_trusts[number] = self.github.trust(number)
            except ExternalServiceError as exc:
                self.note(
                    f"Who opened the pull request is unknown ({exc.message}): trusted with nothing."
                )
                self._pull_trusts[number] = Trust.unknown()
        return self._pull_trusts[number]

    def commit_trust(self, sha: str, branches: Sequence[str]) -> Trust:
        """Whom commit ``sha``'s code came from, as GitHub's API answers for the commit (read
        once a run per commit: :func:`~cicd_agent.github.trust.read_commit_trust`), never the
        event's name; trusted with nothing without a commit, a token or an answer."""
        from cicd_agent.github.trust import Trust

        if not sha or self.github is None:
            return Trust.unknown()
        if sha not in self._commit_trusts:
            try:
                self._commit_trusts[sha] = self.github.commit_trust(sha, branches)
            except ExternalServiceError as exc:
                self.note(
                    f"Whose commit {sha[:12]} is, is unknown ({exc.message}): trusted with nothing."
                )
                self._commit_trusts[sha] = Trust.unknown()
        return self._commit_trusts[sha]

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
        # PyGithub is imported here, only with a token: it costs more than the rest of a run's
        # imports (tests/project/test_mode_imports.py).
        from cicd_agent.github.client import connect
        from cicd_agent.github.settings import settings_from_env

        return connect(
            settings_from_env(
                self.environ,
                token=self.github_token,
                repo=self.repository,
                dry_run=self.options.dry_run,
            )
        )


def given_secrets(given: Given) -> list[str]:
    """The secret values among a run's options, whether a flag, an input or a setting gave
    them: a secret-named option's value (``--prometheus-token``), and the password of any
    option's URL (``https://user:password@host``), as written and decoded."""
    found: list[str] = []
    for name, value in given.items():
        if not isinstance(value, str):
            continue
        secret = is_secret_name(name)
        if secret:
            found.append(value)
        if "://" in value and "@" in value:  # a URL with a user: only then the database's module
            from cicd_agent.local.audit_db import secrets_of  # the URL's parts libpq may quote

            found += [part for part in secrets_of(value) if secret or part != value]
    return [value for value in found if worth_hiding(value)]


def failure_redactor(ctx: RunContext[object] | None, environ: Mapping[str, str]) -> Redactor:
    """What the one exit path redacts with: the run's redactor, or (no run was made) one
    knowing the secrets ``environ`` holds."""
    return ctx.redactor if ctx is not None else Redactor(known_secrets_from_env(environ))


def failure_usage(ctx: RunContext[object] | None) -> ModelUsageReport:
    """The model usage the one exit path reports: the run's, or none when no run was made."""
    return ctx.usage_report() if ctx is not None else ModelUsageReport()
