"""Datadog's metrics query API, v1 ``GET /api/v1/query`` (``from``/``to`` in Unix seconds, a
query in Datadog's metric syntax): each series' ``pointlist`` of ``[milliseconds, value]``.

``url`` is the site's API host (default ``https://api.datadoghq.com``; ``https://api.datadoghq.eu``,
``https://api.us5.datadoghq.com`` ...). Credentials: ``secrets: {api_key: DD_API_KEY,
application_key: DD_APP_KEY_SECRET}``, sent as the ``DD-API-KEY`` and ``DD-APPLICATION-KEY``
headers, each granted to the site by the workflow (``DD_API_KEY_ORIGIN``). Datadog picks the points'
interval from the window; write ``.rollup(sum, 60)`` in the query to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Series,
    SourceQueryError,
    answered,
    checked_url,
    display_url,
    fetcher_for,
    points,
    quoted,
    shape_error,
    url_of,
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

DEFAULT_URL = "https://api.datadoghq.com"
_ROLES = frozenset({"api_key", "application_key"})


class DatadogSource:
    """Range reads from one Datadog site."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.base = checked_url(url_of(settings, DEFAULT_URL), "source datadog's url")
        self.base = self.base.rstrip("/")
        self.shown = display_url(self.base)
        if set(secrets) & _ROLES != _ROLES:
            raise UsageError(
                "source datadog needs secrets api_key and application_key (the variables "
                "holding them, e.g. DD_API_KEY and DD_APP_KEY_SECRET)."
            )
        headers = {
            "DD-API-KEY": secrets["api_key"],
            "DD-APPLICATION-KEY": secrets["application_key"],
        }
        self.fetcher = fetcher_for(
            settings, secrets, roles=_ROLES, headers=headers, shown=self.shown
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """Every series ``query`` answers between ``start`` and ``end``, labelled by scope."""
        window(start, end, step)
        params = {"from": f"{int(start)}", "to": f"{int(end)}", "query": query}
        status, body = self.fetcher.get_json(self.base + "/api/v1/query", params)
        errors = body.get("errors") if isinstance(body, dict) else None
        answered(status, self.shown, query, errors)
        if not isinstance(body, dict) or not isinstance(body.get("series"), list):
            raise shape_error(self.shown, "a series list (Datadog's /api/v1/query answer)")
        if body.get("status") == "error":
            raise SourceQueryError(
                f"Datadog rejected the query {query!r}: {quoted(body.get('error'))}."
            )
        found = []
        for item in body["series"]:
            if not isinstance(item, dict):
                raise shape_error(self.shown, "a series object")
            stamps, values = points(item.get("pointlist"), self.shown)
            scope = {"scope": str(item.get("scope", ""))}
            found.append(Series(scope, tuple(t / 1000 for t in stamps), values))
        return found


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> DatadogSource:
    """The source the configuration's ``source: {type: datadog, url, secrets}`` names."""
    return DatadogSource(settings, secrets)
