"""When a GitHub request is repeated: a POST that failed with 5xx never is (GitHub may have
done it anyway, and a second review is worse than a clear failure); reads and idempotent
writes are; a wait past the bound is not waited out."""

from __future__ import annotations

import pytest
from urllib3.util.retry import Retry

from cicd_agent.github.retry import RetryPolicy, build_retry


@pytest.mark.parametrize(
    ("method", "status", "repeated"),
    [
        ("POST", 502, False),
        ("post", 500, False),
        ("GET", 502, True),
        ("PATCH", 503, True),
        ("PUT", 500, True),
        ("DELETE", 504, True),
        ("POST", 429, True),  # refused before it was done: safe to send again
        ("GET", 404, False),
    ],
)
def test_a_failed_post_is_not_repeated_but_reads_and_idempotent_writes_are(
    method: str, status: int, repeated: bool
) -> None:
    retry = build_retry(RetryPolicy())
    assert retry.is_retry(method, status, has_retry_after=False) is repeated


def test_the_policy_bounds_tries_and_every_wait() -> None:
    retry = build_retry(RetryPolicy(total=2, backoff_factor=0.5, max_wait_seconds=7))
    assert isinstance(retry, Retry)
    assert retry.total == 2
    assert retry.backoff_factor == 0.5
    assert retry.backoff_max == 7
    assert retry.raise_on_status is False  # the last answer is handed back, not raised
