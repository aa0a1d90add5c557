"""Prometheus' HTTP API (and everything that speaks it: Thanos, Mimir, Cortex, VictoriaMetrics):
``/api/v1/query_range`` alone.

Its failures split as the caller must treat them: :class:`~.SourceQueryError` (exit 2) when
Prometheus answered and rejected the query (bad PromQL, too many points: the configuration must
change), :class:`~.SourceError` (exit 3; the judge sees nothing) when it could not be reached,
refused the credentials or kept failing after the retries. Credentials: a bearer token
(``secrets: {token: VAR}``) or basic auth (``username``, ``password``), never both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import requests

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Fetcher,
    Series,
    SourceError,
    SourceQueryError,
    checked_url,
    display_url,
    points,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

_QUERY_REJECTED_STATUSES = frozenset({400, 422})
# The old names, kept for callers and messages that still use them.
PrometheusError = SourceError
PrometheusQueryError = SourceQueryError


class PrometheusClient:
    """Range queries against one Prometheus-compatible API. ``token`` sends ``Authorization:
    Bearer``; ``username``/``password`` send basic auth. Giving both is a usage error, since one
    of them would be silently ignored."""

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
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        url = checked_url(base_url, "prometheus-url")
        if token and (username or password):
            raise UsageError("give a Prometheus bearer token or basic-auth credentials, not both.")
        if attempts < 1:
            raise UsageError(f"Prometheus attempts must be at least 1, got {attempts}.")
        self.base_url = url.rstrip("/")
        self.shown = self.shown_url = display_url(self.base_url)
        session = requests.Session()
        session.headers["Accept"] = "application/json"
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        elif username or password:
            session.auth = (username or "", password or "")
        self.fetcher = Fetcher(
            session,
            self.shown,
            timeout,
            attempts,
            backoff,
            max_backoff,
            what="Prometheus",
            hint="Check prometheus-url, that the runner can reach it, and that it is up.",
        )
        if sleep is not None:
            self.fetcher.sleep = sleep

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """Evaluate ``query`` from ``start`` to ``end`` (Unix seconds) every ``step`` seconds."""
        if not end > start or step <= 0:
            raise UsageError(f"invalid query window: start={start}, end={end}, step={step}.")
        params = {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        status, body = self.fetcher.get_json(self.base_url + "/api/v1/query_range", params)
        data = self._answer(status, body, query).get("data")
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise SourceError(
                f"Prometheus at {self.shown} answered a range query without a matrix result.",
                hint="Check that prometheus-url points at the Prometheus HTTP API.",
            )
        result = data.get("result") or []
        if not isinstance(result, list):
            raise SourceError(f"Prometheus at {self.shown} returned a malformed result.")
        return [_series(item, self.shown) for item in result]

    def _answer(self, status: int, body: Any, query: str) -> dict[str, Any]:
        if status in (401, 403):
            raise SourceError(
                f"Prometheus at {self.shown} refused the credentials (HTTP {status}).",
                hint="Check prometheus-token, or prometheus-username and prometheus-password.",
            )
        if not isinstance(body, dict) or body.get("status") not in ("success", "error"):
            raise SourceError(
                f"Prometheus at {self.shown} gave HTTP {status} without a Prometheus API answer.",
                hint="Check that prometheus-url is the server's base URL (without /api/v1).",
            )
        if body["status"] == "success" and status == 200:
            return body
        message = f"{body.get('errorType', 'error')}: {body.get('error', 'no message')}"
        if status in _QUERY_REJECTED_STATUSES:
            raise SourceQueryError(
                f"Prometheus rejected the query {query!r}: {message}.",
                hint="Fix the metric's query, lookback or step in the canary configuration.",
            )
        raise SourceError(
            f"Prometheus at {self.shown} failed the query (HTTP {status}): {message}."
        )


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> PrometheusClient:
    """The client the configuration's ``source: {type: prometheus, url, secrets}`` names."""
    unknown = sorted(set(secrets) - {"token", "username", "password"})
    if unknown or settings.options:
        raise UsageError(
            "source prometheus takes secrets token, username and password, and no options; "
            f"got {', '.join(unknown + sorted(settings.options))}."
        )
    return PrometheusClient(
        settings.url or "",
        token=secrets.get("token"),
        username=secrets.get("username"),
        password=secrets.get("password"),
    )


def _series(item: object, shown: str) -> Series:
    if not isinstance(item, dict) or not isinstance(item.get("values"), list):
        raise SourceError(f"Prometheus at {shown} returned a malformed series.")
    metric = item.get("metric") or {}
    if not isinstance(metric, dict):
        raise SourceError(f"Prometheus at {shown} returned a malformed series.")
    labels = {str(k): str(v) for k, v in metric.items()}
    timestamps, values = points(item["values"], shown)
    return Series(labels=labels, timestamps=timestamps, values=values)
