"""gen-tests' publish step: the patch file, and with ``push`` the accepted tests committed to the
pull request's own branch (:mod:`cicd_agent.local.push`: how, with git, leaving the checkout
alone), when every condition holds (:func:`refusal`).

Every write of the mode happens here, from the decided result (the patch decide rendered) and
the facts (the options). ``CICD_AGENT_GIT_REMOTE_URL`` exists for tests only: it replaces the
GitHub remote with another URL (a local bare repository) so the whole push runs end to end
without a network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import GitHubWriteDenied, UsageError
from cicd_agent.actions.markdown import commit_message as made_message
from cicd_agent.local.checkout_files import write_output
from cicd_agent.local.push import (
    BranchMoved,
    Remote,
    checked_out_head,
    commit_and_push,
    git_environment,
    header_scope,
)
from cicd_agent.modes.gen_tests.reports import AcceptedFile
from cicd_agent.modes.gen_tests.result import GenTestsResult
from cicd_agent.modes.gen_tests.types import GenTestsFacts, GenTestsVerdict

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.payloads import PullRequest
    from cicd_agent.modes.gen_tests.options import GenTestsOptions

REMOTE_URL_OVERRIDE = "CICD_AGENT_GIT_REMOTE_URL"
"""Tests only: push to this URL instead of ``GITHUB_SERVER_URL``/``owner/name``."""
_SUBJECT_MODULES = 3
"""Modules named in the commit subject; the body lists every file."""


def publish(
    ctx: RunContext[GenTestsOptions],
    facts: GenTestsFacts,
    verdict: GenTestsVerdict,
    result: GenTestsResult,
) -> None:
    """Write the patch file when tests were accepted (its folder is created), then, when
    ``push`` asks and every condition holds, commit and push them, else note why; the pushed
    commit goes into the run's record (``ctx.posted``) as the ``pushed_sha`` output.

    A token that cannot write (403, protected branch) raises :class:`GitHubWriteDenied`, which
    the pipeline turns into a note; any other failure of git raises an
    :class:`ExternalServiceError` (exit 3).
    """
    if not result.patch_path:
        return
    try:
        write_output(ctx.options.repo_dir, Path(result.patch_path), result.patch.encode("utf-8"))
    except OSError as exc:
        raise UsageError(
            f"The patch file could not be written to {result.patch_path}: {exc.strerror or exc}."
        ) from exc
    if not facts.options.push or not result.accepted:
        return
    fallback = f"the accepted tests are in the patch file {result.patch_path}"
    repo = ctx.options.repo_dir.resolve()
    pull = ctx.event.pull_request if ctx.has_event else None
    token = ctx.github_token
    redact = ctx.redactor.redact
    why_not = refusal(
        dry_run=ctx.options.dry_run,
        pull=pull,
        has_token=token is not None,
        checkout_head=lambda: checked_out_head(repo, ctx.environ, redact),
    )
    if why_not is not None:
        ctx.note(f"push was requested, but {why_not}; {fallback}.")
        return
    # refusal() returned None: a same-repository pull request and a token.
    assert pull is not None and pull.head.repo is not None and token is not None
    server = ctx.server_url
    repository = pull.head.repo.full_name
    remote = Remote(
        url=ctx.environ.get(REMOTE_URL_OVERRIDE) or f"{server}/{repository}.git",
        branch=pull.head.ref,
        lease=pull.head.sha,
        header_scope=header_scope(server),
    )
    try:
        sha = commit_and_push(
            repo,
            remote,
            Path(result.patch_path),
            message=commit_message(result.accepted),
            env=git_environment(ctx.environ, token, remote.header_scope),
            redact=redact,
        )
    except BranchMoved as exc:
        ctx.note(f"push was requested, but {exc}; nothing was overwritten, {fallback}.")
        return
    except GitHubWriteDenied as exc:
        raise GitHubWriteDenied(f"{exc.message}; {fallback}.", hint=exc.hint) from exc
    ctx.note(
        f"Committed {len(result.accepted)} generated test file(s) to `{remote.branch}` as "
        f"{sha[:12]} on top of {remote.lease[:12]}: {server}/{repository}/commit/{sha}"
    )
    ctx.posted.record(pushed_sha=sha)


def refusal(
    *, dry_run: bool, pull: PullRequest | None, has_token: bool, checkout_head: Callable[[], str]
) -> str | None:
    """Why this run must not push (a clause for "push was requested, but …"), or None."""
    if dry_run:
        return "this is a dry run (dry-run), which writes nothing to GitHub"
    if pull is None:
        return "the run is not for a pull request, so there is no branch to commit to"
    if pull.is_fork:
        return (
            "the pull request comes from a fork: its branch belongs to the contributor and this "
            "run's token is read-only there, so it is never pushed to"
        )
    if not has_token:
        return "there is no GitHub token (input github-token or GITHUB_TOKEN)"
    head = checkout_head()
    if head != pull.head.sha:
        return (
            f"the checkout is at {head[:12]}, not at the pull request's head {pull.head.sha[:12]}, "
            "and the tests were checked against the checkout; check out the head "
            "(actions/checkout with `ref: ${{ github.event.pull_request.head.sha }}`)"
        )
    return None


def commit_message(accepted: Sequence[AcceptedFile]) -> str:
    """``test: add generated tests for <modules> (cicd-agent)``, and a body listing every file,
    one line each. Its names come from the pull request: the message is made by the one maker
    of our commit messages (:func:`cicd_agent.actions.markdown.commit_message`), so they make no
    reference, mention or trailer."""
    modules = list(dict.fromkeys(item.target.split("::", 1)[0] for item in accepted))
    named = ", ".join(modules[:_SUBJECT_MODULES])
    if len(modules) > _SUBJECT_MODULES:
        named += f" and {len(modules) - _SUBJECT_MODULES} more"
    body = [
        " ".join(f"- {item.path} covers {item.target}: {item.gained}".split()) for item in accepted
    ]
    return (
        str(
            made_message(
                f"test: add generated tests for {named} (cicd-agent)",
                "Each test passed cicd-agent gen-tests' gate in a sandbox: it passes alone and "
                "again in fresh runs in random order, keeps the tests it ran with green and adds "
                "coverage of the change (Python's also: it imports, asserts and keeps the whole "
                "suite green).\n\n" + "\n".join(body),
            )
        )
        + "\n"
    )
