"""A small client for the Prometheus HTTP API: range queries, authentication, bounded retries.

Only ``/api/v1/query_range`` is used, so this stays a thin layer over ``requests``. It separates
the failures the caller must treat differently:

- :class:`PrometheusQueryError` (a usage error, exit 2): Prometheus answered and rejected the query
  (bad PromQL, too many points). Retrying cannot help; the configuration must change.
- :class:`PrometheusError` (an external-service error, exit 3): Prometheus could not be reached,
  refused the credentials, or kept failing after the retries. The canary phase turns this into a
  ``continue`` verdict with ``healthy=false``, never a promotion.

Connection errors, timeouts, 429 and 502/503/504 are retried with exponential backoff bounded by
``max_backoff`` (a ``Retry-After`` header is honoured within that bound). Secrets never appear in
messages: credentials embedded in the URL are stripped before it is shown.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from cicd_agent.runner.errors import ExternalServiceError, UsageError

_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_QUERY_REJECTED_STATUSES = frozenset({400, 422})


class PrometheusError(ExternalServiceError):
    """Prometheus could not be reached or did not give a usable answer."""


class PrometheusQueryError(UsageError):
    """Prometheus answered and rejected a query: the query or window must be fixed."""


@dataclass(frozen=True)
class Series:
    """One time series of a range query: its labels and its samples in time order."""

    labels: Mapping[str, str]
    timestamps: tuple[float, ...]
    values: tuple[float, ...]


def display_url(url: str) -> str:
    """The URL without any ``user:password@`` part, safe to print in logs and summaries."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class PrometheusClient:
    """Range queries against one Prometheus (or a compatible API such as Thanos, Mimir, VictoriaMetrics).

    ``token`` sends ``Authorization: Bearer``; ``username``/``password`` send basic auth. Giving
    both is a usage error, since one of them would be silently ignored.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(
                f"prometheus-url must be an http(s) URL, got {display_url(base_url)!r}.",
                hint="For example https://prometheus.example.com or http://127.0.0.1:9090.",
            )
        if token and (username or password):
            raise UsageError("give a Prometheus bearer token or basic-auth credentials, not both.")
        if attempts < 1:
            raise UsageError(f"Prometheus attempts must be at least 1, got {attempts}.")
        self.base_url = base_url.strip().rstrip("/")
        self.shown_url = display_url(self.base_url)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif username or password:
            self._session.auth = (username or "", password or "")

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """Evaluate ``query`` from ``start`` to ``end`` (Unix seconds) every ``step`` seconds."""
        if not end > start or step <= 0:
            raise UsageError(f"invalid query window: start={start}, end={end}, step={step}.")
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        body = self._get("/api/v1/query_range", params)
        data = body.get("data")
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise PrometheusError(
                f"Prometheus at {self.shown_url} answered a range query without a matrix result.",
                hint="Check that prometheus-url points at the Prometheus HTTP API.",
            )
        return [_series(item, self.shown_url) for item in data.get("result") or []]

    def _get(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """GET with retries; returns the decoded ``status: success`` body or raises."""
        url = self.base_url + path
        problem = ""
        for attempt in range(1, self.attempts + 1):
            retry_after = math.nan
            try:
                response = self._session.get(url, params=params, timeout=self.timeout)
            except requests.exceptions.RequestException as error:
                problem = _connection_problem(error)
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return self._decode(response, params["query"])
                problem = f"HTTP {response.status_code}"
                try:  # seconds; an HTTP date (or none at all) leaves it to the backoff
                    retry_after = float(response.headers.get("Retry-After", "nan"))
                except ValueError:
                    retry_after = math.nan
            if attempt < self.attempts:
                backoff = self.backoff * 2 ** (attempt - 1)
                wanted = retry_after if math.isfinite(retry_after) else backoff
                self._sleep(min(max(wanted, 0.0), self.max_backoff))
        raise PrometheusError(
            f"Prometheus at {self.shown_url} could not be reached after "
            f"{self.attempts} attempt(s): {problem}.",
            hint="Check prometheus-url, that the runner can reach it, and that it is up.",
        )

    def _decode(self, response: requests.Response, query: str) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise PrometheusError(
                f"Prometheus at {self.shown_url} refused the credentials (HTTP {status}).",
                hint="Check prometheus-token, or prometheus-username and prometheus-password.",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
            raise PrometheusError(
                f"Prometheus at {self.shown_url} gave HTTP {status} without a Prometheus API answer.",
                hint="Check that prometheus-url is the server's base URL (without /api/v1).",
            )
        if body["status"] == "success" and status == 200:
            return body
        message = f"{body.get('errorType', 'error')}: {body.get('error', 'no message')}"
        if status in _QUERY_REJECTED_STATUSES:
            raise PrometheusQueryError(
                f"Prometheus rejected the query {query!r}: {message}.",
                hint="Fix the metric's query, lookback or step in the canary configuration.",
            )
        raise PrometheusError(
            f"Prometheus at {self.shown_url} failed the query (HTTP {status}): {message}."
        )


def _series(item: object, shown_url: str) -> Series:
    if not isinstance(item, dict) or not isinstance(item.get("values"), list):
        raise PrometheusError(f"Prometheus at {shown_url} returned a malformed series.")
    labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
    try:
        pairs = [(float(ts), float(value)) for ts, value in item["values"]]
    except (TypeError, ValueError):
        raise PrometheusError(f"Prometheus at {shown_url} returned a malformed sample.") from None
    return Series(
        labels=labels,
        timestamps=tuple(ts for ts, _ in pairs),
        values=tuple(value for _, value in pairs),
    )


def _connection_problem(error: requests.exceptions.RequestException) -> str:
    """A short, secret-free description: the exception text can embed the full URL."""
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection failed"
    return type(error).__name__
