"""Do what the command asked and answer where it was asked.

``review``, ``gen-tests`` and ``explain-failure`` run their mode here (it publishes its own
review, patch or analysis); the reply then says what ran, at which commit, and where its output
is. Every reply goes to the comment's own place: the pull request's conversation, or the review
thread the comment is in. A mode that cannot finish still gets a reply saying so before the
error ends the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.actions.deadline import run_deadline
from cicd_agent.actions.errors import CicdError, ExitCode
from cicd_agent.actions.markdown import Reference, linked, neutralise, posted
from cicd_agent.modes.command.dispatch import (
    RUNS_A_MODE,
    NestedRunner,
    describe_change,
    mode_context,
)

if TYPE_CHECKING:
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.pipeline import PlainResult
    from cicd_agent.modes.command.options import CommandOptions
    from cicd_agent.modes.command.result import CommandResult
    from cicd_agent.modes.command.types import CommandFacts

REPLY_KEY = "command-reply"
"""Our reply's marker key, followed by ``:`` and the id of the command comment it answers."""
NOTES_SHOWN = 5
"""The mode's notes shown in the reply (an already reviewed head, a diff read from the API)."""
_LINKS = (("review_url", "the review"), ("comment_url", "the analysis"), ("summary_url", "summary"))


def publish(ctx: RunContext[CommandOptions], facts: CommandFacts, result: CommandResult) -> None:
    """Run what the command asked for and reply. What that did (how the mode ended, or that
    nothing was run after all, the reply worded from it, where the reply went) goes into the
    run's record (``ctx.posted``) as it is learnt, so the outputs say what ran and where the
    reply is however the step ends, a failure (raised) included."""
    if result.status == "ignored" or facts.number is None:
        return
    if result.status == "ran":
        try:
            _run(ctx, result, facts)
        except CicdError as exc:
            reply = f"`{result.command}` could not finish: {neutralise(exc.message)}"
            ctx.posted.record(status="failed", reply=reply)
            _reply(ctx, result, facts)
            raise
    _reply(ctx, result, facts)


def _run(ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts) -> None:
    """Run the command's mode for the pinned head and word the reply."""
    pull = facts.pull
    assert pull is not None
    head = pull.head_sha
    if result.command == "describe":
        _describe(ctx, pull)
        return
    flags: dict[str, object] = {}
    details: list[str] = []
    if result.command == "explain-failure":
        client = ctx.github
        assert client is not None
        failed = client.latest_failed_run(head)
        if failed is None:
            reply = f"No failed workflow run of commit `{head[:12]}` was found."
            ctx.posted.record(status="answered", reply=reply)
            return
        flags["run_id"] = failed.id
        details.append(f"Workflow run {failed.id} ({neutralise(failed.name)}): {failed.html_url}.")
        ctx.posted.record(details=details)
    target = RUNS_A_MODE[result.command]
    runner = NestedRunner(ctx.runner, ctx.environ)
    mode, run = mode_context(ctx, target, pull, runner=runner, **flags)
    try:
        # Its own deadline-minutes (the base commit's settings may shorten it), within what
        # is left of this step's, as the CLI arms a step's own.
        with run_deadline(run.options.deadline_minutes), run.resources:
            ran, code = mode.run(run)
    finally:  # a mode that could not finish still leaves its outputs and summary
        ctx.posted.record(ran_outputs=runner.outputs, ran_summary=runner.summary)
    ctx.posted.record(ran_mode=target, ran_exit_code=int(code), ran_headline=ran.headline)
    if code is ExitCode.EXTERNAL:
        ctx.posted.record(
            status="failed", service_failure=f"{target} could not finish: {ran.headline}"
        )
    reply = _ran_reply(ctx, target, ran, pull, details=details, written=facts.written_head)
    ctx.posted.record(reply=reply)


def _ran_reply(
    ctx: RunContext[CommandOptions],
    target: str,
    ran: PlainResult,
    pull: PullRequestInfo,
    *,
    details: list[str],
    written: str | None,
) -> str:
    """The reply after a mode ran: what ran at which commit, its headline, links and notes."""
    head = pull.head_sha
    outputs = ran.outputs()
    links = [f"[{label}]({outputs[key]})" for key, label in _LINKS if outputs.get(key)]
    lines = [
        f"Ran `{target}` at commit `{head[:12]}`, the pull request's head when this command ran.",
        *details,
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
    client = ctx.github  # the pull request's head now: it may have moved while the mode ran
    now = client.get_pull_request(pull.number).head_sha if client is not None else head
    if now != head:
        lines += ["", f"The head has moved to `{now[:12]}` since; comment again to cover it."]
    return "\n".join(lines)


def _describe(ctx: RunContext[CommandOptions], pull: PullRequestInfo) -> None:
    """Review's describe, at the pinned head: into the pull request's description, or, when
    that cannot be edited (a fork, a dry run, no permission), as the reply itself."""
    outcome = describe_change(ctx, pull)
    head = pull.head_sha[:12]
    if outcome.written_to == "body":
        reply = (
            f"Described the change at commit `{head}` in the pull request's description "
            "(its own section; the author's text is untouched)."
        )
        ctx.posted.record(ran_mode="describe", reply=reply)
        return
    why = neutralise(outcome.reason) if outcome.reason else "it could not be edited"
    reply = (
        f"The description of the change at commit `{head}` (not written into the pull "
        f"request: {why}):\n\n{outcome.markdown}"
    )
    ctx.posted.record(ran_mode="describe", status="answered", reply=reply)


def _reply(ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts) -> None:
    """Answer where the command was written, with what ``ctx.posted`` holds so far. The reply
    is keyed by the command comment's id: a re-run of the job (GitHub replays the same comment
    event) edits it, never posts a second."""
    so_far = result.shown(ctx.posted.values)
    text = so_far.reply.strip()
    number = facts.number
    if not text or number is None:
        return
    footer = []
    if result.head_sha and so_far.status == "answered" and result.command == "ask":
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
    ours = [linked(so_far.ran_outputs.get(key, "")) for key, _ in _LINKS]  # GitHub's URLs
    own = (Reference(number), *(reference for reference in ours if reference is not None))
    shown = posted(text, allowed_links=ctx.own_links, references=own)
    if result.thread is None:
        outcome = client.upsert_issue_comment(number, key, shown, reply=True)
    else:
        outcome = client.upsert_thread_reply(number, result.thread, key, shown)
    if outcome.status == "skipped":
        ctx.note(f"Skipped {outcome.what}: {outcome.reason}")
    ctx.posted.record(reply_url=outcome.url)
