"""Any metric store that answers JSON over HTTP (as Argo Rollouts' ``web`` provider): a URL
template, a path to the points in the answer.

``url`` holds ``{query}``, ``{start}``, ``{end}`` and ``{step}`` (Unix seconds; each filled in
URL-encoded), e.g. ``https://metrics.example.com/series?q={query}&from={start}&to={end}``.
``options.points`` is the dotted path to the answer's list of ``[time, value]`` pairs (``""``:
the answer is that list; ``data.points``: ``{"data": {"points": [...]}}``); ``options.time`` is
``s`` (default) or ``ms``. Credentials: ``secrets: {token: VAR}`` sends ``Authorization:
Bearer``, ``secrets: {"header:X-Api-Key": VAR}`` sends that header. One series per query: the
query names the track (``{track}``) as it does for Prometheus. A metric's kind is declared in
the configuration; a rate's two parts are two queries joined by ``/`` and each answers counts
per step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Series,
    SourceError,
    answered,
    checked_url,
    display_url,
    fetcher_for,
    points,
    window,
)

if TYPE_CHECKING:
    from cicd_agent.modes.deploy_gate.canary.sources.base import SourceSettings

_OPTIONS = frozenset({"points", "time"})
_FIELDS = ("query", "start", "end", "step")


class WebSource:
    """Range reads from one JSON endpoint."""

    def __init__(self, settings: SourceSettings, secrets: Mapping[str, str]) -> None:
        self.template = checked_url(settings.url, "source web's url")
        if "{query}" not in self.template:
            raise UsageError("source web's url must hold {query} where each metric's query goes.")
        options = settings.options
        self.path = [part for part in str(options.get("points", "")).split(".") if part]
        scale = {"s": 1.0, "ms": 0.001}.get(str(options.get("time", "s")))
        if scale is None:
            raise UsageError("source web's option time is s or ms.")
        self.scale = scale
        self.shown = display_url(self.template.split("{", 1)[0])
        headers = {}
        for role, value in secrets.items():
            if role.startswith("header:"):
                headers[role.removeprefix("header:")] = value
        if "token" in secrets:
            headers["Authorization"] = f"Bearer {secrets['token']}"
        roles = frozenset({"token"} | {r for r in secrets if r.startswith("header:")})
        self.fetcher = fetcher_for(
            settings, secrets, roles=roles, options=_OPTIONS, headers=headers, shown=self.shown
        )

    def query_range(self, query: str, *, start: float, end: float, step: float) -> list[Series]:
        """The points of ``query`` between ``start`` and ``end`` (the store's own step is its
        business; the reader drops points outside the window, for every source)."""
        window(start, end, step)
        filled = dict(zip(_FIELDS, (query, f"{start:.3f}", f"{end:.3f}", f"{step:g}"), strict=True))
        url = self.template
        for name, value in filled.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        status, body = self.fetcher.get_json(url, {})
        answered(status, self.shown, query)
        stamps, values = points(self._at_path(body), self.shown)
        return [Series({}, tuple(t * self.scale for t in stamps), values)]

    def _at_path(self, body: Any) -> Any:
        for key in self.path:
            if not isinstance(body, dict) or key not in body:
                raise SourceError(
                    f"the metric store at {self.shown} answered without {'.'.join(self.path)}.",
                    hint="Check the source's options.points path against the store's answer.",
                )
            body = body[key]
        return body


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> WebSource:
    """The source the configuration's ``source: {type: web, url, secrets, options}`` names."""
    return WebSource(settings, secrets)
