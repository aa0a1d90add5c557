"""The push of a commit made from a patch, with git, leaving the checkout alone.

- The commit is made in a throwaway repository that borrows the checkout's objects (git alternates)
  and applies the patch in its own index, so the checkout stays byte-identical and what is pushed is
  exactly the patch delivered.
- The token never appears in argv, a URL, a file or a log: it travels as an HTTP extra header in
  git's environment configuration, scoped to the GitHub server's URL.
- The push leases the branch at the pull request's head (``--force-with-lease``): if anyone
  pushed meanwhile nothing is overwritten (:class:`BranchMoved`)."""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cicd_agent.actions.errors import ExternalServiceError, GitHubError, GitHubWriteDenied
from cicd_agent.local import git

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
LOCAL_TIMEOUT = 120.0
PUSH_TIMEOUT = 600.0
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
