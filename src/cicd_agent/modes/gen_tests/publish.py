"""gen-tests' publish step: the patch file, and with ``push`` the accepted tests committed to the
pull request's own branch, with git, leaving the checkout alone.

Every write of the mode happens here, from the decided result (the patch decide rendered) and
the facts (the options). Why the push is built this way:

- The commit is made in a throwaway repository that borrows the checkout's objects read-only
  (git alternates) and applies the delivered patch file to the head commit's tree in its own
  index (``git apply --cached``). The user's checkout stays byte-identical, and what is pushed
  is exactly the patch the run delivered, nothing else.
- The token never appears in argv, in a remote URL, in a file or in a log. It travels as an
  HTTP extra header in git's environment-based configuration (``GIT_CONFIG_COUNT``), scoped to
  the GitHub server's URL, so git sends it to that server only.
- The push leases the branch at the pull request's head (``--force-with-lease``): if anyone
  pushed meanwhile nothing is overwritten; the run says so and the patch file is still there.

``CICD_AGENT_GIT_REMOTE_URL`` exists for tests only: it replaces the GitHub remote with another
URL (a local bare repository) so the whole push runs end to end without a network.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cicd_agent.local import git
from cicd_agent.modes.gen_tests.analyse import GenTestsVerdict
from cicd_agent.modes.gen_tests.collect import GenTestsFacts
from cicd_agent.modes.gen_tests.result import AcceptedFile, GenTestsResult
from cicd_agent.runner.errors import ExternalServiceError, GitHubError, GitHubWriteDenied
from cicd_agent.runner.markdown import unreferenced

if TYPE_CHECKING:
    from cicd_agent.job.context import RunContext
    from cicd_agent.job.events import PullRequest
    from cicd_agent.modes.gen_tests.options import GenTestsOptions

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
REMOTE_URL_OVERRIDE = "CICD_AGENT_GIT_REMOTE_URL"
"""Tests only: push to this URL instead of ``GITHUB_SERVER_URL``/``owner/name``."""
LOCAL_TIMEOUT = 120.0
PUSH_TIMEOUT = 600.0
_SUBJECT_MODULES = 3
"""Modules named in the commit subject; the body lists every file."""
_DENIED = re.compile(
    r"error: 403|permission to \S+ denied|write access to repository not granted", re.IGNORECASE
)


@dataclass(frozen=True)
class Remote:
    """Where the commit goes: the URL, the branch, and the commit the branch must still be at."""

    url: str
    branch: str
    lease: str
    header_scope: str
    """The URL prefix the token's header is sent to (``https://host/``)."""


class BranchMoved(Exception):
    """The branch is no longer at the leased commit: someone pushed after the run started."""


def publish(
    ctx: RunContext[GenTestsOptions],
    facts: GenTestsFacts,
    verdict: GenTestsVerdict,
    result: GenTestsResult,
) -> None:
    """Write the patch file when tests were accepted, then push them when ``push`` asks (the
    pushed commit goes into the run's record, ``ctx.posted``, as the ``pushed_sha`` output)."""
    if result.patch_path:
        write_patch(result.patch, Path(result.patch_path))
    pushed = push_accepted_tests(ctx, result, requested=facts.options.push)
    if pushed:
        ctx.posted.record(pushed_sha=pushed)


def write_patch(text: str, path: Path) -> Path:
    """Write the patch file (its folder is created); returns the absolute path."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def push_accepted_tests(
    ctx: RunContext[GenTestsOptions], result: GenTestsResult, *, requested: bool
) -> str:
    """Commit and push the accepted tests when every condition holds, else note why.

    Returns the pushed commit's SHA, or ``""`` when nothing was pushed. A token that cannot
    write (403, protected branch) raises :class:`GitHubWriteDenied`, which the pipeline turns
    into a note; any other failure of git raises an :class:`ExternalServiceError` (exit 3).
    """
    if not requested or not result.accepted or not result.patch_path:
        return ""
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
        return ""
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
        return ""
    except GitHubWriteDenied as exc:
        raise GitHubWriteDenied(f"{exc.message}; {fallback}.", hint=exc.hint) from exc
    ctx.note(
        f"Committed {len(result.accepted)} generated test file(s) to `{remote.branch}` as "
        f"{sha[:12]} on top of {remote.lease[:12]}: {server}/{repository}/commit/{sha}"
    )
    return sha


def refusal(
    *,
    dry_run: bool,
    pull: PullRequest | None,
    has_token: bool,
    checkout_head: Callable[[], str],
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
    """``test: add generated tests for <modules> (cicd-agent)``, and a body listing every file.
    Its names come from the pull request, so no reference in them is made (:func:`unreferenced`)."""
    modules = list(dict.fromkeys(unreferenced(item.target.split("::", 1)[0]) for item in accepted))
    named = ", ".join(modules[:_SUBJECT_MODULES])
    if len(modules) > _SUBJECT_MODULES:
        named += f" and {len(modules) - _SUBJECT_MODULES} more"
    body = [unreferenced(f"- {item.path} covers {item.target}: {item.gained}") for item in accepted]
    return (
        f"test: add generated tests for {named} (cicd-agent)\n\n"
        "Each test passed cicd-agent gen-tests' gate: it imports, asserts, passes 6 times alone "
        "and in random order with the module's tests, keeps the suite green and adds coverage.\n\n"
        + "\n".join(body)
        + "\n"
    )


def header_scope(server_url: str) -> str:
    """``https://host/`` of the server: the only URLs git sends the token's header to."""
    parts = urlsplit(server_url)
    return f"{parts.scheme}://{parts.netloc}/"


def git_environment(environ: Mapping[str, str], token: str, scope: str) -> dict[str, str]:
    """The environment git runs in: the bot's identity and the token as an
    ``http.<scope>.extraheader`` (never on disk), over the caller's environment without its
    ``GIT_*`` variables, which could point git at another repository or trace the header to the
    log (the CA-bundle ones stay, GitHub Enterprise Server may need them)."""
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    env = {
        name: value
        for name, value in environ.items()
        if not name.startswith("GIT_") or name in {"GIT_SSL_CAINFO", "GIT_SSL_CAPATH"}
    }
    env.update(
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        GIT_AUTHOR_NAME=BOT_NAME,
        GIT_AUTHOR_EMAIL=BOT_EMAIL,
        GIT_COMMITTER_NAME=BOT_NAME,
        GIT_COMMITTER_EMAIL=BOT_EMAIL,
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0=f"http.{scope}.extraheader",
        GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {credentials}",
    )
    return env


def checked_out_head(repo: Path, environ: Mapping[str, str], redact: Callable[[str], str]) -> str:
    """The commit the checkout is at (a read-only question)."""
    env = {name: value for name, value in environ.items() if not name.startswith("GIT_")}
    return _git(["rev-parse", "--verify", "HEAD^{commit}"], repo, env, redact)


def commit_and_push(
    checkout: Path,
    remote: Remote,
    patch: Path,
    *,
    message: str,
    env: Mapping[str, str],
    redact: Callable[[str], str],
) -> str:
    """Commit ``patch`` on top of ``remote.lease`` in a throwaway repository and push it.

    Returns the new commit's SHA. Raises :class:`BranchMoved` when the lease fails.
    """
    objects, shallow, object_format = _git(
        [
            "rev-parse",
            "--path-format=absolute",
            "--git-path",
            "objects",
            "--git-path",
            "shallow",
            "--show-object-format",
        ],
        checkout,
        env,
        redact,
    ).splitlines()
    with tempfile.TemporaryDirectory(
        prefix="cicd-agent-push-", dir=env.get("RUNNER_TEMP") or None
    ) as folder:
        work = Path(folder)
        _git(
            ["init", "--quiet", "--template=", f"--object-format={object_format}"],
            work,
            env,
            redact,
        )
        (work / ".git" / "objects" / "info" / "alternates").write_text(objects + "\n")
        if Path(shallow).is_file():
            shutil.copyfile(shallow, work / ".git" / "shallow")
        _git(["read-tree", remote.lease], work, env, redact)
        _git(["apply", "--cached", "--whitespace=nowarn", str(patch)], work, env, redact)
        tree = _git(["write-tree"], work, env, redact)
        commit = _git(
            ["commit-tree", "--no-gpg-sign", "-p", remote.lease, tree], work, env, redact, message
        )
        _push(work, remote, commit, env, redact)
    return commit


def _push(
    work: Path, remote: Remote, commit: str, env: Mapping[str, str], redact: Callable[[str], str]
) -> None:
    ref = f"refs/heads/{remote.branch}"
    argv = [
        "push",
        "--porcelain",
        "--no-verify",
        f"--force-with-lease={ref}:{remote.lease}",
        remote.url,
        f"{commit}:{ref}",
    ]
    try:
        # The one call that may use a transport: the remote's own (git allows none otherwise).
        allowed = {"GIT_ALLOW_PROTOCOL": urlsplit(remote.url).scheme or "file"}
        done = git.run(git.in_checkout(work), argv, timeout=PUSH_TIMEOUT, base=env, environ=allowed)
    except git.GitTimedOut as exc:
        raise GitHubError(
            f"git push to {remote.branch} timed out after {PUSH_TIMEOUT:.0f} s"
        ) from exc
    stdout, stderr = _text(done.stdout), _text(done.stderr)
    status = _ref_status(stdout, ref)
    if done.ok and status is not None and not status.startswith("!"):
        return
    detail = redact(_last_line(stderr) or (status or "").split("\t")[-1])
    if status is not None and "(stale info)" in status:
        raise BranchMoved(
            f"the branch {remote.branch} is no longer at {remote.lease[:12]} "
            "(someone pushed to it after this run started)"
        )
    if (status is not None and "[remote rejected]" in status) or _DENIED.search(stderr):
        raise GitHubWriteDenied(
            f"the token cannot push to {remote.branch} ({detail})",
            hint="Give the job `permissions: contents: write`, or allow the bot past branch "
            "protection.",
        )
    raise GitHubError(f"git push to {remote.branch} failed: {detail}")


def _ref_status(porcelain: str, ref: str) -> str | None:
    """The porcelain status line of ``ref`` (``<flag>\\t<from>:<to>\\t<summary>``), if any."""
    for line in porcelain.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[1].endswith(f":{ref}"):
            return line
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _git(
    args: list[str],
    cwd: Path,
    env: Mapping[str, str],
    redact: Callable[[str], str],
    stdin: str | None = None,
) -> str:
    """Run one local git command (argv, never a shell); a failure is an external-tool error."""
    data = None if stdin is None else stdin.encode("utf-8", "surrogateescape")
    try:
        done = git.run(git.in_checkout(cwd), args, stdin=data, timeout=LOCAL_TIMEOUT, base=env)
    except git.GitTimedOut as exc:
        raise ExternalServiceError(f"git {args[0]} timed out after {LOCAL_TIMEOUT:.0f} s") from exc
    if not done.ok:
        raise ExternalServiceError(
            f"git {args[0]} failed while committing the tests: "
            f"{redact(_last_line(_text(done.stderr)))}"
        )
    return _text(done.stdout).strip()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
