"""Do what the command asked and answer where it was asked.

``review``, ``gen-tests`` and ``explain-failure`` run their mode here (it publishes its own
review, patch or analysis); the reply then says what ran, at which commit, and where its output
is. Every reply goes to the comment's own place: the pull request's conversation, or the review
thread the comment is in. A mode that cannot finish still gets a reply saying so before the
error ends the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cicd_agent.github.comments import upsert_issue_comment, upsert_thread_reply
from cicd_agent.github.pulls import get_pull_request
from cicd_agent.github.threads import latest_failed_run
from cicd_agent.modes.command.dispatch import (
    RUNS_A_MODE,
    NestedRunner,
    mode_context,
    review_change,
)
from cicd_agent.modes.review.describe import describe_pull_request
from cicd_agent.runner.errors import CicdError, ExitCode, UsageError
from cicd_agent.runner.markdown import neutralise, posted

if TYPE_CHECKING:
    from cicd_agent.github.client import GitHubClient
    from cicd_agent.github.models import PullRequestInfo
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.result import ModeResult
    from cicd_agent.modes.command.collect import CommandFacts
    from cicd_agent.modes.command.options import CommandOptions
    from cicd_agent.modes.command.result import CommandResult

REPLY_KEY = "command-reply"
"""Our reply's marker key, followed by ``:`` and the id of the command comment it answers."""
NOTES_SHOWN = 5
"""The mode's notes shown in the reply (an already reviewed head, a diff read from the API)."""
_LINKS = (("review_url", "the review"), ("comment_url", "the analysis"), ("summary_url", "summary"))


def publish(ctx: RunContext[CommandOptions], facts: CommandFacts, result: CommandResult) -> None:
    if result.status == "ignored" or facts.number is None:
        return
    if result.status == "ran":
        try:
            _run(ctx, result, facts)
        except CicdError as exc:
            result.status = "failed"
            result.reply = f"`{result.command}` could not finish: {neutralise(exc.message)}"
            _reply(ctx, result, facts)
            raise
    _reply(ctx, result, facts)


def _run(ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts) -> None:
    """Run the command's mode for the pinned head and word the reply."""
    pull = facts.pull
    assert pull is not None
    head = pull.head_sha
    if result.command == "describe":
        _describe(ctx, result, pull)
        return
    flags: dict[str, object] = {}
    written = ctx.event.pull_request.head.sha if ctx.event.pull_request else None
    if result.command == "gen-tests" and written and written != head:
        # gen-tests runs the pull request's code: only the code the writer saw when commenting.
        result.status = "answered"
        result.reply = (
            f"The head moved from `{written[:12]}` to `{head[:12]}` after this comment was "
            "written; no test was run. Comment again to run on the new head."
        )
        return
    if result.command == "gen-tests" and not _checked_out(ctx, head):
        result.status = "answered"
        result.reply = (
            f"The checkout is not the pull request's head `{head[:12]}` (it moved after this "
            "job started, or the workflow checks out another commit); no test was run. "
            "Comment again to run on the new head."
        )
        return
    if result.command == "explain-failure":
        client = ctx.github
        assert client is not None
        failed = latest_failed_run(client, head)
        if failed is None:
            result.status = "answered"
            result.reply = f"No failed workflow run of commit `{head[:12]}` was found."
            return
        flags["run_id"] = failed.id
        result.details.append(
            f"Workflow run {failed.id} ({neutralise(failed.name)}): {failed.html_url}."
        )
    target = RUNS_A_MODE[result.command]
    runner = NestedRunner(ctx.runner, ctx.environ)
    mode, run = mode_context(ctx, target, pull, runner=runner, **flags)
    try:
        with run.resources:  # this nested run's own: closed when it ends
            ran, code = mode.run(run)
    finally:  # a mode that could not finish still leaves its outputs and summary
        result.ran_outputs, result.ran_summary = runner.outputs, runner.summary
    result.ran_mode, result.ran_exit_code = target, int(code)
    result.ran_headline = ran.headline
    if code is ExitCode.EXTERNAL:
        result.status = "failed"
        result.service_failure = f"{target} could not finish: {ran.headline}"
    result.reply = _ran_reply(ctx, result, ran, pull, written)


def _ran_reply(
    ctx: RunContext[CommandOptions],
    result: CommandResult,
    ran: ModeResult,
    pull: PullRequestInfo,
    written: str | None,
) -> str:
    """The reply after a mode ran: what ran at which commit, its headline, links and notes."""
    head = pull.head_sha
    outputs = ran.outputs()
    links = [f"[{label}]({outputs[key]})" for key, label in _LINKS if outputs.get(key)]
    lines = [
        f"Ran `{result.ran_mode}` at commit `{head[:12]}`, the pull request's head when this command ran.",
        *result.details,
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


def _describe(
    ctx: RunContext[CommandOptions], result: CommandResult, pull: PullRequestInfo
) -> None:
    """Review's describe, at the pinned head: into the pull request's description, or, when
    that cannot be edited (a fork, a dry run, no permission), as the reply itself."""
    _, facts = review_change(ctx, pull)
    outcome = describe_pull_request(ctx, pull, facts)
    result.ran_mode = "describe"
    head = pull.head_sha[:12]
    if outcome.written_to == "body":
        result.reply = (
            f"Described the change at commit `{head}` in the pull request's description "
            "(its own section; the author's text is untouched)."
        )
        return
    result.status = "answered"
    why = neutralise(outcome.reason) if outcome.reason else "it could not be edited"
    result.reply = (
        f"The description of the change at commit `{head}` (not written into the pull "
        f"request: {why}):\n\n{outcome.markdown}"
    )


def _reply(ctx: RunContext[CommandOptions], result: CommandResult, facts: CommandFacts) -> None:
    """Answer where the command was written. The reply is keyed by the command comment's id:
    a re-run of the job (GitHub replays the same comment event) edits it, never posts a second."""
    text = result.reply.strip()
    number = facts.number
    if not text or number is None:
        return
    footer = []
    if result.head_sha and result.status == "answered" and result.command == "ask":
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
        result.details.append(text)
        return
    key = f"{REPLY_KEY}:{facts.comment.id}"
    shown = posted(text, allowed_links=ctx.own_links)
    if result.thread is None:
        outcome = upsert_issue_comment(client, number, key, shown, reply=True)
    else:
        outcome = upsert_thread_reply(client, number, result.thread, key, shown)
    if outcome.status == "skipped":
        ctx.note(f"Skipped {outcome.what}: {outcome.reason}")
    result.reply_url = outcome.url


def _checked_out(ctx: RunContext[CommandOptions], head: str) -> bool:
    """Whether the checkout is the pinned head: gen-tests runs the code it has on disk."""
    try:
        return ctx.checkout.resolve("HEAD") == head
    except UsageError:
        return False


def _moved(ctx: RunContext[CommandOptions], pull: PullRequestInfo) -> str | None:
    """The pull request's head now, when it is not the one the command ran on."""
    client: GitHubClient | None = ctx.github
    if client is None:
        return None
    now = get_pull_request(client, pull.number).head_sha
    return now if now != pull.head_sha else None
