"""PyGithub's exceptions as our errors: one plain sentence and a hint. A refused write (a 403
that is no rate limit, or the 404 GitHub gives a token that may not see the target, as on a
fork's pull request) is ``GitHubWriteDenied``: later writes are skipped, and the mode degrades
instead of failing."""

from __future__ import annotations

from typing import Any

import requests
from github import GithubException
from github.Requester import Requester

from cicd_agent.actions.errors import GitHubError, GitHubWriteDenied

_PERMISSIONS_HINT = (
    "Give the job the permission it needs (e.g. `permissions: pull-requests: write`, "
    "`checks: write`); pull requests from forks only ever get a read-only token."
)
_HINTS = {
    403: _PERMISSIONS_HINT,
    404: "Check the repository, number or id, and that the token can see the repository.",
    422: "GitHub refused the data cicd-agent sent; please report this with the log.",
}
"""What to do about a failed call (a read, or a write GitHub refused for another reason)."""
_SERVER_HINT = "GitHub had a server error; re-run the job in a while."


def _github_message(exc: GithubException) -> str:
    """GitHub's own message plus the details of a 422's ``errors`` list, on one line."""
    data: Any = exc.data
    if not isinstance(data, dict):
        return exc.message or ""
    parts = [str(data.get("message") or "").strip()]
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            parts.append(str(item.get("message") or item.get("code") or item).strip())
        else:
            parts.append(str(item).strip())
    return "; ".join(p for p in parts if p)


def _retry_after(exc: GithubException) -> str:
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    return headers.get("retry-after", "")


def is_rate_limited(exc: GithubException) -> bool:
    """403/429 is a rate limit when GitHub says so in the message or asks us to wait."""
    if exc.status not in (403, 429):
        return False
    return (
        exc.status == 429
        or bool(_retry_after(exc))
        or Requester.isRateLimitError(_github_message(exc))
    )


def translate(exc: GithubException, *, action: str, write: bool) -> GitHubError:
    """Map one failed call; ``action`` is a phrase such as "posting the review on #12"."""
    status = exc.status
    detail = _github_message(exc) or "no message"
    said = f"GitHub answered {status} ({detail}) while {action}."
    if status == 401:
        return GitHubError(
            f"GitHub rejected the token (401 {detail}) while {action}.",
            status=status,
            hint=(
                "Check the github-token input (or GITHUB_TOKEN): it is missing, expired or revoked."
            ),
        )
    if is_rate_limited(exc):
        wait = _retry_after(exc)
        asked = f" and asked to wait {wait} s" if wait else ""
        return GitHubError(
            f"GitHub rate-limited {action} ({status}){asked}.",
            status=status,
            hint="Re-run the job later, or run fewer jobs against this repository at once.",
        )
    if write and status in (403, 404):
        return GitHubWriteDenied(said, status=status, hint=_PERMISSIONS_HINT)
    hint = _HINTS.get(status, _SERVER_HINT if status >= 500 else "")
    return GitHubError(said, status=status, hint=hint)


def unreachable(exc: requests.RequestException, *, action: str, api_url: str) -> GitHubError:
    """Network failures (DNS, refused connection, timeout) after PyGithub's retries."""
    return GitHubError(
        f"Could not reach GitHub at {api_url} while {action} ({type(exc).__name__}).",
        hint="Check GITHUB_API_URL and the runner's network; GitHub may also be down.",
    )
