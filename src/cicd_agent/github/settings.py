"""How to reach GitHub and how carefully to write, read from the runner's environment passed in
as a parameter and checked (a bad value is one line naming the fix) before any client exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cicd_agent.actions.errors import UsageError
from cicd_agent.actions.inputs import input_value
from cicd_agent.github.retry import RetryPolicy

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class GitHubSettings:
    """How to reach GitHub and how carefully to write. ``seconds_between_writes`` follows
    GitHub's advice against secondary rate limits; reads are made one at a time, so not paced."""

    token: str = field(repr=False)
    repo: str
    api_url: str = DEFAULT_API_URL
    dry_run: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 1.0
    timeout_seconds: int = 30
    bot_login: str = ""
    """The GitHub App whose token posts (the ``bot-login`` input, e.g. ``my-app[bot]``): its
    marked comments count as ours beside ``github-actions[bot]``'s (``github.comments.is_ours``)."""


def settings_from_env(
    environ: Mapping[str, str],
    *,
    token: str = "",
    repo: str = "",
    dry_run: bool = False,
) -> GitHubSettings:
    """Settings from the runner's variables; explicit ``token``/``repo`` win.
    ``CICD_AGENT_GITHUB_WRITE_INTERVAL`` and ``CICD_AGENT_GITHUB_MAX_WAIT`` tune pacing and the
    longest retry wait (0 against a local mock)."""
    resolved_token = token or environ.get("GITHUB_TOKEN", "")
    if not resolved_token:
        raise UsageError(
            "No GitHub token was given.",
            hint="Set the github-token input (default ${{ github.token }}) or GITHUB_TOKEN.",
        )
    resolved_repo = repo or environ.get("GITHUB_REPOSITORY", "")
    if resolved_repo.count("/") != 1 or "" in resolved_repo.split("/"):
        raise UsageError(
            f"The repository must be given as OWNER/NAME, got {resolved_repo!r}.",
            hint="Set GITHUB_REPOSITORY (the runner does) or pass the repository explicitly.",
        )
    write_interval = _seconds(environ, "CICD_AGENT_GITHUB_WRITE_INTERVAL", 1.0)
    max_wait = _seconds(environ, "CICD_AGENT_GITHUB_MAX_WAIT", RetryPolicy.max_wait_seconds)
    return GitHubSettings(
        token=resolved_token,
        repo=resolved_repo,
        api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL,
        dry_run=dry_run,
        retry=RetryPolicy(max_wait_seconds=max_wait),
        seconds_between_writes=write_interval,
        bot_login=input_value(environ, "bot-login") or "",
    )


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageError(f"{name} must be a number of seconds (0 or more), got {raw!r}.")
    return value


def check_api_url(api_url: str) -> str:
    """``api_url`` without its trailing slash, refused loudly when it is not http(s)."""
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"The GitHub API URL {api_url!r} is not an http(s) URL.",
            hint="Use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
        )
    return api_url.rstrip("/")
