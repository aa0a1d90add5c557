"""InfluxDB through its InfluxQL query API, ``GET /query?db=...&q=...&epoch=s``: InfluxDB 1.x,
and 2.x and 3.x through their v1-compatible endpoint (a database/retention-policy mapping).
Each series of the first statement's result has ``columns`` (``time`` first) and ``values``.

InfluxQL carries its window in the query, so the query holds ``{start}`` and ``{end}`` (and may
hold ``{step}``), each filled with Unix seconds as InfluxQL reads them (``1800000000s``), e.g.
``SELECT mean("p99") FROM "http" WHERE "track" = '{track}' AND time > {start} AND time <= {end}
GROUP BY time({step})``. ``options.database`` names the database (required); the value read is
the first column after ``time`` unless ``options.column`` names another. Credentials: ``secrets:
{token: VAR}`` (``Authorization: Token``, InfluxDB 2.x/3.x) or ``username`` and ``password``
(basic auth, 1.x).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

_ROLES = frozenset({"token", "username", "password"})


class InfluxSource:
    """InfluxQL range reads from one InfluxDB."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.base = checked_url(settings.url, "source influxdb's url").rstrip("/")
        self.shown = display_url(self.base)
        self.database = str(settings.options.get("database", ""))
        if not self.database:
            raise UsageError("source influxdb needs options.database (the database to query).")
        self.column = str(settings.options.get("column", ""))
        headers = {"Authorization": f"Token {secrets['token']}"} if "token" in secrets else {}
        self.fetcher = fetcher_for(
            settings,
            secrets,
            roles=_ROLES,
            options=frozenset({"database", "column"}),
            headers=headers,
            shown=self.shown,
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """Every series of ``query``'s first statement, its window filled in."""
        window(start, end, step)
        if "{start}" not in query or "{end}" not in query:
            raise UsageError(
                f"source influxdb: the query {query!r} must bound time with {{start}} and {{end}}.",
                hint="Add: WHERE time > {start} AND time <= {end}",
            )
        filled = query.replace("{start}", f"{int(start)}s").replace("{end}", f"{int(end)}s")
        filled = filled.replace("{step}", f"{int(step)}s")
        params = {"db": self.database, "q": filled, "epoch": "s"}
        status, body = self.fetcher.get_json(self.base + "/query", params)
        said = body.get("error") if isinstance(body, dict) else None
        answered(status, self.shown, query, said)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise shape_error(self.shown, "results (InfluxDB's /query answer)")
        if results[0].get("error"):
            raise SourceQueryError(
                f"InfluxDB rejected the query {query!r}: {quoted(results[0]['error'])}."
            )
        series = results[0].get("series") or []
        if not isinstance(series, list):
            raise shape_error(self.shown, "a list of series (InfluxDB's /query answer)")
        return [self._series(item) for item in series]

    def _series(self, item: Any) -> Series:
        columns = item.get("columns") if isinstance(item, dict) else None
        rows = item.get("values") if isinstance(item, dict) else None
        if not isinstance(columns, list) or not isinstance(rows, list) or len(columns) < 2:
            raise shape_error(self.shown, "a series' columns and values")
        at = columns.index(self.column) if self.column in columns else 1
        if self.column and self.column not in columns:
            raise SourceQueryError(f"InfluxDB answered no column {self.column!r}: {columns}.")
        pairs = [
            [row[0], row[at]] if isinstance(row, list) and len(row) > at else row for row in rows
        ]
        stamps, values = points(pairs, self.shown)
        tags = item.get("tags")
        labels = {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
        return Series(labels, stamps, values)


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> InfluxSource:
    """The source the configuration's ``source: {type: influxdb, url, secrets, options}`` names."""
    return InfluxSource(settings, secrets)
