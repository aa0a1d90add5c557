"""New Relic through NerdGraph (``POST /graphql``): one NRQL query per read, its window and
step added by the source (``SINCE <ms> UNTIL <ms> TIMESERIES <n> seconds``), each bucket of
``results`` read at its ``beginTimeSeconds``.

``url`` defaults to ``https://api.newrelic.com/graphql`` (EU: ``https://api.eu.newrelic.com/graphql``);
``options.account`` is the account id (required). The query selects one value, e.g. ``SELECT
percentile(duration, 99) FROM Transaction WHERE appName = 'checkout-{track}'``, and leaves
out SINCE, UNTIL and TIMESERIES. Credential: ``secrets: {api_key: NEW_RELIC_API_KEY}`` (a
user key), sent as ``API-Key``.
"""

from __future__ import annotations

import re
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
    number,
    points,
    quoted,
    shape_error,
    url_of,
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

DEFAULT_URL = "https://api.newrelic.com/graphql"
_GRAPHQL = (
    "query($account: Int!, $nrql: Nrql!) "
    "{ actor { account(id: $account) { nrql(query: $nrql) { results } } } }"
)
_WINDOWED = re.compile(r"\b(SINCE|UNTIL|TIMESERIES)\b", re.IGNORECASE)
_BUCKET = frozenset({"beginTimeSeconds", "endTimeSeconds", "facet"})


class NewRelicSource:
    """NRQL range reads from one New Relic account."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.url = checked_url(url_of(settings, DEFAULT_URL), "source newrelic's url")
        self.shown = display_url(self.url)
        account = settings.options.get("account")
        if (
            isinstance(account, bool)
            or not isinstance(account, int | str)
            or not str(account).isdigit()
        ):
            raise UsageError("source newrelic needs options.account (the numeric account id).")
        self.account = int(account)
        if "api_key" not in secrets:
            raise UsageError("source newrelic needs secrets.api_key (e.g. NEW_RELIC_API_KEY).")
        self.fetcher = fetcher_for(
            settings,
            secrets,
            roles=frozenset({"api_key"}),
            options=frozenset({"account"}),
            headers={"API-Key": secrets["api_key"]},
            shown=self.shown,
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """The one value ``query`` selects, per ``step`` between ``start`` and ``end``."""
        window(start, end, step)
        if _WINDOWED.search(query):
            raise UsageError(
                f"source newrelic: leave SINCE, UNTIL and TIMESERIES out of {query!r}; the "
                "canary adds its own window."
            )
        nrql = (
            f"{query} SINCE {int(start * 1000)} UNTIL {int(end * 1000)} "
            f"TIMESERIES {max(int(step), 1)} seconds"
        )
        post = {"query": _GRAPHQL, "variables": {"account": self.account, "nrql": nrql}}
        status, body = self.fetcher.get_json(self.url, {}, post=post)
        errors = body.get("errors") if isinstance(body, dict) else None
        answered(status, self.shown, query, errors)
        if errors:
            raise SourceQueryError(f"New Relic rejected the query {query!r}: {quoted(errors)}.")
        results = _at(body, ("data", "actor", "account", "nrql", "results"))
        if not isinstance(results, list):
            raise shape_error(self.shown, "data.actor.account.nrql.results (NerdGraph's answer)")
        pairs = [[_at(r, ("beginTimeSeconds",)), _value(r)] for r in results]
        stamps, values = points(pairs, self.shown)
        return [Series({}, stamps, values)]


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body


def _value(bucket: Any) -> float:
    """The bucket's one selected value; a function answering a map (``percentile``'s
    ``{"99": 0.3}``) gives its one entry. Anything else is NaN (dropped and counted)."""
    if not isinstance(bucket, dict):
        return float("nan")
    found = [v for k, v in bucket.items() if k not in _BUCKET]
    if len(found) == 1 and isinstance(found[0], dict) and len(found[0]) == 1:
        found = list(found[0].values())
    return number(found[0]) if len(found) == 1 else float("nan")


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> NewRelicSource:
    """The source the configuration's ``source: {type: newrelic, url, secrets, options}`` names."""
    return NewRelicSource(settings, secrets)
