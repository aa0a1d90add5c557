"""When to repeat a GitHub request, on top of PyGithub's ``GithubRetry`` (rate limits and 5xx):

* a POST that failed with 5xx is not repeated: GitHub may have done it anyway, and a second
review or comment is worse than a clear failure; * no single wait is longer than
``max_wait_seconds``: an hour-long ``Retry-After`` must not hold the CI job hostage."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from github.GithubRetry import GithubRetry
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import HTTPResponse
from urllib3.util.retry import Retry

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """Defaults suit a CI job: a few tries, GitHub's advised one minute for secondary limits."""

    total: int = 3
    backoff_factor: float = 1.0
    max_wait_seconds: float = 60.0


class _BoundedRetry(GithubRetry):
    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code >= 500 and method.upper() not in _IDEMPOTENT:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: HTTPResponse | None = None,  # type: ignore[override]
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        if response is not None and _pool is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > (self.max_rate_limit_wait or 0.0):
                # MaxRetryError with raise_on_status=False hands GitHub's answer back unchanged.
                raise MaxRetryError(_pool, url or "", None)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def build_retry(policy: RetryPolicy) -> Retry:
    """The urllib3 ``Retry`` PyGithub is given; the last failed answer is returned, not raised."""
    options: dict[str, Any] = {
        "total": policy.total,
        "backoff_factor": policy.backoff_factor,
        "backoff_max": policy.max_wait_seconds,
        "status_forcelist": [*range(500, 600), 429],
        "allowed_methods": _IDEMPOTENT | {"POST"},
        "raise_on_status": False,
    }
    return _BoundedRetry(
        secondary_rate_wait=policy.max_wait_seconds,
        max_rate_limit_wait=policy.max_wait_seconds,
        **options,
    )
