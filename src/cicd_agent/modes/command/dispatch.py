"""Running another mode for the pull request a command is about, pinned to one head commit.

A comment event carries no head commit (``issue_comment``) or the one current when it was
written (``pull_request_review_comment``); the head may have moved since. The command reads the
pull request once from the API and runs the mode on a ``pull_request`` event built from that
answer, so every step of the mode (diff, review, check run) works on the same commit, and the
reply names it.

The mode gets the options it would get as a step of its own: this step's common flags (model,
provider, dry run), the workflow's inputs, then the repository's settings for that mode from
the pull request's base commit (never its head), then what this step's own section sets, then
the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cicd_agent.actions.errors import CicdError
from cicd_agent.actions.runner_io import RunnerIO
from cicd_agent.job.change_reader import ReadsChanges
from cicd_agent.job.context import RunContext
from cicd_agent.job.events import Event, Invoker
from cicd_agent.job.flags import declared_by, options_of
from cicd_agent.job.options import Given
from cicd_agent.job.payloads import Branch, PullRequest, Repository, User
from cicd_agent.job.repo_config import load as load_repo_config
from cicd_agent.job.repo_config import trusted_commit
from cicd_agent.job.resolve import CommonOptions, resolve_run
from cicd_agent.modes.command.options import CommandOptions
from cicd_agent.plugins import plugin, plugin_sections

if TYPE_CHECKING:
    from datetime import date

    from cicd_agent.actions.markdown import Neutral
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.change_reader import ChangeReading, DescribeOutcome
    from cicd_agent.job.flags import ModeArguments
    from cicd_agent.job.pipeline import Mode
    from cicd_agent.job.repo_config import RepoConfig

RUNS_A_MODE = {"review": "review", "gen-tests": "gen-tests", "explain-failure": "analyse-failure"}
"""The commands that run a mode, and the mode each runs."""


def runnable(name: str) -> tuple[Mode, ModeArguments, Callable[[Given], object]]:
    """Mode ``name``, its declared options and what builds its typed options, from the
    registry: a command runs another mode through its public entry, never its modules."""
    entry = plugin(name)
    return entry.load(), entry.arguments(), entry.options()


def change_reader(name: str) -> ReadsChanges:
    """Mode ``name``, from the registry, as a reader of changes: what a command uses of a mode
    besides running it is that seam, never the mode's own modules."""
    reader = plugin(name).change_reader()
    if not isinstance(reader, ReadsChanges):
        raise CicdError(f"the installed mode {name!r} does not read changes for other modes")
    return reader


class NestedRunner(RunnerIO):
    """The runner of a mode a command runs: annotations, masks and what a terminal is shown
    go where the command's go, but outputs and the summary are kept here and folded into the
    command's result, so the step writes each output and its summary once."""

    def __init__(self, parent: RunnerIO, environ: Mapping[str, str]) -> None:
        super().__init__(environ, commands=parent._commands, human=parent._human)
        self._masked = parent._masked
        self.outputs: dict[str, str] = {}
        self.summary = ""

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        self.outputs.update(outputs)

    def write_summary(self, markdown: Neutral) -> None:
        self.summary += markdown if markdown.endswith("\n") else markdown + "\n"


def pull_request_event(ctx: RunContext[CommandOptions], pull: PullRequestInfo) -> Event:
    """The ``pull_request`` event a mode would have had, at the pinned head, invoked by a
    command (:attr:`Invoker.COMMAND`): a review it runs may publish on a fork's pull request
    too, since a comment's workflow holds the base repository's token. Whether the code is trusted
    is not read from this event but asked of GitHub (:attr:`RunContext.trust`)."""
    view = PullRequest(
        number=pull.number,
        title=pull.title,
        body=pull.body,
        head=Branch(sha=pull.head_sha, ref=pull.head_ref, repo=_repository(pull.head_repo)),
        base=Branch(sha=pull.base_sha, ref=pull.base_ref, repo=_repository(pull.base_repo)),
        draft=pull.draft,
        user=User(login=pull.author) if pull.author else None,
        html_url=pull.html_url or None,
    )
    return Event(
        name="pull_request",
        path=ctx.options.event_path,
        repository=ctx.event.repository,
        sender=ctx.event.sender,
        pull_request=view,
        invoked_by=Invoker.COMMAND,
    )


def _repository(full_name: str) -> Repository | None:
    if full_name.count("/") != 1:
        return None  # the head's fork was deleted
    owner, name = full_name.split("/")
    return Repository(full_name=full_name, name=name, owner=User(login=owner))


def mode_context(
    ctx: RunContext[CommandOptions],
    name: str,
    pull: PullRequestInfo,
    *,
    runner: RunnerIO | None = None,
    **flags: object,
) -> tuple[Mode, RunContext[Any]]:
    """Mode ``name`` and its run context for ``pull``; ``flags`` set its own options, and
    ``runner`` is the run's own (this step's when None: a collect that writes no outputs). A
    review publishes on a fork's pull request too (see :func:`pull_request_event`)."""
    mode, arguments, build_options = runnable(name)
    options = tuple(options_of(declared_by(arguments)))
    own = {option.dest for option in options}
    # This step's common options, as its command line or workflow gave them, stand in for the
    # mode's flags; ``flags`` set its own. What this step's section of the settings file gave
    # ranks below the mode's own section (``review: provider: none`` holds under
    # ``command: provider: openai``).
    flags = {dest: value for dest, value in ctx.given.stated().items() if dest in own} | flags
    settable = {option.name for option in options if option.setting}
    inherited = {key: text for key, text in ctx.repo_config.inputs.items() if key in settable}

    def settings_for(
        early: CommonOptions, base: str | None, today: date
    ) -> tuple[Event | None, RepoConfig]:
        sections = plugin_sections()
        settings = load_repo_config(ctx.options.repo_dir, pull.base_sha, name, today, sections)
        if settings.source is None and not settings.guidance:
            # The base commit is not in the checkout (the comment's workflow checks out the
            # default branch): that branch's settings are the next trusted ones.
            commit = trusted_commit(ctx.event, None)
            settings = load_repo_config(ctx.options.repo_dir, commit, name, today, sections)
        if inherited and settings.source is None:
            settings = replace(settings, source=ctx.repo_config.source)
        return None, replace(settings, inputs=inherited | dict(settings.inputs))

    resolved = resolve_run(
        name, arguments, flags, ctx.environ, settings_for=settings_for, today=ctx.today
    )
    run = RunContext.of(resolved, build_options, ctx.runner if runner is None else runner)
    run.event = pull_request_event(ctx, pull)
    # The mode's model follows its own options, as in a step of its own (the base commit's
    # `review: provider: none` keeps a comment's review offline); one usage count for the
    # whole run, so the reply and the outputs add up. The mode gets a GitHub client of its
    # own: a write GitHub refused it (a commit comment the job has no `contents: write` for)
    # must not stop the reply, which the job's permissions do allow.
    run.share_model(ctx)
    return mode, run


def review_change(
    ctx: RunContext[CommandOptions], pull: PullRequestInfo
) -> tuple[RunContext[Any], ChangeReading]:
    """Review's reading of ``pull`` at the pinned head, in review's run context (its settings
    from the base commit): what ``ask`` knows of the change. Nothing of earlier reviews is
    read (a question needs the change, not the review's memory); the step's notes join this
    run's."""
    _, run = mode_context(ctx, "review", pull)
    reading = change_reader("review").read_change(run)
    for note in run.notes:
        ctx.note(note)
    return run, reading


def describe_change(ctx: RunContext[CommandOptions], pull: PullRequestInfo) -> DescribeOutcome:
    """Review's describe at the pinned head, asked in review's run context, written by
    ``ctx``; the step's notes (the model's) join this run's."""
    _, run = mode_context(ctx, "review", pull)
    outcome = change_reader("review").describe_change(ctx, pull, run)
    for note in run.notes:
        ctx.note(note)
    return outcome
