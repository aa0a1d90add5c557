"""Do what the command asked and answer where it was asked.

``review``, ``gen-tests`` and ``explain-failure`` run their mode here (it publishes its own
review, patch or analysis); the reply then says what ran, at which commit, and where its output
is. Every reply goes to the comment's own place: the pull request's conversation, or the review
thread the comment is in. A mode that cannot finish still gets a reply saying so before the
error ends the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cicd_agent.modes.command.dispatch import (
    RUNS_A_MODE,
    NestedRunner,
    mode_context,
    review_change,
    review_entry,
)
from cicd_agent.runner.deadline import run_deadline
from cicd_agent.runner.errors import CicdError, ExitCode
from cicd_agent.runner.markdown import Reference, linked, neutralise, posted

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.command.options import CommandOptions
    from cicd_agent.modes.command.result import CommandResult, Status
    from cicd_agent.modes.command.types import CommandFacts

REPLY_KEY = "command-reply"
"""Our reply's marker key, followed by ``:`` and the id of the command comment it answers."""
NOTES_SHOWN = 5
"""The mode's notes shown in the reply (an already reviewed head, a diff read from the API)."""
_LINKS = (("review_url", "the review"), ("comment_url", "the analysis"), ("summary_url", "summary"))


@dataclass
class Posted:
    """What this step learns as it goes: how the mode the command ran ended (or that nothing
    was run after all), the reply worded from it, and where the reply went. The reply is
    worded from it before it is posted; it goes into the run's record (``ctx.posted``) when
    the step ends, however it ends, so the outputs say what ran and where the reply is."""

    status: Status | None = None
    reply: str | None = None
    ran_mode: str = ""
    ran_exit_code: int = 0
    ran_headline: str = ""
    ran_outputs: dict[str, str] = field(default_factory=dict)
    ran_summary: str = ""
    details: list[str] = field(default_factory=list)
    service_failure: str | None = None
    reply_url: str = ""

    def learnt(self, result: CommandResult) -> dict[str, object]:
        """The result's fields this changes (``CommandResult.POSTED``): only those set."""
        changed: dict[str, object] = {
            "status": self.status,
            "reply": self.reply,
            "ran_mode": self.ran_mode,
            "ran_exit_code": self.ran_exit_code,
            "ran_headline": self.ran_headline,
            "ran_outputs": {**result.ran_outputs, **self.ran_outputs} if self.ran_outputs else None,
            "ran_summary": self.ran_summary,
            "details": [*result.details, *self.details] if self.details else None,
            "service_failure": self.service_failure,
            "reply_url": self.reply_url,
        }
        learnt = {name: value for name, value in changed.items() if value not in (None, "", 0)}
        return learnt | ({} if self.reply is None else {"reply": self.reply})


def publish(ctx: RunContext[CommandOptions], facts: CommandFacts, result: CommandResult) -> None:
    """Run what the command asked for and reply. What that did goes into this step's own
    :class:`Posted` as it goes, and into the run's record when the step ends, a failure
    (raised) included."""
    if result.status == "ignored" or facts.number is None:
        return
    done = Posted()
    try:
        if result.status == "ran":
            try:
                _run(ctx, result, facts, done)
            except CicdError as exc:
                done.status = "failed"
                done.reply = f"`{result.command}` could not finish: {neutralise(exc.message)}"
                _reply(ctx, result, facts, done)
                raise
        _reply(ctx, result, facts, done)
    finally:
        ctx.posted.record(**done.learnt(result))


def _run(
    ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts, done: Posted
) -> None:
    """Run the command's mode for the pinned head and word the reply."""
    pull = facts.pull
    assert pull is not None
    head = pull.head_sha
    if result.command == "describe":
        _describe(ctx, pull, done)
        return
    flags: dict[str, object] = {}
    if result.command == "explain-failure":
        client = ctx.github
        assert client is not None
        failed = client.latest_failed_run(head)
        if failed is None:
            done.status = "answered"
            done.reply = f"No failed workflow run of commit `{head[:12]}` was found."
            return
        flags["run_id"] = failed.id
        done.details.append(
            f"Workflow run {failed.id} ({neutralise(failed.name)}): {failed.html_url}."
        )
    target = RUNS_A_MODE[result.command]
    runner = NestedRunner(ctx.runner, ctx.environ)
    mode, run = mode_context(ctx, target, pull, runner=runner, **flags)
    try:
        # Its own deadline-minutes (the base commit's settings may shorten it), within what
        # is left of this step's, as the CLI arms a step's own.
        with run_deadline(run.options.deadline_minutes), run.resources:
            ran, code = mode.run(run)
    finally:  # a mode that could not finish still leaves its outputs and summary
        done.ran_outputs, done.ran_summary = runner.outputs, runner.summary
    done.ran_mode, done.ran_exit_code = target, int(code)
    done.ran_headline = ran.headline
    if code is ExitCode.EXTERNAL:
        done.status = "failed"
        done.service_failure = f"{target} could not finish: {ran.headline}"
    done.reply = _ran_reply(ctx, done, ran, pull, facts.written_head)


def _ran_reply(
    ctx: RunContext[CommandOptions],
    done: Posted,
    ran: ModeResult,
    pull: PullRequestInfo,
    written: str | None,
) -> str:
    """The reply after a mode ran: what ran at which commit, its headline, links and notes."""
    head = pull.head_sha
    outputs = ran.outputs()
    links = [f"[{label}]({outputs[key]})" for key, label in _LINKS if outputs.get(key)]
    lines = [
        f"Ran `{done.ran_mode}` at commit `{head[:12]}`, the pull request's head when this command ran.",
        *done.details,
        "",
        neutralise(ran.headline, allowed_links=ctx.own_links),
    ]
    if links:
        lines += ["", "See " + ", ".join(links) + "."]
    notes = [neutralise(note) for note in ran.notes[:NOTES_SHOWN]]
    if notes:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {note}" for note in notes] + ["", "</details>"]
    if written and written != head:  # a line comment records the head it was written at
        lines += ["", f"The comment was written at `{written[:12]}`; the head had moved on since."]
    moved = _moved(ctx, pull)
    if moved:
        lines += ["", f"The head has moved to `{moved[:12]}` since; comment again to cover it."]
    return "\n".join(lines)


def _describe(ctx: RunContext[CommandOptions], pull: PullRequestInfo, done: Posted) -> None:
    """Review's describe, at the pinned head: into the pull request's description, or, when
    that cannot be edited (a fork, a dry run, no permission), as the reply itself."""
    run, facts = review_change(ctx, pull)
    outcome = review_entry().describe(ctx, pull, facts, run)
    for note in run.notes:  # the model's, asked in review's run
        ctx.note(note)
    done.ran_mode = "describe"
    head = pull.head_sha[:12]
    if outcome.written_to == "body":
        done.reply = (
            f"Described the change at commit `{head}` in the pull request's description "
            "(its own section; the author's text is untouched)."
        )
        return
    done.status = "answered"
    why = neutralise(outcome.reason) if outcome.reason else "it could not be edited"
    done.reply = (
        f"The description of the change at commit `{head}` (not written into the pull "
        f"request: {why}):\n\n{outcome.markdown}"
    )


def _reply(
    ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts, done: Posted
) -> None:
    """Answer where the command was written. The reply is keyed by the command comment's id:
    a re-run of the job (GitHub replays the same comment event) edits it, never posts a second."""
    text = (result.reply if done.reply is None else done.reply).strip()
    number = facts.number
    if not text or number is None:
        return
    footer = []
    status = done.status or result.status
    if result.head_sha and status == "answered" and result.command == "ask":
        footer.append(f"About commit `{result.head_sha[:12]}`.")
    asked = facts.comment.html_url
    if result.thread is None and asked and any(asked.startswith(p) for p in ctx.own_links):
        footer.append(f"In reply to [this comment]({asked}).")  # GitHub's URL, not the writer's
    if footer:
        text += f"\n\n<sub>{' '.join(footer)}</sub>"
    if ctx.options.dry_run:
        ctx.runner.show_untrusted(text)
    client = ctx.github
    if client is None:
        ctx.note("No GitHub token: the reply was not posted; it is in this summary.")
        return
    key = f"{REPLY_KEY}:{facts.comment.id}"
    ours = [linked(done.ran_outputs.get(key, "")) for key, _ in _LINKS]  # GitHub's URLs
    own = (Reference(number), *(reference for reference in ours if reference is not None))
    shown = posted(text, allowed_links=ctx.own_links, references=own)
    if result.thread is None:
        outcome = client.upsert_issue_comment(number, key, shown, reply=True)
    else:
        outcome = client.upsert_thread_reply(number, result.thread, key, shown)
    if outcome.status == "skipped":
        ctx.note(f"Skipped {outcome.what}: {outcome.reason}")
    done.reply_url = outcome.url


def _moved(ctx: RunContext[CommandOptions], pull: PullRequestInfo) -> str | None:
    """The pull request's head now, when it is not the one the command ran on."""
    client: GitHubClient | None = ctx.github
    if client is None:
        return None
    now = client.get_pull_request(pull.number).head_sha
    return now if now != pull.head_sha else None
