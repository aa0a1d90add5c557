"""Graphite's render API: ``GET /render?target=...&from=...&until=...&format=json`` (Unix
seconds), each series' ``datapoints`` of ``[value, seconds]`` (value first, unlike most).

Also Grafana's Graphite data sources and anything else serving the render API. Credentials, if
the server wants any: ``secrets: {token: VAR}`` (``Authorization: Bearer``) or ``username`` and
``password`` (basic auth, as a hosted Graphite's user and API key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Series,
    answered,
    checked_url,
    display_url,
    fetcher_for,
    points,
    shape_error,
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings


class GraphiteSource:
    """Range reads from one Graphite render API."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.base = checked_url(settings.url, "source graphite's url").rstrip("/")
        self.shown = display_url(self.base)
        headers = {"Authorization": f"Bearer {secrets['token']}"} if "token" in secrets else {}
        roles = frozenset({"token", "username", "password"})
        self.fetcher = fetcher_for(
            settings, secrets, roles=roles, headers=headers, shown=self.shown
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """Every series the target ``query`` names between ``start`` and ``end``."""
        window(start, end, step)
        params = {
            "target": query,
            # Graphite's from is exclusive (whisper answers from the step after it): a second
            # earlier, so the window's first step is read as Prometheus' start is.
            "from": f"{int(start) - 1}",
            "until": f"{int(end)}",
            "format": "json",
        }
        status, body = self.fetcher.get_json(self.base + "/render", params)
        answered(status, self.shown, query)
        if not isinstance(body, list):
            raise shape_error(self.shown, "a list of series (Graphite's render answer)")
        found = []
        for item in body:
            raw = item.get("datapoints") if isinstance(item, dict) else None
            if not isinstance(raw, list):
                raise shape_error(self.shown, "a series' datapoints")
            swapped = [p[::-1] if isinstance(p, list) else p for p in raw]
            stamps, values = points(swapped, self.shown)
            found.append(Series({"target": str(item.get("target", ""))}, stamps, values))
        return found


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> GraphiteSource:
    """The source the configuration's ``source: {type: graphite, url, secrets}`` names."""
    return GraphiteSource(settings, secrets)
