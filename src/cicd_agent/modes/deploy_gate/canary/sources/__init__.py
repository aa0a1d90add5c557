"""Where the canary's metrics are read from: one file per metric store, one line in
:data:`SOURCES`, one seam (:class:`Source`).

A source turns one query over a window into time series; everything else (pairing the tracks,
splitting a rate into its counts, judging) is the store's no business. Every source reaches its
store through :meth:`Fetcher.get_json`, so each has the same bounds by construction: a timeout
per attempt, bounded retries with backoff, a cap on the body's size, a refusal of nesting
deeper than the parser's stack, and messages that never carry a credential or a URL's userinfo.
Credentials never sit in the configuration: it names the environment variables that hold them
(the job's secrets), :func:`secrets_of` reads them, and the caller masks every value before
anything is logged. The configuration may come from the checkout or the repository's settings
file, so it chooses neither which secret leaves the job nor where to: a variable is read only
beside the workflow's grant ``VAR_ORIGIN`` naming the store's origin, and no redirect is
followed (another host would get the headers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cicd_agent.actions.errors import UsageError
from cicd_agent.modes.deploy_gate.canary.sources import (
    cloudwatch,
    datadog,
    graphite,
    influxdb,
    newrelic,
    prometheus,
    web,
)
from cicd_agent.modes.deploy_gate.canary.sources.base import (
    Connect,
    Series,
    Source,
    SourceError,
    SourceQueryError,
    SourceSettings,
    origin,
    url_of,
)

__all__ = [
    "Series",
    "Source",
    "SourceError",
    "SourceQueryError",
    "SourceSettings",
    "connect",
    "known",
]


@dataclass(frozen=True)
class Store:
    """One kind of metric store: its module's ``connect`` (checked by mypy against
    :class:`~.base.Connect`, so it returns a :class:`~.base.Source`) and the URL it reads when
    the configuration names none."""

    connect: Connect
    default_url: str = ""


SOURCES: Mapping[str, Store] = {
    "prometheus": Store(prometheus.connect),  # and its API: Thanos, Mimir, Cortex, VictoriaMetrics
    "web": Store(web.connect),  # any JSON over HTTP, as Argo Rollouts' web provider
    "datadog": Store(datadog.connect, datadog.DEFAULT_URL),
    "graphite": Store(graphite.connect),
    "influxdb": Store(influxdb.connect),  # InfluxQL: 1.x, and 2.x/3.x through their v1 query API
    "newrelic": Store(newrelic.connect, newrelic.DEFAULT_URL),
    "cloudwatch": Store(cloudwatch.connect, cloudwatch.DEFAULT_URL),  # GetMetricData, SigV4
}
"""Source type -> its store: adding one is a module in this package and a line here."""


def known(settings: SourceSettings) -> SourceSettings:
    """``settings`` when its type is a key of :data:`SOURCES` (the configuration reader's check)."""
    if settings.type not in SOURCES:
        raise ValueError(f"source type {settings.type!r} is unknown; one of {', '.join(SOURCES)}")
    return settings


GRANT_SUFFIX = "_ORIGIN"
"""``VAR_ORIGIN`` beside ``VAR``: the one origin the workflow lets ``VAR``'s value be sent to."""


def secrets_of(settings: SourceSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """Each credential the settings name, read from its environment variable, when the
    workflow granted it to the store's origin (``VAR_ORIGIN``, e.g. ``https://metrics.example.com``):
    the settings come from a file a pull request may have written, so the variable they name
    could be any secret of the job and their URL any host. A variable unset or empty, or
    granted to no origin or another, is a usage error naming the fix (never the value)."""
    found = {}
    wanted = origin(url_of(settings, SOURCES[settings.type].default_url))
    for role, variable in settings.secrets.items():
        value = environ.get(variable, "")
        if not value:
            raise UsageError(
                f"canary source {settings.type}: its {role} is read from the environment "
                f"variable {variable}, which is not set.",
                hint=(
                    "Map the secret to it in the workflow: "
                    f"env: {{{variable}: ${{{{ secrets.… }}}}}}."
                ),
            )
        grant = variable + GRANT_SUFFIX
        granted = origin(environ.get(grant, ""))
        if not granted or granted != wanted:
            said = f"grants it to {granted}" if granted else "does not grant it to any store"
            raise UsageError(
                f"canary source {settings.type}: its {role} would send {variable} to {wanted}, "
                f"and the workflow {said}.",
                hint=f"Set {grant}: {wanted} beside {variable} in the workflow's env if that "
                "store is meant to have it.",
            )
        found[role] = value
    return found


def connect(settings: SourceSettings, secrets: Mapping[str, str]) -> Source:
    """The source ``settings`` names, given its credentials (already masked by the caller)."""
    return SOURCES[settings.type].connect(settings, secrets)
